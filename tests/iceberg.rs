//! Iceberg tables against a third party, PyIceberg, in both directions:
//! lathe reads what PyIceberg wrote (hidden partitions, two appends, a
//! schema change, position and equality deletes, time travel) and must give
//! PyIceberg's own answers; PyIceberg reads what lathe wrote and must see
//! what lathe sees. The fixture script is `tests/iceberg/pyiceberg_tables.py`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_plan::ExecutionPlan;
use lathe::{Config, Engine};
use serde_json::{Value, json};

mod common;

const SCRIPT: &str = "tests/iceberg/pyiceberg_tables.py";

/// A folder with PyIceberg's table and a lathe catalog that registers it
/// as Athena does (`table_type = ICEBERG`, `metadata_location`).
struct Fixture {
    dir: tempfile::TempDir,
    expected: Value,
}

impl Fixture {
    fn make() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(common::python())
            .arg(common::repo().join(SCRIPT))
            .arg("make")
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the PyIceberg fixture failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected: Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("expected.json")).unwrap())
                .unwrap();
        let fixture = Self { dir, expected };
        fixture.register("events", &fixture.metadata_location());
        fixture
    }

    fn catalog(&self) -> PathBuf {
        self.dir.path().join("lathe-catalog")
    }

    fn metadata_location(&self) -> String {
        self.expected["metadata_location"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Writes the Glue entry Athena keeps for an Iceberg table.
    fn register(&self, name: &str, metadata_location: &str) {
        let glue = json!({"Table": {
            "Name": name, "DatabaseName": "ice", "TableType": "EXTERNAL_TABLE",
            "Parameters": {"table_type": "ICEBERG", "metadata_location": metadata_location},
            "StorageDescriptor": {
                "Location": format!("file://{}/warehouse/ice/{name}", self.dir.path().display()),
                "InputFormat": "org.apache.hadoop.mapred.FileInputFormat",
                "OutputFormat": "org.apache.hadoop.mapred.FileOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"},
                "Columns": [{"Name": "id", "Type": "bigint"}]
            },
            "PartitionKeys": []
        }});
        let path = self.catalog().join("ice").join(format!("{name}.json"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, serde_json::to_vec_pretty(&glue).unwrap()).unwrap();
    }

    async fn engine(&self) -> Engine {
        let config = Config {
            catalog: self.catalog(),
            database: "ice".into(),
            target_partitions: Some(2),
            ..Config::default()
        };
        Engine::new(&config).await.unwrap()
    }

    fn snapshot(&self, i: usize) -> i64 {
        self.expected["snapshots"][i]["id"].as_i64().unwrap()
    }

    fn rows(&self, snapshot: &str) -> Vec<Value> {
        self.expected["rows"][snapshot]["rows"]
            .as_array()
            .unwrap()
            .clone()
    }
}

/// The rows of a query as JSON values (timestamps cast to BIGINT by the
/// query), for comparison with PyIceberg's.
async fn query(engine: &Engine, sql: &str) -> Vec<Value> {
    let batches = engine.sql(sql).await.unwrap().collect().await.unwrap();
    json_rows(&batches)
}

fn json_rows(batches: &[RecordBatch]) -> Vec<Value> {
    let mut out = Vec::new();
    for batch in batches {
        let mut writer = datafusion::arrow::json::ArrayWriter::new(Vec::new());
        writer.write(batch).unwrap();
        writer.finish().unwrap();
        let objects: Vec<serde_json::Map<String, Value>> =
            serde_json::from_slice(&writer.into_inner()).unwrap_or_default();
        for object in objects {
            let row: Vec<Value> = batch
                .schema()
                .fields()
                .iter()
                .map(|f| object.get(f.name()).cloned().unwrap_or(Value::Null))
                .collect();
            out.push(Value::Array(row));
        }
    }
    out
}

const COLUMNS: &str = "id, CAST(ts AS BIGINT) AS ts, category, amount, comment, qty";

#[tokio::test(flavor = "multi_thread")]
async fn lathe_reads_pyiceberg_tables_as_pyiceberg_does() {
    let fixture = Fixture::make();
    let engine = fixture.engine().await;

    // The current snapshot: both appends, position and equality deletes.
    let current = query(
        &engine,
        &format!("SELECT {COLUMNS} FROM events ORDER BY id"),
    )
    .await;
    assert_eq!(current, fixture.rows("s4"));
    let deleted = fixture.expected["equality_deleted_id"].as_i64().unwrap();
    assert!(current.iter().all(|r| r[0].as_i64() != Some(deleted)));

    // Version travel to each snapshot: position deletes only, then the
    // second append, then the first append under its own schema (`note`,
    // no `qty`), as Trino reads a snapshot.
    for (i, name) in [(2, "s3"), (1, "s2")] {
        let sql = format!(
            "SELECT {COLUMNS} FROM events FOR VERSION AS OF {} ORDER BY id",
            fixture.snapshot(i)
        );
        assert_eq!(query(&engine, &sql).await, fixture.rows(name), "{sql}");
    }
    let first = query(
        &engine,
        &format!(
            "SELECT id, CAST(ts AS BIGINT), category, amount, note FROM events FOR VERSION AS OF {} ORDER BY id",
            fixture.snapshot(0)
        ),
    )
    .await;
    let expected: Vec<Value> = fixture
        .rows("s1")
        .into_iter()
        .map(|r| Value::Array(r.as_array().unwrap()[..5].to_vec()))
        .collect();
    assert_eq!(first, expected);

    // Time travel by timestamp: the snapshot current at the second commit's time.
    let at = fixture.expected["snapshots"][1]["timestamp_ms"]
        .as_i64()
        .unwrap();
    let when = chrono::DateTime::from_timestamp_millis(at).unwrap();
    let sql = format!(
        "SELECT {COLUMNS} FROM events FOR TIMESTAMP AS OF TIMESTAMP '{}' ORDER BY id",
        when.format("%Y-%m-%d %H:%M:%S%.3f")
    );
    assert_eq!(query(&engine, &sql).await, fixture.rows("s2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_partitions_and_bounds_prune_files() {
    let fixture = Fixture::make();
    let engine = fixture.engine().await;
    let all = fixture.rows("s4");
    let may_5 = 1_714_867_200_000_000i64; // 2024-05-05 00:00:00 UTC
    let cases = [
        (
            "ts >= TIMESTAMP '2024-05-05 00:00:00'",
            Box::new(move |r: &Value| r[1].as_i64().unwrap() >= may_5)
                as Box<dyn Fn(&Value) -> bool>,
        ),
        ("id = 7", Box::new(|r: &Value| r[0].as_i64() == Some(7))),
        (
            "id IN (3, 64)",
            Box::new(|r: &Value| matches!(r[0].as_i64(), Some(3 | 64))),
        ),
        (
            "category = 'garden' AND id > 40",
            Box::new(|r: &Value| r[2] == "garden" && r[0].as_i64().unwrap() > 40),
        ),
        ("qty IS NULL", Box::new(|r: &Value| r[5].is_null())),
        (
            "comment LIKE 'c%'",
            Box::new(|r: &Value| r[4].as_str().is_some_and(|c| c.starts_with('c'))),
        ),
    ];
    let total = files_scanned(&engine, "SELECT * FROM events").await;
    for (filter, keep) in cases {
        let sql = format!("SELECT {COLUMNS} FROM events WHERE {filter} ORDER BY id");
        let expected: Vec<Value> = all.iter().filter(|r| keep(r)).cloned().collect();
        assert!(!expected.is_empty(), "{filter} selects nothing");
        assert_eq!(query(&engine, &sql).await, expected, "{sql}");
    }
    // One day of three, one id: fewer files than the whole table.
    for filter in [
        "ts >= TIMESTAMP '2024-05-05 00:00:00'",
        "id = 7",
        "category = 'garden'",
    ] {
        let pruned = files_scanned(&engine, &format!("SELECT * FROM events WHERE {filter}")).await;
        assert!(pruned < total, "{filter}: {pruned} of {total} files");
    }
    // A predicate no file can satisfy reads no file at all.
    assert_eq!(
        files_scanned(&engine, "SELECT * FROM events WHERE id > 1000").await,
        0
    );
    let count = query(&engine, "SELECT count(*) FROM events").await;
    assert_eq!(count, vec![json!([all.len()])]);
}

/// How many data files the scans of a query's plan read.
async fn files_scanned(engine: &Engine, sql: &str) -> usize {
    let plan = engine
        .sql(sql)
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    fn count(plan: &Arc<dyn ExecutionPlan>) -> usize {
        let own = plan
            .downcast_ref::<DataSourceExec>()
            .and_then(|e| {
                e.data_source()
                    .downcast_ref::<datafusion::datasource::physical_plan::FileScanConfig>()
            })
            .map(|c| {
                let mut paths: Vec<String> = c
                    .file_groups
                    .iter()
                    .flat_map(|g| g.files().iter().map(|f| f.object_meta.location.to_string()))
                    .collect();
                paths.sort();
                paths.dedup();
                paths.len()
            })
            .unwrap_or(0);
        own + plan.children().iter().map(|c| count(c)).sum::<usize>()
    }
    count(&plan)
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_tables_fail_naming_the_file() {
    let fixture = Fixture::make();
    fixture.register("gone", "file:///nonexistent/metadata/00001.metadata.json");
    let bad = fixture.dir.path().join("bad.metadata.json");
    std::fs::write(&bad, br#"{"format-version": 2, "location": "x"}"#).unwrap();
    fixture.register("bad", &format!("file://{}", bad.display()));
    let engine = fixture.engine().await;
    let message = |sql: &'static str| {
        let engine = &engine;
        async move {
            match engine.sql(sql).await {
                Ok(frame) => frame
                    .collect()
                    .await
                    .map(|_| ())
                    .map_err(lathe::Error::from),
                Err(e) => Err(e),
            }
            .unwrap_err()
            .user_message()
        }
    };
    let gone = message("SELECT * FROM gone").await;
    assert!(
        gone.contains("ice.gone")
            && gone.contains("/nonexistent/metadata/00001.metadata.json")
            && gone.contains("does not exist"),
        "{gone}"
    );
    let bad = message("SELECT * FROM bad").await;
    assert!(
        bad.contains("ice.bad")
            && bad.contains("bad.metadata.json")
            && bad.contains("last-updated-ms"),
        "{bad}"
    );
    let travel = message("SELECT * FROM events FOR VERSION AS OF 12345").await;
    assert!(
        travel.contains("ice.events") && travel.contains("12345"),
        "{travel}"
    );
}

fn pyiceberg_read(metadata: &Path) -> Value {
    let out = Command::new(common::python())
        .arg(common::repo().join(SCRIPT))
        .arg("read")
        .arg(metadata)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "PyIceberg could not read {}: {}",
        metadata.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The metadata file the catalog entry of `ice.<name>` points at.
fn metadata_of(catalog: &Path, name: &str) -> String {
    let entry: Value = serde_json::from_slice(
        &std::fs::read(catalog.join("ice").join(format!("{name}.json"))).unwrap(),
    )
    .unwrap();
    entry["Table"]["Parameters"]["metadata_location"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn pyiceberg_reads_what_lathe_writes() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("catalog");
    std::fs::create_dir_all(catalog.join("ice")).unwrap();
    let config = Config {
        catalog: catalog.clone(),
        database: "ice".into(),
        target_partitions: Some(2),
        ..Config::default()
    };
    let engine = Engine::new(&config).await.unwrap();
    let location = dir.path().join("warehouse/events");
    let run = |sql: String| {
        let engine = &engine;
        async move {
            engine.sql(&sql).await.unwrap().collect().await.unwrap();
        }
    };
    let steps = [
        format!(
            "CREATE TABLE ice.events WITH (table_type = 'ICEBERG', location = '{}', is_external = false, \
             partitioning = ARRAY['day(ts)', 'bucket(4, id)', 'truncate(2, category)'], format = 'PARQUET') \
             AS SELECT CAST(id AS BIGINT) AS id, ts, category, amount, note FROM (VALUES \
             (1, TIMESTAMP '2024-05-01 10:00:00', 'books', 10.5, 'a'), \
             (2, TIMESTAMP '2024-05-01 23:59:59.999999', 'garden', 20.0, NULL), \
             (3, TIMESTAMP '2024-05-02 00:00:00', 'bookends', 7.25, 'c'), \
             (7, TIMESTAMP '1969-12-31 23:00:00', NULL, -1.0, 'before the epoch')) \
             AS v(id, ts, category, amount, note)",
            location.display()
        ),
        "INSERT INTO ice.events VALUES (8, TIMESTAMP '2024-05-03 08:00:00', 'toys', 3.0, 'x'), \
         (9, TIMESTAMP '2024-05-03 09:00:00', 'toys', 4.0, 'y')"
            .to_string(),
        "DELETE FROM ice.events WHERE category = 'garden' OR id = 8".to_string(),
        "UPDATE ice.events SET note = 'updated', amount = amount + 100 WHERE id IN (1, 9)".to_string(),
        "MERGE INTO ice.events t USING (SELECT 3 AS id, 'merged' AS note UNION ALL SELECT 10, 'new') s \
         ON t.id = s.id WHEN MATCHED THEN UPDATE SET note = s.note \
         WHEN NOT MATCHED THEN INSERT (id, ts, category, amount, note) \
         VALUES (s.id, TIMESTAMP '2024-05-04 12:00:00', 'books', 0.5, s.note)"
            .to_string(),
    ];
    let operations = ["append", "append", "delete", "overwrite", "overwrite"];
    for (i, sql) in steps.into_iter().enumerate() {
        run(sql.clone()).await;
        let ours = query(
            &engine,
            "SELECT id, CAST(ts AS BIGINT), category, amount, note FROM ice.events ORDER BY id",
        )
        .await;
        let theirs = pyiceberg_read(Path::new(&metadata_of(&catalog, "events")));
        assert_eq!(
            Value::Array(ours),
            theirs["rows"],
            "after {sql}: lathe (left) and PyIceberg (right) disagree"
        );
        let seen: Vec<&str> = theirs["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["operation"].as_str().unwrap())
            .collect();
        assert_eq!(seen, operations[..=i], "after {sql}");
    }
    // The last state, spelled out: deletes, updates and the merge applied.
    let last = query(
        &engine,
        "SELECT id, note, amount FROM ice.events ORDER BY id",
    )
    .await;
    assert_eq!(
        last,
        vec![
            json!([1, "updated", 110.5]),
            json!([3, "merged", 7.25]),
            json!([7, "before the epoch", -1.0]),
            json!([9, "updated", 104.0]),
            json!([10, "new", 0.5]),
        ]
    );
    // PyIceberg prunes by the partition values lathe wrote (bucket, day,
    // truncate): a wrong value would hide the row from it.
    let metadata = metadata_of(&catalog, "events");
    let theirs = pyiceberg_read(Path::new(&metadata));
    assert_eq!(
        theirs["spec"],
        json!([
            [2, "ts_day", "day"],
            [1, "id_bucket", "bucket[4]"],
            [3, "category_trunc", "truncate[2]"]
        ])
    );
    for (filter, id) in [
        ("id == 9", 9),
        ("category == 'bookends'", 3),
        ("ts < '1970-01-01T00:00:00'", 7),
    ] {
        let out = Command::new(common::python())
            .arg(common::repo().join(SCRIPT))
            .args(["read", &metadata, filter])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let found: Value = serde_json::from_slice(&out.stdout).unwrap();
        let ids: Vec<i64> = found["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[0].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![id], "PyIceberg with filter {filter}");
    }
    // OPTIMIZE folds the deletes into new files; PyIceberg still agrees.
    run("OPTIMIZE ice.events REWRITE DATA USING BIN_PACK".to_string()).await;
    let theirs = pyiceberg_read(Path::new(&metadata_of(&catalog, "events")));
    let ours = query(
        &engine,
        "SELECT id, CAST(ts AS BIGINT), category, amount, note FROM ice.events ORDER BY id",
    )
    .await;
    assert_eq!(Value::Array(ours), theirs["rows"]);
    assert_eq!(
        theirs["snapshots"].as_array().unwrap().last().unwrap()["operation"],
        "replace"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn scanned_bytes_count_metadata_and_only_the_files_read() {
    let fixture = Fixture::make();
    let engine = fixture.engine().await;
    let manifests = query(&engine, "SELECT path, length FROM \"events$manifests\"").await;
    let list = query(
        &engine,
        "SELECT manifest_list FROM \"events$snapshots\" ORDER BY committed_at DESC LIMIT 1",
    )
    .await;
    let size = |location: &str| {
        std::fs::metadata(location.strip_prefix("file://").unwrap_or(location))
            .unwrap()
            .len()
    };
    // No file can hold `id > 1000` (column bounds): the query reads the
    // metadata file, the manifest list and the manifests, whole, and nothing else.
    let expected: u64 = size(&fixture.metadata_location())
        + size(list[0][0].as_str().unwrap())
        + manifests
            .iter()
            .map(|m| m[1].as_u64().unwrap())
            .sum::<u64>();
    engine.scan_counters().reset();
    let rows = query(&engine, "SELECT id FROM events WHERE id > 1000").await;
    assert!(rows.is_empty());
    let stats = engine.scan_counters().snapshot();
    assert_eq!(stats.files, 2 + manifests.len() as u64, "{stats:?}");
    assert_eq!(stats.bytes, expected, "{stats:?}");
    // A full scan reads the data and delete files too, never more than they hold.
    engine.scan_counters().reset();
    query(&engine, "SELECT * FROM events").await;
    let stats = engine.scan_counters().snapshot();
    let files = query(
        &engine,
        "SELECT count(*), sum(file_size_in_bytes) FROM \"events$files\"",
    )
    .await;
    let (count, total) = (files[0][0].as_u64().unwrap(), files[0][1].as_u64().unwrap());
    assert_eq!(stats.files, 2 + manifests.len() as u64 + count, "{stats:?}");
    assert!(
        stats.bytes > expected && stats.bytes <= expected + total,
        "{stats:?}"
    );
}
