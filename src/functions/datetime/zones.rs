//! Time zones: `at_timezone` (also what `ts AT TIME ZONE zone` plans as,
//! see `athena::syntax`), `with_timezone` and `current_timezone`.
//!
//! Athena's session zone is UTC. A timestamp without zone given where a
//! zoned one is expected is read as UTC, as Trino does, so
//! `TIMESTAMP '2024-01-02 03:04:05' AT TIME ZONE 'America/New_York'` is
//! `2024-01-01 22:04:05.000 America/New_York`. DataFusion's own `AT TIME
//! ZONE` reads it as wall time in the target zone instead.
//!
//! The zone must be a constant: a zoned timestamp's zone is part of its
//! Arrow type.

use std::str::FromStr;
use std::sync::Arc;

use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::datatypes::{
    DataType, Field, FieldRef, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use super::super::{Udf, returns};

/// The time zone functions.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::new_from_impl(Zone::new("at_timezone", Kind::At)),
        ScalarUDF::new_from_impl(Zone::new("with_timezone", Kind::With)),
        Udf::scalar_udf(
            "current_timezone",
            Signature::nullary(Volatility::Stable),
            returns!(DataType::Utf8),
            |_, _| Ok(ColumnarValue::Scalar(ScalarValue::from("UTC"))),
        ),
    ]
}

/// How the zone applies.
#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
enum Kind {
    /// The same instant shown in the zone (a timestamp without zone is UTC).
    At,
    /// A timestamp without zone read as wall time in the zone.
    With,
}

/// `at_timezone(ts, zone)` / `with_timezone(ts, zone)`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Zone {
    name: &'static str,
    kind: Kind,
    signature: Signature,
}

impl Zone {
    fn new(name: &'static str, kind: Kind) -> Self {
        Self {
            name,
            kind,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }

    /// The zone argument, checked.
    fn zone(&self, value: Option<&ScalarValue>) -> Result<Arc<str>> {
        let Some(value) = value else {
            return plan_err!("{}: the time zone must be a constant string", self.name);
        };
        let Some(Some(zone)) = value.try_as_str() else {
            return plan_err!("{}: the time zone must be a string, not {value}", self.name);
        };
        if Tz::from_str(zone).is_err() {
            return plan_err!("{}: unknown time zone '{zone}'", self.name);
        }
        Ok(zone.into())
    }
}

impl ScalarUDFImpl for Zone {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        plan_err!("{}: planned through return_field_from_args", self.name)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let zone = self.zone(args.scalar_arguments.get(1).copied().flatten())?;
        let unit = match (self.kind, args.arg_fields[0].data_type()) {
            (_, DataType::Timestamp(unit, None)) => *unit,
            (Kind::At, DataType::Timestamp(unit, Some(_))) => *unit,
            (_, DataType::Date32 | DataType::Date64 | DataType::Null) => TimeUnit::Millisecond,
            (_, other) => {
                return plan_err!(
                    "{}: the first argument must be a timestamp{}, not {other}",
                    self.name,
                    if self.kind == Kind::With {
                        " without time zone"
                    } else {
                        ""
                    }
                );
            }
        };
        Ok(Arc::new(Field::new(
            self.name,
            DataType::Timestamp(unit, Some(zone)),
            true,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let target = args.return_field.data_type().clone();
        let DataType::Timestamp(unit, Some(zone)) = &target else {
            return exec_err!("{}: internal error, no zone in the return type", self.name);
        };
        let scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let input = args.args[0].to_array(args.number_rows)?;
        let input = match input.data_type() {
            DataType::Timestamp(u, _) if u == unit => input,
            _ => cast(&input, &DataType::Timestamp(*unit, None))?,
        };
        let out = match (self.kind, input.data_type()) {
            // The same instants: only the zone they are shown in changes.
            // A timestamp without zone holds UTC wall time, that is UTC instants.
            (Kind::At, _) => relabel(&input, zone)?,
            // Wall time in the zone: Arrow's cast reads it so.
            (Kind::With, _) => cast(&input, &target)?,
        };
        if scalar {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }
}

/// `array`'s timestamps, unchanged, labelled with `zone`.
fn relabel(array: &ArrayRef, zone: &Arc<str>) -> Result<ArrayRef> {
    Ok(match array.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => Arc::new(
            array
                .as_primitive::<TimestampSecondType>()
                .clone()
                .with_timezone(Arc::clone(zone)),
        ) as ArrayRef,
        DataType::Timestamp(TimeUnit::Millisecond, _) => Arc::new(
            array
                .as_primitive::<TimestampMillisecondType>()
                .clone()
                .with_timezone(Arc::clone(zone)),
        ),
        DataType::Timestamp(TimeUnit::Microsecond, _) => Arc::new(
            array
                .as_primitive::<TimestampMicrosecondType>()
                .clone()
                .with_timezone(Arc::clone(zone)),
        ),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => Arc::new(
            array
                .as_primitive::<TimestampNanosecondType>()
                .clone()
                .with_timezone(Arc::clone(zone)),
        ),
        other => return exec_err!("at_timezone: expected a timestamp, got {other}"),
    })
}
