//! Delta Lake tables registered in Glue (`table_type = DELTA`, or Spark's
//! `spark.sql.sources.provider = delta`), read as Athena reads them: the
//! schema, partition columns and live files come from the table's
//! transaction log (`_delta_log/`), not from Glue's columns (which Spark and
//! crawlers often leave as a placeholder) nor from listing the folder (which
//! still holds the files that later commits removed).
//!
//! The log is replayed here: the newest checkpoint named by
//! `_last_checkpoint` (a Parquet file of actions), then each JSON commit
//! after it, in order; an `add` makes a file live, a `remove` retires it.
//! A file is keyed by its path and its deletion vector, so a commit that
//! replaces a file's vector retires the old pair and adds the new one.
//! The live files are then scanned by `table` like any Parquet table's, each
//! with its partition values from the log, pruned by the query's filters on
//! partition columns:
//! - deletion vectors ([`deletion_vector`]) are read for the files that
//!   survive pruning, when the query is planned, through the counted object
//!   stores; their positions become each file's row selection;
//! - under column mapping (modes `name` and `id`) the columns keep the
//!   log's logical names while the files are read by each column's
//!   `delta.columnMapping.physicalName`, and `add.partitionValues` are
//!   looked up by it too; struct fields mapped below the top level are
//!   refused, as DataFusion casts structs by field name.
//!
//! Why not the `deltalake` crate: its DataFusion provider brings its own
//! object stores, schema adapter and a second SQL parser version into the
//! build, and lathe needs only this replay to keep its own location maps,
//! `--stats` counting and Athena's column rules; what it does not read (v2
//! checkpoints, other reader features) it refuses naming the table.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use datafusion::arrow::array::{Array, AsArray, Int64Array, RecordBatch, StringArray, StructArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use futures::TryStreamExt;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use serde::Deserialize;
use serde_json::Value;

use crate::catalog::{Column, TableDef};
use crate::error::{Error, Result};
use crate::storage::{LocationMap, resolve};
use crate::table::partitions::HIVE_DEFAULT_PARTITION;

mod deletion_vector;
#[cfg(test)]
mod tests;

pub(crate) use deletion_vector::DeletionVector;
use deletion_vector::Descriptor;

/// Whether Glue's table parameters describe a Delta table.
pub(crate) fn is_delta(parameters: &HashMap<String, String>) -> bool {
    parameters.iter().any(|(k, v)| {
        (k.eq_ignore_ascii_case("table_type")
            || k.eq_ignore_ascii_case("spark.sql.sources.provider"))
            && v.eq_ignore_ascii_case("delta")
    })
}

/// Reader features whose tables read correctly with this replay (those
/// that change reading, not writing): the rest are refused by name.
const READ_FEATURES: [&str; 4] = [
    "timestampNtz",
    "vacuumProtocolCheck",
    "deletionVectors",
    "columnMapping",
];

/// The metadata key of a field's name in the data files under column
/// mapping.
const PHYSICAL_NAME: &str = "delta.columnMapping.physicalName";

/// A live data file of the table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeltaFile {
    /// Its path as the log names it, for messages.
    pub(crate) path: String,
    /// The store it is in (the table's, unless the log names it absolutely).
    pub(crate) store: ObjectStoreUrl,
    /// Its path in that store.
    pub(crate) location: object_store::path::Path,
    /// Raw partition values in partition-column order; NULL as Hive's
    /// default partition name, as the pruning code expects.
    pub(crate) partition_values: Vec<String>,
    pub(crate) size: u64,
    /// Milliseconds since the epoch.
    pub(crate) modification_time: i64,
    /// The rows later commits deleted from it, if any.
    pub(crate) deletion_vector: Option<DeletionVector>,
}

/// The table's live files at its latest version.
#[derive(Debug, Clone)]
pub(crate) struct DeltaSnapshot {
    pub(crate) files: Vec<DeltaFile>,
    /// Under column mapping, the data columns as the files name them (the
    /// table's columns in order, each under its physical name, nested
    /// struct fields too); `None` when the files use the log's names.
    pub(crate) physical_columns: Option<Vec<Column>>,
}

impl DeltaFile {
    /// The file's object store metadata, as the log gives it (no HEAD).
    pub(crate) fn object_meta(&self) -> ObjectMeta {
        ObjectMeta {
            location: self.location.clone(),
            last_modified: chrono::DateTime::from_timestamp_millis(self.modification_time)
                .unwrap_or_default(),
            size: self.size,
            e_tag: None,
            version: None,
        }
    }

    /// The file's row count and its deleted row positions (sorted), when
    /// it has a deletion vector. The row count is the footer's, read
    /// through the runtime's metadata cache, so the scan (and `--stats`)
    /// meets the footer once.
    pub(crate) async fn deletes(
        &self,
        table: &str,
        runtime: &RuntimeEnv,
    ) -> Result<Option<(u64, Vec<u64>)>> {
        let Some(dv) = &self.deletion_vector else {
            return Ok(None);
        };
        let invalid = |reason: String| Error::InvalidDelta {
            table: table.to_string(),
            file: self.path.clone(),
            reason,
        };
        let positions = dv.deleted_rows(runtime).await.map_err(invalid)?;
        let store = runtime.object_store(&self.store)?;
        let metadata = DFParquetMetadata::new(store.as_ref(), &self.object_meta())
            .with_file_metadata_cache(Some(runtime.cache_manager.get_file_metadata_cache()))
            .fetch_metadata()
            .await?;
        let rows = metadata.file_metadata().num_rows().max(0) as u64;
        if let Some(last) = positions.last().filter(|p| **p >= rows) {
            return Err(invalid(format!(
                "has a deletion vector in {} that deletes row {last} of a file of {rows} rows",
                dv.display()
            )));
        }
        Ok(Some((rows, positions)))
    }
}

/// What the replay accumulates.
#[derive(Default)]
struct Replay {
    version: i64,
    metadata: Option<Metadata>,
    protocol: Option<Protocol>,
    /// Live files by path and deletion vector: a commit that changes a
    /// file's deletion vector removes the pair with the old one and adds
    /// the pair with the new one, in either order.
    live: BTreeMap<(String, String), Add>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    schema_string: String,
    #[serde(default)]
    partition_columns: Vec<String>,
    #[serde(default)]
    configuration: HashMap<String, Option<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Protocol {
    min_reader_version: i64,
    #[serde(default)]
    reader_features: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Add {
    path: String,
    #[serde(default)]
    partition_values: HashMap<String, Option<String>>,
    size: u64,
    #[serde(default)]
    modification_time: i64,
    #[serde(default)]
    deletion_vector: Option<Descriptor>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Remove {
    path: String,
    #[serde(default)]
    deletion_vector: Option<Descriptor>,
}

/// The key of a live file: its path and its deletion vector's unique id
/// (the protocol's `dvId`: storage type, path or inline bitmap, offset).
fn file_key(path: &str, dv: Option<&Descriptor>) -> (String, String) {
    let id = dv.map_or_else(String::new, |d| match d.offset {
        Some(offset) => format!("{}{}@{offset}", d.storage_type, d.path_or_inline_dv),
        None => format!("{}{}", d.storage_type, d.path_or_inline_dv),
    });
    (path.to_string(), id)
}

/// One line of a JSON commit: at most one action each.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Action {
    add: Option<Add>,
    remove: Option<Remove>,
    meta_data: Option<Metadata>,
    protocol: Option<Protocol>,
}

impl Replay {
    fn apply(&mut self, action: Action) {
        if let Some(add) = action.add {
            self.live
                .insert(file_key(&add.path, add.deletion_vector.as_ref()), add);
        }
        if let Some(remove) = action.remove {
            self.live
                .remove(&file_key(&remove.path, remove.deletion_vector.as_ref()));
        }
        if let Some(metadata) = action.meta_data {
            self.metadata = Some(metadata);
        }
        if let Some(protocol) = action.protocol {
            self.protocol = Some(protocol);
        }
    }
}

/// Loads `def`'s log: the table as the log defines it (its columns and
/// partition columns replace Glue's) and its live files.
pub(crate) async fn load(
    def: &TableDef,
    map: &LocationMap,
    runtime: &RuntimeEnv,
) -> Result<(TableDef, DeltaSnapshot)> {
    let table = def.qualified_name();
    let invalid = |file: &str, reason: String| Error::InvalidDelta {
        table: table.clone(),
        file: file.to_string(),
        reason,
    };
    let root = resolve(&def.location, map)?;
    let store = runtime.object_store(&root.store)?;
    let log_prefix = object_store::path::Path::from(format!("{}/_delta_log", root.prefix));
    let log_display = format!("{}/_delta_log/", root.display.trim_end_matches('/'));
    let listed: Vec<ObjectMeta> = store.list(Some(&log_prefix)).try_collect().await?;
    let mut commits: Vec<(i64, ObjectMeta)> = listed
        .iter()
        .filter_map(|meta| {
            let name = meta.location.filename()?;
            let version = name.strip_suffix(".json")?.parse::<i64>().ok()?;
            Some((version, meta.clone()))
        })
        .collect();
    commits.sort_by_key(|(v, _)| *v);

    let mut replay = Replay {
        version: -1,
        ..Replay::default()
    };
    let last = listed
        .iter()
        .find(|m| m.location.filename() == Some("_last_checkpoint"));
    if let Some(last) = last {
        let bytes = read(store.as_ref(), last).await?;
        let pointer: Value = serde_json::from_slice(&bytes)
            .map_err(|e| invalid(&format!("{log_display}_last_checkpoint"), e.to_string()))?;
        let version = pointer["version"].as_i64().ok_or_else(|| {
            invalid(
                &format!("{log_display}_last_checkpoint"),
                "has no version".into(),
            )
        })?;
        if pointer.get("v2Checkpoint").is_some() {
            return Err(invalid(
                &format!("{log_display}_last_checkpoint"),
                "names a v2 checkpoint, which lathe does not read yet".into(),
            ));
        }
        let prefix = format!("{version:020}.checkpoint");
        let mut parts: Vec<&ObjectMeta> = listed
            .iter()
            .filter(|m| {
                m.location
                    .filename()
                    .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".parquet"))
            })
            .collect();
        parts.sort_by(|a, b| a.location.cmp(&b.location));
        if parts.is_empty() {
            return Err(invalid(
                &log_display,
                format!(
                    "has no checkpoint file for version {version}, which _last_checkpoint names"
                ),
            ));
        }
        for part in parts {
            let name = format!(
                "{log_display}{}",
                part.location.filename().unwrap_or_default()
            );
            let bytes = read(store.as_ref(), part).await?;
            for action in checkpoint_actions(bytes).map_err(|reason| invalid(&name, reason))? {
                replay.apply(action);
            }
        }
        replay.version = version;
    }
    let after = replay.version;
    for (version, meta) in commits.iter().filter(|(v, _)| *v > after) {
        let name = format!(
            "{log_display}{}",
            meta.location.filename().unwrap_or_default()
        );
        let bytes = read(store.as_ref(), meta).await?;
        for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let action: Action = serde_json::from_slice(line)
                .map_err(|e| invalid(&format!("{name} line {}", i + 1), e.to_string()))?;
            replay.apply(action);
        }
        replay.version = *version;
    }
    if replay.version < 0 {
        return Err(invalid(
            &log_display,
            "holds no commits: this is not a Delta table's location".into(),
        ));
    }
    let (Some(metadata), Some(protocol)) = (replay.metadata.take(), replay.protocol.take()) else {
        return Err(invalid(
            &log_display,
            "has no metaData or protocol action".into(),
        ));
    };
    check_protocol(&protocol).map_err(|reason| invalid(&log_display, reason))?;
    let schema = columns(&metadata).map_err(|reason| invalid(&log_display, reason))?;
    let mut files = Vec::with_capacity(replay.live.len());
    for add in replay.live.into_values() {
        // Keyed by each partition column's physical name under column
        // mapping, by its name otherwise.
        let partition_values = schema
            .partition_physical
            .iter()
            .map(|c| {
                add.partition_values
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(c))
                    .and_then(|(_, v)| v.clone())
                    .unwrap_or_else(|| HIVE_DEFAULT_PARTITION.to_string())
            })
            .collect();
        let deletion_vector = add
            .deletion_vector
            .as_ref()
            .map(|d| DeletionVector::locate(d, &root, map))
            .transpose()
            .map_err(|reason| invalid(&add.path, reason))?;
        let path = percent_decode(&add.path);
        let (store, location) = if path.contains("://") {
            let resolved = resolve(&path, map)?;
            (resolved.store, resolved.prefix)
        } else {
            let location = object_store::path::Path::parse(format!("{}/{path}", root.prefix))
                .map_err(|e| invalid(&add.path, format!("is not a usable path ({e})")))?;
            (root.store.clone(), location)
        };
        files.push(DeltaFile {
            path: add.path.clone(),
            store,
            location,
            partition_values,
            size: add.size,
            modification_time: add.modification_time,
            deletion_vector,
        });
    }
    let mut resolved = def.clone();
    resolved.columns = schema.data;
    resolved.partition_keys = schema.partition_keys;
    Ok((
        resolved,
        DeltaSnapshot {
            files,
            physical_columns: schema.physical,
        },
    ))
}

async fn read(store: &dyn ObjectStore, meta: &ObjectMeta) -> Result<Bytes> {
    Ok(store.get(&meta.location).await?.bytes().await?)
}

/// Refuses what this replay does not read correctly.
fn check_protocol(protocol: &Protocol) -> Result<(), String> {
    if protocol.min_reader_version > 3 {
        return Err(format!(
            "needs a Delta reader of version {}; lathe reads versions 1 to 3",
            protocol.min_reader_version
        ));
    }
    if let Some(feature) = protocol
        .reader_features
        .iter()
        .flatten()
        .find(|f| !READ_FEATURES.contains(&f.as_str()))
    {
        return Err(format!(
            "uses the Delta reader feature {feature}, which lathe does not read yet"
        ));
    }
    Ok(())
}

/// Whether the data files name columns by their physical names: column
/// mapping mode `name` or `id`. Both are read by physical name: every
/// mapped field carries one, and an `id`-mode writer names the Parquet
/// columns by it as well as giving them field ids.
fn column_mapping(metadata: &Metadata) -> Result<bool, String> {
    let mode = metadata
        .configuration
        .get("delta.columnMapping.mode")
        .cloned()
        .flatten()
        .unwrap_or_default();
    match mode.to_ascii_lowercase().as_str() {
        "" | "none" => Ok(false),
        "name" | "id" => Ok(true),
        _ => Err(format!(
            "uses Delta column mapping mode {mode}, which the Delta protocol does not define \
             (none, name or id)"
        )),
    }
}

/// The table's columns as the log defines them.
#[derive(Debug)]
struct LogSchema {
    data: Vec<Column>,
    partition_keys: Vec<Column>,
    /// See [`DeltaSnapshot::physical_columns`].
    physical: Option<Vec<Column>>,
    /// The keys of the partition columns' values in `add.partitionValues`
    /// (physical names under column mapping), in partition-column order.
    partition_physical: Vec<String>,
}

/// The table's data columns and partition columns, from the log's schema.
fn columns(metadata: &Metadata) -> Result<LogSchema, String> {
    let mapped = column_mapping(metadata)?;
    let schema: Value = serde_json::from_str(&metadata.schema_string)
        .map_err(|e| format!("has a schemaString that is not JSON ({e})"))?;
    let fields = schema["fields"]
        .as_array()
        .ok_or("has a schemaString without fields")?;
    let mut data = Vec::new();
    let mut physical = Vec::new();
    let mut keys = Vec::new();
    for field in fields {
        let name = field["name"]
            .as_str()
            .ok_or("has a schema field without a name")?
            .to_lowercase();
        let type_string = hive_type(&field["type"])?;
        let data_type = crate::hive_type::parse_hive_type(&type_string)
            .map_err(|e| format!("has column {name} of type {type_string}: {e}"))?;
        let physical_name = if mapped {
            physical_name(field)?.to_string()
        } else {
            name.clone()
        };
        let comment = field["metadata"]["comment"].as_str().map(str::to_string);
        let column = Column {
            name,
            type_string,
            data_type,
            comment,
        };
        if metadata
            .partition_columns
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&column.name))
        {
            keys.push((column, physical_name));
        } else {
            if mapped {
                // DataFusion casts structs by field name, so a struct read
                // under its fields' physical names cannot be cast back to
                // the logical names; Spark and delta-rs map nested fields.
                if maps_nested_fields(&field["type"]) {
                    return Err(format!(
                        "has column {} whose nested fields are column-mapped, which lathe does \
                         not read yet",
                        column.name
                    ));
                }
                physical.push(Column {
                    name: physical_name,
                    ..column.clone()
                });
            }
            data.push(column);
        }
    }
    // Partition columns in the log's partitionColumns order.
    keys.sort_by_key(|(k, _)| {
        metadata
            .partition_columns
            .iter()
            .position(|p| p.eq_ignore_ascii_case(&k.name))
    });
    let (partition_keys, partition_physical) = keys.into_iter().unzip();
    Ok(LogSchema {
        data,
        partition_keys,
        physical: mapped.then_some(physical),
        partition_physical,
    })
}

/// A schema field's physical name under column mapping.
fn physical_name(field: &Value) -> Result<&str, String> {
    field["metadata"][PHYSICAL_NAME].as_str().ok_or_else(|| {
        format!(
            "has field {} without a {PHYSICAL_NAME}, which column mapping needs",
            field["name"]
        )
    })
}

/// Whether a struct within Delta type `t` names a field differently in
/// the data files (column mapping below the top level).
fn maps_nested_fields(t: &Value) -> bool {
    match t["type"].as_str() {
        Some("struct") => t["fields"].as_array().into_iter().flatten().any(|f| {
            f["metadata"][PHYSICAL_NAME]
                .as_str()
                .is_some_and(|p| Some(p) != f["name"].as_str())
                || maps_nested_fields(&f["type"])
        }),
        Some("array") => maps_nested_fields(&t["elementType"]),
        Some("map") => maps_nested_fields(&t["keyType"]) || maps_nested_fields(&t["valueType"]),
        _ => false,
    }
}

/// A Delta schema type (a name, or a struct, array or map object) in Hive's
/// spelling, as Athena shows a Delta table's columns.
fn hive_type(t: &Value) -> Result<String, String> {
    if let Some(name) = t.as_str() {
        let hive = match name {
            "long" => "bigint",
            "integer" => "int",
            "short" => "smallint",
            "byte" => "tinyint",
            "float" | "double" | "boolean" | "string" | "binary" | "date" | "timestamp" => name,
            "timestamp_ntz" => "timestamp",
            d if d.starts_with("decimal") => d,
            other => {
                return Err(format!(
                    "has a column of Delta type {other}, which lathe does not know"
                ));
            }
        };
        return Ok(hive.to_string());
    }
    match t["type"].as_str() {
        Some("struct") => {
            let fields = t["fields"]
                .as_array()
                .ok_or("has a struct without fields")?;
            let parts = fields
                .iter()
                .map(|f| {
                    let name = f["name"]
                        .as_str()
                        .ok_or("has a struct field without a name")?;
                    Ok(format!("{name}:{}", hive_type(&f["type"])?))
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok(format!("struct<{}>", parts.join(",")))
        }
        Some("array") => Ok(format!("array<{}>", hive_type(&t["elementType"])?)),
        Some("map") => Ok(format!(
            "map<{},{}>",
            hive_type(&t["keyType"])?,
            hive_type(&t["valueType"])?
        )),
        _ => Err(format!("has a column type {t} that is not a Delta type")),
    }
}

/// Paths in the log are URIs: `%xx` escapes stand for bytes.
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(byte) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The actions of a checkpoint file (Parquet: one row per action, a struct
/// column per action kind).
fn checkpoint_actions(bytes: Bytes) -> Result<Vec<Action>, String> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .and_then(|b| b.build())
        .map_err(|e| format!("is not a readable checkpoint ({e})"))?;
    let mut actions = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| format!("is not a readable checkpoint ({e})"))?;
        actions.extend(batch_actions(&batch)?);
    }
    Ok(actions)
}

fn batch_actions(batch: &RecordBatch) -> Result<Vec<Action>, String> {
    let part = |name: &str| {
        batch
            .column_by_name(name)
            .and_then(|c| c.as_struct_opt())
            .map(Part::new)
    };
    let (add, remove, metadata, protocol) = (
        part("add"),
        part("remove"),
        part("metaData"),
        part("protocol"),
    );
    // Each field cast once per batch, not once per row.
    let add_path = add.as_ref().and_then(|p| p.text("path"));
    let add_size = add.as_ref().and_then(|p| p.int("size"));
    let add_time = add.as_ref().and_then(|p| p.int("modificationTime"));
    let add_dv = add.as_ref().and_then(DvColumns::new);
    let remove_path = remove.as_ref().and_then(|p| p.text("path"));
    let remove_dv = remove.as_ref().and_then(DvColumns::new);
    let schema_string = metadata.as_ref().and_then(|p| p.text("schemaString"));
    let reader_version = protocol.as_ref().and_then(|p| p.int("minReaderVersion"));
    let mut actions = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let mut action = Action {
            add: None,
            remove: None,
            meta_data: None,
            protocol: None,
        };
        if let Some(add) = add.as_ref().filter(|p| p.array.is_valid(row)) {
            action.add = Some(Add {
                path: text_at(&add_path, row).ok_or("has an add without a path")?,
                partition_values: add.string_map("partitionValues", row),
                size: int_at(&add_size, row).unwrap_or(0).max(0) as u64,
                modification_time: int_at(&add_time, row).unwrap_or(0),
                deletion_vector: add_dv.as_ref().and_then(|dv| dv.at(row)).transpose()?,
            });
        }
        if remove.as_ref().is_some_and(|p| p.array.is_valid(row)) {
            action.remove = Some(Remove {
                path: text_at(&remove_path, row).ok_or("has a remove without a path")?,
                deletion_vector: remove_dv.as_ref().and_then(|dv| dv.at(row)).transpose()?,
            });
        }
        if let Some(metadata) = metadata.as_ref().filter(|p| p.array.is_valid(row)) {
            action.meta_data = Some(Metadata {
                schema_string: text_at(&schema_string, row)
                    .ok_or("has a metaData without a schemaString")?,
                partition_columns: metadata.string_list("partitionColumns", row),
                configuration: metadata.string_map("configuration", row),
            });
        }
        if let Some(protocol) = protocol.as_ref().filter(|p| p.array.is_valid(row)) {
            action.protocol = Some(Protocol {
                min_reader_version: int_at(&reader_version, row).unwrap_or(1),
                reader_features: protocol
                    .array
                    .column_by_name("readerFeatures")
                    .filter(|c| c.is_valid(row))
                    .map(|_| protocol.string_list("readerFeatures", row)),
            });
        }
        actions.push(action);
    }
    Ok(actions)
}

/// The `deletionVector` field of an add or remove column, each of its
/// fields cast once per batch.
struct DvColumns<'a> {
    array: &'a StructArray,
    storage_type: Option<StringArray>,
    path: Option<StringArray>,
    offset: Option<Int64Array>,
    size: Option<Int64Array>,
    cardinality: Option<Int64Array>,
}

impl<'a> DvColumns<'a> {
    fn new(action: &Part<'a>) -> Option<Self> {
        let array = action
            .array
            .column_by_name("deletionVector")?
            .as_struct_opt()?;
        let dv = Part::new(array);
        Some(Self {
            array,
            storage_type: dv.text("storageType"),
            path: dv.text("pathOrInlineDv"),
            offset: dv.int("offset"),
            size: dv.int("sizeInBytes"),
            cardinality: dv.int("cardinality"),
        })
    }

    /// The descriptor at `row`, if the action there has one.
    fn at(&self, row: usize) -> Option<Result<Descriptor, String>> {
        if !self.array.is_valid(row) {
            return None;
        }
        let incomplete = || {
            "has a deletionVector without its storageType, pathOrInlineDv, \
                             sizeInBytes or cardinality"
        };
        Some((|| {
            Ok(Descriptor {
                storage_type: text_at(&self.storage_type, row).ok_or_else(incomplete)?,
                path_or_inline_dv: text_at(&self.path, row).ok_or_else(incomplete)?,
                offset: int_at(&self.offset, row),
                size_in_bytes: int_at(&self.size, row).ok_or_else(incomplete)?,
                cardinality: int_at(&self.cardinality, row).ok_or_else(incomplete)?,
            })
        })())
    }
}

/// One action kind's struct column of a checkpoint batch.
struct Part<'a> {
    array: &'a StructArray,
}

impl<'a> Part<'a> {
    fn new(array: &'a StructArray) -> Self {
        Self { array }
    }

    /// A field as text, for the whole batch.
    fn text(&self, name: &str) -> Option<StringArray> {
        let column = self.array.column_by_name(name)?;
        Some(
            cast(column, &DataType::Utf8)
                .ok()?
                .as_string::<i32>()
                .clone(),
        )
    }

    /// A field as a 64-bit integer, for the whole batch.
    fn int(&self, name: &str) -> Option<Int64Array> {
        let column = self.array.column_by_name(name)?;
        Some(
            cast(column, &DataType::Int64)
                .ok()?
                .as_primitive::<Int64Type>()
                .clone(),
        )
    }

    /// A list of strings at `row` (only that row's values are cast).
    fn string_list(&self, name: &str, row: usize) -> Vec<String> {
        let Some(list) = self
            .array
            .column_by_name(name)
            .and_then(|c| c.as_list_opt::<i32>())
            .filter(|l| l.is_valid(row))
        else {
            return Vec::new();
        };
        let Ok(values) = cast(&list.value(row), &DataType::Utf8) else {
            return Vec::new();
        };
        values
            .as_string::<i32>()
            .iter()
            .flatten()
            .map(str::to_string)
            .collect()
    }

    /// A map of strings at `row` (only that row's entries are cast).
    fn string_map(&self, name: &str, row: usize) -> HashMap<String, Option<String>> {
        let Some(map) = self
            .array
            .column_by_name(name)
            .and_then(|c| c.as_map_opt())
            .filter(|m| m.is_valid(row))
        else {
            return HashMap::new();
        };
        let entries = map.value(row);
        let (Ok(keys), Ok(values)) = (
            cast(entries.column(0), &DataType::Utf8),
            cast(entries.column(1), &DataType::Utf8),
        ) else {
            return HashMap::new();
        };
        keys.as_string::<i32>()
            .iter()
            .zip(values.as_string::<i32>().iter())
            .filter_map(|(k, v)| Some((k?.to_string(), v.map(str::to_string))))
            .collect()
    }
}

fn text_at(column: &Option<StringArray>, row: usize) -> Option<String> {
    let column = column.as_ref()?;
    column.is_valid(row).then(|| column.value(row).to_string())
}

fn int_at(column: &Option<Int64Array>, row: usize) -> Option<i64> {
    let column = column.as_ref()?;
    column.is_valid(row).then(|| column.value(row))
}
