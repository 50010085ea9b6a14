//! Glue's JSON shapes (`aws glue get-table` / `get-partitions` output) and their
//! conversion into lathe's [`TableDef`] and [`PartitionDef`].
//!
//! Every field is optional at the serde level, so that a missing required field
//! becomes an error naming the file and the Glue field, not a serde message.
//! Unknown fields are ignored: real dumps carry many.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Column, JsonSerde, PartitionDef, StorageClasses, StorageFormat, TableDef, TextSerde};
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
    pub(crate) description: Option<String>,
    pub(crate) storage_descriptor: Option<StorageDescriptor>,
    pub(crate) partition_keys: Option<Vec<GlueColumn>>,
    pub(crate) parameters: Option<HashMap<String, String>>,
    pub(crate) create_time: Option<GlueTime>,
    pub(crate) update_time: Option<GlueTime>,
    /// A view's definition (`/* Presto View: <base64> */` for Athena's).
    pub(crate) view_original_text: Option<String>,
    pub(crate) view_expanded_text: Option<String>,
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
    // Straight from the text, not through a `serde_json::Value`: a table
    // with 10,000 registered partitions has a 7 MB file, and building the
    // value tree first doubled the time to load it.
    let mut reader = serde_json::Deserializer::from_str(text);
    let file: PartitionsFile = serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        if e.inner().is_data() {
            definition_error(path, e, "")
        } else {
            invalid(path, e.inner())
        }
    })?;
    reader.end().map_err(|e| invalid(path, &e))?;
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
    serde_path_to_error::deserialize(value).map_err(|e| definition_error(path, e, prefix))
}

/// A field of the definition that does not have the shape Glue gives it.
fn definition_error(
    path: &Path,
    e: serde_path_to_error::Error<serde_json::Error>,
    prefix: &str,
) -> Error {
    let field = format!("{prefix}{}", e.path());
    Error::InvalidTableDefinition {
        path: path.to_path_buf(),
        field: field.trim_end_matches('.').to_string(),
        reason: format!("is invalid: {}", e.into_inner()),
    }
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
        if view::is_view(&self) {
            return self.into_view_def(path, database, name);
        }
        let qualified = format!("{database}.{name}");
        let sd = self
            .storage_descriptor
            .as_ref()
            .ok_or_else(|| missing(path, "StorageDescriptor"))?;
        // An Iceberg table's schema is in its metadata; Glue's column list
        // is a copy some writers leave out.
        let iceberg =
            crate::iceberg::is_iceberg(self.parameters.as_ref().unwrap_or(&HashMap::new()));
        let columns = convert_columns(
            path,
            &qualified,
            "StorageDescriptor.Columns",
            match sd.columns.as_deref() {
                Some(columns) => columns,
                None if iceberg => &[],
                None => return Err(missing(path, "StorageDescriptor.Columns")),
            },
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
        let storage = StorageClasses {
            serde: sd
                .serde_info
                .as_ref()
                .and_then(|s| s.serialization_library.clone()),
            input_format: sd.input_format.clone(),
            output_format: sd.output_format.clone(),
        };
        Ok(TableDef {
            database: database.to_string(),
            name: name.to_string(),
            columns,
            partition_keys,
            location,
            format,
            parameters,
            serde_parameters,
            comment: self.description.clone(),
            storage,
            view: None,
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

/// A table in the shape `aws glue get-table` prints, `{"Table": {...}}`:
/// what the loader reads back as an equal [`TableDef`].
pub(crate) fn table_json(table: &TableDef, create_time: f64) -> serde_json::Value {
    if let Some(def) = &table.view {
        return view::view_json(table, def, create_time);
    }
    let mut sd = storage_json(table, &table.location);
    sd["Columns"] = columns_json(&table.columns);
    let mut glue = json!({
        "Name": table.name,
        "DatabaseName": table.database,
        "TableType": "EXTERNAL_TABLE",
        "StorageDescriptor": sd,
        "PartitionKeys": columns_json(&table.partition_keys),
        "Parameters": sorted(&table.parameters),
        "CreateTime": create_time,
    });
    if let Some(comment) = &table.comment {
        glue["Description"] = json!(comment);
    }
    json!({ "Table": glue })
}

/// A partition in the shape `aws glue get-partitions` prints: the table's
/// storage descriptor with the partition's own location (as Athena writes it).
pub(crate) fn partition_json(
    table: &TableDef,
    partition: &PartitionDef,
    create_time: f64,
) -> serde_json::Value {
    let mut sd = storage_json(table, &partition.location);
    sd["Columns"] = columns_json(&table.columns);
    if partition.format != table.format {
        let (serde, input, output) = format_classes(partition.format);
        sd["SerdeInfo"]["SerializationLibrary"] = json!(serde);
        sd["InputFormat"] = json!(input);
        sd["OutputFormat"] = json!(output);
    }
    json!({
        "Values": partition.values,
        "DatabaseName": table.database,
        "TableName": table.name,
        "StorageDescriptor": sd,
        "CreateTime": create_time,
    })
}

/// The class names written for `table`. A definition that names none (made
/// by code, as CTAS does, or read from a file that leaves them out) gets its
/// format's canonical ones, as Athena's DDL records them, so that the file
/// says what lathe reads it as.
pub(crate) fn written_classes(table: &TableDef) -> StorageClasses {
    if table.storage == StorageClasses::default() {
        StorageClasses::for_format(table.format)
    } else {
        table.storage.clone()
    }
}

fn storage_json(table: &TableDef, location: &str) -> serde_json::Value {
    let classes = written_classes(table);
    let mut sd = json!({ "Location": location });
    if let Some(input) = classes.input_format {
        sd["InputFormat"] = json!(input);
    }
    if let Some(output) = classes.output_format {
        sd["OutputFormat"] = json!(output);
    }
    let mut serde_info = json!({ "Parameters": sorted(&table.serde_parameters) });
    if let Some(serde) = classes.serde {
        serde_info["SerializationLibrary"] = json!(serde);
    }
    sd["SerdeInfo"] = serde_info;
    sd
}

impl StorageClasses {
    /// The canonical class names of a format, as Athena's DDL records them.
    pub fn for_format(format: StorageFormat) -> Self {
        let (serde, input, output) = format_classes(format);
        Self {
            serde: Some(serde.to_string()),
            input_format: Some(input.to_string()),
            output_format: Some(output.to_string()),
        }
    }
}

/// The canonical SerDe, input and output format classes of a format.
pub(crate) fn format_classes(format: StorageFormat) -> (&'static str, &'static str, &'static str) {
    match format {
        StorageFormat::Parquet => (PARQUET_SERDE, PARQUET_INPUT, PARQUET_OUTPUT),
        StorageFormat::Json(JsonSerde::OpenX) => (OPENX_SERDE, TEXT_INPUT, TEXT_OUTPUT),
        StorageFormat::Json(JsonSerde::Hive) => (HIVE_JSON_SERDE, TEXT_INPUT, TEXT_OUTPUT),
        StorageFormat::Json(JsonSerde::CloudTrail) => {
            (CLOUDTRAIL_SERDE, CLOUDTRAIL_INPUT, TEXT_OUTPUT)
        }
        StorageFormat::Text(TextSerde::LazySimple) => (LAZY_SIMPLE_SERDE, TEXT_INPUT, TEXT_OUTPUT),
        StorageFormat::Text(TextSerde::OpenCsv) => (OPEN_CSV_SERDE, TEXT_INPUT, TEXT_OUTPUT),
        StorageFormat::Text(TextSerde::Regex) => (REGEX_SERDE, TEXT_INPUT, TEXT_OUTPUT),
        StorageFormat::Iceberg => (LAZY_SIMPLE_SERDE, ICEBERG_INPUT, ICEBERG_OUTPUT),
        StorageFormat::Orc => (ORC_SERDE, ORC_INPUT, ORC_OUTPUT),
        StorageFormat::Delta => (PARQUET_SERDE, PARQUET_INPUT, PARQUET_OUTPUT),
        StorageFormat::Avro => (AVRO_SERDE, AVRO_INPUT, AVRO_OUTPUT),
    }
}

/// SerDe and format class names (ATHENA.md §1).
pub(crate) const PARQUET_SERDE: &str =
    "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
pub(crate) const PARQUET_INPUT: &str =
    "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
pub(crate) const PARQUET_OUTPUT: &str =
    "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
pub(crate) const ORC_SERDE: &str = "org.apache.hadoop.hive.ql.io.orc.OrcSerde";
pub(crate) const ORC_INPUT: &str = "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat";
pub(crate) const ORC_OUTPUT: &str = "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat";
pub(crate) const AVRO_SERDE: &str = "org.apache.hadoop.hive.serde2.avro.AvroSerDe";
pub(crate) const AVRO_INPUT: &str = "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat";
pub(crate) const AVRO_OUTPUT: &str = "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat";
/// Hudi's copy-on-write input formats (the current and the pre-Apache name).
const HUDI_INPUTS: [&str; 2] = [
    "org.apache.hudi.hadoop.HoodieParquetInputFormat",
    "com.uber.hoodie.hadoop.HoodieInputFormat",
];
pub(crate) const OPENX_SERDE: &str = "org.openx.data.jsonserde.JsonSerDe";
pub(crate) const HIVE_JSON_SERDE: &str = "org.apache.hive.hcatalog.data.JsonSerDe";
pub(crate) const LAZY_SIMPLE_SERDE: &str = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
pub(crate) const OPEN_CSV_SERDE: &str = "org.apache.hadoop.hive.serde2.OpenCSVSerde";
pub(crate) const REGEX_SERDE: &str = "org.apache.hadoop.hive.serde2.RegexSerDe";
pub(crate) const TEXT_INPUT: &str = "org.apache.hadoop.mapred.TextInputFormat";
pub(crate) const CLOUDTRAIL_SERDE: &str = "com.amazon.emr.hive.serde.CloudTrailSerde";
/// Reads CloudTrail's `{"Records": [...]}` files, one row per record.
pub(crate) const CLOUDTRAIL_INPUT: &str = "com.amazon.emr.cloudtrail.CloudTrailInputFormat";
pub(crate) const TEXT_OUTPUT: &str = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
/// The classes Athena records for an Iceberg table.
pub(crate) const ICEBERG_INPUT: &str = "org.apache.hadoop.mapred.FileInputFormat";
pub(crate) const ICEBERG_OUTPUT: &str = "org.apache.hadoop.mapred.FileOutputFormat";

fn columns_json(columns: &[Column]) -> serde_json::Value {
    columns
        .iter()
        .map(|c| {
            let mut column = json!({"Name": c.name, "Type": c.type_string});
            if let Some(comment) = &c.comment {
                column["Comment"] = json!(comment);
            }
            column
        })
        .collect()
}

fn sorted(map: &HashMap<String, String>) -> std::collections::BTreeMap<&str, &str> {
    map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
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
    // Athena registers Iceberg tables with placeholder classes; the table
    // parameter is what says what they are.
    if crate::iceberg::is_iceberg(parameters) {
        return Ok(StorageFormat::Iceberg);
    }
    if crate::delta::is_delta(parameters) {
        return Ok(StorageFormat::Delta);
    }
    let format = match serde {
        "org.openx.data.jsonserde.JsonSerDe" => StorageFormat::Json(JsonSerde::OpenX),
        "org.apache.hive.hcatalog.data.JsonSerDe" | "org.apache.hadoop.hive.serde2.JsonSerDe" => {
            StorageFormat::Json(JsonSerde::Hive)
        }
        CLOUDTRAIL_SERDE => StorageFormat::Json(JsonSerde::CloudTrail),
        "" if input == CLOUDTRAIL_INPUT => StorageFormat::Json(JsonSerde::CloudTrail),
        // Hudi writes Parquet with Hive's Parquet SerDe; its input format
        // is what says that only the latest commit's file slices are rows.
        _ if HUDI_INPUTS.contains(&input) || input.starts_with("org.apache.hudi.") => {
            return Err(Error::UnreadableTable {
                table: table.to_string(),
                reason: format!(
                    "it is a Hudi table ({input}), which lathe does not read: its Parquet files \
                     hold every commit's versions of a row, and only Hudi's timeline says which \
                     is current"
                ),
            });
        }
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" => StorageFormat::Parquet,
        ORC_SERDE => StorageFormat::Orc,
        AVRO_SERDE => StorageFormat::Avro,
        "" if input == ORC_INPUT => StorageFormat::Orc,
        "" if input == AVRO_INPUT => StorageFormat::Avro,
        "" if input.is_empty() && classification == "orc" => StorageFormat::Orc,
        "" if input.is_empty() && classification == "avro" => StorageFormat::Avro,
        LAZY_SIMPLE_SERDE => StorageFormat::Text(TextSerde::LazySimple),
        OPEN_CSV_SERDE => StorageFormat::Text(TextSerde::OpenCsv),
        REGEX_SERDE => StorageFormat::Text(TextSerde::Regex),
        "" if input == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat" => {
            StorageFormat::Parquet
        }
        "" if input == "org.apache.hadoop.mapred.TextInputFormat" && classification == "json" => {
            StorageFormat::Json(JsonSerde::OpenX)
        }
        // A text table with no SerDe is Hive's default, LazySimpleSerDe.
        "" if input == "org.apache.hadoop.mapred.TextInputFormat"
            && matches!(classification.as_str(), "csv" | "tsv" | "") =>
        {
            StorageFormat::Text(TextSerde::LazySimple)
        }
        "" if input.is_empty() && classification == "parquet" => StorageFormat::Parquet,
        "" if input.is_empty() && matches!(classification.as_str(), "csv" | "tsv") => {
            StorageFormat::Text(TextSerde::LazySimple)
        }
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

mod view;

pub(crate) use view::view_parameters;

#[cfg(test)]
mod tests;
