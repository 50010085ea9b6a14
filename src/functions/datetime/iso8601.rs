//! ISO 8601 text: the pure parsers behind `from_iso8601_timestamp` and
//! `from_iso8601_date`.

use chrono::{NaiveDate, NaiveTime};

/// Parses ISO 8601 date-time text to UTC milliseconds: `2020-05-11`,
/// `2020-05-11T11:15`, `2020-05-11T11:15:05.123`, with `Z` or `±hh:mm`.
pub(crate) fn parse_iso8601_timestamp(s: &str) -> Option<i64> {
    let (date, rest) = match s.find('T') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let date = parse_iso8601_date(date)?;
    let Some(rest) = rest else {
        return Some(date.and_time(NaiveTime::MIN).and_utc().timestamp_millis());
    };
    let (time, offset_secs) = if let Some(t) = rest.strip_suffix('Z') {
        (t, 0)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let zone = &rest[i + 1..];
        let sign = if rest.as_bytes()[i] == b'-' { -1 } else { 1 };
        let (h, m) = match zone.split_once(':') {
            Some((h, m)) => (h, m),
            None if zone.len() == 4 => zone.split_at(2),
            None => (zone, "0"),
        };
        let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
        (&rest[..i], sign * secs)
    } else {
        (rest, 0)
    };
    let time = fixed_time(time)
        .or_else(|| {
            ["%H:%M:%S%.f", "%H:%M", "%H"]
                .iter()
                .find_map(|f| NaiveTime::parse_from_str(time, f).ok())
        })
        .or_else(|| {
            let h: u32 = time.parse().ok()?;
            NaiveTime::from_hms_opt(h, 0, 0)
        })?;
    let local = date.and_time(time).and_utc().timestamp_millis();
    Some(local - i64::from(offset_secs) * 1000)
}

/// Parses an ISO 8601 date: `2020-05-11`, `2020-05`, `2020`, `2020-W10-1`, `2020-123`.
pub(crate) fn parse_iso8601_date(s: &str) -> Option<NaiveDate> {
    if s.len() == 4 {
        return NaiveDate::from_ymd_opt(s.parse().ok()?, 1, 1);
    }
    if let Some(date) = fixed_date(s) {
        return Some(date);
    }
    ["%Y-%m-%d", "%G-W%V-%u", "%Y-%j"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
        .or_else(|| NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").ok())
}

// The fast paths below read the usual fixed-width shapes digit by digit:
// chrono's `parse_from_str` re-reads its format string on every call, which
// made `from_iso8601_timestamp` cost about 300 ns a row. Anything else (and
// any value they refuse, such as a leap second) takes the general path.

/// `yyyy-mm-dd`, exactly.
fn fixed_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(
        digits(&b[0..4])? as i32,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    )
}

/// `hh:mm:ss` with an optional fraction of 1 to 9 digits, exactly.
fn fixed_time(s: &str) -> Option<NaiveTime> {
    let b = s.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let nanos = match &b[8..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            digits(fraction)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    NaiveTime::from_hms_nano_opt(
        digits(&b[0..2])?,
        digits(&b[3..5])?,
        digits(&b[6..8])?,
        nanos,
    )
}

/// The value of a run of ASCII digits (at most 9); `None` for anything else.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_timestamps_parse() {
        let ms = |s| parse_iso8601_timestamp(s);
        assert_eq!(ms("2020-05-11T11:15:05Z"), Some(1_589_195_705_000));
        assert_eq!(ms("2020-05-11T11:15:05.055+01:00"), Some(1_589_192_105_055));
        assert_eq!(ms("2020-05-11T11:15"), Some(1_589_195_700_000));
        assert_eq!(ms("2020-05-11"), Some(1_589_155_200_000));
        assert_eq!(ms("2020-05-11T11:15:05-0230"), Some(1_589_204_705_000));
        assert_eq!(ms("2020-13-11"), None);
        assert_eq!(ms("2020-05-11T11:15:05.1Z"), Some(1_589_195_705_100));
        assert_eq!(
            ms("2020-05-11T11:15:05.123456789Z"),
            Some(1_589_195_705_123)
        );
        assert_eq!(ms("2016-12-31T23:59:60Z"), Some(1_483_228_800_000));
        assert_eq!(ms("2020-05-11T11:1a:05Z"), None);
        assert_eq!(ms("2020-02-30T00:00:00Z"), None);
        assert_eq!(ms("yesterday"), None);
    }

    #[test]
    fn iso8601_dates_parse() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(parse_iso8601_date("2020-05-11"), d(2020, 5, 11));
        assert_eq!(parse_iso8601_date("2020-W10-1"), d(2020, 3, 2));
        assert_eq!(parse_iso8601_date("2020-123"), d(2020, 5, 2));
        assert_eq!(parse_iso8601_date("2020"), d(2020, 1, 1));
        assert_eq!(parse_iso8601_date("2023-02-29"), None);
    }
}
