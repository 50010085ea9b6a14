//! Entry points for the criterion benchmarks in `benches/`: thin wrappers
//! over crate-private hot paths (the SerDe decoders, partition projection),
//! so that benchmarks measure the real code. Hidden from the docs; not a
//! stable API.

use chrono::Utc;
use datafusion::arrow::error::ArrowError;
use datafusion::logical_expr::Expr;
use datafusion_datasource::decoder::Decoder;

use crate::catalog::{StorageFormat, TableDef};
use crate::error::{Error, Result};
use crate::json::JsonOptions;
use crate::table::projection::Projection;
use crate::text::{TextLineDecoder, TextOptions};

/// Decodes newline-delimited JSON with the table's SerDe rules; returns the rows read.
pub fn decode_json(table: &TableDef, data: &[u8]) -> Result<usize> {
    let StorageFormat::Json(serde) = table.format else {
        return Err(not_a(table, "JSON"));
    };
    let options = JsonOptions::for_table(table, serde)?;
    let mut decoder =
        crate::json::decoder::LineDecoder::new(table.file_schema(), &options, 8192, "bench".into());
    Ok(drive(&mut decoder, data)?)
}

/// Decodes delimited text with the table's SerDe rules; returns the rows read.
pub fn decode_text(table: &TableDef, data: &[u8]) -> Result<usize> {
    let StorageFormat::Text(serde) = table.format else {
        return Err(not_a(table, "text"));
    };
    let options = TextOptions::for_table(table, serde)?;
    let schema = table.file_schema();
    let ordinals: Vec<usize> = (0..schema.fields().len()).collect();
    let mut decoder = TextLineDecoder::new(&schema, &ordinals, &options, 8192, "bench".into())?;
    Ok(drive(&mut decoder, data)?)
}

/// The partitions a projected table's predicates select (after narrowing),
/// with their locations; returns how many.
pub fn projected_partitions(table: &TableDef, filters: &[Expr]) -> Result<usize> {
    let projection =
        Projection::from_table(table, Utc::now())?.ok_or_else(|| Error::InvalidConfig {
            source_name: format!("table {}", table.qualified_name()),
            reason: "projection.enabled is not true".into(),
        })?;
    let partitions =
        projection.partitions(filters, |values| table.default_partition_location(values))?;
    Ok(partitions.len())
}

fn not_a(table: &TableDef, what: &str) -> Error {
    Error::UnsupportedFormat {
        table: table.qualified_name(),
        format: format!("{:?} (not {what})", table.format),
    }
}

/// Feeds all of `data` through a streaming decoder, as DataFusion's file
/// stream does, flushing full batches; returns the rows decoded.
fn drive(decoder: &mut dyn Decoder, data: &[u8]) -> Result<usize, ArrowError> {
    let mut rows = 0;
    let mut rest = data;
    while !rest.is_empty() {
        let used = decoder.decode(rest)?;
        rest = &rest[used..];
        if decoder.can_flush_early()
            && let Some(batch) = decoder.flush()?
        {
            rows += batch.num_rows();
        }
    }
    decoder.decode(&[])?;
    if let Some(batch) = decoder.flush()? {
        rows += batch.num_rows();
    }
    Ok(rows)
}
