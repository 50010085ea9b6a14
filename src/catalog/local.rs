//! The local catalog: a folder in Glue's own JSON shape (DESIGN.md).
//!
//! ```text
//! catalog/<database>/<table>.json              {"Table": {...}} or the bare Table
//! catalog/<database>/<table>.partitions.json   {"Partitions": [...]} (optional)
//! ```
//!
//! Files are read when a table is first used and cached for the session;
//! the catalog's own writes (`write`: DDL, MSCK, CTAS) clear the cache.
//! Relative locations are resolved against the catalog folder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::glue_json::{parse_partitions_file, parse_table_file};
use super::{Catalog, DatabaseDef, PartitionDef, TableDef};
use crate::error::{Error, Result, closest};
use crate::storage::normalize;

const TABLE_SUFFIX: &str = ".json";
const PARTITIONS_SUFFIX: &str = ".partitions.json";
/// The table parameter of a partition projection's location template.
const LOCATION_TEMPLATE: &str = "storage.location.template";

type Partitions = Option<Arc<Vec<PartitionDef>>>;

/// A catalog read from a local folder.
#[derive(Debug)]
pub struct LocalCatalog {
    root: PathBuf,
    tables: Mutex<HashMap<(String, String), Arc<TableDef>>>,
    partitions: Mutex<HashMap<(String, String), Partitions>>,
}

impl LocalCatalog {
    /// Opens the catalog folder; fails if it is not a readable folder.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        let meta = std::fs::metadata(&root).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => Error::CatalogNotFound { path: root.clone() },
            _ => Error::CatalogIo {
                path: root.clone(),
                source,
            },
        })?;
        if !meta.is_dir() {
            return Err(Error::InvalidCatalogFile {
                path: root,
                reason: "is not a folder; a local catalog is a folder of database folders".into(),
            });
        }
        let root = std::path::absolute(&root).unwrap_or(root);
        Ok(Self {
            root,
            tables: Mutex::default(),
            partitions: Mutex::default(),
        })
    }

    /// The catalog folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Finds the folder of a database, matching its name case-insensitively.
    fn database_dir(&self, database: &str) -> Result<PathBuf> {
        let names = self.database_names()?;
        match names
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(database))
        {
            Some((_, dir)) => Ok(dir.clone()),
            None => Err(Error::DatabaseNotFound {
                database: database.to_string(),
                suggestion: closest(database, names.iter().map(|(n, _)| n.as_str())),
            }),
        }
    }

    fn database_names(&self) -> Result<Vec<(String, PathBuf)>> {
        let mut names = Vec::new();
        for entry in read_dir(&self.root)? {
            let path = entry.path();
            let Some(name) = visible_name(&path) else {
                continue;
            };
            if path.is_dir() {
                names.push((name.to_lowercase(), path));
            }
        }
        // `default` always exists, as in Athena and Glue; its folder is made
        // when its first table is written.
        if !names.iter().any(|(n, _)| n == super::DEFAULT_DATABASE) {
            names.push((
                super::DEFAULT_DATABASE.to_string(),
                self.root.join(super::DEFAULT_DATABASE),
            ));
        }
        names.sort();
        Ok(names)
    }

    /// Table files of a database folder: `(lower-case table name, path)`.
    fn table_files(&self, dir: &Path) -> Result<Vec<(String, PathBuf)>> {
        let mut tables = Vec::new();
        if !dir.exists() {
            // `default` before its first table.
            return Ok(tables);
        }
        for entry in read_dir(dir)? {
            let path = entry.path();
            let Some(name) = visible_name(&path) else {
                continue;
            };
            if name.ends_with(PARTITIONS_SUFFIX) || !path.is_file() {
                continue;
            }
            if let Some(stem) = name.strip_suffix(TABLE_SUFFIX) {
                tables.push((stem.to_lowercase(), path));
            }
        }
        tables.sort();
        Ok(tables)
    }

    fn load_table(&self, database: &str, table: &str) -> Result<TableDef> {
        let dir = self.database_dir(database)?;
        // The usual file, `<table>.json` in lower case, is opened directly;
        // listing the folder for each table made loading every table of a
        // 1,000-table database quadratic (criterion: 1.8 s, now 34 ms). Only a file
        // named in another case needs the listing.
        let lower = table.to_lowercase();
        let file_name = format!("{lower}{TABLE_SUFFIX}");
        let direct = dir.join(&file_name);
        if visible_name(&direct).is_some()
            && !file_name.ends_with(PARTITIONS_SUFFIX)
            && direct.is_file()
        {
            return self.read_table(database, &lower, &direct);
        }
        let files = self.table_files(&dir)?;
        let Some((name, path)) = files
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(table))
        else {
            let qualified: Vec<String> = files
                .iter()
                .map(|(n, _)| format!("{}.{n}", database.to_lowercase()))
                .collect();
            return Err(Error::TableNotFound {
                name: format!("{}.{}", database.to_lowercase(), table.to_lowercase()),
                suggestion: closest(
                    &format!("{database}.{table}"),
                    qualified.iter().map(String::as_str),
                ),
            });
        };
        self.read_table(database, name, path)
    }

    /// Reads the table file `path` of `database`.`name`.
    fn read_table(&self, database: &str, name: &str, path: &Path) -> Result<TableDef> {
        let text = read_text(path)?;
        let mut def =
            parse_table_file(path, &text)?.into_table_def(path, &database.to_lowercase(), name)?;
        if def.is_view() {
            return Ok(def);
        }
        def.location = self.resolve_relative(&def.location);
        // A projection's location template is a location too.
        if let Some(template) = def.parameters.get_mut(LOCATION_TEMPLATE) {
            *template = self.resolve_relative(template);
        }
        Ok(def)
    }

    fn load_partitions(&self, table: &TableDef) -> Result<Partitions> {
        let dir = self.database_dir(&table.database)?;
        // The file may use another case than the lower-cased table name.
        let Some(path) = self.partitions_file(&dir, &table.name)? else {
            return Ok(None);
        };
        let text = read_text(&path)?;
        let mut partitions = parse_partitions_file(&path, &text)?
            .into_iter()
            .enumerate()
            .map(|(i, p)| p.into_partition_def(&path, i, table))
            .collect::<Result<Vec<_>>>()?;
        for p in &mut partitions {
            p.location = self.resolve_relative(&p.location);
        }
        Ok(Some(Arc::new(partitions)))
    }

    /// Locations without a scheme are paths relative to the catalog folder.
    fn resolve_relative(&self, location: &str) -> String {
        if location.contains("://") {
            return location.to_string();
        }
        let path = self.root.join(location);
        let mut text = normalize(&path).to_string_lossy().into_owned();
        if location.ends_with('/') && !text.ends_with('/') {
            text.push('/');
        }
        text
    }
}

#[async_trait]
impl Catalog for LocalCatalog {
    async fn databases(&self) -> Result<Vec<String>> {
        Ok(self.database_names()?.into_iter().map(|(n, _)| n).collect())
    }

    async fn tables(&self, database: &str) -> Result<Vec<String>> {
        let dir = self.database_dir(database)?;
        Ok(self
            .table_files(&dir)?
            .into_iter()
            .map(|(n, _)| n)
            .collect())
    }

    async fn table(&self, database: &str, table: &str) -> Result<Arc<TableDef>> {
        let key = (database.to_lowercase(), table.to_lowercase());
        if let Some(def) = lock(&self.tables).get(&key) {
            return Ok(Arc::clone(def));
        }
        let def = Arc::new(self.load_table(database, table)?);
        lock(&self.tables).insert(key, Arc::clone(&def));
        Ok(def)
    }

    fn refresh(&self) {
        self.refresh_caches();
    }

    fn location(&self) -> Option<super::CatalogLocation> {
        Some(super::CatalogLocation::Folder(self.root.clone()))
    }

    async fn create_database(&self, database: &DatabaseDef, if_not_exists: bool) -> Result<()> {
        self.write_create_database(database, if_not_exists)
    }

    async fn drop_database(&self, database: &str, if_exists: bool, cascade: bool) -> Result<()> {
        self.write_drop_database(database, if_exists, cascade)
    }

    async fn create_table(&self, table: &TableDef, if_not_exists: bool) -> Result<bool> {
        self.write_create_table(table, if_not_exists)
    }

    async fn drop_table(&self, database: &str, table: &str, if_exists: bool) -> Result<bool> {
        self.write_drop_table(database, table, if_exists)
    }

    async fn create_view(&self, view: &TableDef, replace: bool) -> Result<()> {
        self.write_create_view(view, replace)
    }

    async fn commit_iceberg(&self, table: &TableDef, expected: &str, new: &str) -> Result<()> {
        self.write_commit_iceberg(table, expected, new)
    }

    async fn add_partitions(
        &self,
        table: &TableDef,
        partitions: &[PartitionDef],
        if_not_exists: bool,
    ) -> Result<usize> {
        self.write_add_partitions(table, partitions, if_not_exists)
    }

    async fn drop_partitions(
        &self,
        table: &TableDef,
        values: &[Vec<String>],
        if_exists: bool,
    ) -> Result<usize> {
        self.write_drop_partitions(table, values, if_exists)
    }

    async fn partitions(&self, table: &TableDef) -> Result<Partitions> {
        let key = (table.database.clone(), table.name.clone());
        if let Some(p) = lock(&self.partitions).get(&key) {
            return Ok(p.clone());
        }
        let partitions = self.load_partitions(table)?;
        lock(&self.partitions).insert(key, partitions.clone());
        Ok(partitions)
    }
}

impl LocalCatalog {
    fn refresh_caches(&self) {
        lock(&self.tables).clear();
        lock(&self.partitions).clear();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the cache lock leaves a usable cache.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read_dir(dir: &Path) -> Result<impl Iterator<Item = std::fs::DirEntry>> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::CatalogIo {
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(entries.filter_map(|e| e.ok()))
}

fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| Error::CatalogIo {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| Error::InvalidCatalogFile {
        path: path.to_path_buf(),
        reason: format!(
            "is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// The file name, unless it is hidden (`.x`) or a Hive-hidden (`_x`) file.
fn visible_name(path: &Path) -> Option<&str> {
    let name = path.file_name()?.to_str()?;
    (!name.starts_with('.') && !name.starts_with('_')).then_some(name)
}

mod write;

#[cfg(test)]
mod tests;
