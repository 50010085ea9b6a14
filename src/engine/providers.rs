//! The catalog seen through DataFusion's catalog traits: databases become
//! schemas of one catalog named like Glue's (`awsdatacatalog`).

use std::sync::{Arc, OnceLock, RwLock};

use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, SchemaProvider, TableProvider};
use datafusion::common::Result;

use datafusion::execution::runtime_env::RuntimeEnv;

use crate::catalog::{Catalog, StorageFormat};
use crate::error::Error;
use crate::iceberg::IcebergTable;
use crate::storage::LocationMap;
use crate::table::GlueTableProvider;

use super::views::ViewPlanner;

/// All databases of a [`Catalog`], as a DataFusion catalog.
#[derive(Debug)]
pub(crate) struct GlueCatalogProvider {
    catalog: Arc<dyn Catalog>,
    map: Arc<LocationMap>,
    databases: RwLock<Vec<String>>,
    views: Arc<ViewPlanner>,
    runtime: Arc<RuntimeEnv>,
}

impl GlueCatalogProvider {
    /// Replaces the database list (after `CREATE` or `DROP DATABASE`).
    pub(crate) fn set_databases(&self, databases: Vec<String>) {
        if let Ok(mut current) = self.databases.write() {
            *current = databases;
        }
    }

    fn database_names(&self) -> Vec<String> {
        self.databases.read().map(|d| d.clone()).unwrap_or_default()
    }

    pub(crate) fn new(
        catalog: Arc<dyn Catalog>,
        map: Arc<LocationMap>,
        databases: Vec<String>,
        runtime: Arc<RuntimeEnv>,
    ) -> Self {
        Self {
            catalog,
            map,
            databases: RwLock::new(databases),
            views: Arc::default(),
            runtime,
        }
    }

    /// What plans the catalog's views.
    pub(crate) fn views(&self) -> &ViewPlanner {
        &self.views
    }
}

impl CatalogProvider for GlueCatalogProvider {
    fn schema_names(&self) -> Vec<String> {
        self.database_names()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        let databases = self.database_names();
        let database = databases.iter().find(|d| d.eq_ignore_ascii_case(name))?;
        Some(Arc::new(GlueSchemaProvider {
            database: database.clone(),
            catalog: Arc::clone(&self.catalog),
            map: Arc::clone(&self.map),
            tables: OnceLock::new(),
            views: Arc::clone(&self.views),
            runtime: Arc::clone(&self.runtime),
        }))
    }
}

/// One database's tables.
#[derive(Debug)]
struct GlueSchemaProvider {
    database: String,
    catalog: Arc<dyn Catalog>,
    map: Arc<LocationMap>,
    tables: OnceLock<Vec<String>>,
    views: Arc<ViewPlanner>,
    /// Where Iceberg tables' metadata files are read from.
    runtime: Arc<RuntimeEnv>,
}

impl GlueSchemaProvider {
    fn names(&self) -> &[String] {
        self.tables.get_or_init(|| {
            // DataFusion asks for table names synchronously. The local catalog
            // answers without awaiting anything; Glue needs the runtime's I/O,
            // so a runtime worker hands its other tasks off while it waits.
            let names = self.catalog.tables(&self.database);
            match tokio::runtime::Handle::try_current() {
                Ok(handle)
                    if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread =>
                {
                    tokio::task::block_in_place(|| handle.block_on(names))
                }
                _ => futures::executor::block_on(names),
            }
            .unwrap_or_default()
        })
    }
}

#[async_trait]
impl SchemaProvider for GlueSchemaProvider {
    fn table_names(&self) -> Vec<String> {
        self.names().to_vec()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if let Some((table, suffix)) = crate::iceberg::travel::split(name) {
            return match self.catalog.table(&self.database, table).await {
                Ok(def) => Ok(Some(
                    crate::iceberg::suffixed(
                        def,
                        Arc::clone(&self.catalog),
                        Arc::clone(&self.map),
                        &self.runtime,
                        suffix,
                    )
                    .await?,
                )),
                Err(Error::TableNotFound { .. }) => Ok(None),
                Err(e) => Err(e.into()),
            };
        }
        match self.catalog.table(&self.database, name).await {
            Ok(def) if def.is_view() => Ok(Some(self.views.provider(&def).await?)),
            Ok(def) if def.format == StorageFormat::Iceberg => Ok(Some(Arc::new(
                IcebergTable::load(
                    def,
                    Arc::clone(&self.catalog),
                    Arc::clone(&self.map),
                    &self.runtime,
                )
                .await?,
            ))),
            Ok(def) => Ok(Some(Arc::new(
                GlueTableProvider::open(
                    def,
                    Arc::clone(&self.catalog),
                    Arc::clone(&self.map),
                    &self.runtime,
                )
                .await?,
            ))),
            Err(Error::TableNotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        self.names().iter().any(|t| t.eq_ignore_ascii_case(name))
    }
}
