//! Unit tests of the view codec, against text written by hand in the shape
//! Athena stores (Trino's `ConnectorViewDefinition`, base64 by Python's
//! `base64.b64encode`), never against lathe's own output alone.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Fields, TimeUnit};

use super::*;

/// `{"originalSql":"SELECT order_id, total AS amount, status\nFROM orders",
/// "catalog":"awsdatacatalog","schema":"master","columns":[{"name":"order_id",
/// "type":"bigint"},{"name":"amount","type":"decimal(12,2)"},{"name":"status",
/// "type":"varchar"}],"owner":"arn:aws:iam::123456789012:user/analyst",
/// "runAsInvoker":false,"properties":{}}`, as Athena writes it.
pub(crate) const ATHENA_ORIGINAL_TEXT: &str = "/* Presto View: eyJvcmlnaW5hbFNxbCI6IlNFTEVDVCBvcmRlcl9pZCwgdG90YWwgQVMgYW1vdW50LCBzdGF0dXNcbkZST00gb3JkZXJzIiwiY2F0YWxvZyI6ImF3c2RhdGFjYXRhbG9nIiwic2NoZW1hIjoibWFzdGVyIiwiY29sdW1ucyI6W3sibmFtZSI6Im9yZGVyX2lkIiwidHlwZSI6ImJpZ2ludCJ9LHsibmFtZSI6ImFtb3VudCIsInR5cGUiOiJkZWNpbWFsKDEyLDIpIn0seyJuYW1lIjoic3RhdHVzIiwidHlwZSI6InZhcmNoYXIifV0sIm93bmVyIjoiYXJuOmF3czppYW06OjEyMzQ1Njc4OTAxMjp1c2VyL2FuYWx5c3QiLCJydW5Bc0ludm9rZXIiOmZhbHNlLCJwcm9wZXJ0aWVzIjp7fX0= */";

fn column(name: &str, trino: &str) -> ViewColumn {
    ViewColumn {
        name: name.into(),
        trino_type: trino.into(),
        comment: None,
    }
}

#[test]
fn decodes_a_view_athena_made() {
    let view = decode_original_text(ATHENA_ORIGINAL_TEXT).unwrap();
    assert_eq!(
        view.sql,
        "SELECT order_id, total AS amount, status\nFROM orders"
    );
    assert_eq!(view.catalog.as_deref(), Some("awsdatacatalog"));
    assert_eq!(view.schema.as_deref(), Some("master"));
    assert_eq!(
        view.columns,
        [
            column("order_id", "bigint"),
            column("amount", "decimal(12,2)"),
            column("status", "varchar"),
        ]
    );
    assert_eq!(
        view.owner.as_deref(),
        Some("arn:aws:iam::123456789012:user/analyst")
    );
    assert!(!view.run_as_invoker);
}

#[test]
fn encodes_what_java_base64_and_trino_json_decode() {
    let view = ViewDef {
        sql: "SELECT 1".into(),
        catalog: None,
        schema: None,
        columns: Vec::new(),
        owner: None,
        run_as_invoker: false,
        comment: None,
    };
    // base64.b64encode(b'{"originalSql":"SELECT 1","columns":[],"runAsInvoker":false}')
    assert_eq!(
        encode_original_text(&view),
        "/* Presto View: eyJvcmlnaW5hbFNxbCI6IlNFTEVDVCAxIiwiY29sdW1ucyI6W10sInJ1bkFzSW52b2tlciI6ZmFsc2V9 */"
    );
    let full = decode_original_text(ATHENA_ORIGINAL_TEXT).unwrap();
    assert_eq!(
        decode_original_text(&encode_original_text(&full)).unwrap(),
        full
    );
}

#[test]
fn base64_pads_like_rfc_4648() {
    // RFC 4648 §10 test vectors.
    for (plain, encoded) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64::encode(plain.as_bytes()), encoded);
        assert_eq!(base64::decode(encoded).unwrap(), plain.as_bytes());
    }
    assert!(base64::decode("Zm9v!").unwrap_err().contains("'!'"));
}

#[test]
fn bad_original_text_says_what_is_wrong() {
    assert!(
        decode_original_text("SELECT 1")
            .unwrap_err()
            .contains("/* Presto View: <base64 JSON> */")
    );
    assert!(
        decode_original_text("/* Presto View: e30= */")
            .unwrap_err()
            .contains("without originalSql")
    );
    assert!(
        decode_original_text("/* Presto View: bm90IGpzb24= */")
            .unwrap_err()
            .contains("not the view's JSON")
    );
}

#[test]
fn trino_types_become_hive_types() {
    for (trino, hive) in [
        ("varchar", "string"),
        ("varchar(10)", "varchar(10)"),
        ("integer", "int"),
        ("bigint", "bigint"),
        ("real", "float"),
        ("double", "double"),
        ("boolean", "boolean"),
        ("date", "date"),
        ("timestamp(3)", "timestamp"),
        ("timestamp(3) with time zone", "timestamp"),
        ("decimal(12,2)", "decimal(12,2)"),
        ("varbinary", "binary"),
        ("char(2)", "char(2)"),
        ("array(varchar)", "array<string>"),
        ("map(varchar,bigint)", "map<string,bigint>"),
        ("row(a integer)", "struct<a:int>"),
        (
            "row(os varchar, \"Is Mobile\" boolean, tags array(varchar))",
            "struct<os:string,is mobile:boolean,tags:array<string>>",
        ),
    ] {
        assert_eq!(trino_to_hive(trino).as_deref(), Ok(hive), "{trino}");
    }
    assert!(
        trino_to_hive("hyperloglog")
            .unwrap_err()
            .contains("hyperloglog")
    );
    assert!(trino_to_hive("array(varchar").is_err());
}

#[test]
fn arrow_types_get_trino_and_hive_names() {
    let names = |t: &DataType| type_names(t).unwrap();
    assert_eq!(names(&DataType::Utf8), ("varchar".into(), "string".into()));
    assert_eq!(names(&DataType::Int32), ("integer".into(), "int".into()));
    assert_eq!(
        names(&DataType::Timestamp(TimeUnit::Millisecond, None)),
        ("timestamp(3)".into(), "timestamp".into())
    );
    assert_eq!(
        names(&DataType::Decimal128(12, 2)),
        ("decimal(12,2)".into(), "decimal(12,2)".into())
    );
    let list = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
    assert_eq!(
        names(&list),
        ("array(varchar)".into(), "array<string>".into())
    );
    let row = DataType::Struct(Fields::from(vec![
        Field::new("a", DataType::Int32, true),
        Field::new("b", DataType::Utf8, true),
    ]));
    assert_eq!(
        names(&row),
        (
            "row(a integer,b varchar)".into(),
            "struct<a:int,b:string>".into()
        )
    );
    // The Hive name of each reads back as the same Trino-to-Hive conversion.
    for t in [list, row, DataType::Float32, DataType::Boolean] {
        let (trino, hive) = names(&t);
        assert_eq!(trino_to_hive(&trino).unwrap(), hive);
    }
}

/// `aws glue get-table` of a view Athena made (the shape of real dumps:
/// empty location and SerDe, Hive types in the storage descriptor).
fn athena_table_file() -> String {
    format!(
        r#"{{"Table": {{
        "Name": "athena_orders", "DatabaseName": "fx",
        "Owner": "arn:aws:iam::123456789012:user/analyst",
        "CreateTime": "2024-05-08T09:00:00+00:00", "Retention": 0,
        "StorageDescriptor": {{
            "Columns": [
                {{"Name": "order_id", "Type": "bigint", "Comment": "one per purchase"}},
                {{"Name": "amount", "Type": "decimal(12,2)"}},
                {{"Name": "status", "Type": "string"}}
            ],
            "Location": "", "Compressed": false, "NumberOfBuckets": 0,
            "SerdeInfo": {{}}, "SortColumns": [], "StoredAsSubDirectories": false
        }},
        "PartitionKeys": [],
        "ViewOriginalText": "{ATHENA_ORIGINAL_TEXT}",
        "ViewExpandedText": "/* Presto View */",
        "TableType": "VIRTUAL_VIEW",
        "Parameters": {{"comment": "Presto View", "presto_view": "true"}},
        "IsRegisteredWithLakeFormation": false, "CatalogId": "123456789012"
    }}}}"#
    )
}

#[test]
fn an_athena_glue_entry_reads_as_a_view_and_writes_back_the_same() {
    use crate::catalog::glue_json::{parse_table_file, table_json};
    let path = std::path::Path::new("fx/athena_orders.json");
    let def = parse_table_file(path, &athena_table_file())
        .unwrap()
        .into_table_def(path, "fx", "athena_orders")
        .unwrap();
    let view = def.view.as_ref().expect("a view");
    assert_eq!(view.schema.as_deref(), Some("master"));
    let columns: Vec<_> = def
        .columns
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.type_string.as_str(),
                c.comment.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            ("order_id", "bigint", Some("one per purchase")),
            ("amount", "decimal(12,2)", None),
            ("status", "string", None),
        ]
    );
    assert_eq!(def.columns[1].data_type, DataType::Decimal128(12, 2));
    // Written back: Athena's shape, and the same definition when read again.
    let json = table_json(&def, 0.0);
    let table = &json["Table"];
    assert_eq!(table["TableType"], "VIRTUAL_VIEW");
    assert_eq!(table["ViewExpandedText"], "/* Presto View */");
    assert_eq!(table["StorageDescriptor"]["Columns"][2]["Type"], "string");
    let again = parse_table_file(path, &json.to_string())
        .unwrap()
        .into_table_def(path, "fx", "athena_orders")
        .unwrap();
    assert_eq!(again, def);
}

#[test]
fn a_hive_view_is_named_as_one_lathe_cannot_read() {
    use crate::catalog::glue_json::parse_table_file;
    let text = r#"{"Name": "v", "TableType": "VIRTUAL_VIEW",
        "ViewOriginalText": "SELECT 1", "ViewExpandedText": "SELECT 1"}"#;
    let path = std::path::Path::new("db/v.json");
    let err = parse_table_file(path, text)
        .unwrap()
        .into_table_def(path, "db", "v")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "db/v.json: field Parameters has no presto_view=true, so db.v is a Hive view, not an \
         Athena view; lathe reads only views made by Athena (or Trino)"
    );
}
