//! Durations and intervals: `parse_duration`, `to_milliseconds`,
//! `human_readable_seconds`, and `from_unixtime_nanos`.
//!
//! Trino's `interval day to second` is a count of milliseconds; here it is
//! Arrow's month-day-nanosecond interval (what DataFusion's `INTERVAL`
//! literals are) with no months.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, Float64Array, Int64Array, IntervalMonthDayNanoArray, StringBuilder,
    TimestampNanosecondArray,
};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::datatypes::{
    DataType, IntervalDayTimeType, IntervalMonthDayNano, IntervalMonthDayNanoType, IntervalUnit,
    TimeUnit,
};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, Volatility};

use super::super::{Udf, finish, returns};

const DAY_MS: i64 = 86_400_000;

/// The duration functions.
pub(super) fn functions() -> Vec<ScalarUDF> {
    vec![
        Udf::scalar_udf(
            "parse_duration",
            Signature::exact(vec![DataType::Utf8], Volatility::Immutable),
            returns!(DataType::Interval(IntervalUnit::MonthDayNano)),
            parse_duration,
        ),
        Udf::scalar_udf(
            "to_milliseconds",
            Signature::any(1, Volatility::Immutable),
            returns!(DataType::Int64),
            to_milliseconds,
        ),
        Udf::scalar_udf(
            "human_readable_seconds",
            Signature::exact(vec![DataType::Float64], Volatility::Immutable),
            returns!(DataType::Utf8),
            human_readable_seconds,
        ),
        Udf::scalar_udf(
            "from_unixtime_nanos",
            Signature::any(1, Volatility::Immutable),
            returns!(DataType::Timestamp(
                TimeUnit::Nanosecond,
                Some("UTC".into())
            )),
            from_unixtime_nanos,
        ),
    ]
}

/// Milliseconds as a day-to-second interval.
fn interval(ms: i64) -> IntervalMonthDayNano {
    IntervalMonthDayNano::new(0, (ms / DAY_MS) as i32, (ms % DAY_MS) * 1_000_000)
}

/// Parses `value unit` (`42.8ms`, `3.81 d`) to milliseconds, rounded half up,
/// as airlift's `Duration` does: a decimal number, optional spaces, and one
/// of `ns`, `us`, `ms`, `s`, `m`, `h`, `d`.
pub(crate) fn duration_millis(text: &str) -> Option<i64> {
    let s = text.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = s.split_at(split);
    let number_ok = !number.is_empty()
        && !number.starts_with('.')
        && !number.ends_with('.')
        && number.matches('.').count() <= 1;
    if !number_ok {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let millis_per_unit = match unit.trim_start() {
        "ns" => 1e-6,
        "us" => 1e-3,
        "ms" => 1.0,
        "s" => 1e3,
        "m" => 6e4,
        "h" => 3.6e6,
        "d" => 8.64e7,
        _ => return None,
    };
    let ms = (value * millis_per_unit + 0.5).floor();
    (ms.is_finite() && ms <= i64::MAX as f64).then_some(ms as i64)
}

/// `parse_duration(string)`: an interval from `value unit` text.
fn parse_duration(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let input = args[0].to_array(rows)?;
    let mut out = Vec::with_capacity(input.len());
    for v in input.as_string::<i32>().iter() {
        out.push(match v {
            None => None,
            Some(s) => match duration_millis(s) {
                Some(ms) => Some(interval(ms)),
                None => return exec_err!("parse_duration: invalid duration string {s:?}"),
            },
        });
    }
    finish(args, Arc::new(IntervalMonthDayNanoArray::from(out)))
}

/// `to_milliseconds(interval)`: a day-to-second interval as milliseconds.
fn to_milliseconds(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let array = args[0].to_array(rows)?;
    let out: Int64Array = match array.data_type() {
        DataType::Interval(IntervalUnit::MonthDayNano) => {
            let mut out = Vec::with_capacity(array.len());
            for v in array.as_primitive::<IntervalMonthDayNanoType>().iter() {
                out.push(match v {
                    None => None,
                    Some(v) if v.months != 0 => {
                        return exec_err!(
                            "to_milliseconds: the interval must be day to second, not year to month"
                        );
                    }
                    Some(v) => Some(i64::from(v.days) * DAY_MS + v.nanoseconds / 1_000_000),
                });
            }
            out.into()
        }
        DataType::Interval(IntervalUnit::DayTime) => array
            .as_primitive::<IntervalDayTimeType>()
            .iter()
            .map(|v| v.map(|v| i64::from(v.days) * DAY_MS + i64::from(v.milliseconds)))
            .collect(),
        DataType::Duration(_) => {
            let ms = cast(&array, &DataType::Duration(TimeUnit::Millisecond))?;
            cast(&ms, &DataType::Int64)?.as_primitive().clone()
        }
        DataType::Null => Int64Array::new_null(array.len()),
        other => {
            return exec_err!(
                "to_milliseconds: the argument must be a day-to-second interval, not {other}"
            );
        }
    };
    finish(args, Arc::new(out))
}

/// `96.0` as `1 minute, 36 seconds`: weeks, days, hours, minutes and
/// seconds (rounded), zero parts left out, `0 seconds` for zero.
pub(crate) fn human_readable(seconds: f64) -> Option<String> {
    if !seconds.is_finite() {
        return None;
    }
    let mut rest = seconds.round() as i64;
    let mut parts = Vec::new();
    for (unit, size) in [
        ("week", 604_800),
        ("day", 86_400),
        ("hour", 3_600),
        ("minute", 60),
        ("second", 1),
    ] {
        let n = rest / size;
        rest %= size;
        if n != 0 {
            parts.push(format!("{n} {unit}{}", if n == 1 { "" } else { "s" }));
        }
    }
    if parts.is_empty() {
        parts.push("0 seconds".to_string());
    }
    Some(parts.join(", "))
}

/// `human_readable_seconds(double)`.
fn human_readable_seconds(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let input = args[0].to_array(rows)?;
    let input: &Float64Array = input.as_primitive();
    let mut out = StringBuilder::with_capacity(input.len(), input.len() * 16);
    for v in input.iter() {
        match v {
            None => out.append_null(),
            Some(s) => match human_readable(s) {
                Some(text) => out.append_value(text),
                None => {
                    return exec_err!("human_readable_seconds: invalid argument {s}");
                }
            },
        }
    }
    finish(args, Arc::new(out.finish()))
}

/// `from_unixtime_nanos(n)`: a UTC timestamp from nanoseconds since the
/// epoch (a decimal is rounded to whole nanoseconds, as in Trino).
fn from_unixtime_nanos(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let array = args[0].to_array(rows)?;
    let nanos: Int64Array = match array.data_type() {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::Null => cast(&array, &DataType::Int64)?.as_primitive().clone(),
        DataType::Decimal128(_, scale) => {
            let d = array.as_primitive::<datafusion::arrow::datatypes::Decimal128Type>();
            let factor = 10i128.pow(u32::try_from(*scale).unwrap_or(0));
            let mut out = Vec::with_capacity(d.len());
            for v in d.iter() {
                out.push(match v {
                    None => None,
                    Some(v) => {
                        // Half away from zero, as Trino rounds decimals.
                        let half = factor / 2;
                        let q = if v >= 0 {
                            (v + half) / factor
                        } else {
                            (v - half) / factor
                        };
                        match i64::try_from(q) {
                            Ok(n) => Some(n),
                            Err(_) => {
                                return exec_err!("from_unixtime_nanos: {v} is out of range");
                            }
                        }
                    }
                });
            }
            out.into()
        }
        other => {
            return exec_err!(
                "from_unixtime_nanos: the argument must be a bigint or a decimal, not {other}"
            );
        }
    };
    let out = TimestampNanosecondArray::new(nanos.values().clone(), nanos.nulls().cloned())
        .with_timezone("UTC");
    finish(args, Arc::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_as_airlift_does() {
        assert_eq!(duration_millis("42.8ms"), Some(43));
        assert_eq!(duration_millis("3.81 d"), Some(329_184_000));
        assert_eq!(duration_millis("5m"), Some(300_000));
        assert_eq!(duration_millis("1.5ns"), Some(0));
        assert_eq!(duration_millis("5 years"), None);
        assert_eq!(duration_millis("ms"), None);
        assert_eq!(duration_millis("1..2s"), None);
    }

    #[test]
    fn seconds_read_as_text() {
        assert_eq!(human_readable(96.0).unwrap(), "1 minute, 36 seconds");
        assert_eq!(
            human_readable(56_363_463.0).unwrap(),
            "93 weeks, 1 day, 8 hours, 31 minutes, 3 seconds"
        );
        assert_eq!(human_readable(0.0).unwrap(), "0 seconds");
        assert!(human_readable(f64::NAN).is_none());
    }
}
