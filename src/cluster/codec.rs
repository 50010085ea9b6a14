//! The codecs that carry lathe's plan pieces between Ballista's processes.
//!
//! Both wrap Ballista's own codecs and handle only what is lathe's: the
//! logical codec our Glue table provider (the client sends it; the scheduler
//! re-plans its scan, resolving partitions and projection itself), the
//! physical codec our SerDe-aware JSON and text scans (the scheduler sends
//! them to executors). Everything else goes to Ballista's codec untouched.
//!
//! Our payloads start with a tag no protobuf message starts with, so
//! decoding can tell them from Ballista's. They are JSON: a table is its
//! Glue JSON plus where its catalog lives and the location map; a scan is
//! its SerDe options plus the scan itself as a stock DataFusion JSON scan
//! (file groups, schema, partition values, projection, limit), which
//! datafusion-proto serialises completely except for the decoder. Only the
//! decoder is swapped back on arrival. That also sidesteps datafusion-proto
//! 55.2 dropping a stock JSON scan's compression (apache/datafusion#24180):
//! our source picks each file's codec from its name, as Hive does, and never
//! relies on the serialised compression.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::common::{DataFusionError, Result, TableReference};
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::datasource::physical_plan::{
    FileScanConfig, FileScanConfigBuilder, FileSource, JsonSource, ParquetSource,
};
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{
    AggregateUDF, Expr, Extension, HigherOrderUDF, LogicalPlan, ScalarUDF, WindowUDF,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{
    AsExecutionPlan, PhysicalExtensionCodec, PhysicalProtoConverterExtension,
};
use datafusion_proto::protobuf::PhysicalPlanNode;
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use crate::catalog::glue::GlueCatalog;
use crate::catalog::glue_json::{parse_table_file, table_json};
use crate::catalog::local::LocalCatalog;
use crate::catalog::{Catalog, CatalogLocation, PartitionDef, TableDef};
use crate::columnar::{ColumnarOptions, ColumnarSource};
use crate::error::Error;
use crate::iceberg::IcebergTable;
use crate::json::{JsonOptions, SerdeJsonSource};
use crate::storage::{LocationMap, LocationMapping};
use crate::table::GlueTableProvider;
use crate::table::case_insensitive::CaseInsensitiveAdapterFactory;
use crate::table::position_deletes::{PositionDeletesExec, ScanDeletes};
use crate::text::{SerdeTextSource, TextOptions};

/// Starts a serialised Glue table provider.
const TABLE_TAG: &[u8] = b"\0lathe.table\0";
/// Starts a serialised JSON or text scan.
const SCAN_TAG: &[u8] = b"\0lathe.scan\0";
/// Starts a serialised scan node with deleted positions (Iceberg position
/// deletes, Delta deletion vectors).
const DELETES_TAG: &[u8] = b"\0lathe.deletes\0";
/// This build's version, checked on every payload.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A Glue table provider as plain data.
#[derive(Debug, Serialize, Deserialize)]
struct TablePayload {
    /// The lathe version that wrote it.
    version: String,
    /// The table as `aws glue get-table` prints it.
    table: String,
    /// `db.table`, for messages and for the loader's name check.
    database: String,
    name: String,
    /// Where its catalog lives (for registered partitions).
    catalog: CatalogLocation,
    /// The location map, as (from, to) rules.
    map: Vec<(String, String)>,
    /// For an Iceberg table: the snapshot the query reads (time travel or
    /// the current one when the client planned).
    #[serde(default)]
    iceberg_snapshot: Option<i64>,
}

/// A deleted-positions scan node's data.
#[derive(Debug, Serialize, Deserialize)]
struct DeletesPayload {
    version: String,
    deletes: ScanDeletes,
}

/// How a scan decodes its files.
#[derive(Debug, Serialize, Deserialize)]
enum SourceOptions {
    Json(JsonOptions),
    Text(TextOptions),
    Columnar(ColumnarOptions),
}

/// A JSON or text scan as plain data.
#[derive(Debug, Serialize, Deserialize)]
struct ScanPayload {
    /// The lathe version that wrote it.
    version: String,
    /// The decoder's options.
    source: SourceOptions,
    /// The same scan as a stock JSON scan, protobuf-encoded.
    stock: Vec<u8>,
}

/// Lathe's logical codec: Glue table providers, then Ballista's.
#[derive(Debug, Default)]
pub(crate) struct LatheLogicalCodec {
    inner: BallistaLogicalExtensionCodec,
}

/// Lathe's physical codec: JSON and text scans, then Ballista's.
#[derive(Debug, Default)]
pub(crate) struct LathePhysicalCodec {
    inner: BallistaPhysicalExtensionCodec,
}

fn tagged(tag: &[u8], payload: &impl Serialize, buf: &mut Vec<u8>) -> Result<()> {
    buf.extend_from_slice(tag);
    serde_json::to_writer(buf, payload).map_err(|e| DataFusionError::External(Box::new(e)))
}

fn untagged<'a, T: Deserialize<'a>>(tag: &[u8], buf: &'a [u8]) -> Option<Result<T>> {
    let body = buf.strip_prefix(tag)?;
    Some(serde_json::from_slice(body).map_err(|e| DataFusionError::External(Box::new(e))))
}

/// Refuses a payload `sender` wrote with another lathe version.
fn check_version(version: &str, sender: &'static str, receiver: &'static str) -> Result<()> {
    if version == VERSION {
        return Ok(());
    }
    Err(external(Error::VersionMismatch {
        sender,
        theirs: version.to_string(),
        receiver,
        ours: VERSION.to_string(),
    }))
}

fn external(e: Error) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// The function methods both codec traits share, handed to `self.inner`
/// (Ballista's codec): lathe's functions travel by name, as DataFusion's do.
macro_rules! functions_of_inner {
    () => {
        fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
            self.inner.try_decode_udf(name, buf)
        }

        fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
            self.inner.try_encode_udf(node, buf)
        }

        fn try_decode_higher_order_function(
            &self,
            name: &str,
            buf: &[u8],
        ) -> Result<Arc<HigherOrderUDF>> {
            self.inner.try_decode_higher_order_function(name, buf)
        }

        fn try_encode_higher_order_function(
            &self,
            node: &HigherOrderUDF,
            buf: &mut Vec<u8>,
        ) -> Result<()> {
            self.inner.try_encode_higher_order_function(node, buf)
        }

        fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
            self.inner.try_decode_udaf(name, buf)
        }

        fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
            self.inner.try_encode_udaf(node, buf)
        }

        fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
            self.inner.try_decode_udwf(name, buf)
        }

        fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
            self.inner.try_encode_udwf(node, buf)
        }
    };
}

impl LogicalExtensionCodec for LatheLogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.inner.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        let Some(payload) = untagged::<TablePayload>(TABLE_TAG, buf) else {
            return self
                .inner
                .try_decode_table_provider(buf, table_ref, schema, ctx);
        };
        let payload = payload?;
        // Tables travel from the client to the scheduler, which re-plans them.
        check_version(&payload.version, "the client", "the scheduler")?;
        let origin = format!(
            "table {}.{} in a cluster plan",
            payload.database, payload.name
        );
        let def = parse_table_file(Path::new(&origin), &payload.table)
            .and_then(|t| t.into_table_def(Path::new(&origin), &payload.database, &payload.name))
            .map_err(external)?;
        let map = LocationMap::new(
            payload
                .map
                .into_iter()
                .map(|(from, to)| LocationMapping { from, to })
                .collect(),
        );
        let catalog: Arc<dyn Catalog> = Arc::new(RemoteCatalog::new(payload.catalog));
        if def.format == crate::catalog::StorageFormat::Iceberg {
            // The scheduler opens the table's metadata itself, at the snapshot
            // the client read.
            let runtime = ctx.runtime_env();
            let map = Arc::new(map);
            let def = Arc::new(def);
            let load = async {
                let table = IcebergTable::load(def, catalog, map, &runtime).await?;
                match payload.iceberg_snapshot {
                    Some(id) if Some(id) != table.snapshot_id() => table.at_snapshot(id),
                    _ => Ok(table),
                }
            };
            let table = match tokio::runtime::Handle::try_current() {
                Ok(handle)
                    if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread =>
                {
                    tokio::task::block_in_place(|| handle.block_on(load))
                }
                _ => futures::executor::block_on(load),
            }
            .map_err(external)?;
            return Ok(Arc::new(table));
        }
        // A Delta table's log is read again here, as the client read it.
        let runtime = ctx.runtime_env();
        let open = GlueTableProvider::open(Arc::new(def), catalog, Arc::new(map), &runtime);
        let table = match tokio::runtime::Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| handle.block_on(open))
            }
            _ => futures::executor::block_on(open),
        }
        .map_err(external)?;
        Ok(Arc::new(table))
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        if let Some(table) = node.downcast_ref::<IcebergTable>() {
            let def = table.def();
            let catalog = table.catalog().location().ok_or_else(|| {
                external(Error::CatalogNotShippable {
                    table: def.qualified_name(),
                })
            })?;
            let payload = TablePayload {
                version: VERSION.to_string(),
                table: table_json(def, 0.0).to_string(),
                database: def.database.clone(),
                name: def.name.clone(),
                catalog,
                map: rules(table.location_map()),
                iceberg_snapshot: table.snapshot_id(),
            };
            return tagged(TABLE_TAG, &payload, buf);
        }
        let Some(table) = node.downcast_ref::<GlueTableProvider>() else {
            return self.inner.try_encode_table_provider(table_ref, node, buf);
        };
        let def = table.def();
        let catalog = table.catalog().location().ok_or_else(|| {
            external(Error::CatalogNotShippable {
                table: def.qualified_name(),
            })
        })?;
        let payload = TablePayload {
            version: VERSION.to_string(),
            table: table_json(def, 0.0).to_string(),
            database: def.database.clone(),
            name: def.name.clone(),
            catalog,
            map: rules(table.location_map()),
            iceberg_snapshot: None,
        };
        tagged(TABLE_TAG, &payload, buf)
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.inner.try_encode_file_format(buf, node)
    }

    functions_of_inner!();
}

impl PhysicalExtensionCodec for LathePhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if let Some(payload) = untagged::<DeletesPayload>(DELETES_TAG, buf) {
            let payload = payload?;
            check_version(&payload.version, "the scheduler", "an executor")?;
            let input = inputs.first().cloned().ok_or_else(|| {
                DataFusionError::Internal(
                    "a scan with deletes in a cluster plan has no input".into(),
                )
            })?;
            return Ok(Arc::new(PositionDeletesExec::restore(
                input,
                payload.deletes,
            )?));
        }
        let Some(payload) = untagged::<ScanPayload>(SCAN_TAG, buf) else {
            let inputs = inputs
                .iter()
                .map(|input| case_insensitive_parquet(Arc::clone(input)))
                .collect::<Result<Vec<_>>>()?;
            return self.inner.try_decode(buf, &inputs, ctx, proto_converter);
        };
        let payload = payload?;
        // Scans travel from the scheduler to the executors.
        check_version(&payload.version, "the scheduler", "an executor")?;
        let stock =
            PhysicalPlanNode::try_decode(&payload.stock)?.try_into_physical_plan(ctx, self)?;
        let Some((config, json)) = stock
            .downcast_ref::<DataSourceExec>()
            .and_then(|exec| exec.downcast_to_file_source::<JsonSource>())
        else {
            return Err(DataFusionError::Internal(
                "a lathe scan in a cluster plan does not hold a file scan".into(),
            ));
        };
        let table_schema = json.table_schema().clone();
        let source: Arc<dyn FileSource> = match payload.source {
            SourceOptions::Json(options) => Arc::new(
                SerdeJsonSource::new(table_schema, options)
                    .with_memory_pool(Arc::clone(ctx.memory_pool())),
            ),
            SourceOptions::Text(options) => Arc::new(SerdeTextSource::new(table_schema, options)),
            SourceOptions::Columnar(options) => {
                Arc::new(ColumnarSource::new(table_schema, options))
            }
        };
        let source = match json.projection() {
            Some(projection) => source
                .try_pushdown_projection(projection)?
                .unwrap_or(source),
            None => source,
        };
        let config = FileScanConfigBuilder::from(config.clone())
            .with_source(source)
            .build();
        Ok(DataSourceExec::from_data_source(config))
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        if let Some(scan) = node.downcast_ref::<PositionDeletesExec>() {
            let payload = DeletesPayload {
                version: VERSION.to_string(),
                deletes: scan.deletes().clone(),
            };
            return tagged(DELETES_TAG, &payload, buf);
        }
        let Some((config, options)) = lathe_scan(node.as_ref()) else {
            return self.inner.try_encode(node, buf, proto_converter);
        };
        let source = config.file_source();
        let stand_in: Arc<dyn FileSource> =
            Arc::new(JsonSource::new(source.table_schema().clone()));
        let stand_in = match source.projection() {
            Some(projection) => stand_in
                .try_pushdown_projection(projection)?
                .unwrap_or(stand_in),
            None => stand_in,
        };
        let stock = DataSourceExec::from_data_source(
            FileScanConfigBuilder::from(config.clone())
                .with_source(stand_in)
                .build(),
        );
        let mut encoded = Vec::new();
        PhysicalPlanNode::try_from_physical_plan(stock, self)?.try_encode(&mut encoded)?;
        let payload = ScanPayload {
            version: VERSION.to_string(),
            source: options,
            stock: encoded,
        };
        tagged(SCAN_TAG, &payload, buf)
    }

    functions_of_inner!();
}

/// A location map as (from, to) rules.
fn rules(map: &LocationMap) -> Vec<(String, String)> {
    map.rules()
        .iter()
        .map(|r| (r.from.clone(), r.to.clone()))
        .collect()
}

/// `plan` with lathe's case-insensitive column matching on every Parquet
/// scan. datafusion-proto serialises Parquet scans itself and drops their
/// expression adapter, and they reach an executor only as inputs of
/// Ballista's nodes (every stage is a shuffle writer), which pass through
/// here: so every Parquet scan an executor runs gets the adapter back, as
/// every Parquet scan lathe plans has it.
fn case_insensitive_parquet(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_up(|node| {
        let Some((config, _)) = node
            .downcast_ref::<DataSourceExec>()
            .and_then(|exec| exec.downcast_to_file_source::<ParquetSource>())
        else {
            return Ok(Transformed::no(node));
        };
        if config.expr_adapter_factory.is_some() {
            return Ok(Transformed::no(node));
        }
        let config = FileScanConfigBuilder::from(config.clone())
            .with_expr_adapter(Some(Arc::new(CaseInsensitiveAdapterFactory)))
            .build();
        let scan: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(config);
        Ok(Transformed::yes(scan))
    })
    .data()
}

/// The file scan and decoder options of one of our own scans.
fn lathe_scan(node: &dyn ExecutionPlan) -> Option<(&FileScanConfig, SourceOptions)> {
    let exec = node.downcast_ref::<DataSourceExec>()?;
    if let Some((config, json)) = exec.downcast_to_file_source::<SerdeJsonSource>() {
        return Some((config, SourceOptions::Json(json.options().clone())));
    }
    if let Some((config, text)) = exec.downcast_to_file_source::<SerdeTextSource>() {
        return Some((config, SourceOptions::Text(text.options().clone())));
    }
    let (config, columnar) = exec.downcast_to_file_source::<ColumnarSource>()?;
    Some((config, SourceOptions::Columnar(columnar.options().clone())))
}

/// A catalog opened on first use from its location, in the process that
/// decoded a plan (the scheduler). A query gets a fresh one, so partitions
/// registered since the last query are seen.
#[derive(Debug)]
struct RemoteCatalog {
    location: CatalogLocation,
    opened: OnceCell<Arc<dyn Catalog>>,
}

impl RemoteCatalog {
    fn new(location: CatalogLocation) -> Self {
        Self {
            location,
            opened: OnceCell::new(),
        }
    }

    async fn get(&self) -> crate::Result<&Arc<dyn Catalog>> {
        self.opened
            .get_or_try_init(|| async {
                let catalog: Arc<dyn Catalog> = match &self.location {
                    CatalogLocation::Folder(path) => Arc::new(LocalCatalog::open(path)?),
                    CatalogLocation::Glue(id) => Arc::new(GlueCatalog::connect(id.clone()).await?),
                };
                Ok::<_, Error>(catalog)
            })
            .await
    }
}

#[async_trait]
impl Catalog for RemoteCatalog {
    async fn databases(&self) -> crate::Result<Vec<String>> {
        self.get().await?.databases().await
    }

    async fn tables(&self, database: &str) -> crate::Result<Vec<String>> {
        self.get().await?.tables(database).await
    }

    async fn table(&self, database: &str, table: &str) -> crate::Result<Arc<TableDef>> {
        self.get().await?.table(database, table).await
    }

    async fn partitions(&self, table: &TableDef) -> crate::Result<Option<Arc<Vec<PartitionDef>>>> {
        self.get().await?.partitions(table).await
    }

    async fn partitions_matching(
        &self,
        table: &TableDef,
        filters: &[Expr],
    ) -> crate::Result<Option<Arc<Vec<PartitionDef>>>> {
        self.get().await?.partitions_matching(table, filters).await
    }

    fn location(&self) -> Option<CatalogLocation> {
        Some(self.location.clone())
    }

    async fn commit_iceberg(
        &self,
        table: &TableDef,
        expected: &str,
        new: &str,
    ) -> crate::Result<()> {
        self.get().await?.commit_iceberg(table, expected, new).await
    }
}

#[cfg(test)]
mod tests;
