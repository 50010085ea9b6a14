//! Athena's write statements on Iceberg tables: `CREATE TABLE ... WITH
//! (table_type = 'ICEBERG') AS SELECT` and `INSERT INTO` (the data and
//! commit work is `crate::iceberg`'s; this is the statement side).

use std::sync::Arc;

use datafusion::dataframe::DataFrame;

use super::Engine;
use super::unload::invalid;
use datafusion::common::DFSchema;

use crate::athena::ddl::CreateTable;
use crate::athena::maintenance::Maintenance;
use crate::athena::write::CreateIcebergAs;
use crate::catalog::TableDef;
use crate::error::{Error, Result};
use crate::iceberg::{self, IcebergTable, create};

const CTAS: &str = "CREATE TABLE AS";

impl Engine {
    /// CTAS into a new Iceberg table: the table is registered empty, then
    /// the query's rows are its first snapshot. If writing fails, the table
    /// is dropped again, so the statement leaves no table behind.
    pub(crate) async fn create_iceberg_table_as(&self, ctas: CreateIcebergAs) -> Result<DataFrame> {
        let database = ctas.database.clone().unwrap_or_else(|| self.database());
        match self.catalog.table(&database, &ctas.table).await {
            Ok(_) if ctas.if_not_exists => return Ok(self.ctx.read_empty()?),
            Ok(_) => {
                return Err(Error::TableExists {
                    name: format!("{database}.{}", ctas.table),
                });
            }
            Err(Error::TableNotFound { .. }) => {}
            Err(Error::DatabaseNotFound { .. }) => {
                return Err(self.not_found(&database, &ctas.table).await);
            }
            Err(e) => return Err(e),
        }
        let Some(location) = ctas.location.clone() else {
            return Err(invalid(
                CTAS,
                "an Iceberg table needs a location, e.g. WITH (table_type = 'ICEBERG', \
                 location = 's3://bucket/folder/', is_external = false)"
                    .into(),
            ));
        };
        let location = self.iceberg_location(&location);
        let frame = self.plan(&ctas.query).await?;
        let fields = create::fields_of_query(CTAS, frame.schema().as_arrow().fields())?;
        let properties = create::properties(CTAS, &ctas.properties)?;
        let metadata = create::new_table(CTAS, &location, fields, &ctas.partitioning, properties)?;
        let runtime = self.ctx.runtime_env();
        let Some(table) = iceberg::create_table(
            &self.catalog,
            &self.map,
            &runtime,
            &database,
            &ctas.table,
            &metadata,
            false,
        )
        .await?
        else {
            return Ok(self.ctx.read_empty()?);
        };
        let written = async {
            let stream = frame.execute_stream().await?;
            iceberg::append(&table, Arc::clone(&runtime), stream).await
        }
        .await;
        if let Err(e) = written {
            let _ = self.catalog.drop_table(&database, &ctas.table, true).await;
            return Err(e);
        }
        self.catalog.refresh();
        Ok(self.ctx.read_empty()?)
    }

    /// INSERT INTO an Iceberg table: the query's rows, by position, as a
    /// new snapshot.
    pub(crate) async fn insert_into_iceberg(
        &self,
        def: Arc<TableDef>,
        query: &str,
    ) -> Result<DataFrame> {
        let runtime = self.ctx.runtime_env();
        let table = IcebergTable::load(
            def,
            Arc::clone(&self.catalog),
            Arc::clone(&self.map),
            &runtime,
        )
        .await?;
        let frame = self.plan(query).await?;
        let stream = frame.execute_stream().await?;
        iceberg::append(&table, runtime, stream).await?;
        self.catalog.refresh();
        Ok(self.ctx.read_empty()?)
    }
}

impl Engine {
    /// OPTIMIZE and VACUUM.
    pub(crate) async fn maintain(&self, statement: Maintenance) -> Result<DataFrame> {
        let (database, table, filter) = match &statement {
            Maintenance::Optimize {
                database,
                table,
                filter,
            } => (database, table, filter.clone()),
            Maintenance::Vacuum { database, table } => (database, table, None),
        };
        let database = database.clone().unwrap_or_else(|| self.database());
        let def = match self.catalog.table(&database, table).await {
            Ok(def) => def,
            Err(Error::TableNotFound { .. } | Error::DatabaseNotFound { .. }) => {
                return Err(self.not_found(&database, table).await);
            }
            Err(e) => return Err(e),
        };
        let name = match statement {
            Maintenance::Optimize { .. } => "OPTIMIZE",
            Maintenance::Vacuum { .. } => "VACUUM",
        };
        if def.format != crate::catalog::StorageFormat::Iceberg {
            return Err(invalid(
                name,
                format!(
                    "{} is not an Iceberg table; {name} applies to Iceberg tables only",
                    def.qualified_name()
                ),
            ));
        }
        let runtime = self.ctx.runtime_env();
        let table = IcebergTable::load(
            def,
            Arc::clone(&self.catalog),
            Arc::clone(&self.map),
            &runtime,
        )
        .await?;
        let state = self.ctx.state();
        // Athena answers both with no rows; what was done shows in the
        // table's `$snapshots` and `$files`.
        if name == "OPTIMIZE" {
            let filters = match filter {
                Some(text) => {
                    let schema = DFSchema::try_from(table.arrow_schema())?;
                    vec![state.create_logical_expr(&text, &schema)?]
                }
                None => Vec::new(),
            };
            crate::iceberg::maintenance::optimize(&table, &state, &filters).await?;
        } else {
            crate::iceberg::maintenance::vacuum(&table, &state).await?;
        }
        self.catalog.refresh();
        Ok(self.ctx.read_empty()?)
    }
}

impl Engine {
    /// `CREATE TABLE t (...) [PARTITIONED BY (transforms)] LOCATION '..'
    /// TBLPROPERTIES ('table_type' = 'ICEBERG', ...)`: an empty Iceberg table.
    pub(crate) async fn create_iceberg_table(
        &self,
        create: CreateTable,
        database: &str,
        name: &str,
    ) -> Result<DataFrame> {
        let statement = format!("CREATE TABLE {database}.{name}");
        match self.catalog.table(database, name).await {
            Ok(_) if create.if_not_exists => return Ok(self.ctx.read_empty()?),
            Ok(_) => {
                return Err(Error::TableExists {
                    name: format!("{database}.{name}"),
                });
            }
            Err(Error::TableNotFound { .. }) => {}
            Err(Error::DatabaseNotFound { .. }) => {
                return Err(self.not_found(database, name).await);
            }
            Err(e) => return Err(e),
        }
        let Some(location) = create.location.clone() else {
            return Err(invalid(
                &statement,
                "LOCATION is required for an Iceberg table".into(),
            ));
        };
        let location = self.iceberg_location(&location);
        let columns = create
            .columns
            .iter()
            .map(|c| {
                let data_type =
                    crate::hive_type::parse_hive_type(&c.type_string).map_err(|reason| {
                        Error::InvalidType {
                            table: format!("{database}.{name}"),
                            column: c.name.clone(),
                            type_string: c.type_string.clone(),
                            reason,
                        }
                    })?;
                Ok(crate::catalog::Column {
                    name: c.name.to_lowercase(),
                    type_string: c.type_string.clone(),
                    data_type,
                    comment: c.comment.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut fields = create::fields_of_columns(&statement, &columns)?;
        for (field, column) in fields.iter_mut().zip(&columns) {
            field.doc = column.comment.clone();
        }
        let properties = create::properties(&statement, &create.properties)?;
        let partitioning = create.iceberg_partitioning.clone().unwrap_or_default();
        let metadata = create::new_table(&statement, &location, fields, &partitioning, properties)?;
        let runtime = self.ctx.runtime_env();
        iceberg::create_table(
            &self.catalog,
            &self.map,
            &runtime,
            database,
            name,
            &metadata,
            create.if_not_exists,
        )
        .await?;
        self.catalog.refresh();
        Ok(self.ctx.read_empty()?)
    }
}

impl Engine {
    /// A new Iceberg table's location as its metadata records it: a URL or
    /// absolute path as given; a relative path is relative to the catalog
    /// folder, as for any table, made absolute because Iceberg's metadata
    /// holds absolute paths.
    fn iceberg_location(&self, location: &str) -> String {
        if location.contains("://") || location.starts_with('/') {
            return location.to_string();
        }
        match self.catalog.location() {
            Some(crate::catalog::CatalogLocation::Folder(root)) => {
                let path = crate::storage::normalize(&root.join(location));
                path.to_string_lossy().into_owned()
            }
            _ => location.to_string(),
        }
    }
}
