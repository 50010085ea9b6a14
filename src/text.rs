//! Reading delimited text tables (CSV, TSV, custom delimiters) with Hive's
//! text SerDes, as a DataFusion file source.
//!
//! [`SerdeTextSource`] is a [`FileSource`] like the JSON one (`crate::json`):
//! scans stay standard `DataSourceExec` scans, compression is chosen per file
//! from its extension, and errors name the file and line.
//!
//! Why not arrow-csv: its records follow RFC 4180 (a quoted field may span
//! lines, `""` is the only escape), a value that does not parse fails the
//! read, and it knows no collection delimiters. Hive's SerDes differ on each
//! point: a record is always one line; LazySimpleSerDe has no quoting at all
//! but a backslash-style escape, a NULL marker (`\N`) and nested types split
//! by `\002`/`\003`, and reads a bad value as NULL; OpenCSVSerde has its own
//! (opencsv) quoting rules. So the splitting and the conversion are ours
//! (`split`, `builder`); the streaming and the scan are DataFusion's.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::Result;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::physical_plan::{FileScanConfig, FileSource};
use datafusion::error::DataFusionError;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion::physical_plan::projection::ProjectionExprs;
use datafusion_datasource::PartitionedFile;
use datafusion_datasource::TableSchema;
use datafusion_datasource::decoder::{DecoderDeserializer, deserialize_stream};
use datafusion_datasource::file_stream::{FileOpenFuture, FileOpener};
use datafusion_datasource::projection::{ProjectionOpener, SplitProjection};
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStore, ObjectStoreExt};

use crate::catalog::{TableDef, TextSerde};
use crate::error::Error;
use crate::json::{TimestampFormat, compression_for, data_file_error, split_formats};

mod builder;
mod decoder;
mod split;

pub(crate) use decoder::TextLineDecoder;

/// How a table's text is split into fields and read: the SerDe, its
/// properties, and the table's `skip.header.line.count`. Plain data.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TextOptions {
    /// The SerDe, with the properties that shape its fields.
    pub fields: FieldFormat,
    /// The record terminator (`line.delim`; `\n`, which also ends at `\r\n`).
    pub line_delim: u8,
    /// Lines skipped at the start of every file (`skip.header.line.count`).
    pub skip_header_lines: u64,
    /// The text that reads as NULL (`serialization.null.format`, LazySimpleSerDe only).
    pub null_format: Option<String>,
    /// `timestamp.formats` (LazySimpleSerDe): Java date patterns or `millis`,
    /// tried in order before the default `yyyy-MM-dd HH:mm:ss[.f]`.
    pub timestamp_formats: Vec<String>,
    /// OpenCSVSerde `use.null.for.invalid.data`: a value that does not read
    /// as its column's type is NULL instead of failing the query.
    pub null_for_invalid: bool,
}

/// How one line becomes fields.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum FieldFormat {
    /// LazySimpleSerDe: split at single-byte delimiters, no quoting.
    Delimited {
        /// `field.delim` (else `serialization.format`, else `\001`).
        field: u8,
        /// `collection.delim` (Hive spells it `colelction.delim`; both are
        /// read), default `\002`: array elements, map entries, struct fields.
        collection: u8,
        /// `mapkey.delim`, default `\003`: between a map key and its value.
        mapkey: u8,
        /// `escape.delim`: the byte that makes the next one literal.
        escape: Option<u8>,
        /// `serialization.escape.crlf`: escaped `r` and `n` are CR and LF.
        escape_crlf: bool,
        /// `serialization.last.column.takes.rest`: the last column keeps its delimiters.
        last_column_takes_rest: bool,
    },
    /// OpenCSVSerde: opencsv's quoting, one record per line.
    Csv {
        /// `separatorChar`, default `,`.
        separator: u8,
        /// `quoteChar`, default `"` (`\0` turns quoting off).
        quote: u8,
        /// `escapeChar`, default `\` (Hive reads `"` as `\` here).
        escape: u8,
    },
    /// RegexSerDe: capture group N is column N; a line that does not match
    /// is a row of NULLs.
    Regex {
        /// `input.regex`, matched against the whole line.
        pattern: String,
        /// `input.regex.case.insensitive`.
        case_insensitive: bool,
    },
}

impl TextOptions {
    /// Reads the SerDe and table properties of a table.
    pub fn for_table(table: &TableDef, serde: TextSerde) -> crate::Result<Self> {
        let params = &table.serde_parameters;
        let bad = |key: &str, value: &str, reason: &str| Error::InvalidConfig {
            source_name: format!("table {}", table.qualified_name()),
            reason: format!("SerDe property {key} is {value:?}; {reason}"),
        };
        let flag = |key: &str, map: &std::collections::HashMap<String, String>| match map
            .get(key)
            .map(|v| v.trim().to_ascii_lowercase())
        {
            None => Ok(false),
            Some(v) if v == "true" => Ok(true),
            Some(v) if v == "false" => Ok(false),
            Some(v) => Err(bad(key, &v, "expected true or false")),
        };
        // Hive's LazySerDeParameters.getByte: a number is the byte's value
        // ("9" is a tab), anything else its first character.
        let delimiter = |keys: &[&str], default: u8| -> crate::Result<u8> {
            let Some((key, value)) = keys
                .iter()
                .find_map(|k| params.get(*k).map(|v| (*k, v)))
                .filter(|(_, v)| !v.is_empty())
            else {
                return Ok(default);
            };
            if let Ok(byte) = value.parse::<i8>() {
                return Ok(byte as u8);
            }
            match value.chars().next() {
                Some(c) if c.is_ascii() => Ok(c as u8),
                _ => Err(bad(
                    key,
                    value,
                    "lathe reads single-byte (ASCII) delimiters only",
                )),
            }
        };
        // OpenCSVSerde: one character; ASCII, so that it never matches inside
        // a multi-byte UTF-8 sequence.
        let csv_char = |key: &str, default: u8| -> crate::Result<u8> {
            match params.get(key) {
                None => Ok(default),
                Some(v) if v.is_empty() => Ok(default),
                Some(v) if v.len() == 1 && v.is_ascii() => Ok(v.as_bytes()[0]),
                Some(v) => Err(bad(key, v, "expected one ASCII character")),
            }
        };
        let fields = match serde {
            TextSerde::LazySimple => FieldFormat::Delimited {
                field: delimiter(&["field.delim", "serialization.format"], 1)?,
                collection: delimiter(&["collection.delim", "colelction.delim"], 2)?,
                mapkey: delimiter(&["mapkey.delim"], 3)?,
                escape: match params.get("escape.delim").filter(|v| !v.is_empty()) {
                    Some(_) => Some(delimiter(&["escape.delim"], b'\\')?),
                    None => None,
                },
                escape_crlf: flag("serialization.escape.crlf", params)?,
                last_column_takes_rest: flag("serialization.last.column.takes.rest", params)?,
            },
            TextSerde::OpenCsv => {
                let separator = csv_char("separatorChar", b',')?;
                let quote = csv_char("quoteChar", b'"')?;
                // Hive reads with `\` when the escape is `"` (its writer's default).
                let escape = match csv_char("escapeChar", b'\\')? {
                    b'"' => b'\\',
                    other => other,
                };
                if separator == quote || separator == escape || quote == escape && quote != 0 {
                    return Err(Error::InvalidConfig {
                        source_name: format!("table {}", table.qualified_name()),
                        reason: "SerDe properties separatorChar, quoteChar and escapeChar must be three different characters".into(),
                    });
                }
                FieldFormat::Csv {
                    separator,
                    quote,
                    escape,
                }
            }
            TextSerde::Regex => {
                let pattern = params
                    .get("input.regex")
                    .filter(|p| !p.is_empty())
                    .ok_or_else(|| bad("input.regex", "", "RegexSerDe needs a regular expression"))?
                    .clone();
                let case_insensitive = flag("input.regex.case.insensitive", params)?;
                split::compile_regex(&pattern, case_insensitive).map_err(|e| {
                    bad(
                        "input.regex",
                        &pattern,
                        &format!("not a valid regular expression: {e}"),
                    )
                })?;
                FieldFormat::Regex {
                    pattern,
                    case_insensitive,
                }
            }
        };
        if serde != TextSerde::LazySimple
            && let Some(column) = table.columns.iter().find(|c| {
                matches!(
                    c.data_type,
                    DataType::List(_) | DataType::Map(_, _) | DataType::Struct(_)
                )
            })
        {
            return Err(Error::InvalidConfig {
                source_name: format!("table {}", table.qualified_name()),
                reason: format!(
                    "column {} is {}, but {} reads scalar columns only",
                    column.name,
                    column.type_string,
                    if serde == TextSerde::OpenCsv {
                        "OpenCSVSerde"
                    } else {
                        "RegexSerDe"
                    }
                ),
            });
        }
        let line_delim = match params.get("line.delim").filter(|v| !v.is_empty()) {
            None => b'\n',
            Some(v) if v.len() == 1 && v.is_ascii() => v.as_bytes()[0],
            Some(v) => return Err(bad("line.delim", v, "expected one ASCII character")),
        };
        let skip_header_lines = match table.parameters.get("skip.header.line.count") {
            None => 0,
            Some(v) => v.trim().parse().map_err(|_| Error::InvalidConfig {
                source_name: format!("table {}", table.qualified_name()),
                reason: format!(
                    "table property skip.header.line.count is {v:?}; expected a whole number of lines"
                ),
            })?,
        };
        let timestamp_formats = match params.get("timestamp.formats") {
            Some(formats) if serde == TextSerde::LazySimple => split_formats(formats),
            _ => Vec::new(),
        };
        for format in &timestamp_formats {
            TimestampFormat::parse(format)
                .map_err(|reason| bad("timestamp.formats", format, &reason))?;
        }
        let null_for_invalid = serde == TextSerde::OpenCsv
            && (flag("use.null.for.invalid.data", &table.parameters)?
                || flag("use.null.for.invalid.data", params)?);
        Ok(Self {
            fields,
            line_delim,
            skip_header_lines,
            null_format: (serde == TextSerde::LazySimple).then(|| {
                params
                    .get("serialization.null.format")
                    .cloned()
                    .unwrap_or_else(|| "\\N".to_string())
            }),
            timestamp_formats,
            null_for_invalid,
        })
    }
}

/// A DataFusion file source that reads text lines with a Hive SerDe's rules.
#[derive(Clone)]
pub(crate) struct SerdeTextSource {
    table_schema: TableSchema,
    options: Arc<TextOptions>,
    batch_size: Option<usize>,
    metrics: ExecutionPlanMetricsSet,
    projection: SplitProjection,
}

impl SerdeTextSource {
    pub(crate) fn new(table_schema: TableSchema, options: TextOptions) -> Self {
        Self {
            projection: SplitProjection::unprojected(&table_schema),
            table_schema,
            options: Arc::new(options),
            batch_size: None,
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }

    /// How this source reads its files.
    pub(crate) fn options(&self) -> &TextOptions {
        &self.options
    }
}

impl FileSource for SerdeTextSource {
    fn create_file_opener(
        &self,
        object_store: Arc<dyn ObjectStore>,
        _base_config: &FileScanConfig,
        _partition: usize,
    ) -> Result<Arc<dyn FileOpener>> {
        let file_schema = self.table_schema.file_schema();
        let opener = Arc::new(SerdeTextOpener {
            batch_size: self.batch_size.unwrap_or(8192),
            file_schema: Arc::clone(file_schema),
            ordinals: Arc::new(self.projection.file_indices.clone()),
            options: Arc::clone(&self.options),
            store: object_store,
        });
        ProjectionOpener::try_new(self.projection.clone(), opener, file_schema)
    }

    fn table_schema(&self) -> &TableSchema {
        &self.table_schema
    }

    fn with_batch_size(&self, batch_size: usize) -> Arc<dyn FileSource> {
        let mut source = self.clone();
        source.batch_size = Some(batch_size);
        Arc::new(source)
    }

    fn try_pushdown_projection(
        &self,
        projection: &ProjectionExprs,
    ) -> Result<Option<Arc<dyn FileSource>>> {
        let mut source = self.clone();
        let merged = self.projection.source.try_merge(projection)?;
        source.projection = SplitProjection::new(self.table_schema.file_schema(), &merged);
        Ok(Some(Arc::new(source)))
    }

    fn projection(&self) -> Option<&ProjectionExprs> {
        Some(&self.projection.source)
    }

    fn metrics(&self) -> &ExecutionPlanMetricsSet {
        &self.metrics
    }

    fn file_type(&self) -> &str {
        "text"
    }

    // Whole files per task: header lines are per file, and errors carry
    // exact line numbers.
    fn supports_repartitioning(&self) -> bool {
        false
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        datafusion::physical_plan::apply_expression_roots(self.projection.source.iter(), f)
    }
}

struct SerdeTextOpener {
    batch_size: usize,
    file_schema: SchemaRef,
    /// The file columns read, as ordinals of the table's columns (field positions).
    ordinals: Arc<Vec<usize>>,
    options: Arc<TextOptions>,
    store: Arc<dyn ObjectStore>,
}

impl FileOpener for SerdeTextOpener {
    fn open(&self, file: PartitionedFile) -> Result<FileOpenFuture> {
        let store = Arc::clone(&self.store);
        let file_schema = Arc::clone(&self.file_schema);
        let ordinals = Arc::clone(&self.ordinals);
        let options = Arc::clone(&self.options);
        let batch_size = self.batch_size;
        Ok(Box::pin(async move {
            let location = file.object_meta.location.clone();
            let name = format!("/{location}");
            let compression = compression_for(location.as_ref());
            let stream = store.get(&location).await?.into_stream();
            let context = name.clone();
            let bytes = compression
                .convert_stream(stream.map_err(DataFusionError::from).boxed())?
                .map_err(move |e| data_file_error(&context, e))
                .fuse();
            let decoder =
                TextLineDecoder::new(&file_schema, &ordinals, &options, batch_size, name)?;
            let batches = deserialize_stream(bytes, DecoderDeserializer::new(decoder));
            Ok(batches.map_err(DataFusionError::from).boxed())
        }))
    }
}

#[cfg(test)]
mod tests;
