//! Trino's NULL rules for `array_min`, `array_max` and `contains`, over
//! DataFusion's functions, which skip NULL elements:
//!
//! - `array_min(x)`, `array_max(x)`: NULL when `x` holds a NULL element;
//! - `contains(x, e)`: true when found; NULL when not found and `x` holds a
//!   NULL element (the NULL might have been `e`); false otherwise;
//!
//! and Trino's defaults for `array_sort` (NULLs last) and `sequence`
//! (descending when `start > stop`), see [`defaults`].

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::compute::nullif;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, lit, when,
};

use super::super::finish;

/// Wraps the session's `array_min`, `array_max` and `array_has` (as
/// `contains`).
pub(super) fn functions(get: &impl Fn(&str) -> Option<Arc<ScalarUDF>>) -> Vec<ScalarUDF> {
    [
        ("array_min", "array_min", Rule::NullIfAnyNull),
        ("array_max", "array_max", Rule::NullIfAnyNull),
        ("array_has", "contains", Rule::NullIfMissedWithNulls),
    ]
    .into_iter()
    .filter_map(|(builtin, name, rule)| {
        get(builtin).map(|inner| ScalarUDF::new_from_impl(NullElements { name, inner, rule }))
    })
    .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Rule {
    NullIfAnyNull,
    NullIfMissedWithNulls,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct NullElements {
    name: &'static str,
    inner: Arc<ScalarUDF>,
    rule: Rule,
}

impl ScalarUDFImpl for NullElements {
    fn name(&self) -> &str {
        self.name
    }

    crate::functions::typed_as_inner!();

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let inputs = args.args.clone();
        let value = self.inner.invoke_with_args(args)?.to_array(rows)?;
        let holds_null = holds_null(&inputs[0].to_array(rows)?)?;
        let null_out: BooleanArray = match self.rule {
            Rule::NullIfAnyNull => holds_null,
            Rule::NullIfMissedWithNulls => {
                let found = value.as_boolean();
                (0..rows)
                    .map(|i| Some(holds_null.value(i) && found.is_valid(i) && !found.value(i)))
                    .collect()
            }
        };
        finish(&inputs, nullif(&value, &null_out)?)
    }
}

/// Per row, whether the array holds a NULL element.
fn holds_null(array: &ArrayRef) -> Result<BooleanArray> {
    let list = match array.data_type() {
        DataType::List(_) => array.as_list::<i32>().clone(),
        DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            cast(array, &DataType::List(Arc::clone(f)))?
                .as_list::<i32>()
                .clone()
        }
        _ => return Ok(BooleanArray::from(vec![false; array.len()])),
    };
    let offsets = list.value_offsets();
    let values = list.values();
    Ok((0..list.len())
        .map(|i| {
            Some(
                list.is_valid(i)
                    && (offsets[i]..offsets[i + 1]).any(|at| values.is_null(at as usize)),
            )
        })
        .collect())
}

/// Trino's defaults for DataFusion's `array_sort` (ascending, NULLs last;
/// DataFusion puts NULLs first) and `generate_series` as `sequence`
/// (descending by 1 when `start > stop`; DataFusion gives an empty array).
pub(super) fn defaults(get: &impl Fn(&str) -> Option<Arc<ScalarUDF>>) -> Vec<ScalarUDF> {
    [
        ("array_sort", "array_sort", Default::SortNullsLast),
        ("generate_series", "sequence", Default::StepTowardStop),
    ]
    .into_iter()
    .filter_map(|(builtin, name, default)| {
        get(builtin).map(|inner| {
            ScalarUDF::new_from_impl(Defaulted {
                name,
                inner,
                default,
            })
        })
    })
    .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Default {
    SortNullsLast,
    StepTowardStop,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Defaulted {
    name: &'static str,
    inner: Arc<ScalarUDF>,
    default: Default,
}

impl Defaulted {
    /// The arguments with Trino's default filled in, when it applies.
    fn with_default(&self, mut args: Vec<Expr>, types: &[DataType]) -> Result<Vec<Expr>> {
        match (self.default, args.len()) {
            (Default::SortNullsLast, 1) => {
                args.push(lit("ASC"));
                args.push(lit("NULLS LAST"));
            }
            (Default::StepTowardStop, 2) if types.iter().all(DataType::is_integer) => {
                let (start, stop) = (args[0].clone(), args[1].clone());
                args.push(when(start.lt_eq(stop), lit(1i64)).otherwise(lit(-1i64))?);
            }
            _ => {}
        }
        Ok(args)
    }
}

impl ScalarUDFImpl for Defaulted {
    fn name(&self) -> &str {
        self.name
    }

    crate::functions::typed_as_inner!();

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let types = args
            .iter()
            .map(|a| info.get_data_type(a))
            .collect::<Result<Vec<_>>>()?;
        Ok(ExprSimplifyResult::Simplified(
            self.inner.call(self.with_default(args, &types)?),
        ))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // Constant folding may invoke before simplifying: fill the default
        // in as scalar arguments.
        let mut args = args;
        match (self.default, args.args.len()) {
            (Default::SortNullsLast, 1) => {
                for text in ["ASC", "NULLS LAST"] {
                    args.args
                        .push(ColumnarValue::Scalar(ScalarValue::from(text)));
                    args.arg_fields
                        .push(Arc::new(Field::new("default", DataType::Utf8, false)));
                }
            }
            (Default::StepTowardStop, 2) => {
                if let (ColumnarValue::Scalar(start), ColumnarValue::Scalar(stop)) =
                    (&args.args[0], &args.args[1])
                    && start.data_type().is_integer()
                {
                    let step = if start <= stop { 1i64 } else { -1 };
                    let step = ScalarValue::Int64(Some(step)).cast_to(&start.data_type())?;
                    args.arg_fields
                        .push(Arc::new(Field::new("step", step.data_type(), false)));
                    args.args.push(ColumnarValue::Scalar(step));
                }
            }
            _ => {}
        }
        self.inner.invoke_with_args(args)
    }
}
