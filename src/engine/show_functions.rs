//! `SHOW FUNCTIONS` with the lambda (higher-order) functions, which
//! DataFusion's information schema, where its own `SHOW FUNCTIONS` looks,
//! does not list.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray, new_null_array};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::ShowStatementFilter;

use crate::error::Result;

/// `frame` (DataFusion's `SHOW FUNCTIONS` rows) and a row per lambda
/// function whose name matches `filter`.
pub(super) fn with_lambda_functions(
    ctx: &SessionContext,
    frame: DataFrame,
    filter: Option<&ShowStatementFilter>,
) -> Result<DataFrame> {
    let pattern: Option<Vec<char>> = match filter {
        Some(ShowStatementFilter::Like(p)) => Some(p.chars().collect()),
        _ => None,
    };
    let state = ctx.state();
    let mut names: Vec<&str> = state
        .higher_order_functions()
        .keys()
        .map(String::as_str)
        .filter(|n| {
            pattern
                .as_ref()
                .is_none_or(|p| like(p, &n.chars().collect::<Vec<_>>()))
        })
        .collect();
    names.sort_unstable();
    if names.is_empty() {
        return Ok(frame);
    }
    let n = names.len();
    let schema = Arc::new(Schema::new(
        frame
            .schema()
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), f.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    let text = |values: Vec<&str>, t: &DataType| -> Result<ArrayRef> {
        Ok(cast(&StringArray::from(values), t)?)
    };
    let mut columns = Vec::with_capacity(schema.fields().len());
    for f in schema.fields() {
        let t = f.data_type();
        let is_text = matches!(t, DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8);
        columns.push(match f.name().as_str() {
            "function_name" if is_text => text(names.clone(), t)?,
            "function_type" if is_text => text(vec!["HIGHER_ORDER"; n], t)?,
            "description" if is_text => text(vec!["takes a lambda (x -> expression)"; n], t)?,
            _ => new_null_array(t, n),
        });
    }
    let rows = ctx.read_batch(RecordBatch::try_new(schema, columns)?)?;
    Ok(frame.union(rows)?)
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
