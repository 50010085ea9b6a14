//! Trino's casts to `ROW` types, which match fields by position.
//!
//! `CAST(ROW(1, 'x') AS ROW(a INTEGER, b VARCHAR))` names the anonymous
//! fields `a` and `b`; Trino pairs a row's fields with the target's by
//! position, always. DataFusion 55 casts structs by field name and refuses
//! structs that share no name, so `athena::syntax` plans every cast whose
//! target contains a `ROW` as `cast_row(expr, CAST(NULL AS target))` (or
//! `try_cast_row` for `TRY_CAST`): the second argument only carries the
//! target type. The value's fields are relabelled with the target's names,
//! at every depth (inside arrays and maps too), and Arrow's cast then pairs
//! them in order.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, GenericListArray, MapArray, OffsetSizeTrait, StructArray,
};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

/// The name `CAST(.. AS <type with ROW>)` is planned as.
pub(crate) const CAST_ROW: &str = "cast_row";
/// The name `TRY_CAST(.. AS <type with ROW>)` is planned as.
pub(crate) const TRY_CAST_ROW: &str = "try_cast_row";

/// The planned forms of the syntax, which SHOW FUNCTIONS and completion
/// leave out: nobody writes them.
pub(crate) const INTERNAL: [&str; 6] = [
    CAST_ROW,
    TRY_CAST_ROW,
    ROUND_FOR_INTEGER,
    CAST_TO_JSON,
    TEXT_FOR_VARCHAR,
    super::datetime::INTERVAL_TIMES,
];

/// The name `CAST(x AS JSON)` is planned as.
pub(crate) const CAST_TO_JSON: &str = "cast_to_json";

/// The name the value of `CAST(x AS <integer type>)` is wrapped in.
pub(crate) const ROUND_FOR_INTEGER: &str = "round_for_integer_cast";

/// The name the value of `CAST(x AS varchar)` is wrapped in.
pub(crate) const TEXT_FOR_VARCHAR: &str = "text_for_varchar_cast";

/// `cast_row`, `try_cast_row`, `round_for_integer_cast`,
/// `text_for_varchar_cast` and `cast_to_json`.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        text_for_varchar(),
        lenient().remove(0),
        CastRow::udf(CAST_ROW, false),
        round_for_integer(),
        super::Udf::scalar_udf(
            CAST_TO_JSON,
            Signature::any(1, Volatility::Immutable),
            |_| Ok(DataType::Utf8),
            cast_to_json,
        ),
    ]
}

/// A one-argument wrapper `athena::syntax` puts around the value of a cast
/// where Trino's conversion differs from Arrow's for some argument types:
/// for those it converts (`convert`), for every other type it plans as its
/// argument, so that other casts pay nothing; it is invisible in column
/// names (`CAST(x AS bigint)` is named as before).
#[derive(Debug)]
struct CastValue {
    name: &'static str,
    signature: Signature,
    /// The argument types it converts.
    needs: fn(&DataType) -> bool,
    /// The type it converts them to.
    returns: fn(&DataType) -> DataType,
    /// The conversion, of an array whose type `needs` it.
    convert: fn(ArrayRef) -> Result<ArrayRef>,
}

impl PartialEq for CastValue {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for CastValue {}

impl std::hash::Hash for CastValue {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl CastValue {
    fn udf(
        name: &'static str,
        needs: fn(&DataType) -> bool,
        returns: fn(&DataType) -> DataType,
        convert: fn(ArrayRef) -> Result<ArrayRef>,
    ) -> ScalarUDF {
        ScalarUDF::new_from_impl(Self {
            name,
            signature: Signature::any(1, Volatility::Immutable),
            needs,
            returns,
            convert,
        })
    }
}

impl ScalarUDFImpl for CastValue {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(if (self.needs)(&arg_types[0]) {
            (self.returns)(&arg_types[0])
        } else {
            arg_types[0].clone()
        })
    }

    fn schema_name(&self, args: &[datafusion::logical_expr::Expr]) -> Result<String> {
        Ok(args[0].schema_name().to_string())
    }

    fn display_name(&self, args: &[datafusion::logical_expr::Expr]) -> Result<String> {
        Ok(args[0].to_string())
    }

    fn simplify(
        &self,
        args: Vec<datafusion::logical_expr::Expr>,
        info: &datafusion::logical_expr::simplify::SimplifyContext,
    ) -> Result<datafusion::logical_expr::simplify::ExprSimplifyResult> {
        use datafusion::logical_expr::simplify::ExprSimplifyResult;
        let Some(value) = args.first() else {
            return plan_err!("{} takes one argument", self.name);
        };
        if (self.needs)(&info.get_data_type(value)?) {
            return Ok(ExprSimplifyResult::Original(args));
        }
        match args.into_iter().next() {
            Some(value) => Ok(ExprSimplifyResult::Simplified(value)),
            None => plan_err!("{} takes one argument", self.name),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let value = args.args[0].to_array(args.number_rows)?;
        let out = if (self.needs)(value.data_type()) {
            (self.convert)(value)?
        } else {
            value
        };
        super::finish(&args.args, out)
    }
}

/// `round_for_integer_cast(x)`: Trino casts a double or decimal to an
/// integer type by rounding half away from zero (`CAST(17.5E0 AS bigint)` is
/// 18); Arrow's cast truncates (17). Doubles, reals and decimals are rounded
/// to whole numbers (same type).
fn round_for_integer() -> ScalarUDF {
    CastValue::udf(
        ROUND_FOR_INTEGER,
        |t| t.is_floating() || t.is_decimal(),
        DataType::clone,
        |value| {
            use datafusion::arrow::array::Decimal128Array;
            use datafusion::arrow::datatypes::{Decimal128Type, Float32Type, Float64Type};
            Ok(match value.data_type() {
                DataType::Float64 => Arc::new(
                    value
                        .as_primitive::<Float64Type>()
                        .unary::<_, Float64Type>(f64::round),
                ) as ArrayRef,
                DataType::Float32 => Arc::new(
                    value
                        .as_primitive::<Float32Type>()
                        .unary::<_, Float32Type>(f32::round),
                ),
                DataType::Decimal128(_, scale) if *scale > 0 => {
                    let unit = 10i128.pow(u32::from(scale.unsigned_abs()));
                    let rounded: Decimal128Array =
                        value.as_primitive::<Decimal128Type>().unary(|v| {
                            let (whole, part) = (v / unit, v % unit);
                            let away = part.abs() * 2 >= unit;
                            (whole + if away { v.signum() } else { 0 }) * unit
                        });
                    Arc::new(rounded.with_data_type(value.data_type().clone()))
                }
                _ => value,
            })
        },
    )
}

/// `text_for_varchar_cast(x)`: Trino casts a timestamp to varchar as
/// `2024-05-01 10:00:00.123` and a double as Java prints it (`1.0E20`);
/// Arrow's cast writes `2024-05-01T10:00:00.123` and `100000000000000000000`.
/// Timestamps, doubles and reals become Athena's text (as lathe prints
/// them, `render::value`); every other type's Arrow text is Trino's.
fn text_for_varchar() -> ScalarUDF {
    CastValue::udf(
        TEXT_FOR_VARCHAR,
        |t| {
            matches!(
                t,
                DataType::Timestamp(..) | DataType::Float64 | DataType::Float32 | DataType::Float16
            )
        },
        |_| DataType::Utf8,
        |value| {
            use datafusion::arrow::array::StringBuilder;
            let formatter = crate::render::ValueFormatter::try_new(value.as_ref())?;
            let mut out = StringBuilder::with_capacity(value.len(), value.len() * 16);
            for row in 0..value.len() {
                if value.is_null(row) {
                    out.append_null();
                } else {
                    out.append_value(formatter.to_string(row));
                }
            }
            Ok(Arc::new(out.finish()))
        },
    )
}

/// `try_cast_row`, the twin `try(..)` plans `cast_row` as.
pub(crate) fn lenient() -> Vec<ScalarUDF> {
    vec![CastRow::udf(TRY_CAST_ROW, true)]
}

/// `cast_row(value, typed NULL)`: `value` cast, by position, to the type of
/// the second argument. `safe` gives NULL for values that do not convert.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CastRow {
    name: &'static str,
    signature: Signature,
    safe: bool,
}

impl CastRow {
    fn udf(name: &'static str, safe: bool) -> ScalarUDF {
        ScalarUDF::new_from_impl(Self {
            name,
            signature: Signature::any(2, Volatility::Immutable),
            safe,
        })
    }
}

impl ScalarUDFImpl for CastRow {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[1].clone())
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let [from, to] = args.arg_fields else {
            return plan_err!("{}: expects a value and a type", self.name);
        };
        if !is_text(from.data_type()) {
            check_shape(from.data_type(), to.data_type())?;
        }
        Ok(Arc::new(Field::new(
            self.name,
            to.data_type().clone(),
            true,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let to = args.return_field.data_type();
        let value = args.args[0].to_array(args.number_rows)?;
        let options = CastOptions {
            safe: self.safe,
            ..Default::default()
        };
        let out = if is_text(value.data_type()) && to.is_nested() {
            from_json(&value, to, self.safe)?
        } else {
            cast_with_options(&relabel(&value, to)?, to, &options)?
        };
        Ok(match &args.args[0] {
            ColumnarValue::Scalar(_) => {
                ColumnarValue::Scalar(datafusion::common::ScalarValue::try_from_array(&out, 0)?)
            }
            ColumnarValue::Array(_) => ColumnarValue::Array(out),
        })
    }
}

/// Fails, at planning, when a row of `from` cannot be paired field by field
/// with one of `to` (a different number of fields, or a row cast to a
/// scalar), naming both types as Trino does.
fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// JSON text (Athena's `json` values) read into the nested type `to`, as
/// Trino's casts from `json` read it: arrays from JSON arrays, maps and rows
/// from JSON objects (row fields by name), numbers and strings converted to
/// the element types. Text that is not JSON of that shape fails, or with
/// `safe` (`TRY_CAST`) gives NULL for that row.
fn from_json(text: &ArrayRef, to: &DataType, safe: bool) -> Result<ArrayRef> {
    use datafusion::arrow::json::ReaderBuilder;
    let text = cast_with_options(text, &DataType::Utf8, &CastOptions::default())?;
    let text = text.as_string::<i32>();
    let schema = Arc::new(datafusion::arrow::datatypes::Schema::new(vec![Field::new(
        "v",
        to.clone(),
        true,
    )]));
    let read = |lines: &[Option<&str>]| -> Result<ArrayRef> {
        let mut input = String::new();
        for line in lines {
            match line {
                Some(value) => {
                    input.push_str("{\"v\":");
                    input.push_str(value);
                    input.push_str("}\n");
                }
                None => input.push_str("{}\n"),
            }
        }
        let mut reader = ReaderBuilder::new(Arc::clone(&schema))
            .with_coerce_primitive(true)
            .with_batch_size(lines.len().max(1))
            .build(input.as_bytes())?;
        match reader.next() {
            Some(batch) => Ok(Arc::clone(batch?.column(0))),
            None => Ok(datafusion::arrow::array::new_null_array(to, 0)),
        }
    };
    let rows: Vec<Option<&str>> = text.iter().collect();
    match read(&rows) {
        Ok(out) if out.len() == rows.len() => Ok(out),
        Ok(_) => exec_err!("cannot cast JSON text to {to}: a value is not one JSON document"),
        Err(_) if safe => {
            // One row at a time, each that does not convert NULL.
            let parts = rows
                .iter()
                .map(|row| match read(std::slice::from_ref(row)) {
                    Ok(one) if one.len() == 1 => Ok(one),
                    _ => read(&[None]),
                })
                .collect::<Result<Vec<_>>>()?;
            let refs: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
            Ok(datafusion::arrow::compute::concat(&refs)?)
        }
        Err(e) => exec_err!("cannot cast JSON text to {to}: {e}"),
    }
}

fn check_shape(from: &DataType, to: &DataType) -> Result<()> {
    let fits = |from: &DataType, to: &DataType| check_shape(from, to).is_ok();
    let ok = match (from, to) {
        (DataType::Null, _) => true,
        (DataType::Struct(a), DataType::Struct(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b.iter())
                    .all(|(x, y)| fits(x.data_type(), y.data_type()))
        }
        (DataType::Struct(_), _) | (_, DataType::Struct(_)) => false,
        (
            DataType::List(a) | DataType::LargeList(a),
            DataType::List(b) | DataType::LargeList(b),
        ) => fits(a.data_type(), b.data_type()),
        (DataType::Map(a, _), DataType::Map(b, _)) => fits(a.data_type(), b.data_type()),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        plan_err!("cannot cast {from} to {to}: a ROW is cast field by field, by position")
    }
}

/// `array` with every struct's fields renamed to those of `to`, position by
/// position, at every depth; the values are untouched.
fn relabel(array: &ArrayRef, to: &DataType) -> Result<ArrayRef> {
    Ok(match (array.data_type(), to) {
        (DataType::Struct(from), DataType::Struct(target)) => {
            if from.len() != target.len() {
                return exec_err!("cannot cast {} to {to}", array.data_type());
            }
            let rows = array.as_struct();
            let columns = rows
                .columns()
                .iter()
                .zip(target.iter())
                .map(|(c, f)| relabel(c, f.data_type()))
                .collect::<Result<Vec<_>>>()?;
            let fields: Fields = from
                .iter()
                .zip(target.iter())
                .zip(&columns)
                .map(|((f, t), c)| Field::new(t.name(), c.data_type().clone(), f.is_nullable()))
                .collect();
            Arc::new(StructArray::try_new(
                fields,
                columns,
                rows.nulls().cloned(),
            )?)
        }
        (DataType::List(from), DataType::List(to) | DataType::LargeList(to)) => {
            relabel_list(array.as_list::<i32>(), from, to)?
        }
        (DataType::LargeList(from), DataType::List(to) | DataType::LargeList(to)) => {
            relabel_list(array.as_list::<i64>(), from, to)?
        }
        (DataType::Map(from, sorted), DataType::Map(target, _)) => {
            let map = array.as_map();
            let entries: ArrayRef = Arc::new(map.entries().clone());
            let entries = relabel(&entries, target.data_type())?;
            let field = Field::new(from.name(), entries.data_type().clone(), false);
            Arc::new(MapArray::try_new(
                Arc::new(field),
                map.offsets().clone(),
                entries.as_struct().clone(),
                map.nulls().cloned(),
                *sorted,
            )?)
        }
        _ => Arc::clone(array),
    })
}

/// A list with its items relabelled to the item type of `to`.
fn relabel_list<O: OffsetSizeTrait>(
    list: &GenericListArray<O>,
    from: &FieldRef,
    to: &FieldRef,
) -> Result<ArrayRef> {
    let values = relabel(list.values(), to.data_type())?;
    let item = Field::new(from.name(), values.data_type().clone(), from.is_nullable());
    Ok(Arc::new(GenericListArray::<O>::try_new(
        Arc::new(item),
        list.offsets().clone(),
        values,
        list.nulls().cloned(),
    )?))
}

/// `CAST(x AS JSON)`: the JSON text of `x`, as Trino's casts write it (a
/// string becomes a JSON string, an array an array, a map or a named row an
/// object, a date or timestamp its text); a SQL NULL stays NULL, a NULL
/// inside a value is `null`. Athena's `json` values are their text here.
fn cast_to_json(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    use datafusion::arrow::array::StringBuilder;
    let value = args[0].to_array(rows)?;
    let mut out = StringBuilder::new();
    for i in 0..rows {
        if value.is_null(i) {
            out.append_null();
            continue;
        }
        let mut text = String::new();
        json_text(
            &datafusion::common::ScalarValue::try_from_array(&value, i)?,
            &mut text,
        )?;
        out.append_value(text);
    }
    super::finish(args, Arc::new(out.finish()))
}

fn json_text(v: &datafusion::common::ScalarValue, out: &mut String) -> Result<()> {
    use datafusion::common::ScalarValue as S;
    use std::fmt::Write;
    let list = |array: &ArrayRef, out: &mut String| -> Result<()> {
        out.push('[');
        for i in 0..array.len() {
            if i > 0 {
                out.push(',');
            }
            json_text(&S::try_from_array(array, i)?, out)?;
        }
        out.push(']');
        Ok(())
    };
    match v {
        v if v.is_null() => out.push_str("null"),
        S::Boolean(Some(b)) => _ = write!(out, "{b}"),
        S::Float64(Some(x)) => out.push_str(&crate::render::java_double(*x)),
        S::Float32(Some(x)) => out.push_str(&crate::render::java_double(f64::from(*x))),
        S::Utf8(Some(s)) | S::LargeUtf8(Some(s)) | S::Utf8View(Some(s)) => {
            out.push_str(&serde_json::Value::from(s.as_str()).to_string());
        }
        S::List(a) => list(a.values(), out)?,
        S::LargeList(a) => list(a.values(), out)?,
        S::FixedSizeList(a) => list(a.values(), out)?,
        S::Struct(s) => {
            out.push('{');
            for (i, (field, column)) in s.fields().iter().zip(s.columns()).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::from(field.name().as_str()).to_string());
                out.push(':');
                json_text(&S::try_from_array(column, 0)?, out)?;
            }
            out.push('}');
        }
        S::Map(m) => {
            let entries = m.value(0);
            out.push('{');
            for i in 0..entries.len() {
                if i > 0 {
                    out.push(',');
                }
                let key = S::try_from_array(entries.column(0), i)?;
                let key = match key.try_as_str().flatten() {
                    Some(k) => k.to_string(),
                    None => key.to_string(),
                };
                out.push_str(&serde_json::Value::from(key).to_string());
                out.push(':');
                json_text(&S::try_from_array(entries.column(1), i)?, out)?;
            }
            out.push('}');
        }
        v if v.data_type().is_numeric() => _ = write!(out, "{v}"),
        v => {
            // Dates, timestamps and the rest: their text, as a JSON string.
            let array = v.to_array()?;
            let text = crate::render::text_of(array.as_ref(), 0)?;
            out.push_str(&serde_json::Value::from(text).to_string());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

    fn anonymous() -> ArrayRef {
        Arc::new(StructArray::from(vec![
            (
                Arc::new(Field::new("b", DataType::Utf8, true)),
                Arc::new(StringArray::from(vec!["7", "x"])) as ArrayRef,
            ),
            (
                Arc::new(Field::new("a", DataType::Int64, true)),
                Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef,
            ),
        ]))
    }

    fn target() -> DataType {
        DataType::Struct(Fields::from(vec![
            Field::new("a", DataType::Int32, true),
            Field::new("b", DataType::Utf8, true),
        ]))
    }

    fn show(array: &ArrayRef) -> Vec<String> {
        let f = ArrayFormatter::try_new(array, &FormatOptions::default()).unwrap();
        (0..array.len()).map(|i| f.value(i).to_string()).collect()
    }

    #[test]
    fn fields_pair_by_position_even_when_the_names_match_otherwise() {
        // Arrow alone would pair `a` with `a`; Trino pairs the first field
        // with the first: '7' becomes a = 7, and 'x' does not convert.
        let to = target();
        let relabelled = relabel(&anonymous(), &to).unwrap();
        let safe = CastOptions {
            safe: true,
            ..Default::default()
        };
        let out = cast_with_options(&relabelled, &to, &safe).unwrap();
        assert_eq!(show(&out), ["{a: 7, b: 1}", "{a: , b: 2}"]);
        let strict = CastOptions {
            safe: false,
            ..Default::default()
        };
        assert!(cast_with_options(&relabelled, &to, &strict).is_err());
    }

    #[test]
    fn a_row_of_another_width_is_refused_at_planning() {
        let one = DataType::Struct(Fields::from(vec![Field::new("x", DataType::Int64, true)]));
        let err = check_shape(&one, &target()).unwrap_err().to_string();
        assert!(err.contains("by position"), "{err}");
        assert!(check_shape(&DataType::Int64, &target()).is_err());
        assert!(
            check_shape(
                &DataType::new_list(one.clone(), true),
                &DataType::new_list(one, true)
            )
            .is_ok()
        );
    }
}
