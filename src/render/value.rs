//! Values as Athena prints them (ATHENA.md §6): timestamp
//! `2024-01-02 03:04:05.678`, date `2024-01-02`, array `[a, b]`, map `{k=1}`,
//! struct `{id=1, name=x}`. Arrow's display differs for nested values and
//! timestamps, so nested types are walked here and scalars use Arrow's
//! formatter with Athena's options.

use datafusion::arrow::array::{Array, AsArray, MapArray, StructArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

/// Formats the values of one column.
pub(crate) struct ValueFormatter<'a> {
    array: &'a dyn Array,
    kind: Kind<'a>,
}

enum Kind<'a> {
    Scalar(ArrayFormatter<'a>),
    /// A timestamp with a time zone: local time, then the zone's name, as
    /// Athena prints `timestamp with time zone` (`... 03:04:05.678 UTC`).
    Zoned(ArrayFormatter<'a>, String),
    List(Box<ValueFormatter<'a>>),
    Struct(Vec<(String, ValueFormatter<'a>)>),
    Map(Box<ValueFormatter<'a>>, Box<ValueFormatter<'a>>),
}

fn options() -> FormatOptions<'static> {
    FormatOptions::new()
        .with_null("null")
        .with_date_format(Some("%Y-%m-%d"))
        .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.3f"))
        .with_timestamp_tz_format(Some("%Y-%m-%d %H:%M:%S%.3f"))
}

impl<'a> ValueFormatter<'a> {
    pub(crate) fn try_new(array: &'a dyn Array) -> Result<Self, ArrowError> {
        let kind = match array.data_type() {
            DataType::List(_) => Kind::List(Box::new(Self::try_new(
                array.as_list::<i32>().values().as_ref(),
            )?)),
            DataType::LargeList(_) => Kind::List(Box::new(Self::try_new(
                array.as_list::<i64>().values().as_ref(),
            )?)),
            DataType::Struct(fields) => {
                let s: &StructArray = array.as_struct();
                let children = fields
                    .iter()
                    .zip(s.columns())
                    .map(|(f, c)| Ok((f.name().clone(), Self::try_new(c.as_ref())?)))
                    .collect::<Result<Vec<_>, ArrowError>>()?;
                Kind::Struct(children)
            }
            DataType::Map(_, _) => {
                let m: &MapArray = array.as_map();
                Kind::Map(
                    Box::new(Self::try_new(m.keys().as_ref())?),
                    Box::new(Self::try_new(m.values().as_ref())?),
                )
            }
            DataType::Timestamp(_, Some(zone)) => {
                let label = match zone.as_ref() {
                    "+00:00" | "Z" | "+0000" | "UTC" | "Etc/UTC" => "UTC".to_string(),
                    other => other.to_string(),
                };
                Kind::Zoned(ArrayFormatter::try_new(array, &options())?, label)
            }
            _ => Kind::Scalar(ArrayFormatter::try_new(array, &options())?),
        };
        Ok(Self { array, kind })
    }

    /// Whether the value at `row` is NULL (callers print NULL their own way).
    pub(crate) fn is_null(&self, row: usize) -> bool {
        self.array.is_null(row)
    }

    /// Writes the value at `row`; nested NULLs print as `null`.
    pub(crate) fn write(&self, row: usize, out: &mut String) {
        use std::fmt::Write;
        if self.array.is_null(row) {
            out.push_str("null");
            return;
        }
        match &self.kind {
            Kind::Scalar(f) => _ = write!(out, "{}", f.value(row)),
            Kind::Zoned(f, zone) => _ = write!(out, "{} {zone}", f.value(row)),
            Kind::List(items) => {
                let (start, end) = match self.array.data_type() {
                    DataType::LargeList(_) => {
                        let o = self.array.as_list::<i64>().value_offsets();
                        (o[row] as usize, o[row + 1] as usize)
                    }
                    _ => {
                        let o = self.array.as_list::<i32>().value_offsets();
                        (o[row] as usize, o[row + 1] as usize)
                    }
                };
                out.push('[');
                for i in start..end {
                    if i > start {
                        out.push_str(", ");
                    }
                    items.write(i, out);
                }
                out.push(']');
            }
            Kind::Struct(children) => {
                out.push('{');
                for (i, (name, child)) in children.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(name);
                    out.push('=');
                    child.write(row, out);
                }
                out.push('}');
            }
            Kind::Map(keys, values) => {
                let o = self.array.as_map().value_offsets();
                let (start, end) = (o[row] as usize, o[row + 1] as usize);
                out.push('{');
                for i in start..end {
                    if i > start {
                        out.push_str(", ");
                    }
                    keys.write(i, out);
                    out.push('=');
                    values.write(i, out);
                }
                out.push('}');
            }
        }
    }

    /// The value at `row` as a new string.
    pub(crate) fn to_string(&self, row: usize) -> String {
        let mut s = String::new();
        self.write(row, &mut s);
        s
    }
}
