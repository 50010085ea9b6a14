//! Manifest lists and manifests (Iceberg's Avro files), read into plain
//! structs: which manifests a snapshot has, and which data and delete files
//! each manifest adds, keeps or removes, with their partition values and
//! column statistics. Format versions 1 and 2; fields are found by name, so
//! both versions' spellings (`added_files_count`, `added_data_files_count`)
//! are read.

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BooleanArray, LargeBinaryArray, ListArray, MapArray,
    RecordBatch, StructArray,
};
use datafusion::arrow::datatypes::{DataType, Int32Type, Int64Type};
use datafusion::common::ScalarValue;

use super::avro;

pub(crate) mod write;

/// What a manifest lists.
pub(crate) const CONTENT_DATA: i32 = 0;
/// Position delete files (as a data file's `content`; as a manifest's, any deletes).
pub(crate) const CONTENT_POSITION_DELETES: i32 = 1;
/// Equality delete files.
pub(crate) const CONTENT_EQUALITY_DELETES: i32 = 2;

/// Entry status: kept from an earlier snapshot.
pub(crate) const STATUS_EXISTING: i32 = 0;
/// Entry status: added by the manifest's snapshot.
pub(crate) const STATUS_ADDED: i32 = 1;
/// Entry status: removed by the manifest's snapshot.
pub(crate) const STATUS_DELETED: i32 = 2;

/// One entry of a manifest list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ManifestFile {
    pub(crate) path: String,
    pub(crate) length: i64,
    pub(crate) spec_id: i32,
    /// 0 data, 1 deletes.
    pub(crate) content: i32,
    pub(crate) sequence_number: i64,
    pub(crate) min_sequence_number: i64,
    pub(crate) added_snapshot_id: i64,
    pub(crate) added_files: i32,
    pub(crate) existing_files: i32,
    pub(crate) deleted_files: i32,
    pub(crate) added_rows: i64,
    pub(crate) existing_rows: i64,
    pub(crate) deleted_rows: i64,
    /// One summary per partition field of the manifest's spec.
    pub(crate) partitions: Vec<FieldSummary>,
}

/// Bounds of one partition field over a manifest's files.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FieldSummary {
    pub(crate) contains_null: bool,
    pub(crate) contains_nan: Option<bool>,
    pub(crate) lower: Option<Vec<u8>>,
    pub(crate) upper: Option<Vec<u8>>,
}

/// One entry of a manifest.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ManifestEntry {
    pub(crate) status: i32,
    pub(crate) snapshot_id: i64,
    /// The data sequence number (inherited from the manifest when unset).
    pub(crate) sequence_number: i64,
    pub(crate) file_sequence_number: i64,
    pub(crate) file: DataFile,
}

/// A data or delete file, as a manifest describes it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DataFile {
    /// [`CONTENT_DATA`], [`CONTENT_POSITION_DELETES`] or [`CONTENT_EQUALITY_DELETES`].
    pub(crate) content: i32,
    pub(crate) path: String,
    /// `PARQUET`, `AVRO`, `ORC`.
    pub(crate) format: String,
    /// The spec the partition values follow.
    pub(crate) spec_id: i32,
    /// Partition values, in the spec's field order.
    pub(crate) partition: Vec<ScalarValue>,
    pub(crate) record_count: i64,
    pub(crate) file_size: i64,
    pub(crate) column_sizes: Vec<(i32, i64)>,
    pub(crate) value_counts: Vec<(i32, i64)>,
    pub(crate) null_counts: Vec<(i32, i64)>,
    pub(crate) nan_counts: Vec<(i32, i64)>,
    pub(crate) lower_bounds: Vec<(i32, Vec<u8>)>,
    pub(crate) upper_bounds: Vec<(i32, Vec<u8>)>,
    pub(crate) split_offsets: Option<Vec<i64>>,
    pub(crate) equality_ids: Option<Vec<i32>>,
    pub(crate) sort_order_id: Option<i32>,
}

impl DataFile {
    /// A column's value from one of the id-keyed statistics.
    pub(crate) fn stat<T: Clone>(list: &[(i32, T)], id: i32) -> Option<T> {
        list.iter().find(|(k, _)| *k == id).map(|(_, v)| v.clone())
    }
}

/// Reads a manifest list.
pub(crate) fn read_manifest_list(bytes: &[u8]) -> Result<Vec<ManifestFile>, String> {
    let file = avro::read(bytes)?;
    let mut out = Vec::new();
    for batch in &file.batches {
        let rows = Rows::of_batch(batch);
        for row in 0..batch.num_rows() {
            let partitions = match rows.get("partitions") {
                Some(list) => field_summaries(list, row),
                None => Vec::new(),
            };
            out.push(ManifestFile {
                path: rows.string(&["manifest_path"], row)?,
                length: rows.long(&["manifest_length"], row).unwrap_or(0),
                spec_id: rows.int(&["partition_spec_id"], row).unwrap_or(0),
                content: rows.int(&["content"], row).unwrap_or(0),
                sequence_number: rows.long(&["sequence_number"], row).unwrap_or(0),
                min_sequence_number: rows.long(&["min_sequence_number"], row).unwrap_or(0),
                added_snapshot_id: rows.long(&["added_snapshot_id"], row).unwrap_or(0),
                added_files: rows
                    .int(&["added_files_count", "added_data_files_count"], row)
                    .unwrap_or(0),
                existing_files: rows
                    .int(&["existing_files_count", "existing_data_files_count"], row)
                    .unwrap_or(0),
                deleted_files: rows
                    .int(&["deleted_files_count", "deleted_data_files_count"], row)
                    .unwrap_or(0),
                added_rows: rows.long(&["added_rows_count"], row).unwrap_or(0),
                existing_rows: rows.long(&["existing_rows_count"], row).unwrap_or(0),
                deleted_rows: rows.long(&["deleted_rows_count"], row).unwrap_or(0),
                partitions,
            });
        }
    }
    Ok(out)
}

/// Reads a manifest, inheriting snapshot ids and sequence numbers from its
/// manifest-list entry where the entries leave them unset.
pub(crate) fn read_manifest(
    bytes: &[u8],
    manifest: &ManifestFile,
) -> Result<Vec<ManifestEntry>, String> {
    let file = avro::read(bytes)?;
    let mut out = Vec::new();
    for batch in &file.batches {
        let rows = Rows::of_batch(batch);
        let data_file = rows
            .get("data_file")
            .and_then(|a| a.as_struct_opt())
            .ok_or("a manifest entry has no data_file")?;
        let files = Rows::of_struct(data_file);
        for row in 0..batch.num_rows() {
            let status = rows.int(&["status"], row).ok_or("an entry has no status")?;
            let inherited = status == STATUS_ADDED;
            let sequence_number = rows
                .long(&["sequence_number"], row)
                .or(inherited.then_some(manifest.sequence_number))
                .unwrap_or(0);
            let partition = match files.get("partition").and_then(|p| p.as_struct_opt()) {
                Some(p) => p
                    .columns()
                    .iter()
                    .map(|c| ScalarValue::try_from_array(c, row))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?,
                None => Vec::new(),
            };
            let file = DataFile {
                content: files.int(&["content"], row).unwrap_or(CONTENT_DATA),
                path: files.string(&["file_path"], row)?,
                format: files
                    .string(&["file_format"], row)
                    .unwrap_or_else(|_| "PARQUET".into())
                    .to_ascii_uppercase(),
                spec_id: manifest.spec_id,
                partition,
                record_count: files.long(&["record_count"], row).unwrap_or(0),
                file_size: files.long(&["file_size_in_bytes"], row).unwrap_or(0),
                column_sizes: files.long_map("column_sizes", row),
                value_counts: files.long_map("value_counts", row),
                null_counts: files.long_map("null_value_counts", row),
                nan_counts: files.long_map("nan_value_counts", row),
                lower_bounds: files.bytes_map("lower_bounds", row),
                upper_bounds: files.bytes_map("upper_bounds", row),
                split_offsets: files.long_list("split_offsets", row),
                equality_ids: files
                    .long_list("equality_ids", row)
                    .map(|ids| ids.into_iter().map(|i| i as i32).collect()),
                sort_order_id: files.int(&["sort_order_id"], row),
            };
            out.push(ManifestEntry {
                status,
                snapshot_id: rows
                    .long(&["snapshot_id"], row)
                    .unwrap_or(manifest.added_snapshot_id),
                sequence_number,
                file_sequence_number: rows
                    .long(&["file_sequence_number"], row)
                    .unwrap_or(sequence_number),
                file,
            });
        }
    }
    Ok(out)
}

fn field_summaries(list: &ArrayRef, row: usize) -> Vec<FieldSummary> {
    let Some(list) = list.as_list_opt::<i32>() else {
        return Vec::new();
    };
    if list.is_null(row) {
        return Vec::new();
    }
    let items = list.value(row);
    let Some(items) = items.as_struct_opt() else {
        return Vec::new();
    };
    let fields = Rows::of_struct(items);
    (0..items.len())
        .map(|i| FieldSummary {
            contains_null: fields.boolean("contains_null", i).unwrap_or(true),
            contains_nan: fields.boolean("contains_nan", i),
            lower: fields.binary("lower_bound", i),
            upper: fields.binary("upper_bound", i),
        })
        .collect()
}

/// Named columns of a batch or struct, read by row.
struct Rows<'a> {
    names: Vec<&'a str>,
    columns: &'a [ArrayRef],
}

impl<'a> Rows<'a> {
    fn of_batch(batch: &'a RecordBatch) -> Self {
        Self {
            names: batch
                .schema_ref()
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect(),
            columns: batch.columns(),
        }
    }

    fn of_struct(array: &'a StructArray) -> Self {
        Self {
            names: array.fields().iter().map(|f| f.name().as_str()).collect(),
            columns: array.columns(),
        }
    }

    fn get(&self, name: &str) -> Option<&'a ArrayRef> {
        let i = self.names.iter().position(|n| *n == name)?;
        Some(&self.columns[i])
    }

    fn first(&self, names: &[&str]) -> Option<&'a ArrayRef> {
        names.iter().find_map(|n| self.get(n))
    }

    fn long(&self, names: &[&str], row: usize) -> Option<i64> {
        let array = self.first(names)?;
        if array.is_null(row) {
            return None;
        }
        match array.data_type() {
            DataType::Int64 => Some(array.as_primitive::<Int64Type>().value(row)),
            DataType::Int32 => Some(array.as_primitive::<Int32Type>().value(row) as i64),
            _ => None,
        }
    }

    fn int(&self, names: &[&str], row: usize) -> Option<i32> {
        self.long(names, row).map(|v| v as i32)
    }

    fn boolean(&self, name: &str, row: usize) -> Option<bool> {
        let array = self.get(name)?.as_any().downcast_ref::<BooleanArray>()?;
        (!array.is_null(row)).then(|| array.value(row))
    }

    fn string(&self, names: &[&str], row: usize) -> Result<String, String> {
        let missing = || format!("an entry has no {}", names[0]);
        let array = self.first(names).ok_or_else(missing)?;
        if array.is_null(row) {
            return Err(missing());
        }
        match array.data_type() {
            DataType::Utf8 => Ok(array.as_string::<i32>().value(row).to_string()),
            DataType::LargeUtf8 => Ok(array.as_string::<i64>().value(row).to_string()),
            DataType::Utf8View => Ok(array.as_string_view().value(row).to_string()),
            _ => Err(missing()),
        }
    }

    fn binary(&self, name: &str, row: usize) -> Option<Vec<u8>> {
        binary_at(self.get(name)?, row)
    }

    /// A list of longs (or ints).
    fn long_list(&self, name: &str, row: usize) -> Option<Vec<i64>> {
        let list = self.get(name)?.as_list_opt::<i32>()?;
        if list.is_null(row) {
            return None;
        }
        let values = list.value(row);
        Some(
            (0..values.len())
                .filter(|i| !values.is_null(*i))
                .filter_map(|i| match values.data_type() {
                    DataType::Int64 => Some(values.as_primitive::<Int64Type>().value(i)),
                    DataType::Int32 => Some(values.as_primitive::<Int32Type>().value(i) as i64),
                    _ => None,
                })
                .collect(),
        )
    }

    /// An id-keyed map, stored as Avro's array of key/value records (or as a map).
    fn entries(&self, name: &str, row: usize) -> Option<(ArrayRef, ArrayRef)> {
        let array = self.get(name)?;
        if array.is_null(row) {
            return None;
        }
        if let Some(list) = array.as_any().downcast_ref::<ListArray>() {
            let items = list.value(row);
            let kv = items.as_struct_opt()?;
            return Some((
                Array::slice(kv.column(0), 0, kv.len()),
                kv.column(1).clone(),
            ));
        }
        let map = array.as_any().downcast_ref::<MapArray>()?;
        let kv = map.value(row);
        Some((kv.column(0).clone(), kv.column(1).clone()))
    }

    fn long_map(&self, name: &str, row: usize) -> Vec<(i32, i64)> {
        let Some((keys, values)) = self.entries(name, row) else {
            return Vec::new();
        };
        let (Some(keys), Some(values)) = (
            keys.as_primitive_opt::<Int32Type>(),
            values.as_primitive_opt::<Int64Type>(),
        ) else {
            return Vec::new();
        };
        (0..keys.len())
            .filter(|i| !values.is_null(*i))
            .map(|i| (keys.value(i), values.value(i)))
            .collect()
    }

    fn bytes_map(&self, name: &str, row: usize) -> Vec<(i32, Vec<u8>)> {
        let Some((keys, values)) = self.entries(name, row) else {
            return Vec::new();
        };
        let Some(keys) = keys.as_primitive_opt::<Int32Type>() else {
            return Vec::new();
        };
        (0..keys.len())
            .filter_map(|i| Some((keys.value(i), binary_at(&values, i)?)))
            .collect()
    }
}

fn binary_at(array: &ArrayRef, row: usize) -> Option<Vec<u8>> {
    if array.is_null(row) {
        return None;
    }
    if let Some(b) = array.as_any().downcast_ref::<BinaryArray>() {
        return Some(b.value(row).to_vec());
    }
    if let Some(b) = array.as_any().downcast_ref::<LargeBinaryArray>() {
        return Some(b.value(row).to_vec());
    }
    match array.data_type() {
        DataType::BinaryView => Some(array.as_binary_view().value(row).to_vec()),
        DataType::FixedSizeBinary(_) => Some(array.as_fixed_size_binary().value(row).to_vec()),
        _ => None,
    }
}
