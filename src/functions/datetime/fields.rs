//! More of Trino's field functions: `millisecond`, `year_of_week`/`yow`,
//! `last_day_of_month`, `timezone_hour`, `timezone_minute`, `timezone`, and
//! `date(x)` (an alias of `CAST(x AS date)`).
//!
//! Fields are read from the wall clock: a zoned timestamp in its own zone,
//! a plain one as it is (Athena's `timestamp` has no zone).

use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Date32Array, Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, IntervalUnit};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, cast,
};

use super::super::{Udf, finish, returns};
use super::{instants, offset_secs, wall_millis};

/// The field functions of this module.
pub(super) fn functions() -> Vec<ScalarUDF> {
    let one = || Signature::any(1, Volatility::Immutable);
    vec![
        Udf::scalar_udf("millisecond", one(), returns!(DataType::Int64), millisecond),
        Udf::scalar_udf(
            "year_of_week",
            one(),
            returns!(DataType::Int64),
            year_of_week,
        ),
        Udf::scalar_udf("yow", one(), returns!(DataType::Int64), year_of_week),
        Udf::scalar_udf(
            "last_day_of_month",
            one(),
            returns!(DataType::Date32),
            last_day_of_month,
        ),
        Udf::scalar_udf("timezone_hour", one(), returns!(DataType::Int64), |a, n| {
            zone_offset("timezone_hour", a, n, |minutes| minutes / 60)
        }),
        Udf::scalar_udf(
            "timezone_minute",
            one(),
            returns!(DataType::Int64),
            // Java's `%`: the sign follows the offset (-05:30 is -5 and -30).
            |a, n| zone_offset("timezone_minute", a, n, |minutes| minutes % 60),
        ),
        Udf::scalar_udf("timezone", one(), returns!(DataType::Utf8), timezone),
        ScalarUDF::new_from_impl(DateOf {
            signature: Signature::any(1, Volatility::Immutable),
        }),
    ]
}

/// Fails unless `t` is a timestamp (or a date, when `dates`), naming `function`.
fn expect_temporal(function: &str, t: &DataType, dates: bool) -> Result<()> {
    match t {
        DataType::Timestamp(_, _) | DataType::Null => Ok(()),
        DataType::Date32 | DataType::Date64 if dates => Ok(()),
        other => exec_err!(
            "{function}: the argument must be a timestamp{}, not {other}",
            if dates { " or a date" } else { "" }
        ),
    }
}

/// `millisecond(x)`: the millisecond of the second of a timestamp, or of a
/// day-to-second interval.
fn millisecond(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let array = args[0].to_array(rows)?;
    let out: Int64Array = match array.data_type() {
        DataType::Interval(IntervalUnit::MonthDayNano) => array
            .as_primitive::<datafusion::arrow::datatypes::IntervalMonthDayNanoType>()
            .iter()
            .map(|v| v.map(|v| v.nanoseconds / 1_000_000 % 1000))
            .collect(),
        DataType::Interval(IntervalUnit::DayTime) => array
            .as_primitive::<datafusion::arrow::datatypes::IntervalDayTimeType>()
            .iter()
            .map(|v| v.map(|v| i64::from(v.milliseconds) % 1000))
            .collect(),
        t => {
            expect_temporal("millisecond", t, false)?;
            wall_millis(&array)?
                .iter()
                .map(|v| v.map(|ms| ms.rem_euclid(1000)))
                .collect()
        }
    };
    finish(args, Arc::new(out))
}

/// The wall-clock dates of timestamps or dates.
fn dates(function: &str, args: &[ColumnarValue], rows: usize) -> Result<Vec<Option<NaiveDate>>> {
    let array = args[0].to_array(rows)?;
    expect_temporal(function, array.data_type(), true)?;
    Ok(wall_millis(&array)?
        .iter()
        .map(|v| {
            v.and_then(DateTime::from_timestamp_millis)
                .map(|d| d.date_naive())
        })
        .collect())
}

/// `year_of_week(x)`: the year of the ISO week of `x` (2021-01-03 is in 2020's week 53).
fn year_of_week(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let out: Int64Array = dates("year_of_week", args, rows)?
        .into_iter()
        .map(|d| d.map(|d| i64::from(d.iso_week().year())))
        .collect();
    finish(args, Arc::new(out))
}

/// `last_day_of_month(x)`: the date of the last day of `x`'s month.
fn last_day_of_month(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let out: Date32Array = dates("last_day_of_month", args, rows)?
        .into_iter()
        .map(|d| {
            let first = d?.with_day(1)?;
            let last = first
                .checked_add_months(chrono::Months::new(1))?
                .pred_opt()?;
            Some((last - epoch).num_days() as i32)
        })
        .collect();
    finish(args, Arc::new(out))
}

/// The zone offset of each timestamp, in minutes, through `part`. A
/// timestamp without zone is in the session zone, UTC: offset 0.
fn zone_offset(
    function: &str,
    args: &[ColumnarValue],
    rows: usize,
    part: fn(i64) -> i64,
) -> Result<ColumnarValue> {
    let array = args[0].to_array(rows)?;
    expect_temporal(function, array.data_type(), false)?;
    let (instants, zone) = instants(&array)?;
    let out: Int64Array = instants
        .iter()
        .map(|v| {
            v.map(|ms| {
                let secs = zone.as_ref().map_or(0, |z| offset_secs(z, ms));
                part(i64::from(secs) / 60)
            })
        })
        .collect();
    finish(args, Arc::new(out))
}

/// `timezone(ts)`: the zone of a zoned timestamp as written in its type
/// (`UTC`, `Asia/Tokyo`, `+01:00`); the session zone, UTC, for a plain one.
fn timezone(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let t = args[0].data_type();
    expect_temporal("timezone", &t, false)?;
    let zone = match &t {
        DataType::Timestamp(_, Some(z)) => match z.as_ref() {
            "+00:00" | "Z" | "Etc/UTC" => "UTC".to_string(),
            other => other.to_string(),
        },
        _ => "UTC".to_string(),
    };
    let array = args[0].to_array(rows)?;
    let out: StringArray = (0..array.len())
        .map(|i| (!array.is_null(i)).then_some(zone.as_str()))
        .collect();
    finish(args, Arc::new(out) as ArrayRef)
}

/// `date(x)`: Trino's alias of `CAST(x AS date)`, planned as that cast.
#[derive(Debug, PartialEq, Eq, Hash)]
struct DateOf {
    signature: Signature,
}

impl ScalarUDFImpl for DateOf {
    fn name(&self) -> &str {
        "date"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match &arg_types[0] {
            DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Date32
            | DataType::Date64
            | DataType::Timestamp(_, _)
            | DataType::Null => Ok(DataType::Date32),
            other => plan_err!("date: cannot cast {other} to date"),
        }
    }

    fn simplify(&self, args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let Ok([x]): std::result::Result<[Expr; 1], _> = args.try_into() else {
            return plan_err!("date takes one argument");
        };
        Ok(ExprSimplifyResult::Simplified(cast(x, DataType::Date32)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // Constant folding may invoke before simplifying.
        args.args[0].cast_to(&DataType::Date32, None)
    }
}
