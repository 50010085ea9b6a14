//! Query results as text: table, CSV (Athena's result format), TSV, JSON and
//! NDJSON. Writer-generic: callers pass any `impl Write`; only the binary
//! decides that it is stdout or a file.

use std::io::Write;
use std::str::FromStr;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::json::WriterBuilder;
use datafusion::arrow::json::writer::{JsonArray, JsonFormat, LineDelimited};
use datafusion::physical_plan::SendableRecordBatchStream;
use futures::StreamExt;

use crate::error::{Error, Result};

mod value;

pub(crate) use value::{ValueFormatter, java_double};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// An aligned text table.
    #[default]
    Table,
    /// Athena's result CSV: every non-NULL value quoted, NULL empty.
    Csv,
    /// Tab-separated, unquoted, with `\t`, `\n` and `\\` escaped; NULL empty.
    Tsv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
}

impl FromStr for OutputFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "table" => Ok(Self::Table),
            "csv" => Ok(Self::Csv),
            "tsv" => Ok(Self::Tsv),
            "json" => Ok(Self::Json),
            "ndjson" | "jsonl" => Ok(Self::Ndjson),
            other => Err(Error::InvalidConfig {
                source_name: "format".into(),
                reason: format!("{other:?} is not one of table, csv, tsv, json, ndjson"),
            }),
        }
    }
}

impl OutputFormat {
    /// The format a file name implies: `.csv`, `.tsv`, `.json`, `.ndjson`/`.jsonl`, `.txt`.
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Self::Csv),
            "tsv" | "tab" => Some(Self::Tsv),
            "json" => Some(Self::Json),
            "ndjson" | "jsonl" => Some(Self::Ndjson),
            "txt" => Some(Self::Table),
            _ => None,
        }
    }
}

/// Writes a result stream in `format`; returns the number of rows written.
/// Streams batch by batch, except the table format, which needs every row
/// to size its columns.
pub async fn write_stream(
    mut stream: SendableRecordBatchStream,
    format: OutputFormat,
    out: &mut (dyn Write + Send),
) -> Result<usize> {
    let schema = stream.schema();
    let mut rows = 0;
    match format {
        OutputFormat::Table => {
            let mut batches = Vec::new();
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                rows += batch.num_rows();
                batches.push(batch);
            }
            write_table(&schema, &batches, out)?;
        }
        OutputFormat::Csv | OutputFormat::Tsv => {
            let delimited = Delimited::new(format == OutputFormat::Csv);
            delimited.header(&schema, out)?;
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                rows += batch.num_rows();
                delimited.rows(&batch, out)?;
            }
        }
        OutputFormat::Json => rows = write_json::<JsonArray>(stream, out).await?,
        OutputFormat::Ndjson => rows = write_json::<LineDelimited>(stream, out).await?,
    }
    out.flush()?;
    Ok(rows)
}

/// Writes batches as an aligned text table; NULL shows as `NULL`.
pub fn write_table(schema: &SchemaRef, batches: &[RecordBatch], out: &mut dyn Write) -> Result<()> {
    let mut table = comfy_table::Table::new();
    table.load_preset("||--+-++|    ++++++");
    table.set_header(schema.fields().iter().map(|f| f.name().as_str()));
    for batch in batches {
        let formatters = formatters(batch)?;
        for row in 0..batch.num_rows() {
            table.add_row(formatters.iter().map(|f| {
                if f.is_null(row) {
                    "NULL".to_string()
                } else {
                    f.to_string(row)
                }
            }));
        }
    }
    writeln!(out, "{table}")?;
    Ok(())
}

/// Every value of a batch as Athena prints it, row by row; `None` is NULL.
pub fn batch_text(batch: &RecordBatch) -> Result<Vec<Vec<Option<String>>>> {
    let formatters = formatters(batch)?;
    Ok((0..batch.num_rows())
        .map(|row| {
            formatters
                .iter()
                .map(|f| (!f.is_null(row)).then(|| f.to_string(row)))
                .collect()
        })
        .collect())
}

/// The value at `row` of `array` as Athena prints it.
pub(crate) fn text_of(
    array: &dyn datafusion::arrow::array::Array,
    row: usize,
) -> std::result::Result<String, datafusion::arrow::error::ArrowError> {
    Ok(ValueFormatter::try_new(array)?.to_string(row))
}

fn formatters(batch: &RecordBatch) -> Result<Vec<ValueFormatter<'_>>> {
    Ok(batch
        .columns()
        .iter()
        .map(|c| ValueFormatter::try_new(c.as_ref()))
        .collect::<Result<_, _>>()?)
}

/// CSV in Athena's result format, or TSV.
struct Delimited {
    csv: bool,
}

impl Delimited {
    fn new(csv: bool) -> Self {
        Self { csv }
    }

    fn header(&self, schema: &SchemaRef, out: &mut dyn Write) -> Result<()> {
        let mut line = String::new();
        for (i, field) in schema.fields().iter().enumerate() {
            self.field(&mut line, i, Some(field.name()));
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
        Ok(())
    }

    fn rows(&self, batch: &RecordBatch, out: &mut dyn Write) -> Result<()> {
        let formatters = formatters(batch)?;
        let mut line = String::new();
        let mut value = String::new();
        for row in 0..batch.num_rows() {
            line.clear();
            for (i, f) in formatters.iter().enumerate() {
                if f.is_null(row) {
                    self.field(&mut line, i, None);
                } else {
                    value.clear();
                    f.write(row, &mut value);
                    self.field(&mut line, i, Some(&value));
                }
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    fn field(&self, line: &mut String, index: usize, value: Option<&str>) {
        if index > 0 {
            line.push(if self.csv { ',' } else { '\t' });
        }
        let Some(value) = value else { return };
        if self.csv {
            line.push('"');
            for c in value.chars() {
                if c == '"' {
                    line.push('"');
                }
                line.push(c);
            }
            line.push('"');
        } else {
            for c in value.chars() {
                match c {
                    '\t' => line.push_str("\\t"),
                    '\n' => line.push_str("\\n"),
                    '\r' => line.push_str("\\r"),
                    '\\' => line.push_str("\\\\"),
                    c => line.push(c),
                }
            }
        }
    }
}

/// The two JSON layouts, and whether a newline must follow the last byte.
trait JsonLayout: JsonFormat {
    const NEEDS_FINAL_NEWLINE: bool;
}

impl JsonLayout for JsonArray {
    const NEEDS_FINAL_NEWLINE: bool = true;
}

impl JsonLayout for LineDelimited {
    const NEEDS_FINAL_NEWLINE: bool = false;
}

async fn write_json<F: JsonLayout>(
    mut stream: SendableRecordBatchStream,
    out: &mut (dyn Write + Send),
) -> Result<usize> {
    let mut writer = WriterBuilder::new()
        .with_explicit_nulls(true)
        .build::<_, F>(&mut *out);
    let mut rows = 0;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        rows += batch.num_rows();
        writer.write(&batch)?;
    }
    writer.finish()?;
    drop(writer);
    if F::NEEDS_FINAL_NEWLINE {
        out.write_all(b"\n")?;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests;
