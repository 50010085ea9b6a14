//! `ceiling`/`ceil`, `floor`, `truncate` and `sign` with Trino's types: an
//! integer stays that integer type, a double a double, a `real` a real, and
//! a `decimal(p, s)` becomes the decimal of its whole part (`decimal(p - s +
//! 1, 0)` for `ceiling` and `floor`, whose result may carry). DataFusion's
//! `ceil`, `floor`, `trunc` and `signum` turn integers into doubles, which
//! print as `5.0` where Athena prints `5`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Decimal128Array};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type, Int64Type};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::{bigints_of, decimal_parts};
use crate::functions::{arrays, finish};

/// The rounding functions, under Trino's names (replacing DataFusion's
/// `ceil` and `floor`).
pub(super) fn functions() -> Vec<ScalarUDF> {
    [
        ("ceiling", Op::Ceiling),
        ("ceil", Op::Ceiling),
        ("floor", Op::Floor),
        ("truncate", Op::Truncate),
        ("sign", Op::Sign),
    ]
    .into_iter()
    .map(|(name, op)| {
        ScalarUDF::new_from_impl(Rounding {
            name,
            op,
            signature: Signature::user_defined(Volatility::Immutable),
        })
    })
    .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    Ceiling,
    Floor,
    Truncate,
    Sign,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Rounding {
    name: &'static str,
    op: Op,
    signature: Signature,
}

impl ScalarUDFImpl for Rounding {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let name = self.name;
        let arity_ok = match self.op {
            Op::Truncate => matches!(arg_types.len(), 1 | 2),
            _ => arg_types.len() == 1,
        };
        if !arity_ok {
            return plan_err!("{name}: wrong number of arguments ({})", arg_types.len());
        }
        let x = match &arg_types[0] {
            DataType::Null => DataType::Float64,
            DataType::UInt8 | DataType::UInt16 => DataType::Int32,
            DataType::UInt32 | DataType::UInt64 => DataType::Int64,
            DataType::Float16 => DataType::Float32,
            DataType::Decimal32(p, s) | DataType::Decimal64(p, s) | DataType::Decimal256(p, s) => {
                DataType::Decimal128((*p).min(38), *s)
            }
            t if t.is_numeric() => t.clone(),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => DataType::Float64,
            other => return plan_err!("{name}: the argument must be a number, not {other}"),
        };
        let mut out = vec![x];
        if let Some(n) = arg_types.get(1) {
            if !(n.is_integer() || n.is_null()) {
                return plan_err!(
                    "{name}: the number of decimal places must be an integer, not {n}"
                );
            }
            out.push(DataType::Int64);
        }
        Ok(out)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match (&arg_types[0], self.op, arg_types.len()) {
            (DataType::Decimal128(_, _), Op::Truncate, 2) => arg_types[0].clone(),
            (DataType::Decimal128(p, s), Op::Ceiling | Op::Floor, _) => {
                DataType::Decimal128((p - *s as u8 + u8::from(*s > 0)).clamp(1, 38), 0)
            }
            (DataType::Decimal128(p, s), Op::Truncate, _) => {
                DataType::Decimal128((p - *s as u8).max(1), 0)
            }
            (DataType::Decimal128(_, _), Op::Sign, _) => DataType::Decimal128(1, 0),
            (t, _, _) => t.clone(),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let a = arrays(&args.args, rows)?;
        let target = args.return_field.data_type();
        let places = a.get(1).map(bigints_of).transpose()?;
        let x = &a[0];
        let out: ArrayRef = match x.data_type() {
            DataType::Float64 => {
                let v = x.as_primitive::<Float64Type>();
                let out: datafusion::arrow::array::Float64Array = (0..rows)
                    .map(|i| {
                        if v.is_null(i) || places.as_ref().is_some_and(|p| p.is_null(i)) {
                            return None;
                        }
                        let n = places.as_ref().map(|p| p.value(i));
                        Some(self.double(v.value(i), n))
                    })
                    .collect();
                Arc::new(out)
            }
            DataType::Float32 => {
                let v = x.as_primitive::<Float32Type>();
                let out: datafusion::arrow::array::Float32Array = (0..rows)
                    .map(|i| {
                        if v.is_null(i) || places.as_ref().is_some_and(|p| p.is_null(i)) {
                            return None;
                        }
                        let n = places.as_ref().map(|p| p.value(i));
                        Some(self.real(v.value(i), n))
                    })
                    .collect();
                Arc::new(out)
            }
            DataType::Decimal128(_, _) => {
                let (v, scale) = decimal_parts(x);
                let out: Decimal128Array = (0..rows)
                    .map(|i| {
                        if v.is_null(i) || places.as_ref().is_some_and(|p| p.is_null(i)) {
                            return None;
                        }
                        let n = places.as_ref().map(|p| p.value(i));
                        Some(self.decimal(v.value(i), scale, n))
                    })
                    .collect();
                Arc::new(out.with_data_type(target.clone()))
            }
            t if t.is_integer() => {
                if self.op != Op::Sign {
                    // Whole already: ceiling, floor and truncate change nothing.
                    return Ok(args.args[0].clone());
                }
                let v = cast(x, &DataType::Int64)?;
                let v = v.as_primitive::<Int64Type>();
                let signs: datafusion::arrow::array::Int64Array =
                    v.iter().map(|v| v.map(i64::signum)).collect();
                cast(&signs, target)?
            }
            other => return exec_err!("{}: unsupported argument type {other}", self.name),
        };
        finish(&args.args, out)
    }
}

impl Rounding {
    fn double(&self, x: f64, places: Option<i64>) -> f64 {
        match (self.op, places) {
            (Op::Ceiling, _) => x.ceil(),
            (Op::Floor, _) => x.floor(),
            (Op::Sign, _) if x.is_nan() || x == 0.0 => x,
            (Op::Sign, _) => x.signum(),
            (Op::Truncate, None | Some(0)) => x.trunc(),
            (Op::Truncate, Some(n)) if x.is_finite() => {
                truncate_digits(&x.to_string(), n).parse().unwrap_or(x)
            }
            (Op::Truncate, Some(_)) => x,
        }
    }

    fn real(&self, x: f32, places: Option<i64>) -> f32 {
        match (self.op, places) {
            (Op::Truncate, Some(n)) if n != 0 && x.is_finite() => {
                truncate_digits(&x.to_string(), n).parse().unwrap_or(x)
            }
            _ => self.double(f64::from(x), places) as f32,
        }
    }

    /// The result's unscaled value for the decimal `v` of scale `scale`.
    fn decimal(&self, v: i128, scale: i8, places: Option<i64>) -> i128 {
        let unit = 10i128.checked_pow(scale.max(0) as u32).unwrap_or(i128::MAX);
        let (whole, part) = (v / unit, v % unit);
        match (self.op, places) {
            (Op::Ceiling, _) => whole + i128::from(part > 0),
            (Op::Floor, _) => whole - i128::from(part < 0),
            (Op::Truncate, None) => whole,
            (Op::Truncate, Some(n)) => {
                let dropped = i64::from(scale) - n;
                if dropped <= 0 {
                    return v;
                }
                match 10i128.checked_pow(dropped as u32) {
                    Some(f) => v - v % f,
                    None => 0,
                }
            }
            (Op::Sign, _) => v.signum(),
        }
    }
}

/// The decimal text `digits` (as Rust prints a finite float: no exponent)
/// truncated to `places` digits after the point, or, for negative
/// `places`, with that many digits before the point zeroed.
fn truncate_digits(digits: &str, places: i64) -> String {
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if places >= 0 {
        let keep = fraction.len().min(places as usize);
        return format!("{whole}.{}0", &fraction[..keep]);
    }
    let (sign, magnitude) = match whole.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", whole),
    };
    let zeroed = (-places) as usize;
    if zeroed >= magnitude.len() {
        return "0".into();
    }
    let kept = &magnitude[..magnitude.len() - zeroed];
    format!("{sign}{kept}{}", "0".repeat(zeroed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncating_digits_keeps_the_printed_digits() {
        assert_eq!(truncate_digits("12.333", 1), "12.30");
        assert_eq!(truncate_digits("0.29", 2), "0.290");
        assert_eq!(truncate_digits("12.333", -1), "10");
        assert_eq!(truncate_digits("-12.333", -1), "-10");
        assert_eq!(truncate_digits("12.333", -2), "0");
        assert_eq!(truncate_digits("5", 3), "5.0");
    }

    #[test]
    fn decimals_round_toward_their_direction() {
        let ceiling = Rounding {
            name: "ceiling",
            op: Op::Ceiling,
            signature: Signature::user_defined(Volatility::Immutable),
        };
        assert_eq!(ceiling.decimal(-150, 2, None), -1);
        assert_eq!(ceiling.decimal(150, 2, None), 2);
        let floor = Rounding {
            op: Op::Floor,
            ..ceiling
        };
        assert_eq!(floor.decimal(-150, 2, None), -2);
        let truncate = Rounding {
            op: Op::Truncate,
            ..floor
        };
        assert_eq!(truncate.decimal(-12345, 3, Some(1)), -12300);
    }
}
