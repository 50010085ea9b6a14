//! Text and number conversions shared by the SerDes: timestamps, dates and
//! decimals as Hive reads them. Pure functions.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");

/// Parses a timestamp the way the OpenX SerDe does (ATHENA.md §4), to epoch
/// milliseconds in UTC: ISO-8601 with `T`, `Z` or an offset (converted to
/// UTC), `yyyy-MM-dd HH:mm:ss[.f]`, or digits (epoch seconds when 12 digits
/// or fewer, milliseconds when 13 or more).
pub(crate) fn parse_timestamp_millis(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.bytes().all(|b| b.is_ascii_digit())
        || text.starts_with('-') && text[1..].bytes().all(|b| b.is_ascii_digit())
    {
        return epoch_digits_to_millis(text.parse().ok()?, text.trim_start_matches('-').len());
    }
    if let Some(millis) = plain_timestamp_millis(text) {
        return Some(millis);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.timestamp_millis());
        }
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    None
}

/// The common form `yyyy-MM-dd HH:mm:ss[.f...]` (or with `T`), read without
/// chrono's format parser, which tries each pattern in turn and dominates
/// text decoding otherwise. `None` for anything else (the caller falls back
/// to the full list of forms, which gives the same value for this one).
fn plain_timestamp_millis(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b' ' | b'T')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let mut millis = 0;
    if b.len() > 19 {
        let fraction = &b[20..];
        if b[19] != b'.' || fraction.is_empty() || !fraction.iter().all(u8::is_ascii_digit) {
            return None;
        }
        // Milliseconds: the first three digits; further digits are dropped.
        for i in 0..3 {
            millis = millis * 10 + fraction.get(i).map_or(0, |c| i64::from(c - b'0'));
        }
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(number(0..4)?).ok()?,
        number(5..7)?,
        number(8..10)?,
    )?;
    let time = chrono::NaiveTime::from_hms_opt(number(11..13)?, number(14..16)?, number(17..19)?)?;
    Some(date.and_time(time).and_utc().timestamp_millis() + millis)
}

/// A JSON number as a timestamp: epoch seconds up to 12 digits, else milliseconds.
pub(crate) fn epoch_number_to_millis(value: f64) -> Option<i64> {
    if !value.is_finite() {
        return None;
    }
    let digits = format!("{:.0}", value.abs().trunc()).len();
    if digits <= 12 {
        let millis = (value * 1000.0).trunc();
        (millis.abs() < 9.2e18).then_some(millis as i64)
    } else {
        (value.abs() < 9.2e18).then_some(value.trunc() as i64)
    }
}

fn epoch_digits_to_millis(value: i64, digits: usize) -> Option<i64> {
    if digits <= 12 {
        value.checked_mul(1000)
    } else {
        Some(value)
    }
}

/// Parses `yyyy-MM-dd` to days since the epoch.
pub(crate) fn parse_date_days(text: &str) -> Option<i32> {
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    i32::try_from(date.signed_duration_since(EPOCH).num_days()).ok()
}

/// Parses decimal text (`-12.345`, `1e3`) into an unscaled integer at `scale`,
/// rounding half up as Hive does; `None` if it does not fit `precision` digits.
pub(crate) fn parse_decimal(text: &str, precision: u8, scale: i8) -> Option<i128> {
    let text = text.trim();
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i32>().ok()?),
        None => (rest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // digits * 10^(exponent - frac_len), rescaled to `scale`.
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    // In i64: an exponent near i32::MAX or i32::MIN overflows i32 here.
    let shift = i64::from(exponent) - frac_part.len() as i64 + i64::from(scale);
    let mut value: i128 = 0;
    let dropped_digits = usize::try_from(-shift).unwrap_or(0);
    let keep = digits.len().saturating_sub(dropped_digits);
    for b in digits[..keep].bytes() {
        value = value.checked_mul(10)?.checked_add((b - b'0') as i128)?;
    }
    if shift > 0 && value != 0 {
        value = value.checked_mul(10i128.checked_pow(u32::try_from(shift).ok()?)?)?;
    } else if shift < 0 {
        // Round half up on the first dropped digit.
        let dropped = digits.len() - keep;
        if dropped > 0 && digits.as_bytes()[keep] >= b'5' && dropped_digits <= digits.len() {
            value = value.checked_add(1)?;
        }
    }
    if value >= 10i128.pow(precision as u32) {
        return None;
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_every_openx_form() {
        let t = 1_714_557_723_123; // 2024-05-01T10:02:03.123Z
        assert_eq!(parse_timestamp_millis("2024-05-01T10:02:03.123Z"), Some(t));
        assert_eq!(
            parse_timestamp_millis("2024-05-01T12:02:03.123+02:00"),
            Some(t)
        );
        assert_eq!(
            parse_timestamp_millis("2024-05-01T05:02:03.123-0500"),
            Some(t)
        );
        assert_eq!(parse_timestamp_millis("2024-05-01 10:02:03.123"), Some(t));
        assert_eq!(parse_timestamp_millis("2024-05-01T10:02:03.123"), Some(t));
        assert_eq!(
            parse_timestamp_millis("2024-05-01 10:02:03.1234567"),
            Some(t)
        );
        assert_eq!(parse_timestamp_millis("2024-05-01 10:02"), Some(t - 3_123));
        assert_eq!(parse_timestamp_millis("1714557723"), Some(t - 123));
        assert_eq!(parse_timestamp_millis("1714557723123"), Some(t));
        assert_eq!(parse_timestamp_millis("2024-02-30 00:00:00"), None);
        // The plain form's fast path agrees with chrono's parser.
        for text in [
            "2024-05-01 10:02:03",
            "2024-05-01T10:02:03.9",
            "1969-12-31 23:59:59.999",
            "2024-05-01 10:02:03.",
            "2024-05-01 24:00:00",
            "2024-05-01 10:02:03.12x",
        ] {
            let chrono = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f"))
                .ok()
                .map(|t| t.and_utc().timestamp_millis());
            assert_eq!(plain_timestamp_millis(text).or(chrono), chrono, "{text}");
            assert_eq!(parse_timestamp_millis(text), chrono, "{text}");
        }
        assert_eq!(parse_timestamp_millis("yesterday"), None);
        assert_eq!(parse_timestamp_millis(""), None);
        assert_eq!(epoch_number_to_millis(1_714_557_723.5), Some(t - 123 + 500));
        assert_eq!(epoch_number_to_millis(1_714_557_723_123.0), Some(t));
        assert_eq!(epoch_number_to_millis(f64::NAN), None);
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date_days("1970-01-02"), Some(1));
        assert_eq!(parse_date_days("2024-02-29"), Some(19782));
        assert_eq!(parse_date_days("2023-02-29"), None);
        assert_eq!(parse_date_days("1969-12-31"), Some(-1));
    }

    #[test]
    fn decimals_round_half_up_and_check_precision() {
        assert_eq!(parse_decimal("12.345", 10, 2), Some(1235));
        assert_eq!(parse_decimal("12.344", 10, 2), Some(1234));
        assert_eq!(parse_decimal("-12.345", 10, 2), Some(-1235));
        assert_eq!(parse_decimal("7", 10, 2), Some(700));
        assert_eq!(parse_decimal("1e3", 10, 2), Some(100_000));
        assert_eq!(parse_decimal("1.5E-1", 10, 2), Some(15));
        assert_eq!(parse_decimal("0.004", 10, 2), Some(0));
        assert_eq!(parse_decimal("0.005", 10, 2), Some(1));
        assert_eq!(parse_decimal(".5", 3, 1), Some(5));
        assert_eq!(parse_decimal("123456", 5, 0), None);
        assert_eq!(parse_decimal("99999.99", 7, 2), Some(9_999_999));
        assert_eq!(parse_decimal("abc", 10, 2), None);
        assert_eq!(parse_decimal("1.2.3", 10, 2), None);
        assert_eq!(parse_decimal("", 10, 2), None);
        assert_eq!(parse_decimal("1e400", 38, 0), None);
        // Exponents at i32's ends: no overflow (which wrapped to a wrong 0).
        assert_eq!(parse_decimal("1e2147483647", 10, 2), None);
        assert_eq!(parse_decimal("5e-2147483648", 10, 2), Some(0));
        assert_eq!(parse_decimal("-0.0e2147483647", 10, 2), Some(0));
    }
}
