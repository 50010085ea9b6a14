//! Scan planning: a snapshot's live data files that survive the query's
//! predicates, each with the deletes that apply to it (merge-on-read).
//!
//! Following the Iceberg spec: manifests are pruned by their partition
//! summaries, files by their partition values and column bounds; a position
//! delete applies to a data file of the same partition whose data sequence
//! number is not greater than the delete's; an equality delete to one whose
//! sequence number is strictly smaller, in the same partition or, for an
//! unpartitioned delete, anywhere.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{Field, Int64Type, Schema as ArrowSchema};
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};

use super::IcebergTable;
use super::io::TableFile;
use super::manifest::{
    CONTENT_DATA, CONTENT_EQUALITY_DELETES, CONTENT_POSITION_DELETES, DataFile, ManifestEntry,
    ManifestFile, STATUS_DELETED, read_manifest, read_manifest_list,
};
use super::prune::{Predicate, file_may_match, manifest_may_match};
use super::types::field_id;
use crate::error::Result;

/// How many manifests or delete files are read at once.
const CONCURRENCY: usize = 8;

/// A data file to read, with the deletes that apply to it.
#[derive(Debug, Clone)]
pub(crate) struct PlannedFile {
    pub(crate) file: DataFile,
    pub(crate) sequence_number: i64,
    /// Deleted row positions, sorted and unique.
    pub(crate) deleted: Vec<u64>,
    /// Indexes into [`Planned::equality`] of the equality deletes that apply.
    pub(crate) equality: Vec<usize>,
}

/// One equality delete file's rows: the deleted values of its columns.
#[derive(Debug, Clone)]
pub(crate) struct EqualityDeletes {
    /// The table's column names, in the delete file's `equality_ids` order.
    pub(crate) columns: Vec<String>,
    /// The deleted rows, typed as the table's columns.
    pub(crate) rows: RecordBatch,
}

/// What a scan reads.
#[derive(Debug, Clone, Default)]
pub(crate) struct Planned {
    pub(crate) files: Vec<PlannedFile>,
    pub(crate) equality: Vec<EqualityDeletes>,
}

/// The manifests of the table's snapshot (none for a table without one).
pub(crate) async fn manifests(
    table: &IcebergTable,
    runtime: &RuntimeEnv,
) -> Result<Vec<ManifestFile>> {
    let Some(snapshot) = table.snapshot() else {
        return Ok(Vec::new());
    };
    let Some(list) = &snapshot.manifest_list else {
        return Err(table.invalid(
            &table.metadata_location,
            format!("snapshot {} has no manifest-list", snapshot.snapshot_id),
        ));
    };
    let bytes = TableFile::open(runtime, &table.map, list)?
        .read(&table.name(), list)
        .await?;
    read_manifest_list(&bytes).map_err(|reason| table.invalid(list, reason))
}

/// The live entries (added or existing) of the manifests that may match.
pub(crate) async fn live_entries(
    table: &IcebergTable,
    runtime: &RuntimeEnv,
    manifests: &[ManifestFile],
    predicate: &Predicate,
) -> Result<Vec<ManifestEntry>> {
    let schema = table.schema();
    let mut reads: Vec<BoxFuture<'_, Result<Vec<ManifestEntry>>>> = Vec::new();
    for m in manifests {
        let may_match = table
            .metadata
            .spec(m.spec_id)
            .is_none_or(|spec| manifest_may_match(predicate, &m.partitions, spec, schema));
        if may_match {
            reads.push(Box::pin(read_entries(table, runtime, m)));
        }
    }
    let read: Vec<Vec<ManifestEntry>> = futures::stream::iter(reads)
        .buffered(CONCURRENCY)
        .try_collect()
        .await?;
    Ok(read
        .into_iter()
        .flatten()
        .filter(|e| e.status != STATUS_DELETED)
        .collect())
}

/// Plans a scan of the table's snapshot under `predicate`.
pub(crate) async fn plan(
    table: &IcebergTable,
    runtime: &RuntimeEnv,
    predicate: &Predicate,
) -> Result<Planned> {
    let manifests = manifests(table, runtime).await?;
    let entries = live_entries(table, runtime, &manifests, predicate).await?;
    let schema = table.schema();
    let mut files = Vec::new();
    let mut position_deletes = Vec::new();
    let mut equality_deletes = Vec::new();
    for entry in entries {
        match entry.file.content {
            CONTENT_DATA => {
                if !entry.file.format.eq_ignore_ascii_case("parquet") {
                    return Err(table.invalid(
                        &entry.file.path,
                        format!(
                            "is an {} data file; lathe reads Iceberg tables whose data files are Parquet",
                            entry.file.format
                        ),
                    ));
                }
                let spec = table.metadata.spec(entry.file.spec_id);
                if file_may_match(predicate, &entry.file, spec, schema) {
                    files.push(PlannedFile {
                        file: entry.file,
                        sequence_number: entry.sequence_number,
                        deleted: Vec::new(),
                        equality: Vec::new(),
                    });
                }
            }
            CONTENT_POSITION_DELETES => position_deletes.push(entry),
            CONTENT_EQUALITY_DELETES => equality_deletes.push(entry),
            other => {
                return Err(table.invalid(
                    &entry.file.path,
                    format!("has content {other}, which is not a data or delete file"),
                ));
            }
        }
    }
    files.sort_by(|a, b| a.file.path.cmp(&b.file.path));
    apply_position_deletes(table, runtime, &mut files, &position_deletes).await?;
    let equality = apply_equality_deletes(table, runtime, &mut files, &equality_deletes).await?;
    Ok(Planned { files, equality })
}

/// Whether a delete file's partition covers a data file's.
fn same_partition(table: &IcebergTable, delete: &DataFile, data: &DataFile) -> bool {
    let global = table
        .metadata
        .spec(delete.spec_id)
        .is_some_and(|s| s.fields.is_empty());
    global || (delete.spec_id == data.spec_id && delete.partition == data.partition)
}

async fn apply_position_deletes(
    table: &IcebergTable,
    runtime: &RuntimeEnv,
    files: &mut [PlannedFile],
    deletes: &[ManifestEntry],
) -> Result<()> {
    // Only delete files that can touch a file being read.
    let wanted: Vec<&ManifestEntry> = deletes
        .iter()
        .filter(|d| {
            files.iter().any(|f| {
                f.sequence_number <= d.sequence_number && same_partition(table, &d.file, &f.file)
            })
        })
        .collect();
    let reads: Vec<BoxFuture<'_, Result<Positions<'_>>>> = wanted
        .into_iter()
        .map(|d| -> BoxFuture<'_, Result<Positions<'_>>> {
            Box::pin(read_positions(table, runtime, d))
        })
        .collect();
    let read: Vec<_> = futures::stream::iter(reads)
        .buffered(CONCURRENCY)
        .try_collect()
        .await?;
    for (delete, positions) in read {
        for f in files.iter_mut() {
            if f.sequence_number <= delete.sequence_number
                && same_partition(table, &delete.file, &f.file)
                && let Some(p) = positions.get(&f.file.path)
            {
                f.deleted.extend_from_slice(p);
            }
        }
    }
    for f in files.iter_mut() {
        f.deleted.sort_unstable();
        f.deleted.dedup();
    }
    Ok(())
}

/// One manifest's entries.
async fn read_entries(
    table: &IcebergTable,
    runtime: &RuntimeEnv,
    m: &ManifestFile,
) -> Result<Vec<ManifestEntry>> {
    let bytes = TableFile::open(runtime, &table.map, &m.path)?
        .read(&table.name(), &m.path)
        .await?;
    read_manifest(&bytes, m).map_err(|reason| table.invalid(&m.path, reason))
}

/// A position delete file's positions, by data file path.
type Positions<'a> = (&'a ManifestEntry, HashMap<String, Vec<u64>>);

async fn read_positions<'a>(
    table: &IcebergTable,
    runtime: &RuntimeEnv,
    d: &'a ManifestEntry,
) -> Result<Positions<'a>> {
    let batches = read_parquet(table, runtime, &d.file).await?;
    let mut positions: HashMap<String, Vec<u64>> = HashMap::new();
    for batch in batches {
        let (Some(paths), Some(pos)) = (
            batch.column_by_name("file_path"),
            batch.column_by_name("pos"),
        ) else {
            return Err(table.invalid(
                &d.file.path,
                "a position delete file needs columns file_path and pos".into(),
            ));
        };
        let paths = cast(paths, &datafusion::arrow::datatypes::DataType::Utf8)?;
        let paths = paths.as_string::<i32>();
        let pos = cast(pos, &datafusion::arrow::datatypes::DataType::Int64)?;
        let pos = pos.as_primitive::<Int64Type>();
        for i in 0..batch.num_rows() {
            if paths.is_valid(i) && pos.is_valid(i) && pos.value(i) >= 0 {
                positions
                    .entry(paths.value(i).to_string())
                    .or_default()
                    .push(pos.value(i) as u64);
            }
        }
    }
    Ok((d, positions))
}

async fn apply_equality_deletes(
    table: &IcebergTable,
    runtime: &RuntimeEnv,
    files: &mut [PlannedFile],
    deletes: &[ManifestEntry],
) -> Result<Vec<EqualityDeletes>> {
    let applies = |d: &ManifestEntry, f: &PlannedFile| {
        f.sequence_number < d.sequence_number && same_partition(table, &d.file, &f.file)
    };
    let wanted: Vec<&ManifestEntry> = deletes
        .iter()
        .filter(|d| files.iter().any(|f| applies(d, f)))
        .collect();
    let reads: Vec<BoxFuture<'_, Result<(&ManifestEntry, EqualityDeletes)>>> = wanted
        .into_iter()
        .map(
            |d| -> BoxFuture<'_, Result<(&ManifestEntry, EqualityDeletes)>> {
                Box::pin(async move { Ok((d, read_equality_rows(table, runtime, &d.file).await?)) })
            },
        )
        .collect();
    let read: Vec<_> = futures::stream::iter(reads)
        .buffered(CONCURRENCY)
        .try_collect()
        .await?;
    let mut out = Vec::new();
    for (delete, rows) in read {
        let index = out.len();
        out.push(rows);
        for f in files.iter_mut() {
            if applies(delete, f) {
                f.equality.push(index);
            }
        }
    }
    Ok(out)
}

/// An equality delete file's rows, its columns found by field id and
/// typed as the table's columns.
async fn read_equality_rows(
    table: &IcebergTable,
    runtime: &RuntimeEnv,
    file: &DataFile,
) -> Result<EqualityDeletes> {
    let ids = file.equality_ids.clone().unwrap_or_default();
    if ids.is_empty() {
        return Err(table.invalid(
            &file.path,
            "an equality delete file has no equality_ids".into(),
        ));
    }
    let batches = read_parquet(table, runtime, file).await?;
    let schema = table.schema();
    let mut columns = Vec::new();
    let mut fields = Vec::new();
    for id in &ids {
        let Some(field) = schema.field(*id) else {
            return Err(table.invalid(
                &file.path,
                format!("deletes by field id {id}, which the table's schema does not have"),
            ));
        };
        let data_type = field
            .field_type
            .arrow_type()
            .map_err(|reason| table.invalid(&table.metadata_location, reason))?;
        fields.push(Field::new(field.name.to_lowercase(), data_type, true));
        columns.push(field.name.to_lowercase());
    }
    let out_schema = Arc::new(ArrowSchema::new(fields));
    let mut parts = Vec::new();
    for batch in &batches {
        let mut arrays = Vec::new();
        for (id, target) in ids.iter().zip(out_schema.fields()) {
            let found = batch
                .schema_ref()
                .fields()
                .iter()
                .position(|f| field_id(f) == Some(*id))
                .or_else(|| batch.schema_ref().index_of(target.name()).ok());
            let Some(index) = found else {
                return Err(table.invalid(&file.path, format!("has no column with field id {id}")));
            };
            arrays.push(cast(batch.column(index), target.data_type())?);
        }
        parts.push(RecordBatch::try_new(Arc::clone(&out_schema), arrays)?);
    }
    let rows = concat_batches(&out_schema, &parts)?;
    Ok(EqualityDeletes { columns, rows })
}

/// Reads a whole (delete) Parquet file: delete files are small, so it is
/// fetched in one request and decoded in memory.
async fn read_parquet(
    table: &IcebergTable,
    runtime: &RuntimeEnv,
    file: &DataFile,
) -> Result<Vec<RecordBatch>> {
    if !file.format.eq_ignore_ascii_case("parquet") {
        return Err(table.invalid(
            &file.path,
            format!(
                "is a {} delete file; lathe reads Parquet delete files",
                file.format
            ),
        ));
    }
    let bytes = TableFile::open(runtime, &table.map, &file.path)?
        .read(&table.name(), &file.path)
        .await?;
    let failed =
        |e: &dyn std::fmt::Display| table.invalid(&file.path, format!("cannot be read ({e})"));
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .map_err(|e| failed(&e))?
        .build()
        .map_err(|e| failed(&e))?;
    reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| failed(&e))
}
