//! Partition projection (ATHENA.md §3): partitions computed from table
//! properties instead of listed from the catalog.
//!
//! [`Projection::from_table`] turns `projection.*` and
//! `storage.location.template` into a [`Projection`]; [`Projection::partitions`]
//! turns a query's predicates into the few partitions it can need. Predicates
//! narrow each column *before* anything is enumerated — an hour's query over
//! years of hourly partitions computes one value, found by binary search over
//! the projection's ordered values — and the caller's exact pruning then runs
//! over the small candidate set. Pure: no I/O, time passed in.

use std::collections::HashMap;
use std::ops::Range;

use chrono::{DateTime, Utc};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr;

use crate::catalog::TableDef;
use crate::error::{Error, Result};

mod domain;
mod kind;

use crate::java_date::DatePattern;
use domain::Domain;
use kind::{DateRange, Kind, Unit, date_bound, positive, raw};

/// The most partitions one query may enumerate after narrowing.
pub(crate) const MAX_PARTITIONS: u64 = 1_000_000;

const LOCATION_TEMPLATE: &str = "storage.location.template";

/// A table's projection: one generator per partition key, and where values live.
#[derive(Debug, Clone)]
pub(crate) struct Projection {
    table: String,
    columns: Vec<Column>,
    /// `storage.location.template`, if set; otherwise Hive's `col=value/` layout.
    template: Option<String>,
}

#[derive(Debug, Clone)]
struct Column {
    name: String,
    data_type: DataType,
    kind: Kind,
}

/// One partition of a projection: raw values in key order, and its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProjectedPartition {
    pub(crate) values: Vec<String>,
    pub(crate) location: String,
}

/// The values one column keeps after narrowing.
enum Selection {
    /// Indices into the column's ordered values.
    Run(Range<u64>),
    /// Values found directly (equality, injected, or filtered).
    Values(Vec<String>),
}

impl Selection {
    fn len(&self) -> u64 {
        match self {
            Selection::Run(r) => r.end.saturating_sub(r.start),
            Selection::Values(v) => v.len() as u64,
        }
    }
}

impl Projection {
    /// The table's projection, or `None` when `projection.enabled` is not true.
    /// `now` is what `NOW` means in date ranges.
    pub(crate) fn from_table(table: &TableDef, now: DateTime<Utc>) -> Result<Option<Self>> {
        // Property names match case-insensitively, as column names do.
        let params: HashMap<String, &str> = table
            .parameters
            .iter()
            .map(|(k, v)| (k.to_lowercase(), v.as_str()))
            .collect();
        let enabled = params
            .get("projection.enabled")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        if !enabled {
            return Ok(None);
        }
        let qualified = table.qualified_name();
        let invalid = |property: &str, reason: &str| Error::InvalidProjection {
            table: qualified.clone(),
            property: property.to_string(),
            value: params
                .get(property)
                .copied()
                .unwrap_or_default()
                .to_string(),
            reason: reason.to_string(),
        };
        let mut columns = Vec::with_capacity(table.partition_keys.len());
        for key in &table.partition_keys {
            let name = key.name.to_lowercase();
            let prop = |suffix: &str| format!("projection.{name}.{suffix}");
            let get = |suffix: &str| params.get(&prop(suffix)).map(|v| v.trim());
            let Some(kind) = get("type") else {
                return Err(Error::MissingProjection {
                    table: qualified.clone(),
                    column: key.name.clone(),
                });
            };
            let kind = match kind.to_ascii_lowercase().as_str() {
                "enum" => {
                    let values =
                        get("values").ok_or_else(|| invalid(&prop("values"), "is missing"))?;
                    Kind::Enum(values.split(',').map(|v| v.trim().to_string()).collect())
                }
                "integer" => {
                    let (min, max) = get("range")
                        .and_then(|r| r.split_once(','))
                        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
                        .ok_or_else(|| invalid(&prop("range"), "must be two integers, min,max"))?;
                    let interval = positive(get("interval"))
                        .ok_or_else(|| invalid(&prop("interval"), "must be a positive integer"))?;
                    let digits = match get("digits") {
                        None => 0,
                        Some(d) => d.parse().ok().filter(|d| *d <= 20).ok_or_else(|| {
                            invalid(&prop("digits"), "must be a number of digits")
                        })?,
                    };
                    Kind::Integer {
                        min,
                        max,
                        interval,
                        digits,
                    }
                }
                "date" => {
                    let format =
                        get("format").ok_or_else(|| invalid(&prop("format"), "is missing"))?;
                    let pattern = DatePattern::parse(format).map_err(|e| {
                        invalid(&prop("format"), &format!("is not a date format: {e}"))
                    })?;
                    let range_prop = prop("range");
                    let range = get("range").ok_or_else(|| invalid(&range_prop, "is missing"))?;
                    let bad_range = || {
                        invalid(
                            &range_prop,
                            &format!(
                                "must be two dates in the format {format} (or NOW[+-N UNIT]), start,end"
                            ),
                        )
                    };
                    let (a, b) = range.split_once(',').ok_or_else(bad_range)?;
                    let start = date_bound(a.trim(), &pattern, now).ok_or_else(bad_range)?;
                    let end = date_bound(b.trim(), &pattern, now).ok_or_else(bad_range)?;
                    let interval = positive(get("interval"))
                        .ok_or_else(|| invalid(&prop("interval"), "must be a positive integer"))?;
                    let unit = match get("interval.unit") {
                        Some(u) => Unit::parse(u).ok_or_else(|| {
                            invalid(
                                &prop("interval.unit"),
                                "must be one of YEARS, MONTHS, WEEKS, DAYS, HOURS, MINUTES, SECONDS",
                            )
                        })?,
                        None => Unit::finest(pattern.finest_field()),
                    };
                    let range = DateRange {
                        pattern,
                        start,
                        end,
                        interval,
                        unit,
                    };
                    if !range.interval_fits() {
                        return Err(invalid(
                            &prop("interval"),
                            "is too large a step for a date range",
                        ));
                    }
                    Kind::Date(range)
                }
                "injected" => Kind::Injected,
                _ => {
                    return Err(invalid(
                        &prop("type"),
                        "is not a projection type; use enum, integer, date or injected",
                    ));
                }
            };
            columns.push(Column {
                name,
                data_type: key.data_type.clone(),
                kind,
            });
        }
        let template = params.get(LOCATION_TEMPLATE).map(|t| t.to_string());
        if let Some(t) = &template {
            for c in &columns {
                if !t.contains(&format!("${{{}}}", c.name)) {
                    return Err(invalid(
                        LOCATION_TEMPLATE,
                        &format!(
                            "has no ${{{}}} placeholder for partition column {}",
                            c.name, c.name
                        ),
                    ));
                }
            }
        }
        Ok(Some(Self {
            table: qualified,
            columns,
            template,
        }))
    }

    /// Each column's first and last `n` values (all of them when it has
    /// fewer), without enumerating the rest: value generation, checked on a
    /// bounded count (the fuzz target's view of a projection).
    pub(crate) fn sample_values(&self, n: u64) -> Vec<Vec<String>> {
        self.columns
            .iter()
            .map(|c| {
                let Some(last) = c.kind.last_index() else {
                    return Vec::new();
                };
                let head_end = last.saturating_add(1).min(n);
                let tail_start = last.saturating_sub(n.saturating_sub(1)).max(head_end);
                let head = 0..head_end;
                let tail = (tail_start <= last).then_some(tail_start..=last);
                head.chain(tail.into_iter().flatten())
                    .map(|k| c.kind.value(k))
                    .collect()
            })
            .collect()
    }

    /// The partitions the predicates can need (a superset of those they
    /// select), each with its location. `default_location` gives Hive's
    /// `<Location>/col=value/` when there is no template.
    pub(crate) fn partitions(
        &self,
        filters: &[Expr],
        default_location: impl Fn(&[String]) -> String,
    ) -> Result<Vec<ProjectedPartition>> {
        let mut selections = Vec::with_capacity(self.columns.len());
        let mut total: u128 = 1;
        for column in &self.columns {
            let selection = column.narrow(filters, &self.table)?;
            total = total.saturating_mul(selection.len() as u128);
            selections.push(selection);
        }
        // A column with no value left selects nothing, however many values
        // the others have: checked first, so that none of them is listed.
        if total == 0 {
            return Ok(Vec::new());
        }
        if total > MAX_PARTITIONS as u128 {
            return Err(Error::ProjectionTooLarge {
                table: self.table.clone(),
                partitions: total,
                limit: MAX_PARTITIONS,
                columns: self
                    .columns
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        // The Cartesian product, first column outermost.
        let mut rows: Vec<Vec<String>> = vec![Vec::new()];
        for (column, selection) in self.columns.iter().zip(selections) {
            let values: Vec<String> = match selection {
                Selection::Run(r) => r.map(|k| column.kind.value(k)).collect(),
                Selection::Values(v) => v,
            };
            rows = rows
                .into_iter()
                .flat_map(|row| {
                    values.iter().map(move |v| {
                        let mut row = row.clone();
                        row.push(v.clone());
                        row
                    })
                })
                .collect();
        }
        Ok(rows
            .into_iter()
            .map(|values| {
                let location = match &self.template {
                    Some(t) => self
                        .columns
                        .iter()
                        .zip(&values)
                        .fold(t.clone(), |loc, (c, v)| {
                            loc.replace(&format!("${{{}}}", c.name), v)
                        }),
                    None => default_location(&values),
                };
                ProjectedPartition { values, location }
            })
            .collect())
    }
}

impl Column {
    /// The values of this column that the predicates can select.
    fn narrow(&self, filters: &[Expr], table: &str) -> Result<Selection> {
        let domain = Domain::of(filters, &self.name, &self.data_type);
        let n = match &self.kind {
            Kind::Injected => {
                return match domain {
                    Domain::Set(values) => Ok(Selection::Values(values.iter().map(raw).collect())),
                    _ => Err(Error::InjectedWithoutEquality {
                        column: self.name.clone(),
                    }),
                };
            }
            kind => kind.len(),
        };
        let typed = |k: u64| {
            ScalarValue::Utf8(Some(self.kind.value(k)))
                .cast_to(&self.data_type)
                .ok()
        };
        Ok(match domain {
            Domain::All => Selection::Run(0..n),
            Domain::Set(values) => {
                let mut found: Vec<u64> = values
                    .iter()
                    .filter_map(|v| self.kind.index_of_value(v))
                    // `last`, not `n`: `n` saturates for a range of all 2^64 integers.
                    .filter(|k| self.kind.last_index().is_some_and(|last| *k <= last))
                    .collect();
                found.sort_unstable();
                found.dedup();
                Selection::Values(found.into_iter().map(|k| self.kind.value(k)).collect())
            }
            range if self.kind.sorted(&self.data_type) => {
                // Values ascend with k: binary search both bounds.
                let start = first(0..n, |k| typed(k).is_none_or(|v| range.above_lower(&v)));
                let end = first(start..n, |k| {
                    typed(k).is_some_and(|v| !range.below_upper(&v))
                });
                Selection::Run(start..end)
            }
            range => {
                if n > MAX_PARTITIONS {
                    return Err(Error::ProjectionTooLarge {
                        table: table.to_string(),
                        partitions: n as u128,
                        limit: MAX_PARTITIONS,
                        columns: self.name.clone(),
                    });
                }
                Selection::Values(
                    (0..n)
                        .filter(|k| typed(*k).is_none_or(|v| range.contains(&v)))
                        .map(|k| self.kind.value(k))
                        .collect(),
                )
            }
        })
    }
}

/// The first index in `range` where `pred` holds, for a `pred` that is false
/// then true along the range.
fn first(range: Range<u64>, pred: impl Fn(u64) -> bool) -> u64 {
    let (mut lo, mut hi) = (range.start, range.end.max(range.start));
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

#[cfg(test)]
mod tests;
