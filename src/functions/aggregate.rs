//! Aggregate functions: Trino's names over DataFusion's aggregates.
//!
//! `max_by`, `min_by` and `count_if` are planned as DataFusion aggregates
//! (`first_value ... ORDER BY`, `count(CASE ...)`) through the simplifier, so
//! they get DataFusion's grouped, vectorised accumulators. `arbitrary` and
//! `approx_percentile` are DataFusion's `any_value` and
//! `approx_percentile_cont` (`_with_weight`, `percentiles`) under Trino's names. `histogram` and `map_agg`
//! build maps (`maps`). `bool_and`, `bool_or` and
//! `array_agg(x ORDER BY y)` already behave as in Trino; `every` and
//! `bitwise_*_agg` are DataFusion's `bool_and` and `bit_*`.
//!
//! Trino's other aggregates: `max(x, n)`/`min(x, n)` (`extremes`),
//! `max_by(x, y, n)`, `map_union`, `multimap_agg` and
//! `approx_most_frequent` (`collect`), `geometric_mean`, `skewness` and
//! `kurtosis` (`stats`), `listagg` (`listagg`), `numeric_histogram`.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, not_impl_err, plan_err};
use datafusion::logical_expr::expr::{AggregateFunction, AggregateFunctionParams};
use datafusion::logical_expr::function::{AccumulatorArgs, AggregateFunctionSimplification};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, SortExpr, TypeSignature,
    Volatility, lit, when,
};
use datafusion::prelude::SessionContext;

mod collect;
mod extremes;
mod listagg;
mod maps;
mod numeric_histogram;
mod percentiles;
mod stats;

/// The aggregate functions, built over the session's own aggregates.
pub(crate) fn functions(ctx: &SessionContext) -> Vec<AggregateUDF> {
    let state = ctx.state();
    let builtin = |name: &str| state.aggregate_functions().get(name).cloned();
    let mut out = Vec::new();
    if let Some(first) = builtin("first_value") {
        out.push(AggregateUDF::new_from_impl(By::new(
            "max_by",
            Arc::clone(&first),
            false,
        )));
        out.push(AggregateUDF::new_from_impl(By::new("min_by", first, true)));
    }
    if let Some(count) = builtin("count") {
        out.push(AggregateUDF::new_from_impl(CountIf {
            signature: Signature::exact(vec![DataType::Boolean], Volatility::Immutable),
            count,
        }));
    }
    out.push(AggregateUDF::new_from_impl(maps::MapAggregate::new(
        maps::Kind::Histogram,
    )));
    out.push(AggregateUDF::new_from_impl(maps::MapAggregate::new(
        maps::Kind::MapAgg,
    )));
    for (builtin_name, trino) in [
        ("any_value", "arbitrary"),
        ("bool_and", "every"),
        ("bit_and", "bitwise_and_agg"),
        ("bit_or", "bitwise_or_agg"),
        ("bit_xor", "bitwise_xor_agg"),
        ("var_samp", "variance"),
    ] {
        if let Some(f) = builtin(builtin_name) {
            out.push(f.as_ref().clone().with_aliases([trino]));
        }
    }
    for (name, largest) in [("max", true), ("min", false)] {
        if let Some(f) = builtin(name) {
            out.push(AggregateUDF::new_from_impl(extremes::Extreme::new(
                f, largest,
            )));
        }
    }
    if let (Some(plain), Some(weighted)) = (
        builtin("approx_percentile_cont"),
        builtin("approx_percentile_cont_with_weight"),
    ) {
        out.push(AggregateUDF::new_from_impl(
            percentiles::ApproxPercentile::new(plain, weighted),
        ));
    }
    if let Some(f) = builtin("string_agg") {
        out.push(AggregateUDF::new_from_impl(listagg::Listagg::new(f)));
    }
    for stat in [
        stats::Stat::GeometricMean,
        stats::Stat::Skewness,
        stats::Stat::Kurtosis,
    ] {
        out.push(AggregateUDF::new_from_impl(stats::Statistic::new(stat)));
    }
    out.push(AggregateUDF::new_from_impl(
        numeric_histogram::NumericHistogram::new(),
    ));
    for kind in [
        collect::Kind::MapUnion,
        collect::Kind::MultimapAgg,
        collect::Kind::ApproxMostFrequent,
    ] {
        out.push(AggregateUDF::new_from_impl(collect::Collect::new(kind)));
    }
    out
}

/// `max_by(x, y)` / `min_by(x, y)`: the `x` of the row with the largest
/// (smallest) `y`; rows where `y` is NULL are ignored. `max_by(x, y, n)`:
/// the `x` of the `n` largest `y` (`collect`).
#[derive(Debug, PartialEq, Eq, Hash)]
struct By {
    name: &'static str,
    signature: Signature,
    first_value: Arc<AggregateUDF>,
    top: Arc<AggregateUDF>,
    ascending: bool,
}

impl By {
    fn new(name: &'static str, first_value: Arc<AggregateUDF>, ascending: bool) -> Self {
        let kind = if ascending {
            collect::Kind::MinByN
        } else {
            collect::Kind::MaxByN
        };
        Self {
            name,
            signature: Signature::one_of(
                vec![TypeSignature::Any(2), TypeSignature::Any(3)],
                Volatility::Immutable,
            ),
            first_value,
            top: Arc::new(AggregateUDF::new_from_impl(collect::Collect::new(kind))),
            ascending,
        }
    }
}

impl AggregateUDFImpl for By {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if arg_types.len() == 3 {
            return self.top.return_type(arg_types);
        }
        Ok(arg_types[0].clone())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        if args.exprs.len() == 3 {
            return self.top.accumulator(args);
        }
        not_impl_err!(
            "{} is planned as first_value and has no accumulator of its own",
            self.name
        )
    }

    fn state_fields(
        &self,
        args: datafusion::logical_expr::function::StateFieldsArgs,
    ) -> Result<Vec<datafusion::arrow::datatypes::FieldRef>> {
        self.top.state_fields(args)
    }

    fn simplify(&self) -> Option<AggregateFunctionSimplification> {
        let first_value = Arc::clone(&self.first_value);
        let top = Arc::clone(&self.top);
        let (name, ascending) = (self.name, self.ascending);
        Some(Box::new(move |function: AggregateFunction, _| {
            if function.params.args.len() == 3 {
                let p = function.params;
                return Ok(Expr::AggregateFunction(AggregateFunction::new_udf(
                    Arc::clone(&top),
                    p.args,
                    p.distinct,
                    p.filter,
                    p.order_by,
                    p.null_treatment,
                )));
            }
            let AggregateFunctionParams {
                args,
                distinct,
                filter,
                ..
            } = function.params;
            let [x, y]: [Expr; 2] = match args.try_into() {
                Ok(a) => a,
                Err(_) => return plan_err!("{name} takes two arguments"),
            };
            if distinct {
                return plan_err!("{name} does not take DISTINCT");
            }
            let has_y = y.clone().is_not_null();
            let filter = match filter {
                Some(f) => f.and(has_y),
                None => has_y,
            };
            Ok(Expr::AggregateFunction(AggregateFunction::new_udf(
                Arc::clone(&first_value),
                vec![x],
                false,
                Some(Box::new(filter)),
                vec![SortExpr::new(y, ascending, false)],
                None,
            )))
        }))
    }
}

/// `count_if(condition)`: the number of rows where `condition` is true.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CountIf {
    signature: Signature,
    count: Arc<AggregateUDF>,
}

impl AggregateUDFImpl for CountIf {
    fn name(&self) -> &str {
        "count_if"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        not_impl_err!("count_if is planned as count and has no accumulator of its own")
    }

    fn simplify(&self) -> Option<AggregateFunctionSimplification> {
        let count = Arc::clone(&self.count);
        Some(Box::new(move |function: AggregateFunction, _| {
            let AggregateFunctionParams { args, filter, .. } = function.params;
            let Some(condition) = args.into_iter().next() else {
                return plan_err!("count_if takes one argument");
            };
            Ok(Expr::AggregateFunction(AggregateFunction::new_udf(
                Arc::clone(&count),
                vec![when(condition, lit(1i64)).end()?],
                false,
                filter,
                vec![],
                None,
            )))
        }))
    }
}
