//! Trino's bitwise functions: `bit_count`, `bitwise_and`, `bitwise_or`,
//! `bitwise_xor`, `bitwise_not` (over bigints) and the shifts
//! `bitwise_left_shift`, `bitwise_right_shift` and
//! `bitwise_right_shift_arithmetic`, which work in the width of their first
//! argument's type (a `tinyint` shifts within 8 bits) and, like Trino's,
//! give 0 (or -1) for shifts at least that wide instead of Java's wrap-around.

use std::sync::Arc;

use datafusion::arrow::array::{Array, Int64Array};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, TypeSignature, Volatility};

use super::bigints_of;
use crate::functions::{Udf, arrays, finish, returns};

pub(super) fn functions() -> Vec<ScalarUDF> {
    let bigints = |n| Signature::exact(vec![DataType::Int64; n], Volatility::Immutable);
    let shifted = || {
        Signature::one_of(
            [
                DataType::Int8,
                DataType::Int16,
                DataType::Int32,
                DataType::Int64,
            ]
            .into_iter()
            .map(|t| TypeSignature::Exact(vec![t, DataType::Int64]))
            .collect(),
            Volatility::Immutable,
        )
    };
    let same = |t: &[DataType]| Ok(t[0].clone());
    vec![
        Udf::scalar_udf(
            "bit_count",
            bigints(2),
            returns!(DataType::Int64),
            bit_count,
        ),
        Udf::scalar_udf(
            "bitwise_and",
            bigints(2),
            returns!(DataType::Int64),
            |a, r| binary(a, r, |x, y| x & y),
        ),
        Udf::scalar_udf(
            "bitwise_or",
            bigints(2),
            returns!(DataType::Int64),
            |a, r| binary(a, r, |x, y| x | y),
        ),
        Udf::scalar_udf(
            "bitwise_xor",
            bigints(2),
            returns!(DataType::Int64),
            |a, r| binary(a, r, |x, y| x ^ y),
        ),
        Udf::scalar_udf(
            "bitwise_not",
            bigints(1),
            returns!(DataType::Int64),
            |a, r| {
                let x = bigints_of(&a[0].to_array(r)?)?;
                let out: Int64Array = x.iter().map(|v| v.map(|v| !v)).collect();
                finish(a, Arc::new(out))
            },
        ),
        Udf::scalar_udf("bitwise_left_shift", shifted(), same, |a, r| {
            shift(a, r, Shift::Left)
        }),
        Udf::scalar_udf("bitwise_right_shift", shifted(), same, |a, r| {
            shift(a, r, Shift::Logical)
        }),
        Udf::scalar_udf("bitwise_right_shift_arithmetic", shifted(), same, |a, r| {
            shift(a, r, Shift::Arithmetic)
        }),
    ]
}

fn binary(args: &[ColumnarValue], rows: usize, op: fn(i64, i64) -> i64) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let (x, y) = (bigints_of(&a[0])?, bigints_of(&a[1])?);
    let out: Int64Array = x
        .iter()
        .zip(y.iter())
        .map(|(x, y)| Some(op(x?, y?)))
        .collect();
    finish(args, Arc::new(out))
}

/// `bit_count(x, bits)`: the 1 bits of `x` in `bits`-bit two's complement;
/// `x` must fit in that many bits.
fn bit_count(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let (x, bits) = (bigints_of(&a[0])?, bigints_of(&a[1])?);
    let out: Int64Array = (0..rows)
        .map(|i| {
            if x.is_null(i) || bits.is_null(i) {
                return Ok(None);
            }
            let (x, bits) = (x.value(i), bits.value(i));
            if !(2..=64).contains(&bits) {
                return exec_err!("bit_count: bits must be between 2 and 64, got {bits}");
            }
            if bits < 64 {
                let (low, high) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
                if x < low || x > high {
                    return exec_err!("bit_count: {x} cannot be represented with {bits} bits");
                }
            }
            let mask = if bits == 64 {
                u64::MAX
            } else {
                (1u64 << bits) - 1
            };
            Ok(Some(i64::from((x as u64 & mask).count_ones() as u8)))
        })
        .collect::<Result<_>>()?;
    finish(args, Arc::new(out))
}

#[derive(Clone, Copy)]
enum Shift {
    Left,
    Logical,
    Arithmetic,
}

/// A shift of the first argument within its type's width.
fn shift(args: &[ColumnarValue], rows: usize, kind: Shift) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let t = a[0].data_type().clone();
    let width: i64 = match t {
        DataType::Int8 => 8,
        DataType::Int16 => 16,
        DataType::Int32 => 32,
        _ => 64,
    };
    let (x, by) = (bigints_of(&a[0])?, bigints_of(&a[1])?);
    let out: Int64Array = x
        .iter()
        .zip(by.iter())
        .map(|(x, by)| Some(shifted(x?, by?, width, kind)))
        .collect();
    finish(args, cast(&out, &t)?)
}

/// Trino's `BitwiseFunctions`: `value` is a `width`-bit integer held in an
/// i64; the result is sign-extended back into the type's range.
fn shifted(value: i64, by: i64, width: i64, kind: Shift) -> i64 {
    let mask: u64 = if width == 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    };
    let extend = |v: u64| -> i64 {
        let v = v & mask;
        if width < 64 && v & (1 << (width - 1)) != 0 {
            (v | !mask) as i64
        } else {
            v as i64
        }
    };
    if by >= width {
        return match kind {
            Shift::Arithmetic if value < 0 => -1,
            _ => 0,
        };
    }
    // Java masks the shift distance of a long to its low 6 bits.
    let by = (by & 63) as u32;
    match kind {
        Shift::Left => extend((value as u64) << by),
        Shift::Logical if by == 0 => value,
        Shift::Logical => extend((value as u64 & mask) >> by),
        Shift::Arithmetic => value >> by,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_stay_within_the_type() {
        assert_eq!(shifted(1, 2, 32, Shift::Left), 4);
        assert_eq!(shifted(-1, 1, 32, Shift::Logical), 2147483647);
        assert_eq!(shifted(-1, 1, 8, Shift::Logical), 127);
        assert_eq!(shifted(-8, 2, 64, Shift::Arithmetic), -2);
        assert_eq!(shifted(64, 1, 8, Shift::Left), -128);
        assert_eq!(shifted(5, 70, 8, Shift::Left), 0);
        assert_eq!(shifted(-5, 9, 8, Shift::Arithmetic), -1);
    }
}
