//! lathe against real S3 and Glue protocol servers on loopback: moto_server
//! (S3 + Glue + IAM) and s3s-fs (S3 over a folder), started here on free
//! ports and stopped when the run ends. The bundled sample warehouse is
//! uploaded to both S3 servers and its catalog registered in moto's Glue;
//! every named query must then print exactly what it prints on the local copy.
//! Also: the catalog behaviour suite on both backends, Glue partition
//! pushdown, `--stats` byte counts against the object sizes, and each AWS
//! error a user can meet, as the one sentence they see. Writes
//! (`tests/aws/writes.rs`): DDL, CTAS and INSERT INTO through Glue, exports,
//! UNLOAD and CTAS to S3 on both servers; and a bucket in another region,
//! answered by a stub that speaks as S3 does (`tests/aws/region.rs`). On a
//! Ballista cluster of `lathe cluster` processes (`tests/aws/cluster.rs`):
//! the named queries over S3 and Glue, and executors that cannot reach S3.
//!
//! One named trial per check (libtest-mimic, `harness = false`), so that the
//! servers live exactly as long as the run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};

#[path = "aws/cluster.rs"]
mod cluster;
mod common;
#[path = "aws/region.rs"]
mod region;
#[path = "aws/servers.rs"]
mod servers;
#[path = "aws/writes.rs"]
mod writes;

use servers::Server;

/// The credentials the test servers accept.
const KEY: &str = "AKIALATHETEST";
const SECRET: &str = "lathe-test-secret";

const QUERIES: [&str; 8] = common::NAMED_QUERIES;

/// The servers and what every trial compares against.
struct Env {
    repo: PathBuf,
    python: PathBuf,
    moto: Server,
    /// moto for the write tests (Glue and S3), so that the read suites'
    /// catalog stays as seeded.
    writes: Server,
    s3s: Server,
    /// moto with IAM checks on, and the keys of a user without permissions.
    deny: Server,
    deny_keys: (String, String),
    /// The keys of a user who may only read Glue (on `deny`).
    reader_keys: (String, String),
    /// Each named query's output on the local copy.
    local: BTreeMap<&'static str, String>,
    _s3s_root: tempfile::TempDir,
}

/// The S3 servers the read tests run against.
#[derive(Clone, Copy, Debug)]
enum S3Server {
    Moto,
    S3s,
}

impl Env {
    fn s3(&self, server: S3Server) -> &str {
        match server {
            S3Server::Moto => &self.moto.endpoint,
            S3Server::S3s => &self.s3s.endpoint,
        }
    }
}

fn main() {
    let args = Arguments::from_args();
    lathe::install_crypto_provider();
    let env = start();
    // The in-process catalog trials read AWS's environment, as users' lathe does.
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") {
            // SAFETY: no other thread runs yet; the trials start below.
            unsafe { std::env::remove_var(name) };
        }
    }
    for (name, value) in [
        ("AWS_ACCESS_KEY_ID", KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_REGION", "us-east-1"),
        ("AWS_CONFIG_FILE", "/nonexistent"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_ENDPOINT_URL_GLUE", env.moto.endpoint.as_str()),
    ] {
        // SAFETY: as above.
        unsafe { std::env::set_var(name, value) };
    }
    let env = Arc::new(env);
    let trials = trials(&env);
    let conclusion = libtest_mimic::run(&args, trials);
    // Stop the servers before exiting (exit does not run destructors).
    drop(env);
    conclusion.exit();
}

fn start() -> Env {
    let repo = common::repo();
    let python = common::python();
    let moto = servers::moto(&python, &[]);
    let s3s_root = tempfile::tempdir().unwrap();
    let s3s = servers::s3s_fs(&repo, s3s_root.path(), KEY, SECRET);
    // IAM is enforced after the setup calls (two users, their keys, one policy).
    let deny = servers::moto(&python, &[("INITIAL_NO_AUTH_ACTION_COUNT", "5")]);
    let writes = servers::moto(&python, &[]);

    let buckets = [
        "acme-raw=sample/raw",
        "acme-warehouse=sample/warehouse",
        "mirror=sample/warehouse",
    ];
    for server in [&moto, &s3s] {
        seed(
            &python,
            &repo,
            &["s3", &server.endpoint, repo_str(&repo)],
            &buckets,
        );
    }
    let partitions = seed(
        &python,
        &repo,
        &["glue", &moto.endpoint, repo_str(&repo)],
        &[],
    );
    assert_eq!(
        partitions.trim(),
        "7",
        "master.orders partitions registered"
    );
    for server in [&writes, &s3s] {
        seed(
            &python,
            &repo,
            &["bucket", &server.endpoint, writes::BUCKET],
            &[],
        );
    }
    let keys = seed(&python, &repo, &["deny", &deny.endpoint], &[]);
    let mut pairs = keys.lines().map(|line| {
        let (key, secret) = line.trim().split_once(' ').expect("deny prints KEY SECRET");
        (key.to_string(), secret.to_string())
    });
    let deny_keys = pairs
        .next()
        .expect("the keys of a user without permissions");
    let reader_keys = pairs.next().expect("the keys of a Glue reader");

    let local = QUERIES
        .iter()
        .map(|q| {
            let out = run(local_lathe(&repo).args(["run", q]));
            assert_eq!(out.code, 0, "local {q}: {}", out.stderr);
            (*q, out.stdout)
        })
        .collect();
    Env {
        repo,
        python,
        moto,
        writes,
        s3s,
        deny,
        deny_keys,
        reader_keys,
        local,
        _s3s_root: s3s_root,
    }
}

fn repo_str(repo: &Path) -> &str {
    repo.to_str().expect("the repository path is UTF-8")
}

/// Runs tests/aws/seed.py with AWS settings for the test servers.
fn seed(python: &Path, repo: &Path, args: &[&str], extra: &[&str]) -> String {
    let out = Command::new(python)
        .arg(repo.join("tests/aws/seed.py"))
        .args(args)
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .output()
        .expect("cannot run seed.py");
    assert!(
        out.status.success(),
        "seed.py {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("cannot run lathe");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// lathe on the bundled sample, as the local copy (the bundled lathe.toml maps S3 to sample/).
fn local_lathe(repo: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lathe"));
    cmd.current_dir(repo).env("XDG_CONFIG_HOME", "/nonexistent");
    cmd
}

/// lathe with AWS settings for the test servers and no location map:
/// `s3` is the S3 endpoint, `catalog` a folder or `glue` (on moto).
fn aws_lathe(env: &Env, s3: &str, catalog: &str) -> Command {
    let mut cmd = local_lathe(&env.repo);
    with_aws(&mut cmd, env, s3).args(["--config", "/dev/null", "--catalog", catalog]);
    cmd
}

/// `cmd` with only the AWS settings of the test servers: `s3` is the S3
/// endpoint, Glue is moto's.
fn with_aws<'a>(cmd: &'a mut Command, env: &Env, s3: &str) -> &'a mut Command {
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("AWS_ACCESS_KEY_ID", KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL_S3", s3)
        .env("AWS_ENDPOINT_URL_GLUE", &env.moto.endpoint)
}

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), Failed> {
    if ok { Ok(()) } else { Err(message().into()) }
}

fn same_output(out: &Output, expected: &str, what: &str) -> Result<(), Failed> {
    check(out.code == 0 && out.stderr.is_empty(), || {
        format!("{what}: exit {}: {}", out.code, out.stderr)
    })?;
    check(out.stdout == expected, || {
        format!(
            "{what}: output differs from the local copy\n--- S3\n{}\n--- local\n{expected}",
            out.stdout
        )
    })
}

/// One test body, run against the shared servers.
type Check = Box<dyn FnOnce(&Env) -> Result<(), Failed> + Send>;

fn trials(env: &Arc<Env>) -> Vec<Trial> {
    let mut trials = Vec::new();
    let mut add = |name: String, f: Check| {
        let env = Arc::clone(env);
        trials.push(Trial::test(name, move || f(&env)));
    };
    for server in [S3Server::Moto, S3Server::S3s] {
        for query in QUERIES {
            let name = format!("s3::{server:?}::{query}").to_lowercase();
            add(
                name,
                Box::new(move |env| {
                    let out = run(aws_lathe(env, env.s3(server), "catalog").args(["run", query]));
                    same_output(&out, &env.local[query], query)
                }),
            );
        }
        add(
            format!("s3::{server:?}::map_to_another_bucket").to_lowercase(),
            Box::new(move |env| map_to_another_bucket(env, server)),
        );
        add(
            format!("errors::{server:?}::missing_bucket").to_lowercase(),
            Box::new(move |env| missing_bucket(env, server)),
        );
    }
    for query in QUERIES {
        add(
            format!("glue::{query}"),
            Box::new(move |env| {
                let out = run(aws_lathe(env, &env.moto.endpoint, "glue").args(["run", query]));
                same_output(&out, &env.local[query], query)
            }),
        );
    }
    add(
        "glue::partition_predicates".into(),
        Box::new(glue_partition_predicates),
    );
    add(
        "catalog::local".into(),
        Box::new(|env| catalog_suite(env, false)),
    );
    add(
        "catalog::glue".into(),
        Box::new(|env| catalog_suite(env, true)),
    );
    add("catalog::glue_pushdown".into(), Box::new(glue_pushdown));
    add(
        "stats::json_bytes_are_object_sizes".into(),
        Box::new(stats_json),
    );
    add(
        "stats::parquet_reads_footers_and_chunks".into(),
        Box::new(stats_parquet),
    );
    add("errors::unreachable".into(), Box::new(unreachable));
    add("errors::missing_table".into(), Box::new(missing_table));
    add(
        "errors::rejected_credentials".into(),
        Box::new(rejected_credentials),
    );
    add("errors::no_credentials".into(), Box::new(no_credentials));
    add("errors::access_denied".into(), Box::new(access_denied));
    for server in [S3Server::Moto, S3Server::S3s] {
        add(
            format!("s3_writes::{server:?}::exports").to_lowercase(),
            Box::new(move |env| writes::exports(env, server)),
        );
        add(
            format!("s3_writes::{server:?}::unload").to_lowercase(),
            Box::new(move |env| writes::unload(env, server)),
        );
        add(
            format!("glue_writes::{server:?}::ctas_and_insert_into").to_lowercase(),
            Box::new(move |env| writes::ctas_and_insert(env, server)),
        );
    }
    add(
        "glue_writes::ddl_as_in_the_local_catalog".into(),
        Box::new(writes::ddl_round_trip),
    );
    add(
        "glue_writes::views_as_in_the_local_catalog".into(),
        Box::new(writes::views_round_trip),
    );
    add(
        "glue_writes::errors".into(),
        Box::new(writes::glue_write_errors),
    );
    add(
        "errors::wrong_region_permanent_redirect".into(),
        Box::new(|env| region::wrong_region(env, region::Answer::PermanentRedirect)),
    );
    add(
        "errors::wrong_region_authorization_header_malformed".into(),
        Box::new(|env| region::wrong_region(env, region::Answer::AuthorizationHeaderMalformed)),
    );
    add(
        "cluster::named_queries_over_s3_and_glue".into(),
        Box::new(cluster::named_queries),
    );
    add(
        "cluster::executors_that_cannot_reach_s3".into(),
        Box::new(cluster::executors_cannot_reach_s3),
    );
    trials
}

fn map_to_another_bucket(env: &Env, server: S3Server) -> Result<(), Failed> {
    let out = run(aws_lathe(env, env.s3(server), "catalog")
        .args(["--map", "s3://acme-warehouse/=s3://mirror/"])
        .args(["run", "customer_segment_revenue"]));
    same_output(
        &out,
        &env.local["customer_segment_revenue"],
        "mapped to s3://mirror/",
    )
}

fn glue_partition_predicates(env: &Env) -> Result<(), Failed> {
    // Predicates Glue evaluates (BETWEEN, IN, OR) and one it cannot (a function).
    let sql = "SELECT order_date, count(*) AS n FROM master.orders \
               WHERE (order_date BETWEEN DATE '2024-05-02' AND DATE '2024-05-03' \
                      OR order_date IN (DATE '2024-05-06')) \
                 AND day_of_week(order_date) <> 7 \
               GROUP BY 1 ORDER BY 1";
    let local = run(local_lathe(&env.repo).args(["--format", "csv", "-c", sql]));
    check(local.code == 0, || local.stderr.clone())?;
    check(local.stdout.lines().count() > 2, || local.stdout.clone())?;
    let glue = run(aws_lathe(env, &env.moto.endpoint, "glue").args(["--format", "csv", "-c", sql]));
    same_output(&glue, &local.stdout, "Glue partitions with predicates")
}

/// One catalog behaviour suite, run on the local folder and on Glue.
fn catalog_suite(env: &Env, glue: bool) -> Result<(), Failed> {
    use lathe::Catalog;
    use lathe::catalog::local::LocalCatalog;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let local = LocalCatalog::open(env.repo.join("catalog"))?;
        let catalog: Box<dyn Catalog> = if glue {
            Box::new(glue_catalog(env).await?)
        } else {
            Box::new(LocalCatalog::open(env.repo.join("catalog"))?)
        };
        // `default` always exists, as in Athena and Glue, folder or not.
        let databases = catalog.databases().await?;
        check(databases == ["default", "master", "web"], || {
            format!("databases {databases:?}")
        })?;
        let tables = catalog.tables("MASTER").await?;
        check(
            tables == ["customers", "daily_revenue", "order_status", "orders", "products", "shipments"],
            || format!("{tables:?}"),
        )?;
        for (db, table) in [
            ("Web", "ClickStream"),
            ("master", "orders"),
            ("MASTER", "Products"),
            ("master", "Daily_Revenue"),
        ] {
            let def = catalog.table(db, table).await?;
            let expected = local.table(db, table).await?;
            check(def == expected, || {
                format!("{db}.{table}: {def:?} != {expected:?}")
            })?;
        }
        // The sample's Athena-made view, as its hand-written JSON says.
        let view = catalog.table("master", "daily_revenue").await?;
        let sql = view.view.as_ref().map(|v| (v.sql.as_str(), v.schema.as_deref()));
        check(
            sql == Some((
                "SELECT order_date, count(*) AS orders, sum(total) AS revenue\nFROM orders\nGROUP BY order_date",
                Some("master"),
            )),
            || format!("{view:?}"),
        )?;
        let types: Vec<&str> = view.columns.iter().map(|c| c.type_string.as_str()).collect();
        check(types == ["date", "bigint", "decimal(38,2)"], || {
            format!("{types:?}")
        })?;
        let err = catalog
            .table("web", "clikstream")
            .await
            .unwrap_err()
            .to_string();
        check(
            err == "table web.clikstream does not exist; did you mean web.clickstream?",
            || err.clone(),
        )?;
        let err = catalog
            .table("wbe", "clickstream")
            .await
            .unwrap_err()
            .to_string();
        check(
            err == "database wbe does not exist; did you mean web?",
            || err.clone(),
        )?;
        let err = catalog.tables("sales").await.unwrap_err().to_string();
        check(err == "database sales does not exist", || err.clone())?;
        catalog.refresh();
        let def = catalog.table("web", "clickstream").await?;
        check(def.partition_keys[0].name == "datehour", || {
            format!("{def:?}")
        })?;
        Ok(())
    })
}

/// A Glue catalog on moto, configured through the environment (set in `main`)
/// as lathe's users configure it.
async fn glue_catalog(env: &Env) -> Result<lathe::catalog::glue::GlueCatalog, Failed> {
    let catalog = lathe::catalog::glue::GlueCatalog::connect(None).await?;
    check(
        std::env::var("AWS_ENDPOINT_URL_GLUE").as_deref() == Ok(env.moto.endpoint.as_str()),
        || "the Glue endpoint is not moto's".into(),
    )?;
    Ok(catalog)
}

fn glue_pushdown(env: &Env) -> Result<(), Failed> {
    use datafusion::prelude::{col, lit};
    use datafusion::scalar::ScalarValue;
    use lathe::Catalog;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let catalog = glue_catalog(env).await?;
        let orders = catalog.table("master", "orders").await?;
        let all = catalog.partitions(&orders).await?.ok_or("no partitions")?;
        check(all.len() == 7, || format!("{} partitions", all.len()))?;
        // 2024-05-03 is day 19846 since 1970-01-01.
        let day = lit(ScalarValue::Date32(Some(19846)));
        let filters = [col("order_date").eq(day)];
        let one = catalog.partitions_matching(&orders, &filters).await?;
        let one = one.ok_or("no partitions")?;
        check(one.len() == 1, || format!("{one:?}"))?;
        check(one[0].values == ["2024-05-03"], || format!("{one:?}"))?;
        check(
            one[0].location == "s3://acme-warehouse/master/orders/order_date=2024-05-03/",
            || format!("{one:?}"),
        )?;
        Ok(())
    })
}

/// The `(N bytes)` of a `--stats` line, after checking the line's shape.
fn scanned_bytes(stderr: &str) -> Result<u64, Failed> {
    let line = stderr.lines().last().unwrap_or_default();
    let shape = regex::Regex::new(
        r"^\d+ rows? in \d+\.\d{3} s, scanned [\d.]+ [KMGT]?B \((\d+) bytes\), est\. cost \$\d+\.\d{5}$",
    )?;
    let captures = shape
        .captures(line)
        .ok_or_else(|| format!("not a --stats line: {line:?}"))?;
    Ok(captures[1].parse()?)
}

fn folder_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        total += if path.is_dir() {
            folder_bytes(&path)
        } else {
            entry.metadata().unwrap().len()
        };
    }
    total
}

fn stats_json(env: &Env) -> Result<(), Failed> {
    let raw = env.repo.join("sample/raw/firehose/clickstream");
    let cases = [
        (
            "WHERE datehour = '2024/05/04/18'",
            folder_bytes(&raw.join("2024/05/04/18")),
        ),
        ("", folder_bytes(&raw)),
    ];
    for (filter, size) in cases {
        let sql = format!("SELECT count(*) FROM web.clickstream {filter}");
        for (name, mut cmd) in [
            ("s3s", aws_lathe(env, &env.s3s.endpoint, "catalog")),
            ("local", local_lathe(&env.repo)),
        ] {
            let out = run(cmd.args(["--stats", "-c", &sql]));
            check(out.code == 0, || out.stderr.clone())?;
            let bytes = scanned_bytes(&out.stderr)?;
            eprintln!("{name}: {sql:?}: --stats {bytes} bytes, objects {size} bytes");
            check(bytes == size, || {
                format!("{name}: {sql}: {bytes} != {size}")
            })?;
        }
    }
    Ok(())
}

fn stats_parquet(env: &Env) -> Result<(), Failed> {
    let orders = env.repo.join("sample/warehouse/master/orders");
    let one_size = folder_bytes(&orders.join("order_date=2024-05-03"));
    let all_size = folder_bytes(&orders);
    let stats = |sql: &str| -> Result<u64, Failed> {
        let out = run(aws_lathe(env, &env.s3s.endpoint, "catalog").args(["--stats", "-c", sql]));
        check(out.code == 0, || out.stderr.clone())?;
        scanned_bytes(&out.stderr)
    };
    let one_all = stats("SELECT * FROM master.orders WHERE order_date = DATE '2024-05-03'")?;
    let one_col =
        stats("SELECT sum(total) FROM master.orders WHERE order_date = DATE '2024-05-03'")?;
    let all = stats("SELECT * FROM master.orders")?;
    eprintln!(
        "one partition: all columns {one_all} bytes, one column {one_col} bytes, object {one_size} bytes; \
         full scan {all} bytes, objects {all_size} bytes"
    );
    // All columns: every column chunk and the footer, not the leading magic
    // nor the page indexes no predicate needs; one column: its chunk and the footer.
    check(one_all < one_size && one_all * 10 >= one_size * 8, || {
        format!("one partition, all columns: {one_all} of {one_size}")
    })?;
    check(one_col < one_all, || {
        format!("one column {one_col} vs all {one_all}")
    })?;
    check(all < all_size && all > one_all * 6, || {
        format!("full scan {all} of {all_size}")
    })
}

fn expect_error(out: &Output, expected: &str) -> Result<(), Failed> {
    check(
        out.code == 1 && out.stderr == format!("error: {expected}\n"),
        || format!("exit {}: {:?}\nexpected {expected:?}", out.code, out.stderr),
    )
}

fn unreachable(env: &Env) -> Result<(), Failed> {
    let closed = format!("http://127.0.0.1:{}", servers::free_port());
    let out = run(
        aws_lathe(env, &closed, "catalog").args(["-c", "SELECT count(*) FROM master.products"])
    );
    expect_error(
        &out,
        &format!(
            "cannot reach S3 at {closed} (connection refused); check the network, AWS_REGION \
             and any AWS_ENDPOINT_URL setting"
        ),
    )?;
    let out = run(aws_lathe(env, &env.moto.endpoint, "glue")
        .env("AWS_ENDPOINT_URL_GLUE", &closed)
        .args(["-c", "SELECT 1"]));
    expect_error(
        &out,
        &format!(
            "cannot reach Glue at {closed} (connection refused); check the network, AWS_REGION \
             and any AWS_ENDPOINT_URL setting"
        ),
    )
}

fn missing_bucket(env: &Env, server: S3Server) -> Result<(), Failed> {
    let out = run(aws_lathe(env, env.s3(server), "catalog")
        .args(["--map", "s3://acme-warehouse/=s3://no-such-bucket/"])
        .args(["-c", "SELECT count(*) FROM master.products"]));
    expect_error(
        &out,
        "S3 bucket no-such-bucket does not exist; check the table's location and any --map rule for it",
    )
}

fn missing_table(env: &Env) -> Result<(), Failed> {
    let out = run(
        aws_lathe(env, &env.moto.endpoint, "glue").args(["-c", "SELECT * FROM web.clikstream"])
    );
    expect_error(
        &out,
        "table web.clikstream does not exist; did you mean web.clickstream?",
    )?;
    let out = run(aws_lathe(env, &env.moto.endpoint, "glue").args([
        "--database",
        "master",
        "-c",
        "SELECT * FROM clickstream",
    ]));
    expect_error(
        &out,
        "table master.clickstream does not exist; did you mean web.clickstream?",
    )
}

fn rejected_credentials(env: &Env) -> Result<(), Failed> {
    let out = run(aws_lathe(env, &env.s3s.endpoint, "catalog")
        .env("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        .args(["-c", "SELECT count(*) FROM master.products"]));
    expect_error(
        &out,
        "S3 rejected the AWS credentials (SignatureDoesNotMatch); check AWS_PROFILE or renew them \
         (e.g. `aws sso login`)",
    )?;
    check(!out.stderr.contains("not-the-secret"), || {
        "secret printed".into()
    })
}

fn no_credentials(env: &Env) -> Result<(), Failed> {
    let hint = "set AWS_PROFILE (and run `aws sso login` for an SSO profile) or AWS_ACCESS_KEY_ID \
                and AWS_SECRET_ACCESS_KEY";
    for (catalog, service) in [("catalog", "S3"), ("glue", "Glue")] {
        let out = run(aws_lathe(env, &env.s3s.endpoint, catalog)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .args(["-c", "SELECT count(*) FROM master.products"]));
        expect_error(
            &out,
            &format!("no AWS credentials found for {service}; {hint}"),
        )?;
    }
    Ok(())
}

fn access_denied(env: &Env) -> Result<(), Failed> {
    let (key, secret) = &env.deny_keys;
    let denied = |catalog: &str| {
        let mut cmd = aws_lathe(env, &env.deny.endpoint, catalog);
        cmd.env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_ENDPOINT_URL_GLUE", &env.deny.endpoint)
            .args(["-c", "SELECT count(*) FROM master.products"]);
        run(&mut cmd)
    };
    let hint =
        "the AWS identity in use lacks permission for it (check AWS_PROFILE and its IAM policy)";
    expect_error(
        &denied("catalog"),
        &format!("access denied to s3://acme-warehouse/master/products; {hint}"),
    )?;
    expect_error(
        &denied("glue"),
        &format!("access denied to the Glue catalog; {hint}"),
    )
}
