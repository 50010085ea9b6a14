//! Conditional functions: Trino's `if(condition, then[, else])`.
//!
//! `try(expression)` is not here: a scalar function receives its arguments
//! already evaluated, so it cannot catch the errors raised while evaluating
//! them (see the module docs of `functions`).

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::kernels::zip::zip;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::expr::Case;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::type_coercion::binary::type_union_resolution;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// The conditional functions.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![ScalarUDF::new_from_impl(If::new())]
}

/// `if(condition, then[, else])`: `then` when `condition` is true, else
/// `else` (NULL without one). Planned as `CASE`, so only the chosen branch
/// is evaluated.
#[derive(Debug, PartialEq, Eq, Hash)]
struct If {
    signature: Signature,
}

impl If {
    fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for If {
    fn name(&self) -> &str {
        "if"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if !(2..=3).contains(&arg_types.len()) {
            return plan_err!("if takes 2 or 3 arguments, got {}", arg_types.len());
        }
        let branches = &arg_types[1..];
        let Some(common) = type_union_resolution(branches) else {
            return plan_err!(
                "if: the branches have no common type ({})",
                branches
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        };
        let mut out = vec![DataType::Boolean];
        out.extend(branches.iter().map(|_| common.clone()));
        Ok(out)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[1].clone())
    }

    fn simplify(&self, args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let mut args = args.into_iter();
        let (Some(condition), Some(then)) = (args.next(), args.next()) else {
            return plan_err!("if takes 2 or 3 arguments");
        };
        let otherwise = args.next();
        Ok(ExprSimplifyResult::Simplified(Expr::Case(Case::new(
            None,
            vec![(Box::new(condition), Box::new(then))],
            otherwise.map(Box::new),
        ))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // Reached only when the plan was not simplified; both branches are evaluated.
        let rows = args.number_rows;
        let condition = args.args[0].to_array(rows)?;
        let then = args.args[1].to_array(rows)?;
        let otherwise = match args.args.get(2) {
            Some(e) => e.to_array(rows)?,
            None => ScalarValue::try_from(then.data_type())?.to_array_of_size(rows)?,
        };
        let condition = condition.as_boolean();
        let mask = match condition.nulls() {
            Some(_) => datafusion::arrow::compute::prep_null_mask_filter(condition),
            None => condition.clone(),
        };
        Ok(ColumnarValue::Array(zip(&mask, &then, &otherwise)?))
    }
}
