//! Athena views as Athena stores them in Glue (Trino's "Presto view" format).
//!
//! A view is a Glue table with `TableType = VIRTUAL_VIEW`, `Parameters
//! {presto_view: "true", comment: "Presto View"}`, `ViewExpandedText = "/*
//! Presto View */"` and `ViewOriginalText = "/* Presto View: <base64 JSON> */"`.
//! The JSON (Trino's `ConnectorViewDefinition`) holds the SQL as written, the
//! catalog and schema it resolves unqualified names against, and the output
//! columns with Trino type names; `StorageDescriptor.Columns` repeats the
//! columns with Hive type names. See Trino's `ViewReaderUtil` and
//! `TrinoViewHiveMetastore`.
//!
//! Pure: text in, [`ViewDef`] out, and back; plus the type-name conversions
//! between Arrow, Trino and Hive that the two column lists need.

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use serde::{Deserialize, Serialize};

mod base64;
mod trino_type;

pub(crate) use trino_type::trino_to_hive;

/// `TableType` of a view.
pub(crate) const VIRTUAL_VIEW: &str = "VIRTUAL_VIEW";
/// The table parameter that marks a Trino (Athena) view.
pub(crate) const PRESTO_VIEW_FLAG: &str = "presto_view";
/// The `comment` parameter of a Trino view.
pub(crate) const PRESTO_VIEW_COMMENT: &str = "Presto View";
/// `ViewExpandedText` of a Trino view.
pub(crate) const EXPANDED_TEXT: &str = "/* Presto View */";
const PREFIX: &str = "/* Presto View: ";
const SUFFIX: &str = " */";

/// What a view is: its SQL and the columns it was created with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewDef {
    /// The query as written (`originalSql`), in Athena's SQL.
    pub sql: String,
    /// The catalog unqualified names resolve in (`awsdatacatalog`).
    pub catalog: Option<String>,
    /// The database unqualified names resolve in.
    pub schema: Option<String>,
    /// The output columns, with Trino type names.
    pub columns: Vec<ViewColumn>,
    /// Who made it (an IAM ARN in Athena).
    pub owner: Option<String>,
    /// `SECURITY INVOKER` rather than `DEFINER`.
    pub run_as_invoker: bool,
    /// The view's comment.
    pub comment: Option<String>,
}

/// A column of a view, as the view's JSON records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewColumn {
    /// The column name.
    pub name: String,
    /// The Trino type name (`varchar`, `bigint`, `array(varchar)`, ...).
    pub trino_type: String,
    /// The column comment, if any.
    pub comment: Option<String>,
}

/// Trino's `ConnectorViewDefinition` as JSON. Unknown fields are ignored
/// (Athena adds some, older Presto wrote `properties`).
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct ViewJson {
    original_sql: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    catalog: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<String>,
    #[serde(default)]
    columns: Vec<ColumnJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(default)]
    run_as_invoker: bool,
}

#[derive(Debug, Deserialize, Serialize)]
struct ColumnJson {
    name: Option<String>,
    #[serde(rename = "type")]
    type_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

/// Whether a Glue table's type and parameters make it a Trino (Athena) view.
pub(crate) fn is_presto_view(
    table_type: Option<&str>,
    parameters: Option<&std::collections::HashMap<String, String>>,
) -> bool {
    table_type == Some(VIRTUAL_VIEW)
        && parameters
            .and_then(|p| p.get(PRESTO_VIEW_FLAG))
            .is_some_and(|v| v == "true")
}

/// `ViewOriginalText` for `view`: `/* Presto View: <base64 JSON> */`.
pub(crate) fn encode_original_text(view: &ViewDef) -> String {
    let json = ViewJson {
        original_sql: Some(view.sql.clone()),
        catalog: view.catalog.clone(),
        schema: view.schema.clone(),
        columns: view
            .columns
            .iter()
            .map(|c| ColumnJson {
                name: Some(c.name.clone()),
                type_name: Some(c.trino_type.clone()),
                comment: c.comment.clone(),
            })
            .collect(),
        comment: view.comment.clone(),
        owner: view.owner.clone(),
        run_as_invoker: view.run_as_invoker,
    };
    // Serialising plain strings and booleans cannot fail.
    let bytes = serde_json::to_vec(&json).unwrap_or_default();
    format!("{PREFIX}{}{SUFFIX}", base64::encode(&bytes))
}

/// Decodes `ViewOriginalText`; the error says what is wrong with it.
pub(crate) fn decode_original_text(text: &str) -> Result<ViewDef, String> {
    let text = text.trim();
    let data = text
        .strip_prefix(PREFIX.trim_end())
        .and_then(|t| t.strip_suffix(SUFFIX.trim_start()))
        .ok_or_else(|| format!("does not have the form {PREFIX}<base64 JSON>{SUFFIX}"))?;
    let bytes = base64::decode(data.trim())?;
    let json: ViewJson = serde_json::from_slice(&bytes)
        .map_err(|e| format!("holds base64 that is not the view's JSON ({e})"))?;
    let sql = json
        .original_sql
        .filter(|s| !s.trim().is_empty())
        .ok_or("holds a view definition without originalSql")?;
    let columns = json
        .columns
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let name = c
                .name
                .filter(|n| !n.is_empty())
                .ok_or_else(|| format!("holds column {i} without a name"))?;
            let trino_type = c
                .type_name
                .ok_or_else(|| format!("holds column {name} without a type"))?;
            Ok(ViewColumn {
                name,
                trino_type,
                comment: c.comment,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(ViewDef {
        sql,
        catalog: json.catalog,
        schema: json.schema,
        columns,
        owner: json.owner,
        run_as_invoker: json.run_as_invoker,
        comment: json.comment,
    })
}

/// The Trino and Hive names of an Arrow type, as a view stores its columns;
/// `None` for a type neither can name.
pub(crate) fn type_names(data_type: &DataType) -> Option<(String, String)> {
    let pair = |t: &str, h: &str| Some((t.to_string(), h.to_string()));
    match data_type {
        // A bare NULL column: Trino calls its type `unknown`; Hive has none,
        // and a string column reads back as NULLs.
        DataType::Null => pair("unknown", "string"),
        DataType::Boolean => pair("boolean", "boolean"),
        DataType::Int8 => pair("tinyint", "tinyint"),
        DataType::Int16 => pair("smallint", "smallint"),
        DataType::Int32 => pair("integer", "int"),
        DataType::Int64 => pair("bigint", "bigint"),
        DataType::Float32 => pair("real", "float"),
        DataType::Float64 => pair("double", "double"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => pair("varchar", "string"),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            pair("varbinary", "binary")
        }
        DataType::Date32 | DataType::Date64 => pair("date", "date"),
        // Athena's timestamps have millisecond precision.
        DataType::Timestamp(TimeUnit::Millisecond | TimeUnit::Second, None) => {
            pair("timestamp(3)", "timestamp")
        }
        DataType::Timestamp(TimeUnit::Microsecond, None) => pair("timestamp(6)", "timestamp"),
        DataType::Timestamp(TimeUnit::Nanosecond, None) => pair("timestamp(9)", "timestamp"),
        DataType::Timestamp(_, Some(_)) => pair("timestamp(3) with time zone", "timestamp"),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => {
            let d = format!("decimal({p},{s})");
            Some((d.clone(), d))
        }
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            let (t, h) = type_names(f.data_type())?;
            Some((format!("array({t})"), format!("array<{h}>")))
        }
        DataType::Map(entries, _) => {
            let DataType::Struct(kv) = entries.data_type() else {
                return None;
            };
            let (kt, kh) = type_names(kv.first()?.data_type())?;
            let (vt, vh) = type_names(kv.get(1)?.data_type())?;
            Some((format!("map({kt},{vt})"), format!("map<{kh},{vh}>")))
        }
        DataType::Struct(fields) => {
            let mut trino = Vec::new();
            let mut hive = Vec::new();
            for f in fields {
                let (t, h) = type_names(f.data_type())?;
                let name = f.name().to_lowercase();
                trino.push(format!("{} {t}", trino_type::quote_field(&name)));
                hive.push(format!("{name}:{h}"));
            }
            Some((
                format!("row({})", trino.join(",")),
                format!("struct<{}>", hive.join(",")),
            ))
        }
        DataType::Dictionary(_, value) => type_names(value),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
