//! Predicates → the values a projected column may take.
//!
//! A [`Domain`] is a *superset* of the values that satisfy a query's
//! predicates on one column: `=` and `IN` give a set, `<`, `<=`, `>`, `>=`
//! and `BETWEEN` a range, `AND` intersects, `OR` unites (a range's hull when
//! the sides differ). Anything else leaves the column unconstrained. Exact
//! filtering happens afterwards, over the few candidates that remain.

use std::cmp::Ordering;
use std::ops::Bound;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::expr::{Between, InList};
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};

/// The values one column may take.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Domain {
    /// No constraint found.
    All,
    /// One of these values (static equality); empty when nothing matches.
    Set(Vec<ScalarValue>),
    /// Between two bounds.
    Range {
        lo: Bound<ScalarValue>,
        hi: Bound<ScalarValue>,
    },
}

impl Domain {
    /// The domain of `column` (of type `data_type`) under a conjunction of filters.
    pub(crate) fn of(filters: &[Expr], column: &str, data_type: &DataType) -> Self {
        filters.iter().fold(Domain::All, |d, f| {
            d.and(Domain::from_expr(f, column, data_type))
        })
    }

    fn from_expr(expr: &Expr, column: &str, data_type: &DataType) -> Self {
        let is_column =
            |e: &Expr| matches!(e, Expr::Column(c) if c.name.eq_ignore_ascii_case(column));
        match expr {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
                Operator::And => Self::from_expr(left, column, data_type)
                    .and(Self::from_expr(right, column, data_type)),
                Operator::Or => Self::from_expr(left, column, data_type)
                    .or(Self::from_expr(right, column, data_type)),
                _ => {
                    let (op, value) = if is_column(left) {
                        (*op, literal(right, data_type))
                    } else if is_column(right) {
                        match op.swap() {
                            Some(op) => (op, literal(left, data_type)),
                            None => return Domain::All,
                        }
                    } else {
                        return Domain::All;
                    };
                    let Some(value) = value else {
                        return Domain::All;
                    };
                    // A comparison with NULL is never true.
                    let Some(v) = value else {
                        return Domain::Set(Vec::new());
                    };
                    use Bound::{Excluded, Included, Unbounded};
                    let range = |lo, hi| Domain::Range { lo, hi };
                    match op {
                        Operator::Eq => Domain::Set(vec![v]),
                        Operator::Lt => range(Unbounded, Excluded(v)),
                        Operator::LtEq => range(Unbounded, Included(v)),
                        Operator::Gt => range(Excluded(v), Unbounded),
                        Operator::GtEq => range(Included(v), Unbounded),
                        _ => Domain::All,
                    }
                }
            },
            Expr::InList(InList {
                expr,
                list,
                negated: false,
            }) if is_column(expr) => {
                let mut values = Vec::new();
                for item in list {
                    match literal(item, data_type) {
                        Some(Some(v)) => values.push(v),
                        Some(None) => {}
                        None => return Domain::All,
                    }
                }
                Domain::Set(dedup(values))
            }
            Expr::Between(Between {
                expr,
                negated: false,
                low,
                high,
            }) if is_column(expr) => match (literal(low, data_type), literal(high, data_type)) {
                (Some(Some(lo)), Some(Some(hi))) => Domain::Range {
                    lo: Bound::Included(lo),
                    hi: Bound::Included(hi),
                },
                (Some(None), _) | (_, Some(None)) => Domain::Set(Vec::new()),
                _ => Domain::All,
            },
            _ => Domain::All,
        }
    }

    /// Whether a value (of the column's type) may satisfy the predicates.
    pub(crate) fn contains(&self, value: &ScalarValue) -> bool {
        match self {
            Domain::All => true,
            Domain::Set(values) => values.contains(value),
            Domain::Range { lo, hi } => above(lo, value) && below(hi, value),
        }
    }

    /// The lower bound holds for `value`.
    pub(crate) fn above_lower(&self, value: &ScalarValue) -> bool {
        match self {
            Domain::Range { lo, .. } => above(lo, value),
            _ => true,
        }
    }

    /// The upper bound holds for `value`.
    pub(crate) fn below_upper(&self, value: &ScalarValue) -> bool {
        match self {
            Domain::Range { hi, .. } => below(hi, value),
            _ => true,
        }
    }

    fn and(self, other: Self) -> Self {
        match (self, other) {
            (Domain::All, d) | (d, Domain::All) => d,
            (Domain::Set(a), Domain::Set(b)) => {
                Domain::Set(a.into_iter().filter(|v| b.contains(v)).collect())
            }
            (Domain::Set(a), r @ Domain::Range { .. })
            | (r @ Domain::Range { .. }, Domain::Set(a)) => {
                Domain::Set(a.into_iter().filter(|v| r.contains(v)).collect())
            }
            (Domain::Range { lo: l1, hi: h1 }, Domain::Range { lo: l2, hi: h2 }) => Domain::Range {
                lo: tighter(l1, l2, Ordering::Greater),
                hi: tighter(h1, h2, Ordering::Less),
            },
        }
    }

    fn or(self, other: Self) -> Self {
        match (self, other) {
            (Domain::All, _) | (_, Domain::All) => Domain::All,
            (Domain::Set(a), Domain::Set(b)) => {
                Domain::Set(dedup(a.into_iter().chain(b).collect()))
            }
            (Domain::Set(a), d) | (d, Domain::Set(a)) if a.is_empty() => d,
            (a, b) => {
                let (l1, h1) = a.hull();
                let (l2, h2) = b.hull();
                Domain::Range {
                    lo: looser(l1, l2, Ordering::Less),
                    hi: looser(h1, h2, Ordering::Greater),
                }
            }
        }
    }

    /// The smallest range holding the domain (a non-empty set or a range).
    fn hull(self) -> (Bound<ScalarValue>, Bound<ScalarValue>) {
        match self {
            Domain::Range { lo, hi } => (lo, hi),
            Domain::Set(values) => {
                let pick = |want: Ordering| {
                    values
                        .iter()
                        .cloned()
                        .reduce(|a, b| {
                            if b.partial_cmp(&a) == Some(want) {
                                b
                            } else {
                                a
                            }
                        })
                        .map_or(Bound::Unbounded, Bound::Included)
                };
                (pick(Ordering::Less), pick(Ordering::Greater))
            }
            Domain::All => (Bound::Unbounded, Bound::Unbounded),
        }
    }
}

/// `Some(Some(v))` for a literal cast to the column's type, `Some(None)` for
/// a NULL literal, `None` for anything else (or a literal that does not cast).
fn literal(expr: &Expr, data_type: &DataType) -> Option<Option<ScalarValue>> {
    let Expr::Literal(value, _) = expr else {
        return None;
    };
    if value.is_null() {
        return Some(None);
    }
    value.cast_to(data_type).ok().map(Some)
}

fn dedup(values: Vec<ScalarValue>) -> Vec<ScalarValue> {
    let mut out: Vec<ScalarValue> = Vec::with_capacity(values.len());
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

// Values that do not compare (should not happen after casting) are kept:
// narrowing must never drop a value the exact filter would keep.
fn above(lo: &Bound<ScalarValue>, v: &ScalarValue) -> bool {
    match lo {
        Bound::Unbounded => true,
        Bound::Included(b) => v.partial_cmp(b) != Some(Ordering::Less),
        Bound::Excluded(b) => !matches!(v.partial_cmp(b), Some(Ordering::Less | Ordering::Equal)),
    }
}

fn below(hi: &Bound<ScalarValue>, v: &ScalarValue) -> bool {
    match hi {
        Bound::Unbounded => true,
        Bound::Included(b) => v.partial_cmp(b) != Some(Ordering::Greater),
        Bound::Excluded(b) => {
            !matches!(v.partial_cmp(b), Some(Ordering::Greater | Ordering::Equal))
        }
    }
}

fn bound_value(b: &Bound<ScalarValue>) -> Option<&ScalarValue> {
    match b {
        Bound::Included(v) | Bound::Excluded(v) => Some(v),
        Bound::Unbounded => None,
    }
}

/// The tighter of two bounds: `inward` is the direction that narrows
/// (`Greater` for lower bounds, `Less` for upper ones).
fn tighter(a: Bound<ScalarValue>, b: Bound<ScalarValue>, inward: Ordering) -> Bound<ScalarValue> {
    let (Some(va), Some(vb)) = (bound_value(&a), bound_value(&b)) else {
        return if matches!(a, Bound::Unbounded) { b } else { a };
    };
    match va.partial_cmp(vb) {
        Some(Ordering::Equal) => {
            if matches!(a, Bound::Excluded(_)) {
                a
            } else {
                b
            }
        }
        Some(o) if o == inward => a,
        Some(_) => b,
        None => a,
    }
}

/// The looser of two bounds: `outward` is the direction that widens.
fn looser(a: Bound<ScalarValue>, b: Bound<ScalarValue>, outward: Ordering) -> Bound<ScalarValue> {
    let (Some(va), Some(vb)) = (bound_value(&a), bound_value(&b)) else {
        return Bound::Unbounded;
    };
    match va.partial_cmp(vb) {
        Some(Ordering::Equal) => {
            if matches!(a, Bound::Included(_)) {
                a
            } else {
                b
            }
        }
        Some(o) if o == outward => a,
        Some(_) => b,
        None => Bound::Unbounded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::logical_expr::{col, lit};

    fn s(v: &str) -> ScalarValue {
        ScalarValue::Utf8(Some(v.into()))
    }

    fn domain(filters: &[Expr]) -> Domain {
        Domain::of(filters, "dh", &DataType::Utf8)
    }

    #[test]
    fn equality_and_in_give_sets() {
        assert_eq!(domain(&[col("dh").eq(lit("a"))]), Domain::Set(vec![s("a")]));
        assert_eq!(
            domain(&[col("dh").in_list(vec![lit("a"), lit("b"), lit("a")], false)]),
            Domain::Set(vec![s("a"), s("b")])
        );
        assert_eq!(
            domain(&[col("dh").eq(lit("a")).or(col("dh").eq(lit("c")))]),
            Domain::Set(vec![s("a"), s("c")])
        );
        assert_eq!(
            domain(&[col("dh").eq(lit("a")), col("dh").eq(lit("b"))]),
            Domain::Set(vec![])
        );
        assert_eq!(domain(&[col("other").eq(lit("a"))]), Domain::All);
        assert_eq!(domain(&[col("dh").not_eq(lit("a"))]), Domain::All);
    }

    #[test]
    fn comparisons_give_ranges() {
        let d = domain(&[col("dh").gt_eq(lit("b")), lit("d").gt(col("dh"))]);
        assert_eq!(
            d,
            Domain::Range {
                lo: Bound::Included(s("b")),
                hi: Bound::Excluded(s("d"))
            }
        );
        assert!(d.contains(&s("b")) && d.contains(&s("c")) && !d.contains(&s("d")));
        let d = domain(&[col("dh")
            .between(lit("b"), lit("c"))
            .and(col("dh").gt(lit("b")))]);
        assert_eq!(
            d,
            Domain::Range {
                lo: Bound::Excluded(s("b")),
                hi: Bound::Included(s("c"))
            }
        );
        // OR of a range and a point: the hull.
        let d = domain(&[col("dh")
            .between(lit("b"), lit("c"))
            .or(col("dh").eq(lit("f")))]);
        assert_eq!(
            d,
            Domain::Range {
                lo: Bound::Included(s("b")),
                hi: Bound::Included(s("f"))
            }
        );
        // A set narrowed by a range.
        let d = domain(&[
            col("dh").in_list(vec![lit("a"), lit("c")], false),
            col("dh").gt(lit("b")),
        ]);
        assert_eq!(d, Domain::Set(vec![s("c")]));
        // OR with something unknown is unconstrained.
        assert_eq!(
            domain(&[col("dh").eq(lit("a")).or(col("x").eq(lit(1)))]),
            Domain::All
        );
    }

    #[test]
    fn literals_are_cast_to_the_column_type() {
        let d = Domain::of(&[col("h").eq(lit(5i64))], "h", &DataType::Int32);
        assert_eq!(d, Domain::Set(vec![ScalarValue::Int32(Some(5))]));
        let d = Domain::of(
            &[col("h").eq(lit(ScalarValue::Int32(None)))],
            "h",
            &DataType::Int32,
        );
        assert_eq!(d, Domain::Set(vec![]));
    }
}
