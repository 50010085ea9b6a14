//! Generates the bundled sample warehouse, deterministically, at any size.
//!
//! ```text
//! cargo run --release --example gen_sample -- [--out DIR] [--scale N] [--days N]
//! ```
//!
//! Writes, under DIR (default: the current folder):
//! - `sample/raw/firehose/clickstream/YYYY/MM/DD/HH/*.gz`: web click events as
//!   gzipped NDJSON in Firehose's layout, with mixed-case keys (and `eventTime`,
//!   read through the SerDe's `mapping.event_time`), a nested device struct,
//!   tags arrays and a utm map; one push campaign spike;
//! - `sample/warehouse/master/{customers,products}/*.parquet` and
//!   `sample/warehouse/master/orders/order_date=YYYY-MM-DD/*.parquet`: Parquet
//!   copies of the production database; every purchase event has its order;
//! - `sample/raw/marketing/campaigns/campaigns.csv`: the marketing team's
//!   campaign list, a quoted CSV with a header (OpenCSVSerde), joinable to
//!   the clickstream's `utm['campaign']`;
//! - `catalog/`: the Glue tables (as `aws glue get-table` prints them) with
//!   `s3://` locations; the clickstream's hours are a Firehose-style date
//!   projection (`datehour`, `yyyy/MM/dd/HH`, from the first hour to `NOW`);
//! - `lathe.toml`: maps those `s3://` locations to the local copies.
//!
//! The same arguments always give byte-identical files.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Int32Array, Int64Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use flate2::{Compression as GzLevel, GzBuilder};
use serde_json::{Value, json};

const RAW_BUCKET: &str = "s3://acme-raw/";
const WAREHOUSE_BUCKET: &str = "s3://acme-warehouse/";
const CATEGORIES: [&str; 8] = [
    "electronics",
    "home",
    "garden",
    "toys",
    "books",
    "fashion",
    "sports",
    "beauty",
];
const COUNTRIES: [&str; 9] = ["US", "GB", "DE", "FR", "CA", "AU", "BR", "IN", "JP"];
const REFERRERS: [&str; 6] = [
    "google.com",
    "facebook.com",
    "instagram.com",
    "newsletter",
    "bing.com",
    "t.co",
];
const DEVICES: [(&str, &str, bool); 6] = [
    ("iOS", "Safari", true),
    ("Android", "Chrome", true),
    ("Windows", "Chrome", false),
    ("Windows", "Edge", false),
    ("macOS", "Safari", false),
    ("Linux", "Firefox", false),
];
/// The push campaign: day index and UTC hour of the spike.
const CAMPAIGN: (i64, u32) = (3, 18);

struct Args {
    out: PathBuf,
    scale: u64,
    days: i64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        out: PathBuf::from("."),
        scale: 1,
        days: 7,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--out" => args.out = PathBuf::from(value()?),
            "--scale" => {
                args.scale = value()?
                    .parse()
                    .map_err(|_| "--scale takes a whole number")?
            }
            "--days" => {
                args.days = value()?
                    .parse()
                    .map_err(|_| "--days takes a whole number")?
            }
            "-h" | "--help" => {
                return Err("usage: gen_sample [--out DIR] [--scale N] [--days N]".into());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.scale == 0 || args.days <= 0 {
        return Err("--scale and --days must be at least 1".into());
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = generate(&args) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// SplitMix64: small, fast, and the same on every platform and version.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        )
    }
}

struct Product {
    id: i64,
    price_cents: i64,
}

struct Order {
    id: i64,
    customer: i64,
    product: i64,
    quantity: i32,
    unit_cents: i64,
    status: &'static str,
    at: DateTime<Utc>,
}

fn generate(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = Rng(0x1a7e_5eed);
    let start = NaiveDate::from_ymd_opt(2024, 5, 1)
        .ok_or("bad start date")?
        .and_hms_opt(0, 0, 0)
        .ok_or("bad time")?
        .and_utc();
    let sample = args.out.join("sample");
    let raw = sample.join("raw/firehose/clickstream");
    let master = sample.join("warehouse/master");
    for dir in [&raw, &master] {
        if dir.exists() {
            fs::remove_dir_all(dir)?;
        }
    }

    let products = write_products(&master.join("products"), &mut rng)?;
    let customers = 1500 * args.scale as i64;
    write_customers(&master.join("customers"), customers, &mut rng)?;
    let (orders, partitions) =
        write_clickstream(&raw, args, start, customers, &products, &mut rng)?;
    write_orders(&master.join("orders"), &orders)?;
    write_campaigns(&sample.join("raw/marketing/campaigns"))?;
    write_catalog(&args.out.join("catalog"), start)?;
    write_iceberg(&args.out)?;
    write_orc(&args.out)?;
    let config = args.out.join("lathe.toml");
    if !config.exists() {
        fs::write(
            &config,
            format!(
                "# Generated by gen_sample: query the local copies with the production catalog.\n\
                 catalog = \"catalog\"\ndatabase = \"web\"\n\
                 map = [\"{RAW_BUCKET}=sample/raw/\", \"{WAREHOUSE_BUCKET}=sample/warehouse/\"]\n"
            ),
        )?;
    }
    eprintln!(
        "wrote {} products, {customers} customers, {} orders, {} clickstream hours under {}",
        products.len(),
        orders.len(),
        partitions.len(),
        args.out.display()
    );
    Ok(())
}

fn parquet_file(dir: &Path, batch: &RecordBatch) -> Result<(), Box<dyn std::error::Error>> {
    fs::create_dir_all(dir)?;
    let file = fs::File::create(dir.join("part-00000.snappy.parquet"))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by("lathe gen_sample".into())
        .build();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(())
}

fn decimal(values: Vec<i64>, precision: u8) -> Result<ArrayRef, Box<dyn std::error::Error>> {
    let values: Vec<i128> = values.into_iter().map(i128::from).collect();
    Ok(Arc::new(
        Decimal128Array::from(values).with_precision_and_scale(precision, 2)?,
    ))
}

fn write_products(dir: &Path, rng: &mut Rng) -> Result<Vec<Product>, Box<dyn std::error::Error>> {
    let n = 120;
    let mut products = Vec::new();
    let (mut ids, mut skus, mut names, mut categories, mut prices, mut active) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let id = 1000 + i;
        let category = CATEGORIES[(i % CATEGORIES.len() as i64) as usize];
        let price_cents = 299 + rng.below(60_000) as i64;
        ids.push(id);
        skus.push(format!("SKU-{}-{id}", &category[..3].to_uppercase()));
        names.push(format!(
            "{} item {}",
            capitalize(category),
            i / CATEGORIES.len() as i64 + 1
        ));
        categories.push(category.to_string());
        prices.push(price_cents);
        active.push(!rng.chance(0.05));
        products.push(Product { id, price_cents });
    }
    let batch = RecordBatch::try_from_iter(vec![
        ("product_id", Arc::new(Int64Array::from(ids)) as ArrayRef),
        ("sku", Arc::new(StringArray::from(skus))),
        ("name", Arc::new(StringArray::from(names))),
        ("category", Arc::new(StringArray::from(categories))),
        ("price", decimal(prices, 10)?),
        ("active", Arc::new(BooleanArray::from(active))),
    ])?;
    parquet_file(dir, &batch)?;
    Ok(products)
}

fn write_customers(dir: &Path, n: i64, rng: &mut Rng) -> Result<(), Box<dyn std::error::Error>> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).ok_or("bad date")?;
    let first = NaiveDate::from_ymd_opt(2022, 1, 1).ok_or("bad date")?;
    let (mut ids, mut names, mut emails, mut segments, mut countries, mut signups) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for id in 1..=n {
        let segment = match rng.below(100) {
            0..70 => "consumer",
            70..92 => "small_business",
            _ => "enterprise",
        };
        ids.push(id);
        names.push(format!("Customer {id}"));
        // A few customers have no email on file.
        emails.push((!rng.chance(0.03)).then(|| format!("customer{id}@example.com")));
        segments.push(segment);
        countries.push(*rng.pick(&COUNTRIES));
        let signup = first + Duration::days(rng.below(850) as i64);
        signups.push((signup - epoch).num_days() as i32);
    }
    let batch = RecordBatch::try_from_iter(vec![
        ("customer_id", Arc::new(Int64Array::from(ids)) as ArrayRef),
        ("name", Arc::new(StringArray::from(names))),
        ("email", Arc::new(StringArray::from(emails))),
        ("segment", Arc::new(StringArray::from(segments))),
        ("country", Arc::new(StringArray::from(countries))),
        ("signup_date", Arc::new(Date32Array::from(signups))),
    ])?;
    parquet_file(dir, &batch)
}

/// Writes the click events hour by hour; returns the orders their purchases
/// made and the hour partitions written.
fn write_clickstream(
    raw: &Path,
    args: &Args,
    start: DateTime<Utc>,
    customers: i64,
    products: &[Product],
    rng: &mut Rng,
) -> Result<(Vec<Order>, Vec<String>), Box<dyn std::error::Error>> {
    let mut orders = Vec::new();
    let mut partitions = Vec::new();
    for hour_index in 0..args.days * 24 {
        let hour = start + Duration::hours(hour_index);
        let (day, hour_of_day) = (hour_index / 24, (hour_index % 24) as u32);
        // Traffic follows the day: quiet at night (UTC), busy in the evening.
        let diurnal = [
            2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 9, 9, 10, 10, 9, 9, 10, 11, 12, 12, 11, 8, 5, 3,
        ][hour_of_day as usize];
        let campaign = (day, hour_of_day) == CAMPAIGN;
        let sessions = 2 * diurnal * args.scale * if campaign { 8 } else { 1 } + rng.below(3);
        let mut lines: Vec<(DateTime<Utc>, String)> = Vec::new();
        for _ in 0..sessions {
            session(
                &mut lines,
                hour,
                campaign,
                customers,
                products,
                &mut orders,
                rng,
            );
        }
        lines.sort_by_key(|a| a.0);
        let partition = hour.format("%Y/%m/%d/%H").to_string();
        let dir = raw.join(&partition);
        fs::create_dir_all(&dir)?;
        // Firehose flushes by size or time: busy hours arrive in several objects.
        let files = (lines.len() / 150 + 1).min(8);
        let per_file = lines.len().div_ceil(files).max(1);
        for (i, chunk) in lines.chunks(per_file).enumerate() {
            let flushed = hour + Duration::minutes(((i + 1) * 59 / files) as i64);
            let name = format!(
                "acme-clickstream-1-{}-{}.gz",
                flushed.format("%Y-%m-%d-%H-%M-%S"),
                rng.uuid()
            );
            let file = fs::File::create(dir.join(name))?;
            let mut gz = GzBuilder::new().mtime(0).write(file, GzLevel::default());
            for (_, line) in chunk {
                gz.write_all(line.as_bytes())?;
                gz.write_all(b"\n")?;
            }
            gz.finish()?;
        }
        partitions.push(partition);
    }
    Ok((orders, partitions))
}

/// One visit: some product views, maybe an add to cart, maybe a purchase.
fn session(
    lines: &mut Vec<(DateTime<Utc>, String)>,
    hour: DateTime<Utc>,
    campaign: bool,
    customers: i64,
    products: &[Product],
    orders: &mut Vec<Order>,
    rng: &mut Rng,
) {
    let session_id = rng.uuid();
    let user = (!rng.chance(0.2)).then(|| 1 + rng.below(customers as u64) as i64);
    let (os, browser, mobile) = *rng.pick(&DEVICES);
    let from_push = campaign && rng.chance(0.85);
    let referrer = if from_push {
        Some("push")
    } else if rng.chance(0.25) {
        None
    } else {
        Some(*rng.pick(&REFERRERS))
    };
    let mut tags: Vec<&str> = Vec::new();
    if from_push {
        tags.push("spring-push");
    }
    if rng.chance(0.3) {
        tags.push(if mobile { "mobile" } else { "desktop" });
    }
    let mut at = hour
        + Duration::seconds(rng.below(3000) as i64)
        + Duration::milliseconds(rng.below(1000) as i64);
    let end_of_hour = hour + Duration::milliseconds(3_599_999);
    let event = |lines: &mut Vec<(DateTime<Utc>, String)>,
                 at: DateTime<Utc>,
                 kind: &str,
                 product: Option<i64>,
                 quantity: Option<i32>,
                 rng: &mut Rng| {
        let mut object = serde_json::Map::new();
        object.insert("EVENT_ID".into(), json!(rng.uuid()));
        object.insert(
            "eventTime".into(),
            json!(at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
        );
        if let Some(user) = user {
            object.insert("User_Id".into(), json!(user));
        }
        object.insert("Session_ID".into(), json!(session_id));
        object.insert("EVENT_TYPE".into(), json!(kind));
        let page = match product {
            Some(p) => {
                object.insert("Product_Id".into(), json!(p));
                format!("https://shop.example.com/p/{p}")
            }
            None => "https://shop.example.com/".to_string(),
        };
        if let Some(q) = quantity {
            object.insert("Quantity".into(), json!(q));
        }
        if let Some(r) = referrer {
            object.insert("Referrer".into(), json!(r));
        }
        object.insert("Page_URL".into(), json!(page));
        object.insert(
            "Device".into(),
            json!({"OS": os, "Browser": browser, "Is_Mobile": mobile}),
        );
        object.insert("Tags".into(), json!(tags));
        if from_push {
            object.insert(
                "UTM".into(),
                json!({"source": "push", "campaign": "spring_sale"}),
            );
        }
        // Keys the table does not declare: ignored by the SerDe.
        object.insert("ingest".into(), json!({"shard": rng.below(4), "v": 1}));
        lines.push((at, Value::Object(object).to_string()));
    };

    event(lines, at.min(end_of_hour), "page_view", None, None, rng);
    let views = 1 + rng.below(5);
    let mut viewed = Vec::new();
    for _ in 0..views {
        at += Duration::seconds(5 + rng.below(80) as i64);
        let product = rng.pick(products);
        viewed.push(product);
        event(
            lines,
            at.min(end_of_hour),
            "view",
            Some(product.id),
            None,
            rng,
        );
    }
    let cart_rate = if from_push { 0.5 } else { 0.3 };
    if rng.chance(cart_rate) {
        let product = *rng.pick(&viewed);
        let quantity = 1 + rng.below(3) as i32;
        at += Duration::seconds(10 + rng.below(60) as i64);
        event(
            lines,
            at.min(end_of_hour),
            "add_to_cart",
            Some(product.id),
            Some(quantity),
            rng,
        );
        if rng.chance(0.45) && user.is_some() {
            at += Duration::seconds(20 + rng.below(120) as i64);
            let at = at.min(end_of_hour);
            event(lines, at, "purchase", Some(product.id), Some(quantity), rng);
            orders.push(Order {
                id: 500_000 + orders.len() as i64,
                customer: user.unwrap_or_default(),
                product: product.id,
                quantity,
                unit_cents: product.price_cents,
                status: if rng.chance(0.04) {
                    "refunded"
                } else {
                    "completed"
                },
                at,
            });
        }
    }
}

fn write_orders(dir: &Path, orders: &[Order]) -> Result<(), Box<dyn std::error::Error>> {
    let mut day_start = 0;
    while day_start < orders.len() {
        let day = orders[day_start].at.date_naive();
        let day_end = orders[day_start..]
            .iter()
            .position(|o| o.at.date_naive() != day)
            .map_or(orders.len(), |n| day_start + n);
        let day_orders = &orders[day_start..day_end];
        let batch = RecordBatch::try_from_iter(vec![
            (
                "order_id",
                Arc::new(Int64Array::from_iter_values(
                    day_orders.iter().map(|o| o.id),
                )) as ArrayRef,
            ),
            (
                "customer_id",
                Arc::new(Int64Array::from_iter_values(
                    day_orders.iter().map(|o| o.customer),
                )),
            ),
            (
                "product_id",
                Arc::new(Int64Array::from_iter_values(
                    day_orders.iter().map(|o| o.product),
                )),
            ),
            (
                "quantity",
                Arc::new(Int32Array::from_iter_values(
                    day_orders.iter().map(|o| o.quantity),
                )),
            ),
            (
                "unit_price",
                decimal(day_orders.iter().map(|o| o.unit_cents).collect(), 10)?,
            ),
            (
                "total",
                decimal(
                    day_orders
                        .iter()
                        .map(|o| o.unit_cents * o.quantity as i64)
                        .collect(),
                    12,
                )?,
            ),
            (
                "status",
                Arc::new(StringArray::from_iter_values(
                    day_orders.iter().map(|o| o.status),
                )),
            ),
            // Production copies keep microseconds; the catalog reads them as timestamp(3).
            (
                "order_ts",
                Arc::new(TimestampMicrosecondArray::from_iter_values(
                    day_orders.iter().map(|o| o.at.timestamp_micros()),
                )),
            ),
        ])?;
        parquet_file(&dir.join(format!("order_date={day}")), &batch)?;
        day_start = day_end;
    }
    Ok(())
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn columns(spec: &[(&str, &str)]) -> Value {
    Value::Array(
        spec.iter()
            .map(|(n, t)| json!({"Name": n, "Type": t}))
            .collect(),
    )
}

/// A table in the shape `aws glue get-table` prints, extra fields included.
fn glue_table(
    database: &str,
    name: &str,
    cols: &[(&str, &str)],
    location: &str,
    parquet: bool,
    partition_keys: Value,
) -> Value {
    let (input, output, serde, params) = if parquet {
        (
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
            json!({"serialization.format": "1"}),
        )
    } else {
        (
            "org.apache.hadoop.mapred.TextInputFormat",
            "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "org.openx.data.jsonserde.JsonSerDe",
            json!({"ignore.malformed.json": "false", "mapping.event_time": "eventTime"}),
        )
    };
    json!({"Table": {
        "Name": name,
        "DatabaseName": database,
        "Owner": "hadoop",
        "CreateTime": "2024-04-30T09:12:44+00:00",
        "UpdateTime": "2024-04-30T09:12:44+00:00",
        "LastAccessTime": "1970-01-01T00:00:00+00:00",
        "Retention": 0,
        "StorageDescriptor": {
            "Columns": columns(cols),
            "Location": location,
            "InputFormat": input,
            "OutputFormat": output,
            "Compressed": !parquet,
            "NumberOfBuckets": -1,
            "SerdeInfo": {"SerializationLibrary": serde, "Parameters": params},
            "BucketColumns": [],
            "SortColumns": [],
            "Parameters": {},
            "StoredAsSubDirectories": false
        },
        "PartitionKeys": partition_keys,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE", "classification": if parquet { "parquet" } else { "json" }},
        "CreatedBy": "arn:aws:sts::123456789012:assumed-role/GlueCrawler/session",
        "IsRegisteredWithLakeFormation": false,
        "CatalogId": "123456789012",
        "VersionId": "1"
    }})
}

/// The campaigns sheet as marketing exports it: quoted CSV with a header.
fn write_campaigns(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    fs::create_dir_all(dir)?;
    fs::write(
        dir.join("campaigns.csv"),
        concat!(
            "\"campaign\",\"name\",\"channel\",\"start_date\",\"budget_usd\"\n",
            "\"spring_sale\",\"Spring sale: 20% off, all categories\",\"push\",\"2024-05-04\",\"12000\"\n",
            "\"newsletter_may\",\"May newsletter \"\"Top picks\"\"\",\"email\",\"2024-05-01\",\"1500\"\n",
            "\"retarget_q2\",\"Retargeting, Q2\",\"display\",\"2024-04-01\",\"8000\"\n",
            "\"brand_search\",\"Brand search\",\"search\",\"2024-01-01\",\"2500\"\n",
        ),
    )?;
    Ok(())
}

/// `web.campaigns` as a Glue crawler declares a quoted CSV with a header.
fn campaigns_table() -> Value {
    json!({"Table": {
        "Name": "campaigns",
        "DatabaseName": "web",
        "Owner": "owner",
        "CreateTime": "2024-04-30T09:20:02+00:00",
        "UpdateTime": "2024-04-30T09:20:02+00:00",
        "LastAccessTime": "2024-04-30T09:20:02+00:00",
        "Retention": 0,
        "StorageDescriptor": {
            "Columns": columns(&[
                ("campaign", "string"),
                ("name", "string"),
                ("channel", "string"),
                ("start_date", "string"),
                ("budget_usd", "bigint"),
            ]),
            "Location": format!("{RAW_BUCKET}marketing/campaigns/"),
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "Compressed": false,
            "NumberOfBuckets": -1,
            "SerdeInfo": {
                "SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde",
                "Parameters": {"separatorChar": ",", "quoteChar": "\""}
            },
            "BucketColumns": [],
            "SortColumns": [],
            "Parameters": {
                "skip.header.line.count": "1", "classification": "csv",
                "areColumnsQuoted": "true", "delimiter": ",", "typeOfData": "file",
                "columnsOrdered": "true", "compressionType": "none"
            },
            "StoredAsSubDirectories": false
        },
        "PartitionKeys": [],
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "skip.header.line.count": "1", "classification": "csv",
            "areColumnsQuoted": "true", "delimiter": ",", "typeOfData": "file",
            "columnsOrdered": "true", "compressionType": "none", "EXTERNAL": "TRUE"
        },
        "CreatedBy": "arn:aws:sts::123456789012:assumed-role/GlueCrawler/session",
        "IsRegisteredWithLakeFormation": false,
        "CatalogId": "123456789012",
        "VersionId": "1"
    }})
}

fn write_json(path: &Path, value: &Value) -> Result<(), Box<dyn std::error::Error>> {
    fs::create_dir_all(path.parent().ok_or("no parent")?)?;
    fs::write(path, serde_json::to_string_pretty(value)? + "\n")?;
    Ok(())
}

fn write_catalog(catalog: &Path, start: DateTime<Utc>) -> Result<(), Box<dyn std::error::Error>> {
    let clickstream_location = format!("{RAW_BUCKET}firehose/clickstream/");
    let mut clickstream = glue_table(
        "web",
        "clickstream",
        &[
            ("event_id", "string"),
            ("event_time", "timestamp"),
            ("user_id", "bigint"),
            ("session_id", "string"),
            ("event_type", "string"),
            ("product_id", "bigint"),
            ("quantity", "int"),
            ("referrer", "string"),
            ("page_url", "string"),
            (
                "device",
                "struct<os:string,browser:string,is_mobile:boolean>",
            ),
            ("tags", "array<string>"),
            ("utm", "map<string,string>"),
        ],
        &clickstream_location,
        false,
        json!([{"Name": "datehour", "Type": "string"}]),
    );
    // Firehose's hours, declared as Athena users do: a date projection, so
    // no partition is ever registered (ATHENA.md §8).
    let first_hour = start.format("%Y/%m/%d/%H");
    let projection = [
        ("projection.enabled", "true".to_string()),
        ("projection.datehour.type", "date".to_string()),
        ("projection.datehour.format", "yyyy/MM/dd/HH".to_string()),
        ("projection.datehour.range", format!("{first_hour},NOW")),
        ("projection.datehour.interval", "1".to_string()),
        ("projection.datehour.interval.unit", "HOURS".to_string()),
        (
            "storage.location.template",
            format!("{clickstream_location}${{datehour}}/"),
        ),
    ];
    let params = clickstream["Table"]["Parameters"]
        .as_object_mut()
        .ok_or("table parameters are an object")?;
    for (key, value) in projection {
        params.insert(key.to_string(), Value::String(value));
    }
    write_json(&catalog.join("web/clickstream.json"), &clickstream)?;
    write_json(&catalog.join("web/campaigns.json"), &campaigns_table())?;
    // Left by earlier versions of this generator; projection replaces it.
    let stale = catalog.join("web/clickstream.partitions.json");
    if stale.exists() {
        fs::remove_file(stale)?;
    }

    let master = format!("{WAREHOUSE_BUCKET}master/");
    write_json(
        &catalog.join("master/customers.json"),
        &glue_table(
            "master",
            "customers",
            &[
                ("customer_id", "bigint"),
                ("name", "string"),
                ("email", "string"),
                ("segment", "string"),
                ("country", "char(2)"),
                ("signup_date", "date"),
            ],
            &format!("{master}customers/"),
            true,
            json!([]),
        ),
    )?;
    write_json(
        &catalog.join("master/products.json"),
        &glue_table(
            "master",
            "products",
            &[
                ("product_id", "bigint"),
                ("sku", "varchar(32)"),
                ("name", "string"),
                ("category", "string"),
                ("price", "decimal(10,2)"),
                ("active", "boolean"),
            ],
            &format!("{master}products/"),
            true,
            json!([]),
        ),
    )?;
    write_json(
        &catalog.join("master/orders.json"),
        &glue_table(
            "master",
            "orders",
            &[
                ("order_id", "bigint"),
                ("customer_id", "bigint"),
                ("product_id", "bigint"),
                ("quantity", "int"),
                ("unit_price", "decimal(10,2)"),
                ("total", "decimal(12,2)"),
                ("status", "string"),
                ("order_ts", "timestamp"),
            ],
            &format!("{master}orders/"),
            true,
            json!([{"Name": "order_date", "Type": "date"}]),
        ),
    )?;
    Ok(())
}

/// `master.order_status`: an Iceberg table as Athena writes one, made with
/// lathe's own Athena statements over the orders just written: a CTAS of
/// the first three days (snapshot 1), an INSERT of the rest (snapshot 2),
/// and a merge-on-read DELETE of the refunded orders (snapshot 3, position
/// delete files). File names, snapshot ids and commit times are new on
/// every run, as Iceberg's writers make them; the rows are deterministic.
fn write_iceberg(out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let warehouse = out.join("sample/warehouse/iceberg/order_status");
    if warehouse.exists() {
        fs::remove_dir_all(&warehouse)?;
    }
    let entry = out.join("catalog/master/order_status.json");
    if entry.exists() {
        fs::remove_file(&entry)?;
    }
    let config = writer_config(out)?;
    let columns = "order_id, customer_id, status, total, order_ts";
    let statements = [
        format!(
            "CREATE TABLE master.order_status WITH (table_type = 'ICEBERG', \
             location = '{WAREHOUSE_BUCKET}iceberg/order_status/', is_external = false, \
             partitioning = ARRAY['day(order_ts)'], format = 'PARQUET') \
             AS SELECT {columns} FROM master.orders WHERE order_date < DATE '2024-05-04' ORDER BY order_id"
        ),
        format!(
            "INSERT INTO master.order_status SELECT {columns} FROM master.orders \
             WHERE order_date >= DATE '2024-05-04' ORDER BY order_id"
        ),
        "DELETE FROM master.order_status WHERE status = 'refunded'".to_string(),
    ];
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let engine = lathe::Engine::new(&config).await?;
        for sql in &statements {
            engine.sql(sql).await?.collect().await?;
        }
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}

/// The ORC table `master.shipments`, as a Hive ETL job leaves one: a
/// shipment per shipped or completed order, partitioned by ship date,
/// written with lathe's own `CREATE TABLE ... WITH (format = 'ORC')`.
fn write_orc(out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let warehouse = out.join("sample/warehouse/master/shipments");
    if warehouse.exists() {
        fs::remove_dir_all(&warehouse)?;
    }
    let entry = out.join("catalog/master/shipments.json");
    if entry.exists() {
        fs::remove_file(&entry)?;
    }
    let config = writer_config(out)?;
    let sql = format!(
        "CREATE TABLE master.shipments WITH (format = 'ORC', write_compression = 'ZLIB', \
         external_location = '{WAREHOUSE_BUCKET}master/shipments/', \
         partitioned_by = ARRAY['ship_date']) AS \
         SELECT order_id, \
           CASE order_id % 3 WHEN 0 THEN 'UPS' WHEN 1 THEN 'DHL' ELSE 'USPS' END AS carrier, \
           date_add('hour', 6 + order_id % 40, order_ts) AS shipped_ts, \
           CAST(quantity AS double) * 0.75 AS weight_kg, \
           CAST(CAST(date_add('hour', 6 + order_id % 40, order_ts) AS date) AS varchar) \
             AS ship_date \
         FROM master.orders WHERE status = 'completed' \
         ORDER BY ship_date, order_id"
    );
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let engine = lathe::Engine::new(&config).await?;
        engine.sql(&sql).await?.collect().await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}

/// The engine settings the sample's own writes run with: its catalog, and
/// the warehouse bucket mapped onto `sample/warehouse`.
fn writer_config(out: &Path) -> Result<lathe::Config, Box<dyn std::error::Error>> {
    let warehouse_root = out.join("sample/warehouse");
    Ok(lathe::Config {
        catalog: out.join("catalog"),
        database: "master".into(),
        location_map: lathe::LocationMap::new(vec![lathe::LocationMapping {
            from: WAREHOUSE_BUCKET.into(),
            to: format!("{}/", std::path::absolute(&warehouse_root)?.display()),
        }]),
        target_partitions: Some(1),
        ..lathe::Config::default()
    })
}
