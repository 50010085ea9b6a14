//! Date and time functions: `date_parse`/`date_format` (MySQL specifiers),
//! `parse_datetime`/`format_datetime` (Joda patterns), ISO 8601, Unix time,
//! `date_add`/`date_diff`, field extraction (`year`, `month`, ...,
//! `fields`), durations (`parse_duration`, `to_milliseconds`, ...), and
//! Teradata's `to_char`, `to_date` and `to_timestamp`.
//!
//! Athena's `timestamp` is milliseconds without a zone; functions Trino types
//! `timestamp with time zone` return milliseconds in UTC (the session zone).

use std::sync::Arc;

use chrono::format::{Item, Parsed};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, Float64Array, Int64Array, StringArray, StringBuilder,
    TimestampMillisecondArray,
};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::compute::kernels::temporal::{DatePart, date_part};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, Volatility};

use super::{Udf, constant_str, finish, returns};

mod arithmetic;
pub(crate) use arithmetic::INTERVAL_TIMES;
mod durations;
mod fields;
mod iso8601;
mod patterns;
mod unixtime;
mod zones;

use iso8601::{parse_iso8601_date, parse_iso8601_timestamp};

use patterns::Mode;

const MS: DataType = DataType::Timestamp(TimeUnit::Millisecond, None);

fn utc() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

/// The date and time functions.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    let strings2 = || Signature::exact(vec![DataType::Utf8, DataType::Utf8], Volatility::Immutable);
    let string1 = || Signature::exact(vec![DataType::Utf8], Volatility::Immutable);
    let any = |n| Signature::any(n, Volatility::Immutable);
    let mut out = vec![
        Udf::scalar_udf("date_parse", strings2(), returns!(MS), |a, n| {
            date_parse(a, n, false)
        }),
        Udf::scalar_udf("date_format", any(2), returns!(DataType::Utf8), date_format),
        Udf::scalar_udf("parse_datetime", strings2(), returns!(utc()), |a, n| {
            parse_datetime(a, n, false)
        }),
        Udf::scalar_udf(
            "format_datetime",
            any(2),
            returns!(DataType::Utf8),
            format_datetime,
        ),
        Udf::scalar_udf(
            "from_iso8601_timestamp",
            string1(),
            returns!(utc()),
            |a, n| from_iso8601_timestamp(a, n, false),
        ),
        Udf::scalar_udf(
            "from_iso8601_date",
            string1(),
            returns!(DataType::Date32),
            |a, n| from_iso8601_date(a, n, false),
        ),
        Udf::scalar_udf(
            "to_iso8601",
            any(1),
            |t| temporal(t, DataType::Utf8),
            to_iso8601,
        ),
        unixtime::function(),
        Udf::scalar_udf(
            "to_unixtime",
            any(1),
            |t| temporal(t, DataType::Float64),
            to_unixtime,
        ),
    ];
    out.extend([
        Udf::scalar_udf("to_char", any(2), returns!(DataType::Utf8), |a, n| {
            format_column("to_char", a, n, |f| patterns::teradata("to_char", f))
        }),
        Udf::scalar_udf("to_timestamp", strings2(), returns!(MS), |a, n| {
            let out = parse_column("to_timestamp", a, n, false, |f| {
                patterns::teradata("to_timestamp", f)
            })?;
            finish(a, out)
        }),
        Udf::scalar_udf("to_date", strings2(), returns!(DataType::Date32), |a, n| {
            let out = parse_column("to_date", a, n, false, |f| patterns::teradata("to_date", f))?;
            finish(a, cast(&out, &DataType::Date32)?)
        }),
    ]);
    out.extend(arithmetic::functions());
    out.extend(zones::functions());
    out.extend(fields::functions());
    out.extend(durations::functions());
    out
}

/// Twins of the parsing functions that give NULL for text that does not
/// parse (format errors still fail): what `try(...)` plans them as.
pub(crate) fn lenient() -> Vec<ScalarUDF> {
    let strings2 = || Signature::exact(vec![DataType::Utf8, DataType::Utf8], Volatility::Immutable);
    let string1 = || Signature::exact(vec![DataType::Utf8], Volatility::Immutable);
    vec![
        Udf::scalar_udf("try_date_parse", strings2(), returns!(MS), |a, n| {
            date_parse(a, n, true)
        }),
        Udf::scalar_udf("try_parse_datetime", strings2(), returns!(utc()), |a, n| {
            parse_datetime(a, n, true)
        }),
        Udf::scalar_udf(
            "try_from_iso8601_timestamp",
            string1(),
            returns!(utc()),
            |a, n| from_iso8601_timestamp(a, n, true),
        ),
        Udf::scalar_udf(
            "try_from_iso8601_date",
            string1(),
            returns!(DataType::Date32),
            |a, n| from_iso8601_date(a, n, true),
        ),
    ]
}

/// `out` when the argument is a timestamp or a date.
fn temporal(args: &[DataType], out: DataType) -> Result<DataType> {
    match &args[0] {
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 | DataType::Null => Ok(out),
        other => plan_err!("expected a timestamp or date argument, got {other}"),
    }
}

/// Timestamps as wall-clock milliseconds (zoned values in their own zone).
pub(crate) fn wall_millis(array: &ArrayRef) -> Result<TimestampMillisecondArray> {
    let (instants, zone) = instants(array)?;
    let Some(zone) = zone else {
        return Ok(instants);
    };
    Ok(instants.unary(|ms| ms + i64::from(offset_secs(&zone, ms)) * 1000))
}

/// Timestamps (or dates) as milliseconds and their zone: instants for zoned
/// values, wall clock (read as UTC) for plain ones.
fn instants(array: &ArrayRef) -> Result<(TimestampMillisecondArray, Option<Tz>)> {
    let zone = match array.data_type() {
        DataType::Timestamp(_, Some(zone)) => Some(zone.clone()),
        _ => None,
    };
    let millis = cast(
        array,
        &DataType::Timestamp(TimeUnit::Millisecond, zone.clone()),
    )?;
    let millis: TimestampMillisecondArray = millis.as_primitive().clone();
    match zone {
        None => Ok((millis, None)),
        Some(z) => Ok((
            millis.with_timezone_opt(None::<String>),
            Some(z.parse::<Tz>()?),
        )),
    }
}

/// The offset from UTC of `zone` at the instant `ms`, in seconds.
fn offset_secs(zone: &Tz, ms: i64) -> i32 {
    use chrono::{Offset, TimeZone};
    DateTime::from_timestamp_millis(ms)
        .map(|dt| {
            zone.offset_from_utc_datetime(&dt.naive_utc())
                .fix()
                .local_minus_utc()
        })
        .unwrap_or(0)
}

fn strings(array: &ArrayRef) -> Result<StringArray> {
    Ok(cast(array, &DataType::Utf8)?.as_string::<i32>().clone())
}

/// Parses `s` with `items`; fields the format lacks default as in Trino
/// (1970-01-01, midnight).
fn parse_with(items: &[Item<'static>], s: &str) -> Option<NaiveDateTime> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, s, items.iter()).ok()?;
    if parsed.year().is_none() && parsed.year_mod_100().is_none() && parsed.isoyear().is_none() {
        parsed.set_year(1970).ok()?;
    }
    if parsed.month().is_none() && parsed.ordinal().is_none() && parsed.isoweek().is_none() {
        parsed.set_month(1).ok()?;
    }
    if parsed.day().is_none() && parsed.ordinal().is_none() && parsed.isoweek().is_none() {
        parsed.set_day(1).ok()?;
    }
    let date = parsed.to_naive_date().ok()?;
    let time = if parsed.hour_mod_12().is_none() {
        NaiveTime::MIN
    } else {
        if parsed.minute().is_none() {
            parsed.set_minute(0).ok()?;
        }
        parsed.to_naive_time().ok()?
    };
    let local = date.and_time(time);
    Some(match parsed.offset() {
        Some(offset) => local - chrono::Duration::seconds(offset.into()),
        None => local,
    })
}

/// Parses every string with a constant format; text that does not match is
/// an error naming the function and the value, as in Trino.
fn parse_column(
    function: &str,
    args: &[ColumnarValue],
    rows: usize,
    lenient: bool,
    translate: impl Fn(&str) -> Result<Vec<Item<'static>>>,
) -> Result<ArrayRef> {
    let Some(format) = constant_str(function, "format", &args[1])? else {
        return Ok(Arc::new(TimestampMillisecondArray::new_null(rows)));
    };
    let items = translate(format)?;
    let input = strings(&args[0].to_array(rows)?)?;
    let mut out = Vec::with_capacity(input.len());
    for value in input.iter() {
        out.push(match value {
            None => None,
            Some(s) => match parse_with(&items, s) {
                Some(dt) => Some(dt.and_utc().timestamp_millis()),
                None if lenient => None,
                None => {
                    return exec_err!("{function}: invalid value {s:?} for format {format:?}");
                }
            },
        });
    }
    Ok(Arc::new(TimestampMillisecondArray::from(out)))
}

/// `date_parse(string, format)`: a timestamp from MySQL-style specifiers.
fn date_parse(args: &[ColumnarValue], rows: usize, lenient: bool) -> Result<ColumnarValue> {
    let out = parse_column("date_parse", args, rows, lenient, |f| {
        patterns::mysql("date_parse", f, Mode::Parse)
    })?;
    finish(args, out)
}

/// `parse_datetime(string, pattern)`: a UTC timestamp from a Joda pattern.
fn parse_datetime(args: &[ColumnarValue], rows: usize, lenient: bool) -> Result<ColumnarValue> {
    let out = parse_column("parse_datetime", args, rows, lenient, |f| {
        patterns::joda("parse_datetime", f)
    })?;
    finish(
        args,
        Arc::new(
            out.as_primitive::<datafusion::arrow::datatypes::TimestampMillisecondType>()
                .clone()
                .with_timezone("UTC"),
        ),
    )
}

/// Formats every timestamp with a constant format.
fn format_column(
    function: &str,
    args: &[ColumnarValue],
    rows: usize,
    translate: impl Fn(&str) -> Result<Vec<Item<'static>>>,
) -> Result<ColumnarValue> {
    use std::fmt::Write;
    temporal(&[args[0].data_type()], DataType::Utf8).or_else(|_| {
        exec_err!(
            "{function}: argument 1 must be a timestamp or date, not {}",
            args[0].data_type()
        )
    })?;
    let Some(format) = constant_str(function, "format", &args[1])? else {
        return finish(args, Arc::new(StringArray::new_null(rows)));
    };
    let items = translate(format)?;
    let (input, zone) = instants(&args[0].to_array(rows)?)?;
    let mut out = StringBuilder::with_capacity(input.len(), input.len() * format.len() * 2);
    for value in input.iter() {
        let offset = match (&zone, value) {
            (Some(zone), Some(ms)) => offset_secs(zone, ms),
            _ => 0,
        };
        let local = value
            .and_then(DateTime::from_timestamp_millis)
            .and_then(|dt| {
                let offset = chrono::FixedOffset::east_opt(offset)?;
                Some(dt.with_timezone(&offset))
            });
        match local {
            None => out.append_null(),
            Some(dt) => {
                if write!(out, "{}", dt.format_with_items(items.iter())).is_err() {
                    return exec_err!("{function}: cannot format {dt} with {format:?}");
                }
                out.append_value("");
            }
        }
    }
    finish(args, Arc::new(out.finish()))
}

/// `date_format(timestamp, format)`: text from MySQL-style specifiers.
fn date_format(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    format_column("date_format", args, rows, |f| {
        patterns::mysql("date_format", f, Mode::Format)
    })
}

/// `format_datetime(timestamp, pattern)`: text from a Joda pattern.
fn format_datetime(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    format_column("format_datetime", args, rows, |f| {
        patterns::joda("format_datetime", f)
    })
}

fn iso_column<T>(
    function: &str,
    args: &[ColumnarValue],
    rows: usize,
    lenient: bool,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<Option<T>>> {
    let input = strings(&args[0].to_array(rows)?)?;
    input
        .iter()
        .map(|v| match v {
            None => Ok(None),
            Some(s) => match parse(s.trim()) {
                Some(t) => Ok(Some(t)),
                None if lenient => Ok(None),
                None => exec_err!("{function}: invalid ISO 8601 value {s:?}"),
            },
        })
        .collect()
}

/// `from_iso8601_timestamp(string)`: a UTC timestamp from ISO 8601 text.
fn from_iso8601_timestamp(
    args: &[ColumnarValue],
    rows: usize,
    lenient: bool,
) -> Result<ColumnarValue> {
    let out = iso_column(
        "from_iso8601_timestamp",
        args,
        rows,
        lenient,
        parse_iso8601_timestamp,
    )?;
    finish(
        args,
        Arc::new(TimestampMillisecondArray::from(out).with_timezone("UTC")),
    )
}

/// `from_iso8601_date(string)`: a date from ISO 8601 text.
fn from_iso8601_date(args: &[ColumnarValue], rows: usize, lenient: bool) -> Result<ColumnarValue> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let out = iso_column("from_iso8601_date", args, rows, lenient, |s| {
        parse_iso8601_date(s).map(|d| (d - epoch).num_days() as i32)
    })?;
    finish(args, Arc::new(Date32Array::from(out)))
}

/// `to_iso8601(x)`: ISO 8601 text of a date or timestamp.
fn to_iso8601(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    use std::fmt::Write;
    let array = args[0].to_array(rows)?;
    let mut out = StringBuilder::with_capacity(array.len(), array.len() * 24);
    match array.data_type() {
        DataType::Date32 | DataType::Date64 => {
            let dates = wall_millis(&array)?;
            for v in dates.iter() {
                match v.and_then(DateTime::from_timestamp_millis) {
                    Some(dt) => out.append_value(dt.format("%Y-%m-%d").to_string()),
                    None => out.append_null(),
                }
            }
        }
        DataType::Timestamp(_, zone) => {
            let utc = cast(
                &array,
                &DataType::Timestamp(TimeUnit::Millisecond, zone.clone()),
            )?;
            let utc = utc.as_primitive::<datafusion::arrow::datatypes::TimestampMillisecondType>();
            let local = wall_millis(&array)?;
            for (u, l) in utc.iter().zip(local.iter()) {
                let (Some(u), Some(l)) = (u, l) else {
                    out.append_null();
                    continue;
                };
                let Some(wall) = DateTime::from_timestamp_millis(l) else {
                    out.append_null();
                    continue;
                };
                let _ = write!(out, "{}", wall.format("%Y-%m-%dT%H:%M:%S%.3f"));
                if zone.is_some() {
                    let offset = (l - u) / 1000;
                    if offset == 0 {
                        let _ = out.write_str("Z");
                    } else {
                        let (sign, o) = if offset < 0 {
                            ('-', -offset)
                        } else {
                            ('+', offset)
                        };
                        let _ = write!(out, "{sign}{:02}:{:02}", o / 3600, o % 3600 / 60);
                    }
                }
                out.append_value("");
            }
        }
        DataType::Null => return finish(args, Arc::new(StringArray::new_null(rows))),
        other => {
            return exec_err!("to_iso8601: argument 1 must be a timestamp or date, not {other}");
        }
    }
    finish(args, Arc::new(out.finish()))
}

/// `to_unixtime(timestamp)`: Unix seconds as a double.
fn to_unixtime(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let array = args[0].to_array(rows)?;
    // Zoned timestamps are instants already; plain ones are read as UTC.
    let target = match array.data_type() {
        DataType::Timestamp(_, zone) => DataType::Timestamp(TimeUnit::Millisecond, zone.clone()),
        _ => MS,
    };
    let millis = cast(&array, &target)?;
    let millis = cast(&millis, &DataType::Int64)?;
    let millis: &Int64Array = millis.as_primitive();
    let out: Float64Array = millis.unary(|m| m as f64 / 1000.0);
    finish(args, Arc::new(out))
}

/// Extracts one calendar field as bigint (used by `year`, `month`, ...).
pub(crate) fn field(args: &[ColumnarValue], rows: usize, part: DatePart) -> Result<ArrayRef> {
    let array = args[0].to_array(rows)?;
    let values = date_part(array.as_ref(), part)?;
    Ok(cast(&values, &DataType::Int64)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_default_to_epoch_start() {
        let items = patterns::mysql("t", "%H:%i", Mode::Parse).unwrap();
        let dt = parse_with(&items, "13:45").unwrap();
        assert_eq!(dt.to_string(), "1970-01-01 13:45:00");
        let items = patterns::mysql("t", "%Y-%m-%d", Mode::Parse).unwrap();
        assert_eq!(
            parse_with(&items, "2024-02-29").unwrap().to_string(),
            "2024-02-29 00:00:00"
        );
        assert!(parse_with(&items, "2023-02-29").is_none());
    }
}
