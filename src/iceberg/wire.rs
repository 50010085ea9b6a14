//! An Iceberg scan as a cluster carries it.
//!
//! datafusion-proto serialises a Parquet `DataSourceExec` itself, but drops
//! what makes it an Iceberg scan: the field-id expression adapter and each
//! file's row selection (position deletes). So every Iceberg Parquet scan
//! sits under an [`IcebergScanExec`], a pass-through node whose plain data
//! (the deleted positions of each file) the cluster codec serialises; on
//! arrival the scan below it gets both back ([`IcebergScanExec::restore`]).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, Statistics};
use datafusion::datasource::physical_plan::parquet::ParquetRowSelection;
use datafusion::datasource::physical_plan::{FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::statistics::StatisticsArgs;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use serde::{Deserialize, Serialize};

use super::exec::selection;
use super::field_ids::FieldIdAdapterFactory;

/// What a cluster must carry of an Iceberg scan besides the stock scan:
/// each file's deleted positions (by its path in the store) and row count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ScanDeletes {
    pub(crate) files: BTreeMap<String, (u64, Vec<u64>)>,
}

/// A pass-through node over an Iceberg Parquet scan.
#[derive(Debug)]
pub(crate) struct IcebergScanExec {
    input: Arc<dyn ExecutionPlan>,
    deletes: ScanDeletes,
}

impl IcebergScanExec {
    /// Wraps `input` (a Parquet scan with `deletes` already applied).
    pub(crate) fn new(input: Arc<dyn ExecutionPlan>, deletes: ScanDeletes) -> Self {
        Self { input, deletes }
    }

    /// The deleted positions, for the codec.
    pub(crate) fn deletes(&self) -> &ScanDeletes {
        &self.deletes
    }

    /// Rebuilds the node over a decoded stock scan: the field-id adapter
    /// and every file's row selection put back.
    pub(crate) fn restore(input: Arc<dyn ExecutionPlan>, deletes: ScanDeletes) -> Result<Self> {
        let restored = Arc::clone(&input)
            .transform_up(|node| {
                let Some((config, _)) = node
                    .downcast_ref::<DataSourceExec>()
                    .and_then(|e| e.downcast_to_file_source::<ParquetSource>())
                else {
                    return Ok(Transformed::no(node));
                };
                let mut config = config.clone();
                for group in &mut config.file_groups {
                    let files = group
                        .iter()
                        .map(|f| {
                            let mut f = f.clone();
                            if let Some((rows, deleted)) =
                                deletes.files.get(f.object_meta.location.as_ref())
                            {
                                f = f.with_extension(ParquetRowSelection::new(selection(
                                    deleted, *rows,
                                )));
                            }
                            f
                        })
                        .collect::<Vec<_>>();
                    *group = datafusion::datasource::physical_plan::FileGroup::new(files);
                }
                let config = FileScanConfigBuilder::from(config)
                    .with_expr_adapter(Some(Arc::new(FieldIdAdapterFactory)))
                    .build();
                let scan: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(config);
                Ok(Transformed::yes(scan))
            })
            .data()?;
        Ok(Self::new(restored, deletes))
    }
}

impl DisplayAs for IcebergScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "IcebergScanExec: files_with_deletes={}",
            self.deletes.files.len()
        )
    }
}

impl ExecutionPlan for IcebergScanExec {
    fn name(&self) -> &str {
        "IcebergScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn statistics_from_inputs(
        &self,
        input_stats: &[Arc<Statistics>],
        _args: &StatisticsArgs,
    ) -> Result<Arc<Statistics>> {
        // Rows pass through unchanged.
        Ok(input_stats
            .first()
            .cloned()
            .unwrap_or_else(|| Arc::new(Statistics::new_unknown(&self.schema()))))
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(Self::new(
            children.remove(0),
            self.deletes.clone(),
        )))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        self.input.execute(partition, context)
    }
}
