//! Parquet scans that skip deleted row positions: Iceberg's position
//! deletes and Delta's deletion vectors, as each file's row selection
//! (`ParquetRowSelection`), so deleted rows are never decoded while the
//! query's filters still prune row groups and pages.
//!
//! datafusion-proto serialises a Parquet `DataSourceExec` itself, but drops
//! each file's row selection and the scan's expression adapter (how file
//! columns are matched: by Iceberg field id, or by name regardless of
//! case). So such a scan sits under a [`PositionDeletesExec`], a
//! pass-through node whose plain data (the deleted positions of each file,
//! and how columns match) the cluster codec serialises; on arrival the scan
//! below it gets both back ([`PositionDeletesExec::restore`]).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, Statistics};
use datafusion::config::ConfigOptions;
use datafusion::datasource::physical_plan::parquet::ParquetRowSelection;
use datafusion::datasource::physical_plan::{FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::parquet::arrow::arrow_reader::{RowSelection, RowSelector};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr_adapter::PhysicalExprAdapterFactory;
use datafusion::physical_plan::filter_pushdown::{FilterDescription, FilterPushdownPhase};
use datafusion::physical_plan::statistics::StatisticsArgs;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use serde::{Deserialize, Serialize};

use super::case_insensitive::CaseInsensitiveAdapterFactory;
use crate::iceberg::FieldIdAdapterFactory;

/// What a cluster must carry of such a scan besides the stock scan: each
/// file's deleted positions (by its path in the store) and row count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ScanDeletes {
    pub(crate) files: BTreeMap<String, (u64, Vec<u64>)>,
    /// How the scan matches file columns to table columns.
    #[serde(default)]
    pub(crate) columns: ColumnMatch,
}

/// How a scan matches file columns to table columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ColumnMatch {
    /// By Iceberg field id.
    #[default]
    FieldIds,
    /// By name regardless of case, as every other Parquet scan of lathe.
    Names,
}

impl ColumnMatch {
    fn adapter(self) -> Arc<dyn PhysicalExprAdapterFactory> {
        match self {
            Self::FieldIds => Arc::new(FieldIdAdapterFactory),
            Self::Names => Arc::new(CaseInsensitiveAdapterFactory),
        }
    }
}

/// A pass-through node over a Parquet scan with deleted positions.
#[derive(Debug)]
pub(crate) struct PositionDeletesExec {
    input: Arc<dyn ExecutionPlan>,
    deletes: ScanDeletes,
}

impl PositionDeletesExec {
    /// Wraps `input` (a Parquet scan with `deletes` already applied).
    pub(crate) fn new(input: Arc<dyn ExecutionPlan>, deletes: ScanDeletes) -> Self {
        Self { input, deletes }
    }

    /// The deleted positions, for the codec.
    pub(crate) fn deletes(&self) -> &ScanDeletes {
        &self.deletes
    }

    /// Rebuilds the node over a decoded stock scan: the column adapter and
    /// every file's row selection put back.
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
                    .with_expr_adapter(Some(deletes.columns.adapter()))
                    .build();
                let scan: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(config);
                Ok(Transformed::yes(scan))
            })
            .data()?;
        Ok(Self::new(restored, deletes))
    }
}

impl DisplayAs for PositionDeletesExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "PositionDeletesExec: files_with_deletes={}",
            self.deletes.files.len()
        )
    }
}

impl ExecutionPlan for PositionDeletesExec {
    fn name(&self) -> &str {
        "PositionDeletesExec"
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

    /// Rows pass through unchanged, so the query's filters may go on to
    /// the scan, to prune row groups and pages there.
    fn gather_filters_for_pushdown(
        &self,
        _phase: FilterPushdownPhase,
        parent_filters: Vec<Arc<dyn PhysicalExpr>>,
        _config: &ConfigOptions,
    ) -> Result<FilterDescription> {
        FilterDescription::from_children(parent_filters, &self.children())
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

/// The rows of a file of `rows` rows other than the `deleted` positions
/// (sorted, unique).
pub(crate) fn selection(deleted: &[u64], rows: u64) -> RowSelection {
    let mut selectors = Vec::new();
    let mut next = 0u64;
    for &p in deleted.iter().filter(|p| **p < rows) {
        if p > next {
            selectors.push(RowSelector::select((p - next) as usize));
        }
        selectors.push(RowSelector::skip(1));
        next = p + 1;
    }
    if next < rows {
        selectors.push(RowSelector::select((rows - next) as usize));
    }
    RowSelection::from(selectors)
}
