//! Table definitions and the catalog seam.
//!
//! A [`Catalog`] answers what Glue answers: which databases and tables exist,
//! what a table looks like ([`TableDef`]), and which partitions it has
//! registered. The local folder backend lives in [`local`], the AWS Glue API
//! backend in [`glue`]; the Glue JSON shapes and their validation in `glue_json`.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::logical_expr::Expr;

use crate::error::Result;

pub mod glue;
pub(crate) mod glue_json;

/// The database that always exists, as in Athena and Glue: unqualified
/// names resolve to it on a fresh catalog, and it cannot be dropped.
pub const DEFAULT_DATABASE: &str = "default";
pub mod local;
pub mod view;

/// How a table's files are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFormat {
    /// Newline-delimited JSON read with one of Hive's JSON SerDes.
    Json(JsonSerde),
    /// Apache Parquet.
    Parquet,
    /// Delimited text (CSV, TSV, custom) read with one of Hive's text SerDes.
    Text(TextSerde),
    /// Apache ORC (`OrcSerde`), read by column position unless the table
    /// says otherwise (see `columnar`).
    Orc,
    /// Apache Avro object container files (`AvroSerDe`).
    Avro,
    /// A Delta Lake table (`table_type = DELTA`): its schema and files are
    /// what its transaction log says (see `delta`).
    Delta,
    /// An Iceberg table (`table_type = ICEBERG`): its files are what its
    /// `metadata_location` says, not what is under its location.
    Iceberg,
}

/// Which text SerDe a table declares; they split lines and convert values
/// differently (see `text`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSerde {
    /// `org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe`: Athena's default
    /// TEXTFILE (`ROW FORMAT DELIMITED`); no quoting; a value that does not
    /// parse is NULL.
    LazySimple,
    /// `org.apache.hadoop.hive.serde2.OpenCSVSerde`: quoted CSV; every field
    /// is text, converted to the declared type as Athena does.
    OpenCsv,
    /// `org.apache.hadoop.hive.serde2.RegexSerDe`: one regex capture group per column.
    Regex,
}

/// Which JSON SerDe a table declares; they differ in leniency (ATHENA.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum JsonSerde {
    /// `org.openx.data.jsonserde.JsonSerDe`: lenient, case-insensitive.
    OpenX,
    /// `org.apache.hive.hcatalog.data.JsonSerDe`: strict types.
    Hive,
    /// `com.amazon.emr.hive.serde.CloudTrailSerde`: CloudTrail events, read
    /// leniently (as OpenX, nested values kept as written, since CloudTrail's
    /// `requestParameters` and kin are JSON text for `json_extract`).
    CloudTrail,
}

/// A column as the catalog declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Lower-cased name.
    pub name: String,
    /// The Hive type as written in the catalog.
    pub type_string: String,
    /// The Arrow type it maps to.
    pub data_type: DataType,
    /// The column comment, if any.
    pub comment: Option<String>,
}

/// A table as lathe understands it: Glue's table, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    /// Database (lower case).
    pub database: String,
    /// Table name (lower case).
    pub name: String,
    /// Data columns, in catalog order.
    pub columns: Vec<Column>,
    /// Partition keys, in catalog order; they follow the data columns in the schema.
    pub partition_keys: Vec<Column>,
    /// `StorageDescriptor.Location` as written.
    pub location: String,
    /// The file format.
    pub format: StorageFormat,
    /// Table `Parameters` (classification, projection.*, ...).
    pub parameters: HashMap<String, String>,
    /// `SerdeInfo.Parameters`.
    pub serde_parameters: HashMap<String, String>,
    /// The table comment (Glue `Description`).
    pub comment: Option<String>,
    /// The SerDe and input/output format class names as the catalog records them.
    pub storage: StorageClasses,
    /// For a view (`TableType = VIRTUAL_VIEW`): its SQL and columns. A view
    /// has no location or files; its `columns` are the view's, in Hive types.
    pub view: Option<view::ViewDef>,
}

/// The class names of a storage descriptor, kept as written so that a table
/// written back to the catalog (or shown by `SHOW CREATE TABLE`) keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageClasses {
    /// `SerdeInfo.SerializationLibrary`.
    pub serde: Option<String>,
    /// `InputFormat`.
    pub input_format: Option<String>,
    /// `OutputFormat`.
    pub output_format: Option<String>,
}

impl TableDef {
    /// Whether this is a view rather than a table.
    pub fn is_view(&self) -> bool {
        self.view.is_some()
    }

    /// `database.table`.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.database, self.name)
    }

    /// The Arrow schema of the data columns only (what the files hold).
    pub fn file_schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(&c.name, c.data_type.clone(), true))
                .collect::<Vec<_>>(),
        ))
    }

    /// The full schema: data columns, then partition keys (as Athena shows them).
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .chain(&self.partition_keys)
                .map(|c| Field::new(&c.name, c.data_type.clone(), true))
                .collect::<Vec<_>>(),
        ))
    }

    /// Where Hive puts a partition that has no location of its own:
    /// `<Location>/k1=v1/k2=v2/`, values escaped as Hive escapes them.
    pub fn default_partition_location(&self, values: &[String]) -> String {
        let mut location = self.location.trim_end_matches('/').to_string();
        for (key, value) in self.partition_keys.iter().zip(values) {
            location.push('/');
            location.push_str(&key.name);
            location.push('=');
            location.push_str(&escape_partition_value(value));
        }
        location.push('/');
        location
    }
}

/// A partition registered in the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionDef {
    /// Values as strings, in partition-key order.
    pub values: Vec<String>,
    /// The partition's own location.
    pub location: String,
    /// The partition's format (it may differ from the table's).
    pub format: StorageFormat,
}

/// Where a catalog lives: what another process needs to open the same one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CatalogLocation {
    /// A local catalog folder, as an absolute path.
    Folder(std::path::PathBuf),
    /// AWS Glue: the account whose catalog it is (default the caller's).
    Glue(Option<String>),
}

/// The catalog seam: Glue's read API, as lathe needs it.
#[async_trait]
pub trait Catalog: Debug + Send + Sync {
    /// All database names, lower case, sorted.
    async fn databases(&self) -> Result<Vec<String>>;

    /// All table names of a database, lower case, sorted.
    async fn tables(&self, database: &str) -> Result<Vec<String>>;

    /// One table's definition. Names are matched case-insensitively.
    async fn table(&self, database: &str, table: &str) -> Result<Arc<TableDef>>;

    /// The partitions registered for a table, or `None` when the catalog
    /// registers none (then partitions are discovered from folders).
    async fn partitions(&self, table: &TableDef) -> Result<Option<Arc<Vec<PartitionDef>>>>;

    /// The registered partitions that may satisfy `filters` (a query's
    /// predicates). A backend may narrow the list with the filters it can
    /// evaluate (Glue's `GetPartitions` expression) or ignore them: callers
    /// filter what is returned again.
    async fn partitions_matching(
        &self,
        table: &TableDef,
        filters: &[Expr],
    ) -> Result<Option<Arc<Vec<PartitionDef>>>> {
        let _ = filters;
        self.partitions(table).await
    }

    /// Forgets cached metadata, so that the next use reads it again.
    fn refresh(&self) {}

    /// Where this catalog lives, as plain data another process can open
    /// (a cluster's scheduler resolves partitions itself); `None` for a
    /// catalog that exists only in this process.
    fn location(&self) -> Option<CatalogLocation> {
        None
    }

    // The write API (DDL, MSCK, CTAS, INSERT INTO). Backends that cannot
    // write keep these defaults, which fail with `Error::ReadOnlyCatalog`.

    /// Creates a database. With `if_not_exists`, an existing database is
    /// left as it is; without, it is an error.
    async fn create_database(&self, database: &DatabaseDef, if_not_exists: bool) -> Result<()> {
        let _ = if_not_exists;
        Err(read_only(&format!("CREATE DATABASE {}", database.name)))
    }

    /// Drops a database's catalog entry. Without `cascade` it must hold no
    /// tables; with it, its tables' entries are dropped too. Data files are
    /// never deleted.
    async fn drop_database(&self, database: &str, if_exists: bool, cascade: bool) -> Result<()> {
        let _ = (if_exists, cascade);
        Err(read_only(&format!("DROP DATABASE {database}")))
    }

    /// Registers a table. With `if_not_exists`, an existing table is left as
    /// it is and `Ok(false)` returned; without, it is an error.
    async fn create_table(&self, table: &TableDef, if_not_exists: bool) -> Result<bool> {
        let _ = if_not_exists;
        Err(read_only(&format!(
            "CREATE TABLE {}",
            table.qualified_name()
        )))
    }

    /// Registers a view (a [`TableDef`] whose `view` is set). With `replace`,
    /// an existing entry of that name (the caller has checked it is a view)
    /// is replaced; without, it is an error.
    async fn create_view(&self, view: &TableDef, replace: bool) -> Result<()> {
        let _ = replace;
        Err(read_only(&format!("CREATE VIEW {}", view.qualified_name())))
    }

    /// Removes a table's catalog entry (and its registered partitions), never
    /// its data. Returns whether a table was dropped.
    async fn drop_table(&self, database: &str, table: &str, if_exists: bool) -> Result<bool> {
        let _ = if_exists;
        Err(read_only(&format!("DROP TABLE {database}.{table}")))
    }

    /// Points an Iceberg table at a new metadata file (an Iceberg commit):
    /// sets its `metadata_location` parameter to `new` and
    /// `previous_metadata_location` to `expected`, only if the table still
    /// points at `expected`, atomically against other writers; otherwise
    /// fails with `Error::CommitConflict`.
    async fn commit_iceberg(&self, table: &TableDef, expected: &str, new: &str) -> Result<()> {
        let _ = (expected, new);
        Err(read_only(&format!("commit to {}", table.qualified_name())))
    }

    /// Registers partitions of a table. A partition whose values are already
    /// registered is an error, or skipped with `if_not_exists`. Returns the
    /// number of partitions added.
    async fn add_partitions(
        &self,
        table: &TableDef,
        partitions: &[PartitionDef],
        if_not_exists: bool,
    ) -> Result<usize> {
        let _ = (partitions, if_not_exists);
        Err(read_only(&format!(
            "ALTER TABLE {} ADD PARTITION",
            table.qualified_name()
        )))
    }

    /// Unregisters partitions, given by their values in partition-key order.
    /// A partition that is not registered is an error, or skipped with
    /// `if_exists`. Data files are never deleted. Returns the number dropped.
    async fn drop_partitions(
        &self,
        table: &TableDef,
        values: &[Vec<String>],
        if_exists: bool,
    ) -> Result<usize> {
        let _ = (values, if_exists);
        Err(read_only(&format!(
            "ALTER TABLE {} DROP PARTITION",
            table.qualified_name()
        )))
    }
}

/// A database to create (Glue `DatabaseInput`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DatabaseDef {
    /// Lower-case name.
    pub name: String,
    /// `Description`.
    pub comment: Option<String>,
    /// `LocationUri`.
    pub location: Option<String>,
    /// `Parameters` (`WITH DBPROPERTIES`).
    pub parameters: HashMap<String, String>,
}

fn read_only(operation: &str) -> crate::error::Error {
    crate::error::Error::ReadOnlyCatalog {
        operation: operation.to_string(),
    }
}

/// The partition spec Hive prints: `k1=v1/k2=v2`, values escaped as in paths.
pub(crate) fn partition_name(keys: &[Column], values: &[String]) -> String {
    keys.iter()
        .zip(values)
        .map(|(k, v)| format!("{}={}", k.name, escape_partition_value(v)))
        .collect::<Vec<_>>()
        .join("/")
}

/// Hive's escaping of partition values in paths (`FileUtils.escapePathName`).
pub(crate) fn escape_partition_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        let escape = matches!(
            c,
            '"' | '#'
                | '%'
                | '\''
                | '*'
                | '/'
                | ':'
                | '='
                | '?'
                | '\\'
                | '\x7f'
                | '{'
                | '['
                | ']'
                | '^'
        ) || (c as u32) < 0x20;
        if escape {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The inverse of [`escape_partition_value`]: `%XX` sequences decoded.
pub(crate) fn unescape_partition_value(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            let hex = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8; // ok: checked hex digit
            out.push(hex(bytes[i + 1]) * 16 + hex(bytes[i + 2]));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_values_escape_like_hive() {
        assert_eq!(
            escape_partition_value("2024/05/01 10:00"),
            "2024%2F05%2F01 10%3A00"
        );
        assert_eq!(
            unescape_partition_value("2024%2F05%2F01 10%3A00"),
            "2024/05/01 10:00"
        );
        assert_eq!(unescape_partition_value("100%"), "100%");
        assert_eq!(unescape_partition_value("a%zzb"), "a%zzb");
    }
}
