//! Newline-delimited JSON to Arrow, by the catalog's schema, with the SerDe rules.
//!
//! Arrow's own JSON reader matches keys exactly and has no notion of Hive's
//! leniency, so the SerDes (ATHENA.md §4) need their own decoder: keys are
//! matched case-insensitively (also inside structs), the last duplicate key
//! wins, and a value that does not fit its column is NULL (OpenX) or an error
//! (Hive). [`LineDecoder`] plugs into DataFusion's streaming decoder machinery,
//! so scans stay DataFusion scans.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::NullBufferBuilder;
use datafusion::arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float32Builder,
    Float64Builder, Int8Builder, Int16Builder, Int32Builder, Int64Builder, ListArray, MapArray,
    RecordBatch, RecordBatchOptions, StringBuilder, StructArray, TimestampMillisecondBuilder,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, FieldRef, Fields, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion_datasource::decoder::Decoder;

use super::convert::{
    epoch_number_to_millis, parse_date_days, parse_decimal, parse_timestamp_millis,
};
use super::keys::{KeyIndex, fold};
use super::node::{Node, parse_picked};
use super::{JsonOptions, TimestampFormat};
use crate::catalog::JsonSerde;
use crate::error::Error;
use crate::lines::{LineSink, feed_lines};

/// Decodes JSON objects (one per call) into columns of a fixed schema.
pub(crate) struct RowDecoder {
    schema: SchemaRef,
    root: StructState,
    rows: usize,
    strict: bool,
    /// The top-level values of one row, by field (an allocation kept across rows).
    spare: Vec<Option<Node<'static>>>,
}

impl RowDecoder {
    pub(crate) fn new(schema: SchemaRef, options: &JsonOptions) -> Self {
        let rules = Arc::new(Rules {
            case_insensitive: options.case_insensitive,
            lowercase_keys: options.serde == JsonSerde::OpenX && options.case_insensitive,
            dots_in_keys: options.dots_in_keys,
            // Validated when the options were read; a bad one cannot reach here.
            timestamp_formats: options
                .timestamp_formats
                .iter()
                .filter_map(|f| TimestampFormat::parse(f).ok())
                .collect(),
        });
        let fields = schema.fields();
        let mut lookup = field_lookup(fields, options.case_insensitive);
        for (column, key) in &options.mappings {
            if let Some(i) = fields.iter().position(|f| f.name() == column) {
                lookup.retain(|_, v| *v != i);
                lookup.insert(fold(key, options.case_insensitive), i);
            }
        }
        let root = StructState::with_lookup(fields.clone(), &rules, lookup);
        Self {
            schema,
            root,
            rows: 0,
            strict: options.serde == JsonSerde::Hive,
            spare: Vec::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.rows
    }

    /// Decodes one line. `Err` carries the reason; the row is then not added
    /// (a malformed line) unless the caller asks for an all-NULL row.
    pub(crate) fn decode(&mut self, line: &[u8]) -> Result<(), String> {
        let mut slots = recycle(std::mem::take(&mut self.spare));
        slots.resize(self.root.children.len(), None);
        let keys = &mut self.root.keys;
        let parsed = parse_picked(line, |key| keys.get(key), &mut slots);
        let result = match parsed {
            Ok(None) => self.root.append_values(&slots, self.strict),
            Ok(Some(kind)) => Err(format!("expected a JSON object, found {kind}")),
            Err(e) => Err(format!("malformed JSON: {e}")),
        };
        self.spare = recycle(slots);
        result?;
        self.rows += 1;
        Ok(())
    }

    /// Adds a row with every column NULL (`ignore.malformed.json`).
    pub(crate) fn append_null_row(&mut self) {
        for child in &mut self.root.children {
            child.append_null();
        }
        self.rows += 1;
    }

    pub(crate) fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let columns = self
            .root
            .children
            .iter_mut()
            .map(Builder::finish)
            .collect::<Result<Vec<_>, _>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some(self.rows));
        self.rows = 0;
        RecordBatch::try_new_with_options(Arc::clone(&self.schema), columns, &options)
    }
}

impl Rules {
    /// Whether `timestamp.formats` says numbers are epoch milliseconds.
    fn has_millis(&self) -> bool {
        self.timestamp_formats
            .iter()
            .any(|f| matches!(f, TimestampFormat::Millis))
    }
}

/// An empty vector of another lifetime that keeps the allocation
/// (collecting in place reuses it), so rows need not allocate their slots.
fn recycle<'b>(mut slots: Vec<Option<Node<'_>>>) -> Vec<Option<Node<'b>>> {
    slots.clear();
    slots.into_iter().map(|_| None).collect()
}

/// Folded field name → field index.
fn field_lookup(fields: &Fields, case_insensitive: bool) -> HashMap<String, usize> {
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| (fold(f.name(), case_insensitive), i))
        .collect()
}

/// The SerDe rules every level of a row decodes by.
struct Rules {
    case_insensitive: bool,
    /// OpenX matching case-insensitively: nested JSON text has lower-case keys.
    lowercase_keys: bool,
    dots_in_keys: bool,
    timestamp_formats: Vec<TimestampFormat>,
}

struct StructState {
    fields: Fields,
    children: Vec<Builder>,
    nulls: NullBufferBuilder,
    keys: KeyIndex,
    /// Per object: index of the entry that feeds each field (reused buffer).
    slots: Vec<usize>,
}

const NO_ENTRY: usize = usize::MAX;

impl StructState {
    fn new(fields: Fields, rules: &Arc<Rules>) -> Self {
        let lookup = field_lookup(&fields, rules.case_insensitive);
        Self::with_lookup(fields, rules, lookup)
    }

    fn with_lookup(fields: Fields, rules: &Arc<Rules>, lookup: HashMap<String, usize>) -> Self {
        let children = fields
            .iter()
            .map(|f| Builder::new(f.data_type(), rules))
            .collect();
        Self {
            slots: vec![NO_ENTRY; fields.len()],
            fields,
            children,
            nulls: NullBufferBuilder::new(0),
            keys: KeyIndex::new(lookup, rules.case_insensitive, rules.dots_in_keys),
        }
    }

    fn append_entries(
        &mut self,
        entries: &[(std::borrow::Cow<'_, str>, Node<'_>)],
        strict: bool,
    ) -> Result<(), String> {
        self.slots.fill(NO_ENTRY);
        for (j, (key, _)) in entries.iter().enumerate() {
            if let Some(i) = self.keys.get(key) {
                // Later duplicates overwrite earlier ones: the last key wins.
                self.slots[i] = j;
            }
        }
        for (i, child) in self.children.iter_mut().enumerate() {
            let value = match self.slots[i] {
                NO_ENTRY => None,
                j => Some(&entries[j].1),
            };
            child
                .append(value, strict)
                .map_err(|e| format!("column {}: {e}", self.fields[i].name()))?;
        }
        Ok(())
    }

    /// Appends one row given each field's value.
    fn append_values(&mut self, values: &[Option<Node<'_>>], strict: bool) -> Result<(), String> {
        for ((child, value), field) in self.children.iter_mut().zip(values).zip(&self.fields) {
            child
                .append(value.as_ref(), strict)
                .map_err(|e| format!("column {}: {e}", field.name()))?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<StructArray, ArrowError> {
        let columns = self
            .children
            .iter_mut()
            .map(Builder::finish)
            .collect::<Result<Vec<_>, _>>()?;
        let nulls = self.nulls.finish();
        if self.fields.is_empty() {
            return Ok(StructArray::new_empty_fields(
                nulls.as_ref().map_or(0, |n| n.len()),
                nulls,
            ));
        }
        StructArray::try_new(self.fields.clone(), columns, nulls)
    }
}

struct ListState {
    field: FieldRef,
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
    child: Builder,
}

struct MapState {
    entries: FieldRef,
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
    keys: Builder,
    values: Builder,
}

/// One column's builder, shaped like its Arrow type.
enum Builder {
    Boolean(BooleanBuilder),
    Int8(Int8Builder),
    Int16(Int16Builder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Float32(Float32Builder),
    Float64(Float64Builder),
    Decimal(Decimal128Builder, u8, i8),
    /// Strings; the flag: nested values render with lower-cased keys.
    Utf8(StringBuilder, bool),
    Binary(BinaryBuilder),
    Date32(Date32Builder),
    Timestamp(TimestampMillisecondBuilder, Arc<Rules>),
    List(Box<ListState>),
    Map(Box<MapState>),
    Struct(Box<StructState>),
}

impl Builder {
    fn new(data_type: &DataType, rules: &Arc<Rules>) -> Self {
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
            DataType::Timestamp(_, _) => {
                Builder::Timestamp(TimestampMillisecondBuilder::new(), Arc::clone(rules))
            }
            DataType::List(field) => Builder::List(Box::new(ListState {
                field: Arc::clone(field),
                offsets: vec![0],
                nulls: NullBufferBuilder::new(0),
                child: Builder::new(field.data_type(), rules),
            })),
            DataType::Map(entries, _) => {
                let DataType::Struct(kv) = entries.data_type() else {
                    unreachable!("map entries are a struct by construction")
                };
                Builder::Map(Box::new(MapState {
                    entries: Arc::clone(entries),
                    offsets: vec![0],
                    nulls: NullBufferBuilder::new(0),
                    keys: Builder::new(kv[0].data_type(), rules),
                    values: Builder::new(kv[1].data_type(), rules),
                }))
            }
            DataType::Struct(fields) => {
                Builder::Struct(Box::new(StructState::new(fields.clone(), rules)))
            }
            // Every Hive type maps to one of the above; strings are the fallback.
            _ => Builder::Utf8(StringBuilder::new(), rules.lowercase_keys),
        }
    }

    fn append_null(&mut self) {
        match self {
            Builder::Boolean(b) => b.append_null(),
            Builder::Int8(b) => b.append_null(),
            Builder::Int16(b) => b.append_null(),
            Builder::Int32(b) => b.append_null(),
            Builder::Int64(b) => b.append_null(),
            Builder::Float32(b) => b.append_null(),
            Builder::Float64(b) => b.append_null(),
            Builder::Decimal(b, _, _) => b.append_null(),
            Builder::Utf8(b, _) => b.append_null(),
            Builder::Binary(b) => b.append_null(),
            Builder::Date32(b) => b.append_null(),
            Builder::Timestamp(b, _) => b.append_null(),
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

    /// Appends one value. A value that does not fit is NULL, or an error when strict.
    fn append(&mut self, value: Option<&Node<'_>>, strict: bool) -> Result<(), String> {
        let Some(value) = value.filter(|v| !matches!(v, Node::Null)) else {
            self.append_null();
            return Ok(());
        };
        let fitted = match self.append_scalar(value) {
            Some(fitted) => fitted,
            None => self.append_nested(value, strict)?,
        };
        if fitted {
            Ok(())
        } else if strict {
            Err(format!(
                "{} {} does not fit the column's type",
                value.kind(),
                preview(value)
            ))
        } else {
            self.append_null();
            Ok(())
        }
    }

    /// Appends a value to a scalar column: `Some(false)` (and nothing appended)
    /// when it does not convert, `None` for nested columns.
    fn append_scalar(&mut self, value: &Node<'_>) -> Option<bool> {
        Some(match self {
            Builder::Boolean(b) => match as_bool(value) {
                Some(v) => {
                    b.append_value(v);
                    true
                }
                None => false,
            },
            Builder::Int8(b) => push(b, as_i64(value).and_then(|v| i8::try_from(v).ok())),
            Builder::Int16(b) => push(b, as_i64(value).and_then(|v| i16::try_from(v).ok())),
            Builder::Int32(b) => push(b, as_i64(value).and_then(|v| i32::try_from(v).ok())),
            Builder::Int64(b) => push(b, as_i64(value)),
            Builder::Float32(b) => push(b, as_f64(value).map(|v| v as f32)),
            Builder::Float64(b) => push(b, as_f64(value)),
            Builder::Decimal(b, p, s) => push(b, as_decimal(value, *p, *s)),
            Builder::Utf8(b, lowercase_keys) => {
                match value {
                    Node::Str(s) => b.append_value(s),
                    // OpenX: an object or array read into a string column is its JSON text.
                    other if *lowercase_keys => b.append_value(other.to_json_lowercase_keys()),
                    other => b.append_value(other.to_json()),
                }
                true
            }
            Builder::Binary(b) => match value {
                Node::Str(s) => {
                    b.append_value(s.as_bytes());
                    true
                }
                _ => false,
            },
            Builder::Date32(b) => push(b, as_str(value).and_then(parse_date_days)),
            Builder::Timestamp(b, rules) => push(
                b,
                match value {
                    // Hive `timestamp.formats` first, then the default forms.
                    Node::Str(s) => rules
                        .timestamp_formats
                        .iter()
                        .find_map(|f| f.millis(s))
                        .or_else(|| parse_timestamp_millis(s)),
                    Node::Int(i) if rules.has_millis() => Some(*i),
                    Node::Int(i) => epoch_number_to_millis(*i as f64),
                    Node::UInt(u) => epoch_number_to_millis(*u as f64),
                    Node::Float(f) => epoch_number_to_millis(*f),
                    _ => None,
                },
            ),
            Builder::List(_) | Builder::Map(_) | Builder::Struct(_) => return None,
        })
    }

    fn append_nested(&mut self, value: &Node<'_>, strict: bool) -> Result<bool, String> {
        Ok(match self {
            Builder::List(l) => {
                match value {
                    Node::Array(items) => {
                        for item in items {
                            l.child.append(Some(item), strict)?;
                        }
                        push_offset(&mut l.offsets, items.len())?;
                    }
                    // OpenX: a scalar given for an array column is a one-element array.
                    scalar => {
                        l.child.append(Some(scalar), strict)?;
                        push_offset(&mut l.offsets, 1)?;
                    }
                }
                l.nulls.append_non_null();
                true
            }
            Builder::Map(m) => match value {
                Node::Object(entries) => {
                    let mut count = 0;
                    for (key, value) in entries {
                        // Map keys cannot be NULL: a key that does not convert
                        // to the key type drops its entry.
                        if m.keys.append_scalar(&Node::Str(key.clone())) == Some(true) {
                            m.values.append(Some(value), strict)?;
                            count += 1;
                        } else if strict {
                            return Err(format!("map key {key:?} does not fit the key type"));
                        }
                    }
                    push_offset(&mut m.offsets, count)?;
                    m.nulls.append_non_null();
                    true
                }
                _ => false,
            },
            Builder::Struct(s) => match value {
                Node::Object(entries) => {
                    s.append_entries(entries, strict)?;
                    s.nulls.append_non_null();
                    true
                }
                _ => false,
            },
            _ => false,
        })
    }

    fn finish(&mut self) -> Result<ArrayRef, ArrowError> {
        Ok(match self {
            Builder::Boolean(b) => Arc::new(b.finish()),
            Builder::Int8(b) => Arc::new(b.finish()),
            Builder::Int16(b) => Arc::new(b.finish()),
            Builder::Int32(b) => Arc::new(b.finish()),
            Builder::Int64(b) => Arc::new(b.finish()),
            Builder::Float32(b) => Arc::new(b.finish()),
            Builder::Float64(b) => Arc::new(b.finish()),
            Builder::Decimal(b, _, _) => Arc::new(b.finish()),
            Builder::Utf8(b, _) => Arc::new(b.finish()),
            Builder::Binary(b) => Arc::new(b.finish()),
            Builder::Date32(b) => Arc::new(b.finish()),
            Builder::Timestamp(b, _) => Arc::new(b.finish()),
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
                    unreachable!("map entries are a struct by construction")
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
            Builder::Struct(s) => Arc::new(s.finish()?),
        })
    }
}

fn push<T>(
    builder: &mut datafusion::arrow::array::PrimitiveBuilder<T>,
    value: Option<T::Native>,
) -> bool
where
    T: datafusion::arrow::datatypes::ArrowPrimitiveType,
{
    match value {
        Some(v) => {
            builder.append_value(v);
            true
        }
        None => false,
    }
}

fn push_offset(offsets: &mut Vec<i32>, count: usize) -> Result<(), String> {
    let last = *offsets.last().unwrap_or(&0);
    let next = i32::try_from(count)
        .ok()
        .and_then(|c| last.checked_add(c))
        .ok_or("array values exceed 2^31 elements in one batch")?;
    offsets.push(next);
    Ok(())
}

fn as_str<'n>(value: &'n Node<'_>) -> Option<&'n str> {
    match value {
        Node::Str(s) => Some(s),
        _ => None,
    }
}

fn as_bool(value: &Node<'_>) -> Option<bool> {
    match value {
        Node::Bool(b) => Some(*b),
        Node::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Node::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn as_i64(value: &Node<'_>) -> Option<i64> {
    match value {
        Node::Int(i) => Some(*i),
        Node::UInt(u) => i64::try_from(*u).ok(),
        // Hive reads a number with a fraction into an integer column as NULL.
        Node::Float(_) => None,
        Node::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_f64(value: &Node<'_>) -> Option<f64> {
    match value {
        Node::Int(i) => Some(*i as f64),
        Node::UInt(u) => Some(*u as f64),
        Node::Float(f) => Some(*f),
        Node::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_decimal(value: &Node<'_>, precision: u8, scale: i8) -> Option<i128> {
    match value {
        Node::Int(i) => parse_decimal(&i.to_string(), precision, scale),
        Node::UInt(u) => parse_decimal(&u.to_string(), precision, scale),
        Node::Float(f) => parse_decimal(&f.to_string(), precision, scale),
        Node::Str(s) => parse_decimal(s, precision, scale),
        _ => None,
    }
}

fn preview(value: &Node<'_>) -> String {
    let text = value.to_json();
    if text.chars().count() > 40 {
        format!("{}...", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

/// Splits a byte stream into lines and feeds them to a [`RowDecoder`],
/// counting lines so that errors name the file and line.
pub(crate) struct LineDecoder {
    rows: RowDecoder,
    batch_size: usize,
    partial: Vec<u8>,
    file: String,
    line: u64,
    ignore_malformed: bool,
}

impl std::fmt::Debug for LineDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineDecoder")
            .field("file", &self.file)
            .field("line", &self.line)
            .finish()
    }
}

impl LineDecoder {
    pub(crate) fn new(
        schema: SchemaRef,
        options: &JsonOptions,
        batch_size: usize,
        file: String,
    ) -> Self {
        Self {
            rows: RowDecoder::new(schema, options),
            batch_size: batch_size.max(1),
            partial: Vec::new(),
            file,
            line: 0,
            ignore_malformed: options.ignore_malformed,
        }
    }

    fn decode_line(&mut self, line: &[u8]) -> Result<(), ArrowError> {
        self.line += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        match self.rows.decode(line) {
            Ok(()) => Ok(()),
            Err(_) if self.ignore_malformed && !self.rows.strict => {
                self.rows.append_null_row();
                Ok(())
            }
            Err(reason) => Err(ArrowError::ExternalError(Box::new(Error::MalformedJson {
                file: self.file.clone(),
                line: self.line,
                reason,
            }))),
        }
    }
}

impl LineSink for LineDecoder {
    fn line(&mut self, line: &[u8]) -> Result<(), ArrowError> {
        self.decode_line(line)
    }

    fn full(&self) -> bool {
        self.rows.len() >= self.batch_size
    }
}

impl Decoder for LineDecoder {
    fn decode(&mut self, buf: &[u8]) -> Result<usize, ArrowError> {
        let mut partial = std::mem::take(&mut self.partial);
        let consumed = feed_lines(&mut partial, buf, b'\n', self);
        self.partial = partial;
        consumed
    }

    fn flush(&mut self) -> Result<Option<RecordBatch>, ArrowError> {
        if self.rows.len() == 0 {
            return Ok(None);
        }
        self.rows.finish().map(Some)
    }

    fn can_flush_early(&self) -> bool {
        self.rows.len() >= self.batch_size
    }
}

#[cfg(test)]
mod tests;
