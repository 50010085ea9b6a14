//! Test fixtures, made by code: a catalog folder with small tables that
//! exercise the edge cases (mixed-case keys, gzip, hidden files, malformed
//! lines, missing columns, registered, discovered and projected partitions,
//! CSV and other text tables in `csv`), next to a
//! copy of the bundled sample catalog.

#![allow(dead_code, unreachable_pub)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::parquet::arrow::ArrowWriter;
use serde_json::{Value, json};

pub mod cluster;
pub mod csv;
pub mod service_logs;
pub mod spike;

/// The repository root (tests run with it as the current folder).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture folder: `catalog/` (the sample's databases plus `fx`) and `data/`.
pub struct Fixtures {
    pub dir: tempfile::TempDir,
}

impl Fixtures {
    pub fn catalog(&self) -> PathBuf {
        self.dir.path().join("catalog")
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

const OPENX: &str = "org.openx.data.jsonserde.JsonSerDe";
const HIVE_JSON: &str = "org.apache.hive.hcatalog.data.JsonSerDe";
const PARQUET: &str = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";

fn table(
    name: &str,
    columns: &[(&str, &str)],
    location: &str,
    serde: &str,
    serde_params: Value,
    keys: &[(&str, &str)],
) -> Value {
    let cols: Vec<Value> = columns
        .iter()
        .map(|(n, t)| json!({"Name": n, "Type": t}))
        .collect();
    let keys: Vec<Value> = keys
        .iter()
        .map(|(n, t)| json!({"Name": n, "Type": t}))
        .collect();
    json!({"Table": {
        "Name": name, "DatabaseName": "fx", "CreateTime": 1714558530.0,
        "StorageDescriptor": {
            "Columns": cols, "Location": location,
            "SerdeInfo": {"SerializationLibrary": serde, "Parameters": serde_params}
        },
        "PartitionKeys": keys, "Parameters": {"EXTERNAL": "TRUE"}
    }})
}

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

fn write_json(path: &Path, value: &Value) {
    write(
        path,
        serde_json::to_string_pretty(value).unwrap().as_bytes(),
    );
}

fn write_parquet(path: &Path, batch: &RecordBatch) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

fn gzip(text: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

const EVENT_COLUMNS: [(&str, &str); 6] = [
    ("id", "bigint"),
    ("name", "string"),
    ("amount", "decimal(8,2)"),
    ("ts", "timestamp"),
    ("attrs", "struct<color:string,size:int>"),
    ("tags", "array<string>"),
];

/// Builds the fixtures: the sample catalog copied in, and the `fx` database.
pub fn build() -> Fixtures {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Fixtures { dir };
    let catalog = fixtures.catalog();
    let data = fixtures.data();

    // The bundled sample's tables, with their s3:// locations (mapped by lathe.toml).
    for database in ["web", "master"] {
        for entry in fs::read_dir(repo().join("catalog").join(database)).unwrap() {
            let entry = entry.unwrap();
            let target = catalog.join(database).join(entry.file_name());
            fs::create_dir_all(target.parent().unwrap()).unwrap();
            fs::copy(entry.path(), target).unwrap();
        }
    }

    // fx.events: OpenX JSON, Hive-style partitions discovered from folders.
    let fx = catalog.join("fx");
    write_json(
        &fx.join("events.json"),
        &table(
            "events",
            &EVENT_COLUMNS,
            "../data/events/",
            OPENX,
            json!({}),
            &[("dt", "string")],
        ),
    );
    let events = data.join("events");
    write(
        &events.join("dt=2024-01-01/part-0.json"),
        concat!(
            r#"{"ID": 1, "Name": "alpha", "amount": 10.5, "TS": "2024-01-01T10:00:00Z", "Attrs": {"Color": "red", "SIZE": 3}, "tags": ["a", "b"]}"#,
            "\n",
            r#"{"id": 2, "name": "beta", "amount": "7.255", "ts": "2024-01-01 11:30:00.250", "attrs": {"color": "blue"}, "tags": "solo", "unknown": {"x": 1}}"#,
            "\n"
        )
        .as_bytes(),
    );
    write(&events.join("dt=2024-01-01/_SUCCESS"), b"not json at all");
    write(
        &events.join("dt=2024-01-01/.part-0.json.crc"),
        b"\x00\x01garbage",
    );
    write(
        &events.join("dt=2024-01-02/part-0.json.gz"),
        &gzip(concat!(
            r#"{"id": 3, "name": null, "amount": "oops", "ts": 1704196800, "tags": []}"#,
            "\n",
            r#"{"id": 4, "name": {"nested": [true]}, "ts": "2024-01-02T12:00:00+02:00"}"#,
            "\n"
        )),
    );
    // A partition whose second line is malformed: queries that prune it away must succeed.
    write(
        &events.join("dt=2024-01-03/part-0.json"),
        b"{\"id\": 5, \"name\": \"epsilon\"}\n{\"id\": 6, \"name\": \n",
    );

    // fx.events_lenient: the same files, with ignore.malformed.json.
    write_json(
        &fx.join("events_lenient.json"),
        &table(
            "events_lenient",
            &EVENT_COLUMNS,
            "../data/events/",
            OPENX,
            json!({"ignore.malformed.json": "true"}),
            &[("dt", "string")],
        ),
    );

    // fx.strict: the Hive SerDe refuses a value of the wrong type.
    write_json(
        &fx.join("strict.json"),
        &table(
            "strict",
            &[("id", "int")],
            "../data/strict/",
            HIVE_JSON,
            json!({}),
            &[],
        ),
    );
    write(
        &data.join("strict/part-0.json"),
        b"{\"id\": 1}\n{\"id\": \"one\"}\n",
    );

    // fx.items: Parquet; the catalog declares a column the file lacks.
    write_json(
        &fx.join("items.json"),
        &table(
            "items",
            &[
                ("id", "bigint"),
                ("label", "string"),
                ("added_later", "string"),
            ],
            "../data/items/",
            PARQUET,
            json!({}),
            &[],
        ),
    );
    let batch = RecordBatch::try_from_iter(vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef),
        (
            "label",
            Arc::new(StringArray::from(vec![Some("one"), None, Some("three")])),
        ),
    ])
    .unwrap();
    write_parquet(&data.join("items/part-0.parquet"), &batch);

    // fx.shouting: Parquet written with upper-case column names.
    write_json(
        &fx.join("shouting.json"),
        &table(
            "shouting",
            &[("id", "bigint"), ("label", "string")],
            "../data/shouting/",
            PARQUET,
            json!({}),
            &[],
        ),
    );
    let batch = RecordBatch::try_from_iter(vec![
        ("ID", Arc::new(Int64Array::from(vec![7, 8])) as ArrayRef),
        ("Label", Arc::new(StringArray::from(vec!["seven", "eight"]))),
    ])
    .unwrap();
    write_parquet(&data.join("shouting/part-0.parquet"), &batch);

    // fx.mixed: a Parquet table with one partition registered as OpenX JSON
    // (Glue keeps a storage descriptor per partition). Parquet strings are
    // read as views; the JSON partition's are cast to match.
    write_json(
        &fx.join("mixed.json"),
        &table(
            "mixed",
            &[("id", "bigint"), ("label", "string")],
            "../data/mixed/",
            PARQUET,
            json!({}),
            &[("part", "string")],
        ),
    );
    write_json(
        &fx.join("mixed.partitions.json"),
        &json!({"Partitions": [
            {"Values": ["columnar"], "StorageDescriptor": {"Location": "../data/mixed/part=columnar/"}},
            {"Values": ["lines"], "StorageDescriptor": {"Location": "../data/mixed/part=lines/",
                "SerdeInfo": {"SerializationLibrary": OPENX}}}
        ]}),
    );
    let batch = RecordBatch::try_from_iter(vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        ("label", Arc::new(StringArray::from(vec!["one", "two"]))),
    ])
    .unwrap();
    write_parquet(&data.join("mixed/part=columnar/a.parquet"), &batch);
    write(
        &data.join("mixed/part=lines/a.json"),
        b"{\"id\": 3, \"label\": \"three\"}\n{\"id\": 4}\n",
    );

    // fx.registered: partitions registered with their own (non-Hive) locations;
    // one registered partition has no data at all.
    write_json(
        &fx.join("registered.json"),
        &table(
            "registered",
            &[("id", "bigint")],
            "../data/registered/",
            OPENX,
            json!({}),
            &[("year", "int"), ("region", "string")],
        ),
    );
    write_json(
        &fx.join("registered.partitions.json"),
        &json!({"Partitions": [
            {"Values": ["2023", "eu"], "StorageDescriptor": {"Location": "../data/registered/old/eu/"}},
            {"Values": ["2024", "eu"], "StorageDescriptor": {"Location": "../data/registered/new/eu/"}},
            {"Values": ["2024", "us"], "StorageDescriptor": {"Location": "../data/registered/new/us/"}},
            {"Values": ["2025", "us"], "StorageDescriptor": {"Location": "../data/registered/future/"}}
        ]}),
    );
    write(
        &data.join("registered/old/eu/a.json"),
        b"{\"id\": 1}\n{\"id\": 2}\n",
    );
    write(&data.join("registered/new/eu/a.json"), b"{\"id\": 3}\n");
    write(
        &data.join("registered/new/us/a.json"),
        b"{\"id\": 4}\n{\"id\": 5}\n{\"id\": 6}\n",
    );

    // fx.corrupt: a Parquet file cut after 100 bytes; fx.truncated: a gzip file cut short.
    write_json(
        &fx.join("corrupt.json"),
        &table(
            "corrupt",
            &[("id", "bigint")],
            "../data/corrupt/",
            PARQUET,
            json!({}),
            &[],
        ),
    );
    let whole = fs::read(data.join("items/part-0.parquet")).unwrap();
    write(&data.join("corrupt/part-0.parquet"), &whole[..100]);
    write_json(
        &fx.join("truncated.json"),
        &table(
            "truncated",
            &[("id", "bigint")],
            "../data/truncated/",
            OPENX,
            json!({}),
            &[],
        ),
    );
    let lines: String = (0..2000).map(|i| format!("{{\"id\": {i}}}\n")).collect();
    let zipped = gzip(&lines);
    write(
        &data.join("truncated/part-0.json.gz"),
        &zipped[..zipped.len() / 2],
    );

    // fx.nowhere: a location that does not exist.
    write_json(
        &fx.join("nowhere.json"),
        &table(
            "nowhere",
            &[("id", "bigint")],
            "../data/nowhere/",
            OPENX,
            json!({}),
            &[],
        ),
    );

    // fx.dotted: OpenX dots.in.keys (`user.id` names column user_id), next to
    // the same file read without it.
    for (name, dots) in [("dotted", "true"), ("undotted", "false")] {
        write_json(
            &fx.join(format!("{name}.json")),
            &table(
                name,
                &[
                    ("user_id", "bigint"),
                    ("geo", "struct<country_code:string>"),
                ],
                "../data/dotted/",
                OPENX,
                json!({"dots.in.keys": dots}),
                &[],
            ),
        );
    }
    write(
        &data.join("dotted/part-0.json"),
        b"{\"User.Id\": 7, \"geo\": {\"country.code\": \"DE\"}}\n{\"user_id\": 8}\n",
    );

    // fx.hive_ts: Hive SerDe timestamp.formats (a pattern, then epoch millis).
    write_json(
        &fx.join("hive_ts.json"),
        &table(
            "hive_ts",
            &[("id", "int"), ("ts", "timestamp")],
            "../data/hive_ts/",
            HIVE_JSON,
            json!({"timestamp.formats": "dd/MM/yyyy HH:mm:ss,millis"}),
            &[],
        ),
    );
    write(
        &data.join("hive_ts/part-0.json"),
        concat!(
            "{\"id\": 1, \"ts\": \"04/05/2024 18:30:00\"}\n",
            "{\"id\": 2, \"ts\": 1714557723123}\n",
            "{\"id\": 3, \"ts\": \"1714557723123\"}\n",
            "{\"id\": 4, \"ts\": \"2024-05-01 10:02:03.5\"}\n"
        )
        .as_bytes(),
    );
    write_json(
        &fx.join("hive_ts_bad.json"),
        &table(
            "hive_ts_bad",
            &[("ts", "timestamp")],
            "../data/hive_ts/",
            HIVE_JSON,
            json!({"timestamp.formats": "yyyy-MM-dd'T'HH:mm:ssZ"}),
            &[],
        ),
    );

    projection_fixtures(&fx, &data);
    delta_fixtures(&fx, &data);
    csv::build(&fx, &data);
    write_json(&fx.join("athena_orders.json"), &athena_view());
    fixtures
}

/// fx.athena_orders: a view in the shape Athena writes to Glue, written by
/// hand (not by lathe): `ViewOriginalText` is base64 (Python's
/// `base64.b64encode`) of the JSON
/// `{"originalSql":"SELECT order_id, total AS amount, status\nFROM orders",
/// "catalog":"awsdatacatalog","schema":"master","columns":[{"name":"order_id",
/// "type":"bigint"},{"name":"amount","type":"decimal(12,2)"},{"name":"status",
/// "type":"varchar"}],"owner":"arn:aws:iam::123456789012:user/analyst",
/// "runAsInvoker":false,"properties":{}}`. Its `orders` is unqualified, so it
/// resolves in the view's schema, `master`, whatever the current database.
pub fn athena_view() -> Value {
    json!({"Table": {
        "Name": "athena_orders",
        "DatabaseName": "fx",
        "Owner": "arn:aws:iam::123456789012:user/analyst",
        "CreateTime": 1714558530.0,
        "UpdateTime": 1714558530.0,
        "Retention": 0,
        "StorageDescriptor": {
            "Columns": [
                {"Name": "order_id", "Type": "bigint"},
                {"Name": "amount", "Type": "decimal(12,2)"},
                {"Name": "status", "Type": "string"}
            ],
            "Location": "",
            "Compressed": false,
            "NumberOfBuckets": 0,
            "SerdeInfo": {},
            "SortColumns": [],
            "StoredAsSubDirectories": false
        },
        "PartitionKeys": [],
        "ViewOriginalText": ATHENA_VIEW_TEXT,
        "ViewExpandedText": "/* Presto View */",
        "TableType": "VIRTUAL_VIEW",
        "Parameters": {"comment": "Presto View", "presto_view": "true"},
        "IsRegisteredWithLakeFormation": false,
        "CatalogId": "123456789012"
    }})
}

/// `ViewOriginalText` of [`athena_view`].
pub const ATHENA_VIEW_TEXT: &str = "/* Presto View: eyJvcmlnaW5hbFNxbCI6IlNFTEVDVCBvcmRlcl9pZCwgdG90YWwgQVMgYW1vdW50LCBzdGF0dXNcbkZST00gb3JkZXJzIiwiY2F0YWxvZyI6ImF3c2RhdGFjYXRhbG9nIiwic2NoZW1hIjoibWFzdGVyIiwiY29sdW1ucyI6W3sibmFtZSI6Im9yZGVyX2lkIiwidHlwZSI6ImJpZ2ludCJ9LHsibmFtZSI6ImFtb3VudCIsInR5cGUiOiJkZWNpbWFsKDEyLDIpIn0seyJuYW1lIjoic3RhdHVzIiwidHlwZSI6InZhcmNoYXIifV0sIm93bmVyIjoiYXJuOmF3czppYW06OjEyMzQ1Njc4OTAxMjp1c2VyL2FuYWx5c3QiLCJydW5Bc0ludm9rZXIiOmZhbHNlLCJwcm9wZXJ0aWVzIjp7fX0= */";

/// `t` with table parameters added (for partition projection).
fn with_parameters(mut t: Value, parameters: &[(&str, &str)]) -> Value {
    let params = t["Table"]["Parameters"].as_object_mut().unwrap();
    for (k, v) in parameters {
        params.insert(k.to_string(), json!(v));
    }
    t
}

/// Tables whose partitions are projected (ATHENA.md §3). Each has data in a
/// projected location, data outside its range (never read), and some a
/// malformed file in a projected partition that narrowed queries must not read.
fn projection_fixtures(fx: &Path, data: &Path) {
    // fx.hourly: Firehose's layout, a date projection up to NOW.
    write_json(
        &fx.join("hourly.json"),
        &with_parameters(
            table(
                "hourly",
                &[("id", "bigint")],
                "../data/hourly/",
                OPENX,
                json!({}),
                &[("datehour", "string")],
            ),
            &[
                ("projection.enabled", "true"),
                ("projection.datehour.type", "date"),
                ("projection.datehour.format", "yyyy/MM/dd/HH"),
                ("projection.datehour.range", "2024/01/01/00,NOW"),
                ("projection.datehour.interval", "1"),
                ("projection.datehour.interval.unit", "HOURS"),
                ("storage.location.template", "../data/hourly/${datehour}/"),
            ],
        ),
    );
    let hourly = data.join("hourly");
    write(
        &hourly.join("2024/01/01/00/a.json.gz"),
        &gzip("{\"id\": 1}\n{\"id\": 2}\n"),
    );
    write(&hourly.join("2024/01/01/05/a.json"), b"{\"id\": 3}\n");
    write(
        &hourly.join("2024/03/10/12/a.json"),
        b"{\"id\": 4}\n{\"id\": 5}\n{\"id\": 6}\n",
    );
    write(
        &hourly.join("2024/06/01/00/bad.json"),
        b"{\"id\": 7}\n{\"id\": \n",
    );
    // Before the range's start: never a partition.
    write(&hourly.join("2023/12/31/23/a.json"), b"{\"id\": 99}\n");
    // Registered partitions are ignored while projection is on: this one is
    // before the range's start.
    write_json(
        &fx.join("hourly.partitions.json"),
        &json!({"Partitions": [
            {"Values": ["2023/12/31/23"], "StorageDescriptor": {"Location": "../data/hourly/2023/12/31/23/"}}
        ]}),
    );

    // fx.region_hour: enum × zero-padded integer, Hive's default layout.
    write_json(
        &fx.join("region_hour.json"),
        &with_parameters(
            table(
                "region_hour",
                &[("id", "bigint")],
                "../data/region_hour/",
                OPENX,
                json!({}),
                &[("region", "string"), ("hour", "int")],
            ),
            &[
                ("projection.enabled", "true"),
                ("projection.region.type", "enum"),
                ("projection.region.values", "eu,us"),
                ("projection.hour.type", "integer"),
                ("projection.hour.range", "0,23"),
                ("projection.hour.digits", "2"),
            ],
        ),
    );
    let region_hour = data.join("region_hour");
    write(
        &region_hour.join("region=eu/hour=03/a.json"),
        b"{\"id\": 1}\n{\"id\": 2}\n",
    );
    write(
        &region_hour.join("region=us/hour=15/a.json"),
        b"{\"id\": 3}\n",
    );
    write(
        &region_hour.join("region=us/hour=23/bad.json"),
        b"{\"id\": \n",
    );
    // Not a projected value: a region outside the enum, an hour without padding.
    write(
        &region_hour.join("region=ap/hour=03/a.json"),
        b"{\"id\": 98}\n",
    );
    write(
        &region_hour.join("region=eu/hour=3/a.json"),
        b"{\"id\": 99}\n",
    );

    // fx.daily: a DATE column, days every two days, a location template.
    write_json(
        &fx.join("daily.json"),
        &with_parameters(
            table(
                "daily",
                &[("id", "bigint")],
                "../data/daily/",
                OPENX,
                json!({}),
                &[("dt", "date")],
            ),
            &[
                ("projection.enabled", "true"),
                ("projection.dt.type", "date"),
                ("projection.dt.format", "yyyy-MM-dd"),
                ("projection.dt.range", "2024-01-01,2024-01-09"),
                ("projection.dt.interval", "2"),
                ("projection.dt.interval.unit", "DAYS"),
                ("storage.location.template", "../data/daily/day=${dt}/"),
            ],
        ),
    );
    let daily = data.join("daily");
    write(&daily.join("day=2024-01-03/a.json"), b"{\"id\": 1}\n");
    write(
        &daily.join("day=2024-01-09/a.json"),
        b"{\"id\": 2}\n{\"id\": 3}\n",
    );
    // Off the interval, and after the range's end: never partitions.
    write(&daily.join("day=2024-01-02/a.json"), b"{\"id\": 98}\n");
    write(&daily.join("day=2024-01-11/a.json"), b"{\"id\": 99}\n");

    // fx.injected: the device comes from the query.
    write_json(
        &fx.join("injected.json"),
        &with_parameters(
            table(
                "injected",
                &[("id", "bigint")],
                "../data/injected/",
                OPENX,
                json!({}),
                &[("device", "string")],
            ),
            &[
                ("projection.enabled", "true"),
                ("projection.device.type", "injected"),
                (
                    "storage.location.template",
                    "../data/injected/devices/${device}/",
                ),
            ],
        ),
    );
    write(
        &data.join("injected/devices/a1/a.json"),
        b"{\"id\": 1}\n{\"id\": 2}\n",
    );
    write(&data.join("injected/devices/b2/a.json"), b"{\"id\": 3}\n");

    // Misconfigured projections.
    let misconfigured = |name: &str, keys: &[(&str, &str)], params: &[(&str, &str)]| {
        let mut all = vec![("projection.enabled", "true")];
        all.extend_from_slice(params);
        write_json(
            &fx.join(format!("{name}.json")),
            &with_parameters(
                table(
                    name,
                    &[("id", "bigint")],
                    "../data/events/",
                    OPENX,
                    json!({}),
                    keys,
                ),
                &all,
            ),
        );
    };
    misconfigured(
        "unconfigured",
        &[("dt", "string"), ("region", "string")],
        &[
            ("projection.dt.type", "enum"),
            ("projection.dt.values", "2024-01-01"),
        ],
    );
    misconfigured(
        "bad_range",
        &[("hour", "int")],
        &[
            ("projection.hour.type", "integer"),
            ("projection.hour.range", "0-23"),
        ],
    );
    misconfigured(
        "too_many",
        &[("a", "int"), ("b", "int")],
        &[
            ("projection.a.type", "integer"),
            ("projection.a.range", "1,2000"),
            ("projection.b.type", "integer"),
            ("projection.b.range", "1,2000"),
        ],
    );
}

/// The bundled named queries (`queries/*.sql`).
pub const NAMED_QUERIES: [&str; 8] = [
    "daily_active_users",
    "funnel_by_day",
    "revenue_by_category",
    "push_campaign_hourly",
    "top_referrers",
    "customer_segment_revenue",
    "order_status_by_day",
    "shipping_by_carrier",
];

/// The location map of the repository's lathe.toml (for the sample's s3:// locations).
pub fn sample_map() -> lathe::LocationMap {
    let config = lathe::FileConfig::load(&repo().join("lathe.toml")).unwrap();
    lathe::LocationMap::new(config.mappings().unwrap())
}

/// The Python interpreter of the test virtualenv, with everything in
/// `scripts/requirements-test.txt` installed (by `scripts/python-env`, which
/// is quick when nothing changed). Panics with the script's error when the
/// environment cannot be made: the tests that need it must fail, not skip.
pub fn python() -> PathBuf {
    let out = std::process::Command::new(repo().join("scripts/python-env"))
        .output()
        .expect("cannot run scripts/python-env");
    assert!(
        out.status.success(),
        "scripts/python-env failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// fx.delta_orders: a Delta table written by hand as the Delta protocol
/// lays one out (not by lathe): a first commit adds two files, a second
/// (an UPDATE) adds a rewritten file and removes the one it replaces, which
/// stays on disk. Glue holds a placeholder column, as Spark leaves it.
/// fx.delta_dv: a table whose files carry deletion vectors, one in a file
/// beside the data (storage type `u`), one inline in the log (`i`);
/// fx.delta_dv_missing: the same log, its vector file deleted.
fn delta_fixtures(fx: &Path, data: &Path) {
    let root = data.join("delta_orders");
    let file = |relative: &str, ids: Vec<i64>, statuses: Vec<&str>| {
        let batch = RecordBatch::try_from_iter([
            ("order_id", Arc::new(Int64Array::from(ids)) as _),
            ("status", Arc::new(StringArray::from(statuses)) as _),
        ])
        .unwrap();
        let path = root.join(relative);
        write_parquet(&path, &batch);
        fs::metadata(&path).unwrap().len()
    };
    let eu_old = file("region=eu/part-0.parquet", vec![1, 2], vec!["new", "paid"]);
    let us = file("region=us/part-1.parquet", vec![3], vec!["new"]);
    let eu_new = file(
        "region=eu/part-2.parquet",
        vec![1, 2],
        vec!["new", "refunded"],
    );
    let schema = json!({"type": "struct", "fields": [
        {"name": "order_id", "type": "long", "nullable": true, "metadata": {}},
        {"name": "status", "type": "string", "nullable": true, "metadata": {}},
        {"name": "region", "type": "string", "nullable": true, "metadata": {}}
    ]});
    let add_with = |path: &str, region: &str, size: u64, dv: Option<Value>| {
        let mut add = json!({"add": {"path": path, "partitionValues": {"region": region},
            "size": size, "modificationTime": 1714558530000_i64, "dataChange": true}});
        if let Some(dv) = dv {
            add["add"]["deletionVector"] = dv;
        }
        add.to_string()
    };
    let add = |path: &str, region: &str, size: u64| add_with(path, region, size, None);
    let first = [
        json!({"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}).to_string(),
        json!({"metaData": {"id": "d1", "format": {"provider": "parquet", "options": {}},
            "schemaString": schema.to_string(), "partitionColumns": ["region"],
            "configuration": {}, "createdTime": 1714558530000_i64}})
        .to_string(),
        add("region=eu/part-0.parquet", "eu", eu_old),
        add("region=us/part-1.parquet", "us", us),
    ];
    let second = [
        json!({"commitInfo": {"operation": "UPDATE"}}).to_string(),
        add("region=eu/part-2.parquet", "eu", eu_new),
        json!({"remove": {"path": "region=eu/part-0.parquet", "dataChange": true}}).to_string(),
    ];
    let log = root.join("_delta_log");
    write(
        &log.join("00000000000000000000.json"),
        first.join("\n").as_bytes(),
    );
    write(
        &log.join("00000000000000000001.json"),
        second.join("\n").as_bytes(),
    );
    // Deletion vectors: order 2 deleted from the eu file by a vector in
    // its own file (after 4 bytes of another vector, as Spark packs them),
    // orders 3 and 5 from the us file by an inline one.
    let dv_root = data.join("delta_dv");
    let dv_file = |relative: &str, ids: Vec<i64>, statuses: Vec<&str>| {
        let batch = RecordBatch::try_from_iter([
            ("order_id", Arc::new(Int64Array::from(ids)) as _),
            ("status", Arc::new(StringArray::from(statuses)) as _),
        ])
        .unwrap();
        let path = dv_root.join(relative);
        write_parquet(&path, &batch);
        fs::metadata(&path).unwrap().len()
    };
    let eu = dv_file("region=eu/part-0.parquet", vec![1, 2], vec!["new", "paid"]);
    let us = dv_file(
        "region=us/part-1.parquet",
        vec![3, 4, 5],
        vec!["new", "paid", "new"],
    );
    let (eu_array, us_array) = (bitmap_array(&[1]), bitmap_array(&[0, 2]));
    let mut vectors = vec![1u8, 0, 0, 0, 0];
    vectors.extend((eu_array.len() as u32).to_be_bytes());
    vectors.extend(&eu_array);
    vectors.extend(crc32fast::hash(&eu_array).to_be_bytes());
    let uuid = [7u8; 16];
    write(
        &dv_root.join(format!("xy/deletion_vector_{}.bin", uuid_string(&uuid))),
        &vectors,
    );
    let mut padded = us_array.clone();
    padded.resize(us_array.len().div_ceil(4) * 4, 0);
    let dv_log = [
        first[0].clone(),
        first[1].clone(),
        add_with(
            "region=eu/part-0.parquet",
            "eu",
            eu,
            Some(json!({"storageType": "u",
                "pathOrInlineDv": format!("xy{}", z85::encode(uuid)), "offset": 5,
                "sizeInBytes": eu_array.len(), "cardinality": 1})),
        ),
        add_with(
            "region=us/part-1.parquet",
            "us",
            us,
            Some(
                json!({"storageType": "i", "pathOrInlineDv": z85::encode(&padded),
                "sizeInBytes": us_array.len(), "cardinality": 2}),
            ),
        ),
    ];
    write(
        &dv_root.join("_delta_log/00000000000000000000.json"),
        dv_log.join("\n").as_bytes(),
    );
    // The same log where the vector file is not.
    let missing = data.join("delta_dv_missing");
    for file in ["region=eu/part-0.parquet", "region=us/part-1.parquet"] {
        fs::create_dir_all(missing.join(file).parent().unwrap()).unwrap();
        fs::copy(dv_root.join(file), missing.join(file)).unwrap();
    }
    write(
        &missing.join("_delta_log/00000000000000000000.json"),
        dv_log.join("\n").as_bytes(),
    );
    for (name, location) in [
        ("delta_orders", "../data/delta_orders/"),
        ("delta_dv", "../data/delta_dv/"),
        ("delta_dv_missing", "../data/delta_dv_missing/"),
    ] {
        write_json(
            &fx.join(format!("{name}.json")),
            &with_parameters(
                table(
                    name,
                    &[("col", "array<string>")],
                    location,
                    PARQUET,
                    json!({}),
                    &[],
                ),
                &[("table_type", "DELTA")],
            ),
        );
    }
}

/// A Delta `RoaringBitmapArray` of `rows`: the magic number, then the
/// portable 64-bit Roaring layout (`RoaringTreemap`'s).
fn bitmap_array(rows: &[u64]) -> Vec<u8> {
    let bitmap: roaring::RoaringTreemap = rows.iter().copied().collect();
    let mut bytes = 1681511377u32.to_le_bytes().to_vec();
    bitmap.serialize_into(&mut bytes).unwrap();
    bytes
}

/// A UUID's canonical text.
fn uuid_string(bytes: &[u8; 16]) -> String {
    uuid::Uuid::from_bytes(*bytes).to_string()
}
