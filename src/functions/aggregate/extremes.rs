//! `max(x[, n])` and `min(x[, n])`: DataFusion's `max`/`min` for one
//! argument, and Trino's `n` largest (smallest) values for two.
//!
//! The one-argument form is planned as DataFusion's own aggregate (the
//! simplifier swaps it in), so it keeps DataFusion's grouped accumulators
//! and statistics shortcuts; where no simplifier runs (a window), every
//! call is handed to it.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::expr::{AggregateFunction, AggregateFunctionParams};
use datafusion::logical_expr::function::{
    AccumulatorArgs, AggregateFunctionSimplification, StateFieldsArgs,
};
use datafusion::logical_expr::utils::AggregateOrderSensitivity;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Expr, GroupsAccumulator, ReversedUDAF,
    SetMonotonicity, Signature, StatisticsArgs, Volatility,
};

use super::collect::{Collect, Kind};

/// `max` or `min` with Trino's optional `n`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct Extreme {
    builtin: Arc<AggregateUDF>,
    top: Arc<AggregateUDF>,
    signature: Signature,
}

impl Extreme {
    pub(super) fn new(builtin: Arc<AggregateUDF>, largest: bool) -> Self {
        let kind = if largest { Kind::MaxN } else { Kind::MinN };
        Self {
            builtin,
            top: Arc::new(AggregateUDF::new_from_impl(Collect::new(kind))),
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    fn inner(&self) -> &dyn AggregateUDFImpl {
        self.builtin.inner().as_ref()
    }
}

impl AggregateUDFImpl for Extreme {
    fn name(&self) -> &str {
        self.builtin.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, t: &[DataType]) -> Result<Vec<DataType>> {
        match t.len() {
            1 => super::percentiles::coerce(&self.builtin, t),
            2 => Ok(vec![t[0].clone(), DataType::Int64]),
            n => plan_err!("{} takes one or two arguments, got {n}", self.name()),
        }
    }

    fn return_type(&self, t: &[DataType]) -> Result<DataType> {
        match t.len() {
            1 => self.builtin.return_type(t),
            _ => self.top.return_type(t),
        }
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        match args.exprs.len() {
            1 => self.inner().accumulator(args),
            _ => self.top.accumulator(args),
        }
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        match args.input_fields.len() {
            1 => self.inner().state_fields(args),
            _ => self.top.state_fields(args),
        }
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        args.exprs.len() == 1 && self.inner().groups_accumulator_supported(args)
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        self.inner().create_groups_accumulator(args)
    }

    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        match args.exprs.len() {
            1 => self.inner().create_sliding_accumulator(args),
            _ => self.top.accumulator(args),
        }
    }

    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        self.inner().order_sensitivity()
    }

    fn reverse_expr(&self) -> ReversedUDAF {
        ReversedUDAF::Identical
    }

    fn is_descending(&self) -> Option<bool> {
        self.inner().is_descending()
    }

    fn value_from_stats(&self, args: &StatisticsArgs) -> Option<ScalarValue> {
        (args.exprs.len() == 1)
            .then(|| self.inner().value_from_stats(args))
            .flatten()
    }

    fn set_monotonicity(&self, t: &DataType) -> SetMonotonicity {
        self.inner().set_monotonicity(t)
    }

    fn simplify(&self) -> Option<AggregateFunctionSimplification> {
        let (builtin, top) = (Arc::clone(&self.builtin), Arc::clone(&self.top));
        Some(Box::new(move |function: AggregateFunction, _| {
            let AggregateFunctionParams {
                args,
                distinct,
                filter,
                order_by,
                null_treatment,
            } = function.params;
            let target = if args.len() == 1 { &builtin } else { &top };
            Ok(Expr::AggregateFunction(AggregateFunction::new_udf(
                Arc::clone(target),
                args,
                distinct,
                filter,
                order_by,
                null_treatment,
            )))
        }))
    }
}
