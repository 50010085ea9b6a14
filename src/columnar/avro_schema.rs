//! An Avro table's columns from its Avro schema, as Hive's `AvroSerDe` and
//! Athena take them: when a table has `avro.schema.literal` (the schema's
//! JSON) or `avro.schema.url` (where a `.avsc` file is), as a SerDe or a
//! table property, its columns are the schema's fields and the columns the
//! catalog lists are ignored. The literal wins over the URL, and Hive's
//! `none` means "not set". Glue crawlers and AWS's Avro walkthrough
//! (`flights_avro_example`) write tables this way.
//!
//! The schema is parsed by `arrow-avro` (the decoder of the files), then
//! each Arrow type is spelled as Glue would spell it.

use std::sync::Arc;

use arrow_avro::reader::ReaderBuilder;
use arrow_avro::schema::{AvroSchema, SchemaStore};
use datafusion::execution::runtime_env::RuntimeEnv;
use object_store::ObjectStoreExt;

use crate::catalog::{Column, StorageFormat, TableDef};
use crate::error::{Error, Result};
use crate::storage::{LocationMap, resolve};

/// The property holding the schema's JSON.
const LITERAL: &str = "avro.schema.literal";
/// The property holding the schema file's location.
const URL: &str = "avro.schema.url";

/// Where a table's Avro schema comes from, if it names one.
enum Source<'a> {
    Literal(&'a str),
    Url(&'a str),
}

fn source(def: &TableDef) -> Option<Source<'_>> {
    let setting = |key: &str| {
        def.serde_parameters
            .get(key)
            .or_else(|| def.parameters.get(key))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("none"))
    };
    setting(LITERAL)
        .map(Source::Literal)
        .or_else(|| setting(URL).map(Source::Url))
}

/// `def` with the columns of its Avro schema (read from storage for
/// `avro.schema.url`) when it is an Avro table that names one; `def`
/// itself otherwise. Used by the table's provider and by `DESCRIBE`.
pub(crate) async fn resolved(
    def: Arc<TableDef>,
    map: &LocationMap,
    runtime: &RuntimeEnv,
) -> Result<Arc<TableDef>> {
    if def.format != StorageFormat::Avro {
        return Ok(def);
    }
    let table = def.qualified_name();
    let (property, json) = match source(&def) {
        None => return Ok(def),
        Some(Source::Literal(json)) => (LITERAL, json.to_string()),
        Some(Source::Url(url)) => (URL, read_url(&table, url, map, runtime).await?),
    };
    let columns = columns(&json).map_err(|reason| Error::UnreadableTable {
        table,
        reason: format!("its {property} {reason}"),
    })?;
    Ok(Arc::new(TableDef {
        columns,
        ..def.as_ref().clone()
    }))
}

/// The schema file at `url`, through the location map like a table's
/// location (S3 or the local disk).
async fn read_url(
    table: &str,
    url: &str,
    map: &LocationMap,
    runtime: &RuntimeEnv,
) -> Result<String> {
    let unreadable = |reason: String| Error::UnreadableTable {
        table: table.to_string(),
        reason: format!("its {URL} {url} {reason}"),
    };
    if url.starts_with("http://") || url.starts_with("https://") {
        return Err(unreadable(
            "is on the web, which lathe does not fetch; put the schema on S3 or on disk, or in \
             avro.schema.literal"
                .into(),
        ));
    }
    let location = resolve(url, map)?;
    let store = runtime.object_store(&location.store)?;
    let bytes = store
        .get(&location.prefix)
        .await
        .map_err(|e| unreadable(format!("cannot be read ({e})")))?
        .bytes()
        .await
        .map_err(|e| unreadable(format!("cannot be read ({e})")))?;
    String::from_utf8(bytes.to_vec()).map_err(|_| unreadable("is not UTF-8 text".into()))
}

/// The columns of the Avro record schema `json`, or why there are none, as
/// the end of a sentence ("is not ...").
pub(super) fn columns(json: &str) -> std::result::Result<Vec<Column>, String> {
    let parsed: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("is not JSON ({e})"))?;
    if parsed.get("type").and_then(|t| t.as_str()) != Some("record") {
        return Err("is not an Avro record schema (its \"type\" is not \"record\")".into());
    }
    let mut store = SchemaStore::new();
    let fingerprint = store
        .register(AvroSchema::new(json.to_string()))
        .map_err(|e| format!("is not a valid Avro schema ({e})"))?;
    let schema = ReaderBuilder::new()
        .with_writer_schema_store(store)
        .with_active_fingerprint(fingerprint)
        .build_decoder()
        .map_err(|e| format!("is not a valid Avro schema ({e})"))?
        .schema();
    let docs: Vec<Option<String>> = parsed["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|f| f.get("doc").and_then(|d| d.as_str()).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let name = field.name().to_lowercase();
            let type_string = crate::hive_type::of_arrow(field.data_type()).ok_or_else(|| {
                format!(
                    "has field {name} of a type Athena's tables cannot hold ({}); Avro unions of \
                     several types, durations and times are not table columns",
                    field.data_type()
                )
            })?;
            let data_type = crate::hive_type::parse_hive_type(&type_string)
                .map_err(|e| format!("has field {name} of type {type_string}: {e}"))?;
            Ok(Column {
                name,
                type_string,
                data_type,
                comment: docs.get(i).cloned().flatten(),
            })
        })
        .collect()
}
