use datafusion::logical_expr::{col, lit};

use super::*;
use crate::iceberg::metadata::PartitionField;
use crate::iceberg::transform::encode_bound;
use crate::iceberg::types::NestedField;

fn schema() -> Schema {
    let field = |id, name: &str, t: &str| NestedField {
        id,
        name: name.into(),
        required: false,
        field_type: IcebergType::Primitive(t.into()),
        doc: None,
    };
    Schema {
        kind: "struct".into(),
        schema_id: 0,
        identifier_field_ids: None,
        fields: vec![
            field(1, "id", "long"),
            field(2, "ts", "timestamp"),
            field(3, "name", "string"),
        ],
    }
}

fn spec() -> PartitionSpec {
    let field = |source_id, field_id, name: &str, transform: &str| PartitionField {
        source_id,
        field_id: Some(field_id),
        name: name.into(),
        transform: transform.into(),
    };
    PartitionSpec {
        spec_id: 0,
        fields: vec![
            field(2, 1000, "ts_day", "day"),
            field(1, 1001, "id_bucket", "bucket[4]"),
            field(3, 1002, "name_trunc", "truncate[2]"),
        ],
    }
}

fn file(day: i32, bucket: i32, prefix: &str, ids: (i64, i64)) -> DataFile {
    DataFile {
        content: 0,
        path: "f.parquet".into(),
        format: "PARQUET".into(),
        spec_id: 0,
        partition: vec![
            ScalarValue::Date32(Some(day)),
            ScalarValue::Int32(Some(bucket)),
            ScalarValue::Utf8(Some(prefix.into())),
        ],
        record_count: 10,
        file_size: 100,
        column_sizes: vec![],
        value_counts: vec![(1, 10)],
        null_counts: vec![(1, 0)],
        nan_counts: vec![],
        lower_bounds: vec![(1, ids.0.to_le_bytes().to_vec())],
        upper_bounds: vec![(1, ids.1.to_le_bytes().to_vec())],
        split_offsets: None,
        equality_ids: None,
        sort_order_id: None,
    }
}

fn matches(filter: Expr, f: &DataFile) -> bool {
    let s = schema();
    file_may_match(&from_filters(&[filter], &s), f, Some(&spec()), &s)
}

fn ts(text: &str) -> Expr {
    let micros = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .unwrap()
        .and_utc()
        .timestamp_micros();
    lit(ScalarValue::TimestampMicrosecond(Some(micros), None))
}

#[test]
fn hidden_partitions_prune_by_transform() {
    // 2024-05-04 is day 19847; bucket[4] of id 7 is Iceberg's murmur3 of 7.
    let bucket_of_7 =
        match crate::iceberg::transform::Transform::Bucket(4).apply(&ScalarValue::Int64(Some(7))) {
            Some(ScalarValue::Int32(Some(b))) => b,
            other => panic!("{other:?}"),
        };
    let f = file(19847, bucket_of_7, "al", (1, 100));
    assert!(matches(col("ts").gt_eq(ts("2024-05-04 10:00:00")), &f));
    assert!(!matches(col("ts").gt_eq(ts("2024-05-05 00:00:00")), &f));
    assert!(matches(col("ts").lt(ts("2024-05-04 00:00:01")), &f));
    assert!(!matches(col("ts").lt(ts("2024-05-03 23:59:59")), &f));
    assert!(matches(col("id").eq(lit(7i64)), &f));
    assert!(
        !matches(col("id").eq(lit(8i64)), &f)
            || bucket_of_7 == {
                match crate::iceberg::transform::Transform::Bucket(4)
                    .apply(&ScalarValue::Int64(Some(8)))
                {
                    Some(ScalarValue::Int32(Some(b))) => b,
                    _ => -1,
                }
            }
    );
    assert!(matches(col("name").eq(lit("alice")), &f));
    assert!(!matches(col("name").eq(lit("bob")), &f));
    assert!(!matches(col("name").gt_eq(lit("am")), &f));
    // Column bounds: ids 1..=100.
    assert!(!matches(col("id").gt(lit(100i64)), &f));
    assert!(matches(
        col("id").in_list(vec![lit(500i64), lit(7i64)], false),
        &f
    ));
    // OR keeps a file if either side may match; unknown shapes never prune.
    assert!(matches(
        col("id").gt(lit(100i64)).or(col("name").eq(lit("alice"))),
        &f
    ));
    assert!(matches(
        datafusion::functions::expr_fn::upper(col("name")).eq(lit("X")),
        &f
    ));
}

#[test]
fn lossy_casts_and_literals_do_not_prune() {
    let f = file(19847, 0, "al", (1, 100));
    // `id < 1.5` holds for id 1: the literal must not be truncated to 1.
    assert!(matches(col("id").lt(lit(1.5f64)), &f));
    // CAST(ts AS DATE) = '2024-05-04' is about the day, not midnight.
    let day = lit(ScalarValue::Date32(Some(19847)));
    assert!(matches(
        datafusion::logical_expr::cast(col("ts"), DataType::Date32).eq(day),
        &f
    ));
}

#[test]
fn manifest_summaries_prune() {
    let s = schema();
    let summary = |lower: ScalarValue, upper: ScalarValue| FieldSummary {
        contains_null: false,
        contains_nan: None,
        lower: encode_bound(&lower),
        upper: encode_bound(&upper),
    };
    let summaries = vec![
        summary(
            ScalarValue::Date32(Some(19840)),
            ScalarValue::Date32(Some(19847)),
        ),
        summary(ScalarValue::Int32(Some(0)), ScalarValue::Int32(Some(3))),
        summary(
            ScalarValue::Utf8(Some("al".into())),
            ScalarValue::Utf8(Some("bo".into())),
        ),
    ];
    let predicate = |e: Expr| from_filters(&[e], &s);
    assert!(manifest_may_match(
        &predicate(col("ts").gt_eq(ts("2024-05-04 23:00:00"))),
        &summaries,
        &spec(),
        &s
    ));
    assert!(!manifest_may_match(
        &predicate(col("ts").gt_eq(ts("2024-05-05 00:00:00"))),
        &summaries,
        &spec(),
        &s
    ));
    assert!(!manifest_may_match(
        &predicate(col("name").eq(lit("zed"))),
        &summaries,
        &spec(),
        &s
    ));
    assert!(!manifest_may_match(
        &predicate(col("name").is_null()),
        &summaries,
        &spec(),
        &s
    ));
}
