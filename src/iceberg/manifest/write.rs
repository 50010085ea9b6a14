//! Writing manifests and manifest lists (format version 2), with the Avro
//! schemas and field ids of the Iceberg spec and the header metadata its
//! readers look for.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Int32Builder, Int64Builder, ListBuilder, RecordBatch,
    StringBuilder, StructArray, StructBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema};
use datafusion::common::ScalarValue;
use serde_json::{Value, json};

use super::{DataFile, FieldSummary, ManifestEntry, ManifestFile};
use crate::iceberg::avro;
use crate::iceberg::metadata::{PartitionSpec, Schema as IcebergSchema};
use crate::iceberg::prune::spec_fields;
use crate::iceberg::transform::encode_bound;

/// The Avro type of a partition field's values.
fn avro_type(t: &DataType) -> Result<Value, String> {
    Ok(match t {
        DataType::Boolean => json!("boolean"),
        DataType::Int32 => json!("int"),
        DataType::Int64 => json!("long"),
        DataType::Float32 => json!("float"),
        DataType::Float64 => json!("double"),
        DataType::Date32 => json!({"type": "int", "logicalType": "date"}),
        DataType::Timestamp(_, tz) => json!({"type": "long", "logicalType": "timestamp-micros",
                                             "adjust-to-utc": tz.is_some()}),
        DataType::Utf8 => json!("string"),
        DataType::Binary => json!("bytes"),
        other => {
            return Err(format!(
                "lathe cannot write partition values of type {other}"
            ));
        }
    })
}

fn map_of(name: &str, id: i32, key: i32, value: i32, value_type: &str) -> Value {
    json!({"name": name, "type": ["null", {"type": "array", "logicalType": "map", "items": {
        "type": "record", "name": format!("k{key}_v{value}"), "fields": [
            {"name": "key", "type": "int", "field-id": key},
            {"name": "value", "type": value_type, "field-id": value}]}}],
        "default": null, "field-id": id})
}

/// The Avro schema of a manifest of `spec` (and the Arrow types of its
/// partition struct).
fn entry_schema(spec: &PartitionSpec, schema: &IcebergSchema) -> Result<(String, Fields), String> {
    let types = spec_fields(spec, schema);
    let mut avro_fields = Vec::new();
    let mut arrow_fields = Vec::new();
    for (field, (_, _, t)) in spec.fields.iter().zip(&types) {
        let t = match t {
            DataType::Utf8View | DataType::LargeUtf8 => DataType::Utf8,
            other => other.clone(),
        };
        avro_fields.push(json!({"name": field.name, "type": ["null", avro_type(&t)?],
                                "default": null, "field-id": field.field_id}));
        arrow_fields.push(Field::new(&field.name, t, true));
    }
    let schema = json!({"type": "record", "name": "manifest_entry", "fields": [
        {"name": "status", "type": "int", "field-id": 0},
        {"name": "snapshot_id", "type": ["null", "long"], "default": null, "field-id": 1},
        {"name": "sequence_number", "type": ["null", "long"], "default": null, "field-id": 3},
        {"name": "file_sequence_number", "type": ["null", "long"], "default": null, "field-id": 4},
        {"name": "data_file", "field-id": 2, "type": {"type": "record", "name": "r2", "fields": [
            {"name": "content", "type": "int", "field-id": 134},
            {"name": "file_path", "type": "string", "field-id": 100},
            {"name": "file_format", "type": "string", "field-id": 101},
            {"name": "partition", "field-id": 102,
             "type": {"type": "record", "name": "r102", "fields": avro_fields}},
            {"name": "record_count", "type": "long", "field-id": 103},
            {"name": "file_size_in_bytes", "type": "long", "field-id": 104},
            map_of("column_sizes", 108, 117, 118, "long"),
            map_of("value_counts", 109, 119, 120, "long"),
            map_of("null_value_counts", 110, 121, 122, "long"),
            map_of("nan_value_counts", 137, 138, 139, "long"),
            map_of("lower_bounds", 125, 126, 127, "bytes"),
            map_of("upper_bounds", 128, 129, 130, "bytes"),
            {"name": "key_metadata", "type": ["null", "bytes"], "default": null, "field-id": 131},
            {"name": "split_offsets", "type": ["null", {"type": "array", "items": "long", "element-id": 133}],
             "default": null, "field-id": 132},
            {"name": "equality_ids", "type": ["null", {"type": "array", "items": "int", "element-id": 136}],
             "default": null, "field-id": 135},
            {"name": "sort_order_id", "type": ["null", "int"], "default": null, "field-id": 140}
        ]}}
    ]});
    Ok((schema.to_string(), Fields::from(arrow_fields)))
}

fn kv_list(value: DataType) -> (DataType, Fields) {
    let kv = Fields::from(vec![
        Field::new("key", DataType::Int32, false),
        Field::new("value", value, false),
    ]);
    (
        DataType::List(Arc::new(Field::new(
            "item",
            DataType::Struct(kv.clone()),
            false,
        ))),
        kv,
    )
}

/// Writes a manifest of `entries` (all of `spec`): the Avro file's bytes.
/// `content` is 0 for data files, 1 for delete files.
pub(crate) fn manifest(
    entries: &[ManifestEntry],
    spec: &PartitionSpec,
    schema: &IcebergSchema,
    content: i32,
) -> Result<Vec<u8>, String> {
    let (avro_schema, partition_fields) = entry_schema(spec, schema)?;
    let mut status = Int32Builder::new();
    let mut snapshot = Int64Builder::new();
    let mut sequence = Int64Builder::new();
    let mut file_sequence = Int64Builder::new();
    let mut file_content = Int32Builder::new();
    let mut path = StringBuilder::new();
    let mut format = StringBuilder::new();
    let mut partition_columns: Vec<Vec<ScalarValue>> = vec![Vec::new(); partition_fields.len()];
    let mut records = Int64Builder::new();
    let mut size = Int64Builder::new();
    let (long_list, long_kv) = kv_list(DataType::Int64);
    let (bytes_list, bytes_kv) = kv_list(DataType::Binary);
    let long_map = || {
        ListBuilder::new(StructBuilder::from_fields(long_kv.clone(), 0)).with_field(Arc::new(
            Field::new("item", DataType::Struct(long_kv.clone()), false),
        ))
    };
    let bytes_map = || {
        ListBuilder::new(StructBuilder::from_fields(bytes_kv.clone(), 0)).with_field(Arc::new(
            Field::new("item", DataType::Struct(bytes_kv.clone()), false),
        ))
    };
    let mut long_maps = [long_map(), long_map(), long_map(), long_map()];
    let mut bytes_maps = [bytes_map(), bytes_map()];
    let mut key_metadata = BinaryBuilder::new();
    let mut splits = ListBuilder::new(Int64Builder::new()).with_field(Arc::new(Field::new(
        "element",
        DataType::Int64,
        false,
    )));
    let mut equality = ListBuilder::new(Int32Builder::new()).with_field(Arc::new(Field::new(
        "element",
        DataType::Int32,
        false,
    )));
    let mut sort = Int32Builder::new();
    for e in entries {
        let f = &e.file;
        status.append_value(e.status);
        snapshot.append_value(e.snapshot_id);
        sequence.append_value(e.sequence_number);
        file_sequence.append_value(e.file_sequence_number);
        file_content.append_value(f.content);
        path.append_value(&f.path);
        format.append_value(&f.format);
        for (i, field) in partition_fields.iter().enumerate() {
            let v = f.partition.get(i).cloned().unwrap_or(ScalarValue::Null);
            let v = v
                .cast_to(field.data_type())
                .map_err(|e| format!("partition value of {}: {e}", field.name()))?;
            partition_columns[i].push(v);
        }
        records.append_value(f.record_count);
        size.append_value(f.file_size);
        for (b, list) in long_maps.iter_mut().zip([
            &f.column_sizes,
            &f.value_counts,
            &f.null_counts,
            &f.nan_counts,
        ]) {
            append_kv(
                b,
                list.iter().map(|(k, v)| (*k, ScalarValue::Int64(Some(*v)))),
            );
        }
        for (b, list) in bytes_maps
            .iter_mut()
            .zip([&f.lower_bounds, &f.upper_bounds])
        {
            append_kv(
                b,
                list.iter()
                    .map(|(k, v)| (*k, ScalarValue::Binary(Some(v.clone())))),
            );
        }
        key_metadata.append_null();
        match &f.split_offsets {
            Some(o) => {
                splits.values().append_slice(o);
                splits.append(true);
            }
            None => splits.append(false),
        }
        match &f.equality_ids {
            Some(ids) => {
                equality.values().append_slice(ids);
                equality.append(true);
            }
            None => equality.append(false),
        }
        sort.append_option(f.sort_order_id);
    }
    let partition: ArrayRef = if partition_fields.is_empty() {
        Arc::new(StructArray::new_empty_fields(entries.len(), None))
    } else {
        let columns = partition_columns
            .into_iter()
            .zip(partition_fields.iter())
            .map(|(values, field)| {
                if values.is_empty() {
                    Ok(datafusion::arrow::array::new_empty_array(field.data_type()))
                } else {
                    ScalarValue::iter_to_array(values).map_err(|e| e.to_string())
                }
            })
            .collect::<Result<Vec<_>, String>>()?;
        Arc::new(
            StructArray::try_new(partition_fields.clone(), columns, None)
                .map_err(|e| e.to_string())?,
        )
    };
    let file_fields = Fields::from(vec![
        Field::new("content", DataType::Int32, false),
        Field::new("file_path", DataType::Utf8, false),
        Field::new("file_format", DataType::Utf8, false),
        Field::new(
            "partition",
            DataType::Struct(partition_fields.clone()),
            false,
        ),
        Field::new("record_count", DataType::Int64, false),
        Field::new("file_size_in_bytes", DataType::Int64, false),
        Field::new("column_sizes", long_list.clone(), true),
        Field::new("value_counts", long_list.clone(), true),
        Field::new("null_value_counts", long_list.clone(), true),
        Field::new("nan_value_counts", long_list, true),
        Field::new("lower_bounds", bytes_list.clone(), true),
        Field::new("upper_bounds", bytes_list, true),
        Field::new("key_metadata", DataType::Binary, true),
        Field::new(
            "split_offsets",
            DataType::List(Arc::new(Field::new("element", DataType::Int64, false))),
            true,
        ),
        Field::new(
            "equality_ids",
            DataType::List(Arc::new(Field::new("element", DataType::Int32, false))),
            true,
        ),
        Field::new("sort_order_id", DataType::Int32, true),
    ]);
    let [m0, m1, m2, m3] = &mut long_maps;
    let [b0, b1] = &mut bytes_maps;
    let file_columns: Vec<ArrayRef> = vec![
        Arc::new(file_content.finish()),
        Arc::new(path.finish()),
        Arc::new(format.finish()),
        partition,
        Arc::new(records.finish()),
        Arc::new(size.finish()),
        Arc::new(m0.finish()),
        Arc::new(m1.finish()),
        Arc::new(m2.finish()),
        Arc::new(m3.finish()),
        Arc::new(b0.finish()),
        Arc::new(b1.finish()),
        Arc::new(key_metadata.finish()),
        Arc::new(splits.finish()),
        Arc::new(equality.finish()),
        Arc::new(sort.finish()),
    ];
    let data_file =
        StructArray::try_new(file_fields.clone(), file_columns, None).map_err(|e| e.to_string())?;
    let arrow_schema = Schema::new(vec![
        Field::new("status", DataType::Int32, false),
        Field::new("snapshot_id", DataType::Int64, true),
        Field::new("sequence_number", DataType::Int64, true),
        Field::new("file_sequence_number", DataType::Int64, true),
        Field::new("data_file", DataType::Struct(file_fields), false),
    ]);
    let batch = RecordBatch::try_new(
        Arc::new(arrow_schema),
        vec![
            Arc::new(status.finish()),
            Arc::new(snapshot.finish()),
            Arc::new(sequence.finish()),
            Arc::new(file_sequence.finish()),
            Arc::new(data_file),
        ],
    )
    .map_err(|e| e.to_string())?;
    let spec_json = serde_json::to_string(&spec.fields).unwrap_or_default();
    let schema_json = serde_json::to_string(schema).unwrap_or_default();
    avro::write(
        &batch,
        &avro_schema,
        &[
            ("schema", schema_json),
            ("schema-id", schema.schema_id.to_string()),
            ("partition-spec", spec_json),
            ("partition-spec-id", spec.spec_id.to_string()),
            ("format-version", "2".into()),
            (
                "content",
                if content == 0 { "data" } else { "deletes" }.into(),
            ),
        ],
    )
}

fn append_kv(
    b: &mut ListBuilder<StructBuilder>,
    entries: impl Iterator<Item = (i32, ScalarValue)>,
) {
    let items = b.values();
    for (k, v) in entries {
        if let Some(keys) = items.field_builder::<Int32Builder>(0) {
            keys.append_value(k);
        }
        match v {
            ScalarValue::Int64(v) => {
                if let Some(values) = items.field_builder::<Int64Builder>(1) {
                    values.append_option(v);
                }
            }
            ScalarValue::Binary(v) => {
                if let Some(values) = items.field_builder::<BinaryBuilder>(1) {
                    values.append_option(v);
                }
            }
            _ => {}
        }
        items.append(true);
    }
    b.append(true);
}

/// Writes a manifest list: the Avro file's bytes.
pub(crate) fn manifest_list(
    manifests: &[ManifestFile],
    snapshot_id: i64,
    parent: Option<i64>,
    sequence_number: i64,
) -> Result<Vec<u8>, String> {
    let summary_fields = Fields::from(vec![
        Field::new("contains_null", DataType::Boolean, false),
        Field::new("contains_nan", DataType::Boolean, true),
        Field::new("lower_bound", DataType::Binary, true),
        Field::new("upper_bound", DataType::Binary, true),
    ]);
    let mut path = StringBuilder::new();
    let mut length = Int64Builder::new();
    let mut spec = Int32Builder::new();
    let mut content = Int32Builder::new();
    let mut sequence = Int64Builder::new();
    let mut min_sequence = Int64Builder::new();
    let mut snapshot = Int64Builder::new();
    let mut counts: Vec<Int32Builder> = (0..3).map(|_| Int32Builder::new()).collect();
    let mut rows: Vec<Int64Builder> = (0..3).map(|_| Int64Builder::new()).collect();
    let mut partitions = ListBuilder::new(StructBuilder::from_fields(summary_fields.clone(), 0))
        .with_field(Arc::new(Field::new(
            "element",
            DataType::Struct(summary_fields.clone()),
            false,
        )));
    let mut key_metadata = BinaryBuilder::new();
    for m in manifests {
        path.append_value(&m.path);
        length.append_value(m.length);
        spec.append_value(m.spec_id);
        content.append_value(m.content);
        sequence.append_value(m.sequence_number);
        min_sequence.append_value(m.min_sequence_number);
        snapshot.append_value(m.added_snapshot_id);
        for (b, v) in counts
            .iter_mut()
            .zip([m.added_files, m.existing_files, m.deleted_files])
        {
            b.append_value(v);
        }
        for (b, v) in rows
            .iter_mut()
            .zip([m.added_rows, m.existing_rows, m.deleted_rows])
        {
            b.append_value(v);
        }
        let items = partitions.values();
        for s in &m.partitions {
            if let Some(b) = items.field_builder::<BooleanBuilder>(0) {
                b.append_value(s.contains_null);
            }
            if let Some(b) = items.field_builder::<BooleanBuilder>(1) {
                b.append_option(s.contains_nan);
            }
            if let Some(b) = items.field_builder::<BinaryBuilder>(2) {
                b.append_option(s.lower.as_deref());
            }
            if let Some(b) = items.field_builder::<BinaryBuilder>(3) {
                b.append_option(s.upper.as_deref());
            }
            items.append(true);
        }
        partitions.append(true);
        key_metadata.append_null();
    }
    let fields = vec![
        Field::new("manifest_path", DataType::Utf8, false),
        Field::new("manifest_length", DataType::Int64, false),
        Field::new("partition_spec_id", DataType::Int32, false),
        Field::new("content", DataType::Int32, false),
        Field::new("sequence_number", DataType::Int64, false),
        Field::new("min_sequence_number", DataType::Int64, false),
        Field::new("added_snapshot_id", DataType::Int64, false),
        Field::new("added_files_count", DataType::Int32, false),
        Field::new("existing_files_count", DataType::Int32, false),
        Field::new("deleted_files_count", DataType::Int32, false),
        Field::new("added_rows_count", DataType::Int64, false),
        Field::new("existing_rows_count", DataType::Int64, false),
        Field::new("deleted_rows_count", DataType::Int64, false),
        Field::new(
            "partitions",
            DataType::List(Arc::new(Field::new(
                "element",
                DataType::Struct(summary_fields),
                false,
            ))),
            true,
        ),
        Field::new("key_metadata", DataType::Binary, true),
    ];
    let [c0, c1, c2] = &mut counts[..] else {
        return Err("internal: three counts".into());
    };
    let [r0, r1, r2] = &mut rows[..] else {
        return Err("internal: three row counts".into());
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(path.finish()),
        Arc::new(length.finish()),
        Arc::new(spec.finish()),
        Arc::new(content.finish()),
        Arc::new(sequence.finish()),
        Arc::new(min_sequence.finish()),
        Arc::new(snapshot.finish()),
        Arc::new(c0.finish()),
        Arc::new(c1.finish()),
        Arc::new(c2.finish()),
        Arc::new(r0.finish()),
        Arc::new(r1.finish()),
        Arc::new(r2.finish()),
        Arc::new(partitions.finish()),
        Arc::new(key_metadata.finish()),
    ];
    let batch =
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| e.to_string())?;
    let avro_schema = json!({"type": "record", "name": "manifest_file", "fields": [
        {"name": "manifest_path", "type": "string", "field-id": 500},
        {"name": "manifest_length", "type": "long", "field-id": 501},
        {"name": "partition_spec_id", "type": "int", "field-id": 502},
        {"name": "content", "type": "int", "field-id": 517},
        {"name": "sequence_number", "type": "long", "field-id": 515},
        {"name": "min_sequence_number", "type": "long", "field-id": 516},
        {"name": "added_snapshot_id", "type": "long", "field-id": 503},
        {"name": "added_files_count", "type": "int", "field-id": 504},
        {"name": "existing_files_count", "type": "int", "field-id": 505},
        {"name": "deleted_files_count", "type": "int", "field-id": 506},
        {"name": "added_rows_count", "type": "long", "field-id": 512},
        {"name": "existing_rows_count", "type": "long", "field-id": 513},
        {"name": "deleted_rows_count", "type": "long", "field-id": 514},
        {"name": "partitions", "type": ["null", {"type": "array", "element-id": 508, "items": {
            "type": "record", "name": "r508", "fields": [
                {"name": "contains_null", "type": "boolean", "field-id": 509},
                {"name": "contains_nan", "type": ["null", "boolean"], "default": null, "field-id": 518},
                {"name": "lower_bound", "type": ["null", "bytes"], "default": null, "field-id": 510},
                {"name": "upper_bound", "type": ["null", "bytes"], "default": null, "field-id": 511}]}}],
         "default": null, "field-id": 507},
        {"name": "key_metadata", "type": ["null", "bytes"], "default": null, "field-id": 519}
    ]});
    avro::write(
        &batch,
        &avro_schema.to_string(),
        &[
            ("snapshot-id", snapshot_id.to_string()),
            (
                "parent-snapshot-id",
                parent.map_or("null".into(), |p| p.to_string()),
            ),
            ("sequence-number", sequence_number.to_string()),
            ("format-version", "2".into()),
        ],
    )
}

/// The partition summaries of a manifest's files: per partition field,
/// whether a value is NULL and the lowest and highest values.
pub(crate) fn summaries(
    files: &[&DataFile],
    spec: &PartitionSpec,
    schema: &IcebergSchema,
) -> Vec<FieldSummary> {
    let types = spec_fields(spec, schema);
    types
        .iter()
        .enumerate()
        .map(|(i, (_, _, t))| {
            let mut summary = FieldSummary::default();
            let mut low: Option<ScalarValue> = None;
            let mut high: Option<ScalarValue> = None;
            for f in files {
                let Some(v) = f.partition.get(i).and_then(|v| v.cast_to(t).ok()) else {
                    continue;
                };
                if v.is_null() {
                    summary.contains_null = true;
                    continue;
                }
                if low
                    .as_ref()
                    .is_none_or(|l| v.partial_cmp(l).is_some_and(|o| o.is_lt()))
                {
                    low = Some(v.clone());
                }
                if high
                    .as_ref()
                    .is_none_or(|h| v.partial_cmp(h).is_some_and(|o| o.is_gt()))
                {
                    high = Some(v);
                }
            }
            if matches!(t, DataType::Float32 | DataType::Float64) {
                summary.contains_nan = Some(false);
            }
            summary.lower = low.as_ref().and_then(encode_bound);
            summary.upper = high.as_ref().and_then(encode_bound);
            summary
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iceberg::manifest::{STATUS_ADDED, read_manifest, read_manifest_list};
    use crate::iceberg::metadata::PartitionField;
    use crate::iceberg::types::{IcebergType, NestedField};

    fn schema() -> IcebergSchema {
        let field = |id, name: &str, t: &str| NestedField {
            id,
            name: name.into(),
            required: false,
            field_type: IcebergType::Primitive(t.into()),
            doc: None,
        };
        IcebergSchema {
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
        PartitionSpec {
            spec_id: 0,
            fields: vec![
                PartitionField {
                    source_id: 2,
                    field_id: Some(1000),
                    name: "ts_day".into(),
                    transform: "day".into(),
                },
                PartitionField {
                    source_id: 3,
                    field_id: Some(1001),
                    name: "name".into(),
                    transform: "identity".into(),
                },
            ],
        }
    }

    fn file(path: &str, day: i32, name: Option<&str>) -> DataFile {
        DataFile {
            content: 0,
            path: path.into(),
            format: "PARQUET".into(),
            spec_id: 0,
            partition: vec![
                ScalarValue::Date32(Some(day)),
                ScalarValue::Utf8(name.map(str::to_string)),
            ],
            record_count: 3,
            file_size: 1234,
            column_sizes: vec![(1, 40), (2, 50)],
            value_counts: vec![(1, 3)],
            null_counts: vec![(1, 0)],
            nan_counts: vec![],
            lower_bounds: vec![(1, 5i64.to_le_bytes().to_vec())],
            upper_bounds: vec![(1, 9i64.to_le_bytes().to_vec())],
            split_offsets: Some(vec![4]),
            equality_ids: None,
            sort_order_id: None,
        }
    }

    #[test]
    fn manifests_and_lists_read_back_as_written() {
        let entries = vec![
            ManifestEntry {
                status: STATUS_ADDED,
                snapshot_id: 77,
                sequence_number: 3,
                file_sequence_number: 3,
                file: file("s3://b/t/data/a.parquet", 19847, Some("x")),
            },
            ManifestEntry {
                status: STATUS_ADDED,
                snapshot_id: 77,
                sequence_number: 3,
                file_sequence_number: 3,
                file: file("s3://b/t/data/b.parquet", 19848, None),
            },
        ];
        let bytes = manifest(&entries, &spec(), &schema(), 0).unwrap();
        let files: Vec<&DataFile> = entries.iter().map(|e| &e.file).collect();
        let listed = ManifestFile {
            path: "s3://b/t/metadata/m0.avro".into(),
            length: bytes.len() as i64,
            spec_id: 0,
            content: 0,
            sequence_number: 3,
            min_sequence_number: 3,
            added_snapshot_id: 77,
            added_files: 2,
            existing_files: 0,
            deleted_files: 0,
            added_rows: 6,
            existing_rows: 0,
            deleted_rows: 0,
            partitions: summaries(&files, &spec(), &schema()),
        };
        assert_eq!(read_manifest(&bytes, &listed).unwrap(), entries);
        let list = manifest_list(std::slice::from_ref(&listed), 77, Some(76), 3).unwrap();
        let read = read_manifest_list(&list).unwrap();
        assert_eq!(read, vec![listed.clone()]);
        assert_eq!(
            read[0].partitions[0].lower,
            Some(19847i32.to_le_bytes().to_vec())
        );
        assert!(read[0].partitions[1].contains_null);
        let header = crate::iceberg::avro::read(&bytes).unwrap().metadata;
        assert_eq!(
            header.get("partition-spec-id").map(String::as_str),
            Some("0")
        );
        assert_eq!(header.get("content").map(String::as_str), Some("data"));
    }
}
