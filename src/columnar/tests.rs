use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion_datasource::PartitionedFile;
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use super::conform::Target;
use super::{ColumnarFormat, ColumnarOptions, avro, orc};

fn batch(fields: &[(&str, ArrayRef)]) -> RecordBatch {
    let schema = Schema::new(
        fields
            .iter()
            .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
            .collect::<Vec<_>>(),
    );
    RecordBatch::try_new(
        Arc::new(schema),
        fields.iter().map(|(_, a)| Arc::clone(a)).collect(),
    )
    .unwrap()
}

/// The table `h.t (id bigint, name string, extra int)`, all columns wanted.
fn target(format: ColumnarFormat, by_position: bool) -> Arc<Target> {
    let schema: SchemaRef = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("extra", DataType::Int32, true),
    ]));
    Arc::new(Target {
        schema,
        positions: vec![0, 1, 2],
        options: Arc::new(ColumnarOptions {
            format,
            table: "h.t".into(),
            hive_types: vec!["bigint".into(), "string".into(), "int".into()],
            by_position,
            prefix: "/".into(),
        }),
        stripe_filter: None,
    })
}

async fn read(
    format: ColumnarFormat,
    bytes: Vec<u8>,
    target: Arc<Target>,
) -> datafusion::common::Result<Vec<RecordBatch>> {
    // The local store, as tables on disk are read (it refuses empty ranges).
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ObjectStore> =
        Arc::new(LocalFileSystem::new_with_prefix(dir.path()).unwrap());
    let path = Path::from("data/part-0");
    store.put(&path, PutPayload::from(bytes)).await.unwrap();
    let meta = store.head(&path).await.unwrap();
    let file = PartitionedFile::from(meta);
    let stream = match format {
        ColumnarFormat::Orc => orc::open(store, file, target, 1024).await?,
        ColumnarFormat::Avro => avro::open(store, file, target, 1024).await?,
    };
    stream.try_collect().await
}

fn column<T: 'static>(batch: &RecordBatch, i: usize) -> &T {
    batch.column(i).as_any().downcast_ref::<T>().unwrap()
}

#[tokio::test]
async fn orc_is_read_by_position_as_hive_wrote_it() {
    // Hive's ORC writer names columns _col0.._colN; Athena reads by position.
    let file = batch(&[
        ("_col0", Arc::new(Int32Array::from(vec![Some(7), None]))),
        ("_col1", Arc::new(StringArray::from(vec!["a", "b"]))),
    ]);
    let bytes = orc::encode(&file.schema(), &[file], orc::codec(None).unwrap()).unwrap();
    let batches = read(
        ColumnarFormat::Orc,
        bytes,
        target(ColumnarFormat::Orc, true),
    )
    .await
    .unwrap();
    let batch = &batches[0];
    assert_eq!(batch.num_rows(), 2);
    // int widens to the table's bigint; the file lacks the third column.
    let id = column::<Int64Array>(batch, 0);
    assert_eq!((id.value(0), id.is_null(1)), (7, true));
    assert_eq!(column::<StringArray>(batch, 1).value(1), "b");
    assert_eq!(batch.column(2).null_count(), 2);
}

#[tokio::test]
async fn an_all_null_orc_column_reads_as_nulls() {
    // orc-rust writes no data stream for it: the reader asks for 0 bytes,
    // which the local store would refuse.
    let file = batch(&[
        ("_col0", Arc::new(Int64Array::from(vec![Some(1)]))),
        ("_col1", Arc::new(StringArray::from(vec![None::<&str>]))),
        ("_col2", Arc::new(Int32Array::from(vec![None]))),
    ]);
    let bytes = orc::encode(&file.schema(), &[file], None).unwrap();
    let batches = read(
        ColumnarFormat::Orc,
        bytes,
        target(ColumnarFormat::Orc, true),
    )
    .await
    .unwrap();
    assert_eq!(batches[0].num_rows(), 1);
    assert_eq!(batches[0].column(1).null_count(), 1);
    assert_eq!(batches[0].column(2).null_count(), 1);
}

#[tokio::test]
async fn orc_read_by_name_ignores_order_and_case() {
    let file = batch(&[
        ("NAME", Arc::new(StringArray::from(vec!["x"]))),
        ("Id", Arc::new(Int64Array::from(vec![42]))),
    ]);
    let bytes = orc::encode(&file.schema(), &[file], None).unwrap();
    let batches = read(
        ColumnarFormat::Orc,
        bytes,
        target(ColumnarFormat::Orc, false),
    )
    .await
    .unwrap();
    assert_eq!(column::<Int64Array>(&batches[0], 0).value(0), 42);
    assert_eq!(column::<StringArray>(&batches[0], 1).value(0), "x");
}

#[tokio::test]
async fn a_column_of_another_family_is_refused_naming_file_and_column() {
    let file = batch(&[
        ("_col0", Arc::new(StringArray::from(vec!["seven"]))),
        ("_col1", Arc::new(StringArray::from(vec!["a"]))),
    ]);
    let bytes = orc::encode(&file.schema(), &[file], None).unwrap();
    let error = read(
        ColumnarFormat::Orc,
        bytes,
        target(ColumnarFormat::Orc, true),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "External error: /data/part-0: column id (read by position, as column 1) is string in \
         the file but bigint in table h.t; fix the file or the column's type in the catalog"
    );
}

#[tokio::test]
async fn avro_is_read_by_name() {
    let file = batch(&[
        ("extra", Arc::new(Int32Array::from(vec![Some(1), Some(2)]))),
        ("ID", Arc::new(Int32Array::from(vec![Some(10), None]))),
    ]);
    let bytes = avro::encode(&file.schema(), &[file], avro::codec(None).unwrap()).unwrap();
    let batches = read(
        ColumnarFormat::Avro,
        bytes,
        target(ColumnarFormat::Avro, false),
    )
    .await
    .unwrap();
    let batch = &batches[0];
    let id = column::<Int64Array>(batch, 0);
    assert_eq!((id.value(0), id.is_null(1)), (10, true));
    assert_eq!(batch.column(1).null_count(), 2);
    assert_eq!(column::<Int32Array>(batch, 2).values().to_vec(), vec![1, 2]);
}

#[tokio::test]
async fn a_file_that_is_not_avro_is_refused_naming_it() {
    let error = read(
        ColumnarFormat::Avro,
        b"PAR1 not avro".to_vec(),
        target(ColumnarFormat::Avro, false),
    )
    .await
    .unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("External error: /data/part-0: not a readable Avro file ("),
        "{message}"
    );
}

#[test]
fn codecs_are_named_as_ctas_names_them() {
    assert!(orc::codec(Some("SNAPPY")).unwrap().is_some());
    assert!(orc::codec(Some("none")).unwrap().is_none());
    assert_eq!(
        orc::codec(Some("brotli")).unwrap_err(),
        "ORC files are written with ZLIB, SNAPPY, ZSTD, LZ4 or NONE compression, not brotli"
    );
    assert!(avro::codec(Some("deflate")).unwrap().is_some());
}

/// An ORC file of three stripes of 1000 rows: `_col0` (int) 0..3000,
/// `_col1` "a", "b", "c" by stripe.
fn three_stripes() -> Vec<u8> {
    let schema = batch(&[
        ("_col0", Arc::new(Int32Array::from(vec![0])) as ArrayRef),
        ("_col1", Arc::new(StringArray::from(vec!["a"]))),
    ])
    .schema();
    let mut out = Vec::new();
    let mut writer = orc_rust::ArrowWriterBuilder::new(&mut out, Arc::clone(&schema))
        .with_stripe_byte_size(1)
        .try_build()
        .unwrap();
    for (stripe, name) in ["a", "b", "c"].into_iter().enumerate() {
        let start = i32::try_from(stripe).unwrap() * 1000;
        let ids: Vec<i32> = (start..start + 1000).collect();
        writer
            .write(&batch(&[
                ("_col0", Arc::new(Int32Array::from(ids)) as ArrayRef),
                ("_col1", Arc::new(StringArray::from(vec![name; 1000]))),
            ]))
            .unwrap();
    }
    writer.close().unwrap();
    out
}

/// The ids a read of `three_stripes()` returns under `predicate` (over the
/// table `h.t (id bigint, name string, extra int)`, read by position).
async fn ids_under(predicate: Arc<dyn datafusion::physical_expr::PhysicalExpr>) -> Vec<i64> {
    let mut target = Arc::into_inner(target(ColumnarFormat::Orc, true)).unwrap();
    target.stripe_filter = Some(super::stripes::StripeFilter {
        predicate,
        schema: Arc::clone(&target.schema),
        data_fields: target.schema.fields().clone(),
    });
    let batches = read(ColumnarFormat::Orc, three_stripes(), Arc::new(target))
        .await
        .unwrap();
    batches
        .iter()
        .flat_map(|b| column::<Int64Array>(b, 0).values().to_vec())
        .collect()
}

#[tokio::test]
async fn orc_stripes_without_statistics_are_all_read() {
    // orc-rust's writer (lathe's CTAS) keeps no statistics: nothing can be
    // skipped, and nothing is. Skipping by statistics is tested on
    // pyarrow's files in tests/formats.rs.
    use datafusion::common::ScalarValue;
    use datafusion::logical_expr::Operator;
    use datafusion::physical_expr::expressions::{binary, col, lit};
    let schema = target(ColumnarFormat::Orc, true).schema.clone();
    let predicate = binary(
        col("id", &schema).unwrap(),
        Operator::GtEq,
        lit(ScalarValue::Int64(Some(2500))),
        &schema,
    )
    .unwrap();
    let ids = ids_under(predicate).await;
    assert_eq!((ids.len(), ids[0], ids[2999]), (3000, 0, 2999));
}

#[test]
fn an_avro_schema_gives_the_tables_columns_as_glue_spells_them() {
    let json = r#"{"type": "record", "name": "flight", "fields": [
        {"name": "Yr", "type": "int", "doc": "the year"},
        {"name": "carrier", "type": ["null", "string"], "default": null},
        {"name": "fare", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "departs", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "kind", "type": {"type": "enum", "name": "kind", "symbols": ["A", "B"]}},
        {"name": "legs", "type": {"type": "array", "items": "long"}},
        {"name": "tags", "type": {"type": "map", "values": "double"}},
        {"name": "crew", "type": {"type": "record", "name": "crew", "fields": [
            {"name": "pilot", "type": "string"}, {"name": "size", "type": "float"}]}},
        {"name": "raw", "type": {"type": "fixed", "name": "md5", "size": 16}},
        {"name": "ok", "type": "boolean"}
    ]}"#;
    let columns = super::avro_schema::columns(json).unwrap();
    let spelled: Vec<(&str, &str)> = columns
        .iter()
        .map(|c| (c.name.as_str(), c.type_string.as_str()))
        .collect();
    assert_eq!(
        spelled,
        [
            ("yr", "int"),
            ("carrier", "string"),
            ("fare", "decimal(9,2)"),
            ("day", "date"),
            ("departs", "timestamp"),
            ("kind", "string"),
            ("legs", "array<bigint>"),
            ("tags", "map<string,double>"),
            ("crew", "struct<pilot:string,size:float>"),
            ("raw", "binary"),
            ("ok", "boolean"),
        ]
    );
    assert_eq!(columns[0].comment.as_deref(), Some("the year"));
    assert_eq!(columns[1].comment, None);
}

#[test]
fn an_avro_schema_that_gives_no_columns_says_why() {
    let columns = super::avro_schema::columns;
    assert!(columns("{not json").unwrap_err().starts_with("is not JSON"));
    assert_eq!(
        columns(r#"{"type": "array", "items": "int"}"#).unwrap_err(),
        "is not an Avro record schema (its \"type\" is not \"record\")"
    );
    assert!(
        columns(r#"{"type": "record", "name": "r", "fields": [{"name": "x", "type": "nosuch"}]}"#)
            .unwrap_err()
            .starts_with("is not a valid Avro schema"),
    );
    let union =
        r#"{"type": "record", "name": "r", "fields": [{"name": "x", "type": ["int", "string"]}]}"#;
    assert!(
        columns(union)
            .unwrap_err()
            .starts_with("has field x of a type Athena's tables cannot hold"),
    );
}
