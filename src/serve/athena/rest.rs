//! Athena's REST-JSON form: botocore's model of the Athena API sends each
//! operation to its own method and path (`GET /query-executions/{id}`),
//! with some members in the query string.

use serde_json::{Map, Value, json};

/// Athena's REST form (botocore's `rest-json` model of the Athena API):
/// the operation a method and path name, and its input with the path's
/// labels and the query string's members merged into the JSON body.
pub(crate) fn rest_route(
    method: &http::Method,
    path: &str,
    query: Option<&str>,
    body: &Value,
) -> Option<(&'static str, Value)> {
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let mut input = match body {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    let mut label = |name: &str, value: &str| {
        input.insert(name.to_string(), json!(value));
    };
    let m = method.as_str();
    let operation = match (m, s.as_slice()) {
        ("POST", ["query-executions"]) => "StartQueryExecution",
        ("GET", ["query-executions"]) => "ListQueryExecutions",
        ("GET", ["query-executions", id]) => {
            label("QueryExecutionId", id);
            "GetQueryExecution"
        }
        ("POST", ["query-executions", id, "stop"]) => {
            label("QueryExecutionId", id);
            "StopQueryExecution"
        }
        ("GET", ["query-executions", id, "results"]) => {
            label("QueryExecutionId", id);
            "GetQueryResults"
        }
        ("POST", ["batch-get-query-executions"]) => "BatchGetQueryExecution",
        ("GET", ["workgroups"]) => "ListWorkGroups",
        ("GET", ["workgroups", wg]) => {
            label("WorkGroup", wg);
            "GetWorkGroup"
        }
        ("GET", ["data-catalogs"]) => "ListDataCatalogs",
        ("GET", ["data-catalogs", name]) => {
            label("Name", name);
            "GetDataCatalog"
        }
        ("GET", ["data-catalogs", catalog, "databases", rest @ ..]) => {
            label("CatalogName", catalog);
            match rest {
                [] => "ListDatabases",
                [database] => {
                    label("DatabaseName", database);
                    "GetDatabase"
                }
                [database, "tables"] => {
                    label("DatabaseName", database);
                    "ListTableMetadata"
                }
                [database, "tables", table] => {
                    label("DatabaseName", database);
                    label("TableName", table);
                    "GetTableMetadata"
                }
                _ => return None,
            }
        }
        ("POST", ["named-queries"]) => "CreateNamedQuery",
        ("GET", ["named-queries"]) => "ListNamedQueries",
        ("POST", ["batch-get-named-queries"]) => "BatchGetNamedQuery",
        (_, ["named-queries", id]) => {
            label("NamedQueryId", id);
            match m {
                "GET" => "GetNamedQuery",
                "PATCH" => "UpdateNamedQuery",
                "DELETE" => "DeleteNamedQuery",
                _ => return None,
            }
        }
        (_, ["workgroups", wg, "prepared-statements", rest @ ..]) => {
            label("WorkGroup", wg);
            match (m, rest) {
                ("POST", []) => "CreatePreparedStatement",
                ("GET", []) => "ListPreparedStatements",
                (_, [name]) => {
                    label("StatementName", name);
                    match m {
                        "GET" => "GetPreparedStatement",
                        "PATCH" => "UpdatePreparedStatement",
                        "DELETE" => "DeletePreparedStatement",
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
        ("POST", ["workgroups", wg, "batch-get-prepared-statements"]) => {
            label("WorkGroup", wg);
            "BatchGetPreparedStatement"
        }
        _ => return None,
    };
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        let (k, v) = (decode(k), decode(v));
        let value = match (k.as_str(), v.parse::<i64>()) {
            ("MaxResults", Ok(n)) => json!(n),
            _ => json!(v),
        };
        input.insert(k, value);
    }
    Some((operation, Value::Object(input)))
}
