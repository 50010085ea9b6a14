//! The engine: one DataFusion session wired to a catalog.
//!
//! [`build_session`] is the one function that makes a ready session (catalog,
//! settings, memory pool), so that every process that plans or runs lathe
//! queries can call it. [`Engine::sql`] plans one statement, checking first
//! that every table it names exists so that a typo gets a suggestion.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use datafusion::common::TableReference;
use datafusion::dataframe::DataFrame;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::context::SessionState;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::Statement;

use crate::catalog::Catalog;
use crate::catalog::glue::GlueCatalog;
use crate::catalog::local::LocalCatalog;
use crate::config::{CATALOG_NAME, Config};
use crate::error::{Error, Result, closest};
use crate::export::Destination;
use crate::storage::LocationMap;
use crate::storage::counting::{CountingStore, ScanCounters};
use crate::storage::s3::StoreRegistry;
use datafusion::execution::object_store::ObjectStoreUrl;

mod cooperative;
mod ctas;
mod ddl;
mod iceberg;
mod options;
mod providers;
mod show;
mod show_functions;
mod time_travel;
mod unload;
mod unnest;
mod views;

pub use options::LatheOptions;
use providers::GlueCatalogProvider;

/// Runs Athena SQL against a catalog.
pub struct Engine {
    ctx: SessionContext,
    catalog: Arc<dyn Catalog>,
    database: RwLock<String>,
    counters: Arc<ScanCounters>,
    map: Arc<LocationMap>,
    /// `PREPARE`d statements of this session, by name.
    prepared: Mutex<HashMap<String, String>>,
    /// What the last write statement (CTAS, INSERT INTO, UNLOAD) wrote.
    written: Mutex<Option<Written>>,
}

/// Rows and files a write statement wrote (Athena's `UpdateCount` and data
/// manifest).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// Rows written.
    pub rows: u64,
    /// The files written, as locations under the statement's target (the
    /// names the user sees, before location mapping).
    pub files: Vec<String>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("catalog", &self.catalog)
            .field("database", &self.database)
            .finish()
    }
}

impl Engine {
    /// An engine over the catalog `config` names: AWS Glue when
    /// `config.glue` is set, else the local catalog folder.
    pub async fn new(config: &Config) -> Result<Self> {
        let catalog: Arc<dyn Catalog> = match &config.glue {
            Some(glue) => Arc::new(GlueCatalog::connect(glue.catalog_id.clone()).await?),
            None => Arc::new(LocalCatalog::open(&config.catalog)?),
        };
        Self::with_catalog(config, catalog).await
    }

    /// An engine over any catalog backend.
    pub async fn with_catalog(config: &Config, catalog: Arc<dyn Catalog>) -> Result<Self> {
        let database = config.database.to_lowercase();
        let counters = Arc::new(ScanCounters::default());
        if config.cluster.is_some() {
            counters.set_remote();
        }
        let ctx = build_session(config, Arc::clone(&catalog), Arc::clone(&counters)).await?;
        Ok(Self {
            ctx,
            catalog,
            database: RwLock::new(database),
            counters,
            map: Arc::new(config.location_map.clone()),
            prepared: Mutex::default(),
            written: Mutex::default(),
        })
    }

    /// The DataFusion session, for callers that need more than [`Engine::sql`].
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The names of every function a statement can call (scalar, aggregate,
    /// window and lambda), sorted, for completion.
    pub fn function_names(&self) -> Vec<String> {
        let state = self.ctx.state();
        let mut names: Vec<String> = state
            .scalar_functions()
            .keys()
            .chain(state.aggregate_functions().keys())
            .chain(state.window_functions().keys())
            .chain(state.higher_order_functions().keys())
            .filter(|name| !crate::functions::cast::INTERNAL.contains(&name.as_str()))
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The catalog backend.
    pub fn catalog(&self) -> &Arc<dyn Catalog> {
        &self.catalog
    }

    /// The default database.
    pub fn database(&self) -> String {
        self.database.read().map(|d| d.clone()).unwrap_or_default()
    }

    /// Makes `database` the default for unqualified table names.
    pub async fn set_database(&self, database: &str) -> Result<()> {
        let databases = self.catalog.databases().await?;
        let Some(found) = databases.iter().find(|d| d.eq_ignore_ascii_case(database)) else {
            return Err(Error::DatabaseNotFound {
                database: database.to_string(),
                suggestion: closest(database, databases.iter().map(String::as_str)),
            });
        };
        self.use_database(found);
        Ok(())
    }

    /// Makes `database` the default without checking that it exists, as
    /// Athena's query context does: `CREATE DATABASE x` may run in the
    /// context of `x`, and an unqualified name in a missing database fails
    /// when it is resolved.
    pub fn use_database(&self, database: &str) {
        let found = database.to_lowercase();
        self.ctx
            .state_ref()
            .write()
            .config_mut()
            .options_mut()
            .catalog
            .default_schema = found.clone();
        if let Ok(mut current) = self.database.write() {
            *current = found;
        }
    }

    /// What the last write statement wrote, if the last statement was one
    /// that writes through `write_frame` (CTAS, INSERT INTO, UNLOAD).
    pub fn written(&self) -> Option<Written> {
        self.written.lock().ok().and_then(|w| w.clone())
    }

    /// The `PREPARE`d statements of this session, by name.
    pub fn prepared(&self) -> HashMap<String, String> {
        self.prepared.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Adds statements as if `PREPARE`d in this session (a server keeps
    /// them per workgroup, across sessions).
    pub fn add_prepared_statements(&self, statements: HashMap<String, String>) {
        if let Ok(mut prepared) = self.prepared.lock() {
            prepared.extend(statements);
        }
    }

    /// What queries have read from storage since the last reset.
    pub fn scan_counters(&self) -> &Arc<ScanCounters> {
        &self.counters
    }

    /// Where an export to `target` goes: a local path as is, a URL
    /// (`s3://...`, `file://...`) through the location map to a local file
    /// or to the object store the session has for it (S3 itself for an
    /// unmapped `s3://` URL).
    pub fn export_destination(&self, target: &str) -> Result<Destination> {
        if !target.contains("://") {
            return Ok(Destination::Local(PathBuf::from(target)));
        }
        let resolved = crate::storage::resolve(target, &self.map)?;
        if let Some(path) = resolved.local_dir {
            return Ok(Destination::Local(path));
        }
        let store = self.ctx.runtime_env().object_store(&resolved.store)?;
        Ok(Destination::Object {
            store,
            path: resolved.prefix,
            display: target.to_string(),
        })
    }

    /// Plans one SQL statement. Run it with the returned frame's
    /// `execute_stream` or `collect`.
    ///
    /// Athena's DDL and metadata statements (`CREATE EXTERNAL TABLE`, `MSCK
    /// REPAIR TABLE`, `SHOW CREATE TABLE`, `DESCRIBE`, `PREPARE`, ...) run
    /// here, when planned: the frame holds their result rows (none for DDL).
    /// So do Athena's write statements (UNLOAD, CREATE TABLE AS, INSERT
    /// INTO), which return no rows.
    pub async fn sql(&self, sql: &str) -> Result<DataFrame> {
        use crate::athena::write::WriteStatement;
        if let Ok(mut written) = self.written.lock() {
            *written = None;
        }
        match crate::athena::write::parse(sql)? {
            Some(WriteStatement::Unload(unload)) => return self.unload(unload).await,
            Some(WriteStatement::CreateTableAs(ctas)) => return self.create_table_as(ctas).await,
            Some(WriteStatement::CreateIcebergAs(ctas)) => {
                return self.create_iceberg_table_as(ctas).await;
            }
            Some(WriteStatement::InsertInto(insert)) => return self.insert_into(insert).await,
            None => {}
        }
        if let Some(statement) = crate::athena::maintenance::parse(sql)? {
            return self.maintain(statement).await;
        }
        if let Some(statement) = crate::athena::ddl::parse(sql) {
            return self.run_athena(statement?).await;
        }
        self.plan(sql).await
    }

    /// Plans a statement DataFusion parses (after Athena rewrites).
    async fn plan(&self, sql: &str) -> Result<DataFrame> {
        let rewritten = crate::athena::rewrite(sql);
        let sql = rewritten.as_deref().unwrap_or(sql);
        let state = self.ctx.state();
        let recursion_limit = state.config().options().sql_parser.recursion_limit.get();
        // Athena's dialect, and the syntax rewrites DataFusion needs (athena::syntax).
        let mut statement = crate::athena::syntax::parse(sql, recursion_limit)?;
        crate::athena::select_names::name_dereferences(&mut statement);
        let statement = self.resolve_time_travel(statement).await?;
        let show_functions = match &statement {
            Statement::Statement(s) => match s.as_ref() {
                datafusion::sql::sqlparser::ast::Statement::ShowFunctions { filter } => {
                    Some(filter.clone())
                }
                _ => None,
            },
            _ => None,
        };
        self.check_tables(&state, &statement).await?;
        let plan = state.statement_to_plan(statement).await?;
        // Lateral UNNEST joins, which DataFusion cannot run, become unnests of
        // their left side (engine::unnest).
        let plan = unnest::decorrelate(plan)?;
        let frame = self.ctx.execute_logical_plan(plan).await?;
        match show_functions {
            Some(filter) => {
                show_functions::with_every_function(&self.ctx, frame, filter.as_ref()).await
            }
            None => Ok(frame),
        }
    }

    /// Fails with a suggestion when a table of the statement does not exist.
    async fn check_tables(&self, state: &SessionState, statement: &Statement) -> Result<()> {
        let Ok(references) = state.resolve_table_references(statement) else {
            // Let the planner report what it cannot resolve.
            return Ok(());
        };
        for reference in references {
            if let TableReference::Bare { table } = &reference
                && state.table_functions().contains_key(table.as_ref())
            {
                continue;
            }
            let resolved = reference.clone().resolve(CATALOG_NAME, &self.database());
            if !resolved.catalog.eq_ignore_ascii_case(CATALOG_NAME)
                || resolved.schema.eq_ignore_ascii_case("information_schema")
            {
                continue;
            }
            // `t$snapshots`, `t$snapshot=...`: Iceberg metadata tables and
            // time travel, of table `t`.
            let table = crate::iceberg::travel::split(&resolved.table)
                .map_or(resolved.table.as_ref(), |(table, _)| table);
            match self.catalog.table(&resolved.schema, table).await {
                Ok(_) => {}
                Err(Error::TableNotFound { .. } | Error::DatabaseNotFound { .. }) => {
                    return Err(self.not_found(&resolved.schema, table).await);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn not_found(&self, database: &str, table: &str) -> Error {
        let mut qualified = Vec::new();
        for db in self.catalog.databases().await.unwrap_or_default() {
            for t in self.catalog.tables(&db).await.unwrap_or_default() {
                qualified.push((format!("{db}.{t}"), t));
            }
        }
        let name = format!("{database}.{table}");
        let suggestion = closest(&name, qualified.iter().map(|(q, _)| q.as_str())).or_else(|| {
            // `clickstream` in the wrong default database: suggest `web.clickstream`.
            let bare = closest(table, qualified.iter().map(|(_, t)| t.as_str()))?;
            qualified
                .iter()
                .find(|(_, t)| *t == bare)
                .map(|(q, _)| q.clone())
        });
        Error::TableNotFound { name, suggestion }
    }
}

/// Builds a ready session over `catalog`: settings, memory pool, object
/// stores (local files, and S3 buckets made on first use; all counted into
/// `counters`), Athena's functions, and the catalog registered as
/// `awsdatacatalog` with `config.database` as default. With
/// `config.cluster`, queries run on that Ballista scheduler.
pub async fn build_session(
    config: &Config,
    catalog: Arc<dyn Catalog>,
    counters: Arc<ScanCounters>,
) -> Result<SessionContext> {
    let runtime = runtime_env(config, counters)?;
    let mut state = session_state(session_config(config), runtime);
    if let Some(url) = &config.cluster {
        state = crate::cluster::client_state(state, url).await?;
    }
    let ctx = SessionContext::new_with_state(state);
    let databases = catalog.databases().await?;
    let map = Arc::new(config.location_map.clone());
    let provider = Arc::new(GlueCatalogProvider::new(
        catalog,
        map,
        databases,
        ctx.runtime_env(),
    ));
    provider.views().attach(&ctx);
    ctx.register_catalog(CATALOG_NAME, provider);
    Ok(ctx)
}

/// The settings of every lathe session, in every process that plans or runs
/// its queries: the catalog names, parallelism, exact Parquet footers, and
/// lathe's own `lathe.*` settings ([`LatheOptions`]).
pub(crate) fn session_config(config: &Config) -> SessionConfig {
    let database = config.database.to_lowercase();
    let mut session_config = SessionConfig::new()
        .with_default_catalog_and_schema(CATALOG_NAME, &database)
        .with_create_default_catalog_and_schema(false)
        .with_information_schema(true)
        .with_option_extension(LatheOptions::default());
    if let Some(n) = config.target_partitions {
        session_config = session_config.with_target_partitions(n.max(1));
    }
    // Trino sorts NULLs last whatever the direction ("the default null
    // ordering is NULLS LAST"); DataFusion, as Postgres, puts them first in
    // a descending sort.
    session_config
        .options_mut()
        .sql_parser
        .default_null_ordering = "nulls_last".to_string();
    // Read a Parquet footer exactly (its length, then the metadata) rather
    // than a 512 KiB guess: scanned bytes count only footers and the column
    // chunks a query needs, as Athena's do.
    session_config
        .options_mut()
        .execution
        .parquet
        .metadata_size_hint = None;
    if let Some(limit) = memory_limit(config) {
        // Each sorting partition reserves memory for its merge up front
        // (DataFusion's 10 MiB default), outside the spillable share. Under a
        // small limit those reservations leave the sorts too little to hold a
        // batch, and a sort failed where spilling would have done (the spike
        // test, about one run in four at 32 MB): scale it with the limit.
        let execution = &mut session_config.options_mut().execution;
        execution.sort_spill_reservation_bytes =
            execution.sort_spill_reservation_bytes.min(limit / 16);
    }
    session_config
}

/// The memory limit of a session: the configured one, else the default.
fn memory_limit(config: &Config) -> Option<usize> {
    config
        .memory_limit
        .or_else(crate::config::default_memory_limit)
}

/// The runtime of a lathe session: object stores (local files, S3 buckets
/// made on first use, all counted into `counters`), memory limit, spill folder.
pub(crate) fn runtime_env(config: &Config, counters: Arc<ScanCounters>) -> Result<Arc<RuntimeEnv>> {
    let registry = StoreRegistry::new(Arc::default(), Arc::clone(&counters));
    let mut runtime = RuntimeEnvBuilder::new().with_object_store_registry(Arc::new(registry));
    if let Some(limit) = memory_limit(config) {
        // A fair pool, not DataFusion's default greedy one: each spilling
        // operator gets its share, so a sort or an aggregation spills before a
        // neighbour has taken everything. With the greedy pool, the 100×
        // spike hour's sorts failed under 256 MB (RELIABILITY.md).
        runtime = runtime.with_memory_pool(std::sync::Arc::new(
            datafusion::execution::memory_pool::TrackConsumersPool::new(
                datafusion::execution::memory_pool::FairSpillPool::new(limit),
                std::num::NonZeroUsize::MIN.saturating_add(4),
            ),
        ));
    }
    if let Some(dir) = &config.temp_dir {
        if !dir.is_dir() {
            return Err(Error::InvalidConfig {
                source_name: "--temp-dir".into(),
                reason: format!("{} is not a folder", dir.display()),
            });
        }
        runtime = runtime.with_disk_manager_builder(
            DiskManagerBuilder::default()
                .with_mode(DiskManagerMode::Directories(vec![dir.clone()])),
        );
    }
    let runtime = runtime.build_arc()?;
    let local = Arc::new(object_store::local::LocalFileSystem::new());
    runtime.register_object_store(
        ObjectStoreUrl::local_filesystem().as_ref(),
        Arc::new(CountingStore::new(local, counters)),
    );
    Ok(runtime)
}

/// A session state with lathe's planner rules and Athena's functions (over
/// DataFusion's own where the names clash), on `runtime`. The one place a
/// session is assembled: the local engine, the cluster client, the
/// scheduler and the executors all start from it.
pub(crate) fn session_state(config: SessionConfig, runtime: Arc<RuntimeEnv>) -> SessionState {
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(runtime)
        .with_default_features()
        .with_physical_optimizer_rule(Arc::new(cooperative::CooperativeJoins))
        .with_relation_planners(vec![Arc::new(unnest::UnnestPlanner)
            as Arc<dyn datafusion::logical_expr::planner::RelationPlanner>])
        .with_type_planner(Arc::new(crate::athena::dialect::AthenaTypePlanner))
        .build();
    with_functions(state)
}

/// `state` with Athena's functions registered over what it has.
pub(crate) fn with_functions(state: SessionState) -> SessionState {
    let ctx = SessionContext::new_with_state(state);
    crate::functions::register(&ctx);
    ctx.state()
}
