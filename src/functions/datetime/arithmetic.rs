//! `date_add`, `date_diff` and the field functions (`year`, `month`, ...).

use std::sync::Arc;

use chrono::{DateTime, Datelike, Months, NaiveDateTime};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::compute::kernels::temporal::DatePart;
use datafusion::arrow::datatypes::{
    DataType, IntervalMonthDayNano, IntervalMonthDayNanoType, IntervalUnit, TimeUnit,
    TimestampMillisecondType,
};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, Volatility};

use super::super::{Udf, constant_str, finish, returns};
use super::field;

/// A unit of `date_add` and `date_diff`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Unit {
    /// A fixed number of milliseconds.
    Fixed(i64),
    /// A number of calendar months.
    Months(i64),
}

/// Parses a unit name as Trino spells it (any case).
pub(crate) fn unit(function: &str, name: &str) -> Result<Unit> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "millisecond" => Unit::Fixed(1),
        "second" => Unit::Fixed(1_000),
        "minute" => Unit::Fixed(60_000),
        "hour" => Unit::Fixed(3_600_000),
        "day" => Unit::Fixed(86_400_000),
        "week" => Unit::Fixed(7 * 86_400_000),
        "month" => Unit::Months(1),
        "quarter" => Unit::Months(3),
        "year" => Unit::Months(12),
        _ => {
            return exec_err!(
                "{function}: invalid unit {name:?} (argument 1); expected millisecond, second, minute, hour, day, week, month, quarter or year"
            );
        }
    })
}

/// The date and time arithmetic and field functions.
/// The name `INTERVAL .. * n` (and `n * INTERVAL ..`) is planned as.
pub(crate) const INTERVAL_TIMES: &str = "interval_times";

pub(super) fn functions() -> Vec<ScalarUDF> {
    let field_fn = |name, body| {
        Udf::scalar_udf(
            name,
            Signature::any(1, Volatility::Immutable),
            returns!(DataType::Int64),
            body,
        )
    };
    vec![
        Udf::scalar_udf(
            INTERVAL_TIMES,
            Signature::any(2, Volatility::Immutable),
            returns!(DataType::Interval(IntervalUnit::MonthDayNano)),
            interval_times,
        ),
        Udf::scalar_udf(
            "date_add",
            Signature::any(3, Volatility::Immutable),
            add_type,
            date_add,
        ),
        Udf::scalar_udf(
            "date_diff",
            Signature::any(3, Volatility::Immutable),
            returns!(DataType::Int64),
            date_diff,
        ),
        field_fn("year", |a, n| finish(a, field(a, n, DatePart::Year)?)),
        field_fn("quarter", |a, n| finish(a, field(a, n, DatePart::Quarter)?)),
        field_fn("month", |a, n| finish(a, field(a, n, DatePart::Month)?)),
        field_fn("week", |a, n| finish(a, field(a, n, DatePart::Week)?)),
        field_fn("week_of_year", |a, n| {
            finish(a, field(a, n, DatePart::Week)?)
        }),
        field_fn("day", |a, n| finish(a, field(a, n, DatePart::Day)?)),
        field_fn("day_of_month", |a, n| {
            finish(a, field(a, n, DatePart::Day)?)
        }),
        field_fn("day_of_week", day_of_week),
        field_fn("dow", day_of_week),
        field_fn("day_of_year", |a, n| {
            finish(a, field(a, n, DatePart::DayOfYear)?)
        }),
        field_fn("doy", |a, n| finish(a, field(a, n, DatePart::DayOfYear)?)),
        field_fn("hour", |a, n| finish(a, field(a, n, DatePart::Hour)?)),
        field_fn("minute", |a, n| finish(a, field(a, n, DatePart::Minute)?)),
        field_fn("second", |a, n| finish(a, field(a, n, DatePart::Second)?)),
    ]
}

/// `day_of_week(x)`: ISO day of the week, Monday = 1 to Sunday = 7.
fn day_of_week(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let days = field(args, rows, DatePart::DayOfWeekMonday0)?;
    let days: &Int64Array = days.as_primitive();
    finish(
        args,
        Arc::new(days.unary::<_, datafusion::arrow::datatypes::Int64Type>(|d| d + 1)),
    )
}

fn add_type(args: &[DataType]) -> Result<DataType> {
    match &args[2] {
        DataType::Date32 | DataType::Date64 => Ok(DataType::Date32),
        DataType::Timestamp(_, zone) => {
            Ok(DataType::Timestamp(TimeUnit::Millisecond, zone.clone()))
        }
        other => plan_err!("date_add: argument 3 must be a timestamp or date, not {other}"),
    }
}

/// Adds `n` units to UTC-or-wall-clock milliseconds; `None` on overflow.
pub(crate) fn add(ms: i64, unit: Unit, n: i64) -> Option<i64> {
    match unit {
        Unit::Fixed(step) => ms.checked_add(step.checked_mul(n)?),
        Unit::Months(step) => {
            let dt = DateTime::from_timestamp_millis(ms)?.naive_utc();
            let months = step.checked_mul(n)?;
            let moved = if months >= 0 {
                dt.checked_add_months(Months::new(u32::try_from(months).ok()?))?
            } else {
                dt.checked_sub_months(Months::new(u32::try_from(-months).ok()?))?
            };
            Some(moved.and_utc().timestamp_millis())
        }
    }
}

/// `date_add(unit, n, x)`: `x` moved by `n` units (month ends clamp, as in Trino).
fn date_add(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let Some(name) = constant_str("date_add", "unit", &args[0])? else {
        return finish(
            args,
            datafusion::arrow::array::new_null_array(
                &add_type(&[DataType::Null, DataType::Null, args[2].data_type()])?,
                rows,
            ),
        );
    };
    let unit = unit("date_add", name)?;
    let n = cast(&args[1].to_array(rows)?, &DataType::Int64)?;
    let n: &Int64Array = n.as_primitive();
    let x = args[2].to_array(rows)?;
    let is_date = matches!(x.data_type(), DataType::Date32 | DataType::Date64);
    if is_date && matches!(unit, Unit::Fixed(step) if step < 86_400_000) {
        return exec_err!("date_add: unit {name:?} is not valid for a date");
    }
    let zone = match x.data_type() {
        DataType::Timestamp(_, zone) => zone.clone(),
        _ => None,
    };
    // Zoned values are moved as instants (UTC), plain ones as wall clock.
    let millis = cast(
        &x,
        &DataType::Timestamp(TimeUnit::Millisecond, zone.clone()),
    )?;
    let millis = millis.as_primitive::<TimestampMillisecondType>();
    let mut out = Vec::with_capacity(rows);
    for (ms, n) in millis.iter().zip(n.iter()) {
        out.push(match (ms, n) {
            (Some(ms), Some(n)) => match add(ms, unit, n) {
                Some(v) => Some(v),
                None => return exec_err!("date_add: result of adding {n} {name} is out of range"),
            },
            _ => None,
        });
    }
    let out =
        datafusion::arrow::array::TimestampMillisecondArray::from(out).with_timezone_opt(zone);
    let out: ArrayRef = if is_date {
        cast(&out, &DataType::Date32)?
    } else {
        Arc::new(out)
    };
    finish(args, out)
}

/// The number of whole months from `a` to `b`, as Joda counts them: a month
/// ending on its last day reaches any later day of the month before.
pub(crate) fn months_between(a: NaiveDateTime, b: NaiveDateTime) -> i64 {
    if b < a {
        return -months_between(b, a);
    }
    let mut diff =
        i64::from(b.year() - a.year()) * 12 + i64::from(b.month()) - i64::from(a.month());
    let last_of_b = b
        .date()
        .checked_add_days(chrono::Days::new(1))
        .is_some_and(|d| d.month() != b.month());
    let mut a_rest = (a.day(), a.time());
    if last_of_b && a.day() > b.day() {
        a_rest.0 = b.day();
    }
    if (b.day(), b.time()) < a_rest {
        diff -= 1;
    }
    diff
}

/// `date_diff(unit, a, b)`: whole units from `a` to `b`, truncated toward zero.
fn date_diff(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let Some(name) = constant_str("date_diff", "unit", &args[0])? else {
        return finish(args, Arc::new(Int64Array::new_null(rows)));
    };
    let unit = unit("date_diff", name)?;
    let instants = |x: &ColumnarValue| -> Result<ArrayRef> {
        let x = x.to_array(rows)?;
        let zone = match x.data_type() {
            DataType::Timestamp(_, zone) => zone.clone(),
            DataType::Date32 | DataType::Date64 | DataType::Null => None,
            other => return exec_err!("date_diff: expected a timestamp or date, not {other}"),
        };
        Ok(cast(&x, &DataType::Timestamp(TimeUnit::Millisecond, zone))?)
    };
    let (a, b) = (instants(&args[1])?, instants(&args[2])?);
    let (a, b) = (
        a.as_primitive::<TimestampMillisecondType>(),
        b.as_primitive::<TimestampMillisecondType>(),
    );
    let out: Int64Array = a
        .iter()
        .zip(b.iter())
        .map(|(a, b)| {
            let (a, b) = (a?, b?);
            match unit {
                Unit::Fixed(step) => Some((b - a) / step),
                Unit::Months(step) => {
                    let a = DateTime::from_timestamp_millis(a)?.naive_utc();
                    let b = DateTime::from_timestamp_millis(b)?.naive_utc();
                    Some(months_between(a, b) / step)
                }
            }
        })
        .collect();
    finish(args, Arc::new(out))
}

/// `interval_times(interval, n)`: Trino multiplies an interval by a number
/// (`INTERVAL '1' HOUR * 6`, `ts + INTERVAL '1' DAY * n`); DataFusion 55
/// has no such arithmetic (it refuses `Interval * Int64`). By an integer,
/// each part is multiplied exactly; by a double, a day-to-second interval's
/// length is scaled and rounded to the nanosecond, and a year-to-month
/// interval's months are rounded, as Trino rounds them. Overflow is an
/// error, as in Trino.
fn interval_times(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    use datafusion::arrow::array::IntervalMonthDayNanoBuilder;
    let interval = cast(
        &args[0].to_array(rows)?,
        &DataType::Interval(IntervalUnit::MonthDayNano),
    )?;
    let interval = interval.as_primitive::<IntervalMonthDayNanoType>();
    let factor = args[1].to_array(rows)?;
    let exact = factor.data_type().is_integer();
    if !exact && !factor.data_type().is_floating() && !factor.data_type().is_decimal() {
        return exec_err!(
            "an interval can be multiplied by a number, not by {}",
            factor.data_type()
        );
    }
    let factor = cast(
        &factor,
        if exact {
            &DataType::Int64
        } else {
            &DataType::Float64
        },
    )?;
    let mut out = IntervalMonthDayNanoBuilder::with_capacity(rows);
    for i in 0..rows {
        if interval.is_null(i) || factor.is_null(i) {
            out.append_null();
            continue;
        }
        let v = interval.value(i);
        let product = if exact {
            let n = factor
                .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
                .value(i);
            let months = i32::try_from(n).ok().and_then(|n| v.months.checked_mul(n));
            let days = i32::try_from(n).ok().and_then(|n| v.days.checked_mul(n));
            let nanos = v.nanoseconds.checked_mul(n);
            match (months, days, nanos) {
                (Some(months), Some(days), Some(nanoseconds)) => Some(IntervalMonthDayNano {
                    months,
                    days,
                    nanoseconds,
                }),
                _ => None,
            }
        } else {
            let f = factor
                .as_primitive::<datafusion::arrow::datatypes::Float64Type>()
                .value(i);
            let months = (f64::from(v.months) * f).round();
            let nanos = (f64::from(v.days) * 86_400e9 + v.nanoseconds as f64) * f;
            (months.abs() <= f64::from(i32::MAX) && nanos.abs() < 9.2e18).then(|| {
                IntervalMonthDayNano {
                    months: months as i32,
                    days: 0,
                    nanoseconds: nanos.round() as i64,
                }
            })
        };
        match product {
            Some(p) => out.append_value(p),
            None => return exec_err!("interval multiplication overflows (row {})", i + 1),
        }
    }
    finish(args, Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn ms(s: &str) -> i64 {
        dt(s).and_utc().timestamp_millis()
    }

    #[test]
    fn months_clamp_to_month_end() {
        let jan31 = ms("2024-01-31 10:00:00");
        assert_eq!(
            add(jan31, Unit::Months(1), 1),
            Some(ms("2024-02-29 10:00:00"))
        );
        assert_eq!(
            add(jan31, Unit::Months(12), -1),
            Some(ms("2023-01-31 10:00:00"))
        );
        assert_eq!(
            add(ms("2024-02-29 00:00:00"), Unit::Months(12), 1),
            Some(ms("2025-02-28 00:00:00"))
        );
        assert_eq!(add(0, Unit::Fixed(86_400_000), i64::MAX), None);
    }

    #[test]
    fn months_between_counts_whole_months() {
        assert_eq!(
            months_between(dt("2024-01-31 00:00:00"), dt("2024-02-29 00:00:00")),
            1
        );
        assert_eq!(
            months_between(dt("2024-01-15 12:00:00"), dt("2024-02-15 11:59:59")),
            0
        );
        assert_eq!(
            months_between(dt("2024-01-15 12:00:00"), dt("2024-02-15 12:00:00")),
            1
        );
        assert_eq!(
            months_between(dt("2024-03-15 00:00:00"), dt("2023-01-20 00:00:00")),
            -13
        );
    }

    #[test]
    fn units_parse_in_any_case() {
        assert_eq!(unit("f", "DAY").unwrap(), Unit::Fixed(86_400_000));
        assert_eq!(unit("f", "quarter").unwrap(), Unit::Months(3));
        assert!(
            unit("f", "fortnight")
                .unwrap_err()
                .to_string()
                .contains("f: invalid unit \"fortnight\"")
        );
    }
}
