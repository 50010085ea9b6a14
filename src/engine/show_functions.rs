//! `SHOW FUNCTIONS` with every function the session has. DataFusion's own
//! `SHOW FUNCTIONS` reads the information schema, which lists a function
//! only when it can enumerate its argument types: most of Athena's functions
//! (`year`, `if`, `element_at`, `max_by`: any-typed or checked by hand) and
//! every lambda (higher-order) function would be missing. Each is added as
//! one row, with its kind and its description where it has one.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, RecordBatch, StringArray, new_null_array};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::ShowStatementFilter;

use crate::error::Result;
use crate::functions::cast::INTERNAL;

/// `frame` (DataFusion's `SHOW FUNCTIONS` rows) and a row per function of
/// the session that `frame` misses and whose name matches `filter`.
pub(super) async fn with_every_function(
    ctx: &SessionContext,
    frame: DataFrame,
    filter: Option<&ShowStatementFilter>,
) -> Result<DataFrame> {
    let pattern: Option<Vec<char>> = match filter {
        Some(ShowStatementFilter::Like(p)) => Some(p.chars().collect()),
        _ => None,
    };
    let listed = listed_names(frame.clone()).await?;
    let state = ctx.state();
    // name → (kind, description)
    let mut missing: BTreeMap<&str, (&str, Option<&str>)> = BTreeMap::new();
    for (name, f) in state.scalar_functions() {
        missing.insert(
            name,
            ("SCALAR", f.documentation().map(|d| d.description.as_str())),
        );
    }
    for (name, f) in state.aggregate_functions() {
        missing.insert(
            name,
            (
                "AGGREGATE",
                f.documentation().map(|d| d.description.as_str()),
            ),
        );
    }
    for (name, f) in state.window_functions() {
        missing.insert(
            name,
            ("WINDOW", f.documentation().map(|d| d.description.as_str())),
        );
    }
    for name in state.higher_order_functions().keys() {
        missing.insert(
            name,
            ("HIGHER_ORDER", Some("takes a lambda (x -> expression)")),
        );
    }
    missing.retain(|name, _| {
        !listed.iter().any(|l| l == name)
            && !INTERNAL.contains(name)
            && pattern
                .as_ref()
                .is_none_or(|p| like(p, &name.chars().collect::<Vec<_>>()))
    });
    if missing.is_empty() {
        return Ok(frame);
    }
    let n = missing.len();
    let schema = Arc::new(Schema::new(
        frame
            .schema()
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), f.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    let text = |values: Vec<Option<&str>>, t: &DataType| -> Result<ArrayRef> {
        Ok(cast(&StringArray::from(values), t)?)
    };
    let mut columns = Vec::with_capacity(schema.fields().len());
    for f in schema.fields() {
        let t = f.data_type();
        let is_text = matches!(t, DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8);
        columns.push(match f.name().as_str() {
            "function_name" if is_text => text(missing.keys().map(|k| Some(*k)).collect(), t)?,
            "function_type" if is_text => text(missing.values().map(|v| Some(v.0)).collect(), t)?,
            "description" if is_text => text(missing.values().map(|v| v.1).collect(), t)?,
            _ => new_null_array(t, n),
        });
    }
    let rows = ctx.read_batch(RecordBatch::try_new(schema, columns)?)?;
    Ok(frame.union(rows)?)
}

/// The function names among DataFusion's `SHOW FUNCTIONS` rows.
async fn listed_names(frame: DataFrame) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for batch in frame.select_columns(&["function_name"])?.collect().await? {
        let column = cast(batch.column(0), &DataType::Utf8)?;
        names.extend(
            column
                .as_string::<i32>()
                .iter()
                .flatten()
                .map(str::to_string),
        );
    }
    Ok(names)
}

/// Whether `text` matches the SQL `LIKE` pattern (`%` any run, `_` one character).
fn like(pattern: &[char], text: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('%', rest)) => (0..=text.len()).any(|i| like(rest, &text[i..])),
        Some(('_', rest)) => !text.is_empty() && like(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && like(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn like_patterns() {
        let m = |p: &str, t: &str| {
            like(
                &p.chars().collect::<Vec<_>>(),
                &t.chars().collect::<Vec<_>>(),
            )
        };
        assert!(m("trans%", "transform_keys"));
        assert!(m("%match", "all_match"));
        assert!(m("zip_with", "zip_with"));
        assert!(m("_educe", "reduce"));
        assert!(!m("trans%", "filter"));
        assert!(!m("_", ""));
    }
}
