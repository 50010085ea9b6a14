//! Query results as Athena's `GetQueryResults` returns them: the column
//! descriptions (`ColumnInfo`, with Athena's type names, precision and
//! scale) and rows of text, NULL as a datum without `VarCharValue`.

use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use serde_json::{Value, json};

use crate::functions::system::trino_type_name;

/// One column's `ColumnInfo`.
pub(super) fn column_info(field: &Field) -> Value {
    let (type_name, precision, scale) = athena_type(field.data_type());
    json!({
        "CatalogName": "hive",
        "SchemaName": "",
        "TableName": "",
        "Name": field.name(),
        "Label": field.name(),
        "Type": type_name,
        "Precision": precision,
        "Scale": scale,
        "Nullable": "UNKNOWN",
        "CaseSensitive": type_name == "varchar" || type_name == "char",
    })
}

/// `ResultSetMetadata.ColumnInfo` of a schema.
pub(super) fn columns_info(schema: &Schema) -> Value {
    Value::Array(schema.fields().iter().map(|f| column_info(f)).collect())
}

/// Athena's type name (without parameters), precision and scale, as its
/// `ColumnInfo` gives them: `varchar` 2147483647, `decimal` p and s,
/// `timestamp` 3, the integers their decimal digits.
fn athena_type(data_type: &DataType) -> (String, i64, i64) {
    match data_type {
        DataType::Decimal32(p, s) | DataType::Decimal64(p, s) => {
            ("decimal".into(), i64::from(*p), i64::from(*s))
        }
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => {
            ("decimal".into(), i64::from(*p), i64::from(*s))
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            ("varchar".into(), 2_147_483_647, 0)
        }
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            ("varbinary".into(), 1_073_741_824, 0)
        }
        DataType::Int8 => ("tinyint".into(), 3, 0),
        DataType::Int16 => ("smallint".into(), 5, 0),
        DataType::Int32 => ("integer".into(), 10, 0),
        DataType::Int64 => ("bigint".into(), 19, 0),
        DataType::Float32 => ("real".into(), 7, 0),
        DataType::Float64 => ("double".into(), 17, 0),
        DataType::Timestamp(unit, zone) => {
            let digits = match unit {
                TimeUnit::Second => 0,
                TimeUnit::Millisecond => 3,
                TimeUnit::Microsecond => 6,
                TimeUnit::Nanosecond => 9,
            };
            let name = if zone.is_some() {
                "timestamp with time zone"
            } else {
                "timestamp"
            };
            (name.into(), digits, 0)
        }
        other => {
            let name = trino_type_name(other);
            let base = name.split('(').next().unwrap_or(&name).trim().to_string();
            (base, 0, 0)
        }
    }
}

/// One row of `GetQueryResults`: `{"Data": [{"VarCharValue": ..}, {}]}`.
pub(super) fn row(values: &[Option<String>]) -> Value {
    json!({
        "Data": values
            .iter()
            .map(|v| match v {
                Some(text) => json!({ "VarCharValue": text }),
                None => json!({}),
            })
            .collect::<Vec<_>>()
    })
}
