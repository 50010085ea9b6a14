//! URL functions: `url_extract_{protocol,host,port,path,query,fragment,parameter}`,
//! `url_encode`, `url_decode`. A value that is not a URL gives NULL, as in Trino.

use std::sync::Arc;

use datafusion::arrow::array::{Array, Int64Array, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, Volatility};
use url::Url;

use super::super::{Udf, arrays, finish, returns};
use super::strings;

/// The URL functions.
pub(super) fn functions() -> Vec<ScalarUDF> {
    let one = || Signature::exact(vec![DataType::Utf8], Volatility::Immutable);
    let text = returns!(DataType::Utf8);
    vec![
        Udf::scalar_udf("url_extract_protocol", one(), text, |a, n| {
            part(a, n, |u| Some(u.scheme()))
        }),
        Udf::scalar_udf("url_extract_host", one(), text, |a, n| {
            part(a, n, Url::host_str)
        }),
        Udf::scalar_udf("url_extract_path", one(), text, |a, n| {
            part(a, n, |u| Some(u.path()))
        }),
        Udf::scalar_udf("url_extract_query", one(), text, |a, n| {
            part(a, n, Url::query)
        }),
        Udf::scalar_udf("url_extract_fragment", one(), text, |a, n| {
            part(a, n, Url::fragment)
        }),
        Udf::scalar_udf(
            "url_extract_port",
            one(),
            returns!(DataType::Int64),
            url_extract_port,
        ),
        Udf::scalar_udf(
            "url_extract_parameter",
            Signature::exact(vec![DataType::Utf8; 2], Volatility::Immutable),
            text,
            url_extract_parameter,
        ),
        Udf::scalar_udf("url_encode", one(), text, url_encode),
        Udf::scalar_udf("url_decode", one(), text, url_decode),
    ]
}

/// Parses an absolute URL, or a relative one against a placeholder base
/// (so that `/a/b?x=1` still has a path and a query, but no host).
fn parse(s: &str) -> Option<(Url, bool)> {
    match Url::parse(s) {
        Ok(u) => Some((u, true)),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            let base = Url::parse("relative:///").ok()?;
            Some((base.join(s).ok()?, false))
        }
        Err(_) => None,
    }
}

fn part(
    args: &[ColumnarValue],
    rows: usize,
    f: for<'u> fn(&'u Url) -> Option<&'u str>,
) -> Result<ColumnarValue> {
    let input = strings(&arrays(args, rows)?[0])?;
    let mut out = StringBuilder::with_capacity(rows, rows * 8);
    for v in input.iter() {
        match v.and_then(parse) {
            Some((u, absolute)) => {
                let value = f(&u);
                // A relative URL has no protocol or host.
                let value = if !absolute && (value == Some(u.scheme()) || value == u.host_str()) {
                    None
                } else {
                    value
                };
                out.append_option(value);
            }
            None => out.append_null(),
        }
    }
    finish(args, Arc::new(out.finish()))
}

/// `url_extract_port(url)`: the explicit port, else NULL.
fn url_extract_port(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let input = strings(&arrays(args, rows)?[0])?;
    let out: Int64Array = input
        .iter()
        .map(|v| Url::parse(v?).ok()?.port().map(i64::from))
        .collect();
    finish(args, Arc::new(out))
}

/// `url_extract_parameter(url, name)`: the first value of query parameter
/// `name` (empty for `?name`), else NULL.
fn url_extract_parameter(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let (input, names) = (strings(&a[0])?, strings(&a[1])?);
    let mut out = StringBuilder::with_capacity(rows, rows * 8);
    for i in 0..rows {
        if input.is_null(i) || names.is_null(i) {
            out.append_null();
            continue;
        }
        let url = input.value(i);
        let query = url
            .split_once('?')
            .map(|(_, q)| q.split('#').next().unwrap_or(""));
        let name = names.value(i);
        let value = query.and_then(|q| {
            q.split('&').find_map(|pair| match pair.split_once('=') {
                Some((k, v)) if k == name => Some(v),
                None if pair == name => Some(""),
                _ => None,
            })
        });
        out.append_option(value);
    }
    finish(args, Arc::new(out.finish()))
}

/// `url_encode(value)`: form-encoding (space as `+`; letters, digits and
/// `-_.*` kept), as Java's `URLEncoder` and Trino do.
fn url_encode(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let input = strings(&arrays(args, rows)?[0])?;
    let mut out = StringBuilder::with_capacity(rows, rows * 8);
    for v in input.iter() {
        match v {
            None => out.append_null(),
            Some(s) => {
                for piece in url::form_urlencoded::byte_serialize(s.as_bytes()) {
                    use std::fmt::Write;
                    let _ = out.write_str(piece);
                }
                out.append_value("");
            }
        }
    }
    finish(args, Arc::new(out.finish()))
}

/// `url_decode(value)`: undoes form-encoding (`+` is a space).
fn url_decode(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let input = strings(&arrays(args, rows)?[0])?;
    let mut out = StringBuilder::with_capacity(rows, rows * 8);
    for v in input.iter() {
        match v {
            None => out.append_null(),
            Some(s) if !s.contains(['%', '+']) => out.append_value(s),
            Some(s) => {
                let spaced = s.replace('+', " ");
                out.append_value(percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy());
            }
        }
    }
    finish(args, Arc::new(out.finish()))
}
