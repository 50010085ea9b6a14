//! lathe on a Ballista cluster: one scheduler and two executors in this
//! process, on free loopback ports, answering exactly as the local engine
//! does (bundled named queries, gzip JSON with projection, Parquet with
//! registered partitions and upper-case file columns, Trino functions), and
//! the errors of a cluster that is not there.

mod common;

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use ballista_executor::executor_process::ExecutorProcessConfig;
use ballista_scheduler::config::SchedulerConfig;
use lathe::{Config, Engine};
use tokio::runtime::Runtime;

/// The shared cluster: its runtime keeps the scheduler and executors running
/// for the whole test binary.
struct Cluster {
    url: String,
    _runtime: Runtime,
    _work: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("no free loopback port")
        .local_addr()
        .expect("no local address")
        .port()
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
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("cannot bind the scheduler's port");
        let scheduler_port = listener.local_addr().unwrap().port();
        let config = SchedulerConfig {
            bind_host: "127.0.0.1".into(),
            external_host: "127.0.0.1".into(),
            bind_port: scheduler_port,
            ..SchedulerConfig::default()
        };
        runtime.spawn(async move {
            if let Err(e) = lathe::cluster::serve_scheduler(listener, config).await {
                eprintln!("scheduler stopped: {e}");
            }
        });
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
                vcores: 2,
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
            _runtime: runtime,
            _work: work,
        }
    })
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

#[test]
fn gzip_json_with_projection_and_trino_functions() {
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

/// Child processes killed when the test ends, however it ends.
struct Children(Vec<std::process::Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn lathe() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lathe"));
    command.current_dir(common::repo());
    command
}

fn wait_for_port(port: u16, what: &str, children: &mut Children) {
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        for child in &mut children.0 {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("a cluster process exited with {status} before the {what} listened");
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the {what} did not listen on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn subprocesses_scheduler_two_executors_and_a_client() {
    let work = tempfile::tempdir().unwrap();
    let scheduler_port = free_port();
    let mut children = Children(Vec::new());
    children.0.push(
        lathe()
            .args(["cluster", "scheduler", "--bind-host", "127.0.0.1"])
            .args(["--external-host", "127.0.0.1"])
            .args(["--bind-port", &scheduler_port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("cannot start lathe cluster scheduler"),
    );
    wait_for_port(scheduler_port, "scheduler", &mut children);
    for i in 0..2 {
        let port = free_port();
        let dir = work.path().join(format!("executor-{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        children.0.push(
            lathe()
                .args(["cluster", "executor", "--bind-host", "127.0.0.1"])
                .args(["--external-host", "127.0.0.1"])
                .args(["--scheduler-host", "127.0.0.1"])
                .args(["--scheduler-port", &scheduler_port.to_string()])
                .args(["--bind-port", &port.to_string()])
                .args(["--bind-grpc-port", &free_port().to_string()])
                .args(["--work-dir", &dir.to_string_lossy()])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("cannot start lathe cluster executor"),
        );
        wait_for_port(port, "executor", &mut children);
    }
    let url = format!("df://127.0.0.1:{scheduler_port}");
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
    drop(children);
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
