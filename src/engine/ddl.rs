//! Runs the statements of [`crate::athena::ddl`]: DDL through the catalog's
//! write API, SHOW and DESCRIBE as small result tables in Athena's layout,
//! and prepared statements kept in the engine for the session.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::dataframe::DataFrame;

use super::Engine;
use super::providers::GlueCatalogProvider;
use super::show::{create_table_lines, describe_rows, pattern_regex, sorted};
use crate::athena::ddl::{CreateTable, PartitionSpec, Statement, TableName};
use crate::catalog::glue_json::{GlueColumn, GlueTable, SerdeInfo, StorageDescriptor};
use crate::catalog::{DatabaseDef, PartitionDef, StorageFormat, TableDef, partition_name};
use crate::config::CATALOG_NAME;
use crate::error::{Error, Result, closest};

impl Engine {
    /// Runs one parsed Athena statement.
    pub(super) async fn run_athena(&self, statement: Statement) -> Result<DataFrame> {
        match statement {
            Statement::CreateDatabase {
                name,
                if_not_exists,
                comment,
                location,
                properties,
            } => {
                let def = DatabaseDef {
                    name,
                    comment,
                    location,
                    parameters: properties.into_iter().collect(),
                };
                self.catalog.create_database(&def, if_not_exists).await?;
                self.refresh_databases().await?;
                self.done()
            }
            Statement::DropDatabase {
                name,
                if_exists,
                cascade,
            } => {
                if name == crate::catalog::DEFAULT_DATABASE {
                    // Hive's metastore refuses it, and so does Athena.
                    return Err(Error::InvalidStatement {
                        statement: format!("DROP DATABASE {name}"),
                        reason: "Can not drop default database".into(),
                    });
                }
                let result = self.catalog.drop_database(&name, if_exists, cascade).await;
                self.refresh_databases().await?;
                result?;
                self.done()
            }
            Statement::CreateTable(create) => self.create_table(*create).await,
            Statement::DropTable { table, if_exists } => {
                let (database, name) = self.qualify(&table);
                if let Ok(def) = self.catalog.table(&database, &name).await
                    && def.is_view()
                {
                    return Err(Error::InvalidStatement {
                        statement: format!("DROP TABLE {database}.{name}"),
                        reason: format!("{database}.{name} is a view, not a table; use DROP VIEW"),
                    });
                }
                self.catalog.drop_table(&database, &name, if_exists).await?;
                self.done()
            }
            Statement::CreateView(create) => self.create_view(*create).await,
            Statement::DropView { view, if_exists } => self.drop_view(&view, if_exists).await,
            Statement::ShowViews { database, pattern } => self.show_views(database, pattern).await,
            Statement::ShowCreateView { view } => self.show_create_view(&view).await,
            Statement::MsckRepair { table } => self.msck_repair(&table).await,
            Statement::AddPartitions {
                table,
                if_not_exists,
                partitions,
            } => {
                self.add_partitions(&table, if_not_exists, &partitions)
                    .await
            }
            Statement::DropPartitions {
                table,
                if_exists,
                partitions,
            } => self.drop_partitions(&table, if_exists, &partitions).await,
            Statement::SetTableProperties { table, properties } => {
                self.set_table_properties(&table, properties).await
            }
            Statement::ShowTables { database, pattern } => {
                self.show_tables(database, pattern).await
            }
            Statement::ShowPartitions { table } => self.show_partitions(&table).await,
            Statement::ShowCreateTable { table } => {
                let def = self.table_def(&table).await?;
                if def.is_view() {
                    return Err(Error::InvalidStatement {
                        statement: format!("SHOW CREATE TABLE {}", def.qualified_name()),
                        reason: format!(
                            "{} is a view, not a table; use SHOW CREATE VIEW",
                            def.qualified_name()
                        ),
                    });
                }
                self.rows(
                    &["createtab_stmt"],
                    create_table_lines(&def).into_iter().map(|l| vec![l]),
                )
            }
            Statement::ShowColumns { table } => {
                let def = self.described_def(&table).await?;
                let names = def.columns.iter().chain(&def.partition_keys);
                self.rows(&["field"], names.map(|c| vec![c.name.clone()]))
            }
            Statement::ShowTblProperties { table, key } => {
                let def = self.table_def(&table).await?;
                let mut properties = sorted(&def.parameters);
                if let Some(key) = key {
                    properties.retain(|(k, _)| *k == key);
                    if properties.is_empty() {
                        return Err(Error::InvalidStatement {
                            statement: format!("SHOW TBLPROPERTIES {}", def.qualified_name()),
                            reason: format!("the table has no property {key:?}"),
                        });
                    }
                }
                self.rows(
                    &["prpt_name", "prpt_value"],
                    properties
                        .into_iter()
                        .map(|(k, v)| vec![k.to_string(), v.to_string()]),
                )
            }
            Statement::Describe {
                table,
                formatted,
                column,
            } => {
                let def = self.described_def(&table).await?;
                let mut rows = describe_rows(&def, formatted);
                if let Some(column) = column {
                    let all = def.columns.iter().chain(&def.partition_keys);
                    let names: Vec<&str> = all.map(|c| c.name.as_str()).collect();
                    if !names.contains(&column.as_str()) {
                        return Err(Error::InvalidStatement {
                            statement: format!("DESCRIBE {}", def.qualified_name()),
                            reason: format!(
                                "no column {column}{}",
                                closest(&column, names)
                                    .map(|s| format!("; did you mean {s}?"))
                                    .unwrap_or_default()
                            ),
                        });
                    }
                    rows.retain(|r| r[0] == column);
                    rows.truncate(1);
                }
                self.rows(
                    &["col_name", "data_type", "comment"],
                    rows.into_iter().map(Vec::from),
                )
            }
            Statement::Prepare { name, statement } => {
                self.prepared_statements().insert(name, statement);
                self.done()
            }
            Statement::Execute { name, parameters } => {
                let Some(text) = self.prepared_statements().get(&name).cloned() else {
                    return Err(self.no_prepared(&name, "EXECUTE"));
                };
                let sql = crate::athena::bind_parameters(&text, &parameters).map_err(|count| {
                    Error::InvalidStatement {
                        statement: format!("EXECUTE {name}"),
                        reason: format!(
                            "the prepared statement has {count} parameter(s) (?), but USING gives {}",
                            parameters.len()
                        ),
                    }
                })?;
                Box::pin(self.sql(&sql)).await
            }
            Statement::Deallocate { name } => {
                if self.prepared_statements().remove(&name).is_none() {
                    return Err(self.no_prepared(&name, "DEALLOCATE PREPARE"));
                }
                self.done()
            }
        }
    }

    fn prepared_statements(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.prepared.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn no_prepared(&self, name: &str, statement: &str) -> Error {
        let prepared = self.prepared_statements();
        Error::InvalidStatement {
            statement: format!("{statement} {name}"),
            reason: format!(
                "no prepared statement {name} in this session{}",
                closest(name, prepared.keys().map(String::as_str))
                    .map(|s| format!("; did you mean {s}?"))
                    .unwrap_or_default()
            ),
        }
    }

    /// `[db.]t` with the default database filled in.
    pub(super) fn qualify(&self, table: &TableName) -> (String, String) {
        let database = table.database.clone().unwrap_or_else(|| self.database());
        (database, table.table.clone())
    }

    /// A table's definition, or a not-found error with a suggestion.
    pub(super) async fn table_def(&self, table: &TableName) -> Result<Arc<TableDef>> {
        let (database, name) = self.qualify(table);
        match self.catalog.table(&database, &name).await {
            Err(Error::TableNotFound { .. }) => Err(self.not_found(&database, &name).await),
            other => other,
        }
    }

    /// A table's definition as Athena describes it: a Delta table's columns
    /// are its transaction log's, not Glue's placeholder, and an Avro table
    /// that names an Avro schema has that schema's columns.
    async fn described_def(&self, table: &TableName) -> Result<Arc<TableDef>> {
        let def = self.table_def(table).await?;
        let runtime = self.ctx.runtime_env();
        if def.format != StorageFormat::Delta {
            return crate::columnar::avro_schema::resolved(def, &self.map, &runtime).await;
        }
        let (resolved, _) = crate::delta::load(&def, &self.map, &runtime).await?;
        Ok(Arc::new(resolved))
    }

    /// A result with no columns: what DDL returns.
    pub(super) fn done(&self) -> Result<DataFrame> {
        Ok(self.ctx.read_empty()?)
    }

    /// A result of string columns.
    pub(super) fn rows(
        &self,
        columns: &[&str],
        rows: impl IntoIterator<Item = Vec<String>>,
    ) -> Result<DataFrame> {
        let rows: Vec<Vec<String>> = rows.into_iter().collect();
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|c| Field::new(*c, DataType::Utf8, true))
                .collect::<Vec<_>>(),
        ));
        let arrays: Vec<ArrayRef> = (0..columns.len())
            .map(|i| {
                Arc::new(StringArray::from_iter_values(
                    rows.iter()
                        .map(|r| r.get(i).map(String::as_str).unwrap_or("")),
                )) as ArrayRef
            })
            .collect();
        let batch = RecordBatch::try_new(schema, arrays)?;
        Ok(self.ctx.read_batch(batch)?)
    }

    /// Tells DataFusion's view of the catalog which databases exist now.
    async fn refresh_databases(&self) -> Result<()> {
        let databases = self.catalog.databases().await?;
        if let Some(provider) = self.ctx.catalog(CATALOG_NAME)
            && let Some(glue) = provider.downcast_ref::<GlueCatalogProvider>()
        {
            glue.set_databases(databases);
        }
        Ok(())
    }

    async fn create_table(&self, create: CreateTable) -> Result<DataFrame> {
        let (database, name) = match &create.table {
            Some(t) => self.qualify(t),
            None => (self.database(), String::new()),
        };
        if create.iceberg_partitioning.is_some() {
            return self.create_iceberg_table(create, &database, &name).await;
        }
        let statement = format!("CREATE EXTERNAL TABLE {database}.{name}");
        let invalid = |reason: String| Error::InvalidStatement {
            statement: statement.clone(),
            reason,
        };
        // Existence first: it is the more useful message.
        let databases = self.catalog.databases().await?;
        if !databases.iter().any(|d| d.eq_ignore_ascii_case(&database)) {
            return Err(Error::DatabaseNotFound {
                suggestion: closest(&database, databases.iter().map(String::as_str)),
                database,
            });
        }
        if self
            .catalog
            .tables(&database)
            .await?
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&name))
        {
            if create.if_not_exists {
                return self.done();
            }
            return Err(Error::TableExists {
                name: format!("{database}.{name}"),
            });
        }
        let Some(location) = create.location.clone() else {
            return Err(invalid("LOCATION is required for an external table".into()));
        };
        let mut seen: Vec<&str> = Vec::new();
        for c in create.columns.iter().chain(&create.partition_keys) {
            if seen.contains(&c.name.as_str()) {
                return Err(invalid(format!("column {} is declared twice", c.name)));
            }
            seen.push(&c.name);
        }
        let glue_columns = |columns: &[crate::athena::ddl::ColumnDef]| {
            columns
                .iter()
                .map(|c| GlueColumn {
                    name: Some(c.name.clone()),
                    type_string: Some(c.type_string.clone()),
                    comment: c.comment.clone(),
                })
                .collect::<Vec<_>>()
        };
        let mut parameters: HashMap<String, String> = create.properties.into_iter().collect();
        parameters
            .entry("EXTERNAL".into())
            .or_insert_with(|| "TRUE".into());
        let glue = GlueTable {
            name: Some(name.clone()),
            database_name: Some(database.clone()),
            table_type: Some("EXTERNAL_TABLE".into()),
            description: create.comment,
            storage_descriptor: Some(StorageDescriptor {
                columns: Some(glue_columns(&create.columns)),
                location: Some(location),
                input_format: create.input_format,
                output_format: create.output_format,
                serde_info: Some(SerdeInfo {
                    serialization_library: create.serde,
                    parameters: Some(create.serde_properties.into_iter().collect()),
                }),
                parameters: None,
            }),
            partition_keys: Some(glue_columns(&create.partition_keys)),
            parameters: Some(parameters),
            create_time: None,
            update_time: None,
            ..GlueTable::default()
        };
        // The loader's own checks: what it cannot read, DDL cannot create.
        let path = PathBuf::from(format!("{database}/{name}.json"));
        let def = glue.into_table_def(&path, &database, &name)?;
        self.catalog
            .create_table(&def, create.if_not_exists)
            .await?;
        self.done()
    }

    /// Orders a partition spec's values by the table's partition keys,
    /// checking every key is declared, given once, and has a valid value.
    fn partition_values(
        &self,
        def: &TableDef,
        spec: &[(String, String)],
        partial: bool,
    ) -> Result<Vec<Option<String>>> {
        let invalid = |reason: String| Error::InvalidPartition {
            table: def.qualified_name(),
            reason,
        };
        let keys: Vec<&str> = def.partition_keys.iter().map(|k| k.name.as_str()).collect();
        if keys.is_empty() {
            return Err(invalid("the table is not partitioned".into()));
        }
        let mut values = vec![None; keys.len()];
        for (key, value) in spec {
            let Some(i) = keys.iter().position(|k| k == key) else {
                return Err(invalid(format!(
                    "{key} is not a partition key; the partition keys are {}",
                    keys.join(", ")
                )));
            };
            if values[i].replace(value.clone()).is_some() {
                return Err(invalid(format!("partition key {key} is given twice")));
            }
            let options = CastOptions {
                safe: false,
                ..CastOptions::default()
            };
            let one = StringArray::from(vec![value.as_str()]);
            if cast_with_options(&one, &def.partition_keys[i].data_type, &options).is_err() {
                return Err(Error::InvalidPartitionValue {
                    table: def.qualified_name(),
                    key: key.clone(),
                    value: value.clone(),
                    data_type: def.partition_keys[i].type_string.clone(),
                });
            }
        }
        if !partial && let Some(i) = values.iter().position(Option::is_none) {
            return Err(invalid(format!(
                "the partition needs a value for every partition key; {} is missing",
                keys[i]
            )));
        }
        Ok(values)
    }

    async fn add_partitions(
        &self,
        table: &TableName,
        if_not_exists: bool,
        specs: &[PartitionSpec],
    ) -> Result<DataFrame> {
        let def = self.table_def(table).await?;
        let mut partitions = Vec::with_capacity(specs.len());
        for spec in specs {
            let values: Vec<String> = self
                .partition_values(&def, &spec.values, false)?
                .into_iter()
                .flatten()
                .collect();
            partitions.push(PartitionDef {
                location: spec
                    .location
                    .clone()
                    .unwrap_or_else(|| def.default_partition_location(&values)),
                values,
                format: def.format,
            });
        }
        self.catalog
            .add_partitions(&def, &partitions, if_not_exists)
            .await?;
        self.done()
    }

    /// `ALTER TABLE t SET TBLPROPERTIES`: the entry is replaced with the
    /// properties merged in, its registered partitions kept. Neither backend
    /// updates an entry in place, so this is a drop and a create.
    async fn set_table_properties(
        &self,
        table: &TableName,
        properties: Vec<(String, String)>,
    ) -> Result<DataFrame> {
        let def = self.table_def(table).await?;
        if def.is_view() {
            return Err(Error::InvalidStatement {
                statement: format!("ALTER TABLE {} SET TBLPROPERTIES", def.qualified_name()),
                reason: format!(
                    "{} is a view; a view has no table properties",
                    def.qualified_name()
                ),
            });
        }
        let mut new = def.as_ref().clone();
        new.parameters.extend(properties);
        let partitions = self.catalog.partitions(&def).await?;
        self.catalog
            .drop_table(&def.database, &def.name, false)
            .await?;
        self.catalog.create_table(&new, false).await?;
        if let Some(partitions) = partitions.filter(|p| !p.is_empty()) {
            self.catalog.add_partitions(&new, &partitions, true).await?;
        }
        self.done()
    }

    async fn drop_partitions(
        &self,
        table: &TableName,
        if_exists: bool,
        specs: &[Vec<(String, String)>],
    ) -> Result<DataFrame> {
        let def = self.table_def(table).await?;
        let registered = self.catalog.partitions(&def).await?.unwrap_or_default();
        let mut values = Vec::new();
        for spec in specs {
            let wanted = self.partition_values(&def, spec, true)?;
            if wanted.iter().all(Option::is_some) {
                values.push(wanted.into_iter().flatten().collect());
                continue;
            }
            // A partial spec drops every registered partition it matches, as in Hive.
            let matching: Vec<Vec<String>> = registered
                .iter()
                .filter(|p| {
                    wanted
                        .iter()
                        .zip(&p.values)
                        .all(|(w, v)| w.as_ref().is_none_or(|w| w == v))
                })
                .map(|p| p.values.clone())
                .collect();
            if matching.is_empty() && !if_exists {
                let spec: Vec<String> = spec.iter().map(|(k, v)| format!("{k}={v}")).collect();
                return Err(Error::InvalidPartition {
                    table: def.qualified_name(),
                    reason: format!("no partition matches {}", spec.join("/")),
                });
            }
            values.extend(matching);
        }
        self.catalog
            .drop_partitions(&def, &values, if_exists)
            .await?;
        self.done()
    }

    async fn msck_repair(&self, table: &TableName) -> Result<DataFrame> {
        let def = self.table_def(table).await?;
        if def.partition_keys.is_empty() {
            return Err(Error::InvalidPartition {
                table: def.qualified_name(),
                reason: "the table is not partitioned, so MSCK REPAIR TABLE has nothing to add"
                    .into(),
            });
        }
        let state = self.ctx.state();
        let found = crate::table::discover_partitions(&state, &def, &self.map).await?;
        let registered = self.catalog.partitions(&def).await?.unwrap_or_default();
        let missing: Vec<PartitionDef> = found
            .into_iter()
            .filter(|(values, _)| !registered.iter().any(|p| &p.values == values))
            .map(|(values, relative)| PartitionDef {
                location: format!("{}/{relative}/", def.location.trim_end_matches('/')),
                values,
                format: def.format,
            })
            .collect();
        if missing.is_empty() {
            return self.rows(&["result"], Vec::new());
        }
        self.catalog.add_partitions(&def, &missing, true).await?;
        let names: Vec<String> = missing
            .iter()
            .map(|p| {
                format!(
                    "{}:{}",
                    def.name,
                    partition_name(&def.partition_keys, &p.values)
                )
            })
            .collect();
        let mut lines = vec![format!(
            "Partitions not in metastore:\t{}",
            names.join("\t")
        )];
        lines.extend(
            names
                .iter()
                .map(|n| format!("Repair: Added partition to metastore {n}")),
        );
        self.rows(&["result"], lines.into_iter().map(|l| vec![l]))
    }

    async fn show_tables(
        &self,
        database: Option<String>,
        pattern: Option<String>,
    ) -> Result<DataFrame> {
        let database = database.unwrap_or_else(|| self.database());
        let mut tables = self.catalog.tables(&database).await?;
        if let Some(pattern) = pattern {
            let regex = pattern_regex(&pattern).map_err(|e| Error::InvalidStatement {
                statement: "SHOW TABLES".into(),
                reason: format!("pattern {pattern:?} is invalid: {e}"),
            })?;
            tables.retain(|t| regex.is_match(t));
        }
        self.rows(&["tab_name"], tables.into_iter().map(|t| vec![t]))
    }

    async fn show_partitions(&self, table: &TableName) -> Result<DataFrame> {
        let def = self.table_def(table).await?;
        if def.partition_keys.is_empty() {
            return Err(Error::InvalidPartition {
                table: def.qualified_name(),
                reason: "the table is not partitioned".into(),
            });
        }
        // Registered partitions; a table that registers none shows the
        // folders lathe reads. Projected partitions are computed, never
        // listed, so (as in Athena) they are not shown.
        let projected = def
            .parameters
            .get("projection.enabled")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let mut values: Vec<Vec<String>> = match self.catalog.partitions(&def).await? {
            Some(registered) => registered.iter().map(|p| p.values.clone()).collect(),
            None if projected => Vec::new(),
            None => {
                let state = self.ctx.state();
                crate::table::discover_partitions(&state, &def, &self.map)
                    .await?
                    .into_iter()
                    .map(|(v, _)| v)
                    .collect()
            }
        };
        values.sort();
        self.rows(
            &["partition"],
            values
                .iter()
                .map(|v| vec![partition_name(&def.partition_keys, v)]),
        )
    }
}

#[cfg(test)]
mod tests;
