//! Iceberg's partition transforms (identity, `bucket[N]` with Iceberg's
//! 32-bit Murmur3, `truncate[W]`, year, month, day, hour, void) applied to
//! single values, and Iceberg's binary single-value serialisation (the
//! bounds of manifests and manifest lists) in both directions.

use chrono::{DateTime, Datelike, NaiveDate};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;

const MICROS_PER_HOUR: i64 = 3_600_000_000;
const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A partition transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transform {
    Identity,
    Bucket(u32),
    Truncate(u32),
    Year,
    Month,
    Day,
    Hour,
    Void,
}

impl Transform {
    /// Parses a transform as metadata writes it (`bucket[16]`, `day`, ...).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_lowercase();
        let param = |prefix: &str| {
            text.strip_prefix(prefix)?
                .strip_prefix('[')?
                .strip_suffix(']')?
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
        };
        Some(match text.as_str() {
            "identity" => Transform::Identity,
            "year" => Transform::Year,
            "month" => Transform::Month,
            "day" => Transform::Day,
            "hour" => Transform::Hour,
            "void" => Transform::Void,
            _ => {
                if let Some(n) = param("bucket") {
                    Transform::Bucket(n)
                } else {
                    Transform::Truncate(param("truncate")?)
                }
            }
        })
    }

    /// The transform as metadata writes it.
    pub(crate) fn name(&self) -> String {
        match self {
            Transform::Identity => "identity".into(),
            Transform::Bucket(n) => format!("bucket[{n}]"),
            Transform::Truncate(w) => format!("truncate[{w}]"),
            Transform::Year => "year".into(),
            Transform::Month => "month".into(),
            Transform::Day => "day".into(),
            Transform::Hour => "hour".into(),
            Transform::Void => "void".into(),
        }
    }

    /// The type of the transform's result for a source column of `source`.
    pub(crate) fn result_type(&self, source: &DataType) -> DataType {
        match self {
            Transform::Identity | Transform::Truncate(_) | Transform::Void => match source {
                DataType::Utf8View | DataType::LargeUtf8 => DataType::Utf8,
                other => other.clone(),
            },
            Transform::Bucket(_) | Transform::Year | Transform::Month | Transform::Hour => {
                DataType::Int32
            }
            Transform::Day => DataType::Date32,
        }
    }

    /// The transform of one value; `None` when it does not apply to the
    /// value's type. NULL goes to NULL.
    pub(crate) fn apply(&self, value: &ScalarValue) -> Option<ScalarValue> {
        if value.is_null() {
            return ScalarValue::try_from(self.result_type(&value.data_type())).ok();
        }
        match self {
            Transform::Identity => Some(match value {
                ScalarValue::Utf8View(s) | ScalarValue::LargeUtf8(s) => {
                    ScalarValue::Utf8(s.clone())
                }
                other => other.clone(),
            }),
            Transform::Void => ScalarValue::try_from(value.data_type()).ok(),
            Transform::Bucket(n) => {
                let hash = hash(value)?;
                Some(ScalarValue::Int32(Some(
                    ((hash & i32::MAX) as u32 % n) as i32,
                )))
            }
            Transform::Truncate(w) => truncate(value, *w),
            Transform::Year | Transform::Month | Transform::Day | Transform::Hour => {
                self.time(value)
            }
        }
    }

    fn time(&self, value: &ScalarValue) -> Option<ScalarValue> {
        let micros = match value {
            ScalarValue::Date32(Some(days)) => {
                if *self == Transform::Hour {
                    return None;
                }
                *days as i64 * MICROS_PER_DAY
            }
            ScalarValue::TimestampMicrosecond(Some(v), _) => *v,
            ScalarValue::TimestampMillisecond(Some(v), _) => v * 1000,
            ScalarValue::TimestampSecond(Some(v), _) => v * 1_000_000,
            ScalarValue::TimestampNanosecond(Some(v), _) => v.div_euclid(1000),
            _ => return None,
        };
        let days = micros.div_euclid(MICROS_PER_DAY);
        let date = NaiveDate::from_num_days_from_ce_opt((days + 719_163) as i32)?;
        Some(match self {
            Transform::Year => ScalarValue::Int32(Some(date.year() - 1970)),
            Transform::Month => {
                ScalarValue::Int32(Some((date.year() - 1970) * 12 + date.month0() as i32))
            }
            Transform::Day => ScalarValue::Date32(Some(days as i32)),
            Transform::Hour => ScalarValue::Int32(Some(micros.div_euclid(MICROS_PER_HOUR) as i32)),
            _ => return None,
        })
    }

    /// A partition value as it appears in a data file's path
    /// (`ts_day=2024-05-04`, `id_bucket=3`), as Iceberg's writers spell it.
    pub(crate) fn path_value(&self, value: &ScalarValue) -> String {
        if value.is_null() {
            return "null".into();
        }
        let int = match value {
            ScalarValue::Int32(Some(v)) => Some(*v),
            _ => None,
        };
        match (self, int) {
            (Transform::Year, Some(y)) => format!("{}", 1970 + y),
            (Transform::Month, Some(m)) => {
                format!("{}-{:02}", 1970 + m.div_euclid(12), m.rem_euclid(12) + 1)
            }
            (Transform::Hour, Some(h)) => {
                let t = DateTime::from_timestamp(h as i64 * 3600, 0).unwrap_or_default();
                t.format("%Y-%m-%d-%H").to_string()
            }
            _ => match value {
                ScalarValue::Date32(Some(d)) => NaiveDate::from_num_days_from_ce_opt(d + 719_163)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                ScalarValue::TimestampMicrosecond(Some(v), _) => {
                    DateTime::from_timestamp_micros(*v)
                        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string())
                        .unwrap_or_default()
                }
                other => other.to_string(),
            },
        }
    }
}

fn truncate(value: &ScalarValue, w: u32) -> Option<ScalarValue> {
    let w64 = w as i64;
    Some(match value {
        ScalarValue::Int32(Some(v)) => ScalarValue::Int32(Some(v - v.rem_euclid(w as i32))),
        ScalarValue::Int64(Some(v)) => ScalarValue::Int64(Some(v - v.rem_euclid(w64))),
        ScalarValue::Decimal128(Some(v), p, s) => {
            ScalarValue::Decimal128(Some(v - v.rem_euclid(w as i128)), *p, *s)
        }
        ScalarValue::Utf8(Some(s))
        | ScalarValue::Utf8View(Some(s))
        | ScalarValue::LargeUtf8(Some(s)) => {
            ScalarValue::Utf8(Some(s.chars().take(w as usize).collect()))
        }
        ScalarValue::Binary(Some(b)) | ScalarValue::BinaryView(Some(b)) => {
            ScalarValue::Binary(Some(b.iter().take(w as usize).copied().collect()))
        }
        _ => return None,
    })
}

/// Iceberg's bucket hash of a value (Murmur3 x86 32-bit, seed 0, over the
/// value's hashing bytes as the spec defines them).
fn hash(value: &ScalarValue) -> Option<i32> {
    let long = |v: i64| murmur3(&v.to_le_bytes());
    Some(match value {
        ScalarValue::Int8(Some(v)) => long(*v as i64),
        ScalarValue::Int16(Some(v)) => long(*v as i64),
        ScalarValue::Int32(Some(v)) => long(*v as i64),
        ScalarValue::Int64(Some(v)) => long(*v),
        ScalarValue::Date32(Some(v)) => long(*v as i64),
        ScalarValue::Time64Microsecond(Some(v)) => long(*v),
        ScalarValue::TimestampMicrosecond(Some(v), _) => long(*v),
        ScalarValue::TimestampMillisecond(Some(v), _) => long(v * 1000),
        ScalarValue::TimestampSecond(Some(v), _) => long(v * 1_000_000),
        // Nanosecond timestamps hash as their microseconds (spec v3).
        ScalarValue::TimestampNanosecond(Some(v), _) => long(v.div_euclid(1000)),
        ScalarValue::Utf8(Some(s))
        | ScalarValue::Utf8View(Some(s))
        | ScalarValue::LargeUtf8(Some(s)) => murmur3(s.as_bytes()),
        ScalarValue::Binary(Some(b))
        | ScalarValue::BinaryView(Some(b))
        | ScalarValue::LargeBinary(Some(b))
        | ScalarValue::FixedSizeBinary(_, Some(b)) => murmur3(b),
        ScalarValue::Decimal128(Some(v), _, _) => murmur3(&decimal_bytes(*v)),
        _ => return None,
    })
}

/// The minimal big-endian two's-complement bytes of an unscaled decimal.
pub(crate) fn decimal_bytes(v: i128) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        let redundant = (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0);
        if !redundant {
            break;
        }
        start += 1;
    }
    bytes[start..].to_vec()
}

/// Murmur3 x86 32-bit with seed 0, as Guava's `murmur3_32` (Iceberg's).
pub(crate) fn murmur3(data: &[u8]) -> i32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h: u32 = 0;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut k: u32 = 0;
        for (i, b) in tail.iter().enumerate() {
            k |= (*b as u32) << (8 * i);
        }
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h as i32
}

/// Decodes a bound (Iceberg's single-value serialisation) as a value of
/// `data_type`; `None` when the bytes do not fit the type.
pub(crate) fn decode_bound(bytes: &[u8], data_type: &DataType) -> Option<ScalarValue> {
    let le4 = || bytes.try_into().ok().map(i32::from_le_bytes);
    let le8 = || -> Option<i64> {
        match bytes.len() {
            8 => bytes.try_into().ok().map(i64::from_le_bytes),
            // A column promoted from int to long keeps its old 4-byte bounds.
            4 => le4().map(|v| v as i64),
            _ => None,
        }
    };
    Some(match data_type {
        DataType::Boolean => ScalarValue::Boolean(Some(*bytes.first()? != 0)),
        DataType::Int32 => ScalarValue::Int32(Some(le4()?)),
        DataType::Int64 => ScalarValue::Int64(Some(le8()?)),
        DataType::Float32 => ScalarValue::Float32(Some(f32::from_le_bytes(bytes.try_into().ok()?))),
        DataType::Float64 => match bytes.len() {
            4 => ScalarValue::Float64(Some(f32::from_le_bytes(bytes.try_into().ok()?) as f64)),
            _ => ScalarValue::Float64(Some(f64::from_le_bytes(bytes.try_into().ok()?))),
        },
        DataType::Date32 => ScalarValue::Date32(Some(le4()?)),
        DataType::Time64(TimeUnit::Microsecond) => ScalarValue::Time64Microsecond(Some(le8()?)),
        DataType::Timestamp(TimeUnit::Microsecond, tz) => {
            ScalarValue::TimestampMicrosecond(Some(le8()?), tz.clone())
        }
        DataType::Timestamp(TimeUnit::Nanosecond, tz) => {
            ScalarValue::TimestampNanosecond(Some(le8()?), tz.clone())
        }
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => {
            ScalarValue::Utf8(Some(String::from_utf8(bytes.to_vec()).ok()?))
        }
        DataType::Binary | DataType::BinaryView | DataType::LargeBinary => {
            ScalarValue::Binary(Some(bytes.to_vec()))
        }
        DataType::FixedSizeBinary(n) => ScalarValue::FixedSizeBinary(*n, Some(bytes.to_vec())),
        DataType::Decimal128(p, s) => {
            if bytes.is_empty() || bytes.len() > 16 {
                return None;
            }
            let fill = if bytes[0] & 0x80 != 0 { 0xff } else { 0 };
            let mut full = [fill; 16];
            full[16 - bytes.len()..].copy_from_slice(bytes);
            ScalarValue::Decimal128(Some(i128::from_be_bytes(full)), *p, *s)
        }
        _ => return None,
    })
}

/// Encodes a value in Iceberg's single-value serialisation; `None` for NULL
/// and for types without one.
pub(crate) fn encode_bound(value: &ScalarValue) -> Option<Vec<u8>> {
    Some(match value {
        ScalarValue::Boolean(Some(v)) => vec![*v as u8],
        ScalarValue::Int32(Some(v)) | ScalarValue::Date32(Some(v)) => v.to_le_bytes().to_vec(),
        ScalarValue::Int64(Some(v))
        | ScalarValue::Time64Microsecond(Some(v))
        | ScalarValue::TimestampMicrosecond(Some(v), _)
        | ScalarValue::TimestampNanosecond(Some(v), _) => v.to_le_bytes().to_vec(),
        ScalarValue::Float32(Some(v)) => v.to_le_bytes().to_vec(),
        ScalarValue::Float64(Some(v)) => v.to_le_bytes().to_vec(),
        ScalarValue::Utf8(Some(s))
        | ScalarValue::Utf8View(Some(s))
        | ScalarValue::LargeUtf8(Some(s)) => s.as_bytes().to_vec(),
        ScalarValue::Binary(Some(b))
        | ScalarValue::BinaryView(Some(b))
        | ScalarValue::LargeBinary(Some(b))
        | ScalarValue::FixedSizeBinary(_, Some(b)) => b.clone(),
        ScalarValue::Decimal128(Some(v), _, _) => decimal_bytes(*v),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_hashes_match_the_spec_examples() {
        // The Iceberg spec's appendix B: hash values of sample inputs.
        assert_eq!(hash(&ScalarValue::Int32(Some(34))), Some(2017239379));
        assert_eq!(hash(&ScalarValue::Int64(Some(34))), Some(2017239379));
        assert_eq!(
            hash(&ScalarValue::Decimal128(Some(1420), 4, 2)),
            Some(-500754589)
        );
        assert_eq!(hash(&ScalarValue::Date32(Some(17486))), Some(-653330422));
        assert_eq!(
            hash(&ScalarValue::TimestampMicrosecond(
                Some(1510871468000000),
                None
            )),
            Some(-2047944441)
        );
        assert_eq!(
            hash(&ScalarValue::Utf8(Some("iceberg".into()))),
            Some(1210000089)
        );
        assert_eq!(
            hash(&ScalarValue::Binary(Some(vec![0, 1, 2, 3]))),
            Some(-188683207)
        );
    }

    #[test]
    fn time_and_truncate_transforms_follow_the_spec() {
        let ts = ScalarValue::TimestampMicrosecond(Some(1_714_845_600_000_000), None); // 2024-05-04 18:00
        assert_eq!(
            Transform::Year.apply(&ts),
            Some(ScalarValue::Int32(Some(54)))
        );
        assert_eq!(
            Transform::Month.apply(&ts),
            Some(ScalarValue::Int32(Some(652)))
        );
        assert_eq!(
            Transform::Day.apply(&ts),
            Some(ScalarValue::Date32(Some(19847)))
        );
        assert_eq!(
            Transform::Hour.apply(&ts),
            Some(ScalarValue::Int32(Some(476346)))
        );
        let before = ScalarValue::TimestampMicrosecond(Some(-1), None);
        assert_eq!(
            Transform::Day.apply(&before),
            Some(ScalarValue::Date32(Some(-1)))
        );
        assert_eq!(
            Transform::Truncate(10).apply(&ScalarValue::Int32(Some(-1))),
            Some(ScalarValue::Int32(Some(-10)))
        );
        assert_eq!(
            Transform::Truncate(3).apply(&ScalarValue::Utf8(Some("iceberg".into()))),
            Some(ScalarValue::Utf8(Some("ice".into())))
        );
        assert_eq!(
            Transform::Truncate(50).apply(&ScalarValue::Decimal128(Some(1065), 4, 2)),
            Some(ScalarValue::Decimal128(Some(1050), 4, 2))
        );
        assert_eq!(
            Transform::Month.path_value(&ScalarValue::Int32(Some(652))),
            "2024-05"
        );
        assert_eq!(
            Transform::Hour.path_value(&ScalarValue::Int32(Some(476346))),
            "2024-05-04-18"
        );
        assert_eq!(Transform::parse("bucket[16]"), Some(Transform::Bucket(16)));
        assert_eq!(Transform::parse("truncate[0]"), None);
    }

    #[test]
    fn bounds_round_trip() {
        for value in [
            ScalarValue::Int32(Some(-5)),
            ScalarValue::Int64(Some(1 << 40)),
            ScalarValue::Float64(Some(2.5)),
            ScalarValue::Utf8(Some("abc".into())),
            ScalarValue::Decimal128(Some(-12345), 10, 2),
            ScalarValue::Decimal128(Some(128), 10, 2),
            ScalarValue::TimestampMicrosecond(Some(1_714_845_600_000_000), None),
        ] {
            let bytes = encode_bound(&value).unwrap();
            assert_eq!(decode_bound(&bytes, &value.data_type()), Some(value));
        }
        assert_eq!(decimal_bytes(128), vec![0, 128]);
        assert_eq!(decimal_bytes(-1), vec![0xff]);
        assert_eq!(
            decode_bound(&7i32.to_le_bytes(), &DataType::Int64),
            Some(ScalarValue::Int64(Some(7)))
        );
    }
}
