//! ORC and Avro tables against third parties, in both directions: lathe
//! reads what pyarrow (ORC) and fastavro (Avro) wrote and must give the
//! rows they read back themselves; they read what lathe's CTAS wrote and
//! must see what lathe sees. The fixture script is
//! `tests/formats/orc_avro.py`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use datafusion::arrow::array::Array;
use lathe::{Config, Engine};
use serde_json::Value;

mod common;

const SCRIPT: &str = "tests/formats/orc_avro.py";

fn python(args: &[&str]) -> Vec<u8> {
    let out = Command::new(common::python())
        .arg(common::repo().join(SCRIPT))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{SCRIPT} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

async fn engine(dir: &Path) -> Engine {
    let config = Config {
        catalog: dir.join("catalog"),
        database: "tp".into(),
        target_partitions: Some(2),
        ..Config::default()
    };
    Engine::new(&config).await.unwrap()
}

/// The rows of a query whose columns are all text, as JSON values.
async fn rows(engine: &Engine, sql: &str) -> Vec<Value> {
    let batches = engine.sql(sql).await.unwrap().collect().await.unwrap();
    let mut out = Vec::new();
    for batch in &batches {
        let columns: Vec<_> = (0..batch.num_columns())
            .map(|i| {
                datafusion::arrow::compute::cast(
                    batch.column(i),
                    &datafusion::arrow::datatypes::DataType::Utf8,
                )
                .unwrap()
            })
            .collect();
        for row in 0..batch.num_rows() {
            let values = columns
                .iter()
                .map(|c| {
                    let c = c
                        .as_any()
                        .downcast_ref::<datafusion::arrow::array::StringArray>()
                        .unwrap();
                    if c.is_null(row) {
                        Value::Null
                    } else {
                        Value::String(c.value(row).to_string())
                    }
                })
                .collect();
            out.push(Value::Array(values));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn lathe_reads_orc_and_avro_as_their_writers_read_them() {
    let dir = tempfile::tempdir().unwrap();
    python(&["make", dir.path().to_str().unwrap()]);
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("expected.json")).unwrap()).unwrap();
    let engine = engine(dir.path()).await;

    // Hive's positional ORC, two partitions, a column added at the end.
    let hive = rows(
        &engine,
        "SELECT CAST(id AS varchar), name, CAST(amount AS varchar), CAST(day AS varchar), \
         CAST(ts AS varchar), array_join(tags, '|'), CAST(late AS varchar), dt \
         FROM orc_hive ORDER BY id",
    )
    .await;
    assert_eq!(Value::Array(hive), expected["orc_hive"]);

    // Pruned to one partition, and a filter on a data column.
    let one = rows(
        &engine,
        "SELECT CAST(count(*) AS varchar), CAST(sum(amount) AS varchar) FROM orc_hive \
         WHERE dt = '2024-05-01' AND id > 1",
    )
    .await;
    assert_eq!(one, vec![serde_json::json!(["2", "2.25"])]);

    // Named ORC columns in another order, matched by name.
    let named = rows(
        &engine,
        "SELECT CAST(id AS varchar), CAST(amount AS varchar), note FROM orc_named ORDER BY id",
    )
    .await;
    assert_eq!(Value::Array(named), expected["orc_named"]);

    // Avro: unions, logical types, an enum, an array; a column no file has.
    let avro = rows(
        &engine,
        "SELECT CAST(id AS varchar), name, CAST(price AS varchar), CAST(day AS varchar), \
         CAST(ts AS varchar), kind, array_join(tags, '|'), CAST(score AS varchar), \
         CAST(missing AS varchar) FROM avro_events ORDER BY id",
    )
    .await;
    assert_eq!(Value::Array(avro), expected["avro_events"]);

    // Columns from the table's Avro schema (literal, or a file it names),
    // not from the catalog: a field the files lack reads as NULL.
    for table in ["avro_literal", "avro_url"] {
        let described = rows(&engine, &format!("DESCRIBE {table}")).await;
        assert_eq!(
            described,
            vec![
                serde_json::json!(["id", "bigint", "event id"]),
                serde_json::json!(["name", "string", ""]),
                serde_json::json!(["score", "float", ""]),
                serde_json::json!(["added", "int", ""]),
            ],
            "{table}"
        );
        let read = rows(
            &engine,
            &format!(
                "SELECT CAST(id AS varchar), name, CAST(score AS varchar), CAST(added AS varchar) \
                 FROM {table} ORDER BY id"
            ),
        )
        .await;
        assert_eq!(
            Value::Array(read),
            expected["avro_reader_schema"],
            "{table}"
        );
    }
}

/// The rows the scans of a query read from their files (before the
/// filters above them), and the query's answer as text.
async fn rows_read(engine: &Engine, sql: &str) -> (usize, Vec<Value>) {
    use datafusion::datasource::source::DataSourceExec;
    use datafusion::physical_plan::ExecutionPlan;
    let frame = engine.sql(sql).await.unwrap();
    let context = Arc::new(frame.task_ctx());
    let plan = frame.create_physical_plan().await.unwrap();
    datafusion::physical_plan::collect(Arc::clone(&plan), context)
        .await
        .unwrap();
    fn walk(plan: &Arc<dyn ExecutionPlan>) -> usize {
        let own = if plan.downcast_ref::<DataSourceExec>().is_some() {
            plan.metrics().and_then(|m| m.output_rows()).unwrap_or(0)
        } else {
            0
        };
        own + plan.children().into_iter().map(walk).sum::<usize>()
    }
    (walk(&plan), rows(engine, sql).await)
}

#[tokio::test(flavor = "multi_thread")]
async fn orc_stripes_that_the_filters_exclude_are_not_read() {
    // pyarrow's ORC writer keeps each stripe's statistics (lathe's own
    // writer, orc-rust's, keeps none): ten stripes of 1000 rows.
    let dir = tempfile::tempdir().unwrap();
    python(&["make", dir.path().to_str().unwrap()]);
    let engine = engine(dir.path()).await;
    let cases = [
        ("", 10_000, "10000"),
        ("WHERE id >= 9500", 1000, "500"),
        ("WHERE id BETWEEN 2999 AND 3000", 2000, "2"),
        ("WHERE name = 'n04242'", 1000, "1"),
        ("WHERE price < 10.00", 1000, "1000"),
        ("WHERE id < 0", 0, "0"),
        // Statistics cannot exclude rows for a function of a column.
        ("WHERE id % 1000 = 0", 10_000, "10"),
    ];
    for (filter, read, count) in cases {
        let sql = format!("SELECT CAST(count(*) AS varchar) FROM orc_stripes {filter}");
        let (rows_read, answer) = rows_read(&engine, &sql).await;
        assert_eq!(
            (rows_read, answer),
            (read, vec![serde_json::json!([count])]),
            "{filter}"
        );
    }
}

/// The data files under `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn pyarrow_and_fastavro_read_what_lathe_writes() {
    let dir = tempfile::tempdir().unwrap();
    python(&["make", dir.path().to_str().unwrap()]);
    let engine = engine(dir.path()).await;
    let select = "SELECT id, name, amount, day, ts FROM orc_hive";
    let mut want = rows(
        &engine,
        &format!(
            "SELECT CAST(id AS varchar), name, CAST(amount AS varchar), CAST(day AS varchar), \
             CAST(ts AS varchar) FROM ({select}) ORDER BY id"
        ),
    )
    .await;
    want.sort_by_key(|r| {
        r[0].as_str()
            .unwrap_or_default()
            .parse::<i64>()
            .unwrap_or(0)
    });

    for (format, table) in [("ORC", "ctas_orc"), ("AVRO", "ctas_avro")] {
        let out = dir.path().join("out").join(table);
        let location = format!("file://{}/", out.display());
        engine
            .sql(&format!(
                "CREATE TABLE {table} WITH (format = '{format}', external_location = \
                 '{location}') AS {select}"
            ))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        // lathe reads its own files back.
        let back = rows(
            &engine,
            &format!(
                "SELECT CAST(id AS varchar), name, CAST(amount AS varchar), \
                 CAST(day AS varchar), CAST(ts AS varchar) FROM {table} ORDER BY id"
            ),
        )
        .await;
        assert_eq!(back, want, "{format}");
        // And the third party reads the same values.
        let written = files(&out);
        assert!(
            !written.is_empty(),
            "{format}: no files under {}",
            out.display()
        );
        let mut args = vec!["read".to_string(), format.to_ascii_lowercase()];
        args.extend(written.iter().map(|p| p.display().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let read: Vec<serde_json::Map<String, Value>> =
            serde_json::from_slice(&python(&args)).unwrap();
        let mut theirs: Vec<Value> = read
            .iter()
            .map(|r| {
                Value::Array(
                    ["id", "name", "amount", "day", "ts"]
                        .iter()
                        .map(|k| r.get(*k).cloned().unwrap_or(Value::Null))
                        .collect(),
                )
            })
            .collect();
        theirs.sort_by_key(|r| {
            r[0].as_str()
                .unwrap_or_default()
                .parse::<i64>()
                .unwrap_or(0)
        });
        assert_eq!(theirs, want, "{format} as the third party reads it");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_orc_file_whose_column_changed_type_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    python(&["make", dir.path().to_str().unwrap()]);
    // The table says name is a bigint; the files hold strings.
    let path = dir.path().join("catalog/tp/orc_hive.json");
    let mut glue: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    glue["Table"]["StorageDescriptor"]["Columns"][1]["Type"] = "bigint".into();
    std::fs::write(&path, glue.to_string()).unwrap();
    let engine = engine(dir.path()).await;
    let error = match engine.sql("SELECT name FROM orc_hive").await {
        Ok(frame) => frame.collect().await.unwrap_err().to_string(),
        Err(e) => e.to_string(),
    };
    // Whichever file is opened first is named.
    let folder = dir.path().join("warehouse/orc_hive/dt=2024-05-0");
    assert!(error.contains(&folder.display().to_string()), "{error}");
    assert!(
        error.contains(
            "/000000_0: column name (read by position, as column 2) is string in the file but \
             bigint in table tp.orc_hive; fix the file or the column's type in the catalog"
        ),
        "{error}"
    );
}

/// Runs `tests/formats/delta_tables.py COMMAND DIR`: the tables deltalake
/// wrote (registered in database `dl`), the rows it reads back (the JSON
/// file `expected`), and an engine over them.
async fn delta_fixture(command: &str, expected: &str) -> (tempfile::TempDir, Value, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(common::python())
        .arg(common::repo().join("tests/formats/delta_tables.py"))
        .args([command, dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the deltalake fixture failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(expected)).unwrap()).unwrap();
    let config = Config {
        catalog: dir.path().join("catalog"),
        database: "dl".into(),
        target_partitions: Some(2),
        ..Config::default()
    };
    let engine = Engine::new(&config).await.unwrap();
    (dir, expected, engine)
}

#[tokio::test(flavor = "multi_thread")]
async fn lathe_reads_delta_tables_as_deltalake_reads_them() {
    let (dir, expected, engine) = delta_fixture("make", "expected.json").await;
    let select = "SELECT CAST(id AS varchar), kind, CAST(amount AS varchar), CAST(ts AS varchar), \
                  coupon, CAST(day AS varchar) FROM events";
    // The files a DELETE rewrote are still on disk: only the log says they
    // are gone, and the checkpoint plus the commit after it say what is live.
    assert!(expected["files_on_disk"].as_u64().unwrap() > 5);
    let all = rows(&engine, &format!("{select} ORDER BY id")).await;
    assert_eq!(Value::Array(all), expected["rows"]);
    // Partition pruning on the log's partition values.
    let pruned = rows(
        &engine,
        &format!("{select} WHERE day = DATE '2024-05-03' ORDER BY id"),
    )
    .await;
    let want: Vec<Value> = expected["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r[5] == "2024-05-03")
        .cloned()
        .collect();
    assert_eq!(pruned, want);
    let scan = engine
        .sql("EXPLAIN SELECT count(*) FROM events WHERE day = DATE '2024-05-01'")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let plan = datafusion::arrow::util::pretty::pretty_format_batches(&scan)
        .unwrap()
        .to_string();
    assert!(!plan.contains("day=2024-05-03"), "{plan}");

    // Athena's Delta DDL lists no columns: they come from the log.
    let location = dir.path().join("warehouse/events");
    engine
        .sql(&format!(
            "CREATE EXTERNAL TABLE events_by_ddl LOCATION 'file://{}/' \
             TBLPROPERTIES ('table_type' = 'DELTA')",
            location.display()
        ))
        .await
        .unwrap();
    let by_ddl = rows(
        &engine,
        &format!("{} ORDER BY id", select.replace("events", "events_by_ddl")),
    )
    .await;
    assert_eq!(Value::Array(by_ddl), expected["rows"]);
}

/// Rows as text, sorted, for comparing row sets.
fn sorted(mut rows: Vec<Value>) -> Vec<Value> {
    rows.sort_by_key(|r| r.to_string());
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn lathe_reads_deletion_vectors_and_column_mapping_as_deltalake_does() {
    let (_dir, expected, engine) = delta_fixture("features", "features.json").await;
    let judged = |name: &str| sorted(expected[name].as_array().unwrap().clone());

    // Column mapping, modes name and id: logical names from the log,
    // physical ones in the files and in the partition values.
    for table in ["mapped", "mapped_id"] {
        let all = rows(
            &engine,
            &format!("SELECT CAST(id AS varchar), kind, CAST(day AS varchar) FROM {table}"),
        )
        .await;
        assert_eq!(sorted(all), judged(table), "{table}");
        assert_eq!(judged(table).len(), 5);
        let pruned = rows(
            &engine,
            &format!(
                "SELECT CAST(id AS varchar), kind FROM {table} \
                 WHERE day = DATE '2024-05-03' AND kind = 'view'"
            ),
        )
        .await;
        assert_eq!(pruned, [serde_json::json!(["5", "view"])], "{table}");
    }

    // Deletion vectors of every storage type, one replaced after a checkpoint.
    let all = rows(
        &engine,
        "SELECT CAST(id AS varchar), CAST(amount AS varchar), region FROM vectors",
    )
    .await;
    assert_eq!(all.len(), 4902);
    assert_eq!(sorted(all), judged("vectors"));
    let count = rows(&engine, "SELECT CAST(count(*) AS varchar) FROM vectors").await;
    assert_eq!(count, [serde_json::json!(["4902"])]);
    // A filter still reaches the scan (row groups pruned) with the rows
    // deleted skipped: 2500..2600 and 3000, 3001 are gone.
    let sql = "SELECT CAST(count(*) AS varchar) FROM vectors WHERE id BETWEEN 2400 AND 3099";
    assert_eq!(rows(&engine, sql).await, [serde_json::json!(["598"])]);
    let plan = engine
        .sql(&format!("EXPLAIN {sql}"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let plan = datafusion::arrow::util::pretty::pretty_format_batches(&plan)
        .unwrap()
        .to_string();
    assert!(
        plan.contains("PositionDeletesExec: files_with_deletes=2"),
        "{plan}"
    );
    assert!(plan.contains("predicate=id@0 >= 2400"), "{plan}");
}
