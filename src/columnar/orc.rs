//! ORC files, read with `orc-rust` through the object store's ranged reads
//! (the footer, then the projected columns' streams of each stripe), and
//! written for CTAS and UNLOAD.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Fields, SchemaRef};
use datafusion::common::Result;
use datafusion_datasource::PartitionedFile;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt, TryFutureExt};
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use orc_rust::ArrowReaderBuilder;
use orc_rust::compression::CompressionType;
use orc_rust::projection::ProjectionMask;
use orc_rust::reader::AsyncChunkReader;
use orc_rust::stripe::StripeMetadata;
use orc_rust::{ArrowWriterBuilder, RowSelector, TimestampPrecision};

use super::conform::Target;
use super::file_error;

/// Opens one ORC file: reads its footer, matches its columns to the
/// table's, and streams the needed columns of the stripes that start in
/// the file's byte range (all of them when the file is not split).
pub(super) async fn open(
    store: Arc<dyn ObjectStore>,
    file: PartitionedFile,
    target: Arc<Target>,
    batch_size: usize,
) -> Result<futures::stream::BoxStream<'static, Result<RecordBatch>>> {
    let name = format!("{}{}", target.options.prefix, file.object_meta.location);
    let reader = StoreReader {
        store,
        meta: file.object_meta.clone(),
    };
    let builder = ArrowReaderBuilder::try_new_async(reader)
        .await
        .map_err(|e| file_error(&name, format!("not a readable ORC file ({e})")))?
        // Microseconds reach years 1 to 9999, as Hive's timestamps do;
        // nanoseconds would overflow before 1677.
        .with_timestamp_precision(TimestampPrecision::Microsecond);
    let file_schema = builder.schema();
    let sources = target.sources(file_schema.fields(), &name)?;
    let root = builder.file_metadata().root_data_type();
    let mut wanted: Vec<usize> = sources.iter().flatten().copied().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let indices: Vec<usize> = wanted
        .iter()
        .map(|&i| root.children()[i].data_type().column_index())
        .collect();
    let mask = ProjectionMask::roots(root, indices);
    let mut builder = builder.with_projection(mask).with_batch_size(batch_size);
    // The stripes this task reads: those that start in its byte range.
    let range = match &file.range {
        Some(range) => {
            usize::try_from(range.start).unwrap_or(usize::MAX)
                ..usize::try_from(range.end).unwrap_or(usize::MAX)
        }
        None => 0..usize::MAX,
    };
    let Some((bytes, selection)) = stripe_plan(&builder, &range, &target, file_schema.fields())
    else {
        return Ok(futures::stream::empty().boxed());
    };
    builder = builder.with_file_byte_range(bytes);
    if let Some(selection) = selection {
        builder = builder.with_row_selection(selection.into());
    }
    let read: SchemaRef = builder.schema();
    let conformer = target.conformer(&sources, file_schema.fields(), read, &name)?;
    let stream = builder.build_async().map(move |batch| {
        let batch =
            batch.map_err(|e| file_error(&name, format!("not a readable ORC file ({e})")))?;
        conformer.apply(&batch)
    });
    Ok(stream.boxed())
}

/// The bytes (where stripes start) and rows of a file a task reads: the
/// stripes that start in its byte `range` and that the scan's filters may
/// want; `None` when they want none of them. Skipped stripes at either end
/// are not read at all; those between kept ones are fetched, not decoded.
fn stripe_plan<R>(
    builder: &ArrowReaderBuilder<R>,
    range: &Range<usize>,
    target: &Target,
    file_fields: &Fields,
) -> Option<(Range<usize>, Option<Vec<RowSelector>>)> {
    let metadata = builder.file_metadata();
    let offset = |s: &StripeMetadata| usize::try_from(s.offset()).unwrap_or(usize::MAX);
    let stripes: Vec<&StripeMetadata> = metadata
        .stripe_metadatas()
        .iter()
        .filter(|s| range.contains(&offset(s)))
        .collect();
    let keep = match &target.stripe_filter {
        Some(filter) => filter.keep(metadata, &stripes, file_fields, |position| {
            let name = filter.data_fields.get(position)?.name();
            target.source(name, position, file_fields)
        }),
        None => vec![true; stripes.len()],
    };
    let first = keep.iter().position(|&k| k)?;
    let last = keep.iter().rposition(|&k| k)?;
    let bytes = offset(stripes[first])..offset(stripes[last]).saturating_add(1);
    let kept = &keep[first..=last];
    let selection = kept.contains(&false).then(|| {
        stripes[first..=last]
            .iter()
            .zip(kept)
            .map(|(stripe, &kept)| {
                let rows = usize::try_from(stripe.number_of_rows()).unwrap_or(usize::MAX);
                if kept {
                    RowSelector::select(rows)
                } else {
                    RowSelector::skip(rows)
                }
            })
            .collect()
    });
    Some((bytes, selection))
}

/// An object as `orc-rust` reads it: its size is known from the listing,
/// and each read is one ranged GET (counted by the storage layer).
struct StoreReader {
    store: Arc<dyn ObjectStore>,
    meta: ObjectMeta,
}

impl AsyncChunkReader for StoreReader {
    fn len(&mut self) -> BoxFuture<'_, std::io::Result<u64>> {
        let size = self.meta.size;
        async move { Ok(size) }.boxed()
    }

    fn get_bytes(&mut self, offset: u64, length: u64) -> BoxFuture<'_, std::io::Result<Bytes>> {
        // An all-NULL column has empty streams; an empty range is no request
        // (and the local store refuses one).
        if length == 0 {
            return async { Ok(Bytes::new()) }.boxed();
        }
        let range = offset..offset.saturating_add(length);
        self.store
            .get_range(&self.meta.location, range)
            .map_err(std::io::Error::other)
            .boxed()
    }
}

/// The ORC codec of CTAS's `write_compression` (Athena's ORC default is ZLIB).
pub(super) fn codec(compression: Option<&str>) -> Result<Option<CompressionType>, String> {
    match compression.map(str::to_ascii_lowercase).as_deref() {
        None | Some("zlib") | Some("deflate") | Some("gzip") => Ok(Some(CompressionType::Zlib)),
        Some("snappy") => Ok(Some(CompressionType::Snappy)),
        Some("zstd") => Ok(Some(CompressionType::Zstd)),
        Some("lz4") => Ok(Some(CompressionType::Lz4)),
        Some("none") | Some("uncompressed") => Ok(None),
        Some(other) => Err(format!(
            "ORC files are written with ZLIB, SNAPPY, ZSTD, LZ4 or NONE compression, not {other}"
        )),
    }
}

/// The first column `orc-rust`'s writer cannot encode, as a sentence.
pub(super) fn unwritable(schema: &SchemaRef) -> Option<String> {
    schema.fields().iter().find_map(|f| {
        let ok = matches!(
            f.data_type(),
            DataType::Boolean
                | DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::Float32
                | DataType::Float64
                | DataType::Utf8
                | DataType::LargeUtf8
                | DataType::Binary
                | DataType::LargeBinary
                | DataType::Date32
                | DataType::Timestamp(..)
        );
        (!ok).then(|| {
            format!(
                "column {} is {}, which lathe's ORC writer cannot write yet (it writes boolean, \
                 numbers other than decimals, strings, varbinary, dates and timestamps); cast it \
                 or write PARQUET",
                f.name(),
                crate::table::parquet_check::describe(f.data_type())
            )
        })
    })
}

/// One ORC file holding `batches`.
pub(super) fn encode(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    compression: Option<CompressionType>,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut builder = ArrowWriterBuilder::new(&mut out, Arc::clone(schema));
    if let Some(codec) = compression {
        builder = builder.with_compression(codec);
    }
    let mut writer = builder
        .try_build()
        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
    for batch in batches {
        writer
            .write(batch)
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
    }
    writer
        .close()
        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
    Ok(out)
}
