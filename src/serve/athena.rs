//! The Athena API (`X-Amz-Target: AmazonAthena.*`): the calls and fields
//! PyAthena, awswrangler, dbt-athena and the AWS CLI read. One workgroup,
//! `primary`, and one data catalog, `AwsDataCatalog` (the catalog lathe
//! serves); named queries are the `queries/` folder's files (a named
//! query's id is its name); prepared statements are kept per workgroup.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};

use super::protocol::{ApiError, opt_int, opt_string, opt_strings, page, string, with_token};
use super::queries::{self, QueryRequest, QueryState};
use super::results;
use super::{RESULTS_BUCKET, State};
use crate::catalog::TableDef;

mod prepared;
mod rest;

pub(crate) use prepared::PreparedStatements;
use prepared::no_prepared;
pub(super) use rest::rest_route;

/// The only workgroup.
pub(crate) const WORKGROUP: &str = "primary";
/// The only data catalog: the one lathe serves.
pub(crate) const DATA_CATALOG: &str = "AwsDataCatalog";

/// Answers one Athena operation.
pub(super) async fn call(
    state: &Arc<State>,
    operation: &str,
    input: &Value,
) -> Result<Value, ApiError> {
    match operation {
        "StartQueryExecution" => start_query_execution(state, input),
        "GetQueryExecution" => {
            let id = string(input, "QueryExecutionId")?;
            let execution = state
                .queries
                .with(id, |e| e.describe())
                .ok_or_else(|| no_execution(id))?;
            Ok(json!({ "QueryExecution": execution }))
        }
        "BatchGetQueryExecution" => {
            let ids = opt_strings(input, "QueryExecutionIds")?.unwrap_or_default();
            if ids.is_empty() || ids.len() > 50 {
                return Err(ApiError::invalid(
                    "QueryExecutionIds must name 1 to 50 queries",
                ));
            }
            let mut found = Vec::new();
            let mut missing = Vec::new();
            for id in &ids {
                match state.queries.with(id, |e| e.describe()) {
                    Some(e) => found.push(e),
                    None => missing.push(json!({
                        "QueryExecutionId": id,
                        "ErrorCode": "INVALID_INPUT",
                        "ErrorMessage": format!("QueryExecution {id} was not found"),
                    })),
                }
            }
            Ok(json!({ "QueryExecutions": found, "UnprocessedQueryExecutionIds": missing }))
        }
        "ListQueryExecutions" => {
            let workgroup = workgroup(input)?;
            let max = opt_int(input, "MaxResults", 0, 50)?.unwrap_or(50) as usize;
            let (ids, next) = page(&state.queries.ids(workgroup), input, max)?;
            Ok(with_token(json!({ "QueryExecutionIds": ids }), next))
        }
        "StopQueryExecution" => {
            let id = string(input, "QueryExecutionId")?;
            if !state.queries.cancel(id) {
                return Err(no_execution(id));
            }
            Ok(json!({}))
        }
        "GetQueryResults" => get_query_results(state, input),
        "GetWorkGroup" => {
            let name = string(input, "WorkGroup")?;
            check_workgroup(name)?;
            Ok(json!({ "WorkGroup": workgroup_json() }))
        }
        "ListWorkGroups" => Ok(json!({
            "WorkGroups": [{
                "Name": WORKGROUP,
                "State": "ENABLED",
                "Description": "lathe serve's workgroup",
                "CreationTime": 0,
                "EngineVersion": engine_version(),
            }]
        })),
        "ListDataCatalogs" => Ok(json!({
            "DataCatalogsSummary": [{ "CatalogName": DATA_CATALOG, "Type": "GLUE", "Status": "CREATE_COMPLETE" }]
        })),
        "GetDataCatalog" => {
            check_catalog(string(input, "Name")?)?;
            Ok(json!({
                "DataCatalog": {
                    "Name": DATA_CATALOG,
                    "Description": "The catalog lathe serves",
                    "Type": "GLUE",
                    "Parameters": { "catalog-id": super::ACCOUNT_ID },
                    "Status": "CREATE_COMPLETE",
                }
            }))
        }
        "ListDatabases" => {
            check_catalog(string(input, "CatalogName")?)?;
            let names = state
                .catalog
                .databases()
                .await
                .map_err(|e| ApiError::internal(e.user_message()))?;
            let max = opt_int(input, "MaxResults", 1, 50)?.unwrap_or(50) as usize;
            let (names, next) = page(&names, input, max)?;
            let list: Vec<Value> = names
                .iter()
                .map(|n| json!({ "Name": n, "Parameters": {} }))
                .collect();
            Ok(with_token(json!({ "DatabaseList": list }), next))
        }
        "GetDatabase" => {
            check_catalog(string(input, "CatalogName")?)?;
            let name = string(input, "DatabaseName")?;
            let names = state
                .catalog
                .databases()
                .await
                .map_err(|e| ApiError::internal(e.user_message()))?;
            let found = names
                .iter()
                .find(|n| n.eq_ignore_ascii_case(name))
                .ok_or_else(|| ApiError::metadata(format!("Database {name} was not found")))?;
            Ok(json!({ "Database": { "Name": found, "Parameters": {} } }))
        }
        "ListTableMetadata" => list_table_metadata(state, input).await,
        "GetTableMetadata" => {
            check_catalog(string(input, "CatalogName")?)?;
            let database = string(input, "DatabaseName")?;
            let table = string(input, "TableName")?;
            let def = state
                .catalog
                .table(database, table)
                .await
                .map_err(|e| metadata_error(&e))?;
            Ok(json!({ "TableMetadata": table_metadata(&def) }))
        }
        "CreateNamedQuery" | "UpdateNamedQuery" => save_named_query(state, operation, input),
        "GetNamedQuery" => {
            let id = string(input, "NamedQueryId")?;
            Ok(json!({ "NamedQuery": named_query(state, id)? }))
        }
        "BatchGetNamedQuery" => {
            let ids = opt_strings(input, "NamedQueryIds")?.unwrap_or_default();
            let mut found = Vec::new();
            let mut missing = Vec::new();
            for id in &ids {
                match named_query(state, id) {
                    Ok(q) => found.push(q),
                    Err(e) => missing.push(json!({
                        "NamedQueryId": id, "ErrorCode": "INVALID_INPUT", "ErrorMessage": e.message
                    })),
                }
            }
            Ok(json!({ "NamedQueries": found, "UnprocessedNamedQueryIds": missing }))
        }
        "ListNamedQueries" => {
            workgroup(input)?;
            let max = opt_int(input, "MaxResults", 0, 50)?.unwrap_or(50) as usize;
            let (ids, next) = page(&named_query_names(state), input, max)?;
            Ok(with_token(json!({ "NamedQueryIds": ids }), next))
        }
        "DeleteNamedQuery" => {
            let id = string(input, "NamedQueryId")?;
            let path = named_query_path(state, id)?;
            std::fs::remove_file(&path).map_err(|_| no_named_query(id))?;
            Ok(json!({}))
        }
        "CreatePreparedStatement" | "UpdatePreparedStatement" => {
            let name = string(input, "StatementName")?;
            let workgroup = string(input, "WorkGroup")?;
            check_workgroup(workgroup)?;
            let statement = string(input, "QueryStatement")?;
            let description = opt_string(input, "Description")?.map(str::to_string);
            let creating = operation == "CreatePreparedStatement";
            state
                .prepared
                .save(workgroup, name, statement, description, creating)?;
            Ok(json!({}))
        }
        "GetPreparedStatement" => {
            let name = string(input, "StatementName")?;
            let workgroup = string(input, "WorkGroup")?;
            let statement = state
                .prepared
                .get(workgroup, name)
                .ok_or_else(|| no_prepared(name, workgroup))?;
            Ok(json!({ "PreparedStatement": statement }))
        }
        "BatchGetPreparedStatement" => {
            let workgroup = string(input, "WorkGroup")?;
            let names = opt_strings(input, "PreparedStatementNames")?.unwrap_or_default();
            let mut found = Vec::new();
            let mut missing = Vec::new();
            for name in &names {
                match state.prepared.get(workgroup, name) {
                    Some(s) => found.push(s),
                    None => missing.push(json!({
                        "StatementName": name,
                        "ErrorCode": "INVALID_INPUT",
                        "ErrorMessage": no_prepared(name, workgroup).message,
                    })),
                }
            }
            Ok(json!({ "PreparedStatements": found, "UnprocessedPreparedStatementNames": missing }))
        }
        "ListPreparedStatements" => {
            let workgroup = string(input, "WorkGroup")?;
            let max = opt_int(input, "MaxResults", 1, 50)?.unwrap_or(50) as usize;
            let (items, next) = page(&state.prepared.summaries(workgroup), input, max)?;
            Ok(with_token(json!({ "PreparedStatements": items }), next))
        }
        "DeletePreparedStatement" => {
            let name = string(input, "StatementName")?;
            let workgroup = string(input, "WorkGroup")?;
            if !state.prepared.delete(workgroup, name) {
                return Err(no_prepared(name, workgroup));
            }
            Ok(json!({}))
        }
        _ => Err(ApiError::unknown_operation(&format!(
            "AmazonAthena.{operation}"
        ))),
    }
}

fn start_query_execution(state: &Arc<State>, input: &Value) -> Result<Value, ApiError> {
    let query = string(input, "QueryString")?;
    if query.trim().is_empty() {
        return Err(ApiError::invalid("QueryString is empty"));
    }
    let workgroup = workgroup(input)?.to_string();
    let context = input
        .get("QueryExecutionContext")
        .cloned()
        .unwrap_or(Value::Null);
    let database = opt_string(&context, "Database")?.map(str::to_string);
    let catalog = opt_string(&context, "Catalog")?.unwrap_or(DATA_CATALOG);
    check_catalog(catalog)?;
    let configured = input
        .get("ResultConfiguration")
        .cloned()
        .unwrap_or(Value::Null);
    let output_location = match opt_string(&configured, "OutputLocation")? {
        Some(location) if !location.contains("://") => {
            return Err(ApiError::invalid(format!(
                "OutputLocation {location:?} is not a location such as s3://bucket/prefix/"
            )));
        }
        Some(location) if location.ends_with('/') => location.to_string(),
        Some(location) => format!("{location}/"),
        None => default_output_location(),
    };
    let parameters = opt_strings(input, "ExecutionParameters")?.unwrap_or_default();
    let request = QueryRequest {
        query: query.to_string(),
        database,
        catalog: DATA_CATALOG.to_string(),
        workgroup,
        output_location,
        parameters,
        client_token: opt_string(input, "ClientRequestToken")?.map(str::to_string),
    };
    let id = queries::start(state, request);
    Ok(json!({ "QueryExecutionId": id }))
}

fn get_query_results(state: &Arc<State>, input: &Value) -> Result<Value, ApiError> {
    let id = string(input, "QueryExecutionId")?;
    let max = opt_int(input, "MaxResults", 1, 1000)?.unwrap_or(1000) as usize;
    let (query_state, reason, result) = state
        .queries
        .with(id, |e| (e.state, e.reason.clone(), e.result.clone()))
        .ok_or_else(|| no_execution(id))?;
    let result = match (query_state, result) {
        (QueryState::Succeeded, Some(result)) => result,
        (QueryState::Queued | QueryState::Running, _) => {
            return Err(ApiError::invalid(format!(
                "Query has not yet finished. Current state: {}",
                query_state.name()
            )));
        }
        _ => {
            return Err(ApiError::invalid(format!(
                "Query did not finish successfully. Final query state: {}{}",
                query_state.name(),
                reason.map(|r| format!("\n{r}")).unwrap_or_default()
            )));
        }
    };
    // Row positions count the label row, as Athena's pages do.
    let offset = usize::from(result.header);
    let total = result.rows.len() + offset;
    let start = match opt_string(input, "NextToken")? {
        Some(token) => token
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= total)
            .ok_or_else(|| ApiError::invalid(format!("NextToken {token:?} is not valid")))?,
        None => 0,
    };
    let end = (start + max).min(total);
    let mut rows = Vec::with_capacity(end - start);
    for position in start..end {
        if result.header && position == 0 {
            let labels: Vec<Option<String>> = result
                .schema
                .fields()
                .iter()
                .map(|f| Some(f.name().clone()))
                .collect();
            rows.push(results::row(&labels));
        } else {
            rows.push(results::row(&result.rows[position - offset]));
        }
    }
    let mut out = json!({
        "UpdateCount": result.update_count.unwrap_or(0),
        "ResultSet": {
            "Rows": rows,
            "ResultSetMetadata": { "ColumnInfo": results::columns_info(&result.schema) },
        },
    });
    if end < total {
        out["NextToken"] = json!(end.to_string());
    }
    Ok(out)
}

async fn list_table_metadata(state: &Arc<State>, input: &Value) -> Result<Value, ApiError> {
    check_catalog(string(input, "CatalogName")?)?;
    let database = string(input, "DatabaseName")?;
    let max = opt_int(input, "MaxResults", 1, 50)?.unwrap_or(50) as usize;
    let names = state
        .catalog
        .tables(database)
        .await
        .map_err(|e| metadata_error(&e))?;
    let names: Vec<String> = match opt_string(input, "Expression")? {
        Some(expression) => {
            let pattern =
                regex::Regex::new(&format!("(?i)^(?:{})$", expression.replace('*', ".*")))
                    .map_err(|e| {
                        ApiError::invalid(format!(
                            "Expression {expression:?} is not a pattern: {e}"
                        ))
                    })?;
            names.into_iter().filter(|n| pattern.is_match(n)).collect()
        }
        None => names,
    };
    let (names, next) = page(&names, input, max)?;
    let mut list = Vec::new();
    for name in names {
        let def = state
            .catalog
            .table(database, &name)
            .await
            .map_err(|e| metadata_error(&e))?;
        list.push(table_metadata(&def));
    }
    Ok(with_token(json!({ "TableMetadataList": list }), next))
}

/// Athena's `TableMetadata`: the columns with their Hive types, and the
/// storage facts as the parameters Athena reports them under.
fn table_metadata(def: &TableDef) -> Value {
    let columns = |cols: &[crate::catalog::Column]| -> Vec<Value> {
        cols.iter()
            .map(|c| {
                let mut column = json!({ "Name": c.name, "Type": c.type_string });
                if let Some(comment) = &c.comment {
                    column["Comment"] = json!(comment);
                }
                column
            })
            .collect()
    };
    let mut parameters: BTreeMap<String, String> = def
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !def.is_view() {
        parameters.insert("EXTERNAL".into(), "TRUE".into());
        parameters.insert("location".into(), def.location.clone());
        let classes = crate::catalog::glue_json::written_classes(def);
        if let Some(input) = classes.input_format {
            parameters.insert("inputformat".into(), input);
        }
        if let Some(output) = classes.output_format {
            parameters.insert("outputformat".into(), output);
        }
        if let Some(serde) = classes.serde {
            parameters.insert("serde.serialization.lib".into(), serde);
        }
        for (k, v) in &def.serde_parameters {
            parameters.insert(format!("serde.param.{k}"), v.clone());
        }
    }
    if let Some(comment) = &def.comment {
        parameters.insert("comment".into(), comment.clone());
    }
    json!({
        "Name": def.name,
        "CreateTime": 0,
        "TableType": if def.is_view() { "VIRTUAL_VIEW" } else { "EXTERNAL_TABLE" },
        "Columns": columns(&def.columns),
        "PartitionKeys": columns(&def.partition_keys),
        "Parameters": parameters,
    })
}

fn metadata_error(e: &crate::error::Error) -> ApiError {
    match e {
        crate::error::Error::DatabaseNotFound { .. }
        | crate::error::Error::TableNotFound { .. } => ApiError::metadata(e.user_message()),
        _ => ApiError::internal(e.user_message()),
    }
}

/// The workgroup a call names (`primary` when it names none).
fn workgroup(input: &Value) -> Result<&str, ApiError> {
    let name = opt_string(input, "WorkGroup")?.unwrap_or(WORKGROUP);
    check_workgroup(name)?;
    Ok(name)
}

fn check_workgroup(name: &str) -> Result<(), ApiError> {
    if name == WORKGROUP {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "WorkGroup {name} is not found; lathe serve has one workgroup, {WORKGROUP}"
        )))
    }
}

fn check_catalog(name: &str) -> Result<(), ApiError> {
    if name.eq_ignore_ascii_case(DATA_CATALOG) {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "Catalog {name} is not found; lathe serve has one data catalog, {DATA_CATALOG}"
        )))
    }
}

fn default_output_location() -> String {
    format!("s3://{RESULTS_BUCKET}/")
}

fn engine_version() -> Value {
    json!({
        "SelectedEngineVersion": "AUTO",
        "EffectiveEngineVersion": "Athena engine version 3"
    })
}

fn workgroup_json() -> Value {
    json!({
        "Name": WORKGROUP,
        "State": "ENABLED",
        "Description": "lathe serve's workgroup",
        "CreationTime": 0,
        "Configuration": {
            "ResultConfiguration": { "OutputLocation": default_output_location() },
            "EnforceWorkGroupConfiguration": false,
            "PublishCloudWatchMetricsEnabled": false,
            "RequesterPaysEnabled": false,
            "EngineVersion": engine_version(),
        },
    })
}

fn no_execution(id: &str) -> ApiError {
    ApiError::invalid(format!("QueryExecution {id} was not found"))
        .with_athena_code("INVALID_INPUT")
}

// Named queries: the `queries/` folder.

fn named_query_path(state: &State, id: &str) -> Result<PathBuf, ApiError> {
    let valid = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(ApiError::invalid(format!(
            "named query {id:?} is not a name of letters, digits, _ and -"
        )));
    }
    Ok(state.options.queries_dir.join(format!("{id}.sql")))
}

fn no_named_query(id: &str) -> ApiError {
    ApiError::invalid(format!("NamedQuery {id} was not found")).with_athena_code("INVALID_INPUT")
}

fn named_query_names(state: &State) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(&state.options.queries_dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    e.file_name()
                        .into_string()
                        .ok()?
                        .strip_suffix(".sql")
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn named_query(state: &State, id: &str) -> Result<Value, ApiError> {
    let path = named_query_path(state, id)?;
    let text = std::fs::read_to_string(&path).map_err(|_| no_named_query(id))?;
    let description: Vec<&str> = text
        .lines()
        .map_while(|l| l.trim().strip_prefix("--").map(str::trim))
        .collect();
    let mut query = json!({
        "Name": id,
        "NamedQueryId": id,
        "Database": state.config.database,
        "QueryString": text,
        "WorkGroup": WORKGROUP,
    });
    if !description.is_empty() {
        query["Description"] = json!(description.join(" "));
    }
    Ok(query)
}

/// Creates (refusing an existing name) or updates a named query's file; the
/// description becomes its header comment.
fn save_named_query(state: &State, operation: &str, input: &Value) -> Result<Value, ApiError> {
    let creating = operation == "CreateNamedQuery";
    let name = string(input, "Name")?;
    let id = if creating {
        workgroup(input)?;
        name
    } else {
        string(input, "NamedQueryId")?
    };
    let path = named_query_path(state, id)?;
    let query = string(input, "QueryString")?;
    match (creating, path.exists()) {
        (true, true) => {
            return Err(ApiError::invalid(format!(
                "a named query called {name} exists already ({})",
                path.display()
            )));
        }
        (false, false) => return Err(no_named_query(id)),
        _ => {}
    }
    if !creating && name != id {
        return Err(ApiError::invalid(format!(
            "a named query's id is its name: rename {id} by deleting it and creating {name}"
        )));
    }
    let mut text = String::new();
    if let Some(description) = opt_string(input, "Description")? {
        for line in description.lines() {
            text.push_str(&format!("-- {line}\n"));
        }
    }
    text.push_str(query);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    std::fs::create_dir_all(&state.options.queries_dir)
        .and_then(|()| std::fs::write(&path, text))
        .map_err(|e| ApiError::internal(format!("cannot write {}: {e}", path.display())))?;
    Ok(if creating {
        json!({ "NamedQueryId": id })
    } else {
        json!({})
    })
}
