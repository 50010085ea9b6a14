//! `format(format, args...)`: Trino's function is Java's `String.format`
//! over the SQL values turned into Java objects (integers to `Long`,
//! doubles to `Double`, decimals to `BigDecimal`, dates and timestamps to
//! `java.time` values). This is that formatter for those objects:
//! `%[index$][flags][width][.precision]conversion` with the conversions
//! `s S b B c C d o x X e E f g G % n` and the date/time `t`/`T` suffixes,
//! the flags `- # + space 0 , (` and `<`, and Java's rules of which
//! conversion takes which argument (`%d` of a double fails, as in Java).
//! Floating point rounds half up on the shortest decimal digits, as
//! Java's `Formatter` does (`format('%.1f', 0.25)` is `0.3`).

use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use datafusion::arrow::array::{ArrayRef, StringArray};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, Volatility};

use crate::functions::{Udf, arrays, finish, returns};
use crate::render::java_double;

pub(super) fn functions() -> Vec<ScalarUDF> {
    use datafusion::arrow::datatypes::DataType;
    vec![
        Udf::scalar_udf(
            "format",
            Signature::variadic_any(Volatility::Immutable),
            returns!(DataType::Utf8),
            format,
        ),
        Udf::scalar_udf(
            "format_number",
            Signature::exact(vec![DataType::Float64], Volatility::Immutable),
            returns!(DataType::Utf8),
            format_number,
        ),
    ]
}

/// `format_number(x)`: `x` with a unit symbol (K, M, B, T, Q for powers of
/// 1000) and three significant digits, rounded half up (`123K`, `1.23M`),
/// as Trino's `FormatNumberFunction` does.
fn format_number(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    const UNITS: [&str; 6] = ["", "K", "M", "B", "T", "Q"];
    let x = crate::functions::math::doubles_of(&args[0].to_array(rows)?)?;
    let out: StringArray = x
        .iter()
        .map(|v| {
            let v = v?;
            if !v.is_finite() {
                return Some(java_double(v));
            }
            let (mut magnitude, mut unit) = (v.abs(), 0);
            while magnitude >= 1000.0 && unit < UNITS.len() - 1 {
                magnitude /= 1000.0;
                unit += 1;
            }
            // Three significant digits: 123K, 12.3K, 1.23K.
            let decimals = match magnitude {
                m if m >= 100.0 => 0,
                m if m >= 10.0 => 1,
                _ => 2,
            };
            let digits = Number::of_double(magnitude).fixed(decimals, str::to_string);
            let digits = if digits.contains('.') {
                digits.trim_end_matches('0').trim_end_matches('.')
            } else {
                &digits
            };
            let sign = if v < 0.0 && digits != "0" { "-" } else { "" };
            Some(format!("{sign}{digits}{}", UNITS[unit]))
        })
        .collect();
    finish(args, Arc::new(out))
}

/// A SQL value as the Java object Trino hands to `String.format`.
#[derive(Debug, Clone)]
enum Value {
    Null,
    Bool(bool),
    Long(i64),
    Double(f64),
    /// Unscaled value and scale.
    Decimal(i128, i8),
    Text(String),
    Date(NaiveDate),
    Timestamp(NaiveDateTime),
}

impl Value {
    fn of(v: ScalarValue) -> Result<Self> {
        use ScalarValue as S;
        Ok(match v {
            v if v.is_null() => Value::Null,
            S::Boolean(Some(b)) => Value::Bool(b),
            S::Int8(Some(x)) => Value::Long(x.into()),
            S::Int16(Some(x)) => Value::Long(x.into()),
            S::Int32(Some(x)) => Value::Long(x.into()),
            S::Int64(Some(x)) => Value::Long(x),
            S::UInt8(Some(x)) => Value::Long(x.into()),
            S::UInt16(Some(x)) => Value::Long(x.into()),
            S::UInt32(Some(x)) => Value::Long(x.into()),
            S::Float32(Some(x)) => Value::Double(x.into()),
            S::Float64(Some(x)) => Value::Double(x),
            S::Decimal128(Some(x), _, s) => Value::Decimal(x, s),
            S::Utf8(Some(s)) | S::LargeUtf8(Some(s)) | S::Utf8View(Some(s)) => Value::Text(s),
            S::Date32(Some(d)) => Value::Date(
                NaiveDate::from_num_days_from_ce_opt(d + 719_163).unwrap_or(NaiveDate::MIN),
            ),
            v @ S::TimestampSecond(..)
            | v @ S::TimestampMillisecond(..)
            | v @ S::TimestampMicrosecond(..)
            | v @ S::TimestampNanosecond(..) => {
                let nanos: i64 = v
                    .cast_to(&datafusion::arrow::datatypes::DataType::Timestamp(
                        datafusion::arrow::datatypes::TimeUnit::Nanosecond,
                        None,
                    ))?
                    .try_into()
                    .unwrap_or_default();
                Value::Timestamp(chrono::DateTime::from_timestamp_nanos(nanos).naive_utc())
            }
            other => {
                return exec_err!("format: unsupported argument type {}", other.data_type());
            }
        })
    }

    /// The Java class name Java's errors give.
    fn class(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "java.lang.Boolean",
            Value::Long(_) => "java.lang.Long",
            Value::Double(_) => "java.lang.Double",
            Value::Decimal(..) => "java.math.BigDecimal",
            Value::Text(_) => "java.lang.String",
            Value::Date(_) => "java.time.LocalDate",
            Value::Timestamp(_) => "java.time.LocalDateTime",
        }
    }

    /// `Object.toString()`, what `%s` prints.
    fn java_string(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Long(x) => x.to_string(),
            Value::Double(x) => java_double(*x),
            Value::Decimal(x, s) => Number::of_decimal(*x, *s).plain(),
            Value::Text(s) => s.clone(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
            Value::Timestamp(t) => {
                let base = t.format("%Y-%m-%dT%H:%M").to_string();
                match (t.second(), t.nanosecond()) {
                    (0, 0) => base,
                    (s, 0) => format!("{base}:{s:02}"),
                    (s, n) if n % 1_000_000 == 0 => format!("{base}:{s:02}.{:03}", n / 1_000_000),
                    (s, n) if n % 1_000 == 0 => format!("{base}:{s:02}.{:06}", n / 1_000),
                    (s, n) => format!("{base}:{s:02}.{n:09}"),
                }
            }
        }
    }
}

fn format(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    if args.is_empty() {
        return exec_err!("format: a format string is required");
    }
    let a = arrays(args, rows)?;
    let mut out = Vec::with_capacity(rows);
    let mut parsed: Option<(String, Vec<Piece>)> = None;
    for i in 0..rows {
        let pattern = ScalarValue::try_from_array(&a[0], i)?;
        let Some(pattern) = pattern.try_as_str().flatten() else {
            out.push(None);
            continue;
        };
        if parsed.as_ref().is_none_or(|(p, _)| p != pattern) {
            parsed = Some((pattern.to_string(), parse(pattern)?));
        }
        let pieces = &parsed.as_ref().expect("set above").1;
        let values = a[1..]
            .iter()
            .map(|c| Value::of(ScalarValue::try_from_array(c, i)?))
            .collect::<Result<Vec<_>>>()?;
        out.push(Some(render(pieces, &values)?));
    }
    finish(args, Arc::new(StringArray::from(out)) as ArrayRef)
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Literal(String),
    Spec(Spec),
}

#[derive(Debug, Clone, PartialEq, Default)]
struct Spec {
    /// `Some(n)` for `n$`, `None` for the next argument; `previous` for `<`.
    index: Option<usize>,
    previous: bool,
    left: bool,
    alternate: bool,
    plus: bool,
    space: bool,
    zero: bool,
    group: bool,
    parens: bool,
    width: Option<usize>,
    precision: Option<usize>,
    /// The conversion; `t`/`T` with their date/time suffix in `time`.
    conversion: char,
    time: Option<char>,
    text: String,
}

fn parse(pattern: &str) -> Result<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = pattern.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c != '%' {
            literal.push(c);
            continue;
        }
        let mut spec = Spec::default();
        let mut digits = String::new();
        while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
            digits.push(d);
            chars.next();
        }
        if !digits.is_empty() && chars.peek().map(|(_, c)| *c) == Some('$') {
            chars.next();
            spec.index = Some(number(pattern, &digits)?);
            digits.clear();
        }
        if digits.is_empty() {
            while let Some((_, f)) = chars
                .peek()
                .copied()
                .filter(|(_, f)| "-#+ 0,(<".contains(*f))
            {
                match f {
                    '-' => spec.left = true,
                    '#' => spec.alternate = true,
                    '+' => spec.plus = true,
                    ' ' => spec.space = true,
                    '0' => spec.zero = true,
                    ',' => spec.group = true,
                    '(' => spec.parens = true,
                    _ => spec.previous = true,
                }
                chars.next();
            }
            while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
                digits.push(d);
                chars.next();
            }
        } else if digits.starts_with('0') {
            // A leading 0 of the width is the zero-padding flag.
            spec.zero = true;
            digits.remove(0);
        }
        if !digits.is_empty() {
            spec.width = Some(number(pattern, &digits)?);
        }
        if chars.peek().map(|(_, c)| *c) == Some('.') {
            chars.next();
            let mut p = String::new();
            while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            if p.is_empty() {
                return exec_err!(
                    "format: invalid format string {pattern:?}: a precision needs digits"
                );
            }
            spec.precision = Some(number(pattern, &p)?);
        }
        let Some((end, conversion)) = chars.next() else {
            return exec_err!(
                "format: invalid format string {pattern:?}: it ends inside a format specifier"
            );
        };
        spec.conversion = conversion;
        let mut end = end + conversion.len_utf8();
        if matches!(conversion, 't' | 'T') {
            let Some((at, suffix)) = chars.next() else {
                return exec_err!(
                    "format: invalid format string {pattern:?}: %t needs a date/time suffix"
                );
            };
            spec.time = Some(suffix);
            end = at + suffix.len_utf8();
        }
        spec.text = pattern[start..end].to_string();
        if spec.precision.is_some() && "doxXcCtT".contains(conversion) {
            return exec_err!(
                "format: invalid format string {pattern:?}: {} takes no precision (IllegalFormatPrecision)",
                spec.text
            );
        }
        match conversion {
            '%' => literal.push('%'),
            'n' => literal.push('\n'),
            _ if "sSbBcCdoxXeEfgGtThH".contains(conversion) => {
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Spec(spec));
            }
            other => {
                return exec_err!(
                    "format: invalid format string {pattern:?}: unknown conversion '{other}'"
                );
            }
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

fn number(pattern: &str, digits: &str) -> Result<usize> {
    match digits.parse() {
        Ok(n) => Ok(n),
        Err(_) => exec_err!("format: invalid format string {pattern:?}: {digits} is too large"),
    }
}

fn render(pieces: &[Piece], values: &[Value]) -> Result<String> {
    let mut out = String::new();
    let mut next = 0;
    let mut last: Option<usize> = None;
    for piece in pieces {
        let spec = match piece {
            Piece::Literal(s) => {
                out.push_str(s);
                continue;
            }
            Piece::Spec(spec) => spec,
        };
        let at = if spec.previous {
            match last {
                Some(at) => at,
                None => {
                    return exec_err!(
                        "format: {} refers to a previous argument, but there is none",
                        spec.text
                    );
                }
            }
        } else if let Some(n) = spec.index {
            n.checked_sub(1).unwrap_or(usize::MAX)
        } else {
            next += 1;
            next - 1
        };
        let Some(value) = values.get(at) else {
            return exec_err!("format: missing an argument for {}", spec.text);
        };
        last = Some(at);
        let body = convert(spec, value)?;
        pad(&mut out, spec, &body);
    }
    Ok(out)
}

fn pad(out: &mut String, spec: &Spec, body: &str) {
    let width = spec.width.unwrap_or(0);
    let len = body.chars().count();
    if len >= width {
        out.push_str(body);
    } else if spec.left {
        out.push_str(body);
        out.extend(std::iter::repeat_n(' ', width - len));
    } else {
        out.extend(std::iter::repeat_n(' ', width - len));
        out.push_str(body);
    }
}

fn mismatch<T>(spec: &Spec, value: &Value) -> Result<T> {
    exec_err!(
        "format: {} cannot format a {} (IllegalFormatConversion: {} != {})",
        spec.text,
        value.class().rsplit('.').next().unwrap_or_default(),
        spec.conversion,
        value.class()
    )
}

fn convert(spec: &Spec, value: &Value) -> Result<String> {
    let upper = spec.conversion.is_ascii_uppercase();
    let text = match (spec.conversion.to_ascii_lowercase(), value) {
        ('s', v) => truncate(v.java_string(), spec.precision),
        ('b', Value::Null) => truncate("false".into(), spec.precision),
        ('b', Value::Bool(b)) => truncate(b.to_string(), spec.precision),
        ('b', _) => truncate("true".into(), spec.precision),
        ('h', Value::Null) => "null".into(),
        ('h', Value::Text(s)) => format!("{:x}", java_string_hash(s)),
        ('h', Value::Long(x)) => format!("{:x}", (*x ^ (*x >> 32)) as i32),
        ('h', v) => return mismatch(spec, v),
        (_, Value::Null) => "null".into(),
        ('c', Value::Text(s)) if s.chars().count() == 1 => s.clone(),
        ('c', Value::Long(x)) => match u32::try_from(*x).ok().and_then(char::from_u32) {
            Some(c) => c.to_string(),
            None => return exec_err!("format: {} has no character for code point {x}", spec.text),
        },
        ('c', v) => return mismatch(spec, v),
        ('d', Value::Long(x)) => signed(spec, *x < 0, group(spec, &x.unsigned_abs().to_string())),
        ('o', Value::Long(x)) => prefixed(spec, format!("{:o}", *x as u64), "0"),
        ('x', Value::Long(x)) => prefixed(spec, format!("{:x}", *x as u64), "0x"),
        ('d' | 'o' | 'x', v) => return mismatch(spec, v),
        ('e' | 'f' | 'g', Value::Double(x)) if !x.is_finite() => {
            let s = if x.is_nan() {
                "NaN"
            } else if *x > 0.0 {
                if spec.plus { "+Infinity" } else { "Infinity" }
            } else if spec.parens {
                "(Infinity)"
            } else {
                "-Infinity"
            };
            s.to_string()
        }
        ('e' | 'f' | 'g', Value::Double(x)) => floating(spec, Number::of_double(*x)),
        ('e' | 'f' | 'g', Value::Decimal(x, s)) => floating(spec, Number::of_decimal(*x, *s)),
        ('e' | 'f' | 'g', v) => return mismatch(spec, v),
        ('t', v) => time(spec, v)?,
        (_, v) => return mismatch(spec, v),
    };
    Ok(if upper { text.to_uppercase() } else { text })
}

fn truncate(s: String, precision: Option<usize>) -> String {
    match precision {
        Some(p) => s.chars().take(p).collect(),
        None => s,
    }
}

fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

fn prefixed(spec: &Spec, digits: String, prefix: &str) -> String {
    let digits = if spec.alternate {
        format!("{prefix}{digits}")
    } else {
        digits
    };
    zero_pad(spec, String::new(), digits)
}

/// Digits of a magnitude with Java's `,` grouping when asked.
fn group(spec: &Spec, digits: &str) -> String {
    if !spec.group {
        return digits.to_string();
    }
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A magnitude with its sign (`-`, `+`, ` ` or parentheses) and zero padding.
fn signed(spec: &Spec, negative: bool, magnitude: String) -> String {
    let (sign, close) = match (negative, spec.parens, spec.plus, spec.space) {
        (true, true, _, _) => ("(", ")"),
        (true, false, _, _) => ("-", ""),
        (false, _, true, _) => ("+", ""),
        (false, _, _, true) => (" ", ""),
        _ => ("", ""),
    };

    zero_pad(spec, sign.to_string(), format!("{magnitude}{close}"))
}

fn zero_pad(spec: &Spec, sign: String, rest: String) -> String {
    let width = spec.width.unwrap_or(0);
    let len = sign.chars().count() + rest.chars().count();
    if spec.zero && len < width {
        format!("{sign}{}{rest}", "0".repeat(width - len))
    } else {
        format!("{sign}{rest}")
    }
}

fn floating(spec: &Spec, n: Number) -> String {
    let precision = spec.precision.unwrap_or(6);
    let magnitude = match spec.conversion.to_ascii_lowercase() {
        'f' => n.fixed(precision, |d| group(spec, d)),
        'e' => n.scientific(precision),
        _ => {
            // %g: scientific unless 10^-4 <= x < 10^precision after rounding.
            let p = precision.max(1);
            let rounded = n.rounded_exponent(p);
            if n.is_zero() || (-4..p as i32).contains(&rounded) {
                let decimals = (p as i32 - 1 - if n.is_zero() { 0 } else { rounded }).max(0);
                n.fixed(decimals as usize, |d| group(spec, d))
            } else {
                n.scientific(p - 1)
            }
        }
    };
    signed(spec, n.negative, magnitude)
}

/// A finite decimal number as `0.d1d2d3... × 10^point`, for rounding half
/// up on its decimal digits.
#[derive(Debug, Clone)]
struct Number {
    negative: bool,
    digits: Vec<u8>,
    point: i32,
}

impl Number {
    /// The shortest digits that read back as `x`, which Java formats from.
    fn of_double(x: f64) -> Self {
        let text = format!("{:e}", x.abs());
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let digits: Vec<u8> = mantissa
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect();
        let exponent: i32 = exponent.parse().unwrap_or(0);
        Self::trimmed(x.is_sign_negative(), digits, exponent + 1)
    }

    fn of_decimal(unscaled: i128, scale: i8) -> Self {
        let text = unscaled.unsigned_abs().to_string();
        let digits: Vec<u8> = text.bytes().map(|b| b - b'0').collect();
        let point = digits.len() as i32 - i32::from(scale);
        Self::trimmed(unscaled < 0, digits, point)
    }

    fn trimmed(negative: bool, mut digits: Vec<u8>, mut point: i32) -> Self {
        while digits.len() > 1 && digits[0] == 0 {
            digits.remove(0);
            point -= 1;
        }
        if digits.iter().all(|d| *d == 0) {
            return Self {
                negative,
                digits: vec![0],
                point: 1,
            };
        }
        Self {
            negative,
            digits,
            point,
        }
    }

    fn is_zero(&self) -> bool {
        self.digits == [0]
    }

    /// The digits kept to `keep` significant digits, rounding half up; the
    /// point moves when a carry adds a digit.
    fn round(&self, keep: i32) -> (Vec<u8>, i32) {
        if keep < 0 {
            return (vec![0], self.point);
        }
        let keep = keep as usize;
        let mut digits = self.digits.clone();
        let mut point = self.point;
        if digits.len() <= keep {
            digits.resize(keep, 0);
            return (digits, point);
        }
        let up = digits[keep] >= 5;
        digits.truncate(keep);
        if up {
            let mut i = keep;
            loop {
                if i == 0 {
                    digits.insert(0, 1);
                    point += 1;
                    break;
                }
                i -= 1;
                if digits[i] == 9 {
                    digits[i] = 0;
                } else {
                    digits[i] += 1;
                    break;
                }
            }
        }
        (digits, point)
    }

    /// The magnitude with `precision` digits after the point.
    fn fixed(&self, precision: usize, group: impl Fn(&str) -> String) -> String {
        let (digits, point) = if self.is_zero() {
            (vec![0; precision + 1], 1)
        } else {
            let (d, p) = self.round(self.point + precision as i32);
            if d.is_empty() || d == [0] && self.point + (precision as i32) < 0 {
                (vec![0; precision + 1], 1)
            } else {
                (d, p)
            }
        };
        let digit = |i: i32| -> char {
            if i >= 0 && (i as usize) < digits.len() {
                char::from(b'0' + digits[i as usize])
            } else {
                '0'
            }
        };
        let whole: String = if point <= 0 {
            "0".into()
        } else {
            (0..point).map(digit).collect()
        };
        let fraction: String = (point..point + precision as i32).map(digit).collect();
        let whole = group(&whole);
        if precision == 0 {
            whole
        } else {
            format!("{whole}.{fraction}")
        }
    }

    /// The decimal exponent after rounding to `significant` digits.
    fn rounded_exponent(&self, significant: usize) -> i32 {
        self.round(significant as i32).1 - 1
    }

    /// `d.ddde+xx` with `precision` digits after the point.
    fn scientific(&self, precision: usize) -> String {
        let (digits, exponent) = if self.is_zero() {
            (vec![0; precision + 1], 0)
        } else {
            let (d, p) = self.round(precision as i32 + 1);
            (d, p - 1)
        };
        let mut text: String = digits
            .iter()
            .take(1)
            .map(|d| char::from(b'0' + d))
            .collect();
        if precision > 0 {
            text.push('.');
            text.extend(digits[1..].iter().map(|d| char::from(b'0' + d)));
        }
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{text}e{sign}{:02}", exponent.abs())
    }

    /// `BigDecimal.toString()` for the plain cases (no exponent).
    fn plain(&self) -> String {
        let digits: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        let sign = if self.negative && !self.is_zero() {
            "-"
        } else {
            ""
        };
        let body = if self.point <= 0 {
            format!("0.{}{digits}", "0".repeat((-self.point) as usize))
        } else if self.point as usize >= digits.len() {
            format!("{digits}{}", "0".repeat(self.point as usize - digits.len()))
        } else {
            format!(
                "{}.{}",
                &digits[..self.point as usize],
                &digits[self.point as usize..]
            )
        };
        format!("{sign}{body}")
    }
}

/// `%t` and `%T`: the date/time conversions of a date or timestamp.
fn time(spec: &Spec, value: &Value) -> Result<String> {
    let t = match value {
        Value::Date(d) => d.and_hms_opt(0, 0, 0).unwrap_or_default(),
        Value::Timestamp(t) => *t,
        Value::Long(millis) => chrono::DateTime::from_timestamp_millis(*millis)
            .map(|t| t.naive_utc())
            .unwrap_or_default(),
        v => return mismatch(spec, v),
    };
    let date_only = matches!(value, Value::Date(_));
    let suffix = spec.time.unwrap_or('?');
    if date_only && "HIklMSLNpRTrsQ".contains(suffix) {
        return exec_err!(
            "format: {} needs a time, but the argument is a date",
            spec.text
        );
    }
    let pattern = match suffix {
        'Y' => "%Y",
        'y' => "%y",
        'C' => return Ok(format!("{:02}", t.year() / 100)),
        'm' => "%m",
        'd' => "%d",
        'e' => return Ok(t.day().to_string()),
        'B' => "%B",
        'b' | 'h' => "%b",
        'A' => "%A",
        'a' => "%a",
        'j' => "%j",
        'H' => "%H",
        'I' => "%I",
        'k' => return Ok(t.hour().to_string()),
        'l' => return Ok(t.hour12().1.to_string()),
        'M' => "%M",
        'S' => "%S",
        'L' => return Ok(format!("{:03}", t.nanosecond() / 1_000_000)),
        'N' => return Ok(format!("{:09}", t.nanosecond())),
        'p' => return Ok(if t.hour() < 12 { "am" } else { "pm" }.into()),
        'R' => "%H:%M",
        'T' => "%H:%M:%S",
        'r' => "%I:%M:%S %p",
        'D' => "%m/%d/%y",
        'F' => "%Y-%m-%d",
        's' => return Ok(t.and_utc().timestamp().to_string()),
        'Q' => return Ok(t.and_utc().timestamp_millis().to_string()),
        other => {
            return exec_err!(
                "format: unknown date/time conversion '{other}' in {}",
                spec.text
            );
        }
    };
    Ok(t.format(pattern).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pattern: &str, values: &[Value]) -> String {
        render(&parse(pattern).unwrap(), values).unwrap()
    }

    #[test]
    fn trino_documentation_examples() {
        assert_eq!(run("%s%%", &[Value::Long(123)]), "123%");
        assert_eq!(
            run("%.5f", &[Value::Double(std::f64::consts::PI)]),
            "3.14159"
        );
        assert_eq!(run("%03d", &[Value::Long(8)]), "008");
        assert_eq!(run("%,.2f", &[Value::Double(1234567.89)]), "1,234,567.89");
        assert_eq!(
            run(
                "%-7s,%7s",
                &[Value::Text("hello".into()), Value::Text("world".into())]
            ),
            "hello  ,  world"
        );
        let abc = [
            Value::Text("a".into()),
            Value::Text("b".into()),
            Value::Text("c".into()),
        ];
        assert_eq!(run("%2$s %3$s %1$s", &abc), "b c a");
        let day = Value::Date(NaiveDate::from_ymd_opt(2006, 7, 4).unwrap());
        assert_eq!(
            run("%1$tA, %1$tB %1$te, %1$tY", &[day]),
            "Tuesday, July 4, 2006"
        );
    }

    #[test]
    fn floating_point_rounds_half_up_like_java() {
        assert_eq!(run("%.1f", &[Value::Double(0.25)]), "0.3");
        assert_eq!(run("%.2f", &[Value::Double(1.005)]), "1.01");
        assert_eq!(run("%.0f", &[Value::Double(0.5)]), "1");
        assert_eq!(run("%.2f", &[Value::Double(-0.001)]), "-0.00");
        assert_eq!(run("%e", &[Value::Double(12.3456)]), "1.234560e+01");
        assert_eq!(run("%.3e", &[Value::Double(0.0)]), "0.000e+00");
        assert_eq!(run("%f", &[Value::Decimal(12345, 2)]), "123.450000");
        assert_eq!(run("%g", &[Value::Double(0.0001234)]), "0.000123400");
        assert_eq!(run("%g", &[Value::Double(1234567.0)]), "1.23457e+06");
        assert_eq!(run("%08.2f", &[Value::Double(-3.25159)]), "-0003.25");
        assert_eq!(run("%(,d", &[Value::Long(-1234)]), "(1,234)");
    }

    #[test]
    fn conversions_refuse_other_types() {
        let pieces = parse("%d").unwrap();
        let err = render(&pieces, &[Value::Double(1.5)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("d != java.lang.Double"), "{err}");
        assert!(parse("%q").is_err());
        assert!(render(&parse("%s %s").unwrap(), &[Value::Long(1)]).is_err());
    }

    #[test]
    fn numbers_get_unit_symbols() {
        let run = |v: f64| {
            let out =
                format_number(&[ColumnarValue::Scalar(ScalarValue::Float64(Some(v)))], 1).unwrap();
            let ColumnarValue::Scalar(s) = out else {
                panic!("scalar in, scalar out")
            };
            s.try_as_str().flatten().unwrap().to_string()
        };
        assert_eq!(run(123456.0), "123K");
        assert_eq!(run(1000000.0), "1M");
        assert_eq!(run(1234567.0), "1.23M");
        assert_eq!(run(-1235.0), "-1.24K");
        assert_eq!(run(12345.0), "12.3K");
        assert_eq!(run(12.0), "12");
    }

    #[test]
    fn strings_and_booleans() {
        assert_eq!(
            run(
                "%S|%.2s|%b|%x",
                &[
                    Value::Text("ab".into()),
                    Value::Text("xyz".into()),
                    Value::Null,
                    Value::Long(-1),
                ]
            ),
            "AB|xy|false|ffffffffffffffff"
        );
        assert_eq!(run("%s", &[Value::Double(1e10)]), "1.0E10");
        assert_eq!(run("%s", &[Value::Decimal(-5, 3)]), "-0.005");
    }
}
