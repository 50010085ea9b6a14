//! The physical plan of an Iceberg scan: DataFusion's own Parquet scan
//! (`DataSourceExec` with `ParquetSource`) over the planned data files.
//!
//! - columns are matched by field id ([`super::field_ids`]);
//! - position deletes become each file's row selection
//!   (`ParquetRowSelection`), so deleted rows are never decoded;
//! - equality deletes become a filter above the files they apply to (an
//!   `IN` list, or `IS NOT DISTINCT FROM` conjunctions for several columns);
//! - the query's filters prune row groups and pages as in any Parquet scan.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::stats::Precision;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::common::{DFSchema, Result, ScalarValue, Statistics};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::CachedParquetFileReaderFactory;
use datafusion::datasource::physical_plan::parquet::ParquetRowSelection;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, col, lit};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};
use datafusion::physical_plan::union::UnionExec;
use datafusion_datasource::{TableSchema, compute_all_files_statistics};
use object_store::ObjectMeta;

use super::IcebergTable;
use super::field_ids::FieldIdAdapterFactory;
use super::scan::{EqualityDeletes, Planned, PlannedFile};
use crate::storage::resolve;
use crate::table::position_deletes::{PositionDeletesExec, ScanDeletes, selection};

/// The scan of `planned` files: the table's columns in `projection`.
pub(crate) fn build(
    table: &IcebergTable,
    state: &dyn Session,
    planned: &Planned,
    projection: Option<&Vec<usize>>,
    filters: &[Expr],
    limit: Option<usize>,
) -> Result<Arc<dyn ExecutionPlan>> {
    let schema = table.arrow_schema();
    let wanted: Vec<usize> = match projection {
        Some(p) => p.clone(),
        None => (0..schema.fields().len()).collect(),
    };
    let output = Arc::new(schema.project(&wanted)?);
    // Files under the same equality deletes (usually none) share a scan.
    let mut groups: BTreeMap<(Vec<usize>, String), Vec<&PlannedFile>> = BTreeMap::new();
    let mut urls = BTreeMap::new();
    for f in &planned.files {
        let resolved = resolve(&f.file.path, table.location_map())?;
        let key = (f.equality.clone(), resolved.store.as_str().to_string());
        urls.insert(key.1.clone(), resolved.store.clone());
        groups.entry(key).or_default().push(f);
    }
    let predicate = predicate(state, &schema, filters)?;
    let mut plans: Vec<Arc<dyn ExecutionPlan>> = Vec::new();
    for ((equality, url), files) in groups {
        let deletes: Vec<&EqualityDeletes> =
            equality.iter().map(|i| &planned.equality[*i]).collect();
        let mut columns = wanted.clone();
        for d in &deletes {
            for name in &d.columns {
                let i = schema.index_of(name)?;
                if !columns.contains(&i) {
                    columns.push(i);
                }
            }
        }
        let scan = parquet_scan(
            table,
            state,
            urls[&url].clone(),
            &files,
            &columns,
            predicate.clone(),
            if deletes.is_empty() { limit } else { None },
        )?;
        if deletes.is_empty() {
            plans.push(scan);
            continue;
        }
        let scanned = scan.schema();
        let keep = conjunction(
            deletes
                .iter()
                .map(|d| keep_rows(d, &scanned))
                .collect::<Result<Vec<_>>>()?,
        )
        .unwrap_or(lit(true));
        let df_schema = DFSchema::try_from(Arc::clone(&scanned))?;
        let keep = state.create_physical_expr(keep, &df_schema)?;
        let filtered: Arc<dyn ExecutionPlan> = Arc::new(FilterExec::try_new(keep, scan)?);
        let exprs = wanted
            .iter()
            .enumerate()
            .map(|(i, _)| {
                let field = output.field(i);
                ProjectionExpr::new(Arc::new(Column::new(field.name(), i)), field.name().clone())
            })
            .collect::<Vec<_>>();
        plans.push(Arc::new(ProjectionExec::try_new(exprs, filtered)?));
    }
    match plans.len() {
        0 => Ok(Arc::new(EmptyExec::new(output))),
        1 => Ok(plans.remove(0)),
        _ => UnionExec::try_new(plans),
    }
}

/// The query's filters as one physical predicate over the table's columns,
/// for row-group, page and row pruning in the Parquet scan.
fn predicate(
    state: &dyn Session,
    schema: &SchemaRef,
    filters: &[Expr],
) -> Result<Option<Arc<dyn datafusion::physical_expr::PhysicalExpr>>> {
    let unqualified = filters
        .iter()
        .map(|f| {
            f.clone()
                .transform(|e| match e {
                    Expr::Column(c) => Ok(Transformed::yes(Expr::Column(
                        datafusion::common::Column::new_unqualified(c.name),
                    ))),
                    other => Ok(Transformed::no(other)),
                })
                .data()
        })
        .collect::<Result<Vec<_>>>()?;
    let Some(expr) = conjunction(unqualified) else {
        return Ok(None);
    };
    let df_schema = DFSchema::try_from(Arc::clone(schema))?;
    // A filter the scan cannot evaluate alone (a subquery) is left to the
    // filter above the scan.
    Ok(state.create_physical_expr(expr, &df_schema).ok())
}

fn parquet_scan(
    table: &IcebergTable,
    state: &dyn Session,
    url: ObjectStoreUrl,
    files: &[&PlannedFile],
    columns: &[usize],
    predicate: Option<Arc<dyn datafusion::physical_expr::PhysicalExpr>>,
    limit: Option<usize>,
) -> Result<Arc<dyn ExecutionPlan>> {
    let schema = table.arrow_schema();
    let mut partitioned = Vec::with_capacity(files.len());
    let mut deletes = ScanDeletes::default();
    for f in files {
        let resolved = resolve(&f.file.path, table.location_map())?;
        let rows = f.file.record_count.max(0) as u64;
        let deleted = f.deleted.iter().filter(|p| **p < rows).count() as u64;
        if deleted > 0 {
            deletes.files.insert(
                resolved.prefix.as_ref().to_string(),
                (rows, f.deleted.clone()),
            );
        }
        let mut file = PartitionedFile::new_from_meta(ObjectMeta {
            location: resolved.prefix,
            last_modified: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
            size: f.file.file_size.max(0) as u64,
            e_tag: None,
            version: None,
        });
        let exact = deleted == 0 && f.equality.is_empty();
        let mut stats = Statistics::new_unknown(&schema);
        stats.num_rows = if exact {
            Precision::Exact((rows) as usize)
        } else {
            Precision::Inexact((rows - deleted) as usize)
        };
        stats.total_byte_size = Precision::Inexact(f.file.file_size.max(0) as usize);
        file = file.with_statistics(Arc::new(stats));
        if deleted > 0 {
            file = file.with_extension(ParquetRowSelection::new(selection(&f.deleted, rows)));
        }
        partitioned.push(file);
    }
    let target_partitions = state.config().target_partitions().max(1);
    let (groups, stats) = compute_all_files_statistics(
        FileGroup::new(partitioned).split_files(target_partitions),
        Arc::clone(&schema),
        true,
        false,
    )?;
    let runtime = state.runtime_env();
    let reader = CachedParquetFileReaderFactory::new(
        runtime.object_store(&url)?,
        runtime.cache_manager.get_file_metadata_cache(),
    );
    let mut source = ParquetSource::new(TableSchema::builder(Arc::clone(&schema)).build())
        .with_table_parquet_options(state.table_options().parquet.clone())
        .with_parquet_file_reader_factory(Arc::new(reader));
    if let Some(predicate) = predicate {
        source = source.with_predicate(predicate);
    }
    let config = FileScanConfigBuilder::new(url, Arc::new(source))
        .with_file_groups(groups)
        .with_statistics(stats)
        .with_projection_indices(Some(columns.to_vec()))?
        .with_limit(limit)
        .with_expr_adapter(Some(Arc::new(FieldIdAdapterFactory)))
        .build();
    let scan = DataSourceExec::from_data_source(config);
    Ok(Arc::new(PositionDeletesExec::new(scan, deletes)))
}

/// A scan of one whole data file, every column, in file order in one
/// partition (no pruning, no deletes applied): row `i` of the stream is at
/// position `i` of the file.
pub(crate) fn whole_file(
    table: &IcebergTable,
    state: &dyn Session,
    file: &super::manifest::DataFile,
) -> Result<Arc<dyn ExecutionPlan>> {
    let resolved = resolve(&file.path, table.location_map())?;
    let schema = table.arrow_schema();
    let partitioned = PartitionedFile::new_from_meta(ObjectMeta {
        location: resolved.prefix,
        last_modified: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        size: file.file_size.max(0) as u64,
        e_tag: None,
        version: None,
    });
    let runtime = state.runtime_env();
    let reader = CachedParquetFileReaderFactory::new(
        runtime.object_store(&resolved.store)?,
        runtime.cache_manager.get_file_metadata_cache(),
    );
    let source = ParquetSource::new(TableSchema::builder(Arc::clone(&schema)).build())
        .with_table_parquet_options(state.table_options().parquet.clone())
        .with_parquet_file_reader_factory(Arc::new(reader));
    let config = FileScanConfigBuilder::new(resolved.store, Arc::new(source))
        .with_file_groups(vec![FileGroup::new(vec![partitioned])])
        .with_expr_adapter(Some(Arc::new(FieldIdAdapterFactory)))
        .build();
    Ok(DataSourceExec::from_data_source(config))
}

/// The conditions (over the table's columns) that keep a row of `file`
/// its equality deletes do not delete.
pub(crate) fn equality_keep(
    state: &dyn Session,
    planned: &Planned,
    file: &PlannedFile,
    schema: &SchemaRef,
) -> Result<Vec<Arc<dyn datafusion::physical_expr::PhysicalExpr>>> {
    let df_schema = DFSchema::try_from(Arc::clone(schema))?;
    file.equality
        .iter()
        .map(|i| {
            let keep = keep_rows(&planned.equality[*i], schema)?;
            state.create_physical_expr(keep, &df_schema)
        })
        .collect()
}

/// The condition that keeps a row no deleted row equals: for one column
/// `NOT (c IN (...))` with NULL handled as Iceberg does (a NULL delete
/// value deletes NULLs), for several `NOT (c1 IS NOT DISTINCT FROM v1 AND
/// ...) AND ...`.
fn keep_rows(deletes: &EqualityDeletes, scanned: &SchemaRef) -> Result<Expr> {
    let rows = &deletes.rows;
    let target =
        |name: &str| -> Result<_> { Ok(scanned.field_with_name(name)?.data_type().clone()) };
    if deletes.columns.len() == 1 {
        let name = &deletes.columns[0];
        let data_type = target(name)?;
        let array = rows.column(0);
        let mut values = Vec::new();
        let mut null = false;
        for i in 0..rows.num_rows() {
            let v = ScalarValue::try_from_array(array, i)?;
            if v.is_null() {
                null = true;
            } else {
                values.push(lit(v.cast_to(&data_type)?));
            }
        }
        let column = col(datafusion::common::Column::new_unqualified(name));
        let not_in = if values.is_empty() {
            lit(true)
        } else {
            column.clone().in_list(values, true)
        };
        return Ok(if null {
            column.is_not_null().and(not_in)
        } else {
            column.is_null().or(not_in)
        });
    }
    let mut matches = Vec::with_capacity(rows.num_rows());
    for i in 0..rows.num_rows() {
        let mut same = Vec::new();
        for (j, name) in deletes.columns.iter().enumerate() {
            let v = ScalarValue::try_from_array(rows.column(j), i)?.cast_to(&target(name)?)?;
            let column = col(datafusion::common::Column::new_unqualified(name));
            same.push(Expr::BinaryExpr(datafusion::logical_expr::BinaryExpr::new(
                Box::new(column),
                datafusion::logical_expr::Operator::IsNotDistinctFrom,
                Box::new(lit(v)),
            )));
        }
        matches.extend(conjunction(same));
    }
    Ok(
        match datafusion::logical_expr::utils::disjunction(matches) {
            Some(any) => Expr::Not(Box::new(any)),
            None => lit(true),
        },
    )
}

#[cfg(test)]
mod tests {
    use datafusion::parquet::arrow::arrow_reader::RowSelector;

    use super::*;

    #[test]
    fn deleted_positions_become_a_row_selection() {
        let s = selection(&[0, 1, 5, 9, 12], 10);
        let selectors: Vec<RowSelector> = s.into();
        assert_eq!(
            selectors,
            vec![
                RowSelector::skip(2),
                RowSelector::select(3),
                RowSelector::skip(1),
                RowSelector::select(3),
                RowSelector::skip(1),
            ]
        );
    }
}
