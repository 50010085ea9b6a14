//! Text fields into Arrow columns, by the declared Hive type.
//!
//! Two dialects: Hive's lazy text rules (LazySimpleSerDe and RegexSerDe: a
//! value that does not parse is NULL; nested types split by the collection
//! and map-key delimiters) and Athena's OpenCSVSerDe conversions (DATE as days
//! since 1970, TIMESTAMP as epoch milliseconds, no nested types).

use std::borrow::Cow;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float32Builder,
    Float64Builder, Int8Builder, Int16Builder, Int32Builder, Int64Builder, ListArray, MapArray,
    NullBufferBuilder, PrimitiveBuilder, StringBuilder, StructArray, TimestampMillisecondBuilder,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{ArrowPrimitiveType, DataType, FieldRef, Fields};
use datafusion::arrow::error::ArrowError;

use super::split::{split_delimited, unescape};
use crate::json::TimestampFormat;
use crate::json::convert::{parse_date_days, parse_decimal, parse_timestamp_millis};

/// Which conversion rules values follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Hive's lazy text rules (LazySimpleSerDe, RegexSerDe).
    Hive,
    /// Athena's reading of OpenCSVSerDe's strings.
    OpenCsv,
}

/// What every level of a row converts by.
#[derive(Debug)]
pub(crate) struct Rules {
    pub(crate) dialect: Dialect,
    /// Delimiters by nesting level (see `split::separators`).
    pub(crate) separators: Vec<u8>,
    pub(crate) escape: Option<u8>,
    pub(crate) escape_crlf: bool,
    pub(crate) null_format: Option<Vec<u8>>,
    pub(crate) timestamp_formats: Vec<TimestampFormat>,
}

impl Rules {
    fn separator(&self, level: usize) -> u8 {
        // Deeper than Hive's table of delimiters: reuse the last one.
        self.separators
            .get(level)
            .or(self.separators.last())
            .copied()
            .unwrap_or(1)
    }
}

pub(crate) struct ListState {
    field: FieldRef,
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
    child: Builder,
}

pub(crate) struct MapState {
    entries: FieldRef,
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
    keys: Builder,
    values: Builder,
}

pub(crate) struct StructState {
    fields: Fields,
    children: Vec<Builder>,
    nulls: NullBufferBuilder,
}

/// One column's builder, shaped like its Arrow type.
pub(crate) enum Builder {
    Boolean(BooleanBuilder),
    Int8(Int8Builder),
    Int16(Int16Builder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Float32(Float32Builder),
    Float64(Float64Builder),
    Decimal(Decimal128Builder, u8, i8),
    Utf8(StringBuilder),
    Binary(BinaryBuilder),
    Date32(Date32Builder),
    Timestamp(TimestampMillisecondBuilder),
    List(Box<ListState>),
    Map(Box<MapState>),
    Struct(Box<StructState>),
}

impl Builder {
    pub(crate) fn new(data_type: &DataType) -> Self {
        match data_type {
            DataType::Boolean => Builder::Boolean(BooleanBuilder::new()),
            DataType::Int8 => Builder::Int8(Int8Builder::new()),
            DataType::Int16 => Builder::Int16(Int16Builder::new()),
            DataType::Int32 => Builder::Int32(Int32Builder::new()),
            DataType::Int64 => Builder::Int64(Int64Builder::new()),
            DataType::Float32 => Builder::Float32(Float32Builder::new()),
            DataType::Float64 => Builder::Float64(Float64Builder::new()),
            DataType::Decimal128(p, s) => Builder::Decimal(
                Decimal128Builder::new().with_data_type(DataType::Decimal128(*p, *s)),
                *p,
                *s,
            ),
            DataType::Binary => Builder::Binary(BinaryBuilder::new()),
            DataType::Date32 => Builder::Date32(Date32Builder::new()),
            DataType::Timestamp(_, _) => Builder::Timestamp(TimestampMillisecondBuilder::new()),
            DataType::List(field) => Builder::List(Box::new(ListState {
                field: Arc::clone(field),
                offsets: vec![0],
                nulls: NullBufferBuilder::new(0),
                child: Builder::new(field.data_type()),
            })),
            DataType::Map(entries, _) => {
                let (key, value) = match entries.data_type() {
                    DataType::Struct(kv) if kv.len() == 2 => {
                        (kv[0].data_type().clone(), kv[1].data_type().clone())
                    }
                    _ => (DataType::Utf8, DataType::Utf8),
                };
                Builder::Map(Box::new(MapState {
                    entries: Arc::clone(entries),
                    offsets: vec![0],
                    nulls: NullBufferBuilder::new(0),
                    keys: Builder::new(&key),
                    values: Builder::new(&value),
                }))
            }
            DataType::Struct(fields) => Builder::Struct(Box::new(StructState {
                fields: fields.clone(),
                children: fields.iter().map(|f| Builder::new(f.data_type())).collect(),
                nulls: NullBufferBuilder::new(0),
            })),
            // Every Hive type maps to one of the above; strings are the fallback.
            _ => Builder::Utf8(StringBuilder::new()),
        }
    }

    pub(crate) fn append_null(&mut self) {
        match self {
            Builder::Boolean(b) => b.append_null(),
            Builder::Int8(b) => b.append_null(),
            Builder::Int16(b) => b.append_null(),
            Builder::Int32(b) => b.append_null(),
            Builder::Int64(b) => b.append_null(),
            Builder::Float32(b) => b.append_null(),
            Builder::Float64(b) => b.append_null(),
            Builder::Decimal(b, _, _) => b.append_null(),
            Builder::Utf8(b) => b.append_null(),
            Builder::Binary(b) => b.append_null(),
            Builder::Date32(b) => b.append_null(),
            Builder::Timestamp(b) => b.append_null(),
            Builder::List(l) => {
                l.offsets.push(*l.offsets.last().unwrap_or(&0));
                l.nulls.append_null();
            }
            Builder::Map(m) => {
                m.offsets.push(*m.offsets.last().unwrap_or(&0));
                m.nulls.append_null();
            }
            Builder::Struct(s) => {
                for child in &mut s.children {
                    child.append_null();
                }
                s.nulls.append_null();
            }
        }
    }

    /// Appends a LazySimpleSerDe value: raw (still escaped) bytes at nesting
    /// `level` (1 for a column). The null format, or a value that does not
    /// parse, is NULL.
    pub(crate) fn append_lazy(&mut self, bytes: &[u8], rules: &Rules, level: usize) {
        if rules.null_format.as_deref() == Some(bytes) {
            self.append_null();
            return;
        }
        match self {
            Builder::List(l) => {
                let mut count = 0;
                // An empty field is an empty array, not an array of one empty value.
                if !bytes.is_empty() {
                    for (start, end) in split_all(bytes, rules.separator(level), rules.escape) {
                        l.child.append_lazy(&bytes[start..end], rules, level + 1);
                        count += 1;
                    }
                }
                push_offset(&mut l.offsets, count);
                l.nulls.append_non_null();
            }
            Builder::Map(m) => {
                let mut count = 0;
                if !bytes.is_empty() {
                    let mut seen: Vec<&[u8]> = Vec::new();
                    for (start, end) in split_all(bytes, rules.separator(level), rules.escape) {
                        let entry = &bytes[start..end];
                        let mut kv = Vec::with_capacity(2);
                        split_delimited(
                            entry,
                            rules.separator(level + 1),
                            rules.escape,
                            2,
                            true,
                            &mut kv,
                        );
                        let key = &entry[kv[0].0..kv[0].1];
                        // Map keys cannot be NULL, and the first of duplicate keys wins (Hive's LazyMap).
                        if rules.null_format.as_deref() == Some(key) || seen.contains(&key) {
                            continue;
                        }
                        if !m.keys.append_scalar(&unescaped(key, rules), rules) {
                            continue;
                        }
                        seen.push(key);
                        match kv.get(1) {
                            Some(&(s, e)) => m.values.append_lazy(&entry[s..e], rules, level + 2),
                            None => m.values.append_null(),
                        }
                        count += 1;
                    }
                }
                push_offset(&mut m.offsets, count);
                m.nulls.append_non_null();
            }
            Builder::Struct(s) => {
                let mut parts = Vec::new();
                split_delimited(
                    bytes,
                    rules.separator(level),
                    rules.escape,
                    s.children.len(),
                    false,
                    &mut parts,
                );
                for (i, child) in s.children.iter_mut().enumerate() {
                    match parts.get(i) {
                        Some(&(start, end)) => {
                            child.append_lazy(&bytes[start..end], rules, level + 1)
                        }
                        None => child.append_null(),
                    }
                }
                s.nulls.append_non_null();
            }
            _ => {
                if !self.append_scalar(&unescaped(bytes, rules), rules) {
                    self.append_null();
                }
            }
        }
    }

    /// Appends a scalar read from text; `false` (and nothing appended) when
    /// it does not read as the column's type. Nested columns take no scalars.
    pub(crate) fn append_scalar(&mut self, text: &str, rules: &Rules) -> bool {
        let hive = rules.dialect == Dialect::Hive;
        match self {
            Builder::Boolean(b) => {
                let value = if text.eq_ignore_ascii_case("true") {
                    Some(true)
                } else if text.eq_ignore_ascii_case("false") {
                    Some(false)
                } else {
                    None
                };
                match value {
                    Some(v) => {
                        b.append_value(v);
                        true
                    }
                    None => false,
                }
            }
            Builder::Int8(b) => push(b, parse_int(text, hive).and_then(|v| i8::try_from(v).ok())),
            Builder::Int16(b) => push(b, parse_int(text, hive).and_then(|v| i16::try_from(v).ok())),
            Builder::Int32(b) => push(b, parse_int(text, hive).and_then(|v| i32::try_from(v).ok())),
            Builder::Int64(b) => push(b, parse_int(text, hive)),
            Builder::Float32(b) => push(b, text.trim().parse::<f32>().ok()),
            Builder::Float64(b) => push(b, text.trim().parse::<f64>().ok()),
            Builder::Decimal(b, p, s) => push(b, parse_decimal(text, *p, *s)),
            Builder::Utf8(b) => {
                b.append_value(text);
                true
            }
            Builder::Binary(b) => {
                // Hive's LazyBinary reads base64 when the bytes are base64.
                match hive.then(|| decode_base64(text.as_bytes())).flatten() {
                    Some(decoded) => b.append_value(decoded),
                    None => b.append_value(text.as_bytes()),
                }
                true
            }
            Builder::Date32(b) => push(
                b,
                if hive {
                    parse_date_days(text)
                } else {
                    // OpenCSVSerDe in Athena: days since 1970-01-01.
                    text.trim().parse().ok()
                },
            ),
            Builder::Timestamp(b) => push(
                b,
                if hive {
                    rules
                        .timestamp_formats
                        .iter()
                        .find_map(|f| f.millis(text))
                        // Hive reads java.sql.Timestamp text, never bare epoch numbers.
                        .or_else(|| {
                            (!text.trim().bytes().all(|c| c.is_ascii_digit()))
                                .then(|| parse_timestamp_millis(text))
                                .flatten()
                        })
                } else {
                    // OpenCSVSerDe in Athena: epoch milliseconds.
                    text.trim().parse().ok()
                },
            ),
            Builder::List(_) | Builder::Map(_) | Builder::Struct(_) => false,
        }
    }

    pub(crate) fn finish(&mut self) -> Result<ArrayRef, ArrowError> {
        Ok(match self {
            Builder::Boolean(b) => Arc::new(b.finish()),
            Builder::Int8(b) => Arc::new(b.finish()),
            Builder::Int16(b) => Arc::new(b.finish()),
            Builder::Int32(b) => Arc::new(b.finish()),
            Builder::Int64(b) => Arc::new(b.finish()),
            Builder::Float32(b) => Arc::new(b.finish()),
            Builder::Float64(b) => Arc::new(b.finish()),
            Builder::Decimal(b, _, _) => Arc::new(b.finish()),
            Builder::Utf8(b) => Arc::new(b.finish()),
            Builder::Binary(b) => Arc::new(b.finish()),
            Builder::Date32(b) => Arc::new(b.finish()),
            Builder::Timestamp(b) => Arc::new(b.finish()),
            Builder::List(l) => {
                let offsets = std::mem::replace(&mut l.offsets, vec![0]);
                Arc::new(ListArray::try_new(
                    Arc::clone(&l.field),
                    OffsetBuffer::new(offsets.into()),
                    l.child.finish()?,
                    l.nulls.finish(),
                )?)
            }
            Builder::Map(m) => {
                let offsets = std::mem::replace(&mut m.offsets, vec![0]);
                let DataType::Struct(kv) = m.entries.data_type() else {
                    return Err(ArrowError::SchemaError(
                        "map entries are not a struct".into(),
                    ));
                };
                let entries = StructArray::try_new(
                    kv.clone(),
                    vec![m.keys.finish()?, m.values.finish()?],
                    None,
                )?;
                Arc::new(MapArray::try_new(
                    Arc::clone(&m.entries),
                    OffsetBuffer::new(offsets.into()),
                    entries,
                    m.nulls.finish(),
                    false,
                )?)
            }
            Builder::Struct(s) => {
                let columns = s
                    .children
                    .iter_mut()
                    .map(Builder::finish)
                    .collect::<Result<Vec<_>, _>>()?;
                let nulls = s.nulls.finish();
                if s.fields.is_empty() {
                    Arc::new(StructArray::new_empty_fields(
                        nulls.as_ref().map_or(0, |n| n.len()),
                        nulls,
                    ))
                } else {
                    Arc::new(StructArray::try_new(s.fields.clone(), columns, nulls)?)
                }
            }
        })
    }
}

/// Every field of a nested value.
fn split_all(bytes: &[u8], delim: u8, escape: Option<u8>) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    split_delimited(bytes, delim, escape, usize::MAX, false, &mut parts);
    parts
}

/// A field's text with LazySimpleSerDe escapes removed; invalid UTF-8 is
/// replaced, as Hive's `Text` decoding does.
pub(crate) fn unescaped<'a>(bytes: &'a [u8], rules: &Rules) -> Cow<'a, str> {
    match rules.escape {
        Some(escape) if memchr::memchr(escape, bytes).is_some() => {
            let mut out = Vec::with_capacity(bytes.len());
            unescape(bytes, escape, rules.escape_crlf, &mut out);
            Cow::Owned(String::from_utf8_lossy(&out).into_owned())
        }
        _ => String::from_utf8_lossy(bytes),
    }
}

/// Integers: Java's `Long.parseLong` for OpenCSV; Hive's `LazyLong` also
/// takes a fraction and drops it (`12.7` is 12).
fn parse_int(text: &str, hive: bool) -> Option<i64> {
    if !hive {
        return text.parse().ok();
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = whole.strip_prefix(['-', '+']).unwrap_or(whole);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    whole.parse().ok()
}

fn push<T: ArrowPrimitiveType>(
    builder: &mut PrimitiveBuilder<T>,
    value: Option<T::Native>,
) -> bool {
    match value {
        Some(v) => {
            builder.append_value(v);
            true
        }
        None => false,
    }
}

fn push_offset(offsets: &mut Vec<i32>, count: usize) {
    let last = *offsets.last().unwrap_or(&0);
    // A batch holds at most batch_size lines, far below 2^31 elements.
    offsets.push(last.saturating_add(i32::try_from(count).unwrap_or(i32::MAX)));
}

/// Standard base64 (padding optional), as commons-codec decodes it; `None`
/// when any byte is outside the alphabet.
fn decode_base64(bytes: &[u8]) -> Option<Vec<u8>> {
    fn value(b: u8) -> Option<u32> {
        Some(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let data = bytes
        .strip_suffix(b"==")
        .or_else(|| bytes.strip_suffix(b"="))
        .unwrap_or(bytes);
    if data.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &b in data {
        acc = (acc << 6) | value(b)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}
