//! Unit tests of `render`.

use super::*;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, Int64Array, ListBuilder, StringArray, StringBuilder,
    TimestampMillisecondArray,
};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;

fn batch() -> RecordBatch {
    let mut tags = ListBuilder::new(StringBuilder::new());
    tags.values().append_value("a");
    tags.values().append_value("b, c");
    tags.append(true);
    tags.append(false);
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(Int64Array::from(vec![Some(1), None]))),
        (
            "name",
            Arc::new(StringArray::from(vec![Some("say \"hi\",\nbye"), Some("")])),
        ),
        (
            "price",
            Arc::new(
                Decimal128Array::from(vec![Some(1250), Some(-5)])
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
        ),
        ("day", Arc::new(Date32Array::from(vec![Some(19844), None]))),
        (
            "ts",
            Arc::new(TimestampMillisecondArray::from(vec![
                Some(1_714_557_723_123),
                None,
            ])),
        ),
        ("tags", Arc::new(tags.finish())),
    ];
    RecordBatch::try_from_iter(columns).unwrap()
}

async fn render(format: OutputFormat, batches: Vec<RecordBatch>) -> String {
    let schema = batch().schema();
    let stream = RecordBatchStreamAdapter::new(
        Arc::clone(&schema),
        futures::stream::iter(batches.into_iter().map(Ok)),
    );
    let mut out = Vec::new();
    write_stream(Box::pin(stream), format, &mut out)
        .await
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn csv_is_athena_result_csv() {
    let csv = render(OutputFormat::Csv, vec![batch()]).await;
    assert_eq!(
        csv,
        "\"id\",\"name\",\"price\",\"day\",\"ts\",\"tags\"\n\
         \"1\",\"say \"\"hi\"\",\nbye\",\"12.50\",\"2024-05-01\",\"2024-05-01 10:02:03.123\",\"[a, b, c]\"\n\
         ,\"\",\"-0.05\",,,\n"
    );
    assert_eq!(
        render(OutputFormat::Csv, vec![]).await,
        "\"id\",\"name\",\"price\",\"day\",\"ts\",\"tags\"\n"
    );
}

#[tokio::test]
async fn tsv_table_and_json() {
    let tsv = render(OutputFormat::Tsv, vec![batch()]).await;
    assert_eq!(
        tsv,
        "id\tname\tprice\tday\tts\ttags\n\
         1\tsay \"hi\",\\nbye\t12.50\t2024-05-01\t2024-05-01 10:02:03.123\t[a, b, c]\n\
         \t\t-0.05\t\t\t\n"
    );
    let table = render(OutputFormat::Table, vec![batch()]).await;
    assert!(table.contains("| NULL |"), "{table}");
    assert!(table.contains("| 2024-05-01 10:02:03.123 |"), "{table}");
    let ndjson = render(OutputFormat::Ndjson, vec![batch()]).await;
    assert_eq!(ndjson.lines().count(), 2);
    assert!(ndjson.starts_with("{\"id\":1,"), "{ndjson}");
    assert!(
        ndjson.lines().nth(1).unwrap().contains("\"id\":null"),
        "{ndjson}"
    );
    assert_eq!(render(OutputFormat::Json, vec![]).await, "[]\n");
    let json = render(OutputFormat::Json, vec![batch()]).await;
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed[0]["tags"], serde_json::json!(["a", "b, c"]));
}

#[test]
fn doubles_print_as_java_prints_them() {
    use super::value::{java_double, java_float};
    for (v, text) in [
        (1e10, "1.0E10"),
        (1e7, "1.0E7"),
        (1234567.0, "1234567.0"),
        (0.001, "0.001"),
        (1.5e-4, "1.5E-4"),
        (-1.5e-7, "-1.5E-7"),
        (5.0, "5.0"),
        (-0.0, "-0.0"),
        (f64::NAN, "NaN"),
        (f64::NEG_INFINITY, "-Infinity"),
        (1.7000000005e9, "1.7000000005E9"),
    ] {
        assert_eq!(java_double(v), text, "{v:?}");
    }
    assert_eq!(java_float(1.1), "1.1");
    assert_eq!(java_float(f32::INFINITY), "Infinity");
    assert_eq!(java_float(3.0e10), "3.0E10");
}
