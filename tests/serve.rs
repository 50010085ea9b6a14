//! `lathe serve` judged by the real clients: boto3, the AWS CLI, PyAthena,
//! awswrangler (from `scripts/python-env`) drive the server as their users
//! do (`tests/serve/judge.py`), and what they receive is compared with what
//! the `lathe` command line answers for the same SQL.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

mod common;

/// A running `lathe serve` over a copy of the sample catalog, with its own
/// results and named-query folders and a scratch bucket `s3://judge-bucket/`.
struct Server {
    child: Child,
    endpoint: String,
    dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Self {
        Self::start_with(&[])
    }

    /// Started with extra environment variables (`--require-credentials`'s keys).
    fn start_with(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&common::repo().join("catalog"), &dir.path().join("catalog"));
        copy_dir(&common::repo().join("queries"), &dir.path().join("queries"));
        std::fs::create_dir_all(dir.path().join("scratch")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_lathe"))
            .current_dir(common::repo())
            .env("XDG_CONFIG_HOME", "/nonexistent")
            .args(["serve", "--port", "0", "--catalog"])
            .arg(dir.path().join("catalog"))
            .arg("--results")
            .arg(dir.path().join("results"))
            .arg("--queries")
            .arg(dir.path().join("queries"))
            .arg("--map")
            .arg(format!(
                "s3://judge-bucket/={}/",
                dir.path().join("scratch").display()
            ))
            .args(if env.is_empty() {
                None
            } else {
                Some("--require-credentials")
            })
            .envs(env.iter().copied())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start lathe serve");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let endpoint = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("AWS_ENDPOINT_URL="))
            .unwrap_or_else(|| panic!("lathe serve did not say where it listens: {line:?}"))
            .to_string();
        assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
        // Keep draining stderr so that the server never blocks on it.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Self {
            child,
            endpoint,
            dir,
        }
    }

    /// Runs one scenario of the judge and returns what the client saw.
    fn judge(&self, scenario: &str, args: &[&str]) -> Value {
        self.judge_as(("judge", "judge-secret"), scenario, args)
    }

    /// The judge signing with the given access key and secret.
    fn judge_as(&self, (key, secret): (&str, &str), scenario: &str, args: &[&str]) -> Value {
        let out = Command::new(common::python())
            .arg(common::repo().join("tests/serve/judge.py"))
            .arg(scenario)
            .args(args)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "judge {scenario} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "judge {scenario} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    fn scratch(&self) -> PathBuf {
        self.dir.path().join("scratch")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// What the command line writes with `-o out.csv` for `sql`, and the bytes
/// `--stats` says it scanned.
fn cli_csv(sql: &str) -> (String, u64) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let run = Command::new(env!("CARGO_BIN_EXE_lathe"))
        .current_dir(common::repo())
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .args(["--stats", "-c", sql, "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    let bytes = stderr
        .split(" bytes)")
        .next()
        .and_then(|s| s.rsplit('(').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no scanned bytes in {stderr:?}"));
    (std::fs::read_to_string(out).unwrap(), bytes)
}

/// Athena's CSV (every value quoted, NULL an empty unquoted field) parsed.
fn parse_csv(text: &str) -> Vec<Vec<Option<String>>> {
    text.lines()
        .map(|line| {
            let mut fields = Vec::new();
            let mut rest = line;
            loop {
                if let Some(quoted) = rest.strip_prefix('"') {
                    let mut value = String::new();
                    let mut chars = quoted.char_indices().peekable();
                    let mut end = quoted.len();
                    while let Some((i, c)) = chars.next() {
                        if c == '"' {
                            if chars.peek().map(|(_, c)| *c) == Some('"') {
                                value.push('"');
                                chars.next();
                            } else {
                                end = i + 1;
                                break;
                            }
                        } else {
                            value.push(c);
                        }
                    }
                    fields.push(Some(value));
                    rest = &quoted[end..];
                } else {
                    let end = rest.find(',').unwrap_or(rest.len());
                    fields.push(None);
                    rest = &rest[end..];
                }
                match rest.strip_prefix(',') {
                    Some(next) => rest = next,
                    None => break,
                }
            }
            fields
        })
        .collect()
}

fn strings(value: &Value) -> Vec<Vec<Option<String>>> {
    serde_json::from_value(value.clone()).unwrap()
}

/// The sample's databases and `web`'s tables, as a client listed them.
fn assert_sample_lists(seen: &Value) {
    assert_eq!(
        seen["databases"],
        serde_json::json!(["default", "master", "web"])
    );
    assert_eq!(
        seen["tables"],
        serde_json::json!(["campaigns", "clickstream"])
    );
}

const DAILY: &str = "SELECT CAST(event_time AS DATE) AS day, COUNT(DISTINCT user_id) AS users, \
                     COUNT(*) AS events, avg(CAST(user_id IS NULL AS integer)) AS anonymous_share \
                     FROM web.clickstream GROUP BY 1 ORDER BY 1";

#[test]
fn athena_api_answers_what_the_command_line_answers() {
    let server = Server::start();
    let (csv, scanned) = cli_csv(DAILY);
    let seen = server.judge("boto3_athena", &[DAILY, "web"]);
    assert_eq!(seen["state"], "SUCCEEDED");
    assert_eq!(seen["statement_type"], "DML");
    // The result file is the bytes of `-o`, fetched back over S3.
    assert_eq!(seen["csv"].as_str().unwrap(), csv);
    assert_eq!(seen["ranged"].as_str().unwrap(), &csv[..4]);
    // GetQueryResults: the label row, then every row, in pages of 3.
    let expected = parse_csv(&csv);
    assert_eq!(strings(&seen["rows"]), expected);
    assert_eq!(
        seen["pages"].as_u64().unwrap() as usize,
        expected.len().div_ceil(3)
    );
    assert_eq!(seen["scanned"].as_u64().unwrap(), scanned);
    assert!(scanned > 0);
    assert_eq!(
        seen["types"],
        serde_json::json!([
            ["day", "date", 0, 0],
            ["users", "bigint", 19, 0],
            ["events", "bigint", 19, 0],
            ["anonymous_share", "double", 17, 0]
        ])
    );
    assert_eq!(seen["update_count"], 0);
    let id = seen["output"].as_str().unwrap();
    let id = id
        .strip_prefix("s3://lathe-query-results/")
        .and_then(|f| f.strip_suffix(".csv"))
        .unwrap();
    assert_eq!(
        seen["listed"],
        serde_json::json!([format!("{id}.csv"), format!("{id}.csv.metadata")])
    );
    assert_eq!(seen["listed_in_executions"], true);
    assert!(
        server
            .dir
            .path()
            .join(format!("results/{id}.csv"))
            .is_file()
    );
}

#[test]
fn failed_and_stopped_queries_report_as_athena_does() {
    let server = Server::start();
    let failed = server.judge("failure", &["SELECT * FROM web.clikstream"]);
    assert_eq!(failed["state"], "FAILED");
    let reason = failed["reason"].as_str().unwrap();
    assert!(
        reason.contains("web.clikstream") && reason.contains("web.clickstream"),
        "{reason}"
    );
    assert_eq!(failed["error"]["ErrorCategory"], 2);
    assert_eq!(failed["error"]["ErrorMessage"].as_str().unwrap(), reason);
    let results_error = failed["results_error"].as_str().unwrap();
    assert!(
        results_error.contains("Final query state: FAILED"),
        "{results_error}"
    );

    // Three sequences of 10,000 crossed: 10^12 rows, stopped while running.
    let long = "SELECT count(*) FROM UNNEST(sequence(1, 10000)) a(x) \
                CROSS JOIN UNNEST(sequence(1, 10000)) b(y) CROSS JOIN UNNEST(sequence(1, 10000)) c(z)";
    let stopped = server.judge("stop", &[long]);
    assert_eq!(stopped["before"], "RUNNING");
    assert_eq!(stopped["quick"], "SUCCEEDED");
    assert_eq!(stopped["still"], "RUNNING");
    assert_eq!(stopped["after"], "CANCELLED");
}

#[test]
fn workgroups_catalogs_tables_named_queries_and_prepared_statements() {
    let server = Server::start();
    let seen = server.judge("metadata", &[]);
    assert_eq!(seen["output_location"], "s3://lathe-query-results/");
    assert_eq!(seen["catalogs"], serde_json::json!(["AwsDataCatalog"]));
    assert_sample_lists(&seen);
    let columns = seen["columns"].as_array().unwrap();
    assert_eq!(columns[0], serde_json::json!(["event_id", "string"]));
    assert_eq!(
        seen["partition_keys"],
        serde_json::json!([["datehour", "string"]])
    );
    assert!(
        seen["location"]
            .as_str()
            .unwrap()
            .starts_with("s3://acme-raw/")
    );
    let missing = seen["missing"].as_str().unwrap();
    assert!(missing.contains("web.nope"), "{missing}");
    let named: Vec<String> = serde_json::from_value(seen["named"].clone()).unwrap();
    let mut files: Vec<String> = std::fs::read_dir(common::repo().join("queries"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .into_string()
                .unwrap()
                .replace(".sql", "")
        })
        .collect();
    files.sort();
    assert_eq!(named, files);
    assert_eq!(
        seen["created"],
        serde_json::json!([
            "judge_query",
            "-- made by the judge\nSELECT 42 AS answer",
            "made by the judge"
        ])
    );
    assert!(!server.dir.path().join("queries/judge_query.sql").exists());
    assert_eq!(seen["statements"], serde_json::json!(["events_on"]));
    let (csv, _) = cli_csv(
        "SELECT count(*) AS n FROM web.clickstream WHERE CAST(event_time AS DATE) = DATE '2024-05-01'",
    );
    assert_eq!(seen["executed"][0], "SUCCEEDED");
    assert_eq!(strings(&seen["executed"][1]), parse_csv(&csv));
    assert_eq!(
        strings(&seen["parameters"]),
        vec![
            vec![Some("next".to_string()), Some("word".to_string())],
            vec![Some("42".to_string()), Some("w".to_string())]
        ]
    );
}

#[test]
fn pyathena_and_awswrangler_read_the_answers() {
    let server = Server::start();
    let (csv, scanned) = cli_csv(DAILY);
    let expected = parse_csv(&csv);
    let values: Vec<Vec<Option<String>>> = expected[1..].to_vec();

    let cursor = server.judge("pyathena_cursor", &[DAILY, "web"]);
    assert_eq!(
        cursor["description"],
        serde_json::json!([
            ["day", "date"],
            ["users", "bigint"],
            ["events", "bigint"],
            ["anonymous_share", "double"]
        ])
    );
    assert_eq!(strings(&cursor["rows"]), values);
    assert_eq!(cursor["scanned"].as_u64().unwrap(), scanned);

    // PyAthena's pandas cursor and awswrangler read the result CSV over S3.
    for scenario in ["pandas_cursor", "wrangler"] {
        let seen = server.judge(scenario, &[DAILY, "web"]);
        assert_eq!(
            seen["columns"],
            serde_json::json!(["day", "users", "events", "anonymous_share"]),
            "{scenario}"
        );
        let rows = strings(&seen["rows"]);
        assert_eq!(rows.len(), values.len(), "{scenario}");
        for (got, want) in rows.iter().zip(&values) {
            // pandas holds a date as a datetime at midnight.
            let day = got[0].as_deref().unwrap();
            assert!(
                day.starts_with(want[0].as_deref().unwrap()),
                "{scenario}: {day}"
            );
            assert_eq!(got[1..3], want[1..3], "{scenario}");
            let (got, want): (f64, f64) = (
                got[3].as_deref().unwrap().parse().unwrap(),
                want[3].as_deref().unwrap().parse().unwrap(),
            );
            assert!((got - want).abs() < 1e-12, "{scenario}: {got} vs {want}");
        }
        if scenario == "wrangler" {
            assert_sample_lists(&seen);
        }
    }
}

#[test]
fn glue_api_edits_the_catalog_that_queries_read() {
    let server = Server::start();
    for (year, month, rows) in [("2023", "12", 1), ("2024", "01", 2), ("2024", "02", 3)] {
        let dir = server
            .scratch()
            .join(format!("events/year={year}/month={month}"));
        std::fs::create_dir_all(&dir).unwrap();
        let lines: String = (0..rows)
            .map(|i| format!("{{\"id\": {i}, \"name\": \"n{i}\"}}\n"))
            .collect();
        std::fs::write(dir.join("part-0.json"), lines).unwrap();
    }
    let seen = server.judge("glue", &["s3://judge-bucket/events/"]);
    assert_eq!(seen["duplicate"], "AlreadyExistsException");
    assert_eq!(seen["again"], serde_json::json!(["AlreadyExistsException"]));
    assert_eq!(seen["selected"], serde_json::json!([["2024", "02"]]));
    assert_eq!(
        seen["columns"],
        serde_json::json!([["id", "bigint"], ["name", "string"]])
    );
    assert_eq!(seen["tables"], serde_json::json!(["events"]));
    assert_eq!(
        strings(&seen["athena_rows"]),
        parse_csv(
            "\"year\",\"month\",\"n\"\n\"2023\",\"12\",\"1\"\n\"2024\",\"01\",\"2\"\n\"2024\",\"02\",\"3\""
        )
    );
    assert_eq!(
        seen["remaining"],
        serde_json::json!([["2024", "01"], ["2024", "02"]])
    );
    assert_eq!(seen["gone"], "EntityNotFoundException");
    assert_eq!(seen["account"], "000000000000");
    assert!(!server.dir.path().join("catalog/judge").exists());
}

#[test]
fn s3_serves_the_mapped_folders() {
    let server = Server::start();
    let seen = server.judge("s3_round_trip", &["judge-bucket", "rt/"]);
    assert_eq!(seen["big_intact"], true);
    assert_eq!(seen["prefixes"], serde_json::json!(["rt/a/"]));
    assert_eq!(seen["keys"], serde_json::json!(["rt/big.bin"]));
    assert_eq!(seen["paged"], serde_json::json!([["rt/a/one.json"], true]));
    assert_eq!(seen["cli"], serde_json::json!(["one.json", "two.json"]));
    assert_eq!(seen["escaped"], "InvalidArgument");
    assert_eq!(
        seen["after"],
        serde_json::json!(["rt/a/two.json", "rt/big.bin"])
    );
    assert_eq!(
        std::fs::read_to_string(server.scratch().join("rt/a/two.json")).unwrap(),
        "{\"id\": 2}\n"
    );
    assert_eq!(
        std::fs::metadata(server.scratch().join("rt/big.bin"))
            .unwrap()
            .len(),
        12 << 20
    );
}

#[test]
fn required_credentials_are_verified_on_every_api() {
    let server = Server::start_with(&[
        ("LATHE_SERVE_ACCESS_KEY_ID", "AKIDLATHE"),
        ("LATHE_SERVE_SECRET_ACCESS_KEY", "lathe-secret/key+1"),
    ]);
    let good = server.judge_as(("AKIDLATHE", "lathe-secret/key+1"), "credentials", &[]);
    assert_eq!(
        good,
        serde_json::json!({"athena": "ok", "glue": "ok", "s3": "ok", "s3_put": "ok", "sts": "ok"})
    );
    assert_eq!(
        std::fs::read(server.scratch().join("signed.txt")).unwrap(),
        vec![b'x'; 100]
    );
    let bad = server.judge_as(("AKIDLATHE", "not-the-secret"), "credentials", &[]);
    assert_eq!(bad["athena"], "UnrecognizedClientException");
    assert_eq!(bad["glue"], "UnrecognizedClientException");
    assert_eq!(bad["s3"], "SignatureDoesNotMatch");
    assert_eq!(bad["s3_put"], "SignatureDoesNotMatch");
    assert_eq!(bad["sts"], "UnrecognizedClientException");
    let stranger = server.judge_as(("AKIDOTHER", "lathe-secret/key+1"), "credentials", &[]);
    assert_eq!(stranger["athena"], "UnrecognizedClientException");
}

#[test]
fn writes_report_their_rows_and_files() {
    let server = Server::start();
    let seen = server.judge("write", &[]);
    assert_eq!(seen["created"], "SUCCEEDED");
    assert_eq!(seen["state"], "SUCCEEDED");
    assert_eq!(seen["statement_type"], "DML");
    // Seven days of the sample: one row per day written.
    assert_eq!(
        strings(&seen["rows"]),
        vec![vec![Some("rows".to_string())], vec![Some("7".to_string())]]
    );
    assert_eq!(seen["types"], serde_json::json!([["rows", "bigint"]]));
    assert_eq!(seen["update_count"], 7);
    let manifest = seen["manifest"].as_str().unwrap();
    assert!(
        manifest.starts_with("s3://lathe-query-results/") && manifest.ends_with("-manifest.csv")
    );
    let files: Vec<String> = serde_json::from_value(seen["files"].clone()).unwrap();
    assert!(!files.is_empty());
    for file in &files {
        let key = file.strip_prefix("s3://judge-bucket/").unwrap();
        assert!(
            key.starts_with("ctas/daily/") && key.ends_with(".parquet"),
            "{file}"
        );
        assert!(server.scratch().join(key).is_file(), "{file}");
    }
    let (csv, _) = cli_csv("SELECT count(*) FROM web.clickstream");
    let total = parse_csv(&csv)[1][0].clone();
    assert_eq!(strings(&seen["read_back"])[1], vec![total]);
    assert!(
        server
            .dir
            .path()
            .join("catalog/judge_dbt/daily.json")
            .is_file()
    );
}

/// dbt-athena's `dbt run`, twice (the second replaces what the first made):
/// a table model (CTAS, SET TBLPROPERTIES, Glue calls) and a view over it.
#[test]
fn dbt_athena_runs_a_project() {
    let server = Server::start();
    let project = server.dir.path().join("dbt");
    copy_dir(&common::repo().join("tests/serve/dbt"), &project);
    let dbt = common::python().parent().unwrap().join("dbt");
    for run in 1..=2 {
        let out = Command::new(&dbt)
            .args(["run", "--profiles-dir", "."])
            .current_dir(&project)
            .env("AWS_ENDPOINT_URL", &server.endpoint)
            .env("AWS_ACCESS_KEY_ID", "judge")
            .env("AWS_SECRET_ACCESS_KEY", "judge-secret")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("PASS=2 WARN=0 ERROR=0"),
            "dbt run {run}:\n{stdout}"
        );
    }
    let seen = server.judge("run_sql", &["SELECT day FROM dbt_judge.busy ORDER BY 1"]);
    let (csv, _) = cli_csv(
        "SELECT day FROM (SELECT CAST(event_time AS DATE) AS day, count(*) AS events \
         FROM web.clickstream GROUP BY 1) WHERE events > 1480 ORDER BY 1",
    );
    assert_eq!(strings(&seen), parse_csv(&csv));
    assert!(
        server
            .dir
            .path()
            .join("catalog/dbt_judge/daily.json")
            .is_file()
    );
}
