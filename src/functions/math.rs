//! Trino's mathematical functions that DataFusion lacks, or types otherwise:
//!
//! - `mod`, planned as DataFusion's `%` (Trino's `mod` truncates toward zero
//!   and takes the dividend's sign, as `%` does);
//! - `ceiling`/`ceil`, `floor`, `truncate` and `sign`, which keep their
//!   argument's type in Trino (`ceil(5)` is the integer 5, not the double
//!   5.0 that DataFusion's versions give);
//! - `width_bucket` (both forms), `nan`, `infinity`, `e`, `is_nan`,
//!   `is_finite`, `is_infinite`, `from_base`, `to_base`, `cosine_similarity`;
//! - in `stats`, the statistical functions (`beta_cdf`, `normal_cdf`,
//!   their inverses, `wilson_interval_*`) and `great_circle_distance`.
//!
//! The bitwise functions are in `bitwise`.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Decimal128Array, Float64Array, Int64Array, StringArray,
};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::compute::kernels::numeric::rem;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::type_coercion::binary::BinaryTypeCoercer;
use datafusion::logical_expr::{
    ColumnarValue, Expr, Operator, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility, binary_expr,
};

use super::{Udf, arrays, finish, returns};

mod bitwise;
mod rounding;
mod stats;

/// The math and bitwise functions.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    let doubles = |n| Signature::exact(vec![DataType::Float64; n], Volatility::Immutable);
    let mut out = vec![
        ScalarUDF::new_from_impl(Mod {
            signature: Signature::user_defined(Volatility::Immutable),
        }),
        Udf::scalar_udf(
            "width_bucket",
            Signature::one_of(
                vec![
                    TypeSignature::Exact(vec![
                        DataType::Float64,
                        DataType::Float64,
                        DataType::Float64,
                        DataType::Int64,
                    ]),
                    TypeSignature::Exact(vec![
                        DataType::Float64,
                        DataType::new_list(DataType::Float64, true),
                    ]),
                ],
                Volatility::Immutable,
            ),
            returns!(DataType::Int64),
            width_bucket,
        ),
        Udf::scalar_udf(
            "nan",
            Signature::nullary(Volatility::Immutable),
            returns!(DataType::Float64),
            |_, _| Ok(ColumnarValue::Scalar(ScalarValue::Float64(Some(f64::NAN)))),
        ),
        Udf::scalar_udf(
            "infinity",
            Signature::nullary(Volatility::Immutable),
            returns!(DataType::Float64),
            |_, _| {
                Ok(ColumnarValue::Scalar(ScalarValue::Float64(Some(
                    f64::INFINITY,
                ))))
            },
        ),
        Udf::scalar_udf(
            "e",
            Signature::nullary(Volatility::Immutable),
            returns!(DataType::Float64),
            |_, _| {
                Ok(ColumnarValue::Scalar(ScalarValue::Float64(Some(
                    std::f64::consts::E,
                ))))
            },
        ),
        Udf::scalar_udf("is_nan", doubles(1), returns!(DataType::Boolean), |a, r| {
            test_double(a, r, f64::is_nan)
        }),
        Udf::scalar_udf(
            "is_finite",
            doubles(1),
            returns!(DataType::Boolean),
            |a, r| test_double(a, r, f64::is_finite),
        ),
        Udf::scalar_udf(
            "is_infinite",
            doubles(1),
            returns!(DataType::Boolean),
            |a, r| test_double(a, r, f64::is_infinite),
        ),
        Udf::scalar_udf(
            "from_base",
            Signature::exact(vec![DataType::Utf8, DataType::Int64], Volatility::Immutable),
            returns!(DataType::Int64),
            from_base,
        ),
        Udf::scalar_udf(
            "to_base",
            Signature::exact(
                vec![DataType::Int64, DataType::Int64],
                Volatility::Immutable,
            ),
            returns!(DataType::Utf8),
            to_base,
        ),
        Udf::scalar_udf(
            "cosine_similarity",
            Signature::any(2, Volatility::Immutable),
            returns!(DataType::Float64),
            cosine_similarity,
        ),
    ];
    // Trino's logarithms and square root follow Java's Math: NaN for a
    // negative argument, -Infinity for 0; DataFusion's fail on negatives.
    let double = returns!(DataType::Float64);
    out.extend([
        Udf::scalar_udf("sqrt", doubles(1), double, |a, r| {
            unary_double(a, r, f64::sqrt)
        }),
        Udf::scalar_udf("ln", doubles(1), double, |a, r| unary_double(a, r, f64::ln)),
        Udf::scalar_udf("log2", doubles(1), double, |a, r| {
            unary_double(a, r, f64::log2)
        }),
        Udf::scalar_udf("log10", doubles(1), double, |a, r| {
            unary_double(a, r, f64::log10)
        }),
    ]);
    out.push(Udf::scalar_udf(
        "log",
        doubles(2),
        returns!(DataType::Float64),
        |a, r| {
            let v = arrays(a, r)?;
            let (base, x) = (doubles_of(&v[0])?, doubles_of(&v[1])?);
            let out: Float64Array = base
                .iter()
                .zip(x.iter())
                .map(|(b, x)| Some(x?.ln() / b?.ln()))
                .collect();
            finish(a, Arc::new(out))
        },
    ));
    for name in ["random", "rand"] {
        out.push(Udf::scalar_udf(
            name,
            Signature::one_of(
                vec![
                    TypeSignature::Nullary,
                    TypeSignature::Exact(vec![DataType::Int64]),
                    TypeSignature::Exact(vec![DataType::Int64; 2]),
                ],
                Volatility::Volatile,
            ),
            |t| {
                Ok(if t.is_empty() {
                    DataType::Float64
                } else {
                    DataType::Int64
                })
            },
            random,
        ));
    }
    out.extend(rounding::functions());
    out.extend(stats::functions());
    out.extend(bitwise::functions());
    out
}

pub(super) fn doubles_of(a: &ArrayRef) -> Result<Float64Array> {
    Ok(cast(a, &DataType::Float64)?
        .as_primitive::<Float64Type>()
        .clone())
}

pub(super) fn bigints_of(a: &ArrayRef) -> Result<Int64Array> {
    Ok(cast(a, &DataType::Int64)?
        .as_primitive::<Int64Type>()
        .clone())
}

/// `mod(n, m)`: `n % m`, with the operand types DataFusion's `%` coerces
/// to; except for decimals, where Trino keeps the larger scale
/// (`mod(DECIMAL '5.0', DECIMAL '2.55')` is `2.45`) and DataFusion's `%`
/// widens it, so decimals are computed here on both operands rescaled.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Mod {
    signature: Signature,
}

/// The decimal both operands of a decimal `mod` are rescaled to.
fn mod_decimal(n: &DataType, m: &DataType) -> Option<DataType> {
    let parts = |t: &DataType| -> Option<(u8, i8)> {
        match t {
            DataType::Decimal32(p, s)
            | DataType::Decimal64(p, s)
            | DataType::Decimal128(p, s)
            | DataType::Decimal256(p, s) => Some((*p, *s)),
            DataType::Int8 | DataType::UInt8 => Some((3, 0)),
            DataType::Int16 | DataType::UInt16 => Some((5, 0)),
            DataType::Int32 | DataType::UInt32 => Some((10, 0)),
            DataType::Int64 | DataType::UInt64 => Some((19, 0)),
            _ => None,
        }
    };
    if !(n.is_decimal() || m.is_decimal()) {
        return None;
    }
    let ((p1, s1), (p2, s2)) = (parts(n)?, parts(m)?);
    let scale = s1.max(s2);
    let whole = (i16::from(p1) - i16::from(s1)).max(i16::from(p2) - i16::from(s2));
    let precision = (whole + i16::from(scale)).clamp(1, 38) as u8;
    Some(DataType::Decimal128(precision, scale))
}

impl ScalarUDFImpl for Mod {
    fn name(&self) -> &str {
        "mod"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [n, m] = arg_types else {
            return plan_err!("mod takes two arguments, got {}", arg_types.len());
        };
        if !(n.is_numeric() || n.is_null()) || !(m.is_numeric() || m.is_null()) {
            return plan_err!("mod: the arguments must be numbers, not {n} and {m}");
        }
        if let Some(d) = mod_decimal(n, m) {
            return Ok(vec![d.clone(), d]);
        }
        let (n, m) = BinaryTypeCoercer::new(n, &Operator::Modulo, m).get_input_types()?;
        Ok(vec![n, m])
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if arg_types[0].is_decimal() {
            return Ok(arg_types[0].clone());
        }
        BinaryTypeCoercer::new(&arg_types[0], &Operator::Modulo, &arg_types[1]).get_result_type()
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        if info.get_data_type(&args[0])?.is_decimal() {
            return Ok(ExprSimplifyResult::Original(args));
        }
        let Ok([n, m]): std::result::Result<[Expr; 2], _> = args.try_into() else {
            return plan_err!("mod takes two arguments");
        };
        Ok(ExprSimplifyResult::Simplified(binary_expr(
            n,
            Operator::Modulo,
            m,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let a = arrays(&args.args, args.number_rows)?;
        let target = args.return_field.data_type();
        let out = if target.is_decimal() {
            let (n, _) = decimal_parts(&a[0]);
            let (m, _) = decimal_parts(&a[1]);
            let out: Decimal128Array = n
                .iter()
                .zip(m.iter())
                .map(|(n, m)| match (n, m) {
                    (Some(_), Some(0)) => exec_err!("mod: division by zero"),
                    (Some(n), Some(m)) => Ok(Some(n % m)),
                    _ => Ok(None),
                })
                .collect::<Result<_>>()?;
            Arc::new(out.with_data_type(target.clone())) as ArrayRef
        } else {
            // Constant folding may invoke before simplifying.
            cast(&rem(&a[0], &a[1])?, target)?
        };
        finish(&args.args, out)
    }
}

/// `random()`: a double in [0, 1); `random(n)`: an integer in [0, n);
/// `random(m, n)`: an integer in [m, n). One draw per row.
fn random(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    use std::hash::{BuildHasher, Hasher};
    // SplitMix64 from a seed the standard library draws from the OS.
    let mut state = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    if args.is_empty() {
        let out: Float64Array = (0..rows)
            .map(|_| Some((next() >> 11) as f64 / (1u64 << 53) as f64))
            .collect();
        return Ok(ColumnarValue::Array(Arc::new(out)));
    }
    let a = arrays(args, rows)?;
    let bounds = a.iter().map(bigints_of).collect::<Result<Vec<_>>>()?;
    let out: Int64Array = (0..rows)
        .map(|i| {
            if bounds.iter().any(|b| b.is_null(i)) {
                return Ok(None);
            }
            let (low, high) = match bounds.as_slice() {
                [n] => (0, n.value(i)),
                [m, n] => (m.value(i), n.value(i)),
                _ => return exec_err!("random takes at most two bounds"),
            };
            if high <= low {
                return if bounds.len() == 1 {
                    exec_err!("random: the bound must be positive, got {high}")
                } else {
                    exec_err!(
                        "random: the upper bound {high} must be greater than the lower bound {low}"
                    )
                };
            }
            let span = high.abs_diff(low);
            Ok(Some(low.wrapping_add((next() % span) as i64)))
        })
        .collect::<Result<_>>()?;
    finish(args, Arc::new(out))
}

/// A double function of a double; NULL stays NULL.
fn unary_double(args: &[ColumnarValue], rows: usize, f: fn(f64) -> f64) -> Result<ColumnarValue> {
    let x = doubles_of(&args[0].to_array(rows)?)?;
    finish(args, Arc::new(x.unary::<_, Float64Type>(f)))
}

/// A boolean test of a double; NULL stays NULL.
fn test_double(
    args: &[ColumnarValue],
    rows: usize,
    test: fn(f64) -> bool,
) -> Result<ColumnarValue> {
    let x = doubles_of(&args[0].to_array(rows)?)?;
    let out: BooleanArray = x.iter().map(|v| v.map(test)).collect();
    finish(args, Arc::new(out))
}

/// `width_bucket(x, bound1, bound2, n)`: the bucket of `x` among `n` equal
/// buckets between the bounds (0 below, n + 1 above); `width_bucket(x,
/// bins)`: the number of `bins` (sorted ascending) that are `<= x`.
fn width_bucket(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let x = doubles_of(&a[0])?;
    let out: Int64Array = if a.len() == 2 {
        let bins = a[1].as_list::<i32>();
        (0..rows)
            .map(|i| {
                if x.is_null(i) || bins.is_null(i) {
                    return Ok(None);
                }
                let b = doubles_of(&bins.value(i))?;
                bins_bucket(x.value(i), &b).map(Some)
            })
            .collect::<Result<_>>()?
    } else {
        let (low, high, n) = (doubles_of(&a[1])?, doubles_of(&a[2])?, bigints_of(&a[3])?);
        (0..rows)
            .map(|i| {
                if x.is_null(i) || low.is_null(i) || high.is_null(i) || n.is_null(i) {
                    return Ok(None);
                }
                equal_bucket(x.value(i), low.value(i), high.value(i), n.value(i)).map(Some)
            })
            .collect::<Result<_>>()?
    };
    finish(args, Arc::new(out))
}

/// Trino's `width_bucket(x, bound1, bound2, n)`, with its errors.
fn equal_bucket(x: f64, bound1: f64, bound2: f64, n: i64) -> Result<i64> {
    if n <= 0 {
        return exec_err!("width_bucket: bucket count must be greater than 0, got {n}");
    }
    if x.is_nan() {
        return exec_err!("width_bucket: operand must not be NaN");
    }
    if !bound1.is_finite() {
        return exec_err!("width_bucket: first bound must be finite, got {bound1}");
    }
    if !bound2.is_finite() {
        return exec_err!("width_bucket: second bound must be finite, got {bound2}");
    }
    if bound1 == bound2 {
        return exec_err!("width_bucket: the bounds must differ, both are {bound1}");
    }
    let (lower, upper, fraction) = if bound1 < bound2 {
        (x < bound1, x >= bound2, (x - bound1) / (bound2 - bound1))
    } else {
        (x > bound1, x <= bound2, (bound1 - x) / (bound1 - bound2))
    };
    if lower {
        return Ok(0);
    }
    if upper {
        return n.checked_add(1).map_or_else(
            || exec_err!("width_bucket: bucket for value {x} is out of range"),
            Ok,
        );
    }
    Ok((fraction * n as f64) as i64 + 1)
}

/// The number of `bins` that are `<= x`; the bins must be sorted, non-NULL
/// and not empty, as Trino requires.
fn bins_bucket(x: f64, bins: &Float64Array) -> Result<i64> {
    if x.is_nan() {
        return exec_err!("width_bucket: operand must not be NaN");
    }
    if bins.is_empty() {
        return exec_err!("width_bucket: bins must not be an empty array");
    }
    if bins.null_count() > 0 {
        return exec_err!("width_bucket: bin values must not be NULL");
    }
    let values = bins.values();
    let ascending = |w: &[f64]| {
        matches!(
            w[0].partial_cmp(&w[1]),
            Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
        )
    };
    if !values.windows(2).all(ascending) {
        return exec_err!("width_bucket: bin values must be sorted in ascending order");
    }
    Ok(values.partition_point(|b| *b <= x) as i64)
}

/// `from_base(string, radix)`: the bigint `string` spells in base `radix`,
/// as Java's `Long.parseLong` reads it (an optional sign, then digits).
fn from_base(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let (text, radix) = (a[0].as_string::<i32>(), bigints_of(&a[1])?);
    let out: Int64Array = (0..rows)
        .map(|i| {
            if text.is_null(i) || radix.is_null(i) {
                return Ok(None);
            }
            let (t, r) = (text.value(i), check_radix("from_base", radix.value(i))?);
            match i64::from_str_radix(t, r) {
                Ok(v) => Ok(Some(v)),
                Err(_) => exec_err!("from_base: '{t}' is not a valid base-{r} number"),
            }
        })
        .collect::<Result<_>>()?;
    finish(args, Arc::new(out))
}

fn check_radix(function: &str, radix: i64) -> Result<u32> {
    if !(2..=36).contains(&radix) {
        return exec_err!("{function}: radix must be between 2 and 36, got {radix}");
    }
    Ok(radix as u32)
}

/// `to_base(x, radix)`: `x` spelled in base `radix` with lower-case digits
/// and a leading `-` when negative, as Java's `Long.toString(x, radix)`.
fn to_base(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let (x, radix) = (bigints_of(&a[0])?, bigints_of(&a[1])?);
    let out: StringArray = (0..rows)
        .map(|i| {
            if x.is_null(i) || radix.is_null(i) {
                return Ok(None);
            }
            let r = check_radix("to_base", radix.value(i))?;
            Ok(Some(in_base(x.value(i), r)))
        })
        .collect::<Result<_>>()?;
    finish(args, Arc::new(out))
}

fn in_base(x: i64, radix: u32) -> String {
    let mut magnitude = x.unsigned_abs();
    if magnitude == 0 {
        return "0".into();
    }
    let mut digits = Vec::new();
    while magnitude > 0 {
        let d = (magnitude % radix as u64) as u32;
        digits.push(char::from_digit(d, radix).unwrap_or('?'));
        magnitude /= radix as u64;
    }
    if x < 0 {
        digits.push('-');
    }
    digits.iter().rev().collect()
}

/// `cosine_similarity(x, y)` of two sparse vectors (`map(varchar, double)`,
/// keys absent from one map count as 0) or two dense ones
/// (`array(double)`, of equal length): their dot product over the product
/// of their norms.
fn cosine_similarity(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let out: Float64Array = match (a[0].data_type(), a[1].data_type()) {
        (DataType::Map(_, _), DataType::Map(_, _)) => {
            let (x, y) = (a[0].as_map(), a[1].as_map());
            (0..rows)
                .map(|i| {
                    if x.is_null(i) || y.is_null(i) {
                        return Ok(None);
                    }
                    let vector = |m: &datafusion::arrow::array::MapArray| -> Result<Vec<(String, Option<f64>)>> {
                        let entry = m.value(i);
                        let keys = cast(entry.column(0), &DataType::Utf8)?;
                        let values = doubles_of(entry.column(1))?;
                        Ok(keys
                            .as_string::<i32>()
                            .iter()
                            .zip(values.iter())
                            .map(|(k, v)| (k.unwrap_or_default().to_string(), v))
                            .collect())
                    };
                    let (vx, vy) = (vector(x)?, vector(y)?);
                    if vx.iter().chain(&vy).any(|(_, v)| v.is_none()) {
                        return Ok(None);
                    }
                    let norm = |v: &[(String, Option<f64>)]| {
                        v.iter().map(|(_, x)| x.unwrap_or(0.0).powi(2)).sum::<f64>().sqrt()
                    };
                    let dot: f64 = vx
                        .iter()
                        .filter_map(|(k, a)| {
                            vy.iter()
                                .find(|(l, _)| l == k)
                                .map(|(_, b)| a.unwrap_or(0.0) * b.unwrap_or(0.0))
                        })
                        .fold(0.0, |sum, x| sum + x);
                    Ok(Some(dot / (norm(&vx) * norm(&vy))))
                })
                .collect::<Result<_>>()?
        }
        (DataType::List(_), DataType::List(_)) => {
            let (x, y) = (a[0].as_list::<i32>(), a[1].as_list::<i32>());
            (0..rows)
                .map(|i| {
                    if x.is_null(i) || y.is_null(i) {
                        return Ok(None);
                    }
                    let (vx, vy) = (doubles_of(&x.value(i))?, doubles_of(&y.value(i))?);
                    if vx.len() != vy.len() {
                        return exec_err!(
                            "cosine_similarity: the arrays must have the same length, got {} and {}",
                            vx.len(),
                            vy.len()
                        );
                    }
                    if vx.null_count() + vy.null_count() > 0 {
                        return exec_err!("cosine_similarity: the arrays must not contain NULL");
                    }
                    let (vx, vy) = (vx.values(), vy.values());
                    let dot = vx.iter().zip(vy.iter()).fold(0.0, |sum, (a, b)| sum + a * b);
                    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
                    Ok(Some(dot / (norm(vx) * norm(vy))))
                })
                .collect::<Result<_>>()?
        }
        (DataType::Null, _) | (_, DataType::Null) => Float64Array::new_null(rows),
        (l, r) => {
            return exec_err!(
                "cosine_similarity: the arguments must be two map(varchar, double) or two array(double), not {l} and {r}"
            );
        }
    };
    finish(args, Arc::new(out))
}

/// A decimal array's values and scale, for the functions that keep decimals.
pub(super) fn decimal_parts(a: &ArrayRef) -> (&Decimal128Array, i8) {
    let d = a.as_primitive::<datafusion::arrow::datatypes::Decimal128Type>();
    (d, d.scale())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_width_buckets_follow_trino() {
        assert_eq!(equal_bucket(3.25, 0.0, 4.0, 3).unwrap(), 3);
        assert_eq!(equal_bucket(-1.0, 0.0, 4.0, 3).unwrap(), 0);
        assert_eq!(equal_bucket(4.0, 0.0, 4.0, 3).unwrap(), 4);
        assert_eq!(equal_bucket(3.25, 4.0, 0.0, 3).unwrap(), 1);
        assert!(equal_bucket(1.0, 1.0, 1.0, 3).is_err());
        assert!(equal_bucket(f64::NAN, 0.0, 1.0, 3).is_err());
    }

    #[test]
    fn bases_round_trip_as_java_spells_them() {
        assert_eq!(in_base(-255, 16), "-ff");
        assert_eq!(in_base(i64::MIN, 2).len(), 65);
        assert_eq!(in_base(0, 36), "0");
    }
}
