//! `from_unixtime(seconds[, zone | hours, minutes])`: a timestamp with time
//! zone from (fractional) Unix seconds, in UTC or in the zone given by
//! name or by offset.
//!
//! The zone must be a constant: a zoned timestamp's zone is part of its
//! Arrow type (see `zones`).

use std::str::FromStr;
use std::sync::Arc;

use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{AsArray, Float64Array, TimestampMillisecondArray};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, TimeUnit};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};

/// `from_unixtime` in all three of Trino's forms.
pub(super) fn function() -> ScalarUDF {
    ScalarUDF::new_from_impl(FromUnixtime {
        signature: Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::Float64]),
                TypeSignature::Exact(vec![DataType::Float64, DataType::Utf8]),
                TypeSignature::Exact(vec![DataType::Float64, DataType::Int64, DataType::Int64]),
            ],
            Volatility::Immutable,
        ),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct FromUnixtime {
    signature: Signature,
}

/// The `+hh:mm` zone of an offset in minutes; Trino allows -14:00 to +14:00.
fn offset_zone(hours: i64, minutes: i64) -> Result<String> {
    let total = hours
        .checked_mul(60)
        .and_then(|h| h.checked_add(minutes))
        .filter(|t| t.abs() <= 14 * 60);
    let Some(total) = total else {
        return plan_err!(
            "from_unixtime: invalid time zone offset {hours} hours {minutes} minutes; it must be between -14:00 and +14:00"
        );
    };
    let sign = if total < 0 { '-' } else { '+' };
    Ok(format!(
        "{sign}{:02}:{:02}",
        total.abs() / 60,
        total.abs() % 60
    ))
}

impl FromUnixtime {
    /// The zone of the result, from the constant arguments after the first.
    fn zone(&self, constants: &[Option<&ScalarValue>]) -> Result<Option<String>> {
        let int = |v: Option<&ScalarValue>| -> Result<Option<i64>> {
            match v {
                None => plan_err!("from_unixtime: the zone offset must be constant"),
                Some(v) if v.is_null() => Ok(None),
                Some(v) => match v.cast_to(&DataType::Int64)? {
                    ScalarValue::Int64(n) => Ok(n),
                    _ => plan_err!("from_unixtime: the zone offset must be a bigint"),
                },
            }
        };
        match constants {
            [_] => Ok(Some("UTC".to_string())),
            [_, zone] => {
                let Some(zone) = zone else {
                    return plan_err!("from_unixtime: the time zone must be a constant string");
                };
                match zone.try_as_str() {
                    Some(None) => Ok(None),
                    Some(Some(z)) if Tz::from_str(z).is_ok() => Ok(Some(z.to_string())),
                    Some(Some(z)) => plan_err!("from_unixtime: unknown time zone '{z}'"),
                    None => plan_err!("from_unixtime: the time zone must be a string"),
                }
            }
            [_, hours, minutes] => match (int(*hours)?, int(*minutes)?) {
                (Some(h), Some(m)) => Ok(Some(offset_zone(h, m)?)),
                _ => Ok(None),
            },
            _ => plan_err!("from_unixtime takes one to three arguments"),
        }
    }
}

impl ScalarUDFImpl for FromUnixtime {
    fn name(&self) -> &str {
        "from_unixtime"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        plan_err!("from_unixtime: planned through return_field_from_args")
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        // A NULL zone gives NULL; the type then keeps UTC.
        let zone = self
            .zone(args.scalar_arguments)?
            .unwrap_or_else(|| "UTC".to_string());
        Ok(Arc::new(Field::new(
            "from_unixtime",
            DataType::Timestamp(TimeUnit::Millisecond, Some(zone.into())),
            true,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let DataType::Timestamp(_, Some(zone)) = args.return_field.data_type() else {
            return exec_err!("from_unixtime: internal error, no zone in the return type");
        };
        let rows = args.number_rows;
        let secs = cast(&args.args[0].to_array(rows)?, &DataType::Float64)?;
        let secs: &Float64Array = secs.as_primitive();
        let mut out: TimestampMillisecondArray = secs.unary(|s| (s * 1000.0).round() as i64);
        // A NULL zone or offset makes every row NULL.
        if args.args[1..].iter().any(|a| match a {
            ColumnarValue::Scalar(s) => s.is_null(),
            ColumnarValue::Array(_) => false,
        }) {
            out = TimestampMillisecondArray::new_null(rows);
        }
        let out = Arc::new(out.with_timezone(Arc::clone(zone)));
        if args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)))
        {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &*out, 0,
            )?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }
}
