//! Glue's JSON shapes (`aws glue get-table` / `get-partitions` output) and their
//! conversion into lathe's [`TableDef`] and [`PartitionDef`].
//!
//! Every field is optional at the serde level, so that a missing required field
//! becomes an error naming the file and the Glue field, not a serde message.
//! Unknown fields are ignored: real dumps carry many.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Column, JsonSerde, PartitionDef, StorageFormat, TableDef};
use crate::error::{Error, Result};
use crate::hive_type::parse_hive_type;

/// `{"Table": {...}}` as printed by `aws glue get-table`, or the bare table.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TableFile {
    Wrapped {
        #[serde(rename = "Table")]
        table: GlueTable,
    },
    Bare(GlueTable),
}

/// A Glue `Table`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GlueTable {
    pub(crate) name: Option<String>,
    pub(crate) database_name: Option<String>,
    pub(crate) table_type: Option<String>,
    pub(crate) storage_descriptor: Option<StorageDescriptor>,
    pub(crate) partition_keys: Option<Vec<GlueColumn>>,
    pub(crate) parameters: Option<HashMap<String, String>>,
    pub(crate) create_time: Option<GlueTime>,
    pub(crate) update_time: Option<GlueTime>,
}

/// A Glue `StorageDescriptor`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StorageDescriptor {
    pub(crate) columns: Option<Vec<GlueColumn>>,
    pub(crate) location: Option<String>,
    pub(crate) input_format: Option<String>,
    pub(crate) output_format: Option<String>,
    pub(crate) serde_info: Option<SerdeInfo>,
    pub(crate) parameters: Option<HashMap<String, String>>,
}

/// A Glue `SerDeInfo`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SerdeInfo {
    pub(crate) serialization_library: Option<String>,
    pub(crate) parameters: Option<HashMap<String, String>>,
}

/// A Glue `Column`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GlueColumn {
    pub(crate) name: Option<String>,
    #[serde(rename = "Type")]
    pub(crate) type_string: Option<String>,
    pub(crate) comment: Option<String>,
}

/// A Glue timestamp: epoch seconds (CLI v1, wire format) or an ISO string (CLI v2).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub(crate) enum GlueTime {
    Epoch(f64),
    Iso(String),
}

/// `{"Partitions": [...]}` as printed by `aws glue get-partitions`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PartitionsFile {
    partitions: Option<Vec<GluePartition>>,
}

/// A Glue `Partition`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GluePartition {
    pub(crate) values: Option<Vec<String>>,
    pub(crate) storage_descriptor: Option<StorageDescriptor>,
}

/// Parses a table file's text: `{"Table": {...}}` or the bare table object.
pub(crate) fn parse_table_file(path: &Path, text: &str) -> Result<GlueTable> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| invalid(path, &e))?;
    let file: TableFile = if value.get("Table").is_some() {
        deserialize_at(
            path,
            value.get("Table").cloned().unwrap_or_default(),
            "Table.",
        )
        .map(|table| TableFile::Wrapped { table })?
    } else {
        TableFile::Bare(deserialize_at(path, value, "")?)
    };
    Ok(match file {
        TableFile::Wrapped { table } | TableFile::Bare(table) => table,
    })
}

/// Parses a partitions file's text.
pub(crate) fn parse_partitions_file(path: &Path, text: &str) -> Result<Vec<GluePartition>> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| invalid(path, &e))?;
    let file: PartitionsFile = deserialize_at(path, value, "")?;
    file.partitions
        .ok_or_else(|| Error::InvalidTableDefinition {
            path: path.to_path_buf(),
            field: "Partitions".into(),
            reason: "is missing".into(),
        })
}

fn deserialize_at<T: serde::de::DeserializeOwned>(
    path: &Path,
    value: serde_json::Value,
    prefix: &str,
) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = format!("{prefix}{}", e.path());
        Error::InvalidTableDefinition {
            path: path.to_path_buf(),
            field: field.trim_end_matches('.').to_string(),
            reason: format!("is invalid: {}", e.into_inner()),
        }
    })
}

fn invalid(path: &Path, e: &serde_json::Error) -> Error {
    Error::InvalidCatalogFile {
        path: path.to_path_buf(),
        reason: format!("not valid JSON: {e}"),
    }
}

fn missing(path: &Path, field: &str) -> Error {
    Error::InvalidTableDefinition {
        path: path.to_path_buf(),
        field: field.into(),
        reason: "is missing".into(),
    }
}

impl GlueTable {
    /// Converts the Glue shape into lathe's table definition, checking every
    /// field lathe needs. `database` and `name` come from the catalog (folder
    /// and file name for the local catalog).
    pub(crate) fn into_table_def(
        self,
        path: &Path,
        database: &str,
        name: &str,
    ) -> Result<TableDef> {
        if let Some(glue_name) = &self.name {
            if !glue_name.eq_ignore_ascii_case(name) {
                return Err(Error::InvalidTableDefinition {
                    path: path.to_path_buf(),
                    field: "Name".into(),
                    reason: format!("is {glue_name:?}, but the file names the table {name:?}"),
                });
            }
        } else {
            return Err(missing(path, "Name"));
        }
        for (field, time) in [
            ("CreateTime", &self.create_time),
            ("UpdateTime", &self.update_time),
        ] {
            if let Some(GlueTime::Iso(text)) = time
                && chrono::DateTime::parse_from_rfc3339(text).is_err()
            {
                return Err(Error::InvalidTableDefinition {
                    path: path.to_path_buf(),
                    field: field.into(),
                    reason: format!("is {text:?}, not an ISO-8601 time or epoch seconds"),
                });
            }
        }
        let qualified = format!("{database}.{name}");
        let sd = self
            .storage_descriptor
            .as_ref()
            .ok_or_else(|| missing(path, "StorageDescriptor"))?;
        let columns = convert_columns(
            path,
            &qualified,
            "StorageDescriptor.Columns",
            sd.columns
                .as_deref()
                .ok_or_else(|| missing(path, "StorageDescriptor.Columns"))?,
        )?;
        let partition_keys = convert_columns(
            path,
            &qualified,
            "PartitionKeys",
            self.partition_keys.as_deref().unwrap_or_default(),
        )?;
        let location = sd
            .location
            .clone()
            .filter(|l| !l.trim().is_empty())
            .ok_or_else(|| missing(path, "StorageDescriptor.Location"))?;
        let parameters = self.parameters.clone().unwrap_or_default();
        let format = storage_format(&qualified, sd, &parameters)?;
        let serde_parameters = sd
            .serde_info
            .as_ref()
            .and_then(|s| s.parameters.clone())
            .unwrap_or_default();
        Ok(TableDef {
            database: database.to_string(),
            name: name.to_string(),
            columns,
            partition_keys,
            location,
            format,
            parameters,
            serde_parameters,
        })
    }
}

impl GluePartition {
    /// Converts a Glue partition, checking its values against the table's keys.
    pub(crate) fn into_partition_def(
        self,
        path: &Path,
        index: usize,
        table: &TableDef,
    ) -> Result<PartitionDef> {
        let field = |f: &str| format!("Partitions[{index}].{f}");
        let values = self.values.ok_or_else(|| missing(path, &field("Values")))?;
        if values.len() != table.partition_keys.len() {
            return Err(Error::InvalidTableDefinition {
                path: path.to_path_buf(),
                field: field("Values"),
                reason: format!(
                    "has {} values, but table {} has {} partition keys",
                    values.len(),
                    table.qualified_name(),
                    table.partition_keys.len()
                ),
            });
        }
        let location = self
            .storage_descriptor
            .as_ref()
            .and_then(|sd| sd.location.clone())
            .filter(|l| !l.trim().is_empty())
            .unwrap_or_else(|| table.default_partition_location(&values));
        let format = match &self.storage_descriptor {
            Some(sd) if sd.serde_info.is_some() || sd.input_format.is_some() => {
                storage_format(&table.qualified_name(), sd, &table.parameters)?
            }
            _ => table.format,
        };
        Ok(PartitionDef {
            values,
            location,
            format,
        })
    }
}

fn convert_columns(
    path: &Path,
    table: &str,
    field: &str,
    columns: &[GlueColumn],
) -> Result<Vec<Column>> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let name = c
                .name
                .clone()
                .filter(|n| !n.is_empty())
                .ok_or_else(|| missing(path, &format!("{field}[{i}].Name")))?;
            let type_string = c
                .type_string
                .clone()
                .ok_or_else(|| missing(path, &format!("{field}[{i}].Type")))?;
            let data_type = parse_hive_type(&type_string).map_err(|reason| Error::InvalidType {
                table: table.to_string(),
                column: name.clone(),
                type_string: type_string.clone(),
                reason,
            })?;
            Ok(Column {
                // Athena lower-cases column names at DDL time.
                name: name.to_lowercase(),
                type_string,
                data_type,
                comment: c.comment.clone(),
            })
        })
        .collect()
}

/// Chooses the storage format from the SerDe class, then the input format,
/// then the `classification` table property (ATHENA.md §1).
fn storage_format(
    table: &str,
    sd: &StorageDescriptor,
    parameters: &HashMap<String, String>,
) -> Result<StorageFormat> {
    let serde = sd
        .serde_info
        .as_ref()
        .and_then(|s| s.serialization_library.as_deref())
        .unwrap_or_default();
    let input = sd.input_format.as_deref().unwrap_or_default();
    let classification = parameters
        .get("classification")
        .map(|c| c.to_ascii_lowercase())
        .unwrap_or_default();
    let format = match serde {
        "org.openx.data.jsonserde.JsonSerDe" => StorageFormat::Json(JsonSerde::OpenX),
        "org.apache.hive.hcatalog.data.JsonSerDe" | "org.apache.hadoop.hive.serde2.JsonSerDe" => {
            StorageFormat::Json(JsonSerde::Hive)
        }
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" => StorageFormat::Parquet,
        "" if input == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat" => {
            StorageFormat::Parquet
        }
        "" if input == "org.apache.hadoop.mapred.TextInputFormat" && classification == "json" => {
            StorageFormat::Json(JsonSerde::OpenX)
        }
        "" if input.is_empty() && classification == "parquet" => StorageFormat::Parquet,
        "" if input.is_empty() && classification == "json" => StorageFormat::Json(JsonSerde::OpenX),
        other => {
            let format = if other.is_empty() { input } else { other };
            return Err(Error::UnsupportedFormat {
                table: table.to_string(),
                format: if format.is_empty() {
                    "(no SerializationLibrary or InputFormat)".to_string()
                } else {
                    format.to_string()
                },
            });
        }
    };
    Ok(format)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::DataType;

    const TABLE: &str = r#"{"Table": {
      "Name": "clickstream", "DatabaseName": "web", "TableType": "EXTERNAL_TABLE",
      "Owner": "hadoop", "Retention": 0, "IsRegisteredWithLakeFormation": false,
      "StorageDescriptor": {
        "Columns": [
          {"Name": "event_id", "Type": "string"},
          {"Name": "Event_Time", "Type": "timestamp"},
          {"Name": "device", "Type": "struct<os:string,browser:string>"},
          {"Name": "tags", "Type": "array<string>", "Comment": "campaign tags"}
        ],
        "Location": "s3://acme-raw/firehose/clickstream/",
        "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
        "Compressed": true, "NumberOfBuckets": -1, "SortColumns": [],
        "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
                      "Parameters": {"ignore.malformed.json": "true"}}
      },
      "PartitionKeys": [{"Name": "datehour", "Type": "string"}],
      "Parameters": {"classification": "json", "EXTERNAL": "TRUE"},
      "CreateTime": 1714558530.0, "UpdateTime": "2024-05-01T10:15:30+00:00"
    }}"#;

    fn path() -> &'static Path {
        Path::new("catalog/web/clickstream.json")
    }

    fn load(text: &str) -> Result<TableDef> {
        parse_table_file(path(), text)?.into_table_def(path(), "web", "clickstream")
    }

    #[test]
    fn real_dump_loads_with_unknown_fields() {
        let table = load(TABLE).unwrap();
        assert_eq!(table.qualified_name(), "web.clickstream");
        let names: Vec<_> = table.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["event_id", "event_time", "device", "tags"]);
        assert_eq!(table.columns[3].comment.as_deref(), Some("campaign tags"));
        assert_eq!(table.partition_keys[0].data_type, DataType::Utf8);
        assert_eq!(table.format, StorageFormat::Json(JsonSerde::OpenX));
        assert_eq!(table.location, "s3://acme-raw/firehose/clickstream/");
        assert_eq!(table.serde_parameters["ignore.malformed.json"], "true");
    }

    #[test]
    fn bare_table_object_is_accepted() {
        let value: serde_json::Value = serde_json::from_str(TABLE).unwrap();
        let bare = value["Table"].to_string();
        assert_eq!(load(&bare).unwrap().columns.len(), 4);
    }

    #[test]
    fn missing_and_invalid_fields_are_named() {
        let without = |field: &str| {
            let mut value: serde_json::Value = serde_json::from_str(TABLE).unwrap();
            let mut target = &mut value["Table"];
            let parts: Vec<_> = field.split('.').collect();
            for p in &parts[..parts.len() - 1] {
                target = &mut target[*p];
            }
            target
                .as_object_mut()
                .unwrap()
                .remove(parts[parts.len() - 1]);
            load(&value.to_string()).unwrap_err().to_string()
        };
        assert_eq!(
            without("StorageDescriptor.Location"),
            "catalog/web/clickstream.json: field StorageDescriptor.Location is missing"
        );
        assert_eq!(
            without("StorageDescriptor.Columns"),
            "catalog/web/clickstream.json: field StorageDescriptor.Columns is missing"
        );
        assert_eq!(
            without("Name"),
            "catalog/web/clickstream.json: field Name is missing"
        );

        let bad_type = TABLE.replace("array<string>", "array<strin>");
        assert_eq!(
            load(&bad_type).unwrap_err().to_string(),
            "table web.clickstream: column tags has type \"array<strin>\", which is not a Hive type (unknown type \"strin\" at position 7)"
        );

        let wrong_shape = TABLE.replace(
            r#""Location": "s3://acme-raw/firehose/clickstream/""#,
            r#""Location": 42"#,
        );
        let err = load(&wrong_shape).unwrap_err().to_string();
        assert!(
            err.starts_with("catalog/web/clickstream.json: field Table.StorageDescriptor.Location is invalid: invalid type: integer `42`"),
            "{err}"
        );

        let not_json = load("{\"Table\": ").unwrap_err().to_string();
        assert!(
            not_json.starts_with("catalog/web/clickstream.json: not valid JSON: EOF while parsing"),
            "{not_json}"
        );

        let bad_time = TABLE.replace("2024-05-01T10:15:30+00:00", "yesterday");
        assert_eq!(
            load(&bad_time).unwrap_err().to_string(),
            "catalog/web/clickstream.json: field UpdateTime is \"yesterday\", not an ISO-8601 time or epoch seconds"
        );
    }

    #[test]
    fn format_comes_from_serde_then_input_format() {
        let parquet = TABLE.replace(
            "org.openx.data.jsonserde.JsonSerDe",
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        );
        assert_eq!(load(&parquet).unwrap().format, StorageFormat::Parquet);
        let hive = TABLE.replace(
            "org.openx.data.jsonserde.JsonSerDe",
            "org.apache.hive.hcatalog.data.JsonSerDe",
        );
        assert_eq!(
            load(&hive).unwrap().format,
            StorageFormat::Json(JsonSerde::Hive)
        );
        let avro = TABLE.replace(
            "org.openx.data.jsonserde.JsonSerDe",
            "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
        );
        assert_eq!(
            load(&avro).unwrap_err().to_string(),
            "table web.clickstream: unsupported storage format \"org.apache.hadoop.hive.serde2.avro.AvroSerDe\"; lathe reads JSON (OpenX or Hive SerDe) and Parquet tables"
        );
    }

    #[test]
    fn partitions_are_checked_against_keys() {
        let table = load(TABLE).unwrap();
        let text = r#"{"Partitions": [
            {"Values": ["2024/05/01/00"], "DatabaseName": "web",
             "StorageDescriptor": {"Location": "s3://acme-raw/firehose/clickstream/2024/05/01/00/"}},
            {"Values": ["2024/05/01/01"]},
            {"Values": ["a", "b"]}
        ]}"#;
        let p = Path::new("catalog/web/clickstream.partitions.json");
        let parts = parse_partitions_file(p, text).unwrap();
        let mut defs = parts
            .into_iter()
            .enumerate()
            .map(|(i, g)| g.into_partition_def(p, i, &table));
        let first = defs.next().unwrap().unwrap();
        assert_eq!(
            first.location,
            "s3://acme-raw/firehose/clickstream/2024/05/01/00/"
        );
        let second = defs.next().unwrap().unwrap();
        assert_eq!(
            second.location,
            "s3://acme-raw/firehose/clickstream/datehour=2024%2F05%2F01%2F01/"
        );
        assert_eq!(
            defs.next().unwrap().unwrap_err().to_string(),
            "catalog/web/clickstream.partitions.json: field Partitions[2].Values has 2 values, but table web.clickstream has 1 partition keys"
        );
    }
}
