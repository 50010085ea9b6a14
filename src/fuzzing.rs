//! Entry points for the `cargo fuzz` targets in `fuzz/` and their regression
//! tests (`tests/fuzz_regressions.rs`): thin wrappers over crate-private
//! parsers and decoders, so that fuzzing exercises the real code. Hidden from
//! the docs; not a stable API.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::logical_expr::{Expr, col, lit};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use serde_json::json;

use crate::catalog::TableDef;
use crate::catalog::glue_json::{
    parse_partitions_file, parse_table_file, table_json, written_classes,
};
use crate::error::{Error, Result};
use crate::render::{OutputFormat, batch_text, write_stream};
use crate::table::projection::Projection;

/// Where fuzzed catalog files claim to come from, for error messages.
const PATH: &str = "fuzz/db/t.json";

/// Parses a Glue table file (`{"Table": {...}}` or the bare table) and
/// converts it to a table definition, as the local catalog loads one. The
/// table's name is its own `Name` (lower-cased), so the name check passes.
pub fn glue_table(data: &[u8]) -> Result<TableDef> {
    let path = Path::new(PATH);
    let text = utf8(data)?;
    let glue = parse_table_file(path, text)?;
    let name = glue.name.as_deref().unwrap_or("t").to_lowercase();
    glue.into_table_def(path, "db", &name)
}

/// A table definition as the local catalog writes it back (what
/// [`glue_table`] must read as an equal definition).
pub fn glue_table_text(table: &TableDef) -> String {
    table_json(table, 0.0).to_string()
}

/// `table` as [`glue_table`] reads it back from [`glue_table_text`]: the
/// same, except that a definition naming no SerDe or format classes gains
/// its format's canonical ones.
pub fn glue_table_as_written(table: &TableDef) -> TableDef {
    TableDef {
        storage: written_classes(table),
        ..table.clone()
    }
}

/// Parses a Glue partitions file and checks each partition against `table`;
/// returns how many there are.
pub fn glue_partitions(table: &TableDef, data: &[u8]) -> Result<usize> {
    let path = Path::new(PATH);
    let partitions = parse_partitions_file(path, utf8(data)?)?;
    let count = partitions.len();
    for (i, partition) in partitions.into_iter().enumerate() {
        partition.into_partition_def(path, i, table)?;
    }
    Ok(count)
}

/// Parses `sql` with the Athena DDL parser: `None` when it is not DDL.
pub fn ddl(sql: &str) -> Option<Result<()>> {
    crate::athena::ddl::parse(sql).map(|parsed| parsed.map(|_| ()))
}

/// How many values of each projected column [`projection`] generates, from
/// each end of the column's range.
pub const SAMPLED_VALUES: u64 = 64;

/// Rows of values, one `Vec` per row (or per column, where said).
pub type Rows = Vec<Vec<String>>;

/// Rows of values where `None` is NULL.
pub type NullableRows = Vec<Vec<Option<String>>>;

/// Builds a projected JSON table with partition keys `keys` (name, Hive
/// type) and table properties `properties` (`projection.*`), reads its
/// projection, generates each column's first and last [`SAMPLED_VALUES`]
/// values, and lists the partitions that `key = value` filters select
/// (`equalities` pairs a key's index with a value). Returns the sampled
/// values and the partitions' values. `NOW` is 2023-11-14T22:13:20Z.
pub fn projection(
    keys: &[(String, String)],
    properties: &[(String, String)],
    equalities: &[(usize, String)],
) -> Result<(Rows, Rows)> {
    let columns: Vec<_> = keys
        .iter()
        .map(|(name, hive_type)| json!({"Name": name, "Type": hive_type}))
        .collect();
    let parameters: HashMap<&str, &str> = properties
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let glue = json!({"Table": {
        "Name": "t",
        "StorageDescriptor": {
            "Columns": [{"Name": "v", "Type": "string"}],
            "Location": "s3://bucket/t/",
            "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"}
        },
        "PartitionKeys": columns,
        "Parameters": parameters,
    }});
    let table = glue_table(glue.to_string().as_bytes())?;
    let now = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    let Some(projection) = Projection::from_table(&table, now)? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let sampled = projection.sample_values(SAMPLED_VALUES);
    let filters: Vec<Expr> = equalities
        .iter()
        .filter_map(|(i, value)| {
            let key = table.partition_keys.get(*i)?;
            let value = match value.parse::<i64>() {
                Ok(n) => lit(n),
                Err(_) => lit(value.as_str()),
            };
            Some(col(key.name.as_str()).eq(value))
        })
        .collect();
    // Unnarrowed columns may multiply to a million partitions; the
    // target stays fast by listing only fully narrowed projections.
    let narrowed = (0..keys.len()).all(|i| equalities.iter().any(|(k, _)| *k == i));
    let partitions = if narrowed {
        projection
            .partitions(&filters, |values| table.default_partition_location(values))?
            .into_iter()
            .map(|p| p.values)
            .collect()
    } else {
        Vec::new()
    };
    Ok((sampled, partitions))
}

/// The columns of the JSON table [`json_lines`] decodes into: every
/// primitive Athena type and nested arrays, maps and structs.
pub const JSON_COLUMNS: &[(&str, &str)] = &[
    ("id", "bigint"),
    ("name", "string"),
    ("price", "decimal(10,2)"),
    ("ts", "timestamp"),
    ("day", "date"),
    ("ok", "boolean"),
    ("score", "double"),
    ("ratio", "float"),
    ("small", "tinyint"),
    ("code", "char(3)"),
    ("tags", "array<string>"),
    ("attrs", "map<string,int>"),
    (
        "s",
        "struct<a:int,b:array<struct<c:string,d:double>>,e:map<string,array<bigint>>>",
    ),
];

/// Decodes newline-delimited JSON into the [`JSON_COLUMNS`] table with the
/// SerDe rules `flags` selects (bit 0: `ignore.malformed.json`; bit 1:
/// `case.insensitive=false`; bit 2: `dots.in.keys`; bit 3: a
/// `mapping.name`; bit 4: `timestamp.formats`; bit 5: Hive's JsonSerDe
/// instead of OpenX); returns the rows read.
pub fn json_lines(flags: u8, data: &[u8]) -> Result<usize> {
    let mut serde_parameters = serde_json::Map::new();
    let mut set = |bit: u8, key: &str, value: &str| {
        if flags & (1 << bit) != 0 {
            serde_parameters.insert(key.into(), json!(value));
        }
    };
    set(0, "ignore.malformed.json", "true");
    set(1, "case.insensitive", "false");
    set(2, "dots.in.keys", "true");
    set(3, "mapping.name", "Full.Name");
    set(4, "timestamp.formats", "yyyy-MM-dd'T'HH:mm:ss.SSSZZ,millis");
    let serde = if flags & (1 << 5) != 0 {
        "org.apache.hive.hcatalog.data.JsonSerDe"
    } else {
        "org.openx.data.jsonserde.JsonSerDe"
    };
    let columns: Vec<_> = JSON_COLUMNS
        .iter()
        .map(|(name, hive_type)| json!({"Name": name, "Type": hive_type}))
        .collect();
    let glue = json!({"Table": {
        "Name": "t",
        "StorageDescriptor": {
            "Columns": columns,
            "Location": "s3://bucket/t/",
            "SerdeInfo": {"SerializationLibrary": serde, "Parameters": serde_parameters}
        },
    }});
    let table = glue_table(glue.to_string().as_bytes())?;
    crate::bench::decode_json(&table, data)
}

/// One column of values for [`athena_csv`].
#[derive(Debug, Clone)]
pub enum CsvColumn {
    /// A `varchar` column.
    Strings(Vec<Option<String>>),
    /// A `bigint` column.
    Integers(Vec<Option<i64>>),
    /// A `double` column.
    Doubles(Vec<Option<f64>>),
}

/// Writes named columns (cut to the shortest) as Athena's result CSV, with
/// the production writer; returns the bytes and every value as Athena
/// prints it (`None` is NULL), header first, for a reader to compare.
pub fn athena_csv(columns: Vec<(String, CsvColumn)>) -> Result<(Vec<u8>, NullableRows)> {
    let rows = columns
        .iter()
        .map(|(_, c)| match c {
            CsvColumn::Strings(v) => v.len(),
            CsvColumn::Integers(v) => v.len(),
            CsvColumn::Doubles(v) => v.len(),
        })
        .min()
        .unwrap_or(0);
    let mut fields = Vec::with_capacity(columns.len());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns.len());
    for (name, column) in columns {
        let array: ArrayRef = match column {
            CsvColumn::Strings(v) => Arc::new(StringArray::from(v)),
            CsvColumn::Integers(v) => Arc::new(Int64Array::from(v)),
            CsvColumn::Doubles(v) => Arc::new(Float64Array::from(v)),
        };
        let array = array.slice(0, rows);
        fields.push(Field::new(name, array.data_type().clone(), true));
        arrays.push(array);
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    let mut expected: Vec<Vec<Option<String>>> = vec![
        schema
            .fields()
            .iter()
            .map(|f| Some(f.name().clone()))
            .collect(),
    ];
    expected.extend(batch_text(&batch)?);
    let stream = RecordBatchStreamAdapter::new(schema, futures::stream::iter([Ok(batch)]));
    let mut out = Vec::new();
    futures::executor::block_on(write_stream(Box::pin(stream), OutputFormat::Csv, &mut out))?;
    Ok((out, expected))
}

fn utf8(data: &[u8]) -> Result<&str> {
    std::str::from_utf8(data).map_err(|e| Error::InvalidCatalogFile {
        path: PATH.into(),
        reason: format!("not UTF-8: {e}"),
    })
}

/// The keys [`json_pick`] picks: plain, and one that differs only in case.
pub const JSON_PICK_KEYS: &[&str] = &["a", "b", "A", "long_key_name_over_16"];

/// Parses one line with the JSON fast path and with serde_json alone, and
/// panics if they disagree: a line the fast path accepts must be an object
/// to serde_json too, with the same values picked (the last of duplicates).
pub fn json_pick(line: &[u8]) {
    let pick = |key: &str| JSON_PICK_KEYS.iter().position(|k| *k == key);
    let mut fast = vec![None; JSON_PICK_KEYS.len()];
    let mut slow = fast.clone();
    let fast_result = crate::json::parse_picked(line, pick, &mut fast);
    let slow_result = crate::json::parse_picked_with_serde(line, pick, &mut slow);
    match (&fast_result, &slow_result) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "verdicts differ");
            assert_eq!(fast, slow, "picked values differ");
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("fast {fast_result:?}, serde_json {slow_result:?}"),
    }
}
