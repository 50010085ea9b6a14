//! `greatest` and `least` with Trino's NULL rule: NULL when any argument is
//! NULL. DataFusion's skip NULLs (`greatest(5, NULL)` is 5 there, NULL in
//! Trino); everything else (coercion, NaN ordering) is DataFusion's, which
//! these wrap.

use std::sync::Arc;

use datafusion::arrow::array::{Array, BooleanArray};
use datafusion::arrow::compute::kernels::boolean::not;
use datafusion::arrow::compute::nullif;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, when,
};

use super::finish;

pub(crate) fn functions() -> Vec<ScalarUDF> {
    [
        datafusion::functions::core::greatest(),
        datafusion::functions::core::least(),
    ]
    .into_iter()
    .map(|inner| ScalarUDF::new_from_impl(NullStrict { inner }))
    .collect()
}

/// DataFusion's `inner`, NULL for rows where any argument is NULL.
#[derive(Debug, PartialEq, Eq, Hash)]
struct NullStrict {
    inner: Arc<ScalarUDF>,
}

impl ScalarUDFImpl for NullStrict {
    fn name(&self) -> &str {
        self.inner.name()
    }

    crate::functions::typed_as_inner!();

    /// `CASE WHEN a IS NULL OR b IS NULL .. THEN NULL ELSE inner(a, b, ..) END`.
    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let any_null = args
            .iter()
            .map(|a| a.clone().is_null())
            .reduce(Expr::or)
            .unwrap_or_else(|| Expr::Literal(ScalarValue::Boolean(Some(false)), None));
        let value = self.inner.call(args);
        let null = ScalarValue::try_from(&info.get_data_type(&value)?)?;
        Ok(ExprSimplifyResult::Simplified(
            when(any_null, Expr::Literal(null, None)).otherwise(value)?,
        ))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // Constant folding may invoke before simplifying.
        let rows = args.number_rows;
        let inputs = args.args.clone();
        let value = self.inner.invoke_with_args(args)?.to_array(rows)?;
        let mut all_valid = BooleanArray::from(vec![true; rows]);
        for input in &inputs {
            let input = input.to_array(rows)?;
            let valid: BooleanArray = (0..rows).map(|i| Some(input.is_valid(i))).collect();
            all_valid = datafusion::arrow::compute::and(&all_valid, &valid)?;
        }
        finish(&inputs, nullif(&value, &not(&all_valid)?)?)
    }
}
