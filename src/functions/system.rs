//! Conversion and session functions: `typeof`, `parse_data_size`,
//! `current_user`, `current_groups`, `current_schema`, `current_catalog`
//! and `version`.
//!
//! - `typeof(x)` names the type as Trino does (`bigint`, `varchar(3)`,
//!   `array(integer)`, `timestamp(3) with time zone`); a string literal has
//!   its length, as in Trino, other strings are `varchar`.
//! - `current_user` is the local user (`$USER`) running lathe; Athena's is
//!   the caller's AWS principal, which a local engine does not have.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Decimal128Array, ListArray, StringArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, IntervalUnit, TimeUnit};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, Volatility};

use super::{Udf, finish, returns};

/// The conversion and session functions.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        Udf::scalar_udf(
            "typeof",
            Signature::any(1, Volatility::Immutable),
            returns!(DataType::Utf8),
            type_of,
        ),
        Udf::scalar_udf(
            "parse_data_size",
            Signature::exact(vec![DataType::Utf8], Volatility::Immutable),
            returns!(DataType::Decimal128(38, 0)),
            parse_data_size,
        ),
        Udf::scalar_udf(
            "current_user",
            Signature::nullary(Volatility::Stable),
            returns!(DataType::Utf8),
            |_, _| Ok(ColumnarValue::Scalar(ScalarValue::from(user().as_str()))),
        ),
        ScalarUDF::new_from_impl(Session {
            name: "current_schema",
            signature: Signature::nullary(Volatility::Stable),
        }),
        ScalarUDF::new_from_impl(Session {
            name: "current_catalog",
            signature: Signature::nullary(Volatility::Stable),
        }),
        Udf::scalar_udf(
            "version",
            Signature::nullary(Volatility::Stable),
            returns!(DataType::Utf8),
            |_, _| {
                Ok(ColumnarValue::Scalar(ScalarValue::from(concat!(
                    "lathe ",
                    env!("CARGO_PKG_VERSION")
                ))))
            },
        ),
        Udf::scalar_udf(
            "current_groups",
            Signature::nullary(Volatility::Stable),
            returns!(DataType::new_list(DataType::Utf8, true)),
            |_, _| {
                let empty = ListArray::new(
                    Arc::new(Field::new_list_field(DataType::Utf8, true)),
                    OffsetBuffer::from_lengths([0]),
                    Arc::new(StringArray::new_null(0)),
                    None,
                );
                Ok(ColumnarValue::Scalar(ScalarValue::List(Arc::new(empty))))
            },
        ),
    ]
}

/// `current_schema` (the session's database, `--database`) and
/// `current_catalog` (`awsdatacatalog`), read from the session's settings.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Session {
    name: &'static str,
    signature: Signature,
}

impl datafusion::logical_expr::ScalarUDFImpl for Session {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(
        &self,
        args: datafusion::logical_expr::ScalarFunctionArgs,
    ) -> Result<ColumnarValue> {
        let catalog = &args.config_options.catalog;
        let value = if self.name == "current_schema" {
            &catalog.default_schema
        } else {
            &catalog.default_catalog
        };
        Ok(ColumnarValue::Scalar(ScalarValue::from(value.as_str())))
    }
}

/// The user running lathe.
fn user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "lathe".to_string())
}

/// Trino's name of an Arrow type.
pub(crate) fn trino_type_name(t: &DataType) -> String {
    let precision = |unit: &TimeUnit| match unit {
        TimeUnit::Second => 0,
        TimeUnit::Millisecond => 3,
        TimeUnit::Microsecond => 6,
        TimeUnit::Nanosecond => 9,
    };
    match t {
        DataType::Null => "unknown".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Int8 | DataType::UInt8 => "tinyint".into(),
        DataType::Int16 | DataType::UInt16 => "smallint".into(),
        DataType::Int32 | DataType::UInt32 => "integer".into(),
        DataType::Int64 | DataType::UInt64 => "bigint".into(),
        DataType::Float16 | DataType::Float32 => "real".into(),
        DataType::Float64 => "double".into(),
        DataType::Decimal32(p, s) | DataType::Decimal64(p, s) => format!("decimal({p},{s})"),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => format!("decimal({p},{s})"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "varchar".into(),
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => "varbinary".into(),
        DataType::Date32 | DataType::Date64 => "date".into(),
        DataType::Time32(u) | DataType::Time64(u) => format!("time({})", precision(u)),
        DataType::Timestamp(u, None) => format!("timestamp({})", precision(u)),
        DataType::Timestamp(u, Some(_)) => {
            format!("timestamp({}) with time zone", precision(u))
        }
        DataType::Interval(IntervalUnit::YearMonth) => "interval year to month".into(),
        DataType::Interval(_) | DataType::Duration(_) => "interval day to second".into(),
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::FixedSizeList(f, _)
        | DataType::ListView(f)
        | DataType::LargeListView(f) => format!("array({})", trino_type_name(f.data_type())),
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => format!(
                "map({}, {})",
                trino_type_name(kv[0].data_type()),
                trino_type_name(kv[1].data_type())
            ),
            other => trino_type_name(other),
        },
        DataType::Struct(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| format!("{} {}", f.name(), trino_type_name(f.data_type())))
                .collect();
            format!("row({})", fields.join(", "))
        }
        DataType::Dictionary(_, v) => trino_type_name(v),
        other => other.to_string().to_lowercase(),
    }
}

/// `typeof(x)`: the name of `x`'s type.
fn type_of(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let name = match &args[0] {
        // A string constant is `varchar(n)`, n its length in characters.
        ColumnarValue::Scalar(s) => match s.try_as_str() {
            Some(Some(v)) => format!("varchar({})", v.chars().count()),
            _ => trino_type_name(&s.data_type()),
        },
        ColumnarValue::Array(a) => trino_type_name(a.data_type()),
    };
    match &args[0] {
        ColumnarValue::Scalar(_) => Ok(ColumnarValue::Scalar(ScalarValue::from(name.as_str()))),
        ColumnarValue::Array(_) => Ok(ColumnarValue::Array(Arc::new(StringArray::from(
            vec![name.as_str(); rows],
        )))),
    }
}

/// The byte factor of a data size unit (`kB` is 1024, as in Trino).
fn unit_factor(unit: &str) -> Option<i128> {
    let power = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
        .iter()
        .position(|u| *u == unit)?;
    Some(1i128 << (10 * power))
}

/// Parses `2.3MB` to bytes, truncated toward zero; `Err` names what is wrong.
pub(crate) fn data_size(text: &str) -> std::result::Result<i128, String> {
    let invalid = || format!("invalid data size {text:?}");
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let factor = unit_factor(unit).ok_or_else(invalid)?;
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if number.is_empty() || fraction.contains('.') || (whole.is_empty() && fraction.is_empty()) {
        return Err(invalid());
    }
    let fraction = fraction.trim_end_matches('0');
    let digits = format!("{whole}{fraction}");
    let mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| invalid())?
    };
    let scale = 10i128
        .checked_pow(fraction.len() as u32)
        .ok_or_else(invalid)?;
    let out_of_range = || format!("value out of range: {text:?}");
    let bytes = mantissa.checked_mul(factor).ok_or_else(out_of_range)? / scale;
    if bytes >= 10i128.pow(38) {
        return Err(out_of_range());
    }
    Ok(bytes)
}

/// `parse_data_size(string)`: bytes as `decimal(38, 0)`.
fn parse_data_size(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let input = args[0].to_array(rows)?;
    let mut out = Vec::with_capacity(input.len());
    for v in input.as_string::<i32>().iter() {
        out.push(match v {
            None => None,
            Some(s) => match data_size(s) {
                Ok(bytes) => Some(bytes),
                Err(why) => return exec_err!("parse_data_size: {why}"),
            },
        });
    }
    let out = Decimal128Array::from(out).with_precision_and_scale(38, 0)?;
    finish(args, Arc::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_sizes_parse() {
        assert_eq!(data_size("1B"), Ok(1));
        assert_eq!(data_size("1kB"), Ok(1024));
        assert_eq!(data_size("2.3MB"), Ok(2_411_724));
        assert_eq!(data_size("1YB"), Ok(1 << 80));
        assert!(data_size("1 kB").is_err());
        assert!(data_size("1kb").is_err());
        assert!(data_size("kB").is_err());
    }
}
