//! Which of a cluster client's plans go to the cluster.
//!
//! Plans that read catalog tables go to the scheduler (Ballista's query
//! planner). Plans that read none are answered where they are: the result
//! rows of Athena's metadata statements (`SHOW ...`, `DESCRIBE`, DDL) are
//! in-memory tables made by this process, which no other process could
//! read, and a `SELECT` of constants needs no cluster.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::Result;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::source_as_provider;
use datafusion::execution::context::QueryPlanner;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, PhysicalPlanner};

use crate::iceberg::IcebergTable;
use crate::table::GlueTableProvider;

/// Sends plans that read catalog tables to `cluster`, plans the rest here.
#[derive(Debug)]
pub(crate) struct ClusterPlanner {
    cluster: Arc<dyn QueryPlanner + Send + Sync>,
}

impl ClusterPlanner {
    pub(crate) fn new(cluster: Arc<dyn QueryPlanner + Send + Sync>) -> Self {
        Self { cluster }
    }
}

#[async_trait]
impl QueryPlanner for ClusterPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if reads_catalog_tables(logical_plan)? {
            self.cluster
                .create_physical_plan(logical_plan, session)
                .await
        } else {
            DefaultPhysicalPlanner::default()
                .create_physical_plan(logical_plan, session)
                .await
        }
    }
}

/// Whether a plan (or any of its subqueries) scans a table of the catalog.
pub(crate) fn reads_catalog_tables(plan: &LogicalPlan) -> Result<bool> {
    // DELETE, UPDATE and MERGE on Iceberg tables commit from the client.
    if matches!(plan, LogicalPlan::Dml(_)) {
        return Ok(false);
    }
    let mut found = false;
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && source_as_provider(&scan.source).is_ok_and(|provider| {
                provider.downcast_ref::<GlueTableProvider>().is_some()
                    || provider.downcast_ref::<IcebergTable>().is_some()
            })
        {
            found = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(found)
}
