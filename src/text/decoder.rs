//! Lines of a text file into record batches: header lines skipped, each line
//! split by the SerDe (`split`) and its fields converted (`builder`), lines
//! counted so that errors name the file and line. [`TextLineDecoder`] plugs
//! into DataFusion's streaming decoder machinery.

use std::sync::Arc;

use datafusion::arrow::array::{RecordBatch, RecordBatchOptions};
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion_datasource::decoder::Decoder;
use regex::Regex;

use super::builder::{Builder, Dialect, Rules};
use super::split::{CsvChars, compile_regex, parse_csv, separators, split_delimited};
use super::{FieldFormat, TextOptions};
use crate::error::Error;
use crate::json::TimestampFormat;
use crate::lines::{LineSink, feed_lines};

/// How lines are split, ready to run.
enum Splitter {
    Delimited { field: u8, rest: bool },
    Csv(CsvChars),
    Regex(Regex),
}

/// Splits a byte stream into lines and decodes them into the projected columns.
pub(crate) struct TextLineDecoder {
    schema: SchemaRef,
    builders: Vec<Builder>,
    /// For each projected column, its position among the table's columns (its field number).
    ordinals: Vec<usize>,
    names: Vec<String>,
    columns: usize,
    splitter: Splitter,
    rules: Rules,
    null_for_invalid: bool,
    line_delim: u8,
    skip_header_lines: u64,
    batch_size: usize,
    rows: usize,
    partial: Vec<u8>,
    file: String,
    line: u64,
    // Buffers reused across lines.
    ranges: Vec<(usize, usize)>,
    csv_buf: Vec<u8>,
    csv_fields: Vec<Option<(usize, usize)>>,
}

impl std::fmt::Debug for TextLineDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextLineDecoder")
            .field("file", &self.file)
            .field("line", &self.line)
            .finish()
    }
}

impl TextLineDecoder {
    /// A decoder of `file`: `file_schema` is every data column of the table,
    /// `ordinals` the ones to read (in output order).
    pub(crate) fn new(
        file_schema: &Schema,
        ordinals: &[usize],
        options: &TextOptions,
        batch_size: usize,
        file: String,
    ) -> datafusion::common::Result<Self> {
        let fields: Vec<_> = ordinals
            .iter()
            .map(|&i| Arc::clone(&file_schema.fields()[i]))
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let (splitter, dialect, seps, escape, crlf) = match &options.fields {
            FieldFormat::Delimited {
                field,
                collection,
                mapkey,
                escape,
                escape_crlf,
                last_column_takes_rest,
            } => (
                Splitter::Delimited {
                    field: *field,
                    rest: *last_column_takes_rest,
                },
                Dialect::Hive,
                separators(*field, *collection, *mapkey),
                *escape,
                *escape_crlf,
            ),
            FieldFormat::Csv {
                separator,
                quote,
                escape,
            } => (
                Splitter::Csv(CsvChars {
                    separator: *separator,
                    quote: *quote,
                    escape: *escape,
                }),
                Dialect::OpenCsv,
                Vec::new(),
                None,
                false,
            ),
            FieldFormat::Regex {
                pattern,
                case_insensitive,
            } => (
                Splitter::Regex(
                    compile_regex(pattern, *case_insensitive)
                        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?,
                ),
                Dialect::Hive,
                Vec::new(),
                None,
                false,
            ),
        };
        let rules = Rules {
            dialect,
            separators: seps,
            escape,
            escape_crlf: crlf,
            null_format: options.null_format.as_ref().map(|n| n.as_bytes().to_vec()),
            // Validated when the options were read; a bad one cannot reach here.
            timestamp_formats: options
                .timestamp_formats
                .iter()
                .filter_map(|f| TimestampFormat::parse(f).ok())
                .collect(),
        };
        Ok(Self {
            builders: schema
                .fields()
                .iter()
                .map(|f| Builder::new(f.data_type()))
                .collect(),
            names: schema.fields().iter().map(|f| f.name().clone()).collect(),
            schema,
            ordinals: ordinals.to_vec(),
            columns: file_schema.fields().len(),
            splitter,
            rules,
            null_for_invalid: options.null_for_invalid,
            line_delim: options.line_delim,
            skip_header_lines: options.skip_header_lines,
            batch_size: batch_size.max(1),
            rows: 0,
            partial: Vec::new(),
            file,
            line: 0,
            ranges: Vec::new(),
            csv_buf: Vec::new(),
            csv_fields: Vec::new(),
        })
    }

    fn decode_line(&mut self, line: &[u8]) -> Result<(), ArrowError> {
        self.line += 1;
        if self.line <= self.skip_header_lines {
            return Ok(());
        }
        let line = match self.line_delim {
            b'\n' => line.strip_suffix(b"\r").unwrap_or(line),
            _ => line,
        };
        match &self.splitter {
            Splitter::Delimited { field, rest } => {
                split_delimited(
                    line,
                    *field,
                    self.rules.escape,
                    self.columns,
                    *rest,
                    &mut self.ranges,
                );
                for (builder, &ordinal) in self.builders.iter_mut().zip(&self.ordinals) {
                    match self.ranges.get(ordinal) {
                        Some(&(start, end)) => {
                            builder.append_lazy(&line[start..end], &self.rules, 1)
                        }
                        None => builder.append_null(),
                    }
                }
            }
            Splitter::Csv(chars) => {
                parse_csv(
                    line,
                    *chars,
                    self.columns,
                    &mut self.csv_buf,
                    &mut self.csv_fields,
                );
                for (i, (builder, &ordinal)) in
                    self.builders.iter_mut().zip(&self.ordinals).enumerate()
                {
                    let Some((start, end)) = self.csv_fields[ordinal] else {
                        builder.append_null();
                        continue;
                    };
                    let text = String::from_utf8_lossy(&self.csv_buf[start..end]);
                    if builder.append_scalar(&text, &self.rules) {
                        continue;
                    }
                    if !self.null_for_invalid {
                        return Err(ArrowError::ExternalError(Box::new(Error::BadTextData {
                            file: self.file.clone(),
                            line: self.line,
                            reason: format!(
                                "HIVE_BAD_DATA: value {text:?} of column {} is not a valid {}; \
                                 the table property use.null.for.invalid.data=true reads such values as NULL",
                                self.names[i],
                                hive_type_name(self.schema.field(i).data_type()),
                            ),
                        })));
                    }
                    builder.append_null();
                }
            }
            Splitter::Regex(regex) => {
                let text = String::from_utf8_lossy(line);
                let captures = regex.captures(&text);
                for (builder, &ordinal) in self.builders.iter_mut().zip(&self.ordinals) {
                    // A line that does not match is a row of NULLs, as in Hive.
                    let value = captures.as_ref().and_then(|c| c.get(ordinal + 1));
                    match value {
                        Some(m) if builder.append_scalar(m.as_str(), &self.rules) => {}
                        _ => builder.append_null(),
                    }
                }
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// The rows decoded so far, as one batch.
    pub(crate) fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let columns = self
            .builders
            .iter_mut()
            .map(Builder::finish)
            .collect::<Result<Vec<_>, _>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some(self.rows));
        self.rows = 0;
        RecordBatch::try_new_with_options(Arc::clone(&self.schema), columns, &options)
    }
}

/// The Hive name of a column type, for error messages.
fn hive_type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Boolean => "boolean".into(),
        DataType::Int8 => "tinyint".into(),
        DataType::Int16 => "smallint".into(),
        DataType::Int32 => "int".into(),
        DataType::Int64 => "bigint".into(),
        DataType::Float32 => "float".into(),
        DataType::Float64 => "double".into(),
        DataType::Decimal128(p, s) => format!("decimal({p},{s})"),
        DataType::Date32 => "date (days since 1970-01-01)".into(),
        DataType::Timestamp(_, _) => "timestamp (milliseconds since 1970-01-01)".into(),
        DataType::Binary => "binary".into(),
        other => other.to_string(),
    }
}

impl LineSink for TextLineDecoder {
    fn line(&mut self, line: &[u8]) -> Result<(), ArrowError> {
        self.decode_line(line)
    }

    fn full(&self) -> bool {
        self.rows >= self.batch_size
    }
}

impl Decoder for TextLineDecoder {
    fn decode(&mut self, buf: &[u8]) -> Result<usize, ArrowError> {
        let mut partial = std::mem::take(&mut self.partial);
        let consumed = feed_lines(&mut partial, buf, self.line_delim, self);
        self.partial = partial;
        consumed
    }

    fn flush(&mut self) -> Result<Option<RecordBatch>, ArrowError> {
        if self.rows == 0 {
            return Ok(None);
        }
        self.finish().map(Some)
    }

    fn can_flush_early(&self) -> bool {
        self.rows >= self.batch_size
    }
}
