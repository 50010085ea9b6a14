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
        stderr.contains("already exists; pass --force to overwrite it"),
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
