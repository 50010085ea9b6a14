//! `substr`/`substring` and `length` with Trino's rules, over `varchar`
//! (code points) and `varbinary` (bytes). DataFusion's turn a varbinary
//! into text, and its `substr` reads a negative start as a position before
//! the string; Trino counts it from the end (`substr('abcde', -2)` is `de`).

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, BinaryArray, Int64Array, StringArray};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, TypeSignature, Volatility};

use super::strings;
use crate::functions::math::bigints_of;
use crate::functions::{Udf, arrays, finish};

pub(super) fn functions() -> Vec<ScalarUDF> {
    let substr = || {
        Signature::one_of(
            [DataType::Utf8, DataType::Binary]
                .into_iter()
                .flat_map(|t| {
                    [
                        TypeSignature::Exact(vec![t.clone(), DataType::Int64]),
                        TypeSignature::Exact(vec![t, DataType::Int64, DataType::Int64]),
                    ]
                })
                .collect(),
            Volatility::Immutable,
        )
    };
    let same = |t: &[DataType]| Ok(t[0].clone());
    vec![
        Udf::scalar_udf("substr", substr(), same, substr_of),
        Udf::scalar_udf("substring", substr(), same, substr_of),
        Udf::scalar_udf(
            "length",
            Signature::one_of(
                vec![
                    TypeSignature::Exact(vec![DataType::Utf8]),
                    TypeSignature::Exact(vec![DataType::Binary]),
                ],
                Volatility::Immutable,
            ),
            |_| Ok(DataType::Int64),
            length,
        ),
    ]
}

/// The 0-based `[from, to)` range Trino's `substr(.., start[, length])`
/// takes of a value `len` units long; empty when `start` is 0 or outside.
fn range(len: usize, start: i64, length: Option<i64>) -> (usize, usize) {
    let len_i = len as i64;
    let start = if start < 0 { len_i + start + 1 } else { start };
    if start <= 0 || start > len_i || length.is_some_and(|l| l <= 0) {
        return (0, 0);
    }
    let from = (start - 1) as usize;
    let to = match length {
        Some(l) => (start - 1).saturating_add(l).min(len_i) as usize,
        None => len,
    };
    (from, to)
}

fn substr_of(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let start = bigints_of(&a[1])?;
    let length = a.get(2).map(bigints_of).transpose()?;
    let skip = |i: usize| start.is_null(i) || length.as_ref().is_some_and(|l| l.is_null(i));
    let length_at = |i: usize| length.as_ref().map(|l| l.value(i));
    if a[0].data_type() == &DataType::Binary {
        let bytes = a[0].as_binary::<i32>();
        let out: BinaryArray = (0..rows)
            .map(|i| {
                if bytes.is_null(i) || skip(i) {
                    return None;
                }
                let b = bytes.value(i);
                let (from, to) = range(b.len(), start.value(i), length_at(i));
                Some(&b[from..to])
            })
            .collect();
        return finish(args, Arc::new(out));
    }
    let text = strings(&a[0])?;
    let out: StringArray = (0..rows)
        .map(|i| {
            if text.is_null(i) || skip(i) {
                return None;
            }
            let t = text.value(i);
            let chars = t.chars().count();
            let (from, to) = range(chars, start.value(i), length_at(i));
            let at = |n: usize| t.char_indices().nth(n).map_or(t.len(), |(at, _)| at);
            Some(&t[at(from)..at(to)])
        })
        .collect();
    finish(args, Arc::new(out))
}

/// `length(x)`: the code points of a string, the bytes of a varbinary.
fn length(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let value = args[0].to_array(rows)?;
    let out: Int64Array = match value.data_type() {
        DataType::Binary => value
            .as_binary::<i32>()
            .iter()
            .map(|b| b.map(|b| b.len() as i64))
            .collect(),
        DataType::Utf8 => value
            .as_string::<i32>()
            .iter()
            .map(|s| s.map(|s| s.chars().count() as i64))
            .collect(),
        other => {
            let text = cast(&value, &DataType::Utf8).or_else(|_| {
                exec_err!("length: the argument must be a string or varbinary, not {other}")
            })?;
            return length(&[ColumnarValue::Array(text)], rows);
        }
    };
    finish(args, Arc::new(out))
}

#[cfg(test)]
mod tests {
    use super::range;

    #[test]
    fn substr_ranges_follow_trino() {
        assert_eq!(range(5, 2, None), (1, 5));
        assert_eq!(range(5, -2, None), (3, 5));
        assert_eq!(range(5, 0, None), (0, 0));
        assert_eq!(range(5, 6, None), (0, 0));
        assert_eq!(range(5, -6, Some(2)), (0, 0));
        assert_eq!(range(5, 2, Some(2)), (1, 3));
        assert_eq!(range(5, 4, Some(10)), (3, 5));
        assert_eq!(range(5, 1, Some(-1)), (0, 0));
    }
}
