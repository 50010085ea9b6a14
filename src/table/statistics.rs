//! Row counts and column statistics for Parquet scans, from the footers.
//!
//! DataFusion's own `ListingTable` reads each Parquet footer while planning
//! (`datafusion.execution.collect_statistics`, on by default), and its join
//! planner needs those numbers: without them it cannot tell the small side
//! of a join, so it hash-partitions both sides instead of broadcasting the
//! small one (TPC-H q19 ran 3× slower before this). Our provider lists files
//! itself, so it collects the same statistics here. Footers go through the
//! runtime's file-metadata cache, so the scan does not read them twice and
//! scanned bytes count each footer once, as Athena's do.
//!
//! Where we differ from `ListingTable`: the catalog, not the file, decides a
//! column's type, and columns match by name case-insensitively in the scan.
//! Statistics are read under the file's column names (matched
//! case-insensitively, as the scan matches them), and a column whose file type
//! differs from the catalog's gets unknown statistics rather than min/max
//! values of the wrong type, which DataFusion would use to answer `MIN`/`MAX`
//! or prune.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::stats::{ColumnStatistics, Precision, Statistics};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::parquet::arrow::parquet_to_arrow_schema;
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStore;

use super::parquet_check::CheckedReaderFactory;

/// How many footers of S3 objects are read at once while planning. Reading
/// a footer exactly takes two requests in turn (its length, then the
/// metadata), each a round trip of 20-80 ms to S3, and the scan cannot
/// start before every footer is in: DataFusion's default of 32 at once left
/// a 100-file table waiting eight round trips. Footers are a few kilobytes,
/// so this costs no memory to speak of.
const REMOTE_FOOTER_CONCURRENCY: usize = 128;

/// `files` with the statistics of their footers attached, when the session
/// collects statistics; unchanged otherwise. Each footer read is checked
/// against the catalog with `checked` (see `parquet_check`).
pub(super) async fn with_parquet_statistics(
    state: &dyn Session,
    url: &ObjectStoreUrl,
    file_schema: &SchemaRef,
    checked: &CheckedReaderFactory,
    files: Vec<PartitionedFile>,
) -> Result<Vec<PartitionedFile>> {
    if !state.config().collect_statistics() {
        return Ok(files);
    }
    let store = state.runtime_env().object_store(url)?;
    let mut concurrency = state
        .config_options()
        .execution
        .meta_fetch_concurrency
        .get();
    if !url.as_str().starts_with("file:") {
        concurrency = concurrency.max(REMOTE_FOOTER_CONCURRENCY);
    }
    futures::stream::iter(files)
        .map(|file| {
            let store = Arc::clone(&store);
            async move {
                let stats =
                    file_statistics(state, store.as_ref(), file_schema, checked, &file).await?;
                Ok::<_, DataFusionError>(file.with_statistics(Arc::new(stats)))
            }
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await
}

async fn file_statistics(
    state: &dyn Session,
    store: &dyn ObjectStore,
    file_schema: &SchemaRef,
    checked: &CheckedReaderFactory,
    file: &PartitionedFile,
) -> Result<Statistics> {
    let cache = state.runtime_env().cache_manager.get_file_metadata_cache();
    let metadata = DFParquetMetadata::new(store, &file.object_meta)
        .with_file_metadata_cache(Some(cache))
        .fetch_metadata()
        .await
        .map_err(|e| {
            // The scan's own wording, so a corrupt footer names its file
            // whether planning or reading meets it first.
            DataFusionError::Execution(format!(
                "Failed to fetch metadata for file {}: {}",
                file.object_meta.location,
                e.strip_backtrace()
            ))
        })?;
    let file_metadata = metadata.file_metadata();
    let physical = parquet_to_arrow_schema(
        file_metadata.schema_descr(),
        file_metadata.key_value_metadata(),
    )?;
    checked
        .check(&file.object_meta.location, physical.fields())
        .map_err(|e| DataFusionError::External(Box::new(e)))?;
    // Read each column's statistics under the file's own name and type (the
    // scan matches names case-insensitively), then forget those whose type is
    // not the catalog's: their min/max would be of the wrong type. A column
    // the file lacks keeps DataFusion's answer, all NULL, which is what the
    // scan returns for it.
    let mut matched_type = Vec::with_capacity(file_schema.fields().len());
    let fields = file_schema
        .fields()
        .iter()
        .map(|field| match file_field(&physical, field.name()) {
            // A string column read as `Utf8View` takes its statistics as views.
            Some(found)
                if field.data_type() == &DataType::Utf8View
                    && matches!(found.data_type(), DataType::Utf8 | DataType::LargeUtf8) =>
            {
                matched_type.push(true);
                found.clone().with_data_type(DataType::Utf8View)
            }
            Some(found) => {
                matched_type.push(found.data_type() == field.data_type());
                found.clone()
            }
            None => {
                // Truly absent: all NULL. Ambiguous (two names differing in
                // case): unknown.
                let ambiguous = physical
                    .fields()
                    .iter()
                    .any(|f| f.name().eq_ignore_ascii_case(field.name()));
                matched_type.push(!ambiguous);
                field.as_ref().clone()
            }
        })
        .collect::<Vec<_>>();
    let mut stats = DFParquetMetadata::statistics_from_parquet_metadata(
        &metadata,
        &Arc::new(Schema::new(fields)),
    )?;
    for ((column, same_type), field) in stats
        .column_statistics
        .iter_mut()
        .zip(matched_type)
        .zip(file_schema.fields())
    {
        if !same_type {
            *column = ColumnStatistics::new_unknown();
        } else if field.data_type() == &DataType::Utf8View {
            // A view's byte size counts only its 16-byte views, so a view
            // column made sizes known where a `Utf8` one left them unknown,
            // and DataFusion 55's join estimates (which carry an outer side's
            // bytes through semi joins unscaled) then chose a partitioned
            // hash join over 6 million rows for TPC-H q21 (0.42 -> 0.53 s).
            // Unknown, as for `Utf8`, the small side is broadcast again.
            column.byte_size = Precision::Absent;
        }
    }
    Ok(stats)
}

/// The file's field for a catalog column: the same name, else the one name
/// that matches it case-insensitively, as the scan resolves it.
fn file_field<'a>(physical: &'a Schema, name: &str) -> Option<&'a Field> {
    if let Ok(field) = physical.field_with_name(name) {
        return Some(field);
    }
    let mut matches = physical
        .fields()
        .iter()
        .filter(|f| f.name().eq_ignore_ascii_case(name));
    match (matches.next(), matches.next()) {
        (Some(field), None) => Some(field.as_ref()),
        _ => None,
    }
}
