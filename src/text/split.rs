//! One line into fields, by each SerDe's rules. Pure functions over bytes;
//! every special character is ASCII, so a split never cuts a UTF-8 sequence.

use regex::{Regex, RegexBuilder};

/// Hive's delimiter for each nesting level: the field delimiter (level 0),
/// `collection.delim` (1), `mapkey.delim` (2), then the defaults Hive uses for
/// deeper levels (`LazySerDeParameters`): `\004`..`\010`, `\013`, `\016`..`\032`,
/// `\034`..`\037`.
pub(crate) fn separators(field: u8, collection: u8, mapkey: u8) -> Vec<u8> {
    let mut all = vec![field, collection, mapkey];
    all.extend(4..=8u8);
    all.push(11);
    all.extend(14..=26u8);
    all.extend(28..=31u8);
    all
}

/// Splits LazySimpleSerDe text at `delim` into at most `max` fields (byte
/// ranges of `line`); a delimiter right after `escape` is not one. Extra
/// fields are dropped, unless `rest`: then the last field runs to the end of
/// the line (`serialization.last.column.takes.rest`).
pub(crate) fn split_delimited(
    line: &[u8],
    delim: u8,
    escape: Option<u8>,
    max: usize,
    rest: bool,
    out: &mut Vec<(usize, usize)>,
) {
    out.clear();
    if max == 0 {
        return;
    }
    // Without an escape byte in the line, memchr finds the delimiters.
    let escape = escape.filter(|e| memchr::memchr(*e, line).is_some());
    let mut start = 0;
    while let Some(i) = next_delimiter(line, start, delim, escape) {
        if rest && out.len() + 1 == max {
            break;
        }
        out.push((start, i));
        start = i + 1;
        if out.len() == max {
            return;
        }
    }
    out.push((start, line.len()));
}

/// The next delimiter at or after `from`, not counting one right after `escape`.
fn next_delimiter(line: &[u8], from: usize, delim: u8, escape: Option<u8>) -> Option<usize> {
    let Some(escape) = escape else {
        return memchr::memchr(delim, &line[from..]).map(|i| from + i);
    };
    let mut i = from;
    while i < line.len() {
        match line[i] {
            b if b == escape => i += 2,
            b if b == delim => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Removes LazySimpleSerDe escapes: the escape byte makes the next byte
/// literal (with `crlf`, an escaped `r` or `n` is CR or LF).
pub(crate) fn unescape(bytes: &[u8], escape: u8, crlf: bool, out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == escape && i + 1 < bytes.len() {
            let next = bytes[i + 1];
            out.push(match next {
                b'r' if crlf => b'\r',
                b'n' if crlf => b'\n',
                other => other,
            });
            i += 2;
        } else {
            out.push(b);
            i += 1;
        }
    }
}

/// The characters of an OpenCSVSerde table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CsvChars {
    pub(crate) separator: u8,
    pub(crate) quote: u8,
    pub(crate) escape: u8,
}

/// Parses one line as OpenCSVSerde does (opencsv's `CSVParser` on a single
/// line, bug for bug, as Trino's `CsvDeserializer` also reproduces it):
/// values go into `buf`, `fields[i]` is the range of field `i` or `None`
/// when the line has fewer fields. Fields past `columns` are dropped; a
/// field whose quote is still open at the end of the line is `None` (a
/// record never spans lines in Athena); an empty line is all `None`.
pub(crate) fn parse_csv(
    line: &[u8],
    chars: CsvChars,
    columns: usize,
    buf: &mut Vec<u8>,
    fields: &mut Vec<Option<(usize, usize)>>,
) {
    let CsvChars {
        separator,
        quote,
        escape,
    } = chars;
    buf.clear();
    fields.clear();
    fields.resize(columns, None);
    if line.is_empty() {
        return;
    }
    let mut column = 0;
    let mut start = 0;
    let mut in_quotes = false;
    let mut in_field = false;
    let mut i = 0;
    while i < line.len() && column < columns {
        let c = line[i];
        let next = line.get(i + 1).copied();
        if c == escape {
            // Only a quote or another escape can be escaped; else the escape is dropped.
            if (in_quotes || in_field)
                && let Some(next) = next.filter(|n| *n == quote || *n == escape)
            {
                buf.push(next);
                i += 1;
            }
        } else if c == quote {
            if (in_quotes || in_field) && next == Some(quote) {
                // `""` inside a field is one quote.
                buf.push(quote);
                i += 1;
            } else {
                // A quote in the middle of a field (`a,b"c"d,e`): opencsv keeps
                // it as text, unless only whitespace precedes it in the field.
                if i > 2 && line[i - 1] != separator && next.is_some_and(|n| n != separator) {
                    if buf.len() > start && buf[start..].iter().all(u8::is_ascii_whitespace) {
                        buf.truncate(start);
                    } else {
                        buf.push(c);
                    }
                }
                in_quotes = !in_quotes;
            }
            in_field = !in_field;
        } else if c == separator && !in_quotes {
            fields[column] = Some((start, buf.len()));
            column += 1;
            start = buf.len();
            in_field = false;
        } else {
            buf.push(c);
            in_field = true;
        }
        i += 1;
    }
    if column < columns && !in_quotes {
        fields[column] = Some((start, buf.len()));
    }
}

/// RegexSerDe's pattern: Java's `Matcher.matches()`, so the whole line must match.
pub(crate) fn compile_regex(pattern: &str, case_insensitive: bool) -> Result<Regex, regex::Error> {
    RegexBuilder::new(&format!("^(?:{pattern})$"))
        .case_insensitive(case_insensitive)
        .build()
}
