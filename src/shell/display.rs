//! Results on a terminal: a table that fits the width (long cells cut with
//! an ellipsis, NULL distinct from the empty string, at most `maxrows`
//! rows), or the expanded one-field-per-line layout. Pure: returns text.

use comfy_table::{ContentArrangement, Table};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use lathe::render::batch_text;

/// How NULL shows, distinct from an empty string (which shows as nothing).
pub(crate) const NULL: &str = "NULL";

/// Renders rows as a table of at most `width` columns of text.
pub(crate) fn table(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    width: usize,
) -> lathe::Result<String> {
    let mut table = Table::new();
    table.load_preset("||--+-++|    ++++++");
    table.set_content_arrangement(ContentArrangement::Dynamic);
    table.set_width(width.clamp(20, u16::MAX as usize) as u16);
    let rows: Vec<Vec<Option<String>>> = batches
        .iter()
        .map(batch_text)
        .collect::<lathe::Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    let limits = column_limits(schema, &rows, width);
    table.set_header(schema.fields().iter().map(|f| f.name().clone()));
    for row in rows {
        table.add_row(row.into_iter().zip(&limits).map(|(v, limit)| match v {
            None => NULL.to_string(),
            Some(s) => cut(&s, *limit),
        }));
    }
    Ok(table.to_string())
}

/// How many characters each column may show: every column its natural
/// width when the table fits; otherwise narrow columns keep theirs and the
/// wide ones share what is left (never less than 8 characters).
fn column_limits(schema: &SchemaRef, rows: &[Vec<Option<String>>], width: usize) -> Vec<usize> {
    let natural: Vec<usize> = (0..schema.fields().len())
        .map(|i| {
            let header = schema.field(i).name().chars().count();
            rows.iter()
                .map(|r| r[i].as_ref().map_or(NULL.len(), |v| v.chars().count()))
                .max()
                .unwrap_or(0)
                .max(header)
        })
        .collect();
    // Borders take "| " before each column, " " after it, and a final "|".
    let mut room = width.saturating_sub(1 + 3 * natural.len());
    let mut limits = natural.clone();
    let mut wide: Vec<usize> = (0..natural.len()).collect();
    loop {
        let share = (room / wide.len().max(1)).max(8);
        let (narrow, rest): (Vec<usize>, Vec<usize>) =
            wide.iter().partition(|&&i| natural[i] <= share);
        if narrow.is_empty() {
            for &i in &rest {
                limits[i] = share;
            }
            return limits;
        }
        room = room.saturating_sub(narrow.iter().map(|&i| natural[i]).sum());
        wide = rest;
        if wide.is_empty() {
            return limits;
        }
    }
}

/// One field per line, one block per row (`\x`).
pub(crate) fn expanded(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    width: usize,
) -> lathe::Result<String> {
    let name_width = schema
        .fields()
        .iter()
        .map(|f| f.name().chars().count())
        .max()
        .unwrap_or(0);
    let value_limit = width.saturating_sub(name_width + 3).max(12);
    let mut out = String::new();
    let mut n = 0;
    for batch in batches {
        for row in batch_text(batch)? {
            n += 1;
            out.push_str(&format!(
                "-[ RECORD {n} ]{}\n",
                "-".repeat(name_width.saturating_sub(8))
            ));
            for (field, value) in schema.fields().iter().zip(row) {
                let value = value.map_or(NULL.to_string(), |v| cut(&v, value_limit));
                out.push_str(&format!("{:<name_width$} | {value}\n", field.name()));
            }
        }
    }
    if n == 0 {
        out.push_str("(no rows)\n");
    }
    Ok(out)
}

/// Cuts text to `limit` characters (newlines shown as ⏎), ending in `…` when cut.
pub(crate) fn cut(text: &str, limit: usize) -> String {
    let one_line = text.replace('\n', "⏎");
    if one_line.chars().count() <= limit {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(limit.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Bytes as a short human-readable size (the library's, shared with export progress).
pub(crate) use lathe::export::human_bytes;

#[cfg(test)]
mod tests;
