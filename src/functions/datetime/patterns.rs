//! Date format strings: MySQL-style specifiers (`date_parse`, `date_format`)
//! and Joda patterns (`parse_datetime`, `format_datetime`), translated once
//! per query into chrono's parsed format items.

use chrono::format::{Item, StrftimeItems};
use datafusion::common::{DataFusionError, Result};

/// Whether a pattern is used to parse text or to format values; `%f` differs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    Parse,
    Format,
}

/// Translates a MySQL-style format (`%Y-%m-%d %H:%i:%s`) to chrono items.
pub(crate) fn mysql(function: &str, format: &str, mode: Mode) -> Result<Vec<Item<'static>>> {
    let strftime = mysql_to_strftime(function, format, mode)?;
    items(function, format, &strftime)
}

/// Translates a Joda pattern (`yyyy-MM-dd HH:mm:ss`) to chrono items.
pub(crate) fn joda(function: &str, pattern: &str) -> Result<Vec<Item<'static>>> {
    let strftime = joda_to_strftime(function, pattern)?;
    items(function, pattern, &strftime)
}

/// Translates a Teradata format (`yyyy/mm/dd hh24:mi:ss`) to chrono items.
pub(crate) fn teradata(function: &str, format: &str) -> Result<Vec<Item<'static>>> {
    let strftime = teradata_to_strftime(function, format)?;
    items(function, format, &strftime)
}

/// The chrono strftime string for a Teradata format: the tokens `yyyy`,
/// `yy`, `mm`, `dd`, `hh24`, `hh12`/`hh`, `mi`, `ss` (any case) and the
/// separators `- / , . ; :` and space, as Trino's Teradata functions
/// accept them.
pub(crate) fn teradata_to_strftime(function: &str, format: &str) -> Result<String> {
    const TOKENS: [(&str, &str); 8] = [
        ("yyyy", "%Y"),
        ("yy", "%y"),
        ("mm", "%m"),
        ("dd", "%d"),
        ("hh24", "%H"),
        ("hh12", "%I"),
        ("hh", "%I"),
        ("mi", "%M"),
    ];
    let lower = format.to_ascii_lowercase();
    let mut out = String::with_capacity(format.len() * 2);
    let mut rest = lower.as_str();
    'next: while let Some(c) = rest.chars().next() {
        for (token, chrono) in TOKENS.iter().chain(&[("ss", "%S")]) {
            if let Some(after) = rest.strip_prefix(token) {
                out.push_str(chrono);
                rest = after;
                continue 'next;
            }
        }
        if !"-/,.;: ".contains(c) {
            return Err(bad_format(
                function,
                format,
                &format!("unknown Teradata format element at {rest:?}"),
            ));
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Ok(out)
}

fn items(function: &str, original: &str, strftime: &str) -> Result<Vec<Item<'static>>> {
    StrftimeItems::new(strftime)
        .parse_to_owned()
        .map_err(|_| bad_format(function, original, "it cannot be translated"))
}

fn bad_format(function: &str, format: &str, why: &str) -> DataFusionError {
    DataFusionError::Execution(format!(
        "{function}: invalid format {format:?} (argument 2): {why}"
    ))
}

/// The chrono strftime string for a MySQL-style format.
pub(crate) fn mysql_to_strftime(function: &str, format: &str, mode: Mode) -> Result<String> {
    let mut out = String::with_capacity(format.len() * 2);
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            push_literal(&mut out, c);
            continue;
        }
        let Some(spec) = chars.next() else {
            return Err(bad_format(function, format, "it ends with a lone %"));
        };
        let parse = mode == Mode::Parse;
        let chrono = match spec {
            'a' => "%a",
            'b' => "%b",
            'c' if parse => "%m",
            'c' => "%-m",
            'd' => "%d",
            'e' if parse => "%d",
            'e' => "%-d",
            'f' if parse && out.ends_with('.') => {
                // `.%f` takes one to nine digits when parsing, as in Trino.
                out.pop();
                "%.f"
            }
            'f' => "%6f",
            'H' => "%H",
            'h' | 'I' => "%I",
            'i' => "%M",
            'j' => "%j",
            'k' if parse => "%H",
            'k' => "%-H",
            'l' if parse => "%I",
            'l' => "%-I",
            'M' => "%B",
            'm' => "%m",
            'p' => "%p",
            'r' => "%I:%M:%S %p",
            'S' | 's' => "%S",
            'T' => "%H:%M:%S",
            'v' => "%V",
            'W' => "%A",
            'x' => "%G",
            'Y' => "%Y",
            'y' => "%y",
            '%' => "%%",
            'D' | 'U' | 'u' | 'V' | 'w' | 'X' => {
                return Err(bad_format(
                    function,
                    format,
                    &format!("%{spec} is not supported"),
                ));
            }
            other => {
                push_literal(&mut out, other);
                continue;
            }
        };
        out.push_str(chrono);
    }
    Ok(out)
}

/// The chrono strftime string for a Joda pattern.
pub(crate) fn joda_to_strftime(function: &str, pattern: &str) -> Result<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // Quoted literal text; '' is a quote.
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            i += 1;
            loop {
                match chars.get(i) {
                    // Joda reads a quote left open as literal text to the
                    // end of the pattern (AWS's documented ALB and Route 53
                    // queries end with `''Z'`, an open quote before Z).
                    None => break,
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        out.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&l) => {
                        push_literal(&mut out, l);
                        i += 1;
                    }
                }
            }
            continue;
        }
        if !c.is_ascii_alphabetic() {
            push_literal(&mut out, c);
            i += 1;
            continue;
        }
        let n = chars[i..].iter().take_while(|&&x| x == c).count();
        i += n;
        let chrono = match (c, n) {
            ('y' | 'Y', 2) => "%y",
            ('y' | 'Y', _) => "%Y",
            ('x', 2) => "%g",
            ('x', _) => "%G",
            ('M', 1) => "%-m",
            ('M', 2) => "%m",
            ('M', 3) => "%b",
            ('M', _) => "%B",
            ('d', 1) => "%-d",
            ('d', _) => "%d",
            ('D', 1 | 2) => "%-j",
            ('D', _) => "%j",
            ('H', 1) => "%-H",
            ('H', _) => "%H",
            ('h', 1) => "%-I",
            ('h', _) => "%I",
            ('m', 1) => "%-M",
            ('m', _) => "%M",
            ('s', 1) => "%-S",
            ('s', _) => "%S",
            ('S', 3) => "%3f",
            ('S', 6) => "%6f",
            ('S', 9) => "%9f",
            ('a', _) => "%p",
            ('E', 1..=3) => "%a",
            ('E', _) => "%A",
            ('e', _) => "%u",
            ('w', 1) => "%-V",
            ('w', _) => "%V",
            ('Z', 1) => "%z",
            ('Z', 2) => "%:z",
            ('Z', _) | ('z', _) => "%Z",
            ('G', _) => "AD",
            _ => {
                return Err(bad_format(
                    function,
                    pattern,
                    &format!(
                        "pattern letter {} is not supported",
                        c.to_string().repeat(n)
                    ),
                ));
            }
        };
        out.push_str(chrono);
    }
    Ok(out)
}

fn push_literal(out: &mut String, c: char) {
    if c == '%' {
        out.push_str("%%");
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teradata_formats_translate() {
        let f = |s| teradata_to_strftime("f", s).unwrap();
        assert_eq!(f("yyyy/mm/dd hh24:mi:ss"), "%Y/%m/%d %H:%M:%S");
        assert_eq!(f("DD-MM-YY;HH:MI"), "%d-%m-%y;%I:%M");
        assert!(teradata_to_strftime("f", "yyyy-q").is_err());
    }

    #[test]
    fn mysql_specifiers_translate() {
        let f = |s| mysql_to_strftime("f", s, Mode::Format).unwrap();
        assert_eq!(f("%Y-%m-%d %H:%i:%s"), "%Y-%m-%d %H:%M:%S");
        assert_eq!(f("%c/%e %k %l %p"), "%-m/%-d %-H %-I %p");
        assert_eq!(f("%W %M %r %T"), "%A %B %I:%M:%S %p %H:%M:%S");
        assert_eq!(f("100%% %q"), "100%% q");
        assert_eq!(f("%s.%f"), "%S.%6f");
        let p = |s| mysql_to_strftime("f", s, Mode::Parse).unwrap();
        assert_eq!(p("%H:%i:%s.%f"), "%H:%M:%S%.f");
        assert_eq!(p("%c/%e"), "%m/%d");
    }

    #[test]
    fn mysql_unsupported_specifiers_are_errors() {
        let err = mysql_to_strftime("date_format", "%U", Mode::Format).unwrap_err();
        assert!(
            err.to_string()
                .contains("date_format: invalid format \"%U\"")
        );
        assert!(mysql_to_strftime("date_parse", "%Y%", Mode::Parse).is_err());
    }

    #[test]
    fn joda_patterns_translate() {
        let j = |s| joda_to_strftime("f", s).unwrap();
        assert_eq!(j("yyyy-MM-dd HH:mm:ss.SSS"), "%Y-%m-%d %H:%M:%S.%3f");
        assert_eq!(j("EEE, d MMM yy h:mm a"), "%a, %-d %b %y %-I:%M %p");
        assert_eq!(j("EEEE MMMM"), "%A %B");
        assert_eq!(j("yyyy'T'HH 'o''clock' ZZ"), "%YT%H o'clock %:z");
        assert_eq!(j("''%"), "'%%");
        // A quote left open runs to the end, as in Joda.
        assert_eq!(j("HH:mm:ss'Z"), "%H:%M:%SZ");
    }

    #[test]
    fn joda_unsupported_letters_are_errors() {
        let err = joda_to_strftime("format_datetime", "yyyy qq").unwrap_err();
        assert!(
            err.to_string()
                .contains("pattern letter qq is not supported")
        );
    }
}
