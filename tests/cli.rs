//! The real `lathe` binary, driven as users and scripts drive it: snapshots of
//! stdout, stderr and the exit status (insta-cmd). Run from the repository
//! root, so `lathe.toml`, `catalog/` and `queries/` are the bundled sample's.

use std::path::Path;
use std::process::Command;

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};

mod common;

fn lathe() -> Command {
    let mut cmd = Command::new(get_cargo_bin("lathe"));
    cmd.current_dir(common::repo());
    // Keep the user's own config out of the picture.
    cmd.env("XDG_CONFIG_HOME", "/nonexistent");
    cmd
}

/// Runs with the fixture catalog; paths under the fixture folder print as [TMP].
fn with_fixtures(f: impl FnOnce(&common::Fixtures)) {
    let fixtures = common::build();
    let tmp = fixtures
        .dir
        .path()
        .canonicalize()
        .unwrap()
        .display()
        .to_string();
    insta::with_settings!({filters => vec![(tmp.as_str(), "[TMP]")]}, {
        f(&fixtures);
    });
}

#[test]
fn named_queries_run_on_the_sample() {
    for name in common::NAMED_QUERIES {
        insta::with_settings!({snapshot_suffix => name}, {
            assert_cmd_snapshot!(lathe().args(["run", name]));
        });
    }
}

#[test]
fn run_without_a_name_lists_the_queries() {
    assert_cmd_snapshot!(lathe().arg("run"));
}

#[test]
fn a_misspelt_named_query_is_a_usage_error_with_a_suggestion() {
    assert_cmd_snapshot!(lathe().args(["run", "daily_active_user"]));
}

#[test]
fn formats_on_stdout() {
    let sql = "SELECT customer_id, name, email, signup_date FROM master.customers WHERE customer_id IN (1, 2, 3) ORDER BY customer_id";
    for format in ["table", "csv", "tsv", "json", "ndjson"] {
        insta::with_settings!({snapshot_suffix => format}, {
            assert_cmd_snapshot!(lathe().args(["--format", format, "-c", sql]));
        });
    }
}

#[test]
fn nested_values_print_as_athena_prints_them() {
    assert_cmd_snapshot!(lathe().args([
        "--format",
        "csv",
        "-c",
        "SELECT event_id, event_time, device, tags, utm, datehour FROM web.clickstream \
         WHERE datehour = '2024/05/04/18' AND referrer = 'push' ORDER BY event_time, event_id LIMIT 3",
    ]));
}

#[test]
fn several_statements_and_scripts_run_in_order() {
    assert_cmd_snapshot!(
        lathe()
            .args(["--database", "master", "--format", "csv"])
            .args([
                "-c",
                "SELECT count(*) AS products FROM products; SELECT 'x;y' AS s"
            ])
            .args(["-f", "-"])
            .pass_stdin(
                "-- a comment; with a semicolon\nSELECT count(*) AS customers FROM customers;\n"
            )
    );
}

#[test]
fn piped_stdin_is_a_script() {
    assert_cmd_snapshot!(
        lathe()
            .args(["--format", "csv"])
            .pass_stdin("SELECT 1 + 1 AS two;")
    );
}

#[test]
fn a_failing_statement_stops_the_script_with_status_1() {
    assert_cmd_snapshot!(lathe().args([
        "--format",
        "csv",
        "-c",
        "SELECT 1 AS ok; SELECT * FROM web.clikstream; SELECT 3",
    ]));
}

#[test]
fn unknown_columns_and_syntax_errors_are_one_sentence() {
    assert_cmd_snapshot!(lathe().args(["-c", "SELECT usr_id FROM web.clickstream"]));
    assert_cmd_snapshot!(lathe().args(["-c", "SELEC 1"]));
}

#[test]
fn usage_errors_exit_2() {
    assert_cmd_snapshot!(lathe().args(["--format", "xml", "-c", "SELECT 1"]));
    assert_cmd_snapshot!(lathe().args(["--map", "s3://no-equals-sign", "-c", "SELECT 1"]));
}

#[test]
fn output_files_are_written_whole_and_never_overwritten_by_accident() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("products.csv");
    let sql = "SELECT product_id, price FROM master.products ORDER BY product_id LIMIT 2";
    let status = lathe().args(["-c", sql, "-o"]).arg(&out).status().unwrap();
    assert!(status.success());
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(csv.lines().next(), Some("\"product_id\",\"price\""));
    assert_eq!(csv.lines().count(), 3);

    let again = lathe().args(["-c", sql, "-o"]).arg(&out).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("already exists; pass --force (or \\export! in the shell) to overwrite it"),
        "{stderr}"
    );

    // A failing query leaves the existing file untouched and no temporary file behind.
    let failed = lathe()
        .args(["--force", "-c", "SELECT * FROM nope", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), csv);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1);

    let forced = lathe()
        .args(["--force", "-c", "SELECT 42 AS answer", "-o"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(forced.success());
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "\"answer\"\n\"42\"\n"
    );
}

#[test]
fn bad_catalog_files_are_named() {
    with_fixtures(|fx| {
        let broken = fx.catalog().join("fx/broken.json");
        std::fs::write(
            &broken,
            "{\"Table\": {\"Name\": \"broken\", \"StorageDescriptor\": {\"Columns\": []}}}",
        )
        .unwrap();
        let bad_type = fx.catalog().join("fx/badtype.json");
        std::fs::write(
            &bad_type,
            r#"{"Name": "badtype", "StorageDescriptor": {"Location": "/tmp/x/", "Columns": [{"Name": "a", "Type": "map<string>"}],
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"}}}"#,
        )
        .unwrap();
        let not_json = fx.catalog().join("fx/notjson.json");
        std::fs::write(&not_json, "Name: notjson\n").unwrap();
        for table in ["broken", "badtype", "notjson"] {
            insta::with_settings!({snapshot_suffix => table}, {
                assert_cmd_snapshot!(lathe()
                    .current_dir(fx.dir.path())
                    .args(["--catalog", "catalog", "-c", &format!("SELECT * FROM fx.{table}")]));
            });
        }
    });
}

#[test]
fn a_missing_catalog_folder_is_a_clear_error() {
    assert_cmd_snapshot!(lathe().args(["--catalog", "/no/such/catalog", "-c", "SELECT 1"]));
}

#[test]
fn the_bundled_config_maps_s3_to_the_sample() {
    assert!(Path::new(&common::repo().join("lathe.toml")).is_file());
    let out = lathe()
        .args([
            "--format",
            "csv",
            "-c",
            "SELECT count(*) AS n FROM master.products",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "\"n\"\n\"120\"\n");
}

#[test]
fn glue_catalog_id_needs_the_glue_catalog() {
    let out = lathe()
        .args(["--glue-catalog-id", "123456789012", "-c", "SELECT 1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --glue-catalog-id needs --catalog glue\n"
    );
}

#[test]
fn stats_follow_each_statement_on_stderr() {
    let out = lathe()
        .args(["--stats", "--format", "csv"])
        .args([
            "-c",
            "SELECT 1 AS one; SELECT count(*) AS n FROM master.products",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "\"one\"\n\"1\"\n\"n\"\n\"120\"\n"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    // Nothing read for a constant; the cost is Athena's 10 MB minimum.
    assert!(
        lines[0].starts_with("1 row in ")
            && lines[0].ends_with(" s, scanned 0 B (0 bytes), est. cost $0.00005"),
        "{stderr}"
    );
    // count(*) over Parquet reads the footers only: some bytes, never 0.
    assert!(lines[1].starts_with("1 row in "), "{stderr}");
    assert!(!lines[1].contains("scanned 0 B"), "{stderr}");
}

/// Compares lathe's NDJSON output (file `argv[1]`) with DuckDB's answer to
/// `argv[2]`, column by column, row by row.
const COMPARE_WITH_DUCKDB: &str = r#"
import datetime, json, sys
import duckdb
ours = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
result = duckdb.sql(sys.argv[2])
columns = result.columns
theirs = result.fetchall()
if len(ours) != len(theirs):
    sys.exit(f"lathe read {len(ours)} rows, DuckDB {len(theirs)}")
def norm(v):
    return str(v) if isinstance(v, (datetime.date, datetime.datetime)) else v
for i, (a, b) in enumerate(zip(ours, theirs)):
    got = [a.get(c) for c in columns]
    want = [norm(v) for v in b]
    if got != want:
        sys.exit(f"row {i}: lathe {got}, DuckDB {want}")
print(f"{len(ours)} rows agree")
"#;

fn agrees_with_duckdb(lathe_args: &[&str], duckdb_sql: &str) -> String {
    let out = lathe()
        .args(["--format", "ndjson"])
        .args(lathe_args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "lathe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("lathe.ndjson");
    std::fs::write(&ours, &out.stdout).unwrap();
    let check = Command::new(common::python())
        .current_dir(common::repo())
        .args(["-c", COMPARE_WITH_DUCKDB])
        .arg(&ours)
        .arg(duckdb_sql)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    String::from_utf8_lossy(&check.stdout).trim().to_string()
}

#[test]
fn text_tables_read_as_duckdb_reads_them() {
    // The sample's quoted CSV (OpenCSVSerde, header, doubled quotes).
    assert_eq!(
        agrees_with_duckdb(
            &["-c", "SELECT * FROM web.campaigns ORDER BY campaign"],
            "SELECT * FROM read_csv('sample/raw/marketing/campaigns/campaigns.csv', header = true, \
             columns = {'campaign': 'VARCHAR', 'name': 'VARCHAR', 'channel': 'VARCHAR', \
             'start_date': 'VARCHAR', 'budget_usd': 'BIGINT'}) ORDER BY campaign",
        ),
        "4 rows agree"
    );
    // LazySimpleSerDe with `|` fields and `\N` NULLs.
    let fixtures = common::build();
    let catalog = fixtures.catalog().display().to_string();
    let data = fixtures.data().join("generated/part-0.txt");
    assert_eq!(
        agrees_with_duckdb(
            &[
                "--catalog",
                &catalog,
                "-c",
                "SELECT id, name, score, day, flag FROM fx.generated ORDER BY id",
            ],
            &format!(
                "SELECT * FROM read_csv('{}', delim = '|', header = false, nullstr = '\\N', \
                 columns = {{'id': 'BIGINT', 'name': 'VARCHAR', 'score': 'DOUBLE', \
                 'day': 'DATE', 'flag': 'BOOLEAN'}}) ORDER BY id",
                data.display()
            ),
        ),
        "500 rows agree"
    );
}

/// Two processes running DDL against one catalog at once: every write is
/// atomic and serialised by the lock file, so every file stays valid JSON
/// and no update is lost (issue 8, point 5).
#[test]
fn concurrent_ddl_from_two_processes_loses_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("catalog");
    std::fs::create_dir_all(catalog.join("db")).unwrap();
    let status = lathe()
        .args(["--catalog", catalog.to_str().unwrap(), "--database", "db", "-c"])
        .arg("CREATE EXTERNAL TABLE shared (id bigint) PARTITIONED BY (k string) STORED AS PARQUET LOCATION 's3://bucket/shared/'")
        .status()
        .unwrap();
    assert!(status.success());
    const EACH: usize = 25;
    let script = |who: &str| {
        let mut sql = String::new();
        for i in 0..EACH {
            sql.push_str(&format!(
                "ALTER TABLE shared ADD PARTITION (k='{who}{i}');\n\
                 CREATE EXTERNAL TABLE t_{who}{i} (id bigint) STORED AS PARQUET LOCATION 's3://bucket/{who}{i}/';\n"
            ));
        }
        let path = dir.path().join(format!("{who}.sql"));
        std::fs::write(&path, sql).unwrap();
        path
    };
    let children: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|who| {
            let script = script(who);
            lathe()
                .args([
                    "--catalog",
                    catalog.to_str().unwrap(),
                    "--database",
                    "db",
                    "-f",
                ])
                .arg(script)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Every file is whole JSON; no temporary file is left.
    let mut tables = 0;
    for entry in std::fs::read_dir(catalog.join("db")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "left behind: {name}");
        let text = std::fs::read_to_string(&path).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{name} is not valid JSON ({e}): {text}"));
        if name.ends_with(".partitions.json") {
            let mut values: Vec<String> = value["Partitions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["Values"][0].as_str().unwrap().to_string())
                .collect();
            values.sort();
            let mut expected: Vec<String> = (0..EACH)
                .flat_map(|i| [format!("a{i}"), format!("b{i}")])
                .collect();
            expected.sort();
            assert_eq!(values, expected, "a partition was lost");
        } else {
            tables += 1;
        }
    }
    assert_eq!(tables, 1 + 2 * EACH);
}

#[test]
fn ddl_prints_nothing_and_show_prints_rows() {
    with_fixtures(|fixtures| {
        assert_cmd_snapshot!(lathe().current_dir(fixtures.dir.path()).args([
            "--catalog",
            "catalog",
            "--database",
            "fx",
            "-c",
            "CREATE EXTERNAL TABLE t (id bigint) STORED AS PARQUET LOCATION 's3://bucket/t/'",
            "-c",
            "SHOW TABLES 't|item*'",
            "-c",
            "DROP TABLE t",
            "-c",
            "CREATE EXTERNAL TABLE t (id bigint, name strin) LOCATION 's3://bucket/t/'",
        ]));
    });
}

/// A sort far larger than `--memory-limit` spills into `--temp-dir` and still
/// gives the right answer (issue 8, point 2).
#[test]
fn a_sort_beyond_the_memory_limit_spills_to_the_temp_dir() {
    let spill = tempfile::tempdir().unwrap();
    let out = lathe()
        .args(["--memory-limit", "16MB", "--temp-dir"])
        .arg(spill.path())
        .args([
            "--format",
            "csv",
            "-c",
            "EXPLAIN ANALYZE SELECT v FROM generate_series(1, 3000000) AS t(v) ORDER BY v DESC",
            "-c",
            "SELECT v FROM generate_series(1, 3000000) AS t(v) ORDER BY v DESC",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spills: u64 = stdout
        .split("spill_count=")
        .skip(1)
        .filter_map(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    assert!(spills > 0, "no spill reported: {stdout}");
    // Every row, in order, after the EXPLAIN's rows.
    let rows: Vec<&str> = stdout.rsplit_once("\"v\"\n").unwrap().1.lines().collect();
    assert_eq!(rows.len(), 3_000_000);
    assert_eq!((rows[0], rows[2_999_999]), ("\"3000000\"", "\"1\""));
    // A top-k that cannot spill fails with one sentence naming the limit.
    let out = lathe()
        .args(["--memory-limit", "16MB", "-c"])
        .arg("SELECT v FROM generate_series(1, 3000000) AS t(v) ORDER BY v DESC LIMIT 2000000")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: out of memory: TopK needs more than the memory limit allows and cannot spill \
         to disk; raise --memory-limit (or memory_limit in the config file)\n"
    );
    // A temp dir that is not a folder is refused before anything runs.
    let out = lathe()
        .args(["--temp-dir", "/nonexistent/spill", "-c", "SELECT 1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --temp-dir: /nonexistent/spill is not a folder\n"
    );
}

/// An internal panic (here the test-only `lathe_test_panic()`) is one line on
/// stderr and a non-zero exit, not a backtrace (issue 8, point 8).
#[test]
fn an_internal_panic_is_one_line_and_a_failure() {
    let out = lathe()
        .env("LATHE_TEST_PANIC_FUNCTION", "1")
        .args(["-c", "SELECT lathe_test_panic() AS boom"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: internal error: lathe_test_panic() was called"),
        "{stderr}"
    );
    // Without the variable the function does not exist.
    let out = lathe()
        .args(["-c", "SELECT lathe_test_panic()"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lathe_test_panic"));
}

/// Hostile JSON (issue 8, point 3): nesting 10,000 deep, NUL bytes and binary
/// garbage, invalid UTF-8 each fail with the file and line, never a crash.
#[test]
fn hostile_json_lines_are_errors_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("catalog/h");
    std::fs::create_dir_all(&catalog).unwrap();
    let cases: [(&str, &[u8]); 3] = [
        ("deep", b""),
        ("nul", b"{\"a\": \"ok\"}\n{\"a\": \"x\x00y\"}\n"),
        (
            "latin1",
            b"{\"a\": \"ok\"}\n{\"a\": \"ok\"}\n{\"a\": \"caf\xe9\"}\n",
        ),
    ];
    for (name, body) in cases {
        let data = dir.path().join("data").join(name);
        std::fs::create_dir_all(&data).unwrap();
        let body = if name == "deep" {
            format!("{{\"a\": {}{}}}\n", "[".repeat(10_000), "]".repeat(10_000)).into_bytes()
        } else {
            body.to_vec()
        };
        std::fs::write(data.join("x.json"), body).unwrap();
        let table = serde_json::json!({"Table": {
            "Name": name, "DatabaseName": "h",
            "StorageDescriptor": {
                "Columns": [{"Name": "a", "Type": "string"}],
                "Location": format!("file://{}/", data.display()),
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"}
            }
        }});
        std::fs::write(catalog.join(format!("{name}.json")), table.to_string()).unwrap();
    }
    let error = |name: &str| {
        let out = lathe()
            .arg("--catalog")
            .arg(dir.path().join("catalog"))
            .args(["-c", &format!("SELECT count(a) FROM h.{name}")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        stderr
    };
    let file = |name: &str| format!("{}/data/{name}/x.json", dir.path().display());
    assert!(error("deep").starts_with(&format!(
        "error: {}, line 1: malformed JSON: recursion limit exceeded",
        file("deep")
    )),);
    assert!(error("nul").starts_with(&format!(
        "error: {}, line 2: malformed JSON: control character",
        file("nul")
    )),);
    assert!(error("latin1").starts_with(&format!("error: {}, line 3:", file("latin1"))));
}

/// A projection of 10^9 values is refused before any is generated; a
/// predicate that narrows it to one value reads just that one (issue 8).
#[test]
fn a_billion_value_projection_is_refused_unless_narrowed() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("catalog/h");
    std::fs::create_dir_all(&catalog).unwrap();
    let table = serde_json::json!({"Table": {
        "Name": "big", "DatabaseName": "h",
        "PartitionKeys": [{"Name": "n", "Type": "int"}],
        "Parameters": {"projection.enabled": "true", "projection.n.type": "integer",
                       "projection.n.range": "0,1000000000"},
        "StorageDescriptor": {
            "Columns": [{"Name": "a", "Type": "string"}],
            "Location": format!("file://{}/data/", dir.path().display()),
            "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"}
        }
    }});
    std::fs::write(catalog.join("big.json"), table.to_string()).unwrap();
    let data = dir.path().join("data/n=5");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("x.json"), "{\"a\": \"five\"}\n").unwrap();
    let run = |sql: &str| {
        lathe()
            .arg("--catalog")
            .arg(dir.path().join("catalog"))
            .args(["--format", "csv", "-c", sql])
            .output()
            .unwrap()
    };
    let out = run("SELECT count(*) FROM h.big");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: table h.big: the query would read 1000000001 projected partitions \
         (more than 1000000); add a WHERE condition on n\n"
    );
    let out = run("SELECT a, n FROM h.big WHERE n = 5");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "\"a\",\"n\"\n\"five\",\"5\"\n"
    );
}

/// `-c` takes SQL that starts with `--` (a pasted statement's header
/// comment) as SQL, as psql does, not as an unknown option (issue 18).
#[test]
fn command_sql_may_start_with_a_comment() {
    for sql in [
        "-- Top referrers\nSELECT 1 AS one",
        "--no space\nSELECT 1 AS one;",
        "-c",
    ] {
        let out = lathe()
            .args(["--format", "csv", "-c", sql])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if sql == "-c" {
            // Not an option either: SQL, refused as SQL.
            assert_eq!(out.status.code(), Some(1), "{stderr}");
            assert!(
                stderr.contains("syntax") || stderr.contains("SQL"),
                "{stderr}"
            );
            continue;
        }
        assert!(out.status.success(), "{sql:?}: {stderr}");
        assert_eq!(stdout, "\"one\"\n\"1\"\n", "{sql:?}");
    }
    let out = lathe()
        .args(["--format", "csv", "--command=-- header\nSELECT 2 AS two"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "\"two\"\n\"2\"\n");
}

/// A new, empty catalog folder has the `default` database, as Athena and
/// Glue do: an unqualified CREATE EXTERNAL TABLE works, SHOW DATABASES
/// lists it, and DROP DATABASE default is refused (issue 18).
#[test]
fn a_fresh_catalog_has_the_default_database() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("catalog");
    std::fs::create_dir(&catalog).unwrap();
    let data = dir.path().join("data/t");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("part-0.csv"), "a,1\nb,2\n").unwrap();
    let run = |sql: &str| {
        lathe()
            .current_dir(dir.path())
            .arg("--catalog")
            .arg(&catalog)
            .args(["--format", "csv", "-c", sql])
            .output()
            .unwrap()
    };
    let out = run("SHOW DATABASES");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "\"database_name\"\n\"default\"\n"
    );
    let out = run(&format!(
        "CREATE EXTERNAL TABLE t (name string, n int) ROW FORMAT DELIMITED FIELDS TERMINATED BY \",\" LOCATION '{}/'; \
         SELECT sum(n) AS total FROM t; SHOW TABLES IN default",
        data.display()
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "\"total\"\n\"3\"\n\"tab_name\"\n\"t\"\n"
    );
    assert!(catalog.join("default/t.json").is_file());
    let out = run("DROP DATABASE default CASCADE");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "error: DROP DATABASE default: Can not drop default database"
    );
    assert!(catalog.join("default/t.json").is_file());
}
