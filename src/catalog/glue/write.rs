//! Writes to AWS Glue: the catalog write API (DDL, MSCK, CTAS, INSERT INTO)
//! as Glue calls, with the local catalog's semantics.
//!
//! Tables and partitions are sent in the very shapes the local catalog
//! writes (`glue_json::table_json` / `partition_json`), turned into SDK
//! inputs by pure functions. `BatchCreatePartition` takes at most 100
//! partitions per call and `BatchDeletePartition` 25, so both go in chunks
//! ([`in_batches`]); their per-entry errors become one sentence naming the
//! table and the partition. Existence is checked before anything is sent, so
//! a refused statement (an existing partition without `IF NOT EXISTS`, a
//! non-empty database without `CASCADE`) changes nothing. Every write drops
//! what the session cached about what it wrote.

use std::future::Future;

use aws_sdk_glue::types::{
    Column as SdkColumn, DatabaseInput, PartitionError, PartitionInput, PartitionValueList,
    SerDeInfo, StorageDescriptor as SdkStorageDescriptor, TableInput,
};

use super::{GlueCatalog, is_not_found};
use crate::catalog::glue_json::{
    GlueColumn, GluePartition, GlueTable, StorageDescriptor, partition_json, table_json,
};
use crate::catalog::{DatabaseDef, PartitionDef, TableDef, partition_name};
use crate::error::{Error, Result};

/// Glue's limit on partitions per `BatchCreatePartition` call.
pub(crate) const CREATE_BATCH: usize = 100;
/// Glue's limit on partitions per `BatchDeletePartition` call.
pub(crate) const DELETE_BATCH: usize = 25;

impl GlueCatalog {
    /// Forgets what the session cached about a database (and its tables).
    fn forget_database(&self, database: &str) {
        let mut cache = self.cache();
        cache.databases = None;
        cache.tables.remove(database);
        cache.defs.retain(|(d, _), _| d != database);
        cache.partitions.retain(|(d, _, _), _| d != database);
    }

    /// Forgets what the session cached about one table.
    fn forget_table(&self, database: &str, table: &str) {
        let mut cache = self.cache();
        cache.tables.remove(database);
        cache
            .defs
            .remove(&(database.to_string(), table.to_string()));
        cache
            .partitions
            .retain(|(d, t, _), _| !(d == database && t == table));
    }

    /// Forgets a table's cached partitions.
    fn forget_partitions(&self, database: &str, table: &str) {
        self.cache()
            .partitions
            .retain(|(d, t, _), _| !(d == database && t == table));
    }

    pub(super) async fn write_create_database(
        &self,
        database: &DatabaseDef,
        if_not_exists: bool,
    ) -> Result<()> {
        let name = database.name.to_lowercase();
        let input = database_input(database)?;
        let result = self
            .client
            .create_database()
            .set_catalog_id(self.catalog_id.clone())
            .database_input(input)
            .send()
            .await;
        self.forget_database(&name);
        match result {
            Ok(_) => Ok(()),
            Err(e) if has_code(&e, "AlreadyExistsException") => {
                if if_not_exists {
                    Ok(())
                } else {
                    Err(Error::DatabaseExists { database: name })
                }
            }
            Err(e) => Err(self.error(e, &format!("Glue database {name}"))),
        }
    }

    pub(super) async fn write_drop_database(
        &self,
        database: &str,
        if_exists: bool,
        cascade: bool,
    ) -> Result<()> {
        let name = database.to_lowercase();
        self.forget_database(&name);
        let tables = match self.table_names(&name).await {
            Ok(tables) => tables,
            Err(Error::DatabaseNotFound { .. }) if if_exists => return Ok(()),
            Err(e) => return Err(e),
        };
        if !tables.is_empty() && !cascade {
            return Err(Error::DatabaseNotEmpty {
                database: name,
                tables: tables.len(),
            });
        }
        // Glue's DeleteDatabase removes the tables too, but asynchronously;
        // removing them first leaves nothing behind for a database created
        // again under the same name.
        for table in &tables {
            self.write_drop_table(&name, table, true).await?;
        }
        let result = self
            .client
            .delete_database()
            .set_catalog_id(self.catalog_id.clone())
            .name(&name)
            .send()
            .await;
        self.forget_database(&name);
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) && if_exists => Ok(()),
            Err(e) if is_not_found(&e) => Err(self.database_not_found(&name).await),
            Err(e) => Err(self.error(e, &format!("Glue database {name}"))),
        }
    }

    pub(super) async fn write_create_table(
        &self,
        table: &TableDef,
        if_not_exists: bool,
    ) -> Result<bool> {
        check_location(&table.location)?;
        let input = table_input(table)?;
        let send = |input| {
            self.client
                .create_table()
                .set_catalog_id(self.catalog_id.clone())
                .database_name(&table.database)
                .table_input(input)
                .send()
        };
        let mut result = send(input.clone()).await;
        // Athena creates `default` in Glue on first use, so a table created
        // in it on a fresh account works; lathe does the same, creating it
        // only when Glue says it is missing (no extra call otherwise).
        if let Err(e) = &result
            && is_not_found(e)
            && table.database == crate::catalog::DEFAULT_DATABASE
        {
            let default = DatabaseDef {
                name: crate::catalog::DEFAULT_DATABASE.to_string(),
                comment: Some("Default Hive database".to_string()),
                location: None,
                parameters: Default::default(),
            };
            self.write_create_database(&default, true).await?;
            result = send(input).await;
        }
        self.forget_table(&table.database, &table.name);
        match result {
            Ok(_) => Ok(true),
            Err(e) if has_code(&e, "AlreadyExistsException") => {
                if if_not_exists {
                    Ok(false)
                } else {
                    Err(Error::TableExists {
                        name: table.qualified_name(),
                    })
                }
            }
            Err(e) if is_not_found(&e) => Err(self.database_not_found(&table.database).await),
            Err(e) => Err(self.error(e, &format!("Glue table {}", table.qualified_name()))),
        }
    }

    pub(super) async fn write_create_view(&self, view: &TableDef, replace: bool) -> Result<()> {
        let input = table_input(view)?;
        let result = self
            .client
            .create_table()
            .set_catalog_id(self.catalog_id.clone())
            .database_name(&view.database)
            .table_input(input.clone())
            .send()
            .await;
        self.forget_table(&view.database, &view.name);
        let resource = format!("Glue table {}", view.qualified_name());
        match result {
            Ok(_) => Ok(()),
            Err(e) if has_code(&e, "AlreadyExistsException") && replace => {
                let result = self
                    .client
                    .update_table()
                    .set_catalog_id(self.catalog_id.clone())
                    .database_name(&view.database)
                    .table_input(input)
                    .send()
                    .await;
                self.forget_table(&view.database, &view.name);
                result.map(|_| ()).map_err(|e| self.error(e, &resource))
            }
            Err(e) if has_code(&e, "AlreadyExistsException") => Err(Error::TableExists {
                name: view.qualified_name(),
            }),
            Err(e) if is_not_found(&e) => Err(self.database_not_found(&view.database).await),
            Err(e) => Err(self.error(e, &resource)),
        }
    }

    /// See [`crate::catalog::Catalog::commit_iceberg`]: Glue's table is read
    /// afresh, checked, and updated at the version read (Glue refuses an
    /// update of a table changed since that version).
    pub(super) async fn write_commit_iceberg(
        &self,
        table: &TableDef,
        expected: &str,
        new: &str,
    ) -> Result<()> {
        let resource = format!("Glue table {}", table.qualified_name());
        let found = self
            .client
            .get_table()
            .set_catalog_id(self.catalog_id.clone())
            .database_name(&table.database)
            .name(&table.name)
            .send()
            .await
            .map_err(|e| self.error(e, &resource))?;
        let current = found
            .table()
            .and_then(|t| t.parameters())
            .and_then(|p| p.get(crate::iceberg::METADATA_LOCATION))
            .cloned()
            .unwrap_or_default();
        if current != expected {
            return Err(Error::commit_conflict(
                &table.qualified_name(),
                expected,
                &current,
            ));
        }
        let mut updated = table.clone();
        updated
            .parameters
            .insert(crate::iceberg::METADATA_LOCATION.into(), new.into());
        updated
            .parameters
            .insert("previous_metadata_location".into(), expected.into());
        let result = self
            .client
            .update_table()
            .set_catalog_id(self.catalog_id.clone())
            .database_name(&table.database)
            .table_input(table_input(&updated)?)
            .set_version_id(
                found
                    .table()
                    .and_then(|t| t.version_id())
                    .map(str::to_string),
            )
            .send()
            .await;
        self.forget_table(&table.database, &table.name);
        result.map(|_| ()).map_err(|e| self.error(e, &resource))
    }

    pub(super) async fn write_drop_table(
        &self,
        database: &str,
        table: &str,
        if_exists: bool,
    ) -> Result<bool> {
        let (database, table) = (database.to_lowercase(), table.to_lowercase());
        let result = self
            .client
            .delete_table()
            .set_catalog_id(self.catalog_id.clone())
            .database_name(&database)
            .name(&table)
            .send()
            .await;
        self.forget_table(&database, &table);
        match result {
            Ok(_) => Ok(true),
            // As in the local catalog, IF EXISTS also covers a missing database.
            Err(e) if is_not_found(&e) && if_exists => Ok(false),
            Err(e) if is_not_found(&e) => Err(self.table_not_found(&database, &table).await),
            Err(e) => Err(self.error(e, &format!("Glue table {database}.{table}"))),
        }
    }

    /// The values of every partition registered now (not from the cache).
    async fn registered(&self, table: &TableDef) -> Result<Vec<Vec<String>>> {
        self.forget_partitions(&table.database, &table.name);
        let partitions = self.fetch_partitions(table, None).await?;
        Ok(partitions
            .map(|p| p.iter().map(|p| p.values.clone()).collect())
            .unwrap_or_default())
    }

    pub(super) async fn write_add_partitions(
        &self,
        table: &TableDef,
        partitions: &[PartitionDef],
        if_not_exists: bool,
    ) -> Result<usize> {
        let mut registered = self.registered(table).await?;
        let mut inputs = Vec::new();
        for partition in partitions {
            check_arity(table, &partition.values)?;
            check_location(&partition.location)?;
            if registered.contains(&partition.values) {
                if if_not_exists {
                    continue;
                }
                return Err(partition_error(table, &partition.values, "already exists"));
            }
            registered.push(partition.values.clone());
            inputs.push(partition_input(table, partition)?);
        }
        let result = in_batches(&inputs, CREATE_BATCH, |chunk| async move {
            let output = self
                .client
                .batch_create_partition()
                .set_catalog_id(self.catalog_id.clone())
                .database_name(&table.database)
                .table_name(&table.name)
                .set_partition_input_list(Some(chunk))
                .send()
                .await
                .map_err(|e| self.error(e, &format!("Glue table {}", table.qualified_name())))?;
            Ok(output.errors().to_vec())
        })
        .await;
        self.forget_partitions(&table.database, &table.name);
        let errors = result?;
        // A partition registered by someone else since the check above is
        // what IF NOT EXISTS allows.
        if let Some(first) = errors
            .iter()
            .find(|e| !(if_not_exists && entry_code(e) == "AlreadyExistsException"))
        {
            return Err(entry_error(table, first));
        }
        Ok(inputs.len().saturating_sub(errors.len()))
    }

    pub(super) async fn write_drop_partitions(
        &self,
        table: &TableDef,
        values: &[Vec<String>],
        if_exists: bool,
    ) -> Result<usize> {
        let registered = self.registered(table).await?;
        let mut wanted: Vec<Vec<String>> = Vec::new();
        for values in values {
            check_arity(table, values)?;
            if !registered.contains(values) {
                if if_exists {
                    continue;
                }
                return Err(partition_error(table, values, "does not exist"));
            }
            if !wanted.contains(values) {
                wanted.push(values.clone());
            }
        }
        let lists = wanted
            .iter()
            .map(|v| {
                PartitionValueList::builder()
                    .set_values(Some(v.clone()))
                    .build()
                    .map_err(build_error)
            })
            .collect::<Result<Vec<_>>>()?;
        let result = in_batches(&lists, DELETE_BATCH, |chunk| async move {
            let output = self
                .client
                .batch_delete_partition()
                .set_catalog_id(self.catalog_id.clone())
                .database_name(&table.database)
                .table_name(&table.name)
                .set_partitions_to_delete(Some(chunk))
                .send()
                .await
                .map_err(|e| self.error(e, &format!("Glue table {}", table.qualified_name())))?;
            Ok(output.errors().to_vec())
        })
        .await;
        self.forget_partitions(&table.database, &table.name);
        let errors = result?;
        // A partition dropped by someone else since the check above is gone, as asked.
        if let Some(first) = errors
            .iter()
            .find(|e| entry_code(e) != "EntityNotFoundException")
        {
            return Err(entry_error(table, first));
        }
        Ok(lists.len().saturating_sub(errors.len()))
    }
}

/// Sends `items` in chunks of at most `size` (Glue's per-call limit), one
/// call after another, and collects every call's per-entry errors. Stops at
/// the first call that fails as a whole.
pub(crate) async fn in_batches<T, E, F, Fut>(
    items: &[T],
    size: usize,
    mut send: F,
) -> Result<Vec<E>>
where
    T: Clone,
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = Result<Vec<E>>>,
{
    let mut errors = Vec::new();
    for chunk in items.chunks(size.max(1)) {
        errors.extend(send(chunk.to_vec()).await?);
    }
    Ok(errors)
}

fn has_code<E: aws_sdk_glue::error::ProvideErrorMetadata>(
    e: &aws_sdk_glue::error::SdkError<E>,
    code: &str,
) -> bool {
    e.as_service_error().is_some_and(|s| s.code() == Some(code))
}

/// Glue cannot resolve a path relative to a catalog folder: a table's or a
/// partition's location must be a URL.
fn check_location(location: &str) -> Result<()> {
    if location.contains("://") {
        return Ok(());
    }
    Err(Error::UnsupportedLocation {
        location: location.to_string(),
        reason: "a location in Glue must be a URL (s3://bucket/prefix/ or file:///path/); \
                 relative locations work only in a local catalog folder"
            .into(),
    })
}

fn check_arity(table: &TableDef, values: &[String]) -> Result<()> {
    if values.len() == table.partition_keys.len() {
        return Ok(());
    }
    let keys: Vec<&str> = table
        .partition_keys
        .iter()
        .map(|k| k.name.as_str())
        .collect();
    Err(Error::InvalidPartition {
        table: table.qualified_name(),
        reason: format!(
            "a partition needs {} value(s), one per partition key ({}), not {}",
            keys.len(),
            keys.join(", "),
            values.len()
        ),
    })
}

fn partition_error(table: &TableDef, values: &[String], what: &str) -> Error {
    Error::InvalidPartition {
        table: table.qualified_name(),
        reason: format!(
            "partition {} {what}",
            partition_name(&table.partition_keys, values)
        ),
    }
}

fn entry_code(e: &PartitionError) -> &str {
    e.error_detail()
        .and_then(|d| d.error_code())
        .unwrap_or("UnknownError")
}

/// One per-entry error of a Batch* response, as one sentence.
pub(super) fn entry_error(table: &TableDef, e: &PartitionError) -> Error {
    let values = e.partition_values();
    match entry_code(e) {
        "AlreadyExistsException" => partition_error(table, values, "already exists"),
        "EntityNotFoundException" => partition_error(table, values, "does not exist"),
        code => {
            let message = e.error_detail().and_then(|d| d.error_message());
            partition_error(
                table,
                values,
                &format!(
                    "was refused by Glue ({code}{})",
                    message.map(|m| format!(": {m}")).unwrap_or_default()
                ),
            )
        }
    }
}

fn build_error(e: aws_sdk_glue::error::BuildError) -> Error {
    Error::AwsRequest {
        service: "Glue",
        reason: format!("cannot build the request: {e}"),
    }
}

/// A database as Glue's `DatabaseInput`.
fn database_input(database: &DatabaseDef) -> Result<DatabaseInput> {
    DatabaseInput::builder()
        .name(database.name.to_lowercase())
        .set_description(database.comment.clone())
        .set_location_uri(database.location.clone())
        .set_parameters((!database.parameters.is_empty()).then(|| database.parameters.clone()))
        .build()
        .map_err(build_error)
}

/// A table as Glue's `TableInput`, in the shape the local catalog writes.
pub(crate) fn table_input(table: &TableDef) -> Result<TableInput> {
    let json = table_json(table, 0.0);
    let glue: GlueTable = shape(&json["Table"], table)?;
    TableInput::builder()
        .set_name(glue.name)
        .set_description(glue.description)
        .set_table_type(glue.table_type)
        .set_storage_descriptor(glue.storage_descriptor.map(sdk_storage).transpose()?)
        .set_partition_keys(Some(sdk_columns(glue.partition_keys.unwrap_or_default())?))
        .set_parameters(glue.parameters)
        .set_view_original_text(glue.view_original_text)
        .set_view_expanded_text(glue.view_expanded_text)
        .build()
        .map_err(build_error)
}

/// A partition as Glue's `PartitionInput`: the table's storage descriptor
/// with the partition's own location (as Athena writes it).
pub(crate) fn partition_input(
    table: &TableDef,
    partition: &PartitionDef,
) -> Result<PartitionInput> {
    let json = partition_json(table, partition, 0.0);
    let glue: GluePartition = shape(&json, table)?;
    Ok(PartitionInput::builder()
        .set_values(glue.values)
        .set_storage_descriptor(glue.storage_descriptor.map(sdk_storage).transpose()?)
        .build())
}

/// The Glue JSON shape read back into its typed form.
fn shape<T: serde::de::DeserializeOwned>(json: &serde_json::Value, table: &TableDef) -> Result<T> {
    serde_json::from_value(json.clone()).map_err(|e| Error::InvalidStatement {
        statement: format!("CREATE TABLE {}", table.qualified_name()),
        reason: format!("the table cannot be put in Glue's shape: {e}"),
    })
}

fn sdk_storage(sd: StorageDescriptor) -> Result<SdkStorageDescriptor> {
    Ok(SdkStorageDescriptor::builder()
        .set_columns(Some(sdk_columns(sd.columns.unwrap_or_default())?))
        .set_location(sd.location)
        .set_input_format(sd.input_format)
        .set_output_format(sd.output_format)
        .set_serde_info(sd.serde_info.map(|s| {
            SerDeInfo::builder()
                .set_serialization_library(s.serialization_library)
                .set_parameters(s.parameters)
                .build()
        }))
        .set_parameters(sd.parameters)
        .build())
}

fn sdk_columns(columns: Vec<GlueColumn>) -> Result<Vec<SdkColumn>> {
    columns
        .into_iter()
        .map(|c| {
            SdkColumn::builder()
                .set_name(c.name)
                .set_type(c.type_string)
                .set_comment(c.comment)
                .build()
                .map_err(build_error)
        })
        .collect()
}
