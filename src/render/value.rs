//! Values as Athena prints them (ATHENA.md §6): timestamp
//! `2024-01-02 03:04:05.678`, date `2024-01-02`, array `[a, b]`, map `{k=1}`,
//! struct `{id=1, name=x}`. Arrow's display differs for nested values and
//! timestamps, so nested types are walked here and scalars use Arrow's
//! formatter with Athena's options.

use datafusion::arrow::array::{Array, AsArray, MapArray, StructArray};
use datafusion::arrow::datatypes::{DataType, Float16Type, Float32Type, Float64Type};
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
    /// `double` and `real`, as Java prints them (`1.0E10`, `Infinity`).
    Double,
    Real,
    /// `varbinary`, as Trino prints it: hex bytes separated by spaces.
    Binary,
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
            DataType::Float64 => Kind::Double,
            DataType::Float32 | DataType::Float16 => Kind::Real,
            DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_) => Kind::Binary,
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
            Kind::Double => {
                let v = self.array.as_primitive::<Float64Type>().value(row);
                out.push_str(&java_double(v));
            }
            Kind::Real => {
                let v = match self.array.data_type() {
                    DataType::Float16 => {
                        self.array.as_primitive::<Float16Type>().value(row).to_f32()
                    }
                    _ => self.array.as_primitive::<Float32Type>().value(row),
                };
                out.push_str(&java_float(v));
            }
            Kind::Binary => {
                let bytes: &[u8] = match self.array.data_type() {
                    DataType::LargeBinary => self.array.as_binary::<i64>().value(row),
                    DataType::BinaryView => self.array.as_binary_view().value(row),
                    DataType::FixedSizeBinary(_) => self.array.as_fixed_size_binary().value(row),
                    _ => self.array.as_binary::<i32>().value(row),
                };
                for (i, b) in bytes.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    _ = write!(out, "{b:02x}");
                }
            }
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

/// A double as Java's `Double.toString` prints it, which is how Athena
/// prints doubles: the shortest digits that read back as the value, in
/// plain notation with at least one fraction digit (`5.0`) for magnitudes
/// from 10^-3 up to 10^7, else in scientific notation (`1.0E10`,
/// `1.5E-4`); `NaN`, `Infinity`, `-Infinity`.
pub(crate) fn java_double(v: f64) -> String {
    java_text(v, v)
}

/// A `real` as Java's `Float.toString` prints it (the same rules as
/// [`java_double`], with the shortest digits of the 32-bit value).
pub(crate) fn java_float(v: f32) -> String {
    java_text(v, f64::from(v))
}

/// `v` in Java's notation; `wide` is its value as a double, for the tests.
fn java_text<T: std::fmt::Display + std::fmt::LowerExp>(v: T, wide: f64) -> String {
    if wide.is_nan() {
        return "NaN".into();
    }
    if wide.is_infinite() {
        return if wide < 0.0 { "-Infinity" } else { "Infinity" }.into();
    }
    if wide == 0.0 || (1e-3..1e7).contains(&wide.abs()) {
        let decimal = format!("{v}");
        return if decimal.contains('.') {
            decimal
        } else {
            format!("{decimal}.0")
        };
    }
    let scientific = format!("{v:e}");
    // Rust's `{:e}` gives `1e10` / `1.5e-4`; Java writes `1.0E10` / `1.5E-4`.
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.to_string()
    } else {
        format!("{mantissa}.0")
    };
    format!("{mantissa}E{exponent}")
}
