//! A Glue table as a DataFusion [`TableProvider`].
//!
//! `scan` resolves the table's partitions (projected from table properties,
//! registered in the catalog, or discovered from Hive-style `key=value/`
//! folders), prunes them with the
//! query's predicates on partition keys *before any data file is listed*,
//! lists the files of the surviving partitions only, and hands DataFusion a
//! standard `DataSourceExec` (Parquet, JSON through [`crate::json`], text
//! through [`crate::text`], ORC and Avro through [`crate::columnar`]).

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::Result;
use datafusion::common::stats::{Precision, Statistics};
use datafusion::datasource::TableProvider;
use datafusion::datasource::TableType;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::{
    CachedParquetFileReaderFactory, ParquetRowSelection,
};
use datafusion::datasource::physical_plan::{
    FileGroup, FileScanConfigBuilder, FileSource, ParquetSource,
};
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{Column, cast};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};
use datafusion::physical_plan::union::UnionExec;
use datafusion_datasource::{TableSchema, compute_all_files_statistics};
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectMeta, ObjectStore};

use crate::catalog::{Catalog, StorageFormat, TableDef};
use crate::columnar::{ColumnarFormat, ColumnarOptions, ColumnarSource};
use crate::delta::{DeltaFile, DeltaSnapshot};
use crate::error::Error;
use crate::json::{JsonOptions, SerdeJsonSource};
use crate::storage::{LocationMap, ResolvedLocation, resolve};
use crate::table::position_deletes::{ColumnMatch, PositionDeletesExec, ScanDeletes};
use crate::text::{SerdeTextSource, TextOptions};

pub(crate) mod case_insensitive;
pub(crate) mod parquet_check;
pub(crate) mod partitions;
pub(crate) mod position_deletes;
pub(crate) mod projection;
mod statistics;

pub(crate) use partitions::ScanPartition;

/// How many partition folders are listed at once.
const LISTING_CONCURRENCY: usize = 16;

/// A table of the catalog, readable by DataFusion.
#[derive(Debug)]
pub(crate) struct GlueTableProvider {
    def: Arc<TableDef>,
    catalog: Arc<dyn Catalog>,
    map: Arc<LocationMap>,
    schema: SchemaRef,
    /// A Delta table's live files, from its log (see [`crate::delta`]).
    delta: Option<Arc<DeltaSnapshot>>,
}

impl GlueTableProvider {
    pub(crate) fn new(
        def: Arc<TableDef>,
        catalog: Arc<dyn Catalog>,
        map: Arc<LocationMap>,
    ) -> Self {
        let schema = read_schema(&def);
        Self {
            def,
            catalog,
            map,
            schema,
            delta: None,
        }
    }

    /// The provider of `def`; a Delta table's log is read now, for its
    /// schema and files, and an Avro table's Avro schema, for its columns.
    pub(crate) async fn open(
        def: Arc<TableDef>,
        catalog: Arc<dyn Catalog>,
        map: Arc<LocationMap>,
        runtime: &RuntimeEnv,
    ) -> crate::error::Result<Self> {
        if def.format != StorageFormat::Delta {
            let def = crate::columnar::avro_schema::resolved(def, &map, runtime).await?;
            return Ok(Self::new(def, catalog, map));
        }
        let (resolved, snapshot) = crate::delta::load(&def, &map, runtime).await?;
        let mut provider = Self::new(Arc::new(resolved), catalog, map);
        provider.delta = Some(Arc::new(snapshot));
        Ok(provider)
    }

    /// The table's definition.
    pub(crate) fn def(&self) -> &Arc<TableDef> {
        &self.def
    }

    /// The catalog the table comes from.
    pub(crate) fn catalog(&self) -> &Arc<dyn Catalog> {
        &self.catalog
    }

    /// The location map its locations go through.
    pub(crate) fn location_map(&self) -> &Arc<LocationMap> {
        &self.map
    }

    /// The table's partitions that survive `filters`, each resolved to storage.
    pub(crate) async fn pruned_partitions(
        &self,
        state: &dyn Session,
        filters: &[Expr],
    ) -> Result<Vec<ScanPartition>> {
        let root = resolve(&self.def.location, &self.map)?;
        if self.def.partition_keys.is_empty() {
            self.check_root_exists(&root)?;
            return Ok(vec![ScanPartition {
                location: root,
                values: Vec::new(),
                format: self.def.format,
            }]);
        }
        // Projection first (computed, never listed), then registered
        // partitions, then discovery.
        let now = state
            .execution_props()
            .query_execution_start_time
            .unwrap_or_else(chrono::Utc::now);
        if let Some(projection) = projection::Projection::from_table(&self.def, now)? {
            let projected = projection.partitions(filters, |values| {
                self.def.default_partition_location(values)
            })?;
            let candidates = partitions::projected(projected, &self.def);
            return partitions::prune(state, &self.def, candidates, filters, &self.map);
        }
        let candidates = match self.catalog.partitions_matching(&self.def, filters).await? {
            Some(registered) => partitions::registered(&registered),
            None => {
                self.check_root_exists(&root)?;
                let store = state.runtime_env().object_store(&root.store)?;
                partitions::discover(store.as_ref(), &self.def, &root).await?
            }
        };
        partitions::prune(state, &self.def, candidates, filters, &self.map)
    }
}

impl GlueTableProvider {
    /// A table whose root folder is missing is almost always a wrong path or
    /// map, so it is an error rather than an empty table.
    fn check_root_exists(&self, root: &ResolvedLocation) -> Result<(), Error> {
        match &root.local_dir {
            Some(dir) if !dir.is_dir() => Err(Error::LocationNotFound {
                table: self.def.qualified_name(),
                location: if self.map.apply(&self.def.location) == self.def.location {
                    root.display.clone()
                } else {
                    format!("{} (mapped from {})", root.display, self.def.location)
                },
            }),
            _ => Ok(()),
        }
    }
}

/// The Hive-style `key=value/` partition folders under a table's location
/// (what `MSCK REPAIR TABLE` registers): raw values in partition-key order,
/// and each folder's path relative to the table's location. A location that
/// does not exist has none.
pub(crate) async fn discover_partitions(
    state: &dyn Session,
    def: &TableDef,
    map: &LocationMap,
) -> Result<Vec<(Vec<String>, String)>> {
    let root = resolve(&def.location, map)?;
    if root.local_dir.as_ref().is_some_and(|dir| !dir.is_dir()) {
        return Ok(Vec::new());
    }
    let store = state.runtime_env().object_store(&root.store)?;
    let found = partitions::discover(store.as_ref(), def, &root).await?;
    let root_prefix = root.prefix.as_ref().to_string();
    Ok(found
        .into_iter()
        .map(|c| {
            let relative = c
                .listed_prefix()
                .unwrap_or_default()
                .strip_prefix(root_prefix.as_str())
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string();
            (c.values, relative)
        })
        .collect())
}

#[async_trait]
impl TableProvider for GlueTableProvider {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        // Filters on partition keys alone are applied exactly by pruning;
        // the rest are re-checked by DataFusion above the scan.
        Ok(filters
            .iter()
            .map(|f| {
                if partitions::only_partition_keys(&self.def, f) {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Inexact
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let (files, deletes) = match &self.delta {
            Some(delta) => self.delta_files(state, delta, filters).await?,
            None => {
                let partitions = self.pruned_partitions(state, filters).await?;
                (list_files(state, &partitions).await?, HashMap::new())
            }
        };

        // One scan per (format, store): partitions may differ from the table's format.
        let mut groups: Vec<(StorageFormat, ObjectStoreUrl, Vec<PartitionedFile>)> = Vec::new();
        for (format, url, file) in files {
            match groups
                .iter_mut()
                .find(|(f, u, _)| *f == format && *u == url)
            {
                Some((_, _, group)) => group.push(file),
                None => groups.push((format, url, vec![file])),
            }
        }
        let mut plans = Vec::with_capacity(groups.len());
        for (format, url, files) in groups {
            plans.push(
                self.file_scan(state, format, url, files, &deletes, projection, limit)
                    .await?,
            );
        }
        match plans.len() {
            0 => {
                let schema = match projection {
                    Some(p) => Arc::new(self.schema.project(p)?),
                    None => Arc::clone(&self.schema),
                };
                Ok(Arc::new(EmptyExec::new(schema)))
            }
            1 => Ok(plans.remove(0)),
            _ => UnionExec::try_new(plans),
        }
    }
}

impl GlueTableProvider {
    /// A Delta table's live files whose partition values survive
    /// `filters`, and the deleted rows of those with deletion vectors (read
    /// now: only the surviving files' vectors are read, and counted).
    async fn delta_files(
        &self,
        state: &dyn Session,
        delta: &DeltaSnapshot,
        filters: &[Expr],
    ) -> Result<(Vec<ListedFile>, FileDeletes)> {
        let values: Vec<&[String]> = delta
            .files
            .iter()
            .map(|f| f.partition_values.as_slice())
            .collect();
        let kept = partitions::surviving(state, &self.def, &values, filters)?;
        let surviving: Vec<_> = delta
            .files
            .iter()
            .zip(kept)
            .filter_map(|(file, values)| Some((file, values?)))
            .collect();
        let runtime = state.runtime_env();
        let table = self.def.qualified_name();
        // Owned, for the futures below (the provider's scan is `Send`).
        let with_vectors: Vec<DeltaFile> = surviving
            .iter()
            .filter(|(f, _)| f.deletion_vector.is_some())
            .map(|(f, _)| (*f).clone())
            .collect();
        let deletes = futures::stream::iter(with_vectors)
            .map(move |file| {
                let (runtime, table) = (Arc::clone(runtime), table.clone());
                async move {
                    let deletes = file.deletes(&table, &runtime).await?;
                    Ok::<_, Error>(deletes.map(|d| ((file.store, file.location), d)))
                }
            })
            .buffered(
                state
                    .config_options()
                    .execution
                    .meta_fetch_concurrency
                    .get()
                    .max(1),
            )
            .try_collect::<Vec<_>>()
            .await
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        let files = surviving
            .into_iter()
            .map(|(file, values)| {
                (
                    StorageFormat::Parquet,
                    file.store.clone(),
                    PartitionedFile::new_from_meta(file.object_meta())
                        .with_partition_values(values),
                )
            })
            .collect();
        Ok((files, deletes.into_iter().flatten().collect()))
    }

    #[allow(clippy::too_many_arguments)]
    async fn file_scan(
        &self,
        state: &dyn Session,
        format: StorageFormat,
        url: ObjectStoreUrl,
        files: Vec<PartitionedFile>,
        deletes: &FileDeletes,
        projection: Option<&Vec<usize>>,
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let (data_fields, partition_fields) = self.schema.fields().split_at(self.def.columns.len());
        // A column-mapped Delta table's files name its columns by their
        // physical names: the scan reads those, renamed back above it.
        let physical = self
            .delta
            .as_ref()
            .and_then(|d| d.physical_columns.as_ref());
        // Parquet reads the table's schema (strings as views); our JSON and
        // text decoders build the catalog's types, cast afterwards.
        let file_schema = match (format, physical) {
            (StorageFormat::Parquet, Some(physical)) => Arc::new(Schema::new(
                data_fields
                    .iter()
                    .zip(physical)
                    .map(|(f, p)| f.as_ref().clone().with_name(&p.name))
                    .collect::<Vec<_>>(),
            )),
            (StorageFormat::Parquet, None) => Arc::new(Schema::new(data_fields.to_vec())),
            _ => self.def.file_schema(),
        };
        let table_schema = TableSchema::builder(file_schema)
            .with_table_partition_cols(partition_fields.to_vec())
            .build();
        let streams = scan_streams(state, &url, files.len());
        match format {
            StorageFormat::Parquet => {
                // What `ParquetFormat::create_physical_plan` builds (DataFusion's
                // cached footer reader), with each file's types checked against
                // the catalog first (see `parquet_check`).
                let runtime = state.runtime_env();
                let cached = CachedParquetFileReaderFactory::new(
                    runtime.object_store(&url)?,
                    runtime.cache_manager.get_file_metadata_cache(),
                );
                let prefix: Arc<str> = if url.as_str().starts_with("file:") {
                    "/".into()
                } else {
                    url.as_str().into()
                };
                let checked = parquet_check::CheckedReaderFactory {
                    inner: Arc::new(cached),
                    table: self.def.qualified_name().into(),
                    columns: physical.unwrap_or(&self.def.columns).clone().into(),
                    prefix,
                };
                // Deleted rows are skipped by each file's row selection.
                let mut scan_deletes = ScanDeletes {
                    columns: ColumnMatch::Names,
                    ..ScanDeletes::default()
                };
                let files = files
                    .into_iter()
                    .map(|file| {
                        let key = (url.clone(), file.object_meta.location.clone());
                        let Some((rows, deleted)) = deletes.get(&key) else {
                            return file;
                        };
                        scan_deletes.files.insert(
                            file.object_meta.location.as_ref().to_string(),
                            (*rows, deleted.clone()),
                        );
                        file.with_extension(ParquetRowSelection::new(position_deletes::selection(
                            deleted, *rows,
                        )))
                    })
                    .collect();
                let files = statistics::with_parquet_statistics(
                    state,
                    &url,
                    table_schema.file_schema(),
                    &checked,
                    files,
                )
                .await?
                .into_iter()
                .map(
                    |file| match scan_deletes.files.get(file.object_meta.location.as_ref()) {
                        // The footer counts the deleted rows too.
                        Some((rows, deleted)) => {
                            let mut stats = file
                                .statistics
                                .as_deref()
                                .cloned()
                                .unwrap_or_else(|| {
                                    Statistics::new_unknown(table_schema.file_schema())
                                })
                                .to_inexact();
                            stats.num_rows = Precision::Inexact(
                                rows.saturating_sub(deleted.len() as u64) as usize,
                            );
                            file.with_statistics(Arc::new(stats))
                        }
                        None => file,
                    },
                )
                .collect();
                let (groups, stats) = compute_all_files_statistics(
                    FileGroup::new(files).split_files(streams),
                    Arc::clone(&self.schema),
                    state.config().collect_statistics(),
                    false,
                )?;
                let source = ParquetSource::new(table_schema)
                    .with_table_parquet_options(state.table_options().parquet.clone())
                    .with_parquet_file_reader_factory(Arc::new(checked));
                let config = FileScanConfigBuilder::new(url, Arc::new(source))
                    .with_file_groups(groups)
                    .with_statistics(stats)
                    .with_projection_indices(projection.cloned())?
                    .with_limit(limit)
                    .with_expr_adapter(Some(Arc::new(
                        case_insensitive::CaseInsensitiveAdapterFactory,
                    )))
                    .build();
                let mut scan: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(config);
                if !scan_deletes.files.is_empty() {
                    scan = Arc::new(PositionDeletesExec::new(scan, scan_deletes));
                }
                match physical {
                    Some(_) => self.logical_names(scan, projection),
                    None => Ok(scan),
                }
            }
            StorageFormat::Json(serde) => {
                let groups = FileGroup::new(files).split_files(streams);
                let options = JsonOptions::for_table(&self.def, serde)?;
                let source = Arc::new(
                    SerdeJsonSource::new(table_schema, options)
                        .with_memory_pool(Arc::clone(&state.runtime_env().memory_pool)),
                );
                let scan = line_scan(url, source, groups, projection, limit)?;
                self.as_read_schema(scan, projection)
            }
            StorageFormat::Orc | StorageFormat::Avro => {
                let format = if format == StorageFormat::Orc {
                    ColumnarFormat::Orc
                } else {
                    ColumnarFormat::Avro
                };
                let options = ColumnarOptions::for_table(&self.def, format, url.as_str());
                let source = Arc::new(ColumnarSource::new(table_schema, options));
                let groups = FileGroup::new(files).split_files(streams);
                let scan = line_scan(url, source, groups, projection, limit)?;
                self.as_read_schema(scan, projection)
            }
            StorageFormat::Delta => Err(datafusion::error::DataFusionError::Internal(format!(
                "{} is a Delta table, whose files are read as Parquet",
                self.def.qualified_name()
            ))),
            StorageFormat::Iceberg => Err(datafusion::error::DataFusionError::Internal(format!(
                "{} is an Iceberg table, read by its own provider",
                self.def.qualified_name()
            ))),
            StorageFormat::Text(serde) => {
                let groups = FileGroup::new(files).split_files(streams);
                let options = TextOptions::for_table(&self.def, serde)?;
                let source = Arc::new(SerdeTextSource::new(table_schema, options));
                let scan = line_scan(url, source, groups, projection, limit)?;
                self.as_read_schema(scan, projection)
            }
        }
    }

    /// The table's columns in `projection` (all of them without one).
    fn projected_schema(&self, projection: Option<&Vec<usize>>) -> Result<SchemaRef> {
        Ok(match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => Arc::clone(&self.schema),
        })
    }

    /// A column-mapped Delta scan's columns under the table's names.
    fn logical_names(
        &self,
        scan: Arc<dyn ExecutionPlan>,
        projection: Option<&Vec<usize>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let wanted = self.projected_schema(projection)?;
        let exprs = scan
            .schema()
            .fields()
            .iter()
            .zip(wanted.fields())
            .enumerate()
            .map(|(i, (have, want))| {
                let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(have.name(), i));
                ProjectionExpr::new(column, want.name().clone())
            })
            .collect::<Vec<_>>();
        Ok(Arc::new(ProjectionExec::try_new(exprs, scan)?))
    }

    /// A JSON or text partition of a Parquet table yields `Utf8` where the
    /// table reads `Utf8View` (see [`read_schema`]): cast its strings so that
    /// every partition's scan has the table's schema.
    fn as_read_schema(
        &self,
        scan: Arc<dyn ExecutionPlan>,
        projection: Option<&Vec<usize>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let wanted = self.projected_schema(projection)?;
        let have = scan.schema();
        if have
            .fields()
            .iter()
            .zip(wanted.fields())
            .all(|(h, w)| h.data_type() == w.data_type())
        {
            return Ok(scan);
        }
        let exprs = have
            .fields()
            .iter()
            .zip(wanted.fields())
            .enumerate()
            .map(|(i, (h, w))| {
                let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(h.name(), i));
                let expr = if h.data_type() == w.data_type() {
                    column
                } else {
                    cast(column, &have, w.data_type().clone())?
                };
                Ok(ProjectionExpr::new(expr, w.name().clone()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(ProjectionExec::try_new(exprs, scan)?))
    }
}

/// How many streams a scan of `files` files in the store `url` reads at
/// once. Local files: one per core (`target_partitions`), as DataFusion's
/// own scans. Remote files: up to `lathe.remote_scan_streams`, because each
/// S3 request waits 20-80 ms for its first byte on a laptop, and a scan
/// that read one file per core would mostly wait: DataFusion opens the next
/// file of a stream while it decodes the current one, so a stream keeps at
/// most two requests in flight. More streams keep more requests in flight
/// (each a whole small object, or a Parquet file's column chunks, in one
/// ranged read) while the cores decode what has arrived; the operators
/// above run them as tasks on the same cores. Memory grows with the
/// streams: a JSON stream holds its file's bytes reserved from the
/// session's pool (see `json`), Parquet and text streams a batch each.
fn scan_streams(state: &dyn Session, url: &ObjectStoreUrl, files: usize) -> usize {
    let cores = state.config().target_partitions().max(1);
    if url.as_str().starts_with("file:") {
        return cores;
    }
    let io = state
        .config_options()
        .extensions
        .get::<crate::engine::LatheOptions>()
        .map_or(1, |options| options.remote_scan_streams);
    cores.max(io.min(files))
}

/// The schema DataFusion reads a table with: the catalog's, except that a
/// Parquet table's top-level `string` columns are read as `Utf8View`, as
/// DataFusion's own Parquet tables are (`schema_force_view_types`). Views
/// point into the decoded pages instead of copying every string, which
/// made filters and projections on strings (TPC-H q1, q12, q14, q16, q19)
/// up to 1.45x slower than datafusion-cli. Partition keys stay `Utf8`.
fn read_schema(def: &TableDef) -> SchemaRef {
    let schema = def.schema();
    if !matches!(def.format, StorageFormat::Parquet | StorageFormat::Delta) {
        return schema;
    }
    let fields = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| match f.data_type() {
            DataType::Utf8 if i < def.columns.len() => {
                Arc::new(f.as_ref().clone().with_data_type(DataType::Utf8View))
            }
            _ => Arc::clone(f),
        })
        .collect::<Vec<_>>();
    Arc::new(Schema::new(fields))
}

/// A scan of one of our own sources (JSON, text, ORC, Avro); the JSON and
/// text sources read whole files per task, as Hive reads compressed text.
fn line_scan(
    url: ObjectStoreUrl,
    source: Arc<dyn FileSource>,
    groups: Vec<FileGroup>,
    projection: Option<&Vec<usize>>,
    limit: Option<usize>,
) -> Result<Arc<dyn ExecutionPlan>> {
    let config = FileScanConfigBuilder::new(url, source)
        .with_file_groups(groups)
        .with_projection_indices(projection.cloned())?
        .with_limit(limit)
        .build();
    Ok(DataSourceExec::from_data_source(config))
}

type ListedFile = (StorageFormat, ObjectStoreUrl, PartitionedFile);

/// Files' deleted rows, by store and path: (row count, deleted positions).
type FileDeletes = HashMap<(ObjectStoreUrl, ObjectPath), (u64, Vec<u64>)>;

/// Lists the data files of each partition: every non-hidden, non-empty file
/// under its location, recursively. Missing locations contribute nothing.
async fn list_files(state: &dyn Session, partitions: &[ScanPartition]) -> Result<Vec<ListedFile>> {
    let runtime = state.runtime_env();
    let remote = partitions
        .iter()
        .filter(|p| p.location.local_dir.is_none())
        .count();
    if remote > SHARED_LISTING_THRESHOLD
        && let Some(store_url) = single_store(partitions)
    {
        let store = runtime.object_store(store_url)?;
        return list_shared(store.as_ref(), partitions).await;
    }
    let mut listings = Vec::with_capacity(partitions.len());
    let mut folders = HashMap::new();
    for p in partitions {
        if let Some(dir) = &p.location.local_dir
            && !folder_exists(dir, &mut folders)
        {
            continue;
        }
        let store = runtime.object_store(&p.location.store)?;
        let p = p.clone();
        listings.push(async move {
            let objects = list_data_files(store.as_ref(), &p.location).await?;
            let files: Vec<ListedFile> = objects
                .into_iter()
                .map(|meta| {
                    let file = PartitionedFile::new_from_meta(meta)
                        .with_partition_values(p.values.clone());
                    (p.format, p.location.store.clone(), file)
                })
                .collect();
            Ok::<_, datafusion::error::DataFusionError>(files)
        });
    }
    let listed: Vec<Vec<ListedFile>> = futures::stream::iter(listings)
        .buffered(LISTING_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(listed.into_iter().flatten().collect())
}

/// Remote partitions above this many are found with one listing of their
/// shared prefix rather than one listing each: a projection over years of
/// hours names tens of thousands of prefixes, most of them empty, and one
/// paginated listing (1,000 keys a request) is far cheaper than a request
/// per prefix. Small sets keep exact per-prefix listings.
const SHARED_LISTING_THRESHOLD: usize = 64;

/// The one remote store all partitions live in, if they share one.
fn single_store(partitions: &[ScanPartition]) -> Option<&ObjectStoreUrl> {
    let first = &partitions.first()?.location;
    let same = partitions
        .iter()
        .all(|p| p.location.local_dir.is_none() && p.location.store == first.store);
    let nested = partitions
        .iter()
        .any(|p| p.location.prefix.as_ref().is_empty());
    (same && !nested).then_some(&first.store)
}

/// Lists the shared prefix of all partitions once and hands each data file
/// to the partition whose prefix holds it (the longest, if several do).
async fn list_shared(
    store: &dyn ObjectStore,
    partitions: &[ScanPartition],
) -> Result<Vec<ListedFile>> {
    let prefixes: Vec<&str> = partitions
        .iter()
        .map(|p| p.location.prefix.as_ref())
        .collect();
    let mut common: Vec<&str> = prefixes[0].split('/').collect();
    for prefix in &prefixes[1..] {
        let same = common
            .iter()
            .zip(prefix.split('/'))
            .take_while(|(a, b)| **a == *b)
            .count();
        common.truncate(same);
    }
    let common = ObjectPath::parse(common.join("/"))
        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
    let index: HashMap<&str, usize> = prefixes.iter().enumerate().map(|(i, p)| (*p, i)).collect();
    let mut found: Vec<Vec<ObjectMeta>> = vec![Vec::new(); partitions.len()];
    let mut objects = store.list(Some(&common));
    while let Some(meta) = objects.try_next().await? {
        let location = meta.location.as_ref();
        let owner = location
            .rmatch_indices('/')
            .map(|(at, _)| at)
            .find_map(|at| index.get(&location[..at]).map(|i| (*i, at)));
        let Some((i, at)) = owner else {
            continue;
        };
        // Hidden files and folders (`_SUCCESS`, `.crc`, `_temporary/`) are not data.
        let visible = location[at + 1..]
            .split('/')
            .all(|part| !part.starts_with(['_', '.']));
        if visible && meta.size > 0 {
            found[i].push(meta);
        }
    }
    Ok(partitions
        .iter()
        .zip(found)
        .flat_map(|(p, mut objects)| {
            objects.sort_by(|a, b| a.location.cmp(&b.location));
            objects.into_iter().map(move |meta| {
                let file =
                    PartitionedFile::new_from_meta(meta).with_partition_values(p.values.clone());
                (p.format, p.location.store.clone(), file)
            })
        })
        .collect())
}

/// Whether a local folder exists, checking each ancestor once: a projection
/// over years of hours names thousands of folders under a few missing days,
/// and one `stat` of a missing day answers for all its hours. Keyed by the
/// path's bytes: hashing a `Path` walks its components, which cost more than
/// the `stat`s it saves.
fn folder_exists(dir: &Path, known: &mut HashMap<OsString, bool>) -> bool {
    if let Some(exists) = known.get(dir.as_os_str()) {
        return *exists;
    }
    let exists = dir
        .parent()
        .is_none_or(|parent| folder_exists(parent, known))
        && dir.is_dir();
    known.insert(dir.as_os_str().to_owned(), exists);
    exists
}

async fn list_data_files(
    store: &dyn ObjectStore,
    location: &ResolvedLocation,
) -> Result<Vec<ObjectMeta>> {
    if location.local_dir.as_ref().is_some_and(|d| !d.is_dir()) {
        return Ok(Vec::new());
    }
    let prefix_parts = location.prefix.parts().count();
    let mut files: Vec<ObjectMeta> = store
        .list(Some(&location.prefix))
        .try_filter(|meta| {
            // Hidden files and folders (`_SUCCESS`, `.crc`, `_temporary/`) are not data.
            let visible = meta
                .location
                .parts()
                .skip(prefix_parts)
                .all(|part| !part.as_ref().starts_with(['_', '.']));
            futures::future::ready(visible && meta.size > 0)
        })
        .try_collect()
        .await?;
    files.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::{SessionConfig, SessionContext};

    use super::*;
    use crate::engine::LatheOptions;

    fn streams(config: SessionConfig, url: &str, files: usize) -> usize {
        let state = SessionContext::new_with_config(config).state();
        scan_streams(&state, &ObjectStoreUrl::parse(url).unwrap(), files)
    }

    #[test]
    fn remote_scans_read_many_files_at_once_local_ones_one_per_core() {
        let config = || {
            SessionConfig::new()
                .with_target_partitions(2)
                .with_option_extension(LatheOptions::default())
        };
        assert_eq!(streams(config(), "file://", 500), 2);
        assert_eq!(streams(config(), "s3://bucket", 500), 32);
        // Never more streams than files, never fewer than cores.
        assert_eq!(streams(config(), "s3://bucket", 5), 5);
        assert_eq!(streams(config(), "s3://bucket", 1), 2);
        let mut more = config();
        more.options_mut()
            .set("lathe.remote_scan_streams", "100")
            .unwrap();
        assert_eq!(streams(more, "s3://bucket", 500), 100);
        assert_eq!(streams(more_cores(), "s3://bucket", 500), 64);
    }

    fn more_cores() -> SessionConfig {
        SessionConfig::new()
            .with_target_partitions(64)
            .with_option_extension(LatheOptions::default())
    }
}
