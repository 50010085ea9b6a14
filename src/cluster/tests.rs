use super::*;

#[test]
fn scheduler_urls() {
    assert_eq!(
        scheduler_endpoint("df://localhost:50050").unwrap(),
        "http://localhost:50050"
    );
    assert_eq!(
        scheduler_endpoint("df://10.0.0.7").unwrap(),
        "http://10.0.0.7:50050"
    );
    let wrong = scheduler_endpoint("http://localhost:50050").unwrap_err();
    assert_eq!(
        wrong.to_string(),
        "cluster \"http://localhost:50050\" is not a Ballista scheduler URL such as df://localhost:50050 (the scheme must be df://)"
    );
    assert!(matches!(
        scheduler_endpoint("localhost:50050"),
        Err(Error::InvalidClusterUrl { .. })
    ));
}

#[tokio::test]
async fn unreachable_scheduler_is_one_sentence() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("df://127.0.0.1:{port}");
    let state = session_state(
        session_config(&Config::default()),
        node_runtime(None).unwrap(),
    );
    let err = client_state(state, &url).await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "cannot reach the Ballista scheduler at {url} (Connection refused"
        )),
        "{message}"
    );
    assert!(
        message.ends_with("; start one with `lathe cluster scheduler` or check --cluster"),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1);
}

#[test]
fn other_versions_are_refused() {
    let config = node_config().set_str("lathe.version", "0.0.0-elsewhere");
    let err = node_state(config, node_runtime(None).unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the client runs lathe 0.0.0-elsewhere, but the scheduler runs lathe {}; run the same lathe build on the client, the scheduler and every executor",
            env!("CARGO_PKG_VERSION")
        )
    );
    // The same version is welcome, with Athena's functions.
    let state = node_state(node_config(), node_runtime(None).unwrap()).unwrap();
    assert!(state.scalar_functions().contains_key("date_parse"));
    // Athena's date_format, not DataFusion's to_char (whose alias it is),
    // however a rebuilt state's functions were ordered (hash order: try
    // enough states that a lost name would show).
    for _ in 0..32 {
        let state = node_state(node_config(), node_runtime(None).unwrap()).unwrap();
        assert_eq!(
            state.scalar_functions()["date_format"].name(),
            "date_format"
        );
    }
    assert!(state.aggregate_functions().contains_key("max_by"));
}

#[tokio::test]
async fn only_plans_that_read_catalog_tables_go_to_the_cluster() {
    let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = Config {
        catalog: repo.join("catalog"),
        ..Config::default()
    };
    let engine = crate::Engine::new(&config).await.unwrap();
    let reads = |sql: &'static str| {
        let ctx = engine.context().clone();
        async move {
            let plan = ctx.sql(sql).await.unwrap().into_unoptimized_plan();
            planner::reads_catalog_tables(&plan).unwrap()
        }
    };
    assert!(!reads("SELECT 1 + 1").await);
    assert!(reads("SELECT count(*) FROM master.products").await);
    assert!(reads("SELECT 1 WHERE EXISTS (SELECT 1 FROM master.products WHERE price > 10)").await);
    // SHOW-style results are in-memory tables of this process.
    let batch = datafusion::arrow::array::RecordBatch::new_empty(std::sync::Arc::new(
        datafusion::arrow::datatypes::Schema::empty(),
    ));
    let frame = engine.context().read_batch(batch).unwrap();
    assert!(!planner::reads_catalog_tables(frame.logical_plan()).unwrap());
}

#[test]
fn sessions_use_ballistas_static_planner() {
    // Ballista 55's adaptive planner hangs on a lost executor.
    assert!(
        !node_config()
            .ballista_config()
            .adaptive_query_planner_enabled()
    );
}

#[test]
fn the_clients_version_travels_with_its_settings() {
    use ballista_core::extension::SessionConfigHelperExt;
    // Ballista sends a client's settings as key/value pairs; a scheduler
    // starts from its own settings and applies them.
    let client = session_config(&Config::default()).set_str("lathe.version", "0.0.0-elsewhere");
    let received = node_config().update_from_key_value_pair(&client.to_key_value_pairs());
    let err = node_state(received, node_runtime(None).unwrap()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the client runs lathe 0.0.0-elsewhere, but the scheduler runs"),
        "{err}"
    );
}
