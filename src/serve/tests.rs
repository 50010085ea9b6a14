use super::chunked::unframe;
use super::queries::statement_type;

#[test]
fn statement_types_follow_athena() {
    assert_eq!(statement_type("SELECT 1"), "DML");
    assert_eq!(
        statement_type("-- header\n  with t as (select 1) select * from t"),
        "DML"
    );
    assert_eq!(statement_type("(SELECT 1)"), "DML");
    assert_eq!(statement_type("INSERT INTO t SELECT 1"), "DML");
    assert_eq!(
        statement_type("CREATE TABLE t WITH (format = 'PARQUET') AS SELECT 1 AS a"),
        "DML"
    );
    assert_eq!(statement_type("CREATE VIEW v AS SELECT 1 AS a"), "DDL");
    assert_eq!(
        statement_type("CREATE OR REPLACE VIEW v AS SELECT 1 AS a"),
        "DDL"
    );
    assert_eq!(
        statement_type("CREATE EXTERNAL TABLE t (a int) LOCATION 's3://b/'"),
        "DDL"
    );
    assert_eq!(statement_type("SHOW TABLES"), "DDL");
    assert_eq!(statement_type("SHOW CREATE TABLE t"), "UTILITY");
    assert_eq!(statement_type("DESCRIBE t"), "UTILITY");
    assert_eq!(statement_type("MSCK REPAIR TABLE t"), "DDL");
}

#[test]
fn aws_chunked_bodies_are_unframed() {
    let framed =
        b"5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n";
    assert_eq!(unframe(framed).unwrap().as_ref(), b"hello world");
    assert!(unframe(b"5\r\nhel").is_err());
    assert!(unframe(b"zz\r\n").unwrap_err().contains("not hexadecimal"));
}

#[test]
fn athena_rest_paths_name_their_operations() {
    use super::athena::rest_route;
    use serde_json::json;
    let get = http::Method::GET;
    let (op, input) = rest_route(
        &get,
        "/query-executions/abc/results",
        Some("MaxResults=3&NextToken=4"),
        &json!({}),
    )
    .unwrap();
    assert_eq!(op, "GetQueryResults");
    assert_eq!(
        input,
        json!({"QueryExecutionId": "abc", "MaxResults": 3, "NextToken": "4"})
    );
    let (op, input) = rest_route(
        &get,
        "/data-catalogs/AwsDataCatalog/databases/web/tables/click%20stream",
        None,
        &json!({}),
    )
    .unwrap();
    assert_eq!(op, "GetTableMetadata");
    assert_eq!(input["TableName"], "click stream");
    let post = http::Method::POST;
    let (op, input) = rest_route(
        &post,
        "/query-executions",
        None,
        &json!({"QueryString": "SELECT 1"}),
    )
    .unwrap();
    assert_eq!(
        (op, input["QueryString"].as_str()),
        ("StartQueryExecution", Some("SELECT 1"))
    );
    assert!(rest_route(&http::Method::PUT, "/query-executions", None, &json!({})).is_none());
    assert!(rest_route(&get, "/nothing-here", None, &json!({})).is_none());
}
