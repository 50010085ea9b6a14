//! Writes to the local catalog: DDL, MSCK and CTAS change the folder's JSON
//! files in the shapes the loader reads.
//!
//! Every change is atomic (a hidden temporary file beside the target, then a
//! rename, so a reader sees the old file or the new one, never half of one)
//! and serialised between processes by an exclusive lock on
//! `<catalog>/.lathe.lock`, held from reading the current state to the
//! rename, so concurrent writers lose no update. Data files are never touched.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::{LocalCatalog, PARTITIONS_SUFFIX, TABLE_SUFFIX, read_text, visible_name};
use crate::catalog::glue_json::{partition_json, table_json};
use crate::catalog::{DatabaseDef, PartitionDef, TableDef, partition_name};
use crate::error::{Error, Result, closest};

/// The lock file, hidden so that it is never taken for a database.
const LOCK_FILE: &str = ".lathe.lock";
/// A database's own description, as `aws glue get-database` prints it.
const DATABASE_FILE: &str = "_database.json";

/// Holds the catalog's write lock until dropped (closing the file releases it).
struct WriteLock {
    _file: File,
}

impl LocalCatalog {
    /// Takes the catalog's exclusive write lock, waiting for other writers.
    fn write_lock(&self) -> Result<WriteLock> {
        let path = self.root.join(LOCK_FILE);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| write_error(&path, source))?;
        file.lock().map_err(|source| write_error(&path, source))?;
        Ok(WriteLock { _file: file })
    }

    pub(super) fn write_create_database(
        &self,
        database: &DatabaseDef,
        if_not_exists: bool,
    ) -> Result<()> {
        let _lock = self.write_lock()?;
        let name = database.name.to_lowercase();
        if self
            .database_names()?
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            return if if_not_exists {
                Ok(())
            } else {
                Err(Error::DatabaseExists { database: name })
            };
        }
        let dir = self.root.join(&name);
        std::fs::create_dir(&dir).map_err(|source| write_error(&dir, source))?;
        if database.comment.is_some()
            || database.location.is_some()
            || !database.parameters.is_empty()
        {
            let mut glue = json!({ "Name": name, "Parameters": database.parameters });
            if let Some(comment) = &database.comment {
                glue["Description"] = json!(comment);
            }
            if let Some(location) = &database.location {
                glue["LocationUri"] = json!(location);
            }
            write_atomic(&dir.join(DATABASE_FILE), &json!({ "Database": glue }))?;
        }
        Ok(())
    }

    pub(super) fn write_drop_database(
        &self,
        database: &str,
        if_exists: bool,
        cascade: bool,
    ) -> Result<()> {
        let _lock = self.write_lock()?;
        let dir = match self.database_dir(database) {
            Ok(dir) => dir,
            Err(Error::DatabaseNotFound { .. }) if if_exists => return Ok(()),
            Err(e) => return Err(e),
        };
        let tables = self.table_files(&dir)?;
        if !tables.is_empty() && !cascade {
            return Err(Error::DatabaseNotEmpty {
                database: database.to_lowercase(),
                tables: tables.len(),
            });
        }
        for (name, path) in &tables {
            remove_file(path)?;
            if let Some(partitions) = self.partitions_file(&dir, name)? {
                remove_file(&partitions)?;
            }
        }
        let description = dir.join(DATABASE_FILE);
        if description.exists() {
            remove_file(&description)?;
        }
        self.refresh_caches();
        std::fs::remove_dir(&dir).map_err(|source| Error::CatalogWrite {
            path: dir.clone(),
            source: std::io::Error::new(
                source.kind(),
                format!(
                    "{source}; the folder holds files that are not catalog entries, so it is kept"
                ),
            ),
        })
    }

    pub(super) fn write_create_table(&self, table: &TableDef, if_not_exists: bool) -> Result<bool> {
        let _lock = self.write_lock()?;
        let dir = self.database_dir(&table.database)?;
        // `default` has no folder until its first table.
        std::fs::create_dir_all(&dir).map_err(|source| write_error(&dir, source))?;
        if self
            .table_files(&dir)?
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(&table.name))
        {
            return if if_not_exists {
                Ok(false)
            } else {
                Err(Error::TableExists {
                    name: table.qualified_name(),
                })
            };
        }
        let name = table.name.to_lowercase();
        // A partitions file left by hand under the new name would silently
        // attach itself to the new table.
        if let Some(stale) = self.partitions_file(&dir, &name)? {
            remove_file(&stale)?;
        }
        let path = dir.join(format!("{name}{TABLE_SUFFIX}"));
        write_atomic(&path, &table_json(table, now()))?;
        self.refresh_caches();
        Ok(true)
    }

    pub(super) fn write_create_view(&self, view: &TableDef, replace: bool) -> Result<()> {
        let _lock = self.write_lock()?;
        let dir = self.database_dir(&view.database)?;
        let existing = self
            .table_files(&dir)?
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&view.name));
        let path = match existing {
            Some(_) if !replace => {
                return Err(Error::TableExists {
                    name: view.qualified_name(),
                });
            }
            // Replaced in place, under the file name it has.
            Some((_, path)) => path,
            None => dir.join(format!("{}{TABLE_SUFFIX}", view.name.to_lowercase())),
        };
        write_atomic(&path, &table_json(view, now()))?;
        self.refresh_caches();
        Ok(())
    }

    /// See [`Catalog::commit_iceberg`]: the table file's parameters are
    /// edited in place (everything else in it kept as written).
    pub(super) fn write_commit_iceberg(
        &self,
        table: &TableDef,
        expected: &str,
        new: &str,
    ) -> Result<()> {
        let _lock = self.write_lock()?;
        let dir = self.database_dir(&table.database)?;
        let files = self.table_files(&dir)?;
        let Some((_, path)) = files
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&table.name))
        else {
            return Err(Error::TableNotFound {
                name: table.qualified_name(),
                suggestion: None,
            });
        };
        let text = std::fs::read_to_string(path).map_err(|source| Error::CatalogIo {
            path: path.clone(),
            source,
        })?;
        let mut value: Value =
            serde_json::from_str(&text).map_err(|e| Error::InvalidCatalogFile {
                path: path.clone(),
                reason: format!("not valid JSON: {e}"),
            })?;
        let glue = if value.get("Table").is_some() {
            &mut value["Table"]
        } else {
            &mut value
        };
        if !glue.get("Parameters").is_some_and(Value::is_object) {
            glue["Parameters"] = serde_json::json!({});
        }
        let parameters = &mut glue["Parameters"];
        let current = parameters
            .get(crate::iceberg::METADATA_LOCATION)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if current != expected {
            return Err(Error::commit_conflict(
                &table.qualified_name(),
                expected,
                &current,
            ));
        }
        parameters[crate::iceberg::METADATA_LOCATION] = Value::from(new);
        parameters["previous_metadata_location"] = Value::from(expected);
        write_atomic(path, &value)?;
        self.refresh_caches();
        Ok(())
    }

    pub(super) fn write_drop_table(
        &self,
        database: &str,
        table: &str,
        if_exists: bool,
    ) -> Result<bool> {
        let _lock = self.write_lock()?;
        let dir = match self.database_dir(database) {
            Ok(dir) => dir,
            Err(Error::DatabaseNotFound { .. }) if if_exists => return Ok(false),
            Err(e) => return Err(e),
        };
        let files = self.table_files(&dir)?;
        let Some((name, path)) = files.iter().find(|(n, _)| n.eq_ignore_ascii_case(table)) else {
            if if_exists {
                return Ok(false);
            }
            let database = database.to_lowercase();
            return Err(Error::TableNotFound {
                name: format!("{database}.{}", table.to_lowercase()),
                suggestion: closest(table, files.iter().map(|(n, _)| n.as_str()))
                    .map(|t| format!("{database}.{t}")),
            });
        };
        remove_file(path)?;
        if let Some(partitions) = self.partitions_file(&dir, name)? {
            remove_file(&partitions)?;
        }
        self.refresh_caches();
        Ok(true)
    }

    pub(super) fn write_add_partitions(
        &self,
        table: &TableDef,
        partitions: &[PartitionDef],
        if_not_exists: bool,
    ) -> Result<usize> {
        let _lock = self.write_lock()?;
        let mut file = self.read_partitions_json(table)?;
        let mut registered = file.registered();
        let mut added = Vec::new();
        let created = now();
        for partition in partitions {
            check_arity(table, &partition.values)?;
            if registered.contains(&partition.values) {
                if if_not_exists {
                    continue;
                }
                return Err(Error::InvalidPartition {
                    table: table.qualified_name(),
                    reason: format!(
                        "partition {} already exists",
                        partition_name(&table.partition_keys, &partition.values)
                    ),
                });
            }
            registered.push(partition.values.clone());
            added.push(partition_json(table, partition, created));
        }
        if added.is_empty() {
            return Ok(0);
        }
        let count = added.len();
        file.list.extend(added);
        file.write()?;
        self.refresh_caches();
        Ok(count)
    }

    pub(super) fn write_drop_partitions(
        &self,
        table: &TableDef,
        values: &[Vec<String>],
        if_exists: bool,
    ) -> Result<usize> {
        let _lock = self.write_lock()?;
        let mut file = self.read_partitions_json(table)?;
        let registered = file.registered();
        for wanted in values {
            check_arity(table, wanted)?;
            if !registered.contains(wanted) && !if_exists {
                return Err(Error::InvalidPartition {
                    table: table.qualified_name(),
                    reason: format!(
                        "partition {} does not exist",
                        partition_name(&table.partition_keys, wanted)
                    ),
                });
            }
        }
        let before = file.list.len();
        file.list.retain(|p| !values.contains(&values_of(p)));
        let dropped = before - file.list.len();
        if dropped > 0 {
            file.write()?;
            self.refresh_caches();
        }
        Ok(dropped)
    }

    /// The partitions file of a table (an empty one when missing).
    fn read_partitions_json(&self, table: &TableDef) -> Result<PartitionsJson> {
        let dir = self.database_dir(&table.database)?;
        let Some(path) = self.partitions_file(&dir, &table.name)? else {
            let path = dir.join(format!("{}{PARTITIONS_SUFFIX}", table.name));
            return Ok(PartitionsJson {
                path,
                rest: Map::new(),
                list: Vec::new(),
            });
        };
        let text = read_text(&path)?;
        let value: Value = serde_json::from_str(&text).map_err(|e| Error::InvalidCatalogFile {
            path: path.clone(),
            reason: format!("not valid JSON: {e}"),
        })?;
        let Value::Object(mut rest) = value else {
            return Err(Error::InvalidCatalogFile {
                path,
                reason: "is not a JSON object with a Partitions list".into(),
            });
        };
        let list = match rest.remove("Partitions") {
            None => Vec::new(),
            Some(Value::Array(list)) => list,
            Some(_) => {
                return Err(Error::InvalidTableDefinition {
                    path,
                    field: "Partitions".into(),
                    reason: "is not a list".into(),
                });
            }
        };
        Ok(PartitionsJson { path, rest, list })
    }

    /// The partitions file of a table, matched case-insensitively, if any.
    pub(super) fn partitions_file(&self, dir: &Path, table: &str) -> Result<Option<PathBuf>> {
        let wanted = format!("{}{PARTITIONS_SUFFIX}", table.to_lowercase());
        let exact = dir.join(&wanted);
        if exact.is_file() {
            return Ok(Some(exact));
        }
        Ok(super::read_dir(dir)?
            .map(|e| e.path())
            .find(|p| visible_name(p).is_some_and(|n| n.eq_ignore_ascii_case(&wanted))))
    }
}

fn check_arity(table: &TableDef, values: &[String]) -> Result<()> {
    if values.len() == table.partition_keys.len() {
        return Ok(());
    }
    Err(Error::InvalidPartition {
        table: table.qualified_name(),
        reason: format!(
            "a partition needs {} value(s), one per partition key ({}), not {}",
            table.partition_keys.len(),
            table
                .partition_keys
                .iter()
                .map(|k| k.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            values.len()
        ),
    })
}

/// A partitions file taken apart: its list, and every other field kept as is.
struct PartitionsJson {
    path: PathBuf,
    rest: Map<String, Value>,
    list: Vec<Value>,
}

impl PartitionsJson {
    fn registered(&self) -> Vec<Vec<String>> {
        self.list.iter().map(values_of).collect()
    }

    fn write(mut self) -> Result<()> {
        self.rest
            .insert("Partitions".into(), Value::Array(self.list));
        write_atomic(&self.path, &Value::Object(self.rest))
    }
}

fn values_of(partition: &Value) -> Vec<String> {
    partition
        .get("Values")
        .and_then(Value::as_array)
        .map(|values| {
            values
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Writes `value` as pretty JSON to a hidden temporary file beside `path`,
/// flushes it to disk, then renames it over `path`.
fn write_atomic(path: &Path, value: &Value) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut text = serde_json::to_vec_pretty(value).map_err(|e| {
        write_error(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })?;
    text.push(b'\n');
    let mut temp = tempfile::Builder::new()
        .prefix(".lathe-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|source| write_error(path, source))?;
    temp.write_all(&text)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|source| write_error(path, source))?;
    temp.persist(path).map_err(|e| write_error(path, e.error))?;
    Ok(())
}

fn remove_file(path: &Path) -> Result<()> {
    std::fs::remove_file(path).map_err(|source| write_error(path, source))
}

fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::CatalogWrite {
        path: path.to_path_buf(),
        source,
    }
}

/// Now, as Glue's epoch-seconds `CreateTime`.
fn now() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}
