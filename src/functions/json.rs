//! JSON functions. Athena's `json` values are carried as JSON text
//! (varchar); extraction walks the text with a JSONPath (see `path`) instead
//! of parsing whole documents. Text that is not JSON gives NULL, as in Trino,
//! except in `json_parse`, whose job is to check it.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, StringArray, StringBuilder,
};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, Volatility};

use super::{Udf, constant_str, finish, returns};

mod canonical;
mod path;

/// The JSON functions.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    let sig = |n: usize| Signature::exact(vec![DataType::Utf8; n], Volatility::Immutable);
    let text = returns!(DataType::Utf8);
    let int = returns!(DataType::Int64);
    vec![
        Udf::scalar_udf("json_extract_scalar", sig(2), text, json_extract_scalar),
        Udf::scalar_udf("json_extract", sig(2), text, json_extract),
        Udf::scalar_udf("json_parse", sig(1), text, |a, n| json_parse(a, n, false)),
        Udf::scalar_udf("json_format", sig(1), text, json_format),
        Udf::scalar_udf("json_array_length", sig(1), int, json_array_length),
        Udf::scalar_udf("json_size", sig(2), int, json_size),
        Udf::scalar_udf(
            "json_array_contains",
            Signature::any(2, Volatility::Immutable),
            returns!(DataType::Boolean),
            json_array_contains,
        ),
        Udf::scalar_udf(
            "json_array_get",
            Signature::exact(vec![DataType::Utf8, DataType::Int64], Volatility::Immutable),
            text,
            json_array_get,
        ),
        Udf::scalar_udf(
            "is_json_scalar",
            sig(1),
            returns!(DataType::Boolean),
            is_json_scalar,
        ),
    ]
}

/// `json_parse` giving NULL for text that is not JSON: what `try(json_parse(...))` plans.
pub(crate) fn lenient() -> Vec<ScalarUDF> {
    let sig = Signature::exact(vec![DataType::Utf8], Volatility::Immutable);
    vec![Udf::scalar_udf(
        "try_json_parse",
        sig,
        returns!(DataType::Utf8),
        |a, n| json_parse(a, n, true),
    )]
}

fn strings(array: &ArrayRef) -> Result<StringArray> {
    Ok(cast(array, &DataType::Utf8)?.as_string::<i32>().clone())
}

/// Applies `f` to every document with a constant path, building text.
fn extract(
    function: &str,
    args: &[ColumnarValue],
    rows: usize,
    mut f: impl FnMut(&str, &mut StringBuilder) -> bool,
) -> Result<ColumnarValue> {
    let Some(path) = constant_str(function, "path", &args[1])? else {
        return finish(args, Arc::new(StringArray::new_null(rows)));
    };
    let steps = path::parse(function, path)?;
    let docs = strings(&args[0].to_array(rows)?)?;
    let mut out = StringBuilder::with_capacity(docs.len(), docs.len() * 8);
    for doc in docs.iter() {
        match doc.and_then(|d| path::locate(d, &steps)) {
            Some(value) if f(value, &mut out) => {}
            _ => out.append_null(),
        }
    }
    finish(args, Arc::new(out.finish()))
}

/// `json_extract_scalar(json, path)`: the string, number or boolean at
/// `path` as text; NULL for objects, arrays, JSON null and missing paths.
fn json_extract_scalar(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    extract(
        "json_extract_scalar",
        args,
        rows,
        |value, out| match value.as_bytes()[0] {
            b'{' | b'[' | b'n' => false,
            b'"' => {
                let body = &value[1..value.len() - 1];
                if !body.contains('\\') {
                    out.append_value(body);
                } else if let Ok(s) = serde_json::from_str::<String>(value) {
                    out.append_value(s);
                } else {
                    return false;
                }
                true
            }
            _ => {
                out.append_value(value);
                true
            }
        },
    )
}

/// `json_extract(json, path)`: the JSON value at `path`, as compact JSON text.
fn json_extract(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let mut buffer = Vec::new();
    extract("json_extract", args, rows, |value, out| {
        match value.as_bytes()[0] {
            b'{' | b'[' => {
                buffer.clear();
                if canonical::write(value, &mut buffer).is_err() {
                    return false;
                }
                match std::str::from_utf8(&buffer) {
                    Ok(text) => out.append_value(text),
                    Err(_) => return false,
                }
            }
            _ => out.append_value(value),
        }
        true
    })
}

/// `json_parse(text)`: checks that `text` is JSON and returns it in canonical
/// form (compact, object keys sorted); invalid JSON is an error.
fn json_parse(args: &[ColumnarValue], rows: usize, lenient: bool) -> Result<ColumnarValue> {
    let docs = strings(&args[0].to_array(rows)?)?;
    let mut out = StringBuilder::with_capacity(docs.len(), docs.len() * 8);
    let mut buffer = Vec::new();
    for doc in docs.iter() {
        let Some(d) = doc else {
            out.append_null();
            continue;
        };
        buffer.clear();
        let written = canonical::write(d, &mut buffer)
            .map_err(|e| e.to_string())
            .and_then(|()| std::str::from_utf8(&buffer).map_err(|e| e.to_string()));
        match written {
            Ok(text) => out.append_value(text),
            Err(_) if lenient => out.append_null(),
            Err(e) => return exec_err!("json_parse: cannot convert {d:?} to JSON: {e}"),
        }
    }
    finish(args, Arc::new(out.finish()))
}

/// `json_format(json)`: the JSON text of a `json` value.
fn json_format(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    finish(
        args,
        strings(&args[0].to_array(rows)?).map(|a| Arc::new(a) as ArrayRef)?,
    )
}

/// `json_array_length(json)`: the number of elements of a JSON array, else NULL.
fn json_array_length(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let docs = strings(&args[0].to_array(rows)?)?;
    let out: Int64Array = docs
        .iter()
        .map(|d| {
            let d = d?.trim_start();
            if d.starts_with('[') {
                path::size(d)
            } else {
                None
            }
        })
        .collect();
    finish(args, Arc::new(out))
}

/// `json_size(json, path)`: the size of the object or array at `path`, 0 for
/// a scalar, NULL when the path does not exist.
fn json_size(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let Some(p) = constant_str("json_size", "path", &args[1])? else {
        return finish(args, Arc::new(Int64Array::new_null(rows)));
    };
    let steps = path::parse("json_size", p)?;
    let docs = strings(&args[0].to_array(rows)?)?;
    let out: Int64Array = docs
        .iter()
        .map(|d| path::size(path::locate(d?, &steps)?))
        .collect();
    finish(args, Arc::new(out))
}

/// `json_array_contains(json, value)`: whether a JSON array holds `value`
/// (a boolean, number or string); NULL when `json` is not an array.
fn json_array_contains(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let ColumnarValue::Scalar(needle) = &args[1] else {
        return exec_err!("json_array_contains: value (argument 2) must be a constant");
    };
    let matches: Box<dyn Fn(&str) -> bool> = match needle {
        _ if needle.is_null() => return finish(args, Arc::new(BooleanArray::new_null(rows))),
        ScalarValue::Boolean(Some(b)) => {
            let b = *b;
            Box::new(move |e| e == if b { "true" } else { "false" })
        }
        s if s.data_type().is_integer() => {
            let n: i64 = s.cast_to(&DataType::Int64)?.try_into()?;
            Box::new(move |e| e.parse::<i64>().is_ok_and(|v| v == n))
        }
        s if s.data_type().is_floating() || s.data_type().is_decimal() => {
            let n: f64 = s.cast_to(&DataType::Float64)?.try_into()?;
            Box::new(move |e| e.parse::<f64>().is_ok_and(|v| v == n))
        }
        s => match s.try_as_str().flatten() {
            Some(t) => {
                let t = t.to_string();
                Box::new(move |e| {
                    e.starts_with('"') && serde_json::from_str::<String>(e).is_ok_and(|v| v == t)
                })
            }
            None => {
                return exec_err!(
                    "json_array_contains: value (argument 2) must be a boolean, number or string, not {}",
                    s.data_type()
                );
            }
        },
    };
    let docs = strings(&args[0].to_array(rows)?)?;
    let out: BooleanArray = docs
        .iter()
        .map(|d| Some(path::elements(d?.trim_start())?.into_iter().any(&matches)))
        .collect();
    finish(args, Arc::new(out))
}

/// `json_array_get(json_array, index)`: the element at the 0-based `index`
/// (counted from the end when negative), as JSON (a string element as its
/// bare text); NULL when out of range or when `json_array` is not an array.
fn json_array_get(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let a = super::arrays(args, rows)?;
    let docs = strings(&a[0])?;
    let index = a[1].as_primitive::<datafusion::arrow::datatypes::Int64Type>();
    let mut out = StringBuilder::new();
    for i in 0..rows {
        let element = (!index.is_null(i))
            .then(|| docs.is_valid(i).then(|| docs.value(i)))
            .flatten()
            .and_then(|d| path::elements(d.trim_start()))
            .and_then(|elements| {
                let n = index.value(i);
                let at = if n < 0 {
                    elements.len().checked_sub(n.unsigned_abs() as usize)?
                } else {
                    n as usize
                };
                elements.get(at).copied()
            });
        match element {
            // Trino's documented (and kept) flaw: a string element comes back
            // as its bare text, unquoted and unescaped.
            Some(e) if e.starts_with('"') => match serde_json::from_str::<String>(e) {
                Ok(text) => out.append_value(text),
                Err(err) => {
                    return exec_err!("json_array_get: invalid JSON element {e:?}: {err}");
                }
            },
            Some(e) => {
                let mut text = Vec::new();
                canonical::write(e, &mut text).map_err(|err| {
                    datafusion::common::DataFusionError::Execution(format!(
                        "json_array_get: invalid JSON element {e:?}: {err}"
                    ))
                })?;
                out.append_value(String::from_utf8_lossy(&text));
            }
            None => out.append_null(),
        }
    }
    finish(args, Arc::new(out.finish()))
}

/// `is_json_scalar(json)`: whether the JSON value is a number, string,
/// boolean or null (not an object or array); text that is not JSON fails.
fn is_json_scalar(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let docs = strings(&args[0].to_array(rows)?)?;
    let out: BooleanArray = docs
        .iter()
        .map(|d| {
            let Some(d) = d else { return Ok(None) };
            match serde_json::from_str::<serde_json::Value>(d) {
                Ok(v) => Ok(Some(!(v.is_object() || v.is_array()))),
                Err(_) => exec_err!("is_json_scalar: invalid JSON value: {d}"),
            }
        })
        .collect::<Result<_>>()?;
    finish(args, Arc::new(out))
}
