//! `approx_percentile(x, percentage)` and `approx_percentile(x, w,
//! percentage)`: DataFusion's `approx_percentile_cont` and
//! `approx_percentile_cont_with_weight`. A plain alias would read Trino's
//! weighted form as DataFusion's third argument, the number of centroids.
//!
//! The forms with an array of percentages are not supported: an aggregate
//! here returns one value per percentage call.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::function::{
    AccumulatorArgs, AggregateFunctionSimplification, StateFieldsArgs,
};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility,
};

/// `t` coerced as `udf`'s own signature would.
pub(super) fn coerce(udf: &AggregateUDF, t: &[DataType]) -> Result<Vec<DataType>> {
    let fields: Vec<FieldRef> = t
        .iter()
        .map(|t| {
            Arc::new(datafusion::arrow::datatypes::Field::new(
                "x",
                t.clone(),
                true,
            ))
        })
        .collect();
    Ok(
        datafusion::logical_expr::type_coercion::functions::fields_with_udf(&fields, udf)?
            .iter()
            .map(|f| f.data_type().clone())
            .collect(),
    )
}

/// Trino's `approx_percentile`, over DataFusion's two aggregates.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct ApproxPercentile {
    plain: Arc<AggregateUDF>,
    weighted: Arc<AggregateUDF>,
    signature: Signature,
}

impl ApproxPercentile {
    pub(super) fn new(plain: Arc<AggregateUDF>, weighted: Arc<AggregateUDF>) -> Self {
        Self {
            plain,
            weighted,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    /// The aggregate for `n` arguments.
    fn target(&self, n: usize) -> Result<&Arc<AggregateUDF>> {
        match n {
            2 => Ok(&self.plain),
            3 => Ok(&self.weighted),
            _ => plan_err!("approx_percentile takes two or three arguments, got {n}"),
        }
    }
}

impl AggregateUDFImpl for ApproxPercentile {
    fn name(&self) -> &str {
        "approx_percentile"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, t: &[DataType]) -> Result<Vec<DataType>> {
        if let Some(DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..)) =
            t.last()
        {
            return plan_err!("approx_percentile: an array of percentages is not supported");
        }
        coerce(self.target(t.len())?, t)
    }

    fn return_type(&self, t: &[DataType]) -> Result<DataType> {
        self.target(t.len())?.return_type(t)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        self.target(args.exprs.len())?.accumulator(args)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        self.target(args.input_fields.len())?.state_fields(args)
    }

    fn simplify(&self) -> Option<AggregateFunctionSimplification> {
        let (plain, weighted) = (Arc::clone(&self.plain), Arc::clone(&self.weighted));
        Some(Box::new(move |function: AggregateFunction, _| {
            let p = function.params;
            let target = match p.args.len() {
                2 => &plain,
                3 => &weighted,
                n => return plan_err!("approx_percentile takes two or three arguments, got {n}"),
            };
            Ok(Expr::AggregateFunction(AggregateFunction::new_udf(
                Arc::clone(target),
                p.args,
                p.distinct,
                p.filter,
                p.order_by,
                p.null_treatment,
            )))
        }))
    }
}
