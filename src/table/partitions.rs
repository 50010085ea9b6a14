//! Partitions of a table: where they come from and which ones a query needs.
//!
//! Candidates come from a projection, from the catalog (registered partitions) or from listing
//! Hive-style `key=value/` folders (folders only, never data files). Pruning
//! evaluates the query's predicates on partition keys over a small record
//! batch of the candidates' typed values — DataFusion's own expression
//! evaluation, so `=`, `IN`, ranges, `BETWEEN`, `OR` and functions all work.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions, StringArray,
};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::util::display::FormatOptions;
use datafusion::catalog::Session;
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::Expr;
use datafusion::logical_expr::expr_rewriter::unnormalize_col;
use object_store::ObjectStore;
use object_store::path::Path as ObjectPath;

use crate::catalog::{PartitionDef, StorageFormat, TableDef, unescape_partition_value};
use crate::error::Error;
use crate::storage::{LocationMap, ResolvedLocation, resolve_all};
use crate::table::projection::ProjectedPartition;

/// Hive's name for a NULL partition value.
pub(crate) const HIVE_DEFAULT_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// A partition before typing: raw values and its location.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub(crate) values: Vec<String>,
    location: Where,
    format: StorageFormat,
}

impl Candidate {
    /// The folder a partition found by listing is in; `None` for the others.
    pub(crate) fn listed_prefix(&self) -> Option<&str> {
        match &self.location {
            Where::Resolved(location) => Some(location.prefix.as_ref()),
            Where::Given(_) => None,
        }
    }
}

/// A candidate's location. Locations from the catalog or a projection are
/// resolved (mapped, turned into a store and a path) only for the partitions
/// that survive pruning: resolving all 10,000 registered partitions of a table
/// took most of the planning time of a query that needs one.
#[derive(Debug, Clone)]
enum Where {
    /// Found by listing storage, so already resolved.
    Resolved(ResolvedLocation),
    /// As the catalog or the projection gives it.
    Given(String),
}

/// A partition chosen for a scan.
#[derive(Debug, Clone)]
pub(crate) struct ScanPartition {
    /// Where its files are.
    pub(crate) location: ResolvedLocation,
    /// Typed values, in partition-key order.
    pub(crate) values: Vec<ScalarValue>,
    /// Its file format.
    pub(crate) format: StorageFormat,
}

/// Candidates from the catalog's registered partitions.
pub(crate) fn registered(partitions: &[PartitionDef]) -> Vec<Candidate> {
    partitions
        .iter()
        .map(|p| Candidate {
            values: p.values.clone(),
            location: Where::Given(p.location.clone()),
            format: p.format,
        })
        .collect()
}

/// Candidates from a partition projection.
pub(crate) fn projected(partitions: Vec<ProjectedPartition>, table: &TableDef) -> Vec<Candidate> {
    partitions
        .into_iter()
        .map(|p| Candidate {
            values: p.values,
            location: Where::Given(p.location),
            format: table.format,
        })
        .collect()
}

/// Candidates from `key=value/` folders under the table's location, one
/// level per partition key. Lists folders only.
pub(crate) async fn discover(
    store: &dyn ObjectStore,
    table: &TableDef,
    root: &ResolvedLocation,
) -> Result<Vec<Candidate>> {
    let mut level: Vec<(Vec<String>, ObjectPath)> = vec![(Vec::new(), root.prefix.clone())];
    for key in &table.partition_keys {
        let mut next = Vec::new();
        for (values, dir) in level {
            let listing = store.list_with_delimiter(Some(&dir)).await?;
            for folder in listing.common_prefixes {
                let Some(name) = folder.filename() else {
                    continue;
                };
                let Some((k, v)) = name.split_once('=') else {
                    continue;
                };
                if k.eq_ignore_ascii_case(&key.name) {
                    let mut values = values.clone();
                    values.push(unescape_partition_value(v));
                    next.push((values, folder));
                }
            }
        }
        level = next;
    }
    level.sort();
    Ok(level
        .into_iter()
        .map(|(values, prefix)| {
            let mut location = root.clone();
            if let Some(dir) = &mut location.local_dir {
                *dir = std::path::Path::new("/").join(prefix.as_ref());
            }
            location.display = match &location.local_dir {
                Some(_) => format!("/{prefix}"),
                None => format!("{}{prefix}/", root.store.as_str()),
            };
            location.prefix = prefix;
            Candidate {
                values,
                location: Where::Resolved(location),
                format: table.format,
            }
        })
        .collect())
}

/// Whether an expression uses partition keys only (and can be decided per partition).
pub(crate) fn only_partition_keys(table: &TableDef, expr: &Expr) -> bool {
    let columns = expr.column_refs();
    !columns.is_empty()
        && !expr.is_volatile()
        && columns
            .iter()
            .all(|c| table.partition_keys.iter().any(|k| k.name == c.name))
}

/// Types the candidates' values and keeps those that satisfy every filter on
/// partition keys alone.
pub(crate) fn prune(
    state: &dyn Session,
    table: &TableDef,
    candidates: Vec<Candidate>,
    filters: &[Expr],
    map: &LocationMap,
) -> Result<Vec<ScanPartition>> {
    let (batch, keep) = {
        let raw: Vec<&[String]> = candidates.iter().map(|c| c.values.as_slice()).collect();
        evaluate(state, table, &raw, filters)?
    };

    // The kept partitions' given locations, resolved together.
    let given: Vec<String> = candidates
        .iter()
        .zip(&keep)
        .filter_map(|(c, &k)| match &c.location {
            Where::Given(location) if k => Some(location.clone()),
            _ => None,
        })
        .collect();
    let mut resolved = resolve_all(&given, map)?.into_iter();
    let mut kept = Vec::new();
    for (i, candidate) in candidates.into_iter().enumerate() {
        if keep[i] {
            let values = batch
                .columns()
                .iter()
                .map(|c| ScalarValue::try_from_array(c, i))
                .collect::<Result<Vec<_>>>()?;
            let location = match candidate.location {
                Where::Resolved(location) => location,
                Where::Given(_) => resolved.next().ok_or_else(|| {
                    datafusion::error::DataFusionError::Internal(
                        "a kept partition's location was not resolved".to_string(),
                    )
                })?,
            };
            kept.push(ScanPartition {
                location,
                values,
                format: candidate.format,
            });
        }
    }
    Ok(kept)
}

/// The partition values (raw, in partition-key order; Hive's default
/// partition name for NULL) that satisfy every filter on partition keys
/// alone, typed; `None` for those pruned.
pub(crate) fn surviving(
    state: &dyn Session,
    table: &TableDef,
    values: &[&[String]],
    filters: &[Expr],
) -> Result<Vec<Option<Vec<ScalarValue>>>> {
    let (batch, keep) = evaluate(state, table, values, filters)?;
    keep.iter()
        .enumerate()
        .map(|(i, &k)| {
            if !k {
                return Ok(None);
            }
            batch
                .columns()
                .iter()
                .map(|c| ScalarValue::try_from_array(c, i))
                .collect::<Result<Vec<_>>>()
                .map(Some)
        })
        .collect()
}

/// The typed values as a batch (a column per partition key), and whether
/// each row satisfies every filter on partition keys alone.
fn evaluate(
    state: &dyn Session,
    table: &TableDef,
    values: &[&[String]],
    filters: &[Expr],
) -> Result<(RecordBatch, Vec<bool>)> {
    let fields: Vec<Field> = table
        .partition_keys
        .iter()
        .map(|k| Field::new(&k.name, k.data_type.clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let columns = typed_values(table, values)?;
    let options = RecordBatchOptions::new().with_row_count(Some(values.len()));
    let batch = RecordBatch::try_new_with_options(Arc::clone(&schema), columns, &options)?;

    let mut keep = vec![true; values.len()];
    let df_schema = DFSchema::try_from(Arc::clone(&schema))?;
    for filter in filters.iter().filter(|f| only_partition_keys(table, f)) {
        let expr = state.create_physical_expr(unnormalize_col(filter.clone()), &df_schema)?;
        let result = expr.evaluate(&batch)?.into_array(batch.num_rows())?;
        let result = result
            .as_any()
            .downcast_ref::<BooleanArray>()
            .ok_or_else(|| {
                datafusion::error::DataFusionError::Plan(format!(
                    "filter {filter} is not a predicate"
                ))
            })?;
        for (i, k) in keep.iter_mut().enumerate() {
            // NULL is not true: the partition is pruned, as in SQL.
            *k &= result.is_valid(i) && result.value(i);
        }
    }
    Ok((batch, keep))
}

/// One typed array per partition key, cast from the string values.
fn typed_values(table: &TableDef, candidates: &[&[String]]) -> Result<Vec<ArrayRef>> {
    let options = CastOptions {
        safe: false,
        format_options: FormatOptions::default(),
    };
    table
        .partition_keys
        .iter()
        .enumerate()
        .map(|(k, key)| {
            let raw: StringArray = candidates
                .iter()
                .map(|c| Some(c[k].as_str()).filter(|v| *v != HIVE_DEFAULT_PARTITION))
                .collect();
            cast_with_options(&raw, &key.data_type, &options).map_err(|_| {
                // Find the culprit for the message.
                let bad = candidates
                    .iter()
                    .map(|c| c[k].as_str())
                    .find(|v| {
                        let one = StringArray::from(vec![*v]);
                        cast_with_options(&one, &key.data_type, &options).is_err()
                    })
                    .unwrap_or_default();
                Error::InvalidPartitionValue {
                    table: table.qualified_name(),
                    key: key.name.clone(),
                    value: bad.to_string(),
                    data_type: key.type_string.clone(),
                }
                .into()
            })
        })
        .collect()
}
