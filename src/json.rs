//! Reading JSON tables with Athena's SerDe rules, as a DataFusion file source.
//!
//! [`SerdeJsonSource`] is a [`FileSource`] like DataFusion's `JsonSource`, so a
//! scan is a standard `DataSourceExec` (parallel across files, projection and
//! LIMIT pushdown). Only the decoding differs (see `decoder`). Compression is
//! chosen per file from its extension, as Hive does, because one table can
//! mix `.gz` and plain files. Its options ([`JsonOptions`]) are plain data.

use std::io::{BufRead, BufReader, Cursor, Read};
use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::Result;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::physical_plan::{FileScanConfig, FileSource};
use datafusion::error::DataFusionError;
use datafusion::execution::memory_pool::{
    MemoryConsumer, MemoryPool, MemoryReservation, UnboundedMemoryPool,
};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion::physical_plan::projection::ProjectionExprs;
use datafusion_datasource::PartitionedFile;
use datafusion_datasource::TableSchema;
use datafusion_datasource::decoder::{Decoder, DecoderDeserializer, deserialize_stream};
use datafusion_datasource::file_compression_type::FileCompressionType;
use datafusion_datasource::file_stream::{FileOpenFuture, FileOpener};
use datafusion_datasource::projection::{ProjectionOpener, SplitProjection};
use futures::{StreamExt, TryStreamExt};
use object_store::{GetResult, GetResultPayload, ObjectStore, ObjectStoreExt};

use crate::catalog::{JsonSerde, TableDef};
use crate::error::Error;
use crate::java_date::DatePattern;

pub(crate) mod convert;
pub(crate) mod decoder;
mod keys;
mod node;
mod records;
mod scan;

// The fast path and its reference, for the differential fuzz target.
pub(crate) use node::{parse_picked, parse_picked_with_serde};

pub(crate) use node::KeySeed;

/// How a table's JSON is decoded: the SerDe and its properties (ATHENA.md §4).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JsonOptions {
    /// Which SerDe: OpenX (lenient) or Hive (strict).
    pub serde: JsonSerde,
    /// `ignore.malformed.json`: a bad line becomes an all-NULL row.
    pub ignore_malformed: bool,
    /// `case.insensitive`: keys match columns regardless of case.
    pub case_insensitive: bool,
    /// `mapping.<col>` = `<json key>`: (column, key) pairs.
    pub mappings: Vec<(String, String)>,
    /// OpenX `dots.in.keys`: a key's dots read as underscores (`a.b` → `a_b`).
    pub dots_in_keys: bool,
    /// Hive `timestamp.formats`: Java date patterns (or `millis`) tried, in
    /// order, before the default timestamp forms.
    pub timestamp_formats: Vec<String>,
    /// `com.amazon.emr.cloudtrail.CloudTrailInputFormat`: each file is one
    /// CloudTrail document, `{"Records": [...]}`, and each record is a row.
    #[serde(default)]
    pub records: bool,
}

impl Default for JsonOptions {
    fn default() -> Self {
        Self {
            serde: JsonSerde::OpenX,
            ignore_malformed: false,
            case_insensitive: true,
            mappings: Vec::new(),
            dots_in_keys: false,
            timestamp_formats: Vec::new(),
            records: false,
        }
    }
}

impl JsonOptions {
    /// Reads the SerDe properties of a table.
    pub fn for_table(table: &TableDef, serde: JsonSerde) -> crate::Result<Self> {
        let params = &table.serde_parameters;
        let flag = |key: &str, default: bool| -> crate::Result<bool> {
            match params.get(key).map(|v| v.trim().to_ascii_lowercase()) {
                None => Ok(default),
                Some(v) if v == "true" => Ok(true),
                Some(v) if v == "false" => Ok(false),
                Some(v) => Err(Error::InvalidConfig {
                    source_name: format!("table {}", table.qualified_name()),
                    reason: format!("SerDe property {key} is {v:?}; expected true or false"),
                }),
            }
        };
        let mut mappings: Vec<(String, String)> = params
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("mapping.")?.to_lowercase(), v.clone())))
            .collect();
        mappings.sort();
        // Each SerDe reads its own properties only, as Hive does.
        let openx = serde == JsonSerde::OpenX;
        let timestamp_formats = match params.get("timestamp.formats") {
            Some(formats) if serde == JsonSerde::Hive => split_formats(formats),
            _ => Vec::new(),
        };
        for format in &timestamp_formats {
            TimestampFormat::parse(format).map_err(|reason| Error::InvalidConfig {
                source_name: format!("table {}", table.qualified_name()),
                reason: format!(
                    "SerDe property timestamp.formats has pattern {format:?}: {reason}"
                ),
            })?;
        }
        Ok(Self {
            serde,
            ignore_malformed: flag("ignore.malformed.json", false)?,
            case_insensitive: flag("case.insensitive", true)?,
            mappings,
            dots_in_keys: openx && flag("dots.in.keys", false)?,
            timestamp_formats,
            records: table.storage.input_format.as_deref()
                == Some(crate::catalog::glue_json::CLOUDTRAIL_INPUT),
        })
    }
}

/// Splits `timestamp.formats` at commas; a comma inside a quoted literal
/// (`'T'`-style) belongs to the pattern.
pub(crate) fn split_formats(text: &str) -> Vec<String> {
    let mut formats = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => formats.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    formats.push(current);
    formats
        .into_iter()
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty())
        .collect()
}

/// One entry of `timestamp.formats`.
#[derive(Debug, Clone)]
pub(crate) enum TimestampFormat {
    /// `millis`: epoch milliseconds.
    Millis,
    /// A Java date pattern, read as UTC.
    Pattern(DatePattern),
}

impl TimestampFormat {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        if text.eq_ignore_ascii_case("millis") {
            Ok(TimestampFormat::Millis)
        } else {
            DatePattern::parse(text).map(TimestampFormat::Pattern)
        }
    }

    /// Epoch milliseconds of a string in this format.
    pub(crate) fn millis(&self, text: &str) -> Option<i64> {
        match self {
            TimestampFormat::Millis => text.trim().parse().ok(),
            TimestampFormat::Pattern(p) => {
                p.parse_value(text).map(|t| t.and_utc().timestamp_millis())
            }
        }
    }
}

/// A DataFusion file source that decodes JSON lines with a SerDe's rules.
#[derive(Clone)]
pub(crate) struct SerdeJsonSource {
    table_schema: TableSchema,
    options: Arc<JsonOptions>,
    batch_size: Option<usize>,
    metrics: ExecutionPlanMetricsSet,
    projection: SplitProjection,
    /// The session's memory pool, which whole files read into memory are
    /// reserved from (see [`SerdeJsonOpener`]); none: they are not counted.
    memory: Option<Arc<dyn MemoryPool>>,
}

impl SerdeJsonSource {
    pub(crate) fn new(table_schema: TableSchema, options: JsonOptions) -> Self {
        Self {
            projection: SplitProjection::unprojected(&table_schema),
            table_schema,
            options: Arc::new(options),
            batch_size: None,
            metrics: ExecutionPlanMetricsSet::new(),
            memory: None,
        }
    }

    /// This source with whole files held in memory reserved from `pool`
    /// (the session's, so that `--memory-limit` bounds them).
    pub(crate) fn with_memory_pool(mut self, pool: Arc<dyn MemoryPool>) -> Self {
        self.memory = Some(pool);
        self
    }

    /// How this source decodes its files.
    pub(crate) fn options(&self) -> &JsonOptions {
        &self.options
    }
}

impl FileSource for SerdeJsonSource {
    fn create_file_opener(
        &self,
        object_store: Arc<dyn ObjectStore>,
        _base_config: &FileScanConfig,
        _partition: usize,
    ) -> Result<Arc<dyn FileOpener>> {
        let file_schema = self.table_schema.file_schema();
        let projected = Arc::new(file_schema.project(&self.projection.file_indices)?);
        let opener = Arc::new(SerdeJsonOpener {
            batch_size: self.batch_size.unwrap_or(8192),
            schema: projected,
            options: Arc::clone(&self.options),
            store: object_store,
            memory: self.memory.clone(),
        });
        ProjectionOpener::try_new(self.projection.clone(), opener, file_schema)
    }

    fn table_schema(&self) -> &TableSchema {
        &self.table_schema
    }

    fn with_batch_size(&self, batch_size: usize) -> Arc<dyn FileSource> {
        let mut source = self.clone();
        source.batch_size = Some(batch_size);
        Arc::new(source)
    }

    fn try_pushdown_projection(
        &self,
        projection: &ProjectionExprs,
    ) -> Result<Option<Arc<dyn FileSource>>> {
        let mut source = self.clone();
        let merged = self.projection.source.try_merge(projection)?;
        source.projection = SplitProjection::new(self.table_schema.file_schema(), &merged);
        Ok(Some(Arc::new(source)))
    }

    fn projection(&self) -> Option<&ProjectionExprs> {
        Some(&self.projection.source)
    }

    fn metrics(&self) -> &ExecutionPlanMetricsSet {
        &self.metrics
    }

    fn file_type(&self) -> &str {
        "json"
    }

    // Whole files per task, so that error messages carry exact line numbers.
    // Firehose files are gzipped, which cannot be split anyway.
    fn supports_repartitioning(&self) -> bool {
        false
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        datafusion::physical_plan::apply_expression_roots(self.projection.source.iter(), f)
    }
}

/// Opens one file of a scan. A small gzip file is read whole and inflated
/// at once (see `crate::gzip`); its compressed and inflated bytes are
/// reserved from the session's memory pool while it is decoded, and a file
/// the pool cannot hold is streamed instead. A scan of remote files runs
/// many streams at once (see `table::scan_streams`), so these buffers are
/// what grows with it.
struct SerdeJsonOpener {
    batch_size: usize,
    schema: SchemaRef,
    options: Arc<JsonOptions>,
    store: Arc<dyn ObjectStore>,
    memory: Option<Arc<dyn MemoryPool>>,
}

impl FileOpener for SerdeJsonOpener {
    fn open(&self, file: PartitionedFile) -> Result<FileOpenFuture> {
        let store = Arc::clone(&self.store);
        let schema = Arc::clone(&self.schema);
        let options = Arc::clone(&self.options);
        let batch_size = self.batch_size;
        let memory = self.memory.clone();
        Ok(Box::pin(async move {
            let location = file.object_meta.location.clone();
            let name = format!("/{location}");
            let compression = compression_for(location.as_ref());
            let decoder = decoder::LineDecoder::new(schema, &options, batch_size, name.clone());
            if options.records {
                // A CloudTrail document is read whole, then split into events.
                let data = read_whole(store.get(&location).await?)
                    .await
                    .map_err(|e| data_file_error(&name, e))?;
                let inflated = (compression == FileCompressionType::GZIP)
                    .then(|| crate::gzip::inflate(&data, crate::gzip::INFLATED_MAX))
                    .flatten();
                let text = match inflated {
                    Some(text) => text,
                    None => {
                        let mut text = Vec::new();
                        compression
                            .convert_read(Cursor::new(data))?
                            .read_to_end(&mut text)
                            .map_err(|e| data_file_error(&name, e.into()))?;
                        text
                    }
                };
                let lines = records::records_as_lines(&text).map_err(|reason| {
                    DataFusionError::External(Box::new(Error::DataFile {
                        file: name.clone(),
                        reason,
                    }))
                })?;
                return Ok(ReadBatches::new(Cursor::new(lines), decoder, name).boxed());
            }
            let size = file.object_meta.size;
            if compression == FileCompressionType::GZIP
                && size <= crate::gzip::WHOLE_FILE_MAX
                && let Some(reservation) = reserve(memory.as_ref(), &name, size)
            {
                let data = read_whole(store.get(&location).await?)
                    .await
                    .map_err(|e| data_file_error(&name, e))?;
                let inflated = crate::gzip::last_member_size(&data);
                let text = match reservation.try_grow(inflated) {
                    Ok(()) => crate::gzip::inflate(&data, crate::gzip::INFLATED_MAX),
                    Err(_) => None,
                };
                let reader: Box<dyn BufRead + Send> = match text {
                    Some(text) => {
                        reservation.resize(text.len());
                        Box::new(Cursor::new(text))
                    }
                    // Too big to hold, or damaged: stream it, as other files.
                    None => {
                        reservation.resize(data.len());
                        Box::new(BufReader::with_capacity(
                            READ_BUFFER,
                            compression.convert_read(Cursor::new(data))?,
                        ))
                    }
                };
                return Ok(ReadBatches::new(reader, decoder, name)
                    .holding(reservation)
                    .boxed());
            }
            match store.get(&location).await?.payload {
                // A local file is read and decoded in place, as DataFusion's
                // own JSON scan does: no hand-off of buffers between tasks.
                GetResultPayload::File(file, _) => {
                    let reader =
                        BufReader::with_capacity(READ_BUFFER, compression.convert_read(file)?);
                    Ok(ReadBatches::new(reader, decoder, name).boxed())
                }
                GetResultPayload::Stream(stream) => {
                    let bytes = compression
                        .convert_stream(stream.map_err(DataFusionError::from).boxed())?
                        .map_err(move |e| data_file_error(&name, e))
                        .fuse();
                    let batches = deserialize_stream(bytes, DecoderDeserializer::new(decoder));
                    Ok(batches.map_err(DataFusionError::from).boxed())
                }
            }
        }))
    }
}

/// A reservation of `size` bytes for the file `name` from the session's
/// pool, or `None` when the pool cannot give it now (the file is then
/// streamed). Without a pool, an unbounded one stands in.
fn reserve(
    memory: Option<&Arc<dyn MemoryPool>>,
    name: &str,
    size: u64,
) -> Option<MemoryReservation> {
    let pool: Arc<dyn MemoryPool> = match memory {
        Some(pool) => Arc::clone(pool),
        None => Arc::new(UnboundedMemoryPool::default()),
    };
    let reservation = MemoryConsumer::new(format!("lathe JSON file {name}")).register(&pool);
    reservation.try_grow(usize::try_from(size).ok()?).ok()?;
    Some(reservation)
}

/// A whole object's bytes, read on this task's thread. object_store would
/// read a local file on a blocking-pool thread, and with mimalloc every such
/// thread keeps the memory it allocated: a scan of 1,344 gzip files peaked
/// at 510 MB that way, against 200 MB read here.
async fn read_whole(result: GetResult) -> Result<Bytes> {
    match result.payload {
        GetResultPayload::File(mut file, _) => {
            let mut data = Vec::with_capacity(usize::try_from(result.meta.size).unwrap_or(0));
            file.read_to_end(&mut data)?;
            Ok(data.into())
        }
        GetResultPayload::Stream(_) => Ok(result.bytes().await?),
    }
}

/// Bytes of decompressed text handed to the decoder at a time. A new
/// buffer is zeroed once per file (the decompressors do not read into
/// uninitialised memory), so bigger is not better for Firehose-sized files.
const READ_BUFFER: usize = 64 * 1024;

/// Record batches of a file read synchronously.
struct ReadBatches<R> {
    reader: R,
    decoder: decoder::LineDecoder,
    file: String,
    done: bool,
    /// The memory of a file held whole, given back when the stream ends.
    _held: Option<MemoryReservation>,
}

impl<R: BufRead + Send + 'static> ReadBatches<R> {
    fn new(reader: R, decoder: decoder::LineDecoder, file: String) -> Self {
        Self {
            reader,
            decoder,
            file,
            done: false,
            _held: None,
        }
    }

    /// These batches, keeping `reservation` until they are dropped.
    fn holding(mut self, reservation: MemoryReservation) -> Self {
        self._held = Some(reservation);
        self
    }

    fn boxed(self) -> futures::stream::BoxStream<'static, Result<RecordBatch>> {
        futures::stream::iter(self).boxed()
    }
}

impl<R: BufRead> ReadBatches<R> {
    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            let buf = self
                .reader
                .fill_buf()
                .map_err(|e| data_file_error(&self.file, e.into()))?;
            if buf.is_empty() {
                // End of input: the last line may lack its newline.
                self.done = true;
                self.decoder.decode(buf)?;
                return Ok(self.decoder.flush()?);
            }
            let used = self.decoder.decode(buf)?;
            self.reader.consume(used);
            if self.decoder.can_flush_early() {
                return Ok(self.decoder.flush()?);
            }
        }
    }
}

impl<R: BufRead> Iterator for ReadBatches<R> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let batch = self.next_batch();
        if batch.is_err() {
            self.done = true;
        }
        batch.transpose()
    }
}

/// Hive picks a codec from the file extension.
pub(crate) fn compression_for(path: &str) -> FileCompressionType {
    let extension = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match extension.as_deref() {
        Some("gz") | Some("gzip") => FileCompressionType::GZIP,
        Some("bz2") => FileCompressionType::BZIP2,
        Some("xz") => FileCompressionType::XZ,
        Some("zst") | Some("zstd") => FileCompressionType::ZSTD,
        _ => FileCompressionType::UNCOMPRESSED,
    }
}

pub(crate) fn data_file_error(file: &str, e: DataFusionError) -> DataFusionError {
    DataFusionError::External(Box::new(Error::DataFile {
        file: file.to_string(),
        reason: e.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use datafusion::execution::memory_pool::GreedyMemoryPool;

    use super::*;

    #[test]
    fn whole_files_are_held_only_when_the_pool_has_room() {
        let pool: Arc<dyn MemoryPool> = Arc::new(GreedyMemoryPool::new(1000));
        let first = reserve(Some(&pool), "/a.gz", 600).expect("room for the first file");
        assert_eq!(pool.reserved(), 600);
        // No room for the second: it is streamed instead.
        assert!(reserve(Some(&pool), "/b.gz", 600).is_none());
        assert!(first.try_grow(500).is_err());
        drop(first);
        assert_eq!(pool.reserved(), 0);
        assert!(reserve(Some(&pool), "/b.gz", 600).is_some());
        // Without a session pool, nothing is refused.
        assert!(reserve(None, "/c.gz", 1 << 40).is_some());
    }

    #[test]
    fn compression_from_extension() {
        assert_eq!(compression_for("a/b/x-1.gz"), FileCompressionType::GZIP);
        assert_eq!(compression_for("a/b/x.JSON.GZ"), FileCompressionType::GZIP);
        assert_eq!(
            compression_for("a/b/x.json"),
            FileCompressionType::UNCOMPRESSED
        );
        assert_eq!(
            compression_for("a/b/noext"),
            FileCompressionType::UNCOMPRESSED
        );
        assert_eq!(compression_for("a/b/x.zst"), FileCompressionType::ZSTD);
    }
}
