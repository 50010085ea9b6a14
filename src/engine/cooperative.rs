//! Joins that make rows without reading input must still yield.
//!
//! DataFusion's cooperative scheduling charges tokio's task budget when scans
//! return batches. A cross join (or nested-loop join) can emit millions of
//! batches from data it already buffered without touching a scan, so the task
//! running it never yields: Ctrl-C in the shell, which cancels by dropping the
//! task, would not take effect and the worker stays busy. Wrapping those joins
//! in DataFusion's own `CooperativeExec` charges the budget per output batch.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::joins::{CrossJoinExec, NestedLoopJoinExec};

/// Wraps row-multiplying joins in `CooperativeExec`.
#[derive(Debug, Default)]
pub(crate) struct CooperativeJoins;

impl PhysicalOptimizerRule for CooperativeJoins {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let multiplies = node.downcast_ref::<CrossJoinExec>().is_some()
                || node.downcast_ref::<NestedLoopJoinExec>().is_some();
            if multiplies {
                let wrapped: Arc<dyn ExecutionPlan> = Arc::new(CooperativeExec::new(node));
                Ok(Transformed::yes(wrapped))
            } else {
                Ok(Transformed::no(node))
            }
        })
        .data()
    }

    fn name(&self) -> &str {
        "lathe_cooperative_joins"
    }

    fn schema_check(&self) -> bool {
        true
    }
}
