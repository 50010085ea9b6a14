//! Trino's string functions that DataFusion lacks or defines otherwise:
//! `levenshtein_distance`, `hamming_distance`, `soundex`, `codepoint`,
//! `strpos` (with Trino's `instance` argument) and Teradata's `index`,
//! `normalize`, `char2hexint`, `luhn_check`, `from_utf8`,
//! `split_to_map` and `split_to_multimap`. Lengths and positions count
//! Unicode code points, as Trino's do.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Int32Array, Int64Array, ListBuilder, StringArray, StringBuilder,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, TypeSignature, Volatility};

use super::strings;
use crate::functions::maps::{build_map, map_type};
use crate::functions::math::bigints_of;
use crate::functions::{Udf, arrays, finish, returns};

/// Trino fails `levenshtein_distance` on inputs whose lengths multiply to
/// more than this (its `LEVENSHTEIN_DISTANCE_MAX` guard).
const LEVENSHTEIN_MAX_CELLS: usize = 1_000_000;

pub(super) fn functions() -> Vec<ScalarUDF> {
    let text = |n| Signature::exact(vec![DataType::Utf8; n], Volatility::Immutable);
    vec![
        Udf::scalar_udf(
            "levenshtein_distance",
            text(2),
            returns!(DataType::Int64),
            |a, r| distance(a, r, "levenshtein_distance", levenshtein),
        ),
        Udf::scalar_udf(
            "hamming_distance",
            text(2),
            returns!(DataType::Int64),
            |a, r| distance(a, r, "hamming_distance", hamming),
        ),
        Udf::scalar_udf("soundex", text(1), returns!(DataType::Utf8), |a, r| {
            let s = strings(&a[0].to_array(r)?)?;
            let out: StringArray = s.iter().map(|s| s.map(soundex)).collect();
            finish(a, Arc::new(out))
        }),
        Udf::scalar_udf("codepoint", text(1), returns!(DataType::Int32), codepoint),
        Udf::scalar_udf(
            "reverse",
            Signature::any(1, Volatility::Immutable),
            |t| match &t[0] {
                DataType::Utf8View | DataType::LargeUtf8 | DataType::Null => Ok(DataType::Utf8),
                DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
                    Ok(DataType::Binary)
                }
                DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
                    Ok(DataType::List(Arc::clone(f)))
                }
                other => Ok(other.clone()),
            },
            reverse,
        ),
        Udf::scalar_udf(
            "concat_ws",
            Signature::variadic_any(Volatility::Immutable),
            returns!(DataType::Utf8),
            concat_ws,
        ),
        Udf::scalar_udf("lpad", pad_signature(), pad_type, |a, r| pad(a, r, true)),
        Udf::scalar_udf("rpad", pad_signature(), pad_type, |a, r| pad(a, r, false)),
        Udf::scalar_udf(
            "chr",
            Signature::exact(vec![DataType::Int64], Volatility::Immutable),
            returns!(DataType::Utf8),
            chr,
        ),
        Udf::scalar_udf(
            "strpos",
            super::strings_then_int(2),
            returns!(DataType::Int64),
            strpos,
        ),
        Udf::scalar_udf("index", text(2), returns!(DataType::Int64), strpos),
        Udf::scalar_udf(
            "normalize",
            super::strings_or_more(1, 2),
            returns!(DataType::Utf8),
            normalize,
        ),
        Udf::scalar_udf("char2hexint", text(1), returns!(DataType::Utf8), |a, r| {
            let s = strings(&a[0].to_array(r)?)?;
            let out: StringArray = s
                .iter()
                .map(|s| {
                    s.map(|s| {
                        s.encode_utf16()
                            .map(|u| format!("{u:04X}"))
                            .collect::<String>()
                    })
                })
                .collect();
            finish(a, Arc::new(out))
        }),
        Udf::scalar_udf(
            "luhn_check",
            text(1),
            returns!(DataType::Boolean),
            |a, r| {
                let s = strings(&a[0].to_array(r)?)?;
                let out: BooleanArray = s.iter().map(|s| s.and_then(luhn)).collect();
                finish(a, Arc::new(out))
            },
        ),
        Udf::scalar_udf(
            "split_to_map",
            text(3),
            returns!(map_type(&DataType::Utf8, &DataType::Utf8)),
            |a, r| split_to_map(a, r, false),
        ),
        Udf::scalar_udf(
            "split_to_multimap",
            text(3),
            returns!(map_type(
                &DataType::Utf8,
                &DataType::new_list(DataType::Utf8, true)
            )),
            |a, r| split_to_map(a, r, true),
        ),
        Udf::scalar_udf(
            "from_utf8",
            Signature::one_of(
                vec![
                    TypeSignature::Exact(vec![DataType::Binary]),
                    TypeSignature::Exact(vec![DataType::Binary, DataType::Utf8]),
                    TypeSignature::Exact(vec![DataType::Binary, DataType::Int64]),
                ],
                Volatility::Immutable,
            ),
            returns!(DataType::Utf8),
            from_utf8,
        ),
    ]
}

fn distance(
    args: &[ColumnarValue],
    rows: usize,
    name: &str,
    measure: fn(&[char], &[char]) -> std::result::Result<i64, String>,
) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let (x, y) = (strings(&a[0])?, strings(&a[1])?);
    let out: Int64Array = x
        .iter()
        .zip(y.iter())
        .map(|(x, y)| {
            let (Some(x), Some(y)) = (x, y) else {
                return Ok(None);
            };
            let (x, y): (Vec<char>, Vec<char>) = (x.chars().collect(), y.chars().collect());
            match measure(&x, &y) {
                Ok(d) => Ok(Some(d)),
                Err(why) => exec_err!("{name}: {why}"),
            }
        })
        .collect::<Result<_>>()?;
    finish(args, Arc::new(out))
}

/// The edit distance (insertions, deletions, substitutions) of two strings.
fn levenshtein(x: &[char], y: &[char]) -> std::result::Result<i64, String> {
    if x.len().saturating_mul(y.len()) > LEVENSHTEIN_MAX_CELLS {
        return Err(format!(
            "the combined inputs are too large ({} and {} characters)",
            x.len(),
            y.len()
        ));
    }
    let mut row: Vec<usize> = (0..=y.len()).collect();
    for (i, a) in x.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, b) in y.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if a == b {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    Ok(row[y.len()] as i64)
}

/// The number of positions at which two equally long strings differ.
fn hamming(x: &[char], y: &[char]) -> std::result::Result<i64, String> {
    if x.len() != y.len() {
        return Err(format!(
            "the strings must have the same length, got {} and {} characters",
            x.len(),
            y.len()
        ));
    }
    Ok(x.iter().zip(y).filter(|(a, b)| a != b).count() as i64)
}

/// American Soundex: the first letter, then the codes of the following
/// consonants (adjacent equal codes once, also across `H` and `W`), padded
/// with zeros to four characters. Letters only; "" when there are none.
fn soundex(s: &str) -> String {
    let code = |c: char| match c {
        'B' | 'F' | 'P' | 'V' => Some('1'),
        'C' | 'G' | 'J' | 'K' | 'Q' | 'S' | 'X' | 'Z' => Some('2'),
        'D' | 'T' => Some('3'),
        'L' => Some('4'),
        'M' | 'N' => Some('5'),
        'R' => Some('6'),
        _ => None,
    };
    let mut letters = s
        .chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_uppercase());
    let Some(first) = letters.next() else {
        return String::new();
    };
    let mut out = String::from(first);
    let mut last = code(first);
    for c in letters {
        if out.len() == 4 {
            break;
        }
        match code(c) {
            Some(d) if Some(d) != last => {
                out.push(d);
                last = Some(d);
            }
            Some(_) => {}
            // H and W do not separate equal codes; vowels do.
            None if c == 'H' || c == 'W' => {}
            None => last = None,
        }
    }
    while out.len() < 4 {
        out.push('0');
    }
    out
}

/// `codepoint(c)`: the Unicode code point of the one character `c`.
fn codepoint(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let s = strings(&args[0].to_array(rows)?)?;
    let out: Int32Array = s
        .iter()
        .map(|s| {
            let Some(s) = s else { return Ok(None) };
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Ok(Some(c as i32)),
                _ => exec_err!(
                    "codepoint: the argument must be a single character (varchar(1)), got {s:?}"
                ),
            }
        })
        .collect::<Result<_>>()?;
    finish(args, Arc::new(out))
}

/// `reverse(x)`: a string's characters, a varbinary's bytes or an array's
/// elements in reverse order (DataFusion's reverses the text of anything).
fn reverse(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    use datafusion::arrow::array::{AsArray, BinaryArray, UInt32Array};
    let value = args[0].to_array(rows)?;
    let out: ArrayRef = match value.data_type() {
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => {
            let bytes = datafusion::arrow::compute::kernels::cast::cast(&value, &DataType::Binary)?;
            let out: BinaryArray = bytes
                .as_binary::<i32>()
                .iter()
                .map(|b| b.map(|b| b.iter().rev().copied().collect::<Vec<u8>>()))
                .collect();
            Arc::new(out)
        }
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _) => {
            let list = datafusion::arrow::compute::kernels::cast::cast(
                &value,
                &DataType::List(match value.data_type() {
                    DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
                        Arc::clone(f)
                    }
                    _ => return exec_err!("reverse: unexpected argument type"),
                }),
            )?;
            let list = list.as_list::<i32>();
            let offsets = list.value_offsets();
            let indices: UInt32Array = (0..list.len())
                .flat_map(|i| (offsets[i]..offsets[i + 1]).rev())
                .map(|at| Some(at as u32))
                .collect();
            let values = datafusion::arrow::compute::take(list.values().as_ref(), &indices, None)?;
            let (field, offsets, _, nulls) = list.clone().into_parts();
            Arc::new(datafusion::arrow::array::ListArray::try_new(
                field, offsets, values, nulls,
            )?)
        }
        DataType::Null => Arc::new(StringArray::new_null(rows)),
        _ => {
            let text = strings(&value)?;
            let out: StringArray = text
                .iter()
                .map(|t| t.map(|t| t.chars().rev().collect::<String>()))
                .collect();
            Arc::new(out)
        }
    };
    finish(args, out)
}

/// `concat_ws(separator, s1, s2, ...)` or `concat_ws(separator,
/// array(varchar))`: the non-NULL strings joined by `separator`; NULL when
/// the separator is.
fn concat_ws(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    use datafusion::arrow::array::AsArray;
    if args.len() < 2 {
        return exec_err!("concat_ws takes a separator and at least one string or an array");
    }
    let a = arrays(args, rows)?;
    let separator = strings(&a[0])?;
    let as_list = |x: &ArrayRef| -> Result<Option<datafusion::arrow::array::ListArray>> {
        Ok(match x.data_type() {
            DataType::List(_) => Some(x.as_list::<i32>().clone()),
            DataType::LargeList(f) | DataType::FixedSizeList(f, _) => Some(
                datafusion::arrow::compute::kernels::cast::cast(x, &DataType::List(Arc::clone(f)))?
                    .as_list::<i32>()
                    .clone(),
            ),
            _ => None,
        })
    };
    let array = match (a.len(), as_list(&a[1])?) {
        (2, Some(list)) => Some(list),
        (_, Some(_)) => {
            return exec_err!("concat_ws: an array must be the only argument after the separator");
        }
        _ => None,
    };
    let parts = if array.is_none() {
        a[1..].iter().map(strings).collect::<Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    let out: StringArray = (0..rows)
        .map(|i| {
            if separator.is_null(i) {
                return Ok(None);
            }
            let values: Vec<String> = match &array {
                Some(list) if list.is_null(i) => return Ok(None),
                Some(list) => strings(&list.value(i))?
                    .iter()
                    .flatten()
                    .map(str::to_string)
                    .collect(),
                None => parts
                    .iter()
                    .filter(|p| p.is_valid(i))
                    .map(|p| p.value(i).to_string())
                    .collect(),
            };
            Ok(Some(values.join(separator.value(i))))
        })
        .collect::<Result<_>>()?;
    finish(args, Arc::new(out))
}

fn pad_signature() -> Signature {
    Signature::one_of(
        [DataType::Utf8, DataType::Binary]
            .into_iter()
            .map(|t| TypeSignature::Exact(vec![t.clone(), DataType::Int64, t]))
            .collect(),
        Volatility::Immutable,
    )
}

fn pad_type(t: &[DataType]) -> Result<DataType> {
    Ok(t[0].clone())
}

/// `lpad|rpad(x, size, padding)`: `x` padded on the left (right) with
/// repeats of `padding` to `size` characters (bytes for varbinary), or cut
/// to `size`; `size` must not be negative nor `padding` empty.
fn pad(args: &[ColumnarValue], rows: usize, left: bool) -> Result<ColumnarValue> {
    use datafusion::arrow::array::{AsArray, BinaryArray};
    let name = if left { "lpad" } else { "rpad" };
    let a = arrays(args, rows)?;
    let size = bigints_of(&a[1])?;
    let check = |size: i64, padding_empty: bool| -> Result<usize> {
        if size < 0 {
            return exec_err!("{name}: the target size must not be negative, got {size}");
        }
        if padding_empty {
            return exec_err!("{name}: the padding must not be empty");
        }
        Ok(size as usize)
    };
    fn padded<T: Clone>(value: &[T], padding: &[T], size: usize, left: bool) -> Vec<T> {
        if value.len() >= size {
            return value[..size].to_vec();
        }
        let fill: Vec<T> = padding
            .iter()
            .cycle()
            .take(size - value.len())
            .cloned()
            .collect();
        if left {
            [fill.as_slice(), value].concat()
        } else {
            [value, fill.as_slice()].concat()
        }
    }
    let out: ArrayRef = if a[0].data_type() == &DataType::Binary {
        let (value, padding) = (a[0].as_binary::<i32>(), a[2].as_binary::<i32>());
        let out: BinaryArray = (0..rows)
            .map(|i| {
                if value.is_null(i) || size.is_null(i) || padding.is_null(i) {
                    return Ok(None);
                }
                let n = check(size.value(i), padding.value(i).is_empty())?;
                Ok(Some(padded(value.value(i), padding.value(i), n, left)))
            })
            .collect::<Result<_>>()?;
        Arc::new(out)
    } else {
        let (value, padding) = (strings(&a[0])?, strings(&a[2])?);
        let out: StringArray = (0..rows)
            .map(|i| {
                if value.is_null(i) || size.is_null(i) || padding.is_null(i) {
                    return Ok(None);
                }
                let n = check(size.value(i), padding.value(i).is_empty())?;
                let chars: Vec<char> = value.value(i).chars().collect();
                let fill: Vec<char> = padding.value(i).chars().collect();
                Ok(Some(
                    padded(&chars, &fill, n, left)
                        .into_iter()
                        .collect::<String>(),
                ))
            })
            .collect::<Result<_>>()?;
        Arc::new(out)
    };
    finish(args, out)
}

/// `chr(n)`: the character of code point `n` (DataFusion's fails without
/// naming the function).
fn chr(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let n = bigints_of(&args[0].to_array(rows)?)?;
    let out: StringArray = n
        .iter()
        .map(|n| {
            let Some(n) = n else { return Ok(None) };
            match u32::try_from(n).ok().and_then(char::from_u32) {
                Some(c) => Ok(Some(c.to_string())),
                None => exec_err!("chr: not a valid Unicode code point: {n}"),
            }
        })
        .collect::<Result<_>>()?;
    finish(args, Arc::new(out))
}

/// `strpos(string, substring[, instance])`: the 1-based character position
/// of the `instance`th occurrence (counted from the end when negative), 0
/// when there is none; an empty `substring` is found at 1.
fn strpos(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let (text, needle) = (strings(&a[0])?, strings(&a[1])?);
    let instance = a.get(2).map(bigints_of).transpose()?;
    let out: Int64Array = (0..rows)
        .map(|i| {
            if text.is_null(i)
                || needle.is_null(i)
                || instance.as_ref().is_some_and(|n| n.is_null(i))
            {
                return Ok(None);
            }
            let (t, n) = (text.value(i), needle.value(i));
            let k = instance.as_ref().map_or(1, |n| n.value(i));
            if k == 0 {
                return exec_err!("strpos: instance must be a positive or negative number, got 0");
            }
            if n.is_empty() {
                return Ok(Some(1));
            }
            // Occurrences may overlap, as in Trino (`strpos('aaa', 'aa', 2)` is 2).
            let starts: Vec<usize> = t
                .char_indices()
                .filter(|(at, _)| t[*at..].starts_with(n))
                .map(|(at, _)| at)
                .collect();
            let found = if k > 0 {
                starts.get(k as usize - 1)
            } else {
                starts
                    .len()
                    .checked_sub(k.unsigned_abs() as usize)
                    .and_then(|at| starts.get(at))
            };
            Ok(Some(
                found.map_or(0, |at| t[..*at].chars().count() as i64 + 1),
            ))
        })
        .collect::<Result<_>>()?;
    finish(args, Arc::new(out))
}

/// `normalize(string[, form])`: the string in Unicode normal form `form`
/// (NFC, NFD, NFKC or NFKD; NFC when absent).
fn normalize(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    use unicode_normalization::UnicodeNormalization;
    let a = arrays(args, rows)?;
    let text = strings(&a[0])?;
    let forms = a.get(1).map(strings).transpose()?;
    let out: StringArray = (0..rows)
        .map(|i| {
            let form = match &forms {
                Some(f) if f.is_null(i) => return Ok(None),
                Some(f) => f.value(i),
                None => "NFC",
            };
            if text.is_null(i) {
                return Ok(None);
            }
            let t = text.value(i);
            Ok(Some(match form.to_ascii_uppercase().as_str() {
                "NFC" => t.nfc().collect::<String>(),
                "NFD" => t.nfd().collect(),
                "NFKC" => t.nfkc().collect(),
                "NFKD" => t.nfkd().collect(),
                other => {
                    return exec_err!(
                        "normalize: the form must be NFC, NFD, NFKC or NFKD, got {other:?}"
                    );
                }
            }))
        })
        .collect::<Result<_>>()?;
    finish(args, Arc::new(out))
}

/// Whether a string of digits passes the Luhn check; NULL when it holds
/// anything but digits (Trino's `luhn_check` gives NULL for those), false
/// when it is empty.
fn luhn(s: &str) -> Option<bool> {
    if s.is_empty() {
        return Some(false);
    }
    let mut sum = 0u32;
    for (i, c) in s.chars().rev().enumerate() {
        let mut d = c.to_digit(10)?;
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    Some(sum.is_multiple_of(10))
}

/// `split_to_map(string, entry_delimiter, key_value_delimiter)`: the map the
/// entries spell; a repeated key fails. With `multi`, `split_to_multimap`:
/// every key's values in order.
fn split_to_map(args: &[ColumnarValue], rows: usize, multi: bool) -> Result<ColumnarValue> {
    let name = if multi {
        "split_to_multimap"
    } else {
        "split_to_map"
    };
    let a = arrays(args, rows)?;
    let (text, entry, kv) = (strings(&a[0])?, strings(&a[1])?, strings(&a[2])?);
    let mut keys = StringBuilder::new();
    let mut values = StringBuilder::new();
    let mut lists = ListBuilder::new(StringBuilder::new());
    let mut lengths = Vec::with_capacity(rows);
    let mut valid = Vec::with_capacity(rows);
    for i in 0..rows {
        if text.is_null(i) || entry.is_null(i) || kv.is_null(i) {
            lengths.push(0);
            valid.push(false);
            continue;
        }
        let (t, e, d) = (text.value(i), entry.value(i), kv.value(i));
        if e.is_empty() {
            return exec_err!("{name}: the entry delimiter must not be empty");
        }
        if d.is_empty() {
            return exec_err!("{name}: the key-value delimiter must not be empty");
        }
        if e == d {
            return exec_err!(
                "{name}: the entry delimiter and the key-value delimiter must differ"
            );
        }
        let mut pairs: Vec<(&str, Vec<&str>)> = Vec::new();
        // A trailing entry delimiter ends the last entry; it starts no new one.
        let body = t.strip_suffix(e).unwrap_or(t);
        for part in body.split(e).filter(|_| !t.is_empty()) {
            let mut halves = part.split(d);
            let (Some(k), Some(v), None) = (halves.next(), halves.next(), halves.next()) else {
                return exec_err!(
                    "{name}: the key-value delimiter must appear exactly once in each entry, not in {part:?}"
                );
            };
            match pairs.iter_mut().find(|(key, _)| *key == k) {
                Some((_, vs)) if multi => vs.push(v),
                Some(_) => return exec_err!("{name}: duplicate key {k:?} is not allowed"),
                None => pairs.push((k, vec![v])),
            }
        }
        lengths.push(pairs.len());
        valid.push(true);
        for (k, vs) in pairs {
            keys.append_value(k);
            if multi {
                for v in vs {
                    lists.values().append_value(v);
                }
                lists.append(true);
            } else {
                values.append_value(vs[0]);
            }
        }
    }
    let values: ArrayRef = if multi {
        Arc::new(lists.finish())
    } else {
        Arc::new(values.finish())
    };
    let out = build_map(
        Arc::new(keys.finish()),
        values,
        lengths,
        Some(NullBuffer::from(valid)),
    )?;
    finish(args, out)
}

/// `from_utf8(binary[, replace])`: the text the UTF-8 bytes spell, each
/// invalid sequence replaced by U+FFFD, or by `replace` (a string of at most
/// one character, or a code point).
fn from_utf8(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    use datafusion::arrow::array::AsArray;
    let a = arrays(args, rows)?;
    let bytes = a[0].as_binary::<i32>();
    let replacement: Vec<Option<String>> = match a.get(1) {
        None => vec![Some("\u{FFFD}".into()); rows],
        Some(r) if r.data_type() == &DataType::Int64 => bigints_of(r)?
            .iter()
            .map(|c| {
                c.map(|c| match u32::try_from(c).ok().and_then(char::from_u32) {
                    Some(c) => Ok(c.to_string()),
                    None => exec_err!("from_utf8: invalid replacement code point {c}"),
                })
                .transpose()
            })
            .collect::<Result<_>>()?,
        Some(r) => strings(r)?
            .iter()
            .map(|s| {
                s.map(|s| {
                    if s.chars().count() > 1 {
                        exec_err!(
                            "from_utf8: the replacement must be at most one character, got {s:?}"
                        )
                    } else {
                        Ok(s.to_string())
                    }
                })
                .transpose()
            })
            .collect::<Result<_>>()?,
    };
    let out: StringArray = (0..rows)
        .map(|i| {
            if bytes.is_null(i) {
                return None;
            }
            let with = replacement[i].as_deref()?;
            Some(decode_utf8(bytes.value(i), with))
        })
        .collect();
    finish(args, Arc::new(out))
}

fn decode_utf8(mut bytes: &[u8], replacement: &str) -> String {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(rest) => {
                out.push_str(rest);
                return out;
            }
            Err(e) => {
                let (good, bad) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                out.push_str(replacement);
                bytes = &bad[e.error_len().unwrap_or(bad.len())..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn distances_count_characters() {
        assert_eq!(levenshtein(&chars("kitten"), &chars("sitting")), Ok(3));
        assert_eq!(levenshtein(&chars(""), &chars("abc")), Ok(3));
        assert_eq!(
            levenshtein(&chars("hello wörld"), &chars("hello world")),
            Ok(1)
        );
        assert_eq!(hamming(&chars("abcde"), &chars("xbcdz")), Ok(2));
        assert!(hamming(&chars("ab"), &chars("abc")).is_err());
    }

    #[test]
    fn soundex_codes_as_american_soundex() {
        assert_eq!(soundex("Robert"), "R163");
        assert_eq!(soundex("Rupert"), "R163");
        assert_eq!(soundex("Ashcraft"), "A261");
        assert_eq!(soundex("Tymczak"), "T522");
        assert_eq!(soundex("Pfister"), "P236");
        assert_eq!(soundex("jack"), "J200");
        assert_eq!(soundex(""), "");
    }

    #[test]
    fn luhn_accepts_valid_numbers_only() {
        assert_eq!(luhn("4242424242424242"), Some(true));
        assert_eq!(luhn("1234567891234567"), Some(false));
        assert_eq!(luhn("12a"), None);
    }

    #[test]
    fn invalid_utf8_is_replaced_per_sequence() {
        assert_eq!(decode_utf8(b"a\xffb", "?"), "a?b");
        assert_eq!(decode_utf8(b"ok", "?"), "ok");
    }
}
