//! Exports through the real binary: every `-o` format, Tableau's Hyper
//! engine reading lathe's CSV value for value, a killed export and a failed
//! one leaving nothing at the destination, and UNLOAD written in Athena's
//! layout and read back through the catalog.

use std::path::Path;
use std::process::{Command, Output};

mod common;

fn lathe() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lathe"));
    cmd.current_dir(common::repo());
    cmd.env("XDG_CONFIG_HOME", "/nonexistent");
    cmd
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "lathe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Two rows holding every type Tableau reads, with NULL and "" apart,
/// quotes, commas, newlines and unicode in strings.
const EVERY_TYPE: &str = "\
SELECT * FROM (VALUES
  (1, CAST(NULL AS VARCHAR), '', 'say \"hi\", then
bye', 'Zürich — 東京 🚀', CAST(1234.50 AS DECIMAL(10,2)), CAST(-0.05 AS DECIMAL(10,2)),
   TIMESTAMP '2024-05-04 18:30:15.123', DATE '2024-05-04', true, 3.25, 9007199254740993,
   make_array('a', 'b, c'), map(['k'], [1]), named_struct('id', 7, 'name', 'x')),
  (2, 'plain', CAST(NULL AS VARCHAR), '''single''', '', CAST(NULL AS DECIMAL(10,2)), CAST(0 AS DECIMAL(10,2)),
   CAST(NULL AS TIMESTAMP), CAST(NULL AS DATE), false, -1.5E-7, CAST(NULL AS BIGINT),
   make_array(CAST(NULL AS VARCHAR)), map(['a', 'b'], [2, 3]), named_struct('id', CAST(NULL AS BIGINT), 'name', ''))
) AS t(id, null_text, empty_text, tricky, unicode, price, small, ts, day, flag, ratio, big, tags, utm, attrs)
ORDER BY id";

const HYPER_SCRIPT: &str = r#"
import json, sys
from tableauhyperapi import (Connection, CreateMode, HyperProcess, SqlType, TableDefinition,
                             TableName, Telemetry, escape_string_literal)
csv, work = sys.argv[1], sys.argv[2]
C = TableDefinition.Column
table = TableDefinition(TableName("export"), [
    C("id", SqlType.int()), C("null_text", SqlType.text()), C("empty_text", SqlType.text()),
    C("tricky", SqlType.text()), C("unicode", SqlType.text()),
    C("price", SqlType.numeric(10, 2)), C("small", SqlType.numeric(10, 2)),
    C("ts", SqlType.timestamp()), C("day", SqlType.date()), C("flag", SqlType.bool()),
    C("ratio", SqlType.double()), C("big", SqlType.big_int()),
    C("tags", SqlType.text()), C("utm", SqlType.text()), C("attrs", SqlType.text()),
])
with HyperProcess(Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters={"log_dir": work}) as hyper:
    with Connection(hyper.endpoint, work + "/export.hyper", CreateMode.CREATE_AND_REPLACE) as db:
        db.catalog.create_table(table)
        db.execute_command(f"COPY {table.table_name} FROM {escape_string_literal(csv)} "
                           "WITH (format csv, NULL '', header)")
        rows = db.execute_list_query(f"SELECT * FROM {table.table_name} ORDER BY id")
        print(json.dumps([[None if v is None else str(v) for v in row] for row in rows]))
"#;

#[test]
fn tableau_hyper_reads_every_value_of_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("every_type.csv");
    run(lathe().args(["-c", EVERY_TYPE, "-o"]).arg(&csv));
    let text = std::fs::read_to_string(&csv).unwrap();
    insta::assert_snapshot!("every_type_csv", text);
    // What a snapshot does not show: `\n` line ends, a final one, no BOM.
    assert!(text.ends_with("\"{id=null, name=}\"\n"), "{text:?}");
    assert!(!text.contains('\r') && !text.starts_with('\u{feff}'));

    let out = Command::new(common::python())
        .args(["-c", HYPER_SCRIPT])
        .arg(&csv)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "Hyper failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Vec<Option<String>>> = serde_json::from_slice(&out.stdout).unwrap();
    let s = |v: &str| Some(v.to_string());
    let expected = vec![
        vec![
            s("1"),
            None,
            s(""),
            s("say \"hi\", then\nbye"),
            s("Zürich — 東京 🚀"),
            s("1234.5"),
            s("-0.05"),
            s("2024-05-04 18:30:15.123000"),
            s("2024-05-04"),
            s("True"),
            s("3.25"),
            s("9007199254740993"),
            s("[a, b, c]"),
            s("{k=1}"),
            s("{id=7, name=x}"),
        ],
        vec![
            s("2"),
            s("plain"),
            None,
            s("'single'"),
            s(""),
            None,
            s("0"),
            None,
            None,
            s("False"),
            s("-1.5e-07"),
            None,
            s("[null]"),
            s("{a=2, b=3}"),
            s("{id=null, name=}"),
        ],
    ];
    assert_eq!(rows, expected);
}

#[test]
fn every_extension_writes_its_format() {
    let dir = tempfile::tempdir().unwrap();
    let sql = "SELECT product_id, name FROM master.products ORDER BY product_id LIMIT 2";
    for name in [
        "p.csv",
        "p.tsv",
        "p.json",
        "p.ndjson",
        "p.csv.gz",
        "p.parquet",
        "p.txt",
    ] {
        run(lathe().args(["-c", sql, "-o"]).arg(dir.path().join(name)));
    }
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    let csv =
        "\"product_id\",\"name\"\n\"1000\",\"Electronics item 1\"\n\"1001\",\"Home item 1\"\n";
    assert_eq!(read("p.csv"), csv);
    assert_eq!(
        read("p.tsv"),
        "product_id\tname\n1000\tElectronics item 1\n1001\tHome item 1\n"
    );
    assert_eq!(
        read("p.ndjson"),
        "{\"product_id\":1000,\"name\":\"Electronics item 1\"}\n{\"product_id\":1001,\"name\":\"Home item 1\"}\n"
    );
    assert!(read("p.json").starts_with("[{\"product_id\":1000,"));
    assert!(read("p.txt").contains("| 1000       | Electronics item 1 |"));
    let mut unzipped = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(
            std::fs::File::open(dir.path().join("p.csv.gz")).unwrap(),
        ),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, csv);
    // The Parquet file holds the same values, typed.
    use datafusion::arrow::array::{AsArray, RecordBatch};
    use datafusion::arrow::datatypes::Int64Type;
    let file = std::fs::File::open(dir.path().join("p.parquet")).unwrap();
    let batches: Vec<RecordBatch> =
        datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    assert_eq!(batches.len(), 1);
    let ids: Vec<i64> = batches[0]
        .column(0)
        .as_primitive::<Int64Type>()
        .values()
        .to_vec();
    assert_eq!(ids, [1000, 1001]);
    let names: Vec<&str> = batches[0]
        .column(1)
        .as_string::<i32>()
        .iter()
        .flatten()
        .collect();
    assert_eq!(names, ["Electronics item 1", "Home item 1"]);

    // An explicit --format wins over a text extension; an unknown extension is a usage error.
    run(lathe()
        .args(["--format", "csv", "-c", "SELECT 1 AS one", "-o"])
        .arg(dir.path().join("one.txt")));
    assert_eq!(read("one.txt"), "\"one\"\n\"1\"\n");
    let unknown = lathe()
        .args(["-c", "SELECT 1", "-o"])
        .arg(dir.path().join("x.xlsx"))
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("its extension names no format"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
}

#[test]
fn a_killed_export_leaves_nothing_at_the_destination() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.csv");
    let mut child = lathe()
        .args([
            "-c",
            "SELECT value, value * 3 AS tripled, 'row ' || CAST(value AS VARCHAR) AS label \
             FROM range(0, 200000000)",
            "-o",
        ])
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the export is well under way: its temporary file holds a few MB.
    let partial = loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the export ended before it could be killed: {status}");
        }
        let partial = names(dir.path())
            .into_iter()
            .find(|n| n.ends_with(".partial"))
            .map(|n| dir.path().join(n));
        if let Some(p) = partial
            && std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0) > 4_000_000
        {
            break p;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    assert!(
        !out.exists(),
        "a killed export must not leave a file at the destination"
    );
    // Only the temporary file, under a hidden name, is left behind.
    assert!(partial.exists());
    assert_eq!(names(dir.path()).len(), 1);
}

#[test]
fn a_query_failing_midway_leaves_neither_file_nor_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("failed.parquet");
    let failed = lathe()
        .args([
            "-c",
            "SELECT value, CASE WHEN value < 3000000 THEN 1 ELSE 1 / (value - value) END AS x \
             FROM range(0, 4000000)",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("Divide by zero"), "{stderr}");
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}

#[test]
fn unload_writes_athena_layout_and_reads_back_through_the_catalog() {
    let fx = common::build();
    let target = fx.dir.path().join("unloaded");
    let location = format!("file://{}/", target.display());
    let catalog = fx.catalog();
    let lathe_fx = || {
        let mut cmd = lathe();
        cmd.arg("--catalog").arg(&catalog);
        cmd
    };
    let query = "SELECT product_id, name, price, category FROM master.products \
                 WHERE product_id < 1016";
    run(lathe_fx().args([
        "-c",
        &format!(
            "UNLOAD ({query}) TO '{location}' WITH (format = 'PARQUET', partitioned_by = ARRAY['category'])"
        ),
    ]));
    let folders = names(&target);
    assert!(
        folders.contains(&"category=electronics".to_string()),
        "{folders:?}"
    );
    assert!(
        folders.iter().all(|f| f.starts_with("category=")),
        "{folders:?}"
    );
    // Strings read from Parquet as views are written as plain strings.
    let folder = target.join("category=electronics");
    let file = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .unwrap();
    let reader =
        datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            std::fs::File::open(&file).unwrap(),
        )
        .unwrap();
    assert_eq!(
        reader.schema().field_with_name("name").unwrap().data_type(),
        &datafusion::arrow::datatypes::DataType::Utf8,
        "{}",
        file.display()
    );

    // A table over the output answers as the query did.
    let table = serde_json::json!({"Table": {
        "Name": "unloaded", "DatabaseName": "fx",
        "StorageDescriptor": {
            "Columns": [{"Name": "product_id", "Type": "bigint"}, {"Name": "name", "Type": "string"},
                        {"Name": "price", "Type": "decimal(10,2)"}],
            "Location": location,
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}
        },
        "PartitionKeys": [{"Name": "category", "Type": "string"}]
    }});
    std::fs::write(
        catalog.join("fx/unloaded.json"),
        serde_json::to_string(&table).unwrap(),
    )
    .unwrap();
    let ordered = " ORDER BY product_id";
    let back = run(lathe_fx().args([
        "--format",
        "csv",
        "-c",
        &format!("SELECT product_id, name, CAST(price AS DECIMAL(10,2)) AS price, category FROM fx.unloaded{ordered}"),
    ]));
    let original = run(lathe_fx().args([
        "--format",
        "csv",
        "-c",
        &format!("SELECT product_id, name, CAST(price AS DECIMAL(10,2)) AS price, category FROM ({query}){ordered}"),
    ]));
    assert_eq!(
        String::from_utf8_lossy(&back.stdout),
        String::from_utf8_lossy(&original.stdout)
    );
    assert_eq!(String::from_utf8_lossy(&back.stdout).lines().count(), 17);

    // The target must be empty now.
    let again = lathe_fx()
        .args([
            "-c",
            &format!("UNLOAD (SELECT 1 AS x) TO '{location}' WITH (format = 'JSON')"),
        ])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains(&format!("UNLOAD: the target {location} is not empty")),
        "{stderr}"
    );
}

#[test]
fn unload_text_and_json_and_its_limits() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("text");
    run(lathe().args([
        "-c",
        &format!(
            "UNLOAD (SELECT 1 AS id, CAST(NULL AS VARCHAR) AS s, DATE '2024-05-04' AS d) TO '{}/' \
             WITH (format = 'TEXTFILE', field_delimiter = '|', compression = 'none')",
            text.display()
        ),
    ]));
    let files = names(&text);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        std::fs::read_to_string(text.join(&files[0])).unwrap(),
        "1|\\N|2024-05-04\n"
    );

    let json = dir.path().join("json");
    run(lathe().args([
        "-c",
        &format!(
            "UNLOAD (SELECT 1 AS id, 'a' AS s) TO '{}/' WITH (format = 'JSON')",
            json.display()
        ),
    ]));
    let files = names(&json);
    assert!(files[0].ends_with(".json.gz"), "{files:?}");
    let mut line = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(json.join(&files[0])).unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line, "{\"id\":1,\"s\":\"a\"}\n");

    // More than 100 partitions: an error, and nothing left behind.
    let many = dir.path().join("many");
    let failed = lathe()
        .args([
            "-c",
            &format!(
                "UNLOAD (SELECT value AS v, value % 101 AS p FROM range(0, 1000)) TO '{}/' \
                 WITH (format = 'PARQUET', partitioned_by = ARRAY['p'])",
                many.display()
            ),
        ])
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains(
            "UNLOAD: the query writes 101 partitions; Athena writes at most 100 per statement"
        ),
        "{stderr}"
    );
    assert!(
        !many.exists() || names(&many).is_empty(),
        "{:?}",
        names(&many)
    );
}

#[test]
fn ctas_registers_a_table_and_insert_into_appends_to_it() {
    let fx = common::build();
    let catalog = fx.catalog();
    let target = fx.dir.path().join("ctas");
    let location = format!("file://{}/", target.display());
    let lathe_fx = || {
        let mut cmd = lathe();
        cmd.arg("--catalog").arg(&catalog).args(["--format", "csv"]);
        cmd
    };
    let source = "SELECT product_id, name, price, category FROM master.products";
    // Written, registered, and queried in the same session.
    let created = run(lathe_fx().args([
        "-c",
        &format!(
            "CREATE TABLE fx.top_products WITH (format = 'PARQUET', external_location = '{location}', \
             partitioned_by = ARRAY['category']) AS {source} WHERE product_id < 1010; \
             SELECT count(*) AS n FROM fx.top_products"
        ),
    ]));
    assert_eq!(String::from_utf8_lossy(&created.stdout), "\"n\"\n\"10\"\n");
    assert!(catalog.join("fx/top_products.json").is_file());
    assert!(names(&target).iter().all(|f| f.starts_with("category=")));

    run(lathe_fx().args([
        "-c",
        &format!("INSERT INTO fx.top_products {source} WHERE product_id BETWEEN 1010 AND 1019"),
    ]));
    let ordered = |from: &str| {
        run(lathe_fx().args([
            "-c",
            &format!(
                "SELECT product_id, name, CAST(price AS DECIMAL(10,2)) AS price, category \
                 FROM {from} ORDER BY product_id"
            ),
        ]))
        .stdout
    };
    let back = ordered("fx.top_products");
    let expected = ordered(&format!("({source} WHERE product_id < 1020)"));
    assert_eq!(
        String::from_utf8_lossy(&back),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(String::from_utf8_lossy(&back).lines().count(), 21);

    // The table exists now, and its location is not empty.
    let again = lathe_fx()
        .args([
            "-c",
            &format!("CREATE TABLE fx.top_products WITH (external_location = '{location}') AS SELECT 1 AS x"),
        ])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("table fx.top_products already exists"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let occupied = lathe_fx()
        .args([
            "-c",
            &format!(
                "CREATE TABLE fx.other WITH (external_location = '{location}') AS SELECT 1 AS x"
            ),
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&occupied.stderr).contains(&format!(
            "CREATE TABLE AS: the target {location} is not empty"
        )),
        "{}",
        String::from_utf8_lossy(&occupied.stderr)
    );
    let wrong = lathe_fx()
        .args(["-c", "INSERT INTO fx.top_products SELECT 1, 'x'"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains(
            "INSERT INTO fx.top_products: the query returns 2 columns; the table has 4 \
             (product_id, name, price, category)"
        ),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
}

#[test]
fn ctas_textfile_reads_back_through_lazy_simple_serde() {
    let fx = common::build();
    let catalog = fx.catalog();
    let target = fx.dir.path().join("ctas_text");
    let location = format!("file://{}/", target.display());
    let query = |sql: &str| {
        let out = run(lathe()
            .arg("--catalog")
            .arg(&catalog)
            .args(["--format", "csv", "-c", sql]));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // NULLs, a decimal and a date survive the \001-delimited text with \N for NULL.
    let source = "SELECT product_id, name, price, CASE WHEN product_id % 2 = 0 THEN NULL \
                  ELSE category END AS category FROM master.products WHERE product_id < 1008";
    query(&format!(
        "CREATE TABLE fx.products_text WITH (format = 'TEXTFILE', external_location = '{location}') \
         AS {source}"
    ));
    let table = std::fs::read_to_string(catalog.join("fx/products_text.json")).unwrap();
    assert!(table.contains("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"));
    let ordered = |from: &str| query(&format!("SELECT * FROM {from} ORDER BY product_id"));
    let back = ordered("fx.products_text");
    assert_eq!(back, ordered(&format!("({source})")));
    assert_eq!(back.lines().count(), 9);
    assert!(back.contains(",,") || back.lines().any(|l| l.ends_with(',')));
}
