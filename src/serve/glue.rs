//! The Glue API (`X-Amz-Target: AWSGlue.*`) over the catalog backend (the
//! local folder, or real Glue behind it): databases, tables (views too),
//! partitions with `GetPartitions`' expressions, and table versions (one,
//! the current: neither backend keeps history). Errors are Glue's:
//! `EntityNotFoundException`, `AlreadyExistsException`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::common::DFSchema;
use datafusion::prelude::SessionContext;
use serde_json::{Value, json};

use super::protocol::{ApiError, catalog_error, opt_int, opt_string, page, string, with_token};
use super::{ACCOUNT_ID, State};
use crate::catalog::glue_json::{GluePartition, GlueTable, partition_json, table_json};
use crate::catalog::{DatabaseDef, PartitionDef, TableDef};

/// Answers one Glue operation.
pub(super) async fn call(
    state: &Arc<State>,
    operation: &str,
    input: &Value,
) -> Result<Value, ApiError> {
    let catalog = &state.catalog;
    match operation {
        "GetDatabases" => {
            let names = catalog.databases().await.map_err(|e| catalog_error(&e))?;
            let max = opt_int(input, "MaxResults", 1, 100)?.unwrap_or(100) as usize;
            let (names, next) = page(&names, input, max)?;
            let list: Vec<Value> = names.iter().map(|n| database_json(n)).collect();
            Ok(with_token(json!({ "DatabaseList": list }), next))
        }
        "GetDatabase" => {
            let name = database_name(state, string(input, "Name")?).await?;
            Ok(json!({ "Database": database_json(&name) }))
        }
        "CreateDatabase" => {
            let db = input.get("DatabaseInput").cloned().unwrap_or(Value::Null);
            let name = string(&db, "Name")?;
            let parameters: HashMap<String, String> = db
                .get("Parameters")
                .and_then(|p| serde_json::from_value(p.clone()).ok())
                .unwrap_or_default();
            let def = DatabaseDef {
                name: name.to_lowercase(),
                comment: opt_string(&db, "Description")?.map(str::to_string),
                location: opt_string(&db, "LocationUri")?.map(str::to_string),
                parameters,
            };
            catalog
                .create_database(&def, false)
                .await
                .map_err(|e| catalog_error(&e))?;
            Ok(json!({}))
        }
        "DeleteDatabase" => {
            let name = database_name(state, string(input, "Name")?).await?;
            // Glue deletes a database's tables with it.
            catalog
                .drop_database(&name, false, true)
                .await
                .map_err(|e| catalog_error(&e))?;
            Ok(json!({}))
        }
        "GetTables" => {
            let database = database_name(state, string(input, "DatabaseName")?).await?;
            let mut names = catalog
                .tables(&database)
                .await
                .map_err(|e| catalog_error(&e))?;
            if let Some(expression) = opt_string(input, "Expression")? {
                let pattern = name_pattern(expression)?;
                names.retain(|n| pattern.is_match(n));
            }
            let max = opt_int(input, "MaxResults", 1, 100)?.unwrap_or(100) as usize;
            let (names, next) = page(&names, input, max)?;
            let mut list = Vec::new();
            for name in names {
                list.push(table_value(&*table(state, &database, &name).await?));
            }
            Ok(with_token(json!({ "TableList": list }), next))
        }
        "GetTable" => {
            let def = table(
                state,
                string(input, "DatabaseName")?,
                string(input, "Name")?,
            )
            .await?;
            Ok(json!({ "Table": table_value(&def) }))
        }
        "CreateTable" | "UpdateTable" => {
            let database = database_name(state, string(input, "DatabaseName")?).await?;
            let def = table_input(input, &database)?;
            if operation == "CreateTable" {
                create(state, &def, false).await?;
            } else {
                let old = table(state, &database, &def.name).await?;
                if old.is_view() && def.is_view() {
                    create(state, &def, true).await?;
                } else {
                    // Neither backend updates in place: the entry is
                    // replaced, its registered partitions kept.
                    let partitions = catalog
                        .partitions(&old)
                        .await
                        .map_err(|e| catalog_error(&e))?;
                    catalog
                        .drop_table(&database, &def.name, false)
                        .await
                        .map_err(|e| catalog_error(&e))?;
                    create(state, &def, false).await?;
                    if let Some(partitions) = partitions.filter(|p| !p.is_empty()) {
                        catalog
                            .add_partitions(&def, &partitions, true)
                            .await
                            .map_err(|e| catalog_error(&e))?;
                    }
                }
            }
            Ok(json!({}))
        }
        "DeleteTable" => {
            let database = database_name(state, string(input, "DatabaseName")?).await?;
            let name = string(input, "Name")?;
            catalog
                .drop_table(&database, &name.to_lowercase(), false)
                .await
                .map_err(|e| catalog_error(&e))?;
            Ok(json!({}))
        }
        "BatchDeleteTable" => {
            let database = database_name(state, string(input, "DatabaseName")?).await?;
            let names = super::protocol::opt_strings(input, "TablesToDelete")?.unwrap_or_default();
            let mut errors = Vec::new();
            for name in names {
                if let Err(e) = catalog
                    .drop_table(&database, &name.to_lowercase(), false)
                    .await
                {
                    let e = catalog_error(&e);
                    errors.push(json!({
                        "TableName": name,
                        "ErrorDetail": { "ErrorCode": e.code, "ErrorMessage": e.message },
                    }));
                }
            }
            Ok(json!({ "Errors": errors }))
        }
        "GetTableVersions" => {
            let def = table(
                state,
                string(input, "DatabaseName")?,
                string(input, "TableName")?,
            )
            .await?;
            Ok(json!({ "TableVersions": [{ "Table": table_value(&def), "VersionId": "0" }] }))
        }
        "GetTableVersion" => {
            let def = table(
                state,
                string(input, "DatabaseName")?,
                string(input, "TableName")?,
            )
            .await?;
            match opt_string(input, "VersionId")? {
                None | Some("0") => {
                    Ok(json!({ "TableVersion": { "Table": table_value(&def), "VersionId": "0" } }))
                }
                Some(v) => Err(ApiError::not_found(format!(
                    "version {v} of {} does not exist; lathe's catalogs keep only the current version, 0",
                    def.qualified_name()
                ))),
            }
        }
        "DeleteTableVersion" | "BatchDeleteTableVersion" => {
            let def = table(
                state,
                string(input, "DatabaseName")?,
                string(input, "TableName")?,
            )
            .await?;
            let versions = match input.get("VersionIds") {
                Some(_) => super::protocol::opt_strings(input, "VersionIds")?.unwrap_or_default(),
                None => vec![string(input, "VersionId")?.to_string()],
            };
            let mut errors = Vec::new();
            for version in versions {
                let message = if version == "0" {
                    format!(
                        "version 0 is the current version of {}; it cannot be deleted",
                        def.qualified_name()
                    )
                } else {
                    format!(
                        "version {version} of {} does not exist",
                        def.qualified_name()
                    )
                };
                if operation == "DeleteTableVersion" {
                    return Err(ApiError::invalid_input(message));
                }
                errors.push(json!({
                    "TableName": def.name, "VersionId": version,
                    "ErrorDetail": { "ErrorCode": "EntityNotFoundException", "ErrorMessage": message },
                }));
            }
            Ok(json!({ "Errors": errors }))
        }
        "GetPartitions" => {
            let def = table(
                state,
                string(input, "DatabaseName")?,
                string(input, "TableName")?,
            )
            .await?;
            let mut partitions = registered(state, &def).await?;
            if let Some(expression) =
                opt_string(input, "Expression")?.filter(|e| !e.trim().is_empty())
            {
                let keep = matching(&def, &partitions, expression)?;
                partitions = partitions
                    .into_iter()
                    .zip(keep)
                    .filter_map(|(p, k)| k.then_some(p))
                    .collect();
            }
            let max = opt_int(input, "MaxResults", 1, 1000)?.unwrap_or(1000) as usize;
            let (partitions, next) = page(&partitions, input, max)?;
            let list: Vec<Value> = partitions
                .iter()
                .map(|p| partition_value(&def, p))
                .collect();
            Ok(with_token(json!({ "Partitions": list }), next))
        }
        "GetPartition" => {
            let def = table(
                state,
                string(input, "DatabaseName")?,
                string(input, "TableName")?,
            )
            .await?;
            let values = values(input, "PartitionValues")?;
            let found = registered(state, &def)
                .await?
                .into_iter()
                .find(|p| p.values == values)
                .ok_or_else(|| no_partition(&def, &values))?;
            Ok(json!({ "Partition": partition_value(&def, &found) }))
        }
        "BatchGetPartition" => {
            let def = table(
                state,
                string(input, "DatabaseName")?,
                string(input, "TableName")?,
            )
            .await?;
            let all = registered(state, &def).await?;
            let mut found = Vec::new();
            let mut missing = Vec::new();
            for wanted in input
                .get("PartitionsToGet")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let values = values(wanted, "Values")?;
                match all.iter().find(|p| p.values == values) {
                    Some(p) => found.push(partition_value(&def, p)),
                    None => missing.push(json!({ "Values": values })),
                }
            }
            Ok(json!({ "Partitions": found, "UnprocessedKeys": missing }))
        }
        "CreatePartition" | "BatchCreatePartition" => {
            let def = table(
                state,
                string(input, "DatabaseName")?,
                string(input, "TableName")?,
            )
            .await?;
            let inputs: Vec<Value> = match input.get("PartitionInputList") {
                Some(Value::Array(list)) => list.clone(),
                _ => vec![input.get("PartitionInput").cloned().unwrap_or(Value::Null)],
            };
            let mut errors = Vec::new();
            for (i, partition) in inputs.iter().enumerate() {
                let result = match partition_input(&def, partition, i) {
                    Ok(p) => catalog
                        .add_partitions(&def, std::slice::from_ref(&p), false)
                        .await
                        .map_err(|e| partition_error(&e, &def, &p.values)),
                    Err(e) => Err(e),
                };
                if let Err(e) = result {
                    if operation == "CreatePartition" {
                        return Err(e);
                    }
                    errors.push(json!({
                        "PartitionValues": partition.get("Values").cloned().unwrap_or(Value::Null),
                        "ErrorDetail": { "ErrorCode": e.code, "ErrorMessage": e.message },
                    }));
                }
            }
            Ok(json!({ "Errors": errors }))
        }
        "DeletePartition" | "BatchDeletePartition" => {
            let def = table(
                state,
                string(input, "DatabaseName")?,
                string(input, "TableName")?,
            )
            .await?;
            let wanted: Vec<Vec<String>> = match input.get("PartitionsToDelete") {
                Some(Value::Array(list)) => list
                    .iter()
                    .map(|p| values(p, "Values"))
                    .collect::<Result<_, _>>()?,
                _ => vec![values(input, "PartitionValues")?],
            };
            let mut errors = Vec::new();
            for values in wanted {
                if let Err(e) = catalog
                    .drop_partitions(&def, std::slice::from_ref(&values), false)
                    .await
                    .map_err(|e| partition_error(&e, &def, &values))
                {
                    if operation == "DeletePartition" {
                        return Err(e);
                    }
                    errors.push(json!({
                        "PartitionValues": values,
                        "ErrorDetail": { "ErrorCode": e.code, "ErrorMessage": e.message },
                    }));
                }
            }
            Ok(json!({ "Errors": errors }))
        }
        _ => Err(ApiError::unknown_operation(&format!("AWSGlue.{operation}"))),
    }
}

fn database_json(name: &str) -> Value {
    json!({ "Name": name, "CatalogId": ACCOUNT_ID, "Parameters": {}, "CreateTime": 0 })
}

/// The catalog's spelling of a database, or Glue's not-found error.
async fn database_name(state: &State, name: &str) -> Result<String, ApiError> {
    let names = state
        .catalog
        .databases()
        .await
        .map_err(|e| catalog_error(&e))?;
    names
        .into_iter()
        .find(|n| n.eq_ignore_ascii_case(name))
        .ok_or_else(|| ApiError::not_found(format!("Database {name} not found.")))
}

async fn table(state: &State, database: &str, name: &str) -> Result<Arc<TableDef>, ApiError> {
    state
        .catalog
        .table(database, name)
        .await
        .map_err(|e| catalog_error(&e))
}

async fn create(state: &State, def: &TableDef, replace: bool) -> Result<(), ApiError> {
    let result = if def.is_view() {
        state.catalog.create_view(def, replace).await
    } else {
        state.catalog.create_table(def, false).await.map(|_| ())
    };
    result.map_err(|e| catalog_error(&e))
}

/// A table in Glue's `Table` shape.
fn table_value(def: &TableDef) -> Value {
    let mut table = table_json(def, 0.0)["Table"].take();
    table["CatalogId"] = json!(ACCOUNT_ID);
    table["IsRegisteredWithLakeFormation"] = json!(false);
    // The one version the backends keep (dbt-athena reads it to expire old ones).
    table["VersionId"] = json!("0");
    table
}

fn partition_value(def: &TableDef, partition: &PartitionDef) -> Value {
    let mut value = partition_json(def, partition, 0.0);
    value["CatalogId"] = json!(ACCOUNT_ID);
    value
}

/// A `TableInput`, checked by the catalog loader's own rules.
fn table_input(input: &Value, database: &str) -> Result<TableDef, ApiError> {
    let table = input
        .get("TableInput")
        .cloned()
        .ok_or_else(|| ApiError::invalid_input("TableInput is required"))?;
    let glue: GlueTable = serde_json::from_value(table)
        .map_err(|e| ApiError::invalid_input(format!("TableInput is not a Glue table: {e}")))?;
    let name = glue
        .name
        .clone()
        .ok_or_else(|| ApiError::invalid_input("TableInput.Name is required"))?
        .to_lowercase();
    let mut glue = glue;
    glue.name = Some(name.clone());
    glue.into_table_def(Path::new("TableInput"), database, &name)
        .map_err(|e| ApiError::invalid_input(e.user_message()))
}

/// A `PartitionInput`, checked against the table's keys.
fn partition_input(def: &TableDef, input: &Value, index: usize) -> Result<PartitionDef, ApiError> {
    let glue: GluePartition = serde_json::from_value(input.clone()).map_err(|e| {
        ApiError::invalid_input(format!("PartitionInput is not a Glue partition: {e}"))
    })?;
    glue.into_partition_def(Path::new("PartitionInputList"), index, def)
        .map_err(|e| ApiError::invalid_input(e.user_message()))
}

async fn registered(state: &State, def: &TableDef) -> Result<Vec<PartitionDef>, ApiError> {
    Ok(state
        .catalog
        .partitions(def)
        .await
        .map_err(|e| catalog_error(&e))?
        .map(|p| p.as_ref().clone())
        .unwrap_or_default())
}

fn values(input: &Value, field: &str) -> Result<Vec<String>, ApiError> {
    super::protocol::opt_strings(input, field)?
        .ok_or_else(|| ApiError::invalid_input(format!("{field} is required")))
}

fn no_partition(def: &TableDef, values: &[String]) -> ApiError {
    ApiError::not_found(format!(
        "partition {} of {} does not exist",
        crate::catalog::partition_name(&def.partition_keys, values),
        def.qualified_name()
    ))
}

fn partition_error(e: &crate::error::Error, def: &TableDef, values: &[String]) -> ApiError {
    let message = e.user_message();
    if message.contains("already") {
        ApiError::exists(message)
    } else if message.contains("not registered") || message.contains("does not exist") {
        no_partition(def, values)
    } else {
        catalog_error(e)
    }
}

/// Glue's table-name pattern: a regular expression where `*` also means
/// "anything".
fn name_pattern(expression: &str) -> Result<regex::Regex, ApiError> {
    let pattern = expression.replace(".*", "*").replace('*', ".*");
    regex::Regex::new(&format!("(?i)^(?:{pattern})$")).map_err(|e| {
        ApiError::invalid_input(format!("Expression {expression:?} is not a pattern: {e}"))
    })
}

/// Which partitions satisfy a `GetPartitions` expression (SQL over the
/// partition keys, e.g. `year = '2024' AND month > 4`), evaluated by
/// DataFusion over the partition values in their keys' types.
fn matching(
    def: &TableDef,
    partitions: &[PartitionDef],
    expression: &str,
) -> Result<Vec<bool>, ApiError> {
    let bad = |e: &dyn std::fmt::Display| {
        ApiError::invalid_input(format!(
            "Expression {expression:?} is not a condition on the partition keys of {}: {e}",
            def.qualified_name()
        ))
    };
    let fields: Vec<Field> = def
        .partition_keys
        .iter()
        .map(|k| Field::new(&k.name, k.data_type.clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let columns: Vec<ArrayRef> = def
        .partition_keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let text: StringArray = partitions
                .iter()
                .map(|p| p.values.get(i).map(String::as_str))
                .collect();
            cast(&text, &key.data_type).map_err(|e| bad(&e))
        })
        .collect::<Result<_, _>>()?;
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns).map_err(|e| bad(&e))?;
    let df_schema = DFSchema::try_from(schema.as_ref().clone()).map_err(|e| bad(&e))?;
    let ctx = SessionContext::new();
    let expr = ctx
        .parse_sql_expr(expression, &df_schema)
        .map_err(|e| bad(&e))?;
    let physical = ctx
        .create_physical_expr(expr, &df_schema)
        .map_err(|e| bad(&e))?;
    let result = physical
        .evaluate(&batch)
        .and_then(|v| v.into_array(batch.num_rows()))
        .map_err(|e| bad(&e))?;
    let mask = result
        .as_any()
        .downcast_ref::<BooleanArray>()
        .ok_or_else(|| bad(&"it is not a condition"))?;
    Ok((0..mask.len())
        .map(|i| mask.is_valid(i) && mask.value(i))
        .collect())
}
