//! DDL through the engine, on a catalog folder made for each test.

use datafusion::arrow::array::{Array, StringArray};

use crate::config::Config;
use crate::engine::Engine;

async fn engine() -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("db")).unwrap();
    // A real Glue dump: the sample's Firehose table, with projection.
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog/web");
    std::fs::copy(
        sample.join("clickstream.json"),
        dir.path().join("db/clickstream.json"),
    )
    .unwrap();
    let config = Config {
        catalog: dir.path().to_path_buf(),
        database: "db".into(),
        ..Config::default()
    };
    let engine = Engine::new(&config).await.unwrap();
    (dir, engine)
}

/// The rows of a one-column result.
async fn lines(engine: &Engine, sql: &str) -> Vec<String> {
    let batches = engine.sql(sql).await.unwrap().collect().await.unwrap();
    let mut out = Vec::new();
    for batch in batches {
        let column = batch
            .column(0)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        out.extend((0..column.len()).map(|i| column.value(i).to_string()));
    }
    out
}

async fn run(engine: &Engine, sql: &str) {
    engine.sql(sql).await.unwrap().collect().await.unwrap();
}

/// CREATE → SHOW CREATE TABLE → DROP → run that text → the same table.
async fn round_trip(engine: &Engine, table: &str) {
    let before = engine.catalog().table("db", table).await.unwrap();
    let text = lines(engine, &format!("SHOW CREATE TABLE {table}"))
        .await
        .join("\n");
    run(engine, &format!("DROP TABLE {table}")).await;
    assert!(engine.catalog().table("db", table).await.is_err());
    run(engine, &text).await;
    let after = engine.catalog().table("db", table).await.unwrap();
    assert_eq!(before, after, "{text}");
}

#[tokio::test]
async fn show_create_table_recreates_the_same_table() {
    let (_dir, engine) = engine().await;
    run(
        &engine,
        r#"CREATE EXTERNAL TABLE db.Events (
             `ID` bigint COMMENT 'it''s the key',
             payload struct<a:int,`b c`:array<map<string,decimal(8,2)>>>,
             ts timestamp)
           COMMENT 'events, tab\there'
           PARTITIONED BY (dt string COMMENT 'day', h int)
           ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
           WITH SERDEPROPERTIES ('ignore.malformed.json'='true', 'mapping.id'='Id\\x')
           STORED AS TEXTFILE
           LOCATION 's3://bucket/events/'
           TBLPROPERTIES ('projection.enabled'='false', 'note'='a\001b')"#,
    )
    .await;
    let events = engine.catalog().table("db", "events").await.unwrap();
    assert_eq!(events.columns[0].name, "id");
    assert_eq!(events.comment.as_deref(), Some("events, tab\there"));
    assert_eq!(events.serde_parameters["mapping.id"], "Id\\x");
    assert_eq!(events.parameters["note"], "a\u{1}b");
    assert_eq!(events.parameters["EXTERNAL"], "TRUE");
    round_trip(&engine, "events").await;

    run(
        &engine,
        "CREATE EXTERNAL TABLE db.items (id int, price decimal(10,2)) STORED AS PARQUET LOCATION 's3://bucket/items/'",
    )
    .await;
    round_trip(&engine, "items").await;
    run(
        &engine,
        "CREATE EXTERNAL TABLE strict_json (id int) STORED AS JSON LOCATION 's3://bucket/j/'",
    )
    .await;
    round_trip(&engine, "strict_json").await;
    // A real Glue dump (the sample's Firehose table, with projection).
    round_trip(&engine, "clickstream").await;
}

#[tokio::test]
async fn ddl_errors_are_one_clear_sentence() {
    let (_dir, engine) = engine().await;
    let error = |sql: &'static str| {
        let engine = &engine;
        async move { engine.sql(sql).await.unwrap_err().user_message() }
    };
    assert_eq!(
        error("CREATE EXTERNAL TABLE clickstream (a int) STORED AS PARQUET LOCATION 's3://b/'")
            .await,
        "table db.clickstream already exists"
    );
    assert_eq!(
        error("CREATE EXTERNAL TABLE dbb.t (a int) STORED AS PARQUET LOCATION 's3://b/'").await,
        "database dbb does not exist; did you mean db?"
    );
    assert_eq!(
        error("CREATE EXTERNAL TABLE t (a int, A string) STORED AS PARQUET LOCATION 's3://b/'")
            .await,
        "CREATE EXTERNAL TABLE db.t: column a is declared twice"
    );
    assert_eq!(
        error("CREATE EXTERNAL TABLE t (a int) STORED AS PARQUET").await,
        "CREATE EXTERNAL TABLE db.t: LOCATION is required for an external table"
    );
    assert_eq!(
        error("ALTER TABLE clickstream ADD PARTITION (dt='1')").await,
        "table db.clickstream: dt is not a partition key; the partition keys are datehour"
    );
    assert_eq!(
        error("SHOW TBLPROPERTIES clickstream ('nope')").await,
        "SHOW TBLPROPERTIES db.clickstream: the table has no property \"nope\""
    );
    assert_eq!(
        error("DESCRIBE clickstream evnt_id").await,
        "DESCRIBE db.clickstream: no column evnt_id; did you mean event_id?"
    );
    assert_eq!(
        error("EXECUTE q").await,
        "EXECUTE q: no prepared statement q in this session"
    );
    // No SHOW, DESCRIBE or failed DDL left anything behind.
    assert_eq!(lines(&engine, "SHOW TABLES").await, ["clickstream"]);
}

/// A view lathe makes is stored exactly as Athena stores one: the expected
/// `ViewOriginalText` is Python's `base64.b64encode` of the JSON Trino's
/// `ConnectorViewDefinition` codec writes for it.
#[tokio::test]
async fn create_view_writes_athena_glue_shape() {
    let (dir, engine) = engine().await;
    run(
        &engine,
        "CREATE VIEW v AS SELECT user_id, device, tags FROM clickstream",
    )
    .await;
    let text = std::fs::read_to_string(dir.path().join("db/v.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let table = &json["Table"];
    assert_eq!(table["TableType"], "VIRTUAL_VIEW");
    assert_eq!(
        table["Parameters"],
        serde_json::json!({"comment": "Presto View", "presto_view": "true"})
    );
    assert_eq!(table["ViewExpandedText"], "/* Presto View */");
    // {"originalSql":"SELECT user_id, device, tags FROM clickstream","catalog":"awsdatacatalog",
    // "schema":"db","columns":[{"name":"user_id","type":"bigint"},{"name":"device",
    // "type":"row(os varchar,browser varchar,is_mobile boolean)"},{"name":"tags",
    // "type":"array(varchar)"}],"runAsInvoker":false}
    assert_eq!(
        table["ViewOriginalText"],
        "/* Presto View: eyJvcmlnaW5hbFNxbCI6IlNFTEVDVCB1c2VyX2lkLCBkZXZpY2UsIHRhZ3MgRlJPTSBjbGlja3N0cmVhbSIsImNhdGFsb2ciOiJhd3NkYXRhY2F0YWxvZyIsInNjaGVtYSI6ImRiIiwiY29sdW1ucyI6W3sibmFtZSI6InVzZXJfaWQiLCJ0eXBlIjoiYmlnaW50In0seyJuYW1lIjoiZGV2aWNlIiwidHlwZSI6InJvdyhvcyB2YXJjaGFyLGJyb3dzZXIgdmFyY2hhcixpc19tb2JpbGUgYm9vbGVhbikifSx7Im5hbWUiOiJ0YWdzIiwidHlwZSI6ImFycmF5KHZhcmNoYXIpIn1dLCJydW5Bc0ludm9rZXIiOmZhbHNlfQ== */"
    );
    assert_eq!(
        table["StorageDescriptor"]["Columns"],
        serde_json::json!([
            {"Name": "user_id", "Type": "bigint"},
            {"Name": "device", "Type": "struct<os:string,browser:string,is_mobile:boolean>"},
            {"Name": "tags", "Type": "array<string>"}
        ])
    );
    assert_eq!(table["StorageDescriptor"]["Location"], "");
    assert_eq!(table["PartitionKeys"], serde_json::json!([]));
    assert_eq!(lines(&engine, "SHOW VIEWS").await, ["v"]);
    assert_eq!(lines(&engine, "SHOW TABLES").await, ["clickstream", "v"]);
}
