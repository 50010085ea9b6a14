//! Athena's Iceberg metadata tables (`"t$snapshots"`, `"t$history"`,
//! `"t$manifests"`, `"t$files"`, `"t$partitions"`, `"t$refs"`), with the
//! columns of Trino's Iceberg connector, which Athena engine v3 is. Each
//! is computed from the metadata (and, for files, manifests and partitions,
//! the current snapshot's manifests) when the query plans, and served as an
//! in-memory table.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanBuilder, Int32Builder, Int64Builder, ListBuilder, MapBuilder,
    RecordBatch, StringBuilder, StructArray, TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::TableProvider;
use datafusion::common::ScalarValue;
use datafusion::datasource::MemTable;
use datafusion::execution::runtime_env::RuntimeEnv;

use super::IcebergTable;
use super::manifest::{DataFile, ManifestEntry};
use super::prune::{Predicate, spec_fields};
use super::scan::{live_entries, manifests};
use super::transform::decode_bound;
use crate::error::{Error, Result};

/// The metadata tables there are, for messages.
const NAMES: &str = "snapshots, history, manifests, files, partitions, refs";

/// The metadata table `name` of `table`.
pub(crate) async fn provider(
    table: &IcebergTable,
    name: &str,
    runtime: &RuntimeEnv,
) -> Result<Arc<dyn TableProvider>> {
    let batch = match name {
        "snapshots" => snapshots(table)?,
        "history" => history(table)?,
        "refs" => refs(table)?,
        "manifests" => {
            let manifests = manifests(table, runtime).await?;
            manifests_batch(&manifests)?
        }
        "files" | "partitions" => {
            let manifests = manifests(table, runtime).await?;
            let entries = live_entries(table, runtime, &manifests, &Predicate::Unknown).await?;
            if name == "files" {
                files(table, &entries)?
            } else {
                partitions(table, &entries)?
            }
        }
        other => {
            return Err(Error::TableNotFound {
                name: format!("{}${other}", table.name()),
                suggestion: Some(format!(
                    "{}$snapshots (Iceberg metadata tables: {NAMES})",
                    table.name()
                )),
            });
        }
    };
    Ok(Arc::new(MemTable::try_new(
        batch.schema(),
        vec![vec![batch]],
    )?))
}

fn utc_ms() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

fn batch(fields: Vec<Field>, columns: Vec<ArrayRef>) -> Result<RecordBatch> {
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    Ok(RecordBatch::try_new(schema, columns)?)
}

fn snapshots(table: &IcebergTable) -> Result<RecordBatch> {
    let mut committed = TimestampMillisecondBuilder::new().with_timezone("UTC");
    let mut id = Int64Builder::new();
    let mut parent = Int64Builder::new();
    let mut operation = StringBuilder::new();
    let mut list = StringBuilder::new();
    let mut summary = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
    let mut snapshots: Vec<_> = table.metadata.snapshots.iter().collect();
    snapshots.sort_by_key(|s| (s.timestamp_ms, s.sequence_number));
    for s in snapshots {
        committed.append_value(s.timestamp_ms);
        id.append_value(s.snapshot_id);
        parent.append_option(s.parent_snapshot_id);
        operation.append_option(s.summary.get("operation"));
        list.append_option(s.manifest_list.as_deref());
        for (k, v) in s.summary.iter().filter(|(k, _)| *k != "operation") {
            summary.keys().append_value(k);
            summary.values().append_value(v);
        }
        summary.append(true)?;
    }
    batch(
        vec![
            Field::new("committed_at", utc_ms(), true),
            Field::new("snapshot_id", DataType::Int64, true),
            Field::new("parent_id", DataType::Int64, true),
            Field::new("operation", DataType::Utf8, true),
            Field::new("manifest_list", DataType::Utf8, true),
            Field::new("summary", summary_type(), true),
        ],
        vec![
            Arc::new(committed.finish()),
            Arc::new(id.finish()),
            Arc::new(parent.finish()),
            Arc::new(operation.finish()),
            Arc::new(list.finish()),
            Arc::new(summary.finish()),
        ],
    )
}

fn summary_type() -> DataType {
    MapBuilder::new(None, StringBuilder::new(), StringBuilder::new())
        .finish()
        .data_type()
        .clone()
}

fn history(table: &IcebergTable) -> Result<RecordBatch> {
    let current = table.metadata.current_snapshot().map(|s| s.snapshot_id);
    let ancestors = table.metadata.ancestors(current);
    let mut made = TimestampMillisecondBuilder::new().with_timezone("UTC");
    let mut id = Int64Builder::new();
    let mut parent = Int64Builder::new();
    let mut ancestor = BooleanBuilder::new();
    for entry in &table.metadata.snapshot_log {
        made.append_value(entry.timestamp_ms);
        id.append_value(entry.snapshot_id);
        parent.append_option(
            table
                .metadata
                .snapshot(entry.snapshot_id)
                .and_then(|s| s.parent_snapshot_id),
        );
        ancestor.append_value(ancestors.contains(&entry.snapshot_id));
    }
    batch(
        vec![
            Field::new("made_current_at", utc_ms(), true),
            Field::new("snapshot_id", DataType::Int64, true),
            Field::new("parent_id", DataType::Int64, true),
            Field::new("is_current_ancestor", DataType::Boolean, true),
        ],
        vec![
            Arc::new(made.finish()),
            Arc::new(id.finish()),
            Arc::new(parent.finish()),
            Arc::new(ancestor.finish()),
        ],
    )
}

/// A ref's type, snapshot and retention settings, as `"t$refs"` lists them.
type RefRow = (String, i64, Option<i64>, Option<i32>, Option<i64>);

fn refs(table: &IcebergTable) -> Result<RecordBatch> {
    let mut refs: BTreeMap<String, RefRow> = BTreeMap::new();
    for (name, r) in table.metadata.refs.iter().flatten() {
        let long = |k: &str| r.other.get(k).and_then(|v| v.as_i64());
        refs.insert(
            name.clone(),
            (
                r.kind.to_ascii_uppercase(),
                r.snapshot_id,
                long("max-ref-age-ms"),
                long("min-snapshots-to-keep").map(|v| v as i32),
                long("max-snapshot-age-ms"),
            ),
        );
    }
    if refs.is_empty()
        && let Some(current) = table.metadata.current_snapshot()
    {
        refs.insert(
            "main".into(),
            ("BRANCH".into(), current.snapshot_id, None, None, None),
        );
    }
    let mut name = StringBuilder::new();
    let mut kind = StringBuilder::new();
    let mut id = Int64Builder::new();
    let mut age = Int64Builder::new();
    let mut keep = Int32Builder::new();
    let mut snapshot_age = Int64Builder::new();
    for (n, (k, s, a, m, sa)) in refs {
        name.append_value(n);
        kind.append_value(k);
        id.append_value(s);
        age.append_option(a);
        keep.append_option(m);
        snapshot_age.append_option(sa);
    }
    batch(
        vec![
            Field::new("name", DataType::Utf8, true),
            Field::new("type", DataType::Utf8, true),
            Field::new("snapshot_id", DataType::Int64, true),
            Field::new("max_reference_age_in_ms", DataType::Int64, true),
            Field::new("min_snapshots_to_keep", DataType::Int32, true),
            Field::new("max_snapshot_age_in_ms", DataType::Int64, true),
        ],
        vec![
            Arc::new(name.finish()),
            Arc::new(kind.finish()),
            Arc::new(id.finish()),
            Arc::new(age.finish()),
            Arc::new(keep.finish()),
            Arc::new(snapshot_age.finish()),
        ],
    )
}

fn manifests_batch(manifests: &[super::manifest::ManifestFile]) -> Result<RecordBatch> {
    let summary_fields = Fields::from(vec![
        Field::new("contains_null", DataType::Boolean, true),
        Field::new("contains_nan", DataType::Boolean, true),
        Field::new("lower_bound", DataType::Utf8, true),
        Field::new("upper_bound", DataType::Utf8, true),
    ]);
    let mut path = StringBuilder::new();
    let mut length = Int64Builder::new();
    let mut spec = Int32Builder::new();
    let mut snapshot = Int64Builder::new();
    let mut counts: Vec<Int64Builder> = (0..6).map(|_| Int64Builder::new()).collect();
    let mut summaries = ListBuilder::new(datafusion::arrow::array::StructBuilder::from_fields(
        summary_fields.clone(),
        0,
    ))
    .with_field(Arc::new(Field::new(
        "item",
        DataType::Struct(summary_fields.clone()),
        true,
    )));
    for m in manifests {
        path.append_value(&m.path);
        length.append_value(m.length);
        spec.append_value(m.spec_id);
        snapshot.append_value(m.added_snapshot_id);
        for (b, v) in counts.iter_mut().zip([
            m.added_files as i64,
            m.added_rows,
            m.existing_files as i64,
            m.existing_rows,
            m.deleted_files as i64,
            m.deleted_rows,
        ]) {
            b.append_value(v);
        }
        let items = summaries.values();
        for s in &m.partitions {
            if let Some(b) = items.field_builder::<BooleanBuilder>(0) {
                b.append_value(s.contains_null)
            }
            if let Some(b) = items.field_builder::<BooleanBuilder>(1) {
                b.append_option(s.contains_nan)
            }
            // Bounds are shown as Trino shows them: the partition value's
            // text, here the raw bytes as hex when they are not text.
            for (i, bound) in [(2, &s.lower), (3, &s.upper)] {
                let text = bound.as_ref().map(|b| match std::str::from_utf8(b) {
                    Ok(t) if t.chars().all(|c| !c.is_control()) => t.to_string(),
                    _ => b.iter().map(|x| format!("{x:02x}")).collect(),
                });
                if let Some(b) = items.field_builder::<StringBuilder>(i) {
                    b.append_option(text)
                }
            }
            items.append(true);
        }
        summaries.append(true);
    }
    let int32 = |b: &mut Int64Builder| -> ArrayRef {
        let values = b.finish();
        datafusion::arrow::compute::cast(&values, &DataType::Int32).unwrap_or(Arc::new(values))
    };
    let added_files = int32(&mut counts[0]);
    let existing_files = int32(&mut counts[2]);
    let deleted_files = int32(&mut counts[4]);
    batch(
        vec![
            Field::new("path", DataType::Utf8, true),
            Field::new("length", DataType::Int64, true),
            Field::new("partition_spec_id", DataType::Int32, true),
            Field::new("added_snapshot_id", DataType::Int64, true),
            Field::new("added_data_files_count", DataType::Int32, true),
            Field::new("added_rows_count", DataType::Int64, true),
            Field::new("existing_data_files_count", DataType::Int32, true),
            Field::new("existing_rows_count", DataType::Int64, true),
            Field::new("deleted_data_files_count", DataType::Int32, true),
            Field::new("deleted_rows_count", DataType::Int64, true),
            Field::new(
                "partition_summaries",
                DataType::List(Arc::new(Field::new(
                    "item",
                    DataType::Struct(summary_fields),
                    true,
                ))),
                true,
            ),
        ],
        vec![
            Arc::new(path.finish()),
            Arc::new(length.finish()),
            Arc::new(spec.finish()),
            Arc::new(snapshot.finish()),
            added_files,
            Arc::new(counts[1].finish()),
            existing_files,
            Arc::new(counts[3].finish()),
            deleted_files,
            Arc::new(counts[5].finish()),
            Arc::new(summaries.finish()),
        ],
    )
}

/// The partition values of a file as a struct of the current spec's fields.
fn partition_struct(
    table: &IcebergTable,
    files: &[&DataFile],
) -> Result<Option<(Field, ArrayRef)>> {
    let Some(spec) = table.metadata.default_spec() else {
        return Ok(None);
    };
    if spec.fields.is_empty() {
        return Ok(None);
    }
    let types = spec_fields(spec, table.schema());
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (i, (field, (_, _, result))) in spec.fields.iter().zip(&types).enumerate() {
        let values = files.iter().map(|f| {
            f.partition
                .get(i)
                .filter(|_| f.spec_id == spec.spec_id)
                .and_then(|v| v.cast_to(result).ok())
                .unwrap_or(ScalarValue::try_from(result).unwrap_or(ScalarValue::Null))
        });
        let array = if files.is_empty() {
            datafusion::arrow::array::new_empty_array(result)
        } else {
            ScalarValue::iter_to_array(values)?
        };
        fields.push(Field::new(&field.name, result.clone(), true));
        columns.push(array);
    }
    let fields = Fields::from(fields);
    let array = StructArray::try_new(fields.clone(), columns, None)?;
    Ok(Some((
        Field::new("partition", DataType::Struct(fields), true),
        Arc::new(array),
    )))
}

fn files(table: &IcebergTable, entries: &[ManifestEntry]) -> Result<RecordBatch> {
    let files: Vec<&DataFile> = entries.iter().map(|e| &e.file).collect();
    let schema = table.schema();
    let mut content = Int32Builder::new();
    let mut path = StringBuilder::new();
    let mut format = StringBuilder::new();
    let mut spec = Int32Builder::new();
    let mut records = Int64Builder::new();
    let mut size = Int64Builder::new();
    let mut long_maps: Vec<MapBuilder<Int32Builder, Int64Builder>> = (0..4)
        .map(|_| MapBuilder::new(None, Int32Builder::new(), Int64Builder::new()))
        .collect();
    let mut bound_maps: Vec<MapBuilder<Int32Builder, StringBuilder>> = (0..2)
        .map(|_| MapBuilder::new(None, Int32Builder::new(), StringBuilder::new()))
        .collect();
    let mut splits = ListBuilder::new(Int64Builder::new());
    let mut equality = ListBuilder::new(Int32Builder::new());
    let mut sort = Int32Builder::new();
    for f in &files {
        content.append_value(f.content);
        path.append_value(&f.path);
        format.append_value(&f.format);
        spec.append_value(f.spec_id);
        records.append_value(f.record_count);
        size.append_value(f.file_size);
        for (b, list) in long_maps.iter_mut().zip([
            &f.column_sizes,
            &f.value_counts,
            &f.null_counts,
            &f.nan_counts,
        ]) {
            for (k, v) in list {
                b.keys().append_value(*k);
                b.values().append_value(*v);
            }
            b.append(true)?;
        }
        for (b, list) in bound_maps
            .iter_mut()
            .zip([&f.lower_bounds, &f.upper_bounds])
        {
            for (k, v) in list {
                let text = schema
                    .find_type(*k)
                    .and_then(|t| t.arrow_type().ok())
                    .and_then(|t| decode_bound(v, &t))
                    .map(|v| v.to_string());
                b.keys().append_value(*k);
                b.values().append_option(text);
            }
            b.append(true)?;
        }
        match &f.split_offsets {
            Some(offsets) => {
                splits.values().append_slice(offsets);
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
    let long_map_type = MapBuilder::new(None, Int32Builder::new(), Int64Builder::new())
        .finish()
        .data_type()
        .clone();
    let bound_map_type = MapBuilder::new(None, Int32Builder::new(), StringBuilder::new())
        .finish()
        .data_type()
        .clone();
    let mut fields = vec![
        Field::new("content", DataType::Int32, true),
        Field::new("file_path", DataType::Utf8, true),
        Field::new("file_format", DataType::Utf8, true),
        Field::new("spec_id", DataType::Int32, true),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(content.finish()),
        Arc::new(path.finish()),
        Arc::new(format.finish()),
        Arc::new(spec.finish()),
    ];
    if let Some((field, array)) = partition_struct(table, &files)? {
        fields.push(field);
        columns.push(array);
    }
    fields.extend([
        Field::new("record_count", DataType::Int64, true),
        Field::new("file_size_in_bytes", DataType::Int64, true),
        Field::new("column_sizes", long_map_type.clone(), true),
        Field::new("value_counts", long_map_type.clone(), true),
        Field::new("null_value_counts", long_map_type.clone(), true),
        Field::new("nan_value_counts", long_map_type, true),
        Field::new("lower_bounds", bound_map_type.clone(), true),
        Field::new("upper_bounds", bound_map_type, true),
        Field::new(
            "split_offsets",
            DataType::List(Arc::new(Field::new("item", DataType::Int64, true))),
            true,
        ),
        Field::new(
            "equality_ids",
            DataType::List(Arc::new(Field::new("item", DataType::Int32, true))),
            true,
        ),
        Field::new("sort_order_id", DataType::Int32, true),
    ]);
    columns.push(Arc::new(records.finish()));
    columns.push(Arc::new(size.finish()));
    for mut b in long_maps {
        columns.push(Arc::new(b.finish()));
    }
    for mut b in bound_maps {
        columns.push(Arc::new(b.finish()));
    }
    columns.push(Arc::new(splits.finish()));
    columns.push(Arc::new(equality.finish()));
    columns.push(Arc::new(sort.finish()));
    batch(fields, columns)
}

fn partitions(table: &IcebergTable, entries: &[ManifestEntry]) -> Result<RecordBatch> {
    // Data files only, grouped by partition value (Trino counts data files).
    let mut groups: Vec<(Vec<ScalarValue>, i64, i64, i64, &DataFile)> = Vec::new();
    for e in entries.iter().filter(|e| e.file.content == 0) {
        let key = e.file.partition.clone();
        match groups.iter_mut().find(|(k, ..)| *k == key) {
            Some((_, records, files, size, _)) => {
                *records += e.file.record_count;
                *files += 1;
                *size += e.file.file_size;
            }
            None => groups.push((key, e.file.record_count, 1, e.file.file_size, &e.file)),
        }
    }
    groups.sort_by(|a, b| format!("{:?}", a.0).cmp(&format!("{:?}", b.0)));
    let representatives: Vec<&DataFile> = groups.iter().map(|g| g.4).collect();
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    if let Some((field, array)) = partition_struct(table, &representatives)? {
        fields.push(field);
        columns.push(array);
    }
    let mut records = Int64Builder::new();
    let mut files = Int64Builder::new();
    let mut size = Int64Builder::new();
    for (_, r, f, s, _) in &groups {
        records.append_value(*r);
        files.append_value(*f);
        size.append_value(*s);
    }
    fields.extend([
        Field::new("record_count", DataType::Int64, true),
        Field::new("file_count", DataType::Int64, true),
        Field::new("total_size", DataType::Int64, true),
    ]);
    columns.push(Arc::new(records.finish()));
    columns.push(Arc::new(files.finish()));
    columns.push(Arc::new(size.finish()));
    batch(fields, columns)
}
