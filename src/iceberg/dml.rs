//! `DELETE`, `UPDATE` and `MERGE INTO` on Iceberg tables, as Athena runs
//! them: merge-on-read. Deleted (and updated) rows are recorded in position
//! delete files; updated and inserted rows are new data files; all in one
//! snapshot. DataFusion 55 plans the statements and hands them to the table
//! provider's `delete_from`, `update` and `merge_into`.
//!
//! Rows are found by reading each candidate data file whole and in order
//! (no row-group skipping), so that a row's position in the file is its
//! index in the stream; rows an earlier delete removed are not found again.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, RecordBatch, StringArray, UInt64Array,
};
use datafusion::arrow::compute::{and, cast, filter_record_batch, is_not_null, not};
use datafusion::arrow::datatypes::{DataType, Field, Schema as ArrowSchema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::common::{Column as DfColumn, DFSchema, DFSchemaRef, DataFusionError, ScalarValue};
use datafusion::datasource::MemTable;
use datafusion::execution::context::SessionState;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::logical_expr::dml::{MergeIntoAction, MergeIntoClause, MergeIntoClauseKind};
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, JoinType, LogicalPlanBuilder, col, lit};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use super::IcebergTable;
use super::commit::{Changes, commit};
use super::exec;
use super::io::TableFile;
use super::manifest::{CONTENT_POSITION_DELETES, DataFile};
use super::prune::{Predicate, from_filters};
use super::scan::{Planned, plan};
use super::writer::DataWriter;
use crate::error::{Error, Result};

/// Field ids of a position delete file's columns (Iceberg spec).
const FILE_PATH_ID: &str = "2147483546";
const POS_ID: &str = "2147483545";
/// The columns lathe adds to target rows in a MERGE.
const FILE_COLUMN: &str = "__lathe_file";
const POS_COLUMN: &str = "__lathe_pos";
const SOURCE_COLUMN: &str = "__lathe_source";

/// Deleted rows: for each planned file (by index), the positions.
type Deleted = BTreeMap<usize, Vec<u64>>;

impl IcebergTable {
    /// Refuses writes to a table read at an older snapshot.
    fn check_writable(&self, statement: &str) -> Result<()> {
        let current = self.metadata.current_snapshot().map(|s| s.snapshot_id);
        if self.snapshot_id != current {
            return Err(Error::InvalidStatement {
                statement: format!("{statement} {}", self.name()),
                reason: "a table read at an earlier snapshot (FOR VERSION/TIMESTAMP AS OF) cannot be written".into(),
            });
        }
        Ok(())
    }
}

/// `DELETE FROM t [WHERE filters]`: the number of rows deleted.
pub(crate) async fn delete(
    table: &IcebergTable,
    state: &dyn Session,
    filters: &[Expr],
) -> Result<u64> {
    table.check_writable("DELETE FROM")?;
    let runtime = state.runtime_env();
    let planned = plan(table, runtime, &from_filters(filters, table.schema())).await?;
    let condition = condition(table, state, filters)?;
    let mut deleted = Deleted::new();
    let mut count = 0u64;
    for (i, _) in planned.files.iter().enumerate() {
        let (positions, _) = matching_rows(table, state, &planned, i, condition.as_ref()).await?;
        count += positions.len() as u64;
        if !positions.is_empty() {
            deleted.insert(i, positions);
        }
    }
    if count == 0 {
        return Ok(0);
    }
    let deletes = write_position_deletes(table, runtime, &planned, &deleted).await?;
    let changes = Changes {
        deletes,
        ..Default::default()
    };
    commit(table, runtime, changes, "delete").await?;
    Ok(count)
}

/// `UPDATE t SET assignments [WHERE filters]`: the matching rows are
/// deleted by position and written again with the new values.
pub(crate) async fn update(
    table: &IcebergTable,
    state: &dyn Session,
    assignments: &[(String, Expr)],
    filters: &[Expr],
) -> Result<u64> {
    table.check_writable("UPDATE")?;
    let runtime = state.runtime_env();
    let planned = plan(table, runtime, &from_filters(filters, table.schema())).await?;
    let condition = condition(table, state, filters)?;
    let schema = table.arrow_schema();
    let df_schema = DFSchema::try_from(Arc::clone(&schema))?;
    // One expression per column: its assigned value, or itself.
    let values = schema
        .fields()
        .iter()
        .map(|f| {
            let expr = assignments
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(f.name()))
                .map(|(_, e)| unqualified(e.clone()))
                .transpose()?
                .unwrap_or_else(|| col(DfColumn::new_unqualified(f.name())));
            Ok(state.create_physical_expr(expr, &df_schema)?)
        })
        .collect::<Result<Vec<_>>>()?;
    let mut writer = DataWriter::new(table, Arc::clone(runtime))?;
    let mut deleted = Deleted::new();
    let mut count = 0u64;
    for (i, _) in planned.files.iter().enumerate() {
        let (positions, rows) =
            matching_rows(table, state, &planned, i, condition.as_ref()).await?;
        if positions.is_empty() {
            continue;
        }
        count += positions.len() as u64;
        deleted.insert(i, positions);
        for batch in rows {
            let columns = values
                .iter()
                .map(|v| Ok(v.evaluate(&batch)?.into_array(batch.num_rows())?))
                .collect::<Result<Vec<ArrayRef>>>()?;
            writer
                .write(&RecordBatch::try_new(
                    writer.schema(),
                    cast_all(columns, &writer.schema())?,
                )?)
                .await?;
        }
    }
    if count == 0 {
        return Ok(0);
    }
    let added = writer.finish().await?;
    let deletes = write_position_deletes(table, runtime, &planned, &deleted).await?;
    let changes = Changes {
        added,
        deletes,
        ..Default::default()
    };
    commit(table, runtime, changes, "overwrite").await?;
    Ok(count)
}

fn cast_all(columns: Vec<ArrayRef>, schema: &SchemaRef) -> Result<Vec<ArrayRef>> {
    columns
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| Ok(cast(c, f.data_type())?))
        .collect()
}

/// The filters without table qualifiers, as the scans' schemas have none.
fn unqualified(expr: Expr) -> Result<Expr> {
    Ok(expr
        .transform(|e| match e {
            Expr::Column(c) => Ok(Transformed::yes(Expr::Column(DfColumn::new_unqualified(
                c.name,
            )))),
            other => Ok(Transformed::no(other)),
        })
        .data()?)
}

/// The statement's condition over the table's columns (`None`: every row).
fn condition(
    table: &IcebergTable,
    state: &dyn Session,
    filters: &[Expr],
) -> Result<Option<Arc<dyn PhysicalExpr>>> {
    let filters = filters
        .iter()
        .map(|f| unqualified(f.clone()))
        .collect::<Result<Vec<_>>>()?;
    let Some(expr) = conjunction(filters) else {
        return Ok(None);
    };
    let df_schema = DFSchema::try_from(table.arrow_schema())?;
    Ok(Some(state.create_physical_expr(expr, &df_schema)?))
}

/// The live rows of planned file `i` (deletes applied), with their positions.
pub(crate) async fn live_rows(
    table: &IcebergTable,
    state: &dyn Session,
    planned: &Planned,
    i: usize,
) -> Result<(Vec<u64>, Vec<RecordBatch>)> {
    matching_rows(table, state, planned, i, None).await
}

/// The live rows of planned file `i`, in file order, with their positions:
/// those matching `condition` (all when `None`), positions and rows.
async fn matching_rows(
    table: &IcebergTable,
    state: &dyn Session,
    planned: &Planned,
    i: usize,
    condition: Option<&Arc<dyn PhysicalExpr>>,
) -> Result<(Vec<u64>, Vec<RecordBatch>)> {
    let file = &planned.files[i];
    let keep = exec::equality_keep(state, planned, file, &table.arrow_schema())?;
    let scan = exec::whole_file(table, state, &file.file)?;
    let mut stream = scan.execute(0, state.task_ctx())?;
    let mut positions = Vec::new();
    let mut rows = Vec::new();
    let mut offset = 0u64;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let n = batch.num_rows();
        let mut mask: Vec<bool> = (0..n)
            .map(|r| file.deleted.binary_search(&(offset + r as u64)).is_err())
            .collect();
        for expr in keep.iter().chain(condition) {
            let result = expr.evaluate(&batch)?.into_array(n)?;
            let result = result.as_boolean();
            for (r, m) in mask.iter_mut().enumerate() {
                *m &= result.is_valid(r) && result.value(r);
            }
        }
        let selected = BooleanArray::from(mask.clone());
        for (r, m) in mask.iter().enumerate() {
            if *m {
                positions.push(offset + r as u64);
            }
        }
        rows.push(filter_record_batch(&batch, &selected)?);
        offset += n as u64;
    }
    Ok((positions, rows))
}

/// Position delete files for `deleted`, one per partition, sorted by file
/// and position as the spec asks.
async fn write_position_deletes(
    table: &IcebergTable,
    runtime: &Arc<RuntimeEnv>,
    planned: &Planned,
    deleted: &Deleted,
) -> Result<Vec<DataFile>> {
    let mut by_partition: BTreeMap<String, Vec<(&DataFile, &Vec<u64>)>> = BTreeMap::new();
    for (i, positions) in deleted {
        let file = &planned.files[*i].file;
        let key = format!("{}:{:?}", file.spec_id, file.partition);
        by_partition.entry(key).or_default().push((file, positions));
    }
    let schema = Arc::new(ArrowSchema::new(vec![
        Field::new("file_path", DataType::Utf8, false)
            .with_metadata([("PARQUET:field_id".to_string(), FILE_PATH_ID.to_string())].into()),
        Field::new("pos", DataType::Int64, false)
            .with_metadata([("PARQUET:field_id".to_string(), POS_ID.to_string())].into()),
    ]));
    let mut out = Vec::new();
    for (_, mut files) in by_partition {
        files.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        let mut paths = Vec::new();
        let mut positions = Vec::new();
        for (file, pos) in &files {
            for p in pos.iter() {
                paths.push(file.path.clone());
                positions.push(*p as i64);
            }
        }
        let rows = paths.len() as i64;
        let (first, last) = (paths.first().cloned(), paths.last().cloned());
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(StringArray::from(paths)),
                Arc::new(Int64Array::from(positions)),
            ],
        )?;
        let sample = files[0].0;
        let location = format!(
            "{}/data/{}-deletes.parquet",
            table.metadata.location.trim_end_matches('/'),
            uuid::Uuid::new_v4()
        );
        let opened = TableFile::open(runtime, &table.map, &location)?;
        let mut bytes = Vec::new();
        {
            let properties = datafusion::parquet::file::properties::WriterProperties::builder()
                .set_compression(datafusion::parquet::basic::Compression::ZSTD(
                    Default::default(),
                ))
                .build();
            let parquet = |e: datafusion::parquet::errors::ParquetError| {
                Error::DataFusion(DataFusionError::from(e))
            };
            let mut writer = datafusion::parquet::arrow::ArrowWriter::try_new(
                &mut bytes,
                Arc::clone(&schema),
                Some(properties),
            )
            .map_err(parquet)?;
            writer.write(&batch).map_err(parquet)?;
            writer.close().map_err(parquet)?;
        }
        let size = bytes.len() as i64;
        opened.write(bytes, true).await?;
        let bound = |p: Option<String>| p.map(|p| (2_147_483_546, p.into_bytes()));
        out.push(DataFile {
            content: CONTENT_POSITION_DELETES,
            path: location,
            format: "PARQUET".into(),
            spec_id: sample.spec_id,
            partition: sample.partition.clone(),
            record_count: rows,
            file_size: size,
            column_sizes: Vec::new(),
            value_counts: vec![(2_147_483_546, rows), (2_147_483_545, rows)],
            null_counts: vec![(2_147_483_546, 0), (2_147_483_545, 0)],
            nan_counts: Vec::new(),
            lower_bounds: bound(first).into_iter().collect(),
            upper_bounds: bound(last).into_iter().collect(),
            split_offsets: None,
            equality_ids: None,
            sort_order_id: None,
        });
    }
    Ok(out)
}

/// `MERGE INTO t USING source ON on WHEN ...`: target rows joined to the
/// source rows (a full join, with markers for each side), each joined row
/// taking the first clause that applies, as Trino does. A target row
/// matched by more than one source row is an error, as in Athena.
pub(crate) async fn merge(
    table: &IcebergTable,
    state: &dyn Session,
    source: Arc<dyn ExecutionPlan>,
    merge_schema: DFSchemaRef,
    on: Expr,
    clauses: &[MergeIntoClause],
) -> Result<u64> {
    table.check_writable("MERGE INTO")?;
    let runtime = state.runtime_env();
    let schema = table.arrow_schema();
    let width = schema.fields().len();
    // Every live target row, with where it is.
    let planned = plan(table, runtime, &Predicate::Unknown).await?;
    let target_schema = Arc::new(ArrowSchema::new(
        schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .chain([
                Field::new(FILE_COLUMN, DataType::UInt64, false),
                Field::new(POS_COLUMN, DataType::UInt64, false),
            ])
            .collect::<Vec<_>>(),
    ));
    let mut target_batches = Vec::new();
    for (i, _) in planned.files.iter().enumerate() {
        let (positions, rows) = matching_rows(table, state, &planned, i, None).await?;
        let mut at = 0;
        for batch in rows {
            let n = batch.num_rows();
            let mut columns = batch.columns().to_vec();
            columns.push(Arc::new(UInt64Array::from(vec![i as u64; n])));
            columns.push(Arc::new(UInt64Array::from(positions[at..at + n].to_vec())));
            at += n;
            target_batches.push(RecordBatch::try_new(Arc::clone(&target_schema), columns)?);
        }
    }
    let source_batches = collect(source, state.task_ctx()).await?;
    let Some(session) = state.as_any().downcast_ref::<SessionState>() else {
        return Err(Error::InvalidStatement {
            statement: format!("MERGE INTO {}", table.name()),
            reason: "the session cannot run the merge's join".into(),
        });
    };
    let ctx = SessionContext::new_with_state(session.clone());

    // Both sides under the qualifiers of `merge_schema`, so that `on` and
    // the clauses' expressions resolve as the planner resolved them.
    let qualified = |name: &str,
                     plan: LogicalPlanBuilder,
                     fields: &[(Option<datafusion::common::TableReference>, String)],
                     extra: &[&str]|
     -> Result<LogicalPlanBuilder> {
        let mut exprs: Vec<Expr> = fields
            .iter()
            .map(|(q, f)| col(DfColumn::new(Some(name), f)).alias_qualified(q.clone(), f))
            .collect();
        exprs.extend(
            extra
                .iter()
                .map(|e| col(DfColumn::new(Some(name), *e)).alias(*e)),
        );
        Ok(plan.project(exprs)?)
    };
    let target_fields: Vec<(Option<datafusion::common::TableReference>, String)> = (0..width)
        .map(|i| {
            let (q, f) = merge_schema.qualified_field(i);
            (q.cloned(), f.name().clone())
        })
        .collect();
    let source_fields: Vec<(Option<datafusion::common::TableReference>, String)> = (width
        ..merge_schema.fields().len())
        .map(|i| {
            let (q, f) = merge_schema.qualified_field(i);
            (q.cloned(), f.name().clone())
        })
        .collect();
    let target_table = MemTable::try_new(Arc::clone(&target_schema), vec![target_batches])?;
    let source_arrow = Arc::new(ArrowSchema::new(
        source_fields
            .iter()
            .zip(merge_schema.fields().iter().skip(width))
            .map(|(_, f)| f.as_ref().clone().with_nullable(true))
            .collect::<Vec<_>>(),
    ));
    let source_batches = source_batches
        .into_iter()
        .map(|b| {
            Ok(RecordBatch::try_new(
                Arc::clone(&source_arrow),
                b.columns().to_vec(),
            )?)
        })
        .collect::<Result<Vec<_>>>()?;
    let source_table = MemTable::try_new(source_arrow, vec![source_batches])?;
    let target_plan = LogicalPlanBuilder::scan(
        "__lathe_target",
        datafusion::datasource::provider_as_source(Arc::new(target_table)),
        None,
    )?;
    let target_plan = qualified(
        "__lathe_target",
        target_plan,
        &target_fields,
        &[FILE_COLUMN, POS_COLUMN],
    )?;
    let source_plan = LogicalPlanBuilder::scan(
        "__lathe_source_rows",
        datafusion::datasource::provider_as_source(Arc::new(source_table)),
        None,
    )?;
    let mut source_exprs: Vec<Expr> = source_fields
        .iter()
        .map(|(q, f)| {
            col(DfColumn::new(Some("__lathe_source_rows"), f)).alias_qualified(q.clone(), f)
        })
        .collect();
    source_exprs.push(lit(true).alias(SOURCE_COLUMN));
    let source_plan = source_plan.project(source_exprs)?;
    let joined = target_plan
        .join_on(source_plan.build()?, JoinType::Full, vec![on])?
        .build()?;
    let joined_schema = Arc::clone(joined.schema());
    let batches = ctx.execute_logical_plan(joined).await?.collect().await?;

    // The clauses' conditions and values over the joined rows.
    let physical = |e: &Expr| -> Result<Arc<dyn PhysicalExpr>> {
        Ok(session.create_physical_expr(e.clone(), &joined_schema)?)
    };
    let matched = physical(
        &col(POS_COLUMN)
            .is_not_null()
            .and(col(SOURCE_COLUMN).is_not_null()),
    )?;
    let target_only = physical(&col(SOURCE_COLUMN).is_null())?;
    let source_only = physical(&col(POS_COLUMN).is_null())?;
    let mut compiled = Vec::new();
    for clause in clauses {
        let kind = match clause.kind {
            MergeIntoClauseKind::Matched => Arc::clone(&matched),
            MergeIntoClauseKind::NotMatchedBySource => Arc::clone(&target_only),
            _ => Arc::clone(&source_only),
        };
        let predicate = clause.predicate.as_ref().map(physical).transpose()?;
        let action = match &clause.action {
            MergeIntoAction::Delete => Action::Delete,
            MergeIntoAction::Update(assignments) => Action::Update(
                target_fields
                    .iter()
                    .map(|(q, f)| {
                        let value = assignments
                            .iter()
                            .find(|(name, _)| {
                                name.rsplit('.')
                                    .next()
                                    .unwrap_or(name)
                                    .eq_ignore_ascii_case(f)
                            })
                            .map(|(_, e)| e.clone())
                            .unwrap_or_else(|| col(DfColumn::new(q.clone(), f)));
                        physical(&value)
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            MergeIntoAction::Insert { columns, values } => Action::Insert(
                target_fields
                    .iter()
                    .enumerate()
                    .map(|(i, (_, f))| {
                        let value = if columns.is_empty() {
                            values.get(i).cloned()
                        } else {
                            columns
                                .iter()
                                .position(|c| c.eq_ignore_ascii_case(f))
                                .and_then(|at| values.get(at).cloned())
                        };
                        physical(&value.unwrap_or(Expr::Literal(ScalarValue::Null, None)))
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
        };
        compiled.push((kind, predicate, action));
    }
    let mut writer = DataWriter::new(table, Arc::clone(runtime))?;
    let mut deleted = Deleted::new();
    let mut count = 0u64;
    let index = |name: &str| {
        joined_schema
            .index_of_column_by_name(None, name)
            .ok_or_else(|| DataFusionError::Internal(format!("the merge's join has no {name}")))
    };
    let file_index = index(FILE_COLUMN)?;
    let pos_index = index(POS_COLUMN)?;
    for batch in &batches {
        let n = batch.num_rows();
        let mut unassigned = BooleanArray::from(vec![true; n]);
        for (kind, predicate, action) in &compiled {
            let mut applies = and(
                &unassigned,
                kind.evaluate(batch)?.into_array(n)?.as_boolean(),
            )?;
            if let Some(p) = predicate {
                let p = p.evaluate(batch)?.into_array(n)?;
                let p = datafusion::arrow::compute::kernels::zip::zip(
                    &is_not_null(&p)?,
                    p.as_boolean(),
                    &BooleanArray::from(vec![false; n]),
                )?;
                applies = and(&applies, p.as_boolean())?;
            }
            unassigned = and(&unassigned, &not(&applies)?)?;
            if applies.true_count() == 0 {
                continue;
            }
            count += applies.true_count() as u64;
            if matches!(action, Action::Delete | Action::Update(_)) {
                let files = batch
                    .column(file_index)
                    .as_primitive::<datafusion::arrow::datatypes::UInt64Type>();
                let positions = batch
                    .column(pos_index)
                    .as_primitive::<datafusion::arrow::datatypes::UInt64Type>();
                for r in 0..n {
                    if applies.value(r) {
                        deleted
                            .entry(files.value(r) as usize)
                            .or_default()
                            .push(positions.value(r));
                    }
                }
            }
            if let Action::Update(values) | Action::Insert(values) = action {
                let selected = filter_record_batch(batch, &applies)?;
                let columns = values
                    .iter()
                    .map(|v| Ok(v.evaluate(&selected)?.into_array(selected.num_rows())?))
                    .collect::<Result<Vec<ArrayRef>>>()?;
                writer
                    .write(&RecordBatch::try_new(
                        writer.schema(),
                        cast_all(columns, &writer.schema())?,
                    )?)
                    .await?;
            }
        }
    }
    for (i, positions) in deleted.iter_mut() {
        positions.sort_unstable();
        let before = positions.len();
        positions.dedup();
        if positions.len() != before {
            return Err(Error::InvalidStatement {
                statement: format!("MERGE INTO {}", table.name()),
                reason: format!(
                    "one target row (in {}) matched more than one source row",
                    planned.files[*i].file.path
                ),
            });
        }
    }
    if count == 0 {
        return Ok(0);
    }
    let added = writer.finish().await?;
    let deletes = write_position_deletes(table, runtime, &planned, &deleted).await?;
    let changes = Changes {
        added,
        deletes,
        ..Default::default()
    };
    commit(table, runtime, changes, "overwrite").await?;
    Ok(count)
}

enum Action {
    Delete,
    Update(Vec<Arc<dyn PhysicalExpr>>),
    Insert(Vec<Arc<dyn PhysicalExpr>>),
}

/// A plan that yields one row, `count`, as DataFusion's DML plans do.
pub(crate) fn count_plan(count: u64) -> Result<Arc<dyn ExecutionPlan>> {
    let schema = Arc::new(ArrowSchema::new(vec![Field::new(
        "count",
        DataType::UInt64,
        false,
    )]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![Arc::new(UInt64Array::from(vec![count]))],
    )?;
    let source =
        datafusion::datasource::memory::MemorySourceConfig::try_new(&[vec![batch]], schema, None)?;
    Ok(datafusion::datasource::source::DataSourceExec::from_data_source(source))
}
