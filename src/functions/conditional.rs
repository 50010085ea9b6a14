//! Conditional functions: Trino's `if(condition, then[, else])` and
//! `try(expression)`.
//!
//! A function receives its arguments already evaluated, so `try` cannot
//! catch their errors itself. It is planned (through the simplifier) as a
//! higher-order function over its argument as a lambda without parameters
//! (`lambda::catch`), which evaluates the argument over the batch and, only
//! if that fails, again row by row, giving NULL for the rows that fail: any
//! error of the data turns into NULL, as in Trino. So that the usual cases
//! never pay for the row-by-row pass, the argument is planned first without
//! the errors Athena users wrap in `try`: casts become `TRY_CAST`, integer
//! and decimal division and modulo by zero give NULL, and the parsing
//! functions (`date_parse`, `parse_datetime`, `from_iso8601_*`,
//! `json_parse`) become twins that give NULL for text that does not parse.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::kernels::zip::zip;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::expr::Case;
use datafusion::logical_expr::expr::{
    BinaryExpr, Cast, HigherOrderFunction, Lambda, ScalarFunction, TryCast,
};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::type_coercion::binary::type_union_resolution;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::logical_expr::{Operator, lit, when};

/// The conditional functions; `lenient` are the twins `try` plans parsing
/// functions as.
pub(crate) fn functions(lenient: Vec<ScalarUDF>) -> Vec<ScalarUDF> {
    let twins = lenient
        .into_iter()
        .map(|f| (f.name().trim_start_matches("try_").to_string(), Arc::new(f)))
        .collect();
    vec![
        ScalarUDF::new_from_impl(If::new()),
        ScalarUDF::new_from_impl(Try {
            signature: Signature::user_defined(Volatility::Immutable),
            twins,
        }),
    ]
}

/// `try(expression)`: `expression`, with rows whose evaluation fails NULL.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Try {
    signature: Signature,
    /// Function name → its NULL-instead-of-error twin.
    twins: Vec<(String, Arc<ScalarUDF>)>,
}

impl ScalarUDFImpl for Try {
    fn name(&self) -> &str {
        "try"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() != 1 {
            return plan_err!("try takes one argument, got {}", arg_types.len());
        }
        Ok(arg_types.to_vec())
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let Some(expr) = args.into_iter().next() else {
            return plan_err!("try takes one argument");
        };
        let lenient = expr.transform_up(|e| match e {
            Expr::Cast(Cast { expr, field }) => {
                Ok(Transformed::yes(Expr::TryCast(TryCast { expr, field })))
            }
            // Integer and decimal division by zero fail; floating point gives infinity.
            Expr::BinaryExpr(BinaryExpr { left, op, right })
                if matches!(op, Operator::Divide | Operator::Modulo)
                    && info
                        .get_data_type(&right)
                        .is_ok_and(|t| t.is_integer() || t.is_decimal()) =>
            {
                let result_type = info.get_data_type(&Expr::BinaryExpr(BinaryExpr {
                    left: left.clone(),
                    op,
                    right: right.clone(),
                }))?;
                let zero = ScalarValue::new_zero(&info.get_data_type(&right)?)?;
                let guarded = when(
                    right.as_ref().clone().eq(lit(zero)),
                    lit(ScalarValue::try_from(&result_type)?),
                )
                .otherwise(Expr::BinaryExpr(BinaryExpr { left, op, right }))?;
                Ok(Transformed::yes(guarded))
            }
            Expr::ScalarFunction(f) => {
                match self.twins.iter().find(|(name, _)| name == f.func.name()) {
                    Some((_, twin)) => Ok(Transformed::yes(Expr::ScalarFunction(
                        ScalarFunction::new_udf(Arc::clone(twin), f.args),
                    ))),
                    None => Ok(Transformed::no(Expr::ScalarFunction(f))),
                }
            }
            other => Ok(Transformed::no(other)),
        })?;
        // Anything else that fails is caught, row by row.
        Ok(ExprSimplifyResult::Simplified(Expr::HigherOrderFunction(
            HigherOrderFunction::new(
                super::lambda::catch(),
                vec![Expr::Lambda(Lambda::new(vec![], lenient.data))],
            ),
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // Reached only when constant folding runs first: the argument evaluated.
        Ok(args.args[0].clone())
    }
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
