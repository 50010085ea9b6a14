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
pub(crate) const INTERNAL: [&str; 2] = [CAST_ROW, TRY_CAST_ROW];

/// `cast_row` and `try_cast_row`.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![lenient().remove(0), CastRow::udf(CAST_ROW, false)]
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
        check_shape(from.data_type(), to.data_type())?;
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
        let out = cast_with_options(&relabel(&value, to)?, to, &options)?;
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
