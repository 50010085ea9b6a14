//! The values of one projected column: enum lists, integer ranges, date
//! ranges (absolute or `NOW`-relative) and injected columns, each an ordered
//! sequence that can be indexed, searched and formatted without enumerating.

use chrono::{DateTime, Duration, Months, NaiveDateTime, Utc};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use crate::java_date::{DatePattern, Field};

/// How one column's values are generated (`projection.<col>.type`).
#[derive(Debug, Clone)]
pub(super) enum Kind {
    Enum(Vec<String>),
    Integer {
        min: i64,
        max: i64,
        interval: i64,
        digits: usize,
    },
    Date(DateRange),
    Injected,
}

/// A `date` projection: `start + k * interval` up to `end`.
#[derive(Debug, Clone)]
pub(super) struct DateRange {
    pub(super) pattern: DatePattern,
    pub(super) start: NaiveDateTime,
    pub(super) end: NaiveDateTime,
    pub(super) interval: i64,
    pub(super) unit: Unit,
}

/// `.interval.unit`: Java's `ChronoUnit` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    Years,
    Months,
    Weeks,
    Days,
    Hours,
    Minutes,
    Seconds,
}

impl Kind {
    /// How many values the column takes.
    pub(super) fn len(&self) -> u64 {
        match self {
            Kind::Enum(values) => values.len() as u64,
            Kind::Integer {
                min, max, interval, ..
            } => {
                if max < min {
                    0
                } else {
                    // i128: a range of all 2^64 i64 values has one more than u64 holds.
                    let n = (*max as i128 - *min as i128) / *interval as i128 + 1;
                    u64::try_from(n).unwrap_or(u64::MAX)
                }
            }
            Kind::Date(d) => d.len(),
            Kind::Injected => 0,
        }
    }

    /// The `k`-th value, as it appears in locations.
    /// The index of the last value, if any. Unlike `len() - 1` it is exact
    /// for an integer range over all 2^64 values, whose count `len`
    /// saturates.
    pub(super) fn last_index(&self) -> Option<u64> {
        match self {
            Kind::Integer {
                min, max, interval, ..
            } => (max >= min).then(|| ((*max as i128 - *min as i128) / *interval as i128) as u64),
            _ => self.len().checked_sub(1),
        }
    }

    pub(super) fn value(&self, k: u64) -> String {
        match self {
            Kind::Enum(values) => values[k as usize].clone(),
            Kind::Integer {
                min,
                interval,
                digits,
                ..
            } => format!("{:0digits$}", *min as i128 + k as i128 * *interval as i128),
            Kind::Date(d) => d.pattern.format(&d.at(k).unwrap_or(d.start)),
            Kind::Injected => String::new(),
        }
    }

    /// The index of a literal's value, if the column takes it. Dates and
    /// timestamps compare as instants, not as their text.
    pub(super) fn index_of_value(&self, value: &ScalarValue) -> Option<u64> {
        match (self, instant(value)) {
            (Kind::Date(d), Some(t)) => d.index_of(&t),
            _ => self.index_of(&raw(value)),
        }
    }

    /// The index of a value given as text, if the column takes it.
    pub(super) fn index_of(&self, text: &str) -> Option<u64> {
        match self {
            Kind::Enum(values) => values.iter().position(|v| v == text).map(|k| k as u64),
            Kind::Integer {
                min, max, interval, ..
            } => {
                let v: i64 = text.trim().parse().ok()?;
                let offset = v as i128 - *min as i128;
                (v >= *min && v <= *max && offset % *interval as i128 == 0)
                    .then(|| (offset / *interval as i128) as u64)
            }
            Kind::Date(d) => d.index_of(&d.pattern.parse_value(text)?),
            Kind::Injected => None,
        }
    }

    /// Whether values, read as the column's type, ascend with their index.
    pub(super) fn sorted(&self, data_type: &DataType) -> bool {
        let text = matches!(
            data_type,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        );
        match self {
            // Zero-padded to one width, text sorts as the numbers do.
            Kind::Integer {
                min, max, digits, ..
            } if text => {
                *min >= 0 && format!("{min:0digits$}").len() == format!("{max:0digits$}").len()
            }
            Kind::Integer { .. } => data_type.is_numeric(),
            Kind::Date(d) if text => d.pattern.sorts_chronologically(),
            Kind::Date(_) => matches!(
                data_type,
                DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
            ),
            Kind::Enum(_) | Kind::Injected => false,
        }
    }
}

impl DateRange {
    /// Whether one step of `interval` units is a span chrono can represent
    /// (the range is checked when the projection is read).
    pub(super) fn interval_fits(&self) -> bool {
        match self.step() {
            Step::Fixed(step) => step.is_some(),
            Step::Months(months) => months.is_some(),
        }
    }

    fn step(&self) -> Step {
        let secs: i64 = match self.unit {
            Unit::Weeks => 7 * 86_400,
            Unit::Days => 86_400,
            Unit::Hours => 3_600,
            Unit::Minutes => 60,
            Unit::Seconds => 1,
            Unit::Years | Unit::Months => {
                let per_unit = if self.unit == Unit::Years { 12 } else { 1 };
                return Step::Months(
                    self.interval
                        .checked_mul(per_unit)
                        .filter(|m| u32::try_from(*m).is_ok()),
                );
            }
        };
        Step::Fixed(
            secs.checked_mul(self.interval)
                .and_then(Duration::try_seconds)
                .filter(|d| d.num_milliseconds() > 0),
        )
    }

    /// `start + k * interval`.
    fn at(&self, k: u64) -> Option<NaiveDateTime> {
        let k = i64::try_from(k).ok()?;
        match self.step() {
            Step::Fixed(step) => {
                let ms = step?.num_milliseconds().checked_mul(k)?;
                self.start
                    .checked_add_signed(Duration::try_milliseconds(ms)?)
            }
            Step::Months(months) => {
                let months = u32::try_from(k.checked_mul(months?)?).ok()?;
                self.start.checked_add_months(Months::new(months))
            }
        }
    }

    pub(super) fn len(&self) -> u64 {
        if self.end < self.start {
            return 0;
        }
        let last = match self.step() {
            Step::Fixed(None) | Step::Months(None) => 0,
            Step::Fixed(Some(step)) => {
                ((self.end - self.start).num_milliseconds() / step.num_milliseconds()) as u64
            }
            Step::Months(Some(step)) => {
                use chrono::Datelike;
                let months = (self.end.year() as i64 - self.start.year() as i64) * 12
                    + self.end.month() as i64
                    - self.start.month() as i64;
                let mut k = (months / step).max(0) as u64;
                while k > 0 && self.at(k).is_none_or(|t| t > self.end) {
                    k -= 1;
                }
                k
            }
        };
        last + 1
    }

    pub(super) fn index_of(&self, t: &NaiveDateTime) -> Option<u64> {
        if *t < self.start || *t > self.end {
            return None;
        }
        let k = match self.step() {
            Step::Fixed(step) => {
                let step = step?.num_milliseconds();
                let diff = (*t - self.start).num_milliseconds();
                (diff % step == 0).then_some(diff / step)?
            }
            Step::Months(step) => {
                use chrono::Datelike;
                let step = step?;
                let months = (t.year() as i64 - self.start.year() as i64) * 12 + t.month() as i64
                    - self.start.month() as i64;
                (months % step == 0).then_some(months / step)?
            }
        } as u64;
        (self.at(k) == Some(*t)).then_some(k)
    }
}

/// One step of a date range: a fixed span, or a number of months (which
/// vary in length); `None` when the interval overflows either.
enum Step {
    Fixed(Option<Duration>),
    Months(Option<i64>),
}

impl Unit {
    pub(super) fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_uppercase();
        Some(match text.strip_suffix('S').unwrap_or(&text) {
            "YEAR" => Unit::Years,
            "MONTH" => Unit::Months,
            "WEEK" => Unit::Weeks,
            "DAY" => Unit::Days,
            "HOUR" => Unit::Hours,
            "MINUTE" => Unit::Minutes,
            "SECOND" => Unit::Seconds,
            _ => return None,
        })
    }

    /// Athena's default unit: the finest field the format shows.
    pub(super) fn finest(field: Field) -> Self {
        match field {
            Field::Year => Unit::Years,
            Field::Month => Unit::Months,
            Field::Day => Unit::Days,
            Field::Hour => Unit::Hours,
            Field::Minute => Unit::Minutes,
            Field::Second | Field::Millis => Unit::Seconds,
        }
    }
}

/// `.interval`: a positive integer, 1 when absent.
pub(super) fn positive(text: Option<&str>) -> Option<i64> {
    match text {
        None => Some(1),
        Some(t) => t.parse().ok().filter(|i| *i > 0),
    }
}

/// A date range bound: a date in the pattern, or `NOW[+-N UNIT]` (UTC),
/// truncated to what the pattern shows.
pub(super) fn date_bound(
    text: &str,
    pattern: &DatePattern,
    now: DateTime<Utc>,
) -> Option<NaiveDateTime> {
    let Some(rest) = text
        .get(..3)
        .filter(|p| p.eq_ignore_ascii_case("NOW"))
        .map(|_| text[3..].trim())
    else {
        return pattern.parse_value(text);
    };
    let now = now.naive_utc();
    let t = if rest.is_empty() {
        now
    } else {
        let (sign, rest) = match rest.as_bytes()[0] {
            b'+' => (1, rest[1..].trim()),
            b'-' => (-1, rest[1..].trim()),
            _ => return None,
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: i64 = rest[..digits].parse().ok()?;
        let unit = Unit::parse(&rest[digits..])?;
        let n = sign * n;
        let months = |m: i64| {
            if m >= 0 {
                now.checked_add_months(Months::new(u32::try_from(m).ok()?))
            } else {
                now.checked_sub_months(Months::new(u32::try_from(-m).ok()?))
            }
        };
        match unit {
            Unit::Years => months(n.checked_mul(12)?)?,
            Unit::Months => months(n)?,
            // Checked: `NOW+100000000 DAYS` is past chrono's last date.
            Unit::Weeks => now.checked_add_signed(Duration::try_weeks(n)?)?,
            Unit::Days => now.checked_add_signed(Duration::try_days(n)?)?,
            Unit::Hours => now.checked_add_signed(Duration::try_hours(n)?)?,
            Unit::Minutes => now.checked_add_signed(Duration::try_minutes(n)?)?,
            Unit::Seconds => now.checked_add_signed(Duration::try_seconds(n)?)?,
        }
    };
    Some(pattern.truncate(&t))
}

/// A date or timestamp literal as a UTC instant.
fn instant(value: &ScalarValue) -> Option<NaiveDateTime> {
    let t = match value {
        ScalarValue::Date32(Some(days)) => DateTime::from_timestamp(*days as i64 * 86_400, 0)?,
        ScalarValue::Date64(Some(ms)) | ScalarValue::TimestampMillisecond(Some(ms), _) => {
            DateTime::from_timestamp_millis(*ms)?
        }
        ScalarValue::TimestampSecond(Some(s), _) => DateTime::from_timestamp(*s, 0)?,
        ScalarValue::TimestampMicrosecond(Some(us), _) => DateTime::from_timestamp_micros(*us)?,
        ScalarValue::TimestampNanosecond(Some(ns), _) => DateTime::from_timestamp_nanos(*ns),
        _ => return None,
    };
    Some(t.naive_utc())
}

/// Text of a literal, as it would appear in a location.
pub(super) fn raw(value: &ScalarValue) -> String {
    match value {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => s.clone(),
        other => other.to_string(),
    }
}
