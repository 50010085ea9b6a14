//! Writing an Iceberg table's data files: rows split by the partition
//! spec's transforms, one Parquet file per partition (rolled over at the
//! table's target file size), columns carrying their field ids, and each
//! file's metrics (value, null and NaN counts, lower and upper bounds,
//! column sizes) as a manifest records them.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, UInt32Array};
use datafusion::arrow::compute::{cast, take};
use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type, SchemaRef};
use datafusion::common::ScalarValue;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::functions_aggregate::min_max::{MaxAccumulator, MinAccumulator};
use datafusion::logical_expr::Accumulator;
use datafusion::parquet::arrow::AsyncArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::metadata::ParquetMetaData;
use datafusion::parquet::file::properties::WriterProperties;
use futures::StreamExt;
use object_store::ObjectStoreExt;
use object_store::buffered::BufWriter;

use super::IcebergTable;
use super::io::TableFile;
use super::manifest::{CONTENT_DATA, DataFile};
use super::metadata::PartitionSpec;
use super::transform::{Transform, encode_bound};
use super::types::{arrow_schema, field_id};
use crate::error::{Error, Result};

/// Iceberg's default target data file size (`write.target-file-size-bytes`).
const TARGET_FILE_SIZE: usize = 512 * 1024 * 1024;
/// Bounds of strings are truncated to this many characters, as Iceberg's
/// default metrics mode (`truncate(16)`) does.
const BOUND_CHARS: usize = 16;

/// Where and how a statement writes data files.
pub(crate) struct DataWriter {
    table: IcebergTable,
    runtime: Arc<RuntimeEnv>,
    spec: PartitionSpec,
    /// The Parquet files' Arrow schema: the Iceberg schema with field ids.
    arrow: SchemaRef,
    /// For each partition field: the source column's index and the transform.
    sources: Vec<(usize, Transform)>,
    target_size: usize,
    compression: Compression,
    open: HashMap<Vec<ScalarValue>, OpenFile>,
    done: Vec<DataFile>,
}

struct OpenFile {
    location: String,
    file: TableFile,
    writer: AsyncArrowWriter<BufWriter>,
    partition: Vec<ScalarValue>,
    rows: i64,
    metrics: Vec<ColumnMetrics>,
}

/// Metrics of one top-level column in one file.
struct ColumnMetrics {
    id: i32,
    float: bool,
    nulls: i64,
    nans: i64,
    min: Option<MinAccumulator>,
    max: Option<MaxAccumulator>,
}

impl DataWriter {
    /// A writer of the table's current schema and default spec.
    pub(crate) fn new(table: &IcebergTable, runtime: Arc<RuntimeEnv>) -> Result<Self> {
        let schema = table
            .metadata
            .current_schema(None)
            .cloned()
            .ok_or_else(|| table.invalid(&table.metadata_location, "has no schema".into()))?;
        let spec = table
            .metadata
            .default_spec()
            .cloned()
            .unwrap_or(PartitionSpec {
                spec_id: 0,
                fields: Vec::new(),
            });
        let arrow = Arc::new(
            arrow_schema(&schema.fields)
                .map_err(|reason| table.invalid(&table.metadata_location, reason))?,
        );
        let mut sources = Vec::new();
        for field in &spec.fields {
            let Some(index) = schema.fields.iter().position(|f| f.id == field.source_id) else {
                return Err(table.invalid(
                    &table.metadata_location,
                    format!(
                        "partitions by field {}, which is not a top-level column; lathe cannot write it",
                        field.source_id
                    ),
                ));
            };
            let transform = Transform::parse(&field.transform).ok_or_else(|| {
                table.invalid(
                    &table.metadata_location,
                    format!(
                        "has partition transform {}, which lathe does not know",
                        field.transform
                    ),
                )
            })?;
            sources.push((index, transform));
        }
        let target_size = table
            .metadata
            .property("write.target-file-size-bytes")
            .and_then(|v| v.parse().ok())
            .unwrap_or(TARGET_FILE_SIZE);
        let codec = table
            .metadata
            .property("write.parquet.compression-codec")
            .unwrap_or("zstd")
            .to_ascii_lowercase();
        let compression = match codec.as_str() {
            "snappy" => Compression::SNAPPY,
            "gzip" => Compression::GZIP(Default::default()),
            "uncompressed" | "none" => Compression::UNCOMPRESSED,
            "lz4" => Compression::LZ4_RAW,
            _ => Compression::ZSTD(ZstdLevel::default()),
        };
        Ok(Self {
            table: table.clone(),
            runtime,
            spec,
            arrow,
            sources,
            target_size,
            compression,
            open: HashMap::new(),
            done: Vec::new(),
        })
    }

    /// The Arrow schema rows must have (the table's columns, in order).
    pub(crate) fn schema(&self) -> SchemaRef {
        Arc::clone(&self.arrow)
    }

    /// Writes a batch whose columns are the table's, in order (cast to the
    /// table's types here).
    pub(crate) async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if batch.num_columns() != self.arrow.fields().len() {
            return Err(Error::InvalidStatement {
                statement: format!("INSERT INTO {}", self.table.name()),
                reason: format!(
                    "the query returns {} columns; the table has {}",
                    batch.num_columns(),
                    self.arrow.fields().len()
                ),
            });
        }
        let columns = batch
            .columns()
            .iter()
            .zip(self.arrow.fields())
            .map(|(c, f)| cast(c, f.data_type()))
            .collect::<Result<Vec<_>, _>>()?;
        let batch = RecordBatch::try_new(Arc::clone(&self.arrow), columns)?;
        // Rows by partition, in first-seen order.
        let mut groups: Vec<(Vec<ScalarValue>, Vec<u32>)> = Vec::new();
        let mut index: HashMap<Vec<ScalarValue>, usize> = HashMap::new();
        for row in 0..batch.num_rows() {
            let key = self
                .sources
                .iter()
                .map(|(column, transform)| {
                    let v = ScalarValue::try_from_array(batch.column(*column), row)?;
                    Ok(transform.apply(&v).unwrap_or(ScalarValue::Null))
                })
                .collect::<Result<Vec<_>>>()?;
            let i = *index.entry(key.clone()).or_insert_with(|| {
                groups.push((key, Vec::new()));
                groups.len() - 1
            });
            groups[i].1.push(row as u32);
        }
        for (key, rows) in groups {
            let part = if rows.len() == batch.num_rows() {
                batch.clone()
            } else {
                let indices = UInt32Array::from(rows);
                let columns = batch
                    .columns()
                    .iter()
                    .map(|c| take(c, &indices, None))
                    .collect::<Result<Vec<_>, _>>()?;
                RecordBatch::try_new(Arc::clone(&self.arrow), columns)?
            };
            self.write_partition(key, &part).await?;
        }
        Ok(())
    }

    async fn write_partition(&mut self, key: Vec<ScalarValue>, batch: &RecordBatch) -> Result<()> {
        if !self.open.contains_key(&key) {
            let file = self.open_file(key.clone())?;
            self.open.insert(key.clone(), file);
        }
        let Some(file) = self.open.get_mut(&key) else {
            return Ok(());
        };
        file.writer.write(batch).await.map_err(parquet)?;
        file.rows += batch.num_rows() as i64;
        for (m, column) in file.metrics.iter_mut().zip(batch.columns()) {
            m.update(column)?;
        }
        if file.writer.bytes_written() + file.writer.in_progress_size() >= self.target_size
            && let Some(file) = self.open.remove(&key)
        {
            let done = Self::close(file, self.spec.spec_id).await?;
            self.done.push(done);
        }
        Ok(())
    }

    fn open_file(&self, partition: Vec<ScalarValue>) -> Result<OpenFile> {
        let mut folder = String::new();
        for (field, value) in self.spec.fields.iter().zip(&partition) {
            let transform = Transform::parse(&field.transform).unwrap_or(Transform::Void);
            folder.push_str(&format!(
                "{}={}/",
                field.name,
                crate::catalog::escape_partition_value(&transform.path_value(value))
            ));
        }
        let location = format!(
            "{}/data/{folder}{}.parquet",
            self.table.metadata.location.trim_end_matches('/'),
            uuid::Uuid::new_v4()
        );
        let opened = TableFile::open(&self.runtime, &self.table.map, &location)?;
        if let Some(dir) = opened.resolved.local_dir.as_ref().and_then(|p| p.parent()) {
            std::fs::create_dir_all(dir)?;
        }
        let properties = WriterProperties::builder()
            .set_compression(self.compression)
            .build();
        let writer = AsyncArrowWriter::try_new(
            BufWriter::new(Arc::clone(&opened.store), opened.path().clone()),
            Arc::clone(&self.arrow),
            Some(properties),
        )
        .map_err(parquet)?;
        let metrics = self
            .arrow
            .fields()
            .iter()
            .map(|f| ColumnMetrics::new(field_id(f).unwrap_or(-1), f.data_type()))
            .collect::<Result<Vec<_>>>()?;
        Ok(OpenFile {
            location,
            file: opened,
            writer,
            partition,
            rows: 0,
            metrics,
        })
    }

    /// Closes a file: its manifest entry. (Not a method: a future holding
    /// `&self` would need the writers to be `Sync`, which they are not.)
    async fn close(file: OpenFile, spec_id: i32) -> Result<DataFile> {
        let metadata = file.writer.close().await.map_err(parquet)?;
        // The manifest's size must be exact: readers find the footer by it.
        let size = file.file.store.head(file.file.path()).await?.size as i64;
        let mut data = DataFile {
            content: CONTENT_DATA,
            path: file.location,
            format: "PARQUET".into(),
            spec_id,
            partition: file.partition,
            record_count: file.rows,
            file_size: size,
            column_sizes: column_sizes(&metadata),
            value_counts: Vec::new(),
            null_counts: Vec::new(),
            nan_counts: Vec::new(),
            lower_bounds: Vec::new(),
            upper_bounds: Vec::new(),
            split_offsets: split_offsets(&metadata),
            equality_ids: None,
            sort_order_id: None,
        };
        for m in file.metrics {
            m.finish(file.rows, &mut data)?;
        }
        Ok(data)
    }

    /// Closes every open file: the data files written.
    pub(crate) async fn finish(mut self) -> Result<Vec<DataFile>> {
        let open: Vec<OpenFile> = self.open.drain().map(|(_, f)| f).collect();
        for file in open {
            let done = Self::close(file, self.spec.spec_id).await?;
            self.done.push(done);
        }
        self.done.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(self.done)
    }

    /// Writes every batch of a stream.
    pub(crate) async fn write_stream(
        &mut self,
        mut stream: datafusion::physical_plan::SendableRecordBatchStream,
    ) -> Result<()> {
        while let Some(batch) = stream.next().await {
            self.write(&batch?).await?;
        }
        Ok(())
    }
}

impl ColumnMetrics {
    fn new(id: i32, data_type: &DataType) -> Result<Self> {
        // Bounds of primitives only, as Iceberg keeps them; a type min/max
        // does not order has none.
        let ordered = !data_type.is_nested() && !matches!(data_type, DataType::Null);
        Ok(Self {
            id,
            float: matches!(data_type, DataType::Float32 | DataType::Float64),
            nulls: 0,
            nans: 0,
            min: ordered
                .then(|| MinAccumulator::try_new(data_type).ok())
                .flatten(),
            max: ordered
                .then(|| MaxAccumulator::try_new(data_type).ok())
                .flatten(),
        })
    }

    fn update(&mut self, column: &ArrayRef) -> Result<()> {
        self.nulls += column.null_count() as i64;
        let nans = match column.data_type() {
            DataType::Float32 => column
                .as_primitive::<Float32Type>()
                .iter()
                .filter(|v| v.is_some_and(f32::is_nan))
                .count(),
            DataType::Float64 => column
                .as_primitive::<Float64Type>()
                .iter()
                .filter(|v| v.is_some_and(f64::is_nan))
                .count(),
            _ => 0,
        };
        self.nans += nans as i64;
        if let Some(min) = &mut self.min {
            min.update_batch(std::slice::from_ref(column))?;
        }
        if let Some(max) = &mut self.max {
            max.update_batch(std::slice::from_ref(column))?;
        }
        Ok(())
    }

    fn finish(mut self, rows: i64, file: &mut DataFile) -> Result<()> {
        if self.id < 0 {
            return Ok(());
        }
        file.value_counts.push((self.id, rows));
        file.null_counts.push((self.id, self.nulls));
        let float = self.float;
        if float {
            file.nan_counts.push((self.id, self.nans));
        }
        // NaN has no place in Iceberg's bounds.
        if float && self.nans > 0 {
            return Ok(());
        }
        if let Some(min) = self.min.as_mut().map(|m| m.evaluate()).transpose()?
            && let Some(bytes) = lower_bound(&min)
        {
            file.lower_bounds.push((self.id, bytes));
        }
        if let Some(max) = self.max.as_mut().map(|m| m.evaluate()).transpose()?
            && let Some(bytes) = upper_bound(&max)
        {
            file.upper_bounds.push((self.id, bytes));
        }
        Ok(())
    }
}

/// A lower bound: strings and binaries truncated (a prefix is still a lower bound).
fn lower_bound(v: &ScalarValue) -> Option<Vec<u8>> {
    match v {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::Utf8View(Some(s))
        | ScalarValue::LargeUtf8(Some(s)) => {
            Some(s.chars().take(BOUND_CHARS).collect::<String>().into_bytes())
        }
        other => encode_bound(other),
    }
}

/// An upper bound: a truncated string's last character is incremented so
/// that it stays above every value; none when that is impossible.
fn upper_bound(v: &ScalarValue) -> Option<Vec<u8>> {
    match v {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::Utf8View(Some(s))
        | ScalarValue::LargeUtf8(Some(s)) => {
            let chars: Vec<char> = s.chars().collect();
            if chars.len() <= BOUND_CHARS {
                return Some(s.clone().into_bytes());
            }
            let mut prefix: Vec<char> = chars[..BOUND_CHARS].to_vec();
            while let Some(last) = prefix.pop() {
                if let Some(next) = char::from_u32(last as u32 + 1) {
                    prefix.push(next);
                    return Some(prefix.into_iter().collect::<String>().into_bytes());
                }
            }
            None
        }
        other => encode_bound(other),
    }
}

fn column_sizes(metadata: &ParquetMetaData) -> Vec<(i32, i64)> {
    let mut sizes: HashMap<i32, i64> = HashMap::new();
    for rg in metadata.row_groups() {
        for column in rg.columns() {
            let info = column.column_descr().self_type().get_basic_info();
            if info.has_id() {
                *sizes.entry(info.id()).or_default() += column.compressed_size();
            }
        }
    }
    let mut sizes: Vec<(i32, i64)> = sizes.into_iter().collect();
    sizes.sort();
    sizes
}

fn split_offsets(metadata: &ParquetMetaData) -> Option<Vec<i64>> {
    metadata
        .row_groups()
        .iter()
        .map(|rg| rg.file_offset())
        .collect::<Option<Vec<i64>>>()
}

fn parquet(e: datafusion::parquet::errors::ParquetError) -> Error {
    Error::DataFusion(e.into())
}
