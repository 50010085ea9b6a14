//! Pruning: which manifests and data files a query's predicates can skip.
//!
//! A query's filters become a small predicate tree over Iceberg field ids
//! ([`Predicate`]); anything it cannot express becomes "may match". The
//! tree is then asked of a manifest's partition summaries (through each
//! partition field's transform) and of a data file's partition values and
//! column bounds. The answer `false` means "certainly no row matches", so
//! skipping is always safe; rows are filtered again above the scan.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};

use super::manifest::{DataFile, FieldSummary};
use super::metadata::{PartitionSpec, Schema};
use super::transform::{Transform, decode_bound};
use super::types::IcebergType;

/// A comparison operator of a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

/// A predicate over the table's columns, by field id.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Predicate {
    /// `column op value`, the value cast to the column's type.
    Compare {
        field: i32,
        op: Op,
        value: ScalarValue,
    },
    /// `column IN (values)`.
    In {
        field: i32,
        values: Vec<ScalarValue>,
    },
    IsNull(i32),
    IsNotNull(i32),
    And(Vec<Predicate>),
    Or(Vec<Predicate>),
    /// Anything else: may match.
    Unknown,
}

/// The conjunction of a query's filters.
pub(crate) fn from_filters(filters: &[Expr], schema: &Schema) -> Predicate {
    Predicate::And(filters.iter().map(|f| from_expr(f, schema)).collect())
}

fn from_expr(expr: &Expr, schema: &Schema) -> Predicate {
    let column = |e: &Expr| column_of(e, schema);
    // The literal in the column's type, only when that loses nothing: `int_col
    // < 2.5` must not become `int_col < 2`.
    let literal = |e: &Expr, t: &DataType| -> Option<ScalarValue> {
        let Expr::Literal(v, _) = e else { return None };
        let cast = v.cast_to(t).ok()?;
        let back = cast.cast_to(&v.data_type()).ok()?;
        (!cast.is_null() && back == *v).then_some(cast)
    };
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
            Operator::And => {
                Predicate::And(vec![from_expr(left, schema), from_expr(right, schema)])
            }
            Operator::Or => Predicate::Or(vec![from_expr(left, schema), from_expr(right, schema)]),
            _ => {
                let Some(op) = comparison(*op) else {
                    return Predicate::Unknown;
                };
                if let Some((field, t)) = column(left)
                    && let Some(value) = literal(right, &t)
                {
                    return Predicate::Compare { field, op, value };
                }
                if let Some((field, t)) = column(right)
                    && let Some(value) = literal(left, &t)
                {
                    return Predicate::Compare {
                        field,
                        op: flip(op),
                        value,
                    };
                }
                Predicate::Unknown
            }
        },
        Expr::Between(b) if !b.negated => {
            let Some((field, t)) = column(&b.expr) else {
                return Predicate::Unknown;
            };
            match (literal(&b.low, &t), literal(&b.high, &t)) {
                (Some(low), Some(high)) => Predicate::And(vec![
                    Predicate::Compare {
                        field,
                        op: Op::GtEq,
                        value: low,
                    },
                    Predicate::Compare {
                        field,
                        op: Op::LtEq,
                        value: high,
                    },
                ]),
                _ => Predicate::Unknown,
            }
        }
        Expr::InList(list) if !list.negated => {
            let Some((field, t)) = column(&list.expr) else {
                return Predicate::Unknown;
            };
            let values: Option<Vec<ScalarValue>> =
                list.list.iter().map(|v| literal(v, &t)).collect();
            match values {
                Some(values) => Predicate::In { field, values },
                None => Predicate::Unknown,
            }
        }
        Expr::IsNull(e) => column(e).map_or(Predicate::Unknown, |(f, _)| Predicate::IsNull(f)),
        Expr::IsNotNull(e) => {
            column(e).map_or(Predicate::Unknown, |(f, _)| Predicate::IsNotNull(f))
        }
        _ => Predicate::Unknown,
    }
}

/// A column (its field id and type), also under casts that keep both
/// its values and their order (widening numbers, string views, finer
/// timestamp units), as the planner wraps columns compared with literals of
/// another type. A lossy cast (`CAST(ts AS DATE)`) hides the column.
fn column_of(expr: &Expr, schema: &Schema) -> Option<(i32, DataType)> {
    match expr {
        Expr::Column(c) => {
            let field = schema.field_by_name(&c.name)?;
            Some((field.id, field.field_type.arrow_type().ok()?))
        }
        Expr::Cast(c) => {
            let (id, inner) = column_of(&c.expr, schema)?;
            widens(&inner, c.field.data_type()).then_some((id, inner))
        }
        _ => None,
    }
}

/// Whether every value of `from` is a distinct value of `to`, in the same order.
fn widens(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    let int_rank = |t: &DataType| match t {
        Int8 => Some(1),
        Int16 => Some(2),
        Int32 => Some(3),
        Int64 => Some(4),
        _ => None,
    };
    match (from, to) {
        (a, b) if a == b => true,
        (Utf8 | Utf8View | LargeUtf8, Utf8 | Utf8View | LargeUtf8) => true,
        (Float32, Float64) => true,
        (Int8 | Int16 | Int32, Float64) => true,
        (Timestamp(a, za), Timestamp(b, zb)) => za == zb && unit_rank(a) <= unit_rank(b),
        (Decimal128(p1, s1), Decimal128(p2, s2)) => {
            s2 >= s1 && (*p2 as i16 - *s2 as i16) >= (*p1 as i16 - *s1 as i16)
        }
        (a, Decimal128(p, s)) if int_rank(a).is_some() => {
            let digits = match a {
                Int8 => 3,
                Int16 => 5,
                Int32 => 10,
                _ => 19,
            };
            (*p as i16 - *s as i16) >= digits
        }
        (a, b) => matches!((int_rank(a), int_rank(b)), (Some(x), Some(y)) if x <= y),
    }
}

fn unit_rank(unit: &datafusion::arrow::datatypes::TimeUnit) -> u8 {
    use datafusion::arrow::datatypes::TimeUnit::*;
    match unit {
        Second => 0,
        Millisecond => 1,
        Microsecond => 2,
        Nanosecond => 3,
    }
}

fn comparison(op: Operator) -> Option<Op> {
    Some(match op {
        Operator::Eq => Op::Eq,
        Operator::NotEq => Op::NotEq,
        Operator::Lt => Op::Lt,
        Operator::LtEq => Op::LtEq,
        Operator::Gt => Op::Gt,
        Operator::GtEq => Op::GtEq,
        _ => return None,
    })
}

fn flip(op: Op) -> Op {
    match op {
        Op::Lt => Op::Gt,
        Op::LtEq => Op::GtEq,
        Op::Gt => Op::Lt,
        Op::GtEq => Op::LtEq,
        other => other,
    }
}

/// What is known of one column (or partition field) in a file or manifest.
#[derive(Debug, Clone, Default)]
struct Bounds {
    lower: Option<ScalarValue>,
    upper: Option<ScalarValue>,
    /// Some value is NULL (unknown: assume so).
    may_have_null: bool,
    /// Every value is NULL.
    all_null: bool,
}

impl Bounds {
    /// Whether some value in `[lower, upper]` can satisfy `op value`.
    fn may_match(&self, op: Op, value: &ScalarValue) -> bool {
        if self.all_null {
            return false;
        }
        let below = |b: &Option<ScalarValue>, strict: bool| match b {
            Some(b) => match b.partial_cmp(value) {
                Some(o) => {
                    if strict {
                        o.is_lt()
                    } else {
                        o.is_le()
                    }
                }
                None => true,
            },
            None => true,
        };
        let above = |b: &Option<ScalarValue>, strict: bool| match b {
            Some(b) => match b.partial_cmp(value) {
                Some(o) => {
                    if strict {
                        o.is_gt()
                    } else {
                        o.is_ge()
                    }
                }
                None => true,
            },
            None => true,
        };
        match op {
            Op::Eq => below(&self.lower, false) && above(&self.upper, false),
            Op::NotEq => {
                !(self.lower.as_ref() == Some(value) && self.upper.as_ref() == Some(value))
            }
            Op::Lt => below(&self.lower, true),
            Op::LtEq => below(&self.lower, false),
            Op::Gt => above(&self.upper, true),
            Op::GtEq => above(&self.upper, false),
        }
    }
}

/// What the pruner may consult for one field id: the column's own bounds,
/// and each partition field over it with its transform.
trait Facts {
    fn column(&self, field: i32) -> Option<Bounds>;
    fn partitions(&self, field: i32) -> Vec<(Transform, Bounds)>;
}

fn may_match(p: &Predicate, facts: &dyn Facts) -> bool {
    match p {
        Predicate::Unknown => true,
        Predicate::And(ps) => ps.iter().all(|p| may_match(p, facts)),
        Predicate::Or(ps) => ps.iter().any(|p| may_match(p, facts)),
        Predicate::In { field, values } => values.iter().any(|v| {
            may_match(
                &Predicate::Compare {
                    field: *field,
                    op: Op::Eq,
                    value: v.clone(),
                },
                facts,
            )
        }),
        Predicate::IsNull(field) => {
            facts.column(*field).is_none_or(|b| b.may_have_null)
                && facts
                    .partitions(*field)
                    .iter()
                    .all(|(_, b)| b.may_have_null)
        }
        Predicate::IsNotNull(field) => {
            facts.column(*field).is_none_or(|b| !b.all_null)
                && facts.partitions(*field).iter().all(|(_, b)| !b.all_null)
        }
        Predicate::Compare { field, op, value } => {
            if let Some(b) = facts.column(*field)
                && !b.may_match(*op, value)
            {
                return false;
            }
            facts
                .partitions(*field)
                .iter()
                .all(|(transform, b)| partition_may_match(*transform, b, *op, value))
        }
    }
}

/// Whether a partition field's bounds admit `source op value`.
fn partition_may_match(transform: Transform, b: &Bounds, op: Op, value: &ScalarValue) -> bool {
    if b.all_null {
        return false;
    }
    let Some(t) = transform.apply(value) else {
        return true;
    };
    match (transform, op) {
        (Transform::Identity, op) => b.may_match(op, &t),
        (Transform::Bucket(_), Op::Eq) => b.may_match(Op::Eq, &t),
        (_, Op::NotEq) | (Transform::Bucket(_) | Transform::Void, _) => true,
        // An order-preserving transform maps `< v` to `<= T(v)` (values below
        // v may share v's partition), and `= v` to `= T(v)`.
        (_, Op::Eq) => b.may_match(Op::Eq, &t),
        (_, Op::Lt | Op::LtEq) => b.may_match(Op::LtEq, &t),
        (_, Op::Gt | Op::GtEq) => b.may_match(Op::GtEq, &t),
    }
}

/// The partition fields of a spec, each with its transform and the Arrow
/// type of its values.
pub(crate) fn spec_fields(
    spec: &PartitionSpec,
    schema: &Schema,
) -> Vec<(i32, Transform, DataType)> {
    spec.fields
        .iter()
        .map(|f| {
            let transform = Transform::parse(&f.transform).unwrap_or(Transform::Void);
            let source = schema
                .find_type(f.source_id)
                .and_then(|t| t.arrow_type().ok())
                .unwrap_or(DataType::Null);
            let result = transform.result_type(&source);
            (f.source_id, transform, result)
        })
        .collect()
}

/// Whether a manifest (by its partition summaries) may hold matching files.
pub(crate) fn manifest_may_match(
    predicate: &Predicate,
    summaries: &[FieldSummary],
    spec: &PartitionSpec,
    schema: &Schema,
) -> bool {
    let fields = spec_fields(spec, schema);
    if summaries.len() != fields.len() {
        return true;
    }
    let facts = ManifestFacts {
        fields: fields
            .into_iter()
            .zip(summaries)
            .map(|((source, transform, result), s)| {
                let bounds = Bounds {
                    lower: s.lower.as_deref().and_then(|b| decode_bound(b, &result)),
                    upper: s.upper.as_deref().and_then(|b| decode_bound(b, &result)),
                    may_have_null: s.contains_null,
                    all_null: s.contains_null && s.lower.is_none() && s.upper.is_none(),
                };
                (source, transform, bounds)
            })
            .collect(),
    };
    may_match(predicate, &facts)
}

struct ManifestFacts {
    fields: Vec<(i32, Transform, Bounds)>,
}

impl Facts for ManifestFacts {
    fn column(&self, _field: i32) -> Option<Bounds> {
        None
    }
    fn partitions(&self, field: i32) -> Vec<(Transform, Bounds)> {
        self.fields
            .iter()
            .filter(|(source, _, _)| *source == field)
            .map(|(_, t, b)| (*t, b.clone()))
            .collect()
    }
}

/// Whether a data file (by partition values and column bounds) may hold
/// matching rows.
pub(crate) fn file_may_match(
    predicate: &Predicate,
    file: &DataFile,
    spec: Option<&PartitionSpec>,
    schema: &Schema,
) -> bool {
    let fields = spec.map(|s| spec_fields(s, schema)).unwrap_or_default();
    let partitions = if fields.len() == file.partition.len() {
        fields
            .into_iter()
            .zip(&file.partition)
            .map(|((source, transform, result), value)| {
                let value = value.cast_to(&result).ok();
                let null = value.as_ref().is_none_or(ScalarValue::is_null);
                let bounds = Bounds {
                    lower: value.clone().filter(|_| !null),
                    upper: value.filter(|_| !null),
                    may_have_null: null,
                    all_null: null,
                };
                (source, transform, bounds)
            })
            .collect()
    } else {
        Vec::new()
    };
    let facts = FileFacts {
        file,
        schema,
        partitions,
    };
    may_match(predicate, &facts)
}

struct FileFacts<'a> {
    file: &'a DataFile,
    schema: &'a Schema,
    partitions: Vec<(i32, Transform, Bounds)>,
}

impl Facts for FileFacts<'_> {
    fn column(&self, field: i32) -> Option<Bounds> {
        let t = self.schema.find_type(field)?;
        if !matches!(t, IcebergType::Primitive(_)) {
            return None;
        }
        let t = t.arrow_type().ok()?;
        let values = DataFile::stat(&self.file.value_counts, field);
        let nulls = DataFile::stat(&self.file.null_counts, field);
        let nans = DataFile::stat(&self.file.nan_counts, field).unwrap_or(0);
        let bound = |list: &[(i32, Vec<u8>)]| {
            DataFile::stat(list, field).and_then(|b| decode_bound(&b, &t))
        };
        // NaN is outside Iceberg's float bounds: a file with NaNs has no usable ones.
        let floats = matches!(t, DataType::Float32 | DataType::Float64);
        let usable = !floats || nans == 0 && DataFile::stat(&self.file.nan_counts, field).is_some();
        Some(Bounds {
            lower: bound(&self.file.lower_bounds).filter(|_| usable),
            upper: bound(&self.file.upper_bounds).filter(|_| usable),
            may_have_null: nulls.is_none_or(|n| n > 0),
            all_null: matches!((values, nulls), (Some(v), Some(n)) if v == n && v > 0),
        })
    }

    fn partitions(&self, field: i32) -> Vec<(Transform, Bounds)> {
        self.partitions
            .iter()
            .filter(|(source, _, _)| *source == field)
            .map(|(_, t, b)| (*t, b.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests;
