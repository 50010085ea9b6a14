//! `listagg(x[, separator]) WITHIN GROUP (ORDER BY y)`: the values joined,
//! planned as DataFusion's `string_agg(x, separator ORDER BY y)`.
//!
//! DataFusion's planner hands a `WITHIN GROUP` aggregate its ordering key as
//! an extra first argument (and the ordering); the simplifier drops it. As
//! in DataFusion, `WITHIN GROUP` takes one ordering key. Trino's
//! `ON OVERFLOW` clause and its 1 MB limit are not supported.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, not_impl_err, plan_err};
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::function::{AccumulatorArgs, AggregateFunctionSimplification};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility, cast, lit,
};

/// `listagg`, over the session's `string_agg`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct Listagg {
    string_agg: Arc<AggregateUDF>,
    signature: Signature,
}

impl Listagg {
    pub(super) fn new(string_agg: Arc<AggregateUDF>) -> Self {
        Self {
            string_agg,
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for Listagg {
    fn name(&self) -> &str {
        "listagg"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    /// `string_agg`'s type (LargeUtf8 in DataFusion 55), which the plan
    /// must keep when the simplifier swaps one for the other.
    fn return_type(&self, _t: &[DataType]) -> Result<DataType> {
        self.string_agg
            .return_type(&[DataType::Utf8, DataType::Utf8])
    }

    fn supports_within_group_clause(&self) -> bool {
        true
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        not_impl_err!("listagg is planned as string_agg and has no accumulator of its own")
    }

    fn simplify(&self) -> Option<AggregateFunctionSimplification> {
        let string_agg = Arc::clone(&self.string_agg);
        Some(Box::new(move |function: AggregateFunction, _| {
            let p = function.params;
            let mut args = p.args;
            // WITHIN GROUP: the ordering key came first.
            if !p.order_by.is_empty() && !args.is_empty() {
                args.remove(0);
            }
            let (value, separator) = match args.len() {
                1 => (args.remove(0), lit("")),
                2 => {
                    let separator = args.remove(1);
                    (args.remove(0), separator)
                }
                n => return plan_err!("listagg takes a value and a separator, got {n} arguments"),
            };
            if !matches!(separator, Expr::Literal(..)) {
                return plan_err!("listagg: the separator must be a constant string");
            }
            Ok(Expr::AggregateFunction(AggregateFunction::new_udf(
                Arc::clone(&string_agg),
                vec![cast(value, DataType::Utf8), separator],
                p.distinct,
                p.filter,
                p.order_by,
                p.null_treatment,
            )))
        }))
    }
}
