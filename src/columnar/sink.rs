//! ORC and Avro writers for CTAS and UNLOAD, as DataFusion file formats so
//! that a write goes through DataFusion's own `COPY` plan: its demultiplexer
//! splits rows into Hive-style `key=value/` folders exactly as it does for
//! Parquet, and the sink here encodes each file. A file is encoded in memory
//! and stored with one PUT, so that a reader never sees half of it.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::runtime::SpawnedTask;
use datafusion::common::{GetExt, Result, Statistics};
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::physical_plan::{FileScanConfig, FileSinkConfig, FileSource};
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::TaskContext;
use datafusion::physical_expr::LexRequirement;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan};
use datafusion_datasource::TableSchema;
use datafusion_datasource::file_sink_config::FileSink;
use datafusion_datasource::sink::{DataSink, DataSinkExec};
use datafusion_datasource::write::demux::DemuxedStreamReceiver;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload};

use super::{ColumnarFormat, avro, orc};

/// A write of ORC or Avro files, with the codec CTAS named.
#[derive(Debug, Clone)]
pub(crate) enum ColumnarWriteFormat {
    Orc(Option<orc_rust::compression::CompressionType>),
    Avro(Option<arrow_avro::compression::CompressionCodec>),
}

impl ColumnarWriteFormat {
    /// The format, or the sentence that says why `compression` is not one
    /// of its codecs.
    pub(crate) fn new(format: ColumnarFormat, compression: Option<&str>) -> Result<Self, String> {
        Ok(match format {
            ColumnarFormat::Orc => Self::Orc(orc::codec(compression)?),
            ColumnarFormat::Avro => Self::Avro(avro::codec(compression)?),
        })
    }

    fn format(&self) -> ColumnarFormat {
        match self {
            Self::Orc(_) => ColumnarFormat::Orc,
            Self::Avro(_) => ColumnarFormat::Avro,
        }
    }

    /// Why a result with `schema` cannot be written in this format, if it
    /// cannot.
    pub(crate) fn unwritable(&self, schema: &SchemaRef) -> Option<String> {
        match self {
            Self::Orc(_) => orc::unwritable(schema),
            Self::Avro(_) => None,
        }
    }

    fn encode(&self, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<u8>> {
        match self {
            Self::Orc(codec) => orc::encode(schema, batches, *codec),
            Self::Avro(codec) => avro::encode(schema, batches, *codec),
        }
    }
}

impl GetExt for ColumnarWriteFormat {
    fn get_ext(&self) -> String {
        match self {
            Self::Orc(_) => "orc".into(),
            Self::Avro(_) => "avro".into(),
        }
    }
}

impl FileFormatFactory for ColumnarWriteFormat {
    fn create(
        &self,
        _state: &dyn Session,
        _format_options: &HashMap<String, String>,
    ) -> Result<Arc<dyn FileFormat>> {
        Ok(Arc::new(self.clone()))
    }

    fn default(&self) -> Arc<dyn FileFormat> {
        Arc::new(self.clone())
    }
}

#[async_trait]
impl FileFormat for ColumnarWriteFormat {
    fn get_ext(&self) -> String {
        GetExt::get_ext(self)
    }

    fn get_ext_with_compression(&self, _compression: &FileCompressionType) -> Result<String> {
        Ok(GetExt::get_ext(self))
    }

    fn compression_type(&self) -> Option<FileCompressionType> {
        None
    }

    async fn infer_schema(
        &self,
        _state: &dyn Session,
        _store: &Arc<dyn ObjectStore>,
        _objects: &[ObjectMeta],
    ) -> Result<SchemaRef> {
        Err(DataFusionError::NotImplemented(
            "lathe's ORC and Avro formats only write; tables read through the catalog".into(),
        ))
    }

    async fn infer_stats(
        &self,
        _state: &dyn Session,
        _store: &Arc<dyn ObjectStore>,
        table_schema: SchemaRef,
        _object: &ObjectMeta,
    ) -> Result<Statistics> {
        Ok(Statistics::new_unknown(&table_schema))
    }

    async fn create_physical_plan(
        &self,
        _state: &dyn Session,
        _conf: FileScanConfig,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Err(DataFusionError::NotImplemented(
            "lathe's ORC and Avro formats only write; tables read through the catalog".into(),
        ))
    }

    async fn create_writer_physical_plan(
        &self,
        input: Arc<dyn ExecutionPlan>,
        _state: &dyn Session,
        conf: FileSinkConfig,
        order_requirements: Option<LexRequirement>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let sink = Arc::new(ColumnarSink {
            config: conf,
            format: self.clone(),
        });
        Ok(Arc::new(DataSinkExec::new(input, sink, order_requirements)))
    }

    fn file_source(&self, table_schema: TableSchema) -> Arc<dyn FileSource> {
        // Never used to read (see `create_physical_plan`); a scan of these
        // files is planned by `table`, with the catalog's options.
        Arc::new(super::ColumnarSource::new(
            table_schema,
            super::ColumnarOptions {
                format: self.format(),
                table: String::new(),
                hive_types: Vec::new(),
                by_position: false,
                prefix: String::new(),
            },
        ))
    }
}

/// Encodes each file the demultiplexer opens and stores it whole.
struct ColumnarSink {
    config: FileSinkConfig,
    format: ColumnarWriteFormat,
}

impl fmt::Debug for ColumnarSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ColumnarSink")
            .field("format", &self.format.format())
            .finish()
    }
}

impl DisplayAs for ColumnarSink {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}Sink(url={})",
            self.format.format().name(),
            self.config.original_url
        )
    }
}

#[async_trait]
impl FileSink for ColumnarSink {
    fn config(&self) -> &FileSinkConfig {
        &self.config
    }

    async fn spawn_writer_tasks_and_join(
        &self,
        _context: &Arc<TaskContext>,
        demux_task: SpawnedTask<Result<()>>,
        mut file_stream_rx: DemuxedStreamReceiver,
        object_store: Arc<dyn ObjectStore>,
    ) -> Result<u64> {
        let mut writers: Vec<SpawnedTask<Result<u64>>> = Vec::new();
        while let Some((path, mut batches)) = file_stream_rx.recv().await {
            let store = Arc::clone(&object_store);
            let format = self.format.clone();
            writers.push(SpawnedTask::spawn(async move {
                let mut received = Vec::new();
                while let Some(batch) = batches.recv().await {
                    received.push(batch);
                }
                let Some(first) = received.first() else {
                    return Ok(0u64);
                };
                let schema = first.schema();
                let rows: usize = received.iter().map(RecordBatch::num_rows).sum();
                let bytes = SpawnedTask::spawn_blocking(move || format.encode(&schema, &received))
                    .join_unwind()
                    .await
                    .map_err(|e| DataFusionError::External(Box::new(e)))??;
                store.put(&path, PutPayload::from(bytes)).await?;
                Ok(rows as u64)
            }));
        }
        let mut rows = 0;
        for writer in writers {
            rows += writer
                .join_unwind()
                .await
                .map_err(|e| DataFusionError::External(Box::new(e)))??;
        }
        demux_task
            .join_unwind()
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))??;
        Ok(rows)
    }
}

#[async_trait]
impl DataSink for ColumnarSink {
    fn schema(&self) -> &SchemaRef {
        self.config.output_schema()
    }

    async fn write_all(
        &self,
        data: SendableRecordBatchStream,
        context: &Arc<TaskContext>,
    ) -> Result<u64> {
        FileSink::write_all(self, data, context).await
    }
}
