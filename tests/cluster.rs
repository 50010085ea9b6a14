//! lathe on a Ballista cluster: one scheduler and two executors in this
//! process, on free loopback ports, answering exactly as the local engine
//! does (bundled named queries, gzip JSON with projection, Parquet with
//! registered partitions and upper-case file columns, Trino functions); the
//! same as real `lathe cluster` processes, one of which is killed midway
//! through a query; and the errors of a cluster that is not there, has gone,
//! or runs another lathe.

mod common;

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ballista_executor::executor_process::ExecutorProcessConfig;
use ballista_scheduler::config::SchedulerConfig;
use common::cluster::{SubprocessCluster, entries, free_port};
use common::spike::{SPIKE_HOUR, write_spike_hour};
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::parquet::arrow::ArrowWriter;
use lathe::{Config, Engine};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

/// The shared cluster: its runtime keeps the scheduler and executors running
/// for the whole test binary.
struct Cluster {
    url: String,
    runtime: Runtime,
    _work: tempfile::TempDir,
}

/// Starts the cluster once; panics (failing the test) when it cannot start.
fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_stack_size(32 * 1024 * 1024)
            .build()
            .expect("cannot start the cluster's runtime");
        let (scheduler_port, _) = spawn_scheduler(&runtime);
        let work = tempfile::tempdir().unwrap();
        let mut flight_ports = Vec::new();
        for i in 0..2 {
            let dir = work.path().join(format!("executor-{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            let port = free_port();
            flight_ports.push(port);
            let config = ExecutorProcessConfig {
                bind_host: "127.0.0.1".into(),
                external_host: Some("127.0.0.1".into()),
                port,
                grpc_port: free_port(),
                scheduler_host: "127.0.0.1".into(),
                scheduler_port,
                scheduler_connect_timeout_seconds: 30,
                // One task at a time: a stage's two tasks run on both
                // executors, so data crosses between them.
                vcores: 1,
                work_dir: Some(dir.to_string_lossy().into_owned()),
                ..ExecutorProcessConfig::default()
            };
            runtime.spawn(async move {
                if let Err(e) = lathe::cluster::run_executor(config).await {
                    eprintln!("executor stopped: {e}");
                }
            });
        }
        // Both executors serve Flight once they have started.
        for port in flight_ports {
            let started = std::time::Instant::now();
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    started.elapsed() < Duration::from_secs(120),
                    "executor on port {port} did not start"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Cluster {
            url: format!("df://127.0.0.1:{scheduler_port}"),
            runtime,
            _work: work,
        }
    })
}

/// Starts a scheduler on `runtime` on a free port; returns the port and the
/// task serving it (aborting the task stops the scheduler).
fn spawn_scheduler(runtime: &Runtime) -> (u16, JoinHandle<()>) {
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("cannot bind the scheduler's port");
    let port = listener.local_addr().unwrap().port();
    let config = SchedulerConfig {
        bind_host: "127.0.0.1".into(),
        external_host: "127.0.0.1".into(),
        bind_port: port,
        ..SchedulerConfig::default()
    };
    let task = runtime.spawn(async move {
        if let Err(e) = lathe::cluster::serve_scheduler(listener, config).await {
            eprintln!("scheduler stopped: {e}");
        }
    });
    (port, task)
}

fn sample_config(catalog: &Path) -> Config {
    Config {
        catalog: catalog.to_path_buf(),
        database: "web".into(),
        location_map: common::sample_map(),
        ..Config::default()
    }
}

type Rows = Vec<Vec<Option<String>>>;

/// Column names and rows as Athena prints them.
async fn answer(engine: &Engine, sql: &str) -> (Vec<String>, Rows) {
    let frame = engine
        .sql(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let names = frame
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    // A guard against a hung cluster, not a timing assertion.
    let batches = tokio::time::timeout(Duration::from_secs(600), frame.collect())
        .await
        .unwrap_or_else(|_| panic!("{sql}: no answer within 10 minutes"))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let rows = batches
        .iter()
        .flat_map(|b| lathe::render::batch_text(b).unwrap())
        .collect();
    (names, rows)
}

/// Runs each query locally and on the cluster at `url`; the answers must be
/// equal (and not empty).
async fn same_answers(url: &str, catalog: &Path, queries: &[String]) {
    let local = Engine::new(&sample_config(catalog)).await.unwrap();
    let config = Config {
        cluster: Some(url.to_string()),
        ..sample_config(catalog)
    };
    let remote = Engine::new(&config).await.unwrap();
    for sql in queries {
        let expected = answer(&local, sql).await;
        assert!(!expected.1.is_empty(), "{sql}: no rows locally");
        let got = answer(&remote, sql).await;
        assert_eq!(got, expected, "{sql}");
    }
}

fn run<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn named_queries_answer_as_locally() {
    let queries: Vec<String> = common::NAMED_QUERIES
        .iter()
        .map(|name| {
            std::fs::read_to_string(common::repo().join(format!("queries/{name}.sql"))).unwrap()
        })
        .collect();
    run(same_answers(
        &cluster().url,
        &common::repo().join("catalog"),
        &queries,
    ));
}

/// A view is planned on the client and inlined: the cluster runs the view's
/// tables, and the sample's Athena-made view answers as locally.
#[test]
fn views_answer_as_locally() {
    let queries = [
        std::fs::read_to_string(common::repo().join("queries/weekly_revenue.sql")).unwrap(),
        "SELECT order_date, orders, revenue FROM master.daily_revenue \
         WHERE order_date >= DATE '2024-05-03' ORDER BY order_date"
            .to_string(),
    ];
    run(same_answers(
        &cluster().url,
        &common::repo().join("catalog"),
        &queries,
    ));
}

#[test]
fn gzip_json_with_projection_trino_functions_lambdas_and_unnest() {
    let queries = [
        // Three of the table's columns, from one hour's gzipped files.
        "SELECT session_id, device.os AS os, utm['campaign'] AS campaign FROM web.clickstream \
         WHERE datehour = '2024/05/04/18' ORDER BY session_id, os, campaign",
        // Trino's functions, on the executors.
        "SELECT date_format(date_trunc('hour', event_time), '%Y-%m-%d %H:00') AS hour, \
         count_if(event_type = 'purchase') AS purchases, \
         max_by(page_url, event_time) AS last_page, \
         regexp_extract(max(page_url), '^https://[^/]+/([a-z]*)', 1) AS section, \
         json_extract_scalar('{\"a\": {\"b\": 7}}', '$.a.b') AS b \
         FROM web.clickstream WHERE datehour BETWEEN '2024/05/04/17' AND '2024/05/04/19' \
         GROUP BY 1 ORDER BY 1",
        // Athena's dialect: a lambda over a column, UNNEST over a column.
        "SELECT session_id, transform(tags, t -> upper(t)) AS tags, \
         reduce(tags, 0, (n, t) -> n + length(t), n -> n) AS letters \
         FROM web.clickstream WHERE datehour = '2024/05/04/18' AND cardinality(tags) > 0 \
         ORDER BY event_id",
        "SELECT tag, count(*) AS events FROM web.clickstream CROSS JOIN UNNEST(tags) AS u(tag) \
         WHERE datehour BETWEEN '2024/05/04/17' AND '2024/05/04/19' GROUP BY 1 ORDER BY 1",
        // A join across formats: JSON events with Parquet products.
        "SELECT p.category, count(*) AS events FROM web.clickstream c \
         JOIN master.products p ON c.product_id = p.product_id \
         WHERE c.datehour = '2024/05/04/18' GROUP BY 1 ORDER BY 1",
    ]
    .map(String::from);
    run(same_answers(
        &cluster().url,
        &common::repo().join("catalog"),
        &queries,
    ));
}

#[test]
fn parquet_with_registered_partitions_and_upper_case_columns() {
    let fixtures = common::build();
    let catalog = fixtures.catalog();
    run(async {
        // Register master.orders' partitions: from now on only those are read.
        let local = Engine::new(&sample_config(&catalog)).await.unwrap();
        answer(&local, "MSCK REPAIR TABLE master.orders").await;
        assert!(catalog.join("master/orders.partitions.json").is_file());
    });
    let queries = [
        "SELECT order_date, count(*) AS orders, sum(total) AS total FROM master.orders \
         WHERE order_date BETWEEN DATE '2024-05-03' AND DATE '2024-05-05' GROUP BY 1 ORDER BY 1",
        "SELECT * FROM fx.shouting ORDER BY id",
        "SELECT year, region, count(*) AS n FROM fx.registered GROUP BY 1, 2 ORDER BY 1, 2",
    ]
    .map(String::from);
    run(same_answers(&cluster().url, &catalog, &queries));
}

/// A Delta table (its log read again where the plan is decoded) and an Avro
/// table written by CTAS answer on a cluster as locally.
#[test]
fn delta_and_avro_tables_answer_as_locally() {
    let fixtures = common::build();
    let catalog = fixtures.catalog();
    let avro = fixtures.dir.path().join("avro_orders");
    run(async {
        let local = Engine::new(&sample_config(&catalog)).await.unwrap();
        answer(
            &local,
            &format!(
                "CREATE TABLE fx.avro_orders WITH (format = 'AVRO', external_location = \
                 'file://{}/', partitioned_by = ARRAY['status']) AS \
                 SELECT order_id, total, status FROM master.orders",
                avro.display()
            ),
        )
        .await;
    });
    let queries = [
        "SELECT region, status, count(*) AS n FROM fx.delta_orders WHERE region = 'eu' \
         GROUP BY 1, 2 ORDER BY 1, 2",
        "SELECT status, count(*) AS n, sum(total) AS total FROM fx.avro_orders \
         GROUP BY 1 ORDER BY 1",
    ]
    .map(String::from);
    run(same_answers(&cluster().url, &catalog, &queries));
}

/// The sentence of the query's failure, with the engine of `config`.
async fn failure(config: &Config, sql: &str) -> String {
    let engine = Engine::new(config).await.unwrap();
    let err = match engine.sql(sql).await {
        Ok(frame) => frame.collect().await.map(|_| ()).unwrap_err().into(),
        Err(e) => e,
    };
    err.user_message()
}

#[test]
fn a_parquet_file_of_other_column_types_is_named_with_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data/ids");
    std::fs::create_dir_all(&data).unwrap();
    let batch = RecordBatch::try_from_iter(vec![(
        "id",
        Arc::new(StringArray::from(vec!["x", "y"])) as ArrayRef,
    )])
    .unwrap();
    let file = data.join("part-0.parquet");
    let mut writer =
        ArrowWriter::try_new(std::fs::File::create(&file).unwrap(), batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let catalog = dir.path().join("catalog");
    std::fs::create_dir_all(catalog.join("h")).unwrap();
    let table = serde_json::json!({"Table": {
        "Name": "ids", "DatabaseName": "h", "PartitionKeys": [],
        "Parameters": {"classification": "parquet"},
        "StorageDescriptor": {
            "Columns": [{"Name": "id", "Type": "bigint"}],
            "Location": format!("file://{}/", data.display()),
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "SerdeInfo": {"SerializationLibrary":
                "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}}});
    std::fs::write(catalog.join("h/ids.json"), table.to_string()).unwrap();
    let config = sample_config(&catalog);
    let sql = "SELECT sum(id) FROM h.ids";
    let url = cluster().url.clone();
    let (local, remote) = run(async {
        let remote = Config {
            cluster: Some(url),
            ..config.clone()
        };
        (failure(&config, sql).await, failure(&remote, sql).await)
    });
    assert_eq!(
        local,
        format!(
            "{}: column id is string in the file but bigint in table h.ids; fix the file or \
             the column's type in the catalog",
            file.display()
        )
    );
    // The scheduler checks the footers it reads to plan (the executors get
    // the scan without lathe's checking reader).
    assert_eq!(remote, format!("the query failed on the cluster: {local}"));
}

#[test]
fn an_unreachable_scheduler_is_one_sentence() {
    let port = free_port();
    let config = Config {
        cluster: Some(format!("df://127.0.0.1:{port}")),
        ..sample_config(&common::repo().join("catalog"))
    };
    let err = run(Engine::new(&config)).unwrap_err().user_message();
    assert!(
        err.starts_with(&format!(
            "cannot reach the Ballista scheduler at df://127.0.0.1:{port} (Connection refused"
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
}

/// The error sentence of a query on the cluster at `url`, once `prepare`
/// has run on the connected client.
fn failed_query(url: String, prepare: impl AsyncFnOnce(&Engine)) -> String {
    run(async move {
        let config = Config {
            cluster: Some(url),
            ..sample_config(&common::repo().join("catalog"))
        };
        let engine = Engine::new(&config).await.unwrap();
        prepare(&engine).await;
        let frame = engine
            .sql("SELECT count(*) FROM master.products")
            .await
            .unwrap();
        lathe::Error::from(frame.collect().await.unwrap_err()).user_message()
    })
}

#[test]
fn a_client_of_another_lathe_version_is_refused_in_one_sentence() {
    let err = failed_query(cluster().url.clone(), async |engine| {
        // As a client built from another lathe announces itself.
        engine
            .sql("SET lathe.version = '0.0.0-elsewhere'")
            .await
            .unwrap();
    });
    assert_eq!(
        err,
        format!(
            "the client runs lathe 0.0.0-elsewhere, but the scheduler runs lathe {}; run the \
             same lathe build on the client, the scheduler and every executor",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn a_scheduler_gone_during_a_session_is_one_sentence() {
    // A scheduler of its own, stopped once the client has connected.
    let (port, scheduler) = spawn_scheduler(&cluster().runtime);
    let err = failed_query(format!("df://127.0.0.1:{port}"), async |_| {
        scheduler.abort();
        let _ = scheduler.await;
    });
    assert_eq!(
        err,
        format!(
            "cannot reach the Ballista scheduler at df://127.0.0.1:{port} (Connection refused); \
             start one with `lathe cluster scheduler` or check --cluster"
        )
    );
}

fn lathe() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lathe"));
    command.current_dir(common::repo());
    command
}

#[test]
fn subprocesses_scheduler_two_executors_and_a_client() {
    let mut cluster = SubprocessCluster::start(|_| {}, &[], &[]);
    let url = cluster.url.clone();
    for name in ["daily_active_users", "revenue_by_category"] {
        let local = lathe()
            .args(["run", name, "--format", "csv"])
            .output()
            .unwrap();
        assert!(
            local.status.success(),
            "{}",
            String::from_utf8_lossy(&local.stderr)
        );
        let remote = lathe()
            .args(["--cluster", &url, "run", name, "--format", "csv"])
            .output()
            .unwrap();
        assert!(
            remote.status.success(),
            "{}",
            String::from_utf8_lossy(&remote.stderr)
        );
        let text = String::from_utf8(remote.stdout).unwrap();
        assert!(text.lines().count() > 2, "{text}");
        assert_eq!(text, String::from_utf8(local.stdout).unwrap(), "{name}");
    }
    // A scheduler that is gone: one sentence and exit status 1.
    cluster.stop();
    let gone = lathe()
        .args(["--cluster", &url, "-c", "SELECT 1"])
        .output()
        .unwrap();
    assert_eq!(gone.status.code(), Some(1));
    let stderr = String::from_utf8(gone.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!(
            "error: cannot reach the Ballista scheduler at {url} ("
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// Events in the hour of the executor-loss test: enough that each executor
/// works on its share for a while (about a second on a quiet two-core
/// machine), so that one can be killed in the middle of the query.
const LOSS_EVENTS: u64 = 600_000;

#[test]
fn an_executor_killed_mid_query_is_replaced_and_the_answer_is_whole() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    let truth = write_spike_hour(&raw, LOSS_EVENTS);
    // A shuffle (GROUP BY session), then a final aggregate: the tasks of
    // both stages run on both executors.
    let sql = format!(
        "SELECT count(*) AS sessions, sum(n) AS events FROM \
         (SELECT session_id, count(*) AS n FROM web.clickstream \
          WHERE datehour = '{SPIKE_HOUR}' GROUP BY session_id)"
    );
    let query = |command: &mut std::process::Command| {
        command
            .args(["--config", "/dev/null", "--catalog", "catalog"])
            .arg("--map")
            .arg(format!("s3://acme-raw/={}/", raw.display()))
            .args(["--format", "csv", "-c", &sql]);
    };
    let mut local = lathe();
    query(&mut local);
    let local = local.output().unwrap();
    assert!(
        local.status.success(),
        "{}",
        String::from_utf8_lossy(&local.stderr)
    );
    let expected = format!(
        "\"sessions\",\"events\"\n\"{}\",\"{}\"\n",
        truth.sessions, truth.events
    );
    assert_eq!(String::from_utf8(local.stdout).unwrap(), expected);

    // Ballista notices a lost executor when a shuffle read from it fails,
    // or when its heartbeats stop for --executor-timeout-seconds (180 by
    // default; 10 here, so the test does not wait three minutes).
    let mut cluster = SubprocessCluster::start(
        |_| {},
        &[
            "--executor-timeout-seconds",
            "10",
            "--expire-dead-executor-interval-seconds",
            "1",
        ],
        &["--executor-heartbeat-interval-seconds", "1"],
    );
    let before = entries(&cluster.work_dir(1));
    let mut client = lathe();
    query(client.args(["--cluster", &cluster.url]));
    let client = client
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut client = Client(Some(client));
    // The moment executor 1 has started on the query, it dies.
    let started = Instant::now();
    while entries(&cluster.work_dir(1)) == before {
        assert!(
            client.running(),
            "the query ended before executor 1 took part in it"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "executor 1 was given no task"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    cluster.kill_executor(1);
    let killed = Instant::now();
    assert!(
        client.running(),
        "the query ended before executor 1 was killed"
    );
    let out = client.finish(Duration::from_secs(300));
    eprintln!(
        "executor 1 killed {:.1} s into the query; the answer came {:.1} s later",
        (killed - started).as_secs_f64(),
        killed.elapsed().as_secs_f64()
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    // Ballista reran what the dead executor held or was running.
    let log = cluster.log("scheduler");
    assert!(
        log.contains("FetchPartitionError") || log.contains("Removing executor"),
        "the scheduler never noticed the lost executor:\n{log}"
    );
}

/// A child process killed when dropped, however the test ends.
struct Client(Option<std::process::Child>);

impl Client {
    fn running(&mut self) -> bool {
        matches!(self.0.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// Waits for the child (killing it after `limit`) and returns its output.
    fn finish(&mut self, limit: Duration) -> std::process::Output {
        let started = Instant::now();
        while self.running() {
            assert!(started.elapsed() < limit, "no answer within {limit:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.0.take().unwrap().wait_with_output().unwrap()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
