//! A query's predicates on partition keys as a Glue `GetPartitions`
//! `Expression`, for the predicates Glue can evaluate.
//!
//! Glue compares string, integer and date keys with `=`, `<>`, `<`, `>`,
//! `<=`, `>=`, `IN`, `BETWEEN`, joined by `AND`/`OR`. Anything else is left
//! out, which only widens what Glue returns: lathe filters the partitions it
//! gets back with the full predicates anyway. So a conjunct that cannot be
//! translated is dropped, but an `OR` is sent only when both sides translate,
//! and `NOT` never (negating a widened predicate would narrow it).

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::expr::{Between, InList};
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};

use crate::catalog::TableDef;

/// The Glue expression for the filters that Glue can evaluate, if any.
pub(crate) fn glue_expression(table: &TableDef, filters: &[Expr]) -> Option<String> {
    let parts: Vec<String> = filters.iter().filter_map(|f| translate(table, f)).collect();
    join(parts, "AND")
}

fn join(parts: Vec<String>, op: &str) -> Option<String> {
    match parts.len() {
        0 => None,
        1 => parts.into_iter().next(),
        _ => Some(
            parts
                .iter()
                .map(|p| format!("({p})"))
                .collect::<Vec<_>>()
                .join(&format!(" {op} ")),
        ),
    }
}

/// What kind of literal a partition key compares with in Glue.
#[derive(Debug, Clone, Copy, PartialEq)]
enum KeyKind {
    String,
    Integer,
    Date,
}

fn translate(table: &TableDef, expr: &Expr) -> Option<String> {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
            Operator::And => {
                let parts: Vec<String> = [left, right]
                    .into_iter()
                    .filter_map(|e| translate(table, e))
                    .collect();
                join(parts, "AND")
            }
            Operator::Or => {
                let (l, r) = (translate(table, left)?, translate(table, right)?);
                join(vec![l, r], "OR")
            }
            _ => comparison(table, left, *op, right),
        },
        Expr::InList(InList {
            expr,
            list,
            negated: false,
        }) => {
            let (name, kind) = key(table, expr)?;
            let values = list
                .iter()
                .map(|v| literal(v, kind))
                .collect::<Option<Vec<_>>>()?;
            (!values.is_empty()).then(|| format!("{name} IN ({})", values.join(", ")))
        }
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            high,
        }) => {
            let (name, kind) = key(table, expr)?;
            Some(format!(
                "{name} BETWEEN {} AND {}",
                literal(low, kind)?,
                literal(high, kind)?
            ))
        }
        _ => None,
    }
}

fn comparison(table: &TableDef, left: &Expr, op: Operator, right: &Expr) -> Option<String> {
    // `5 < key` is `key > 5`.
    let (column, value, op) = match (key(table, left), key(table, right)) {
        (Some(k), None) => (k, right, op),
        (None, Some(k)) => (k, left, op.swap()?),
        _ => return None,
    };
    let symbol = match op {
        Operator::Eq => "=",
        Operator::NotEq => "<>",
        Operator::Lt => "<",
        Operator::LtEq => "<=",
        Operator::Gt => ">",
        Operator::GtEq => ">=",
        _ => return None,
    };
    let (name, kind) = column;
    Some(format!("{name} {symbol} {}", literal(value, kind)?))
}

/// The partition key a column expression names, if Glue can compare it.
fn key(table: &TableDef, expr: &Expr) -> Option<(String, KeyKind)> {
    let Expr::Column(column) = expr else {
        return None;
    };
    let key = table
        .partition_keys
        .iter()
        .find(|k| k.name == column.name)?;
    let kind = match key.data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => KeyKind::String,
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => KeyKind::Integer,
        DataType::Date32 => KeyKind::Date,
        _ => return None,
    };
    let plain = key
        .name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    plain.then(|| (key.name.clone(), kind))
}

/// A literal as Glue writes it for a key of `kind`.
fn literal(expr: &Expr, kind: KeyKind) -> Option<String> {
    let Expr::Literal(value, _) = expr else {
        return None;
    };
    match (kind, value) {
        (
            KeyKind::String,
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
        ) => Some(format!("'{}'", s.replace('\'', "''"))),
        (KeyKind::Integer, v) => match v {
            ScalarValue::Int8(Some(n)) => Some(n.to_string()),
            ScalarValue::Int16(Some(n)) => Some(n.to_string()),
            ScalarValue::Int32(Some(n)) => Some(n.to_string()),
            ScalarValue::Int64(Some(n)) => Some(n.to_string()),
            _ => None,
        },
        (KeyKind::Date, ScalarValue::Date32(Some(days))) => {
            let date = chrono::DateTime::from_timestamp(i64::from(*days) * 86_400, 0)?;
            Some(format!("'{}'", date.format("%Y-%m-%d")))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Column, StorageFormat};
    use datafusion::prelude::{col, lit};

    fn table() -> TableDef {
        let key = |name: &str, type_string: &str, data_type: DataType| Column {
            name: name.into(),
            type_string: type_string.into(),
            data_type,
            comment: None,
        };
        TableDef {
            database: "db".into(),
            name: "t".into(),
            columns: vec![key("x", "string", DataType::Utf8)],
            partition_keys: vec![
                key("region", "string", DataType::Utf8),
                key("year", "int", DataType::Int32),
                key("dt", "date", DataType::Date32),
                key("price", "decimal(5,2)", DataType::Decimal128(5, 2)),
            ],
            location: "s3://b/t/".into(),
            format: StorageFormat::Parquet,
            parameters: Default::default(),
            serde_parameters: Default::default(),
            comment: None,
            storage: Default::default(),
            view: None,
        }
    }

    fn date(text: &str) -> Expr {
        let days = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .unwrap()
            .signed_duration_since(chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
            .num_days();
        lit(ScalarValue::Date32(Some(days as i32)))
    }

    fn expression(filters: &[Expr]) -> Option<String> {
        glue_expression(&table(), filters)
    }

    #[test]
    fn comparisons_of_string_integer_and_date_keys() {
        assert_eq!(
            expression(&[col("region").eq(lit("eu'west"))]).as_deref(),
            Some("region = 'eu''west'")
        );
        assert_eq!(
            expression(&[
                lit(2024i32).lt_eq(col("year")),
                col("year").not_eq(lit(2025i32))
            ])
            .as_deref(),
            Some("(year >= 2024) AND (year <> 2025)")
        );
        assert_eq!(
            expression(&[col("dt").gt(date("2024-05-03"))]).as_deref(),
            Some("dt > '2024-05-03'")
        );
    }

    #[test]
    fn in_between_and_or() {
        assert_eq!(
            expression(&[col("region").in_list(vec![lit("eu"), lit("us")], false)]).as_deref(),
            Some("region IN ('eu', 'us')")
        );
        assert_eq!(
            expression(&[col("dt").between(date("2024-05-01"), date("2024-05-02"))]).as_deref(),
            Some("dt BETWEEN '2024-05-01' AND '2024-05-02'")
        );
        assert_eq!(
            expression(&[col("year").eq(lit(2024i32)).or(col("region")
                .eq(lit("eu"))
                .and(col("year").gt(lit(2020i32))))])
            .as_deref(),
            Some("(year = 2024) OR ((region = 'eu') AND (year > 2020))")
        );
    }

    #[test]
    fn what_glue_cannot_evaluate_is_left_to_local_filtering() {
        // Unsupported key types, negations, functions and non-key columns.
        assert_eq!(expression(&[col("price").eq(lit(1i32))]), None);
        assert_eq!(
            expression(&[col("region").in_list(vec![lit("eu")], true)]),
            None
        );
        assert_eq!(expression(&[!col("region").eq(lit("eu"))]), None);
        assert_eq!(expression(&[col("x").eq(lit("a"))]), None);
        assert_eq!(expression(&[col("year").eq(lit("2024"))]), None);
        // A dropped conjunct widens; a half-translated OR is not sent.
        assert_eq!(
            expression(&[col("year").eq(lit(2024i32)).and(col("x").eq(lit("a")))]).as_deref(),
            Some("year = 2024")
        );
        assert_eq!(
            expression(&[col("year").eq(lit(2024i32)).or(col("x").eq(lit("a")))]),
            None
        );
        assert_eq!(expression(&[]), None);
    }
}
