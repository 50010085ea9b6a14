//! Unit tests of `glue_json`.

use super::*;
use datafusion::arrow::datatypes::DataType;

const TABLE: &str = r#"{"Table": {
  "Name": "clickstream", "DatabaseName": "web", "TableType": "EXTERNAL_TABLE",
  "Owner": "hadoop", "Retention": 0, "IsRegisteredWithLakeFormation": false,
  "StorageDescriptor": {
    "Columns": [
      {"Name": "event_id", "Type": "string"},
      {"Name": "Event_Time", "Type": "timestamp"},
      {"Name": "device", "Type": "struct<os:string,browser:string>"},
      {"Name": "tags", "Type": "array<string>", "Comment": "campaign tags"}
    ],
    "Location": "s3://acme-raw/firehose/clickstream/",
    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
    "Compressed": true, "NumberOfBuckets": -1, "SortColumns": [],
    "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
                  "Parameters": {"ignore.malformed.json": "true"}}
  },
  "PartitionKeys": [{"Name": "datehour", "Type": "string"}],
  "Parameters": {"classification": "json", "EXTERNAL": "TRUE"},
  "CreateTime": 1714558530.0, "UpdateTime": "2024-05-01T10:15:30+00:00"
}}"#;

fn path() -> &'static Path {
    Path::new("catalog/web/clickstream.json")
}

fn load(text: &str) -> Result<TableDef> {
    parse_table_file(path(), text)?.into_table_def(path(), "web", "clickstream")
}

#[test]
fn real_dump_loads_with_unknown_fields() {
    let table = load(TABLE).unwrap();
    assert_eq!(table.qualified_name(), "web.clickstream");
    let names: Vec<_> = table.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["event_id", "event_time", "device", "tags"]);
    assert_eq!(table.columns[3].comment.as_deref(), Some("campaign tags"));
    assert_eq!(table.partition_keys[0].data_type, DataType::Utf8);
    assert_eq!(table.format, StorageFormat::Json(JsonSerde::OpenX));
    assert_eq!(table.location, "s3://acme-raw/firehose/clickstream/");
    assert_eq!(table.serde_parameters["ignore.malformed.json"], "true");
}

#[test]
fn bare_table_object_is_accepted() {
    let value: serde_json::Value = serde_json::from_str(TABLE).unwrap();
    let bare = value["Table"].to_string();
    assert_eq!(load(&bare).unwrap().columns.len(), 4);
}

#[test]
fn missing_and_invalid_fields_are_named() {
    let without = |field: &str| {
        let mut value: serde_json::Value = serde_json::from_str(TABLE).unwrap();
        let mut target = &mut value["Table"];
        let parts: Vec<_> = field.split('.').collect();
        for p in &parts[..parts.len() - 1] {
            target = &mut target[*p];
        }
        target
            .as_object_mut()
            .unwrap()
            .remove(parts[parts.len() - 1]);
        load(&value.to_string()).unwrap_err().to_string()
    };
    assert_eq!(
        without("StorageDescriptor.Location"),
        "catalog/web/clickstream.json: field StorageDescriptor.Location is missing"
    );
    assert_eq!(
        without("StorageDescriptor.Columns"),
        "catalog/web/clickstream.json: field StorageDescriptor.Columns is missing"
    );
    assert_eq!(
        without("Name"),
        "catalog/web/clickstream.json: field Name is missing"
    );

    let bad_type = TABLE.replace("array<string>", "array<strin>");
    assert_eq!(
        load(&bad_type).unwrap_err().to_string(),
        "table web.clickstream: column tags has type \"array<strin>\", which is not a Hive type (unknown type \"strin\" at position 7)"
    );
    // A 100 KB type string: refused without recursing 30,000 levels, and quoted short.
    let huge = format!("{}int{}", "array<".repeat(30_000), ">".repeat(30_000));
    let err = load(&TABLE.replace("array<string>", &huge))
        .unwrap_err()
        .to_string();
    assert!(err.len() < 400, "{err}");
    assert!(
        err.ends_with("... (210003 characters), which is not a Hive type (types nested deeper than 100 levels)"),
        "{err}"
    );

    let wrong_shape = TABLE.replace(
        r#""Location": "s3://acme-raw/firehose/clickstream/""#,
        r#""Location": 42"#,
    );
    let err = load(&wrong_shape).unwrap_err().to_string();
    assert!(
        err.starts_with("catalog/web/clickstream.json: field Table.StorageDescriptor.Location is invalid: invalid type: integer `42`"),
        "{err}"
    );

    let not_json = load("{\"Table\": ").unwrap_err().to_string();
    assert!(
        not_json.starts_with("catalog/web/clickstream.json: not valid JSON: EOF while parsing"),
        "{not_json}"
    );

    let bad_time = TABLE.replace("2024-05-01T10:15:30+00:00", "yesterday");
    assert_eq!(
        load(&bad_time).unwrap_err().to_string(),
        "catalog/web/clickstream.json: field UpdateTime is \"yesterday\", not an ISO-8601 time or epoch seconds"
    );
}

#[test]
fn format_comes_from_serde_then_input_format() {
    let parquet = TABLE.replace(
        "org.openx.data.jsonserde.JsonSerDe",
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    );
    assert_eq!(load(&parquet).unwrap().format, StorageFormat::Parquet);
    let hive = TABLE.replace(
        "org.openx.data.jsonserde.JsonSerDe",
        "org.apache.hive.hcatalog.data.JsonSerDe",
    );
    assert_eq!(
        load(&hive).unwrap().format,
        StorageFormat::Json(JsonSerde::Hive)
    );
    let avro = TABLE.replace(
        "org.openx.data.jsonserde.JsonSerDe",
        "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
    );
    assert_eq!(load(&avro).unwrap().format, StorageFormat::Avro);
    let orc = TABLE.replace(
        "org.openx.data.jsonserde.JsonSerDe",
        "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
    );
    assert_eq!(load(&orc).unwrap().format, StorageFormat::Orc);
    let sequence = TABLE.replace(
        "org.openx.data.jsonserde.JsonSerDe",
        "org.apache.hadoop.hive.serde2.lazybinary.LazyBinarySerDe",
    );
    assert_eq!(
        load(&sequence).unwrap_err().to_string(),
        "table web.clickstream: unsupported storage format \"org.apache.hadoop.hive.serde2.lazybinary.LazyBinarySerDe\"; lathe reads JSON (OpenX, Hive or CloudTrail SerDe), text (LazySimpleSerDe, OpenCSVSerde, RegexSerDe), Parquet, ORC, Avro and Iceberg tables"
    );
    let hudi = TABLE
        .replace(
            "org.openx.data.jsonserde.JsonSerDe",
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        )
        .replace(
            "org.apache.hadoop.mapred.TextInputFormat",
            "org.apache.hudi.hadoop.HoodieParquetInputFormat",
        );
    assert_eq!(
        load(&hudi).unwrap_err().to_string(),
        "table web.clickstream: it is a Hudi table (org.apache.hudi.hadoop.HoodieParquetInputFormat), which lathe does not read: its Parquet files hold every commit's versions of a row, and only Hudi's timeline says which is current"
    );
    for (serde, expected) in [
        (
            "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
            TextSerde::LazySimple,
        ),
        (
            "org.apache.hadoop.hive.serde2.OpenCSVSerde",
            TextSerde::OpenCsv,
        ),
        ("org.apache.hadoop.hive.serde2.RegexSerDe", TextSerde::Regex),
    ] {
        let text = TABLE.replace("org.openx.data.jsonserde.JsonSerDe", serde);
        assert_eq!(load(&text).unwrap().format, StorageFormat::Text(expected));
    }
    // CloudTrail's SerDe; and its input format alone.
    let cloudtrail = TABLE.replace(
        "org.openx.data.jsonserde.JsonSerDe",
        "com.amazon.emr.hive.serde.CloudTrailSerde",
    );
    assert_eq!(
        load(&cloudtrail).unwrap().format,
        StorageFormat::Json(JsonSerde::CloudTrail)
    );
    let input_only = TABLE
        .replace(
            r#""SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe","#,
            r#""SerdeInfo": {"#,
        )
        .replace(
            "org.apache.hadoop.mapred.TextInputFormat",
            "com.amazon.emr.cloudtrail.CloudTrailInputFormat",
        );
    assert_eq!(
        load(&input_only).unwrap().format,
        StorageFormat::Json(JsonSerde::CloudTrail)
    );
    // No SerDe on a text table: Hive's default, LazySimpleSerDe.
    let bare = TABLE.replace(
        r#""SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe","#,
        r#""SerdeInfo": {"#,
    );
    let bare = bare.replace(r#""classification": "json""#, r#""classification": "csv""#);
    assert_eq!(
        load(&bare).unwrap().format,
        StorageFormat::Text(TextSerde::LazySimple)
    );
}

#[test]
fn partitions_are_checked_against_keys() {
    let table = load(TABLE).unwrap();
    let text = r#"{"Partitions": [
        {"Values": ["2024/05/01/00"], "DatabaseName": "web",
         "StorageDescriptor": {"Location": "s3://acme-raw/firehose/clickstream/2024/05/01/00/"}},
        {"Values": ["2024/05/01/01"]},
        {"Values": ["a", "b"]}
    ]}"#;
    let p = Path::new("catalog/web/clickstream.partitions.json");
    let parts = parse_partitions_file(p, text).unwrap();
    let mut defs = parts
        .into_iter()
        .enumerate()
        .map(|(i, g)| g.into_partition_def(p, i, &table));
    let first = defs.next().unwrap().unwrap();
    assert_eq!(
        first.location,
        "s3://acme-raw/firehose/clickstream/2024/05/01/00/"
    );
    let second = defs.next().unwrap().unwrap();
    assert_eq!(
        second.location,
        "s3://acme-raw/firehose/clickstream/datehour=2024%2F05%2F01%2F01/"
    );
    assert_eq!(
        defs.next().unwrap().unwrap_err().to_string(),
        "catalog/web/clickstream.partitions.json: field Partitions[2].Values has 2 values, but table web.clickstream has 1 partition keys"
    );
}
