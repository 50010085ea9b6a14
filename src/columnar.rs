//! ORC and Avro tables: files decoded by their own crates (`orc-rust`, the
//! DataFusion project's ORC reader and writer, and `arrow-avro`, the Arrow
//! project's Avro crate), then conformed to the table's columns.
//!
//! Both crates decode a file into Arrow batches with the *file's* schema;
//! what turns them into the table's columns is Athena's rule, not theirs
//! (see [`conform`]): Avro columns are matched by name, ORC columns by
//! position unless the table sets `orc.column.index.access = false`, types
//! widen within a family as Parquet's do (`table::parquet_check`), and a
//! file whose column changed family is refused naming the file and column.
//!
//! [`ColumnarSource`] is the scan's DataFusion `FileSource` (ORC stripes its
//! filters rule out are skipped, see [`stripes`]); [`sink`] holds
//! the writers CTAS and UNLOAD use for `format = 'ORC' | 'AVRO'`.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::config::ConfigOptions;
use datafusion::datasource::physical_plan::{FileScanConfig, FileSource};
use datafusion::error::DataFusionError;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::utils::conjunction;
use datafusion::physical_plan::filter_pushdown::{FilterPushdownPropagation, PushedDown};
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion::physical_plan::projection::ProjectionExprs;
use datafusion_datasource::PartitionedFile;
use datafusion_datasource::TableSchema;
use datafusion_datasource::file_stream::{FileOpenFuture, FileOpener};
use datafusion_datasource::projection::{ProjectionOpener, SplitProjection};
use object_store::ObjectStore;
use serde::{Deserialize, Serialize};

use crate::catalog::TableDef;
use crate::error::Error;
use stripes::StripeFilter;

mod avro;
pub(crate) mod avro_schema;
mod conform;
mod orc;
pub(crate) mod sink;
mod stripes;

/// Which of the two formats a scan reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ColumnarFormat {
    /// Apache ORC (`OrcSerde`).
    Orc,
    /// Apache Avro object container files (`AvroSerDe`).
    Avro,
}

impl ColumnarFormat {
    fn name(self) -> &'static str {
        match self {
            ColumnarFormat::Orc => "ORC",
            ColumnarFormat::Avro => "Avro",
        }
    }
}

/// How a scan matches and names its files' columns. Plain data, so that a
/// cluster's codec can carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ColumnarOptions {
    /// The format.
    pub(crate) format: ColumnarFormat,
    /// `db.table`, for messages.
    pub(crate) table: String,
    /// The catalog's Hive type of each data column, for messages.
    pub(crate) hive_types: Vec<String>,
    /// Whether top-level columns are matched by position (ORC's default in
    /// Athena) rather than by name.
    pub(crate) by_position: bool,
    /// How files are named in messages: `s3://bucket/` or `/` for local files.
    pub(crate) prefix: String,
}

impl ColumnarOptions {
    /// The options of a scan of `table`'s files in `format`, in the store
    /// whose URL is `store`.
    pub(crate) fn for_table(table: &TableDef, format: ColumnarFormat, store: &str) -> Self {
        Self {
            format,
            table: table.qualified_name(),
            hive_types: table
                .columns
                .iter()
                .map(|c| c.type_string.clone())
                .collect(),
            by_position: format == ColumnarFormat::Orc && orc_by_position(table),
            prefix: if store.starts_with("file:") {
                "/".into()
            } else {
                store.into()
            },
        }
    }
}

/// Athena reads ORC columns by position (their ordinal) unless the table
/// says `orc.column.index.access = false`, as a SerDe or table property
/// ("Understand index access for Apache ORC and Apache Parquet", AWS's
/// Athena guide).
fn orc_by_position(table: &TableDef) -> bool {
    let setting = table
        .serde_parameters
        .get("orc.column.index.access")
        .or_else(|| table.parameters.get("orc.column.index.access"));
    !setting.is_some_and(|v| v.trim().eq_ignore_ascii_case("false"))
}

/// A DataFusion file source over ORC or Avro files.
#[derive(Clone)]
pub(crate) struct ColumnarSource {
    table_schema: TableSchema,
    options: Arc<ColumnarOptions>,
    batch_size: Option<usize>,
    metrics: ExecutionPlanMetricsSet,
    projection: SplitProjection,
    /// The filters pushed to the scan (ORC skips stripes with them; they
    /// are still applied above the scan).
    predicate: Option<Arc<dyn PhysicalExpr>>,
}

impl ColumnarSource {
    pub(crate) fn new(table_schema: TableSchema, options: ColumnarOptions) -> Self {
        Self {
            projection: SplitProjection::unprojected(&table_schema),
            table_schema,
            options: Arc::new(options),
            batch_size: None,
            metrics: ExecutionPlanMetricsSet::new(),
            predicate: None,
        }
    }

    /// How this source reads its files.
    pub(crate) fn options(&self) -> &ColumnarOptions {
        &self.options
    }
}

impl FileSource for ColumnarSource {
    fn create_file_opener(
        &self,
        object_store: Arc<dyn ObjectStore>,
        _base_config: &FileScanConfig,
        _partition: usize,
    ) -> Result<Arc<dyn FileOpener>> {
        let file_schema = self.table_schema.file_schema();
        let target = conform::Target {
            schema: Arc::new(file_schema.project(&self.projection.file_indices)?),
            positions: self.projection.file_indices.clone(),
            options: Arc::clone(&self.options),
            stripe_filter: self.predicate.as_ref().map(|predicate| StripeFilter {
                predicate: Arc::clone(predicate),
                schema: Arc::clone(self.table_schema.table_schema()),
                data_fields: file_schema.fields().clone(),
            }),
        };
        let opener = Arc::new(ColumnarOpener {
            batch_size: self.batch_size.unwrap_or(8192),
            target: Arc::new(target),
            store: object_store,
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
        match self.options.format {
            ColumnarFormat::Orc => "orc",
            ColumnarFormat::Avro => "avro",
        }
    }

    // ORC files split at stripes: a task reads the stripes that start in
    // its byte range. An Avro file is read whole by one task.
    fn supports_repartitioning(&self) -> bool {
        self.options.format == ColumnarFormat::Orc
    }

    // ORC keeps each stripe's column statistics: the filters, evaluated
    // against them, skip stripes. The rows of the stripes kept are still
    // filtered above the scan, so every filter is reported as not pushed.
    fn try_pushdown_filters(
        &self,
        filters: Vec<Arc<dyn PhysicalExpr>>,
        _config: &ConfigOptions,
    ) -> Result<FilterPushdownPropagation<Arc<dyn FileSource>>> {
        let not_pushed = vec![PushedDown::No; filters.len()];
        if self.options.format != ColumnarFormat::Orc || filters.is_empty() {
            return Ok(FilterPushdownPropagation::with_parent_pushdown_result(
                not_pushed,
            ));
        }
        let mut source = self.clone();
        source.predicate = Some(conjunction(self.predicate.iter().cloned().chain(filters)));
        Ok(
            FilterPushdownPropagation::with_parent_pushdown_result(not_pushed)
                .with_updated_node(Arc::new(source) as Arc<dyn FileSource>),
        )
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        datafusion::physical_plan::apply_expression_roots(self.projection.source.iter(), f)
    }
}

/// Opens one file of a scan.
struct ColumnarOpener {
    batch_size: usize,
    target: Arc<conform::Target>,
    store: Arc<dyn ObjectStore>,
}

impl FileOpener for ColumnarOpener {
    fn open(&self, file: PartitionedFile) -> Result<FileOpenFuture> {
        let store = Arc::clone(&self.store);
        let target = Arc::clone(&self.target);
        let batch_size = self.batch_size;
        Ok(Box::pin(async move {
            match target.options.format {
                ColumnarFormat::Orc => orc::open(store, file, target, batch_size).await,
                ColumnarFormat::Avro => avro::open(store, file, target, batch_size).await,
            }
        }))
    }
}

/// A data file's error, naming the file.
fn file_error(file: &str, reason: impl Into<String>) -> DataFusionError {
    DataFusionError::External(Box::new(Error::DataFile {
        file: file.to_string(),
        reason: reason.into(),
    }))
}

#[cfg(test)]
mod tests;
