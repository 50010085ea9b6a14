//! `regexp_extract`, `regexp_extract_all`, `regexp_replace` as Trino defines
//! them: the first match (or all matches) of a capturing group, and
//! replace-all with `$1`/`${name}` references. Patterns are compiled once
//! and reused while they repeat (a constant pattern compiles once a batch).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, Int64Array, ListBuilder, StringArray, StringBuilder,
};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{DataFusionError, Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, TypeSignature, Volatility};
use regex::Regex;

use super::super::{Udf, arrays, finish, returns};
use super::{list_of_strings, strings, strings_then_int};

/// The regular expression functions.
pub(super) fn functions() -> Vec<ScalarUDF> {
    let replace_sig = Signature::one_of(
        vec![
            TypeSignature::Exact(vec![DataType::Utf8; 2]),
            TypeSignature::Exact(vec![DataType::Utf8; 3]),
        ],
        Volatility::Immutable,
    );
    vec![
        Udf::scalar_udf(
            "regexp_extract",
            strings_then_int(2),
            returns!(DataType::Utf8),
            regexp_extract,
        ),
        Udf::scalar_udf(
            "regexp_extract_all",
            strings_then_int(2),
            list_of_strings,
            regexp_extract_all,
        ),
        Udf::scalar_udf(
            "regexp_replace",
            replace_sig,
            returns!(DataType::Utf8),
            regexp_replace,
        ),
        Udf::scalar_udf(
            "regexp_position",
            Signature::one_of(
                vec![
                    TypeSignature::Exact(vec![DataType::Utf8; 2]),
                    TypeSignature::Exact(vec![DataType::Utf8, DataType::Utf8, DataType::Int64]),
                    TypeSignature::Exact(vec![
                        DataType::Utf8,
                        DataType::Utf8,
                        DataType::Int64,
                        DataType::Int64,
                    ]),
                ],
                Volatility::Immutable,
            ),
            returns!(DataType::Int64),
            regexp_position,
        ),
        Udf::scalar_udf(
            "regexp_split",
            Signature::exact(vec![DataType::Utf8; 2], Volatility::Immutable),
            list_of_strings,
            regexp_split,
        ),
    ]
}

/// Compiles patterns, reusing the last one while the pattern repeats.
struct Patterns {
    function: &'static str,
    last: Option<(String, Regex)>,
}

impl Patterns {
    fn new(function: &'static str) -> Self {
        Self {
            function,
            last: None,
        }
    }

    fn get(&mut self, pattern: &str) -> Result<&Regex> {
        if self.last.as_ref().is_none_or(|(p, _)| p != pattern) {
            let regex = Regex::new(pattern).map_err(|e| {
                DataFusionError::Execution(format!(
                    "{}: invalid regular expression {pattern:?} (argument 2): {e}",
                    self.function
                ))
            })?;
            self.last = Some((pattern.to_string(), regex));
        }
        Ok(&self.last.as_ref().expect("set above").1)
    }
}

/// The argument columns: text, pattern and the optional group (default 0).
fn inputs(args: &[ColumnarValue], rows: usize) -> Result<(StringArray, StringArray, Int64Array)> {
    let a = arrays(args, rows)?;
    let group = match a.get(2) {
        Some(g) => cast(g, &DataType::Int64)?
            .as_primitive::<Int64Type>()
            .clone(),
        None => Int64Array::from_value(0, rows),
    };
    Ok((strings(&a[0])?, strings(&a[1])?, group))
}

fn check_group(function: &str, regex: &Regex, group: i64) -> Result<usize> {
    if group < 0 || group as usize >= regex.captures_len() {
        return exec_err!(
            "{function}: pattern has {} groups; cannot access group {group} (argument 3)",
            regex.captures_len() - 1
        );
    }
    Ok(group as usize)
}

/// `regexp_extract(string, pattern[, group])`: the first match (or its
/// `group`), NULL when nothing matches.
fn regexp_extract(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let (text, pattern, group) = inputs(args, rows)?;
    let mut patterns = Patterns::new("regexp_extract");
    let mut out = StringBuilder::with_capacity(rows, rows * 8);
    for i in 0..rows {
        if text.is_null(i) || pattern.is_null(i) || group.is_null(i) {
            out.append_null();
            continue;
        }
        let regex = patterns.get(pattern.value(i))?;
        let g = check_group("regexp_extract", regex, group.value(i))?;
        let found = regex.captures(text.value(i)).and_then(|c| c.get(g));
        out.append_option(found.map(|m| m.as_str()));
    }
    finish(args, Arc::new(out.finish()))
}

/// `regexp_extract_all(string, pattern[, group])`: every match (or its `group`).
fn regexp_extract_all(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let (text, pattern, group) = inputs(args, rows)?;
    let mut patterns = Patterns::new("regexp_extract_all");
    let mut out = ListBuilder::new(StringBuilder::new());
    for i in 0..rows {
        if text.is_null(i) || pattern.is_null(i) || group.is_null(i) {
            out.append_null();
            continue;
        }
        let regex = patterns.get(pattern.value(i))?;
        let g = check_group("regexp_extract_all", regex, group.value(i))?;
        for c in regex.captures_iter(text.value(i)) {
            out.values().append_option(c.get(g).map(|m| m.as_str()));
        }
        out.append(true);
    }
    finish(args, Arc::new(out.finish()))
}

/// Translates a Java/Trino replacement (`$1`, `${name}`, `\$`) to the regex
/// crate's syntax, where a group number must be braced (`$1a` is group "1a").
pub(crate) fn replacement(trino: &str) -> String {
    let mut out = String::with_capacity(trino.len() + 4);
    let mut chars = trino.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push_str("${");
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    out.push(d);
                    chars.next();
                }
                out.push('}');
            }
            '$' if chars.peek() == Some(&'{') => out.push('$'),
            '$' => out.push_str("$$"),
            other => out.push(other),
        }
    }
    out
}

/// `regexp_replace(string, pattern[, replacement])`: every match replaced
/// (removed when there is no replacement).
fn regexp_replace(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let (text, pattern) = (strings(&a[0])?, strings(&a[1])?);
    let with = match a.get(2) {
        Some(r) => strings(r)?,
        None => StringArray::from_iter_values(std::iter::repeat_n("", rows)),
    };
    let mut patterns = Patterns::new("regexp_replace");
    let mut last: Option<(String, String)> = None;
    let mut out = StringBuilder::with_capacity(rows, rows * 8);
    for i in 0..rows {
        if text.is_null(i) || pattern.is_null(i) || with.is_null(i) {
            out.append_null();
            continue;
        }
        let regex = patterns.get(pattern.value(i))?;
        if last.as_ref().is_none_or(|(r, _)| r != with.value(i)) {
            last = Some((with.value(i).to_string(), replacement(with.value(i))));
        }
        let rep = &last.as_ref().expect("set above").1;
        out.append_value(regex.replace_all(text.value(i), rep.as_str()));
    }
    finish(args, Arc::new(out.finish()))
}

/// `regexp_position(string, pattern[, start[, occurrence]])`: the 1-based
/// character position of the `occurrence`th match at or after the character
/// `start`, or -1 when there is none.
fn regexp_position(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let (text, pattern) = (strings(&a[0])?, strings(&a[1])?);
    let int = |n: usize| -> Result<Option<Int64Array>> {
        a.get(n)
            .map(|x| {
                Ok(cast(x, &DataType::Int64)?
                    .as_primitive::<Int64Type>()
                    .clone())
            })
            .transpose()
    };
    let (start, occurrence) = (int(2)?, int(3)?);
    let null_at = |x: &Option<Int64Array>, i| x.as_ref().is_some_and(|x| x.is_null(i));
    let value_at = |x: &Option<Int64Array>, i| x.as_ref().map_or(1, |x| x.value(i));
    let mut patterns = Patterns::new("regexp_position");
    let mut out = Int64Array::builder(rows);
    for i in 0..rows {
        if text.is_null(i) || pattern.is_null(i) || null_at(&start, i) || null_at(&occurrence, i) {
            out.append_null();
            continue;
        }
        let (s, n) = (value_at(&start, i), value_at(&occurrence, i));
        if s < 1 {
            return exec_err!(
                "regexp_position: start position must not be smaller than 1, got {s}"
            );
        }
        if n < 1 {
            return exec_err!("regexp_position: occurrence must not be smaller than 1, got {n}");
        }
        let regex = patterns.get(pattern.value(i))?;
        let t = text.value(i);
        let Some((from, _)) = t.char_indices().nth(s as usize - 1) else {
            out.append_value(-1);
            continue;
        };
        let found = regex.find_iter(&t[from..]).nth(n as usize - 1);
        out.append_value(found.map_or(-1, |m| t[..from + m.start()].chars().count() as i64 + 1));
    }
    finish(args, Arc::new(out.finish()))
}

/// `regexp_split(string, pattern)`: the parts between the matches, empty
/// ones included.
fn regexp_split(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let (text, pattern) = (strings(&a[0])?, strings(&a[1])?);
    let mut patterns = Patterns::new("regexp_split");
    let mut out = ListBuilder::new(StringBuilder::new());
    for i in 0..rows {
        if text.is_null(i) || pattern.is_null(i) {
            out.append_null();
            continue;
        }
        for part in patterns.get(pattern.value(i))?.split(text.value(i)) {
            out.values().append_value(part);
        }
        out.append(true);
    }
    finish(args, Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacements_translate() {
        assert_eq!(replacement("$1a"), "${1}a");
        assert_eq!(replacement("${name}-$12"), "${name}-${12}");
        assert_eq!(replacement(r"\$1 costs $"), "$$1 costs $$");
        assert_eq!(replacement(r"a\\b"), r"a\b");
    }
}
