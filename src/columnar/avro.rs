//! Avro object container files, read whole with `arrow-avro` (a container
//! splits only at sync markers found by scanning, so one task reads one
//! file, as Hive's AvroSerDe reads them) and written for CTAS and UNLOAD.

use std::io::Cursor;
use std::sync::Arc;

use arrow_avro::compression::CompressionCodec;
use arrow_avro::reader::ReaderBuilder;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::Result;
use datafusion::error::DataFusionError;
use datafusion_datasource::PartitionedFile;
use futures::StreamExt;
use object_store::{ObjectStore, ObjectStoreExt};

use super::conform::Target;
use super::file_error;

/// Opens one Avro file: reads it, matches its columns to the table's by
/// name, and decodes the needed columns batch by batch.
pub(super) async fn open(
    store: Arc<dyn ObjectStore>,
    file: PartitionedFile,
    target: Arc<Target>,
    batch_size: usize,
) -> Result<futures::stream::BoxStream<'static, Result<RecordBatch>>> {
    let name = format!("{}{}", target.options.prefix, file.object_meta.location);
    let data = store
        .get(&file.object_meta.location)
        .await?
        .bytes()
        .await
        .map_err(|e| file_error(&name, e.to_string()))?;
    let unreadable =
        |e: &dyn std::fmt::Display| file_error(&name, format!("not a readable Avro file ({e})"));
    // The header says the writer's schema; the second reader decodes only
    // the columns the table reads (at least one, for the row count).
    let header = ReaderBuilder::new()
        .build(Cursor::new(data.clone()))
        .map_err(|e| unreadable(&e))?;
    let file_schema = header.schema();
    let sources = target.sources(file_schema.fields(), &name)?;
    let mut wanted: Vec<usize> = sources.iter().flatten().copied().collect();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.is_empty() && !file_schema.fields().is_empty() {
        wanted.push(0);
    }
    let reader = ReaderBuilder::new()
        .with_batch_size(batch_size)
        .with_projection(wanted)
        .build(Cursor::new(data))
        .map_err(|e| unreadable(&e))?;
    let read: SchemaRef = reader.schema();
    let conformer = target.conformer(&sources, file_schema.fields(), read, &name)?;
    let batches = reader.map(move |batch| {
        let batch =
            batch.map_err(|e| file_error(&name, format!("not a readable Avro file ({e})")))?;
        conformer.apply(&batch)
    });
    Ok(futures::stream::iter(batches).boxed())
}

/// The Avro codec of CTAS's `write_compression`; DEFLATE when none is given.
pub(super) fn codec(compression: Option<&str>) -> Result<Option<CompressionCodec>, String> {
    match compression.map(str::to_ascii_lowercase).as_deref() {
        None | Some("deflate") | Some("gzip") | Some("zlib") => Ok(Some(CompressionCodec::Deflate)),
        Some("snappy") => Ok(Some(CompressionCodec::Snappy)),
        Some("zstd") => Ok(Some(CompressionCodec::ZStandard)),
        Some("none") | Some("uncompressed") => Ok(None),
        Some(other) => Err(format!(
            "Avro files are written with DEFLATE, SNAPPY, ZSTD or NONE compression, not {other}"
        )),
    }
}

/// One Avro object container file holding `batches`.
pub(super) fn encode(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    compression: Option<CompressionCodec>,
) -> Result<Vec<u8>> {
    let avro = |e: arrow_avro::errors::AvroError| DataFusionError::External(Box::new(e));
    let mut writer = arrow_avro::writer::WriterBuilder::new(schema.as_ref().clone())
        .with_compression(compression)
        .build::<_, arrow_avro::writer::format::AvroOcfFormat>(Vec::new())
        .map_err(avro)?;
    for batch in batches {
        writer.write(batch).map_err(avro)?;
    }
    writer.finish().map_err(avro)?;
    Ok(writer.into_inner())
}
