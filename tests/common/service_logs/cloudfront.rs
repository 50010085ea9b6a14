//! CloudFront standard logs (CloudFront developer guide, "Standard logging"):
//! the legacy text files (gzipped, tab-separated, two `#` header lines,
//! `<distribution>.yyyy-mm-dd-hh.<id>.gz`), and the newer delivery in
//! Parquet or JSON under `<distribution>/yyyy/MM/dd/HH/` (field names with
//! underscores in Parquet, as CloudFront names them in JSON).

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;

use super::{ACCOUNT, at, gzip, plain};

/// The 33 fields of a standard log entry, as the `#Fields:` line names them.
const FIELDS: [&str; 33] = [
    "date",
    "time",
    "x-edge-location",
    "sc-bytes",
    "c-ip",
    "cs-method",
    "cs(Host)",
    "cs-uri-stem",
    "sc-status",
    "cs(Referer)",
    "cs(User-Agent)",
    "cs-uri-query",
    "cs(Cookie)",
    "x-edge-result-type",
    "x-edge-request-id",
    "x-host-header",
    "cs-protocol",
    "cs-bytes",
    "time-taken",
    "x-forwarded-for",
    "ssl-protocol",
    "ssl-cipher",
    "x-edge-response-result-type",
    "cs-protocol-version",
    "fle-status",
    "fle-encrypted-fields",
    "c-port",
    "time-to-first-byte",
    "x-edge-detailed-result-type",
    "sc-content-type",
    "sc-content-len",
    "sc-range-start",
    "sc-range-end",
];

/// One entry's values, in `FIELDS` order.
fn entry(date: &str, time: &str, bytes: u32, status: u16, uri: &str) -> Vec<String> {
    [
        date,
        time,
        "SEA19-C1",
        &bytes.to_string(),
        "192.0.2.100",
        "GET",
        "d111111abcdef8.cloudfront.net",
        uri,
        &status.to_string(),
        "-",
        "Mozilla/5.0%20(Windows%20NT%2010.0)",
        "-",
        "-",
        "Hit",
        "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
        "d111111abcdef8.cloudfront.net",
        "https",
        "23",
        "0.5",
        "-",
        "TLSv1.2",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "Hit",
        "HTTP/2.0",
        "-",
        "-",
        "11040",
        "0.25",
        "Hit",
        "text/html",
        "78",
        "-",
        "-",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

pub fn write(root: &Path) -> Vec<(String, String)> {
    // Legacy text: (date, bytes, status, uri); the 2018-06-09 entry is logged twice.
    let mut text = format!("#Version: 1.0\n#Fields: {}\n", FIELDS.join(" "));
    for (date, bytes, status, uri) in [
        ("2018-06-08", 1000, 200, "/index.html"),
        ("2018-06-09", 2000, 200, "/a.png"),
        ("2018-06-09", 2000, 200, "/a.png"),
        ("2018-06-11", 300, 404, "/missing"),
        ("2018-06-12", 40000, 200, "/video.mp4"),
    ] {
        text.push_str(&entry(date, "01:42:39", bytes, status, uri).join("\t"));
        text.push('\n');
    }
    gzip(
        &root.join("cloudfront/CloudFront/E2EXAMPLE.2018-06-10-12.e84d6b1f.gz"),
        &text,
    );

    // Parquet, distribution E3OK0LPUNWWO3: two entries at 2025-01-25 03h,
    // one at 04h, one at 15h (an hour the documented projection, 01-12,
    // does not cover).
    let logs = format!("cloudfront-v2/AWSLogs/{ACCOUNT}/CloudFront");
    for (hour, rows) in [
        (
            "03",
            vec![
                entry("2025-01-25", "03:10:00", 1000, 200, "/index.html"),
                entry("2025-01-25", "03:20:00", 500, 404, "/missing"),
            ],
        ),
        (
            "04",
            vec![entry("2025-01-25", "04:00:00", 2000, 200, "/a.png")],
        ),
        (
            "15",
            vec![entry("2025-01-25", "15:00:00", 3000, 200, "/b.png")],
        ),
    ] {
        write_parquet(
            &root.join(format!(
                "{logs}/E3OK0LPUNWWO3/2025/01/25/{hour}/E3OK0LPUNWWO3.2025-01-25-{hour}.0a1b2c3d.parquet"
            )),
            &rows,
        );
    }

    // JSON, distribution E2Oxxxxxxxxxxx: one object a line, keys as the
    // `#Fields:` line names them.
    let mut json = String::new();
    for (time, bytes, status, uri) in [
        ("03:10:00", 1000, 200, "/index.html"),
        ("03:30:00", 700, 200, "/index.html"),
        ("03:40:00", 500, 404, "/missing"),
    ] {
        let values = entry("2025-01-25", time, bytes, status, uri);
        let object: serde_json::Map<String, serde_json::Value> = FIELDS
            .iter()
            .zip(values)
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v)))
            .collect();
        json.push_str(&serde_json::Value::Object(object).to_string());
        json.push('\n');
    }
    plain(
        &root.join(format!(
            "{logs}/E2Oxxxxxxxxxxx/2025/01/25/03/E2Oxxxxxxxxxxx.2025-01-25-03.4e5f6a7b.json"
        )),
        &json,
    );
    vec![
        (
            "s3://CloudFront_bucket_name/".into(),
            at(root, "cloudfront/"),
        ),
        (
            "s3://amzn-s3-demo-bucket/AWSLogs/AWS_ACCOUNT_ID/CloudFront/".into(),
            at(root, &format!("{logs}/")),
        ),
    ]
}

/// Writes entries as CloudFront's Parquet delivery does: every field a
/// string, named with underscores (`cs(Host)` as `cs_host`).
fn write_parquet(path: &Path, rows: &[Vec<String>]) {
    let names: Vec<String> = FIELDS
        .iter()
        .map(|f| {
            f.to_lowercase()
                .replace("cs(referer)", "cs_referer")
                .replace(['(', '-'], "_")
                .replace(')', "")
        })
        .collect();
    let schema = Arc::new(Schema::new(
        names
            .iter()
            .map(|n| Field::new(n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let columns: Vec<ArrayRef> = (0..FIELDS.len())
        .map(|i| {
            Arc::new(StringArray::from(
                rows.iter().map(|r| Some(r[i].as_str())).collect::<Vec<_>>(),
            )) as ArrayRef
        })
        .collect();
    let batch = RecordBatch::try_new(schema, columns).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}
