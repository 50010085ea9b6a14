//! Iceberg tables registered in Glue (`Parameters.table_type = ICEBERG`,
//! `metadata_location`), read and written as Athena engine v3 does.
//!
//! Why lathe has its own Iceberg reader rather than the `iceberg` crate:
//! `iceberg` 0.10 is built on arrow 58 and `iceberg-datafusion` stops at
//! DataFusion 53, while lathe is on DataFusion 55 and arrow 59. Two arrow
//! versions in one build cannot share record batches or schemas, so the
//! crate's planning could not hand its files to our Parquet scan without
//! converting every type at the seam, and its DataFusion integration cannot
//! be used at all. What Athena needs of Iceberg is small and stable (the
//! table spec's metadata JSON, two Avro file kinds, partition transforms,
//! delete semantics), so lathe reads it directly: metadata with serde,
//! manifest lists and manifests with `arrow-avro` (the Arrow project's own
//! Avro crate, on our arrow 59), and data files with DataFusion's own
//! Parquet scan. Scans stay standard `DataSourceExec`s (parallel, projection
//! and predicate pushdown, row-group and page pruning), as DESIGN.md asks.
//!
//! The pieces:
//! - `metadata`: the metadata file; `types`: Iceberg types, Arrow and Hive
//!   types, field ids; `transform`: partition transforms and bound encoding
//! - `avro`, `manifest`: manifest lists and manifests
//! - `prune`: the query's predicates against partition summaries, partition
//!   values and column bounds (hidden partitioning)
//! - `scan`: the files of a snapshot and the deletes that apply to each;
//!   `exec`: the Parquet scan over them (position deletes as row
//!   selections, equality deletes as a filter); `field_ids`: file columns
//!   matched to table columns by field id (schema evolution)
//! - `io`: the table's files through the session's object stores

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Schema as ArrowSchema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::Result as DfResult;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

use crate::catalog::{Catalog, TableDef};
use crate::error::{Error, Result};
use crate::storage::LocationMap;

mod avro;
mod commit;
pub(crate) mod create;
mod dml;
mod exec;
mod field_ids;
mod io;
pub(crate) mod maintenance;
mod manifest;
mod meta_tables;
mod metadata;
mod prune;
mod scan;
mod transform;
pub(crate) mod travel;
mod types;
mod writer;

pub(crate) use field_ids::FieldIdAdapterFactory;
pub(crate) use travel::strip_for;

use metadata::{Schema, Snapshot, TableMetadata};

/// The table parameter that marks an Iceberg table, and its value.
pub(crate) const TABLE_TYPE: &str = "table_type";
/// Where the table's current metadata file is.
pub(crate) const METADATA_LOCATION: &str = "metadata_location";

/// Whether Glue's table parameters describe an Iceberg table.
pub(crate) fn is_iceberg(parameters: &std::collections::HashMap<String, String>) -> bool {
    parameters
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case(TABLE_TYPE) && v.eq_ignore_ascii_case("iceberg"))
}

/// The provider of `def` (an Iceberg table) for a table name with a `$`
/// suffix: a snapshot (time travel) or one of Athena's metadata tables.
pub(crate) async fn suffixed(
    def: Arc<TableDef>,
    catalog: Arc<dyn Catalog>,
    map: Arc<LocationMap>,
    runtime: &RuntimeEnv,
    suffix: travel::TableSuffix,
) -> Result<Arc<dyn TableProvider>> {
    if def.format != crate::catalog::StorageFormat::Iceberg {
        return Err(Error::InvalidStatement {
            statement: format!("SELECT FROM {}", def.qualified_name()),
            reason: format!(
                "{} is not an Iceberg table; time travel and $ metadata tables exist only for Iceberg tables",
                def.qualified_name()
            ),
        });
    }
    let table = IcebergTable::load(def, catalog, map, runtime).await?;
    Ok(match suffix {
        travel::TableSuffix::Snapshot(id) => Arc::new(table.at_snapshot(id)?),
        travel::TableSuffix::Timestamp(ms) => Arc::new(table.at_timestamp(ms)?),
        travel::TableSuffix::Metadata(name) => {
            meta_tables::provider(&table, &name, runtime).await?
        }
    })
}

/// An Iceberg table at one snapshot (the current one, or one a query
/// travelled to), readable by DataFusion.
#[derive(Debug, Clone)]
pub(crate) struct IcebergTable {
    def: Arc<TableDef>,
    catalog: Arc<dyn Catalog>,
    map: Arc<LocationMap>,
    metadata: Arc<TableMetadata>,
    metadata_location: String,
    snapshot_id: Option<i64>,
    schema_id: i32,
    arrow_schema: SchemaRef,
}

impl IcebergTable {
    /// Loads the table's current metadata file.
    pub(crate) async fn load(
        def: Arc<TableDef>,
        catalog: Arc<dyn Catalog>,
        map: Arc<LocationMap>,
        runtime: &RuntimeEnv,
    ) -> Result<Self> {
        let location = def
            .parameters
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(METADATA_LOCATION))
            .map(|(_, v)| v.clone())
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| Error::InvalidIceberg {
                table: def.qualified_name(),
                file: "the table's parameters".into(),
                reason: format!("have no {METADATA_LOCATION}"),
            })?;
        let bytes = io::TableFile::open(runtime, &map, &location)?
            .read(&def.qualified_name(), &location)
            .await?;
        let metadata = TableMetadata::parse(&bytes).map_err(|reason| Error::InvalidIceberg {
            table: def.qualified_name(),
            file: location.clone(),
            reason,
        })?;
        let snapshot_id = metadata.current_snapshot().map(|s| s.snapshot_id);
        let schema_id = metadata
            .current_schema(None)
            .map(|s| s.schema_id)
            .unwrap_or_default();
        let mut table = Self {
            def,
            catalog,
            map,
            metadata: Arc::new(metadata),
            metadata_location: location,
            snapshot_id,
            schema_id,
            arrow_schema: Arc::new(ArrowSchema::empty()),
        };
        table.arrow_schema = table.read_schema()?;
        Ok(table)
    }

    /// The table as of a snapshot id (`FOR VERSION AS OF`), read with that
    /// snapshot's schema, as Trino reads it.
    pub(crate) fn at_snapshot(&self, snapshot_id: i64) -> Result<Self> {
        let Some(snapshot) = self.metadata.snapshot(snapshot_id) else {
            return Err(Error::SnapshotNotFound {
                table: self.def.qualified_name(),
                reason: format!("has no snapshot {snapshot_id}"),
            });
        };
        let mut table = self.clone();
        table.snapshot_id = Some(snapshot.snapshot_id);
        if let Some(id) = snapshot.schema_id {
            table.schema_id = id;
        }
        table.arrow_schema = table.read_schema()?;
        Ok(table)
    }

    /// The table as it was at `timestamp_ms` (`FOR TIMESTAMP AS OF`).
    pub(crate) fn at_timestamp(&self, timestamp_ms: i64) -> Result<Self> {
        let Some(snapshot) = self.metadata.snapshot_as_of(timestamp_ms) else {
            let when = chrono::DateTime::from_timestamp_millis(timestamp_ms)
                .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string())
                .unwrap_or_else(|| timestamp_ms.to_string());
            return Err(Error::SnapshotNotFound {
                table: self.def.qualified_name(),
                reason: format!("has no snapshot as old as {when}"),
            });
        };
        self.at_snapshot(snapshot.snapshot_id)
    }

    /// The Arrow schema DataFusion reads: the Iceberg schema's, with
    /// top-level strings as `Utf8View`, as lathe reads Parquet tables.
    fn read_schema(&self) -> Result<SchemaRef> {
        let schema = self.schema();
        let arrow = types::arrow_schema(&schema.fields)
            .map_err(|reason| self.invalid(&self.metadata_location, reason))?;
        let fields = arrow
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Utf8 => Arc::new(f.as_ref().clone().with_data_type(DataType::Utf8View)),
                _ => Arc::clone(f),
            })
            .collect::<Vec<_>>();
        Ok(Arc::new(ArrowSchema::new(fields)))
    }

    /// The Iceberg schema this table is read with.
    fn schema(&self) -> &Schema {
        self.metadata
            .schemas
            .iter()
            .find(|s| s.schema_id == self.schema_id)
            .or_else(|| self.metadata.current_schema(None))
            .unwrap_or(&self.metadata.schemas[0])
    }

    /// The snapshot read, if the table has any.
    fn snapshot(&self) -> Option<&Snapshot> {
        self.metadata.snapshot(self.snapshot_id?)
    }

    /// The Arrow schema of the scan.
    pub(crate) fn arrow_schema(&self) -> SchemaRef {
        Arc::clone(&self.arrow_schema)
    }

    /// The Glue definition.
    pub(crate) fn def(&self) -> &Arc<TableDef> {
        &self.def
    }

    /// The catalog the table comes from.
    pub(crate) fn catalog(&self) -> &Arc<dyn Catalog> {
        &self.catalog
    }

    /// The location map.
    pub(crate) fn location_map(&self) -> &Arc<LocationMap> {
        &self.map
    }

    /// The snapshot read (a time-travelling query's), if any.
    pub(crate) fn snapshot_id(&self) -> Option<i64> {
        self.snapshot_id
    }

    fn name(&self) -> String {
        self.def.qualified_name()
    }

    /// An error about one of the table's files.
    fn invalid(&self, file: &str, reason: String) -> Error {
        Error::InvalidIceberg {
            table: self.name(),
            file: file.to_string(),
            reason,
        }
    }
}

#[async_trait]
impl TableProvider for IcebergTable {
    fn schema(&self) -> SchemaRef {
        self.arrow_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        // Filters prune files and row groups; rows are checked again above.
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let predicate = prune::from_filters(filters, self.schema());
        let planned = scan::plan(self, state.runtime_env(), &predicate).await?;
        exec::build(self, state, &planned, projection, filters, limit)
    }

    async fn delete_from(
        &self,
        state: &dyn Session,
        filters: Vec<Expr>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let count = dml::delete(self, state, &filters).await?;
        Ok(dml::count_plan(count)?)
    }

    async fn update(
        &self,
        state: &dyn Session,
        assignments: Vec<(String, Expr)>,
        filters: Vec<Expr>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let count = dml::update(self, state, &assignments, &filters).await?;
        Ok(dml::count_plan(count)?)
    }

    async fn merge_into(
        &self,
        state: &dyn Session,
        source: Arc<dyn ExecutionPlan>,
        merge_schema: datafusion::common::DFSchemaRef,
        on: Expr,
        clauses: Vec<datafusion::logical_expr::dml::MergeIntoClause>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let count = dml::merge(self, state, source, merge_schema, on, &clauses).await?;
        Ok(dml::count_plan(count)?)
    }
}

/// Writes a new table's first metadata file and registers the table in
/// the catalog; `None` when it exists and `if_not_exists` is set.
pub(crate) async fn create_table(
    catalog: &Arc<dyn Catalog>,
    map: &Arc<LocationMap>,
    runtime: &RuntimeEnv,
    database: &str,
    name: &str,
    metadata: &metadata::TableMetadata,
    if_not_exists: bool,
) -> Result<Option<IcebergTable>> {
    let location = format!(
        "{}/metadata/00000-{}.metadata.json",
        metadata.location,
        uuid::Uuid::new_v4()
    );
    let def = Arc::new(create::table_def(
        database, name, metadata, &location, None,
    )?);
    io::TableFile::open(runtime, map, &location)?
        .write(metadata.to_json(), true)
        .await?;
    if !catalog.create_table(&def, if_not_exists).await? {
        return Ok(None);
    }
    IcebergTable::load(def, Arc::clone(catalog), Arc::clone(map), runtime)
        .await
        .map(Some)
}

/// Appends the rows of `stream` (the table's columns, in order) as a new
/// snapshot; returns the number of rows written.
pub(crate) async fn append(
    table: &IcebergTable,
    runtime: Arc<RuntimeEnv>,
    stream: datafusion::physical_plan::SendableRecordBatchStream,
) -> Result<u64> {
    let mut writer = writer::DataWriter::new(table, Arc::clone(&runtime))?;
    writer.write_stream(stream).await?;
    let files = writer.finish().await?;
    let rows = files.iter().map(|f| f.record_count.max(0) as u64).sum();
    if files.is_empty() {
        return Ok(0);
    }
    let changes = commit::Changes {
        added: files,
        ..Default::default()
    };
    commit::commit(table, &runtime, changes, "append").await?;
    Ok(rows)
}
