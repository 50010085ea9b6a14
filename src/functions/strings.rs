//! String functions with Trino's semantics: regular expressions
//! (`regexp_extract`, `regexp_extract_all`, `regexp_replace`), `split`,
//! `split_part`, `replace` (also Trino's two-argument form, which removes),
//! string `concat` (registered in `arrays`, which also takes
//! arrays), and URL functions (`url_extract_*`, `url_encode`,
//! `url_decode`).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, ListBuilder, StringArray, StringBuilder,
};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, TypeSignature, Volatility};

use super::{Udf, arrays, finish, returns};

mod extra;
mod format;
mod regex;
mod slices;
mod url;

/// The string, regex and URL functions.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    let mut out = vec![
        Udf::scalar_udf("split", strings_then_int(2), list_of_strings, split),
        Udf::scalar_udf(
            "split_part",
            Signature::exact(
                vec![DataType::Utf8, DataType::Utf8, DataType::Int64],
                Volatility::Immutable,
            ),
            returns!(DataType::Utf8),
            split_part,
        ),
        Udf::scalar_udf(
            "replace",
            Signature::one_of(
                vec![
                    TypeSignature::Exact(vec![DataType::Utf8; 2]),
                    TypeSignature::Exact(vec![DataType::Utf8; 3]),
                ],
                Volatility::Immutable,
            ),
            returns!(DataType::Utf8),
            replace,
        ),
    ];
    out.extend(regex::functions());
    out.extend(url::functions());
    out.extend(extra::functions());
    out.extend(format::functions());
    out.extend(slices::functions());
    out
}

/// `n` strings, optionally followed by a bigint.
pub(crate) fn strings_then_int(n: usize) -> Signature {
    let strings = vec![DataType::Utf8; n];
    let mut with_int = strings.clone();
    with_int.push(DataType::Int64);
    Signature::one_of(
        vec![
            TypeSignature::Exact(strings),
            TypeSignature::Exact(with_int),
        ],
        Volatility::Immutable,
    )
}

/// From `min` to `max` strings.
pub(crate) fn strings_or_more(min: usize, max: usize) -> Signature {
    Signature::one_of(
        (min..=max)
            .map(|n| TypeSignature::Exact(vec![DataType::Utf8; n]))
            .collect(),
        Volatility::Immutable,
    )
}

/// The return type `array(varchar)`.
pub(crate) fn list_of_strings(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::List(Arc::new(Field::new_list_field(
        DataType::Utf8,
        true,
    ))))
}

pub(crate) fn strings(array: &ArrayRef) -> Result<StringArray> {
    Ok(cast(array, &DataType::Utf8)?.as_string::<i32>().clone())
}

/// `split(string, delimiter[, limit])`: the parts of `string`; with `limit`,
/// at most that many, the last holding the rest.
fn split(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let (text, delim) = (strings(&a[0])?, strings(&a[1])?);
    let limit = match a.get(2) {
        Some(l) => Some(
            cast(l, &DataType::Int64)?
                .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
                .clone(),
        ),
        None => None,
    };
    let mut out = ListBuilder::new(StringBuilder::new());
    for i in 0..rows {
        if text.is_null(i) || delim.is_null(i) || limit.as_ref().is_some_and(|l| l.is_null(i)) {
            out.append_null();
            continue;
        }
        let (t, d) = (text.value(i), delim.value(i));
        let limit = match &limit {
            Some(l) if l.value(i) <= 0 => {
                return exec_err!(
                    "split: limit (argument 3) must be positive, got {}",
                    l.value(i)
                );
            }
            Some(l) => l.value(i) as usize,
            None => usize::MAX,
        };
        if d.is_empty() {
            let mut chars = t.char_indices();
            for (n, (at, c)) in chars.by_ref().enumerate() {
                if n + 1 == limit {
                    out.values().append_value(&t[at..]);
                    break;
                }
                out.values().append_value(c.encode_utf8(&mut [0; 4]));
            }
        } else {
            for part in t.splitn(limit, d) {
                out.values().append_value(part);
            }
        }
        out.append(true);
    }
    finish(args, Arc::new(out.finish()))
}

/// `split_part(string, delimiter, index)`: the 1-based `index`th part, or
/// NULL when there are fewer parts.
fn split_part(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let (text, delim) = (strings(&a[0])?, strings(&a[1])?);
    let index: &Int64Array = a[2].as_primitive();
    let mut out = StringBuilder::with_capacity(rows, rows * 8);
    for i in 0..rows {
        if text.is_null(i) || delim.is_null(i) || index.is_null(i) {
            out.append_null();
            continue;
        }
        let n = index.value(i);
        if n <= 0 {
            return exec_err!("split_part: index (argument 3) must be greater than zero, got {n}");
        }
        let (t, d) = (text.value(i), delim.value(i));
        let part = if d.is_empty() {
            t.char_indices()
                .nth(n as usize - 1)
                .map(|(at, c)| &t[at..at + c.len_utf8()])
        } else {
            t.split(d).nth(n as usize - 1)
        };
        out.append_option(part);
    }
    finish(args, Arc::new(out.finish()))
}

/// `replace(string, search[, replacement])`: every `search` replaced, by
/// nothing in Trino's two-argument form (AWS's CloudTrail queries strip an
/// ARN prefix so); an empty `search` matches before every character.
fn replace(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let (text, search) = (strings(&a[0])?, strings(&a[1])?);
    let with = a.get(2).map(strings).transpose()?;
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for i in 0..rows {
        let to = match &with {
            Some(w) if w.is_null(i) => None,
            Some(w) => Some(w.value(i)),
            None => Some(""),
        };
        match to {
            Some(to) if !text.is_null(i) && !search.is_null(i) => {
                out.append_value(text.value(i).replace(search.value(i), to));
            }
            _ => out.append_null(),
        }
    }
    finish(args, Arc::new(out.finish()))
}

/// `concat(a, b, ...)`: the strings joined; NULL if any is NULL (Trino's rule,
/// unlike DataFusion's, which skips NULLs).
pub(crate) fn concat(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let parts = arrays(args, rows)?
        .iter()
        .map(strings)
        .collect::<Result<Vec<_>>>()?;
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for i in 0..rows {
        if parts.iter().any(|p| p.is_null(i)) {
            out.append_null();
            continue;
        }
        for p in &parts {
            use std::fmt::Write;
            let _ = out.write_str(p.value(i));
        }
        out.append_value("");
    }
    finish(args, Arc::new(out.finish()))
}
