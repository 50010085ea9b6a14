//! Criterion benchmarks of lathe's own hot paths: loading the catalog,
//! partition projection (value generation and predicate narrowing), the
//! OpenX JSON decoder, the text (CSV) decoders, Hive type parsing and
//! Athena's result CSV writer. Decoders and the writer report MB/s.
//!
//! `cargo bench --features bench --bench hot_paths` measures on full-size
//! inputs; `cargo test --release --features bench --benches` runs every
//! benchmark once on tiny inputs (criterion's test mode, without `--bench`).
//! The `bench` feature keeps criterion (and the serde feature it needs) out
//! of the default build; see Cargo.toml.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datafusion::arrow::array::{
    ArrayRef, Decimal128Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use datafusion::logical_expr::{Expr, col, lit};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use lathe::catalog::TableDef;
use lathe::catalog::local::LocalCatalog;
use lathe::{Catalog, OutputFormat, bench};
use serde_json::{Value, json};

/// Full-size inputs when measuring (`--bench`), tiny ones when run as a test.
fn size(full: usize, test: usize) -> usize {
    if std::env::args().any(|a| a == "--bench") {
        full
    } else {
        test
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
}

fn glue_table(
    name: &str,
    columns: &[(&str, &str)],
    serde: &str,
    serde_params: Value,
    keys: &[(&str, &str)],
    params: Value,
) -> Value {
    let cols = |list: &[(&str, &str)]| -> Vec<Value> {
        list.iter()
            .map(|(n, t)| json!({"Name": n, "Type": t}))
            .collect()
    };
    json!({"Table": {
        "Name": name, "DatabaseName": "db", "TableType": "EXTERNAL_TABLE",
        "CreateTime": 1714558530.0,
        "StorageDescriptor": {
            "Columns": cols(columns), "Location": format!("s3://bucket/{name}/"),
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "SerdeInfo": {"SerializationLibrary": serde, "Parameters": serde_params}
        },
        "PartitionKeys": cols(keys), "Parameters": params
    }})
}

const OPENX: &str = "org.openx.data.jsonserde.JsonSerDe";
const LAZY_SIMPLE: &str = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
const OPEN_CSV: &str = "org.apache.hadoop.hive.serde2.OpenCSVSerde";

const CLICK_COLUMNS: [(&str, &str); 8] = [
    ("event_id", "string"),
    ("event_time", "timestamp"),
    ("user_id", "bigint"),
    ("event_type", "string"),
    ("price", "decimal(10,2)"),
    (
        "device",
        "struct<os:string,browser:string,is_mobile:boolean>",
    ),
    ("tags", "array<string>"),
    ("utm", "map<string,string>"),
];

fn write_json(path: &Path, value: &Value) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, value.to_string()).expect("write");
}

/// Writes `table` into a fresh catalog folder under `root` and loads it back.
fn load(root: &Path, table: &Value) -> TableDef {
    let name = table["Table"]["Name"].as_str().expect("a name");
    write_json(&root.join("db").join(format!("{name}.json")), table);
    let catalog = LocalCatalog::open(root).expect("catalog");
    let def = runtime()
        .block_on(catalog.table("db", name))
        .expect("table loads");
    (*def).clone()
}

fn catalog_load(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("tempdir");
    let one = dir.path().join("one");
    let click = glue_table(
        "clicks",
        &CLICK_COLUMNS,
        OPENX,
        json!({"ignore.malformed.json": "true"}),
        &[("datehour", "string")],
        json!({"classification": "json"}),
    );
    write_json(&one.join("db/clicks.json"), &click);

    let many = dir.path().join("many");
    let tables = size(1000, 10);
    for i in 0..tables {
        let mut t = click.clone();
        t["Table"]["Name"] = json!(format!("t{i:04}"));
        write_json(&many.join(format!("db/t{i:04}.json")), &t);
    }

    let parts = dir.path().join("parts");
    let partitions = size(10_000, 50);
    let orders = glue_table(
        "orders",
        &[("order_id", "bigint"), ("total", "decimal(12,2)")],
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        json!({}),
        &[("order_date", "date"), ("region", "string")],
        json!({}),
    );
    write_json(&parts.join("db/orders.json"), &orders);
    let registered: Vec<Value> = (0..partitions)
        .map(|i| {
            let day = format!("2024-{:02}-{:02}", 1 + i % 12, 1 + i / 12 % 28);
            let region = format!("r{}", i / 336);
            json!({"Values": [day, region], "StorageDescriptor": {
                "Location": format!("s3://bucket/orders/order_date={day}/region={region}/")
            }})
        })
        .collect();
    write_json(
        &parts.join("db/orders.partitions.json"),
        &json!({"Partitions": registered}),
    );

    let mut group = c.benchmark_group("catalog_load");
    group.bench_function("1_table", |b| {
        b.iter(|| {
            let catalog = LocalCatalog::open(&one).expect("catalog");
            rt.block_on(catalog.table("db", "clicks")).expect("table")
        })
    });
    group.bench_function("1000_tables", |b| {
        b.iter(|| {
            let catalog = LocalCatalog::open(&many).expect("catalog");
            rt.block_on(async {
                let names = catalog.tables("db").await.expect("tables");
                for name in &names {
                    black_box(catalog.table("db", name).await.expect("table"));
                }
                names.len()
            })
        })
    });
    group.bench_function("10000_partitions", |b| {
        b.iter(|| {
            let catalog = LocalCatalog::open(&parts).expect("catalog");
            rt.block_on(async {
                let table = catalog.table("db", "orders").await.expect("table");
                let parts = catalog.partitions(&table).await.expect("partitions");
                parts.map_or(0, |p| p.len())
            })
        })
    });
    group.finish();
}

fn projection(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let hourly = load(
        dir.path(),
        &glue_table(
            "hourly",
            &CLICK_COLUMNS,
            OPENX,
            json!({}),
            &[("datehour", "string")],
            json!({
                "projection.enabled": "true",
                "projection.datehour.type": "date",
                "projection.datehour.format": "yyyy/MM/dd/HH",
                "projection.datehour.range": "2023/01/01/00,NOW",
                "projection.datehour.interval": "1",
                "projection.datehour.interval.unit": "HOURS",
                "storage.location.template": "s3://bucket/hourly/${datehour}/"
            }),
        ),
    );
    let grid = load(
        dir.path(),
        &glue_table(
            "grid",
            &[("id", "bigint")],
            OPENX,
            json!({}),
            &[("region", "string"), ("day", "int"), ("hour", "int")],
            json!({
                "projection.enabled": "true",
                "projection.region.type": "enum",
                "projection.region.values": "af,ap,ca,eu,me,sa,us,cn",
                "projection.day.type": "integer",
                "projection.day.range": "1,366",
                "projection.hour.type": "integer",
                "projection.hour.range": "0,23",
                "projection.hour.digits": "2"
            }),
        ),
    );
    let hour = col("datehour").eq(lit("2024/05/04/18"));
    let day = col("datehour").between(lit("2024/05/04/00"), lit("2024/05/04/23"));
    let regions = col("region").in_list(vec![lit("eu"), lit("us")], false);
    let cases: [(&str, &TableDef, Vec<Expr>); 5] = [
        ("one_hour_of_years", &hourly, vec![hour]),
        ("one_day_between", &hourly, vec![day]),
        ("every_hour_since_2023", &hourly, vec![]),
        ("enum_x_int_x_int_all", &grid, vec![]),
        (
            "enum_in_x_int_range",
            &grid,
            vec![
                regions,
                col("day").gt_eq(lit(100)).and(col("day").lt(lit(107))),
            ],
        ),
    ];
    let mut group = c.benchmark_group("projection");
    for (name, table, filters) in &cases {
        let count = bench::projected_partitions(table, filters).expect("partitions");
        group.throughput(Throughput::Elements(count as u64));
        group.bench_function(*name, |b| {
            b.iter(|| bench::projected_partitions(table, black_box(filters)).expect("partitions"))
        });
    }
    group.finish();
}

/// Firehose-style click events: mixed-case keys, nested values, extra keys.
fn click_lines(n: usize) -> Vec<u8> {
    let mut out = String::new();
    for i in 0..n {
        let mobile = i % 3 == 0;
        out.push_str(&format!(
            concat!(
                r#"{{"Event_ID":"{:08x}-1f2e-4d3c-8b7a-{:012x}","event_time":"2024-05-04T18:{:02}:{:02}.{:03}Z","#,
                r#""User_Id":{},"EVENT_TYPE":"{}","price":"{}.{:02}","#,
                r#""Device":{{"OS":"{}","Browser":"Firefox","Is_Mobile":{}}},"#,
                r#""Tags":["promo","spring",{}],"UTM":{{"source":"push","campaign":"spring_sale"}},"#,
                r#""ingest":{{"shard":{},"v":1}}}}"#,
                "\n"
            ),
            i,
            i * 7919,
            i % 60,
            i * 7 % 60,
            i % 1000,
            100_000 + i % 5000,
            ["page_view", "add_to_cart", "purchase"][i % 3],
            i % 500,
            i % 100,
            if mobile { "iOS" } else { "Windows" },
            mobile,
            i % 17,
            i % 4
        ));
    }
    out.into_bytes()
}

fn json_decoding(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let table = load(
        dir.path(),
        &glue_table(
            "clicks",
            &CLICK_COLUMNS,
            OPENX,
            json!({"mapping.event_time": "event_time"}),
            &[],
            json!({}),
        ),
    );
    let data = click_lines(size(50_000, 100));
    let mut group = c.benchmark_group("json_decode");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("openx_clickstream", |b| {
        b.iter(|| bench::decode_json(&table, black_box(&data)).expect("decodes"))
    });
    group.finish();
}

fn text_decoding(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let columns = [
        ("id", "bigint"),
        ("name", "string"),
        ("score", "double"),
        ("seen", "timestamp"),
        ("price", "decimal(10,2)"),
        ("tags", "array<string>"),
    ];
    let lazy = load(
        dir.path(),
        &glue_table(
            "lazy",
            &columns,
            LAZY_SIMPLE,
            json!({"field.delim": ",", "collection.delim": "|"}),
            &[],
            json!({}),
        ),
    );
    let quoted = load(
        dir.path(),
        &glue_table(
            "quoted",
            &[
                ("id", "bigint"),
                ("name", "string"),
                ("score", "double"),
                ("seen", "timestamp"),
                ("price", "decimal(10,2)"),
            ],
            OPEN_CSV,
            json!({}),
            &[],
            json!({}),
        ),
    );
    let n = size(100_000, 100);
    let lazy_data: Vec<u8> = (0..n)
        .map(|i| {
            let name = if i % 10 == 0 {
                "\\N".to_string()
            } else {
                format!("customer {i}")
            };
            format!(
                "{i},{name},{}.{},2024-05-04 18:{:02}:{:02}.{:03},{}.{:02},promo|spring|t{}\n",
                i % 1000,
                i % 10,
                i % 60,
                i * 7 % 60,
                i % 1000,
                i % 500,
                i % 100,
                i % 17
            )
        })
        .collect::<String>()
        .into_bytes();
    let quoted_data: Vec<u8> = (0..n)
        .map(|i| {
            format!(
                "\"{i}\",\"Customer {i}, \"\"VIP\"\"\",\"{}.{}\",\"{}\",\"{}.{:02}\"\n",
                i % 1000,
                i % 10,
                1_714_846_800_000i64 + i as i64 * 1000,
                i % 500,
                i % 100
            )
        })
        .collect::<String>()
        .into_bytes();
    let mut group = c.benchmark_group("text_decode");
    group.throughput(Throughput::Bytes(lazy_data.len() as u64));
    group.bench_function("lazy_simple_csv", |b| {
        b.iter(|| bench::decode_text(&lazy, black_box(&lazy_data)).expect("decodes"))
    });
    group.throughput(Throughput::Bytes(quoted_data.len() as u64));
    group.bench_function("open_csv_quoted", |b| {
        b.iter(|| bench::decode_text(&quoted, black_box(&quoted_data)).expect("decodes"))
    });
    group.finish();
}

fn hive_types(c: &mut Criterion) {
    let types = [
        "string",
        "bigint",
        "decimal(12,2)",
        "varchar(32)",
        "timestamp",
        "array<string>",
        "map<string,string>",
        "struct<os:string,browser:string,is_mobile:boolean>",
        "array<struct<sku:string,qty:int,price:decimal(10,2),attrs:map<string,array<string>>>>",
        "STRUCT< `Order Id` : BIGINT , Lines : ARRAY < STRUCT < Sku : VARCHAR(20) > > >",
    ];
    let mut group = c.benchmark_group("hive_type");
    group.throughput(Throughput::Elements(types.len() as u64));
    group.bench_function("parse_10_types", |b| {
        b.iter(|| {
            for t in &types {
                black_box(lathe::parse_hive_type(black_box(t)).expect("parses"));
            }
        })
    });
    group.finish();
}

fn csv_writing(c: &mut Criterion) {
    let n = size(100_000, 100);
    let batch = RecordBatch::try_from_iter(vec![
        (
            "id",
            Arc::new(Int64Array::from_iter_values(0..n as i64)) as ArrayRef,
        ),
        (
            "name",
            Arc::new(StringArray::from_iter((0..n).map(|i| {
                (i % 10 != 0).then(|| format!("Customer {i}, \"VIP\""))
            }))),
        ),
        (
            "score",
            Arc::new(Float64Array::from_iter_values(
                (0..n).map(|i| i as f64 / 8.0),
            )),
        ),
        (
            "seen",
            Arc::new(TimestampMillisecondArray::from_iter_values(
                (0..n).map(|i| 1_714_846_800_000 + i as i64 * 1000),
            )),
        ),
        (
            "total",
            Arc::new(
                Decimal128Array::from_iter_values((0..n).map(|i| i as i128 * 137))
                    .with_precision_and_scale(12, 2)
                    .expect("decimal"),
            ),
        ),
    ])
    .expect("batch");
    let rt = runtime();
    let write = |batch: &RecordBatch| -> Vec<u8> {
        let stream = RecordBatchStreamAdapter::new(
            batch.schema(),
            futures::stream::iter(vec![Ok(batch.clone())]),
        );
        let mut out = Vec::new();
        rt.block_on(lathe::render::write_stream(
            Box::pin(stream),
            OutputFormat::Csv,
            &mut out,
        ))
        .expect("writes");
        out
    };
    let bytes = write(&batch).len();
    let mut group = c.benchmark_group("csv_write");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("athena_result_csv", |b| b.iter(|| write(black_box(&batch))));
    group.finish();
}

criterion_group!(
    benches,
    catalog_load,
    projection,
    json_decoding,
    text_decoding,
    hive_types,
    csv_writing
);
criterion_main!(benches);
