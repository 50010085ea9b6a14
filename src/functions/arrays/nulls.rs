//! Trino's NULL rules for `array_min`, `array_max` and `contains`, over
//! DataFusion's functions, which skip NULL elements:
//!
//! - `array_min(x)`, `array_max(x)`: NULL when `x` holds a NULL element;
//! - `contains(x, e)`: true when found; NULL when not found and `x` holds a
//!   NULL element (the NULL might have been `e`); false otherwise.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::compute::nullif;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
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

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

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
