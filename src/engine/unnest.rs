//! Trino's `UNNEST` as a relation: `CROSS JOIN UNNEST(t.arr) AS u(x)`,
//! several arrays zipped (`UNNEST(a, b) AS u(x, y)`, the shorter padded with
//! NULL), maps as `u(k, v)`, arrays of rows as one column per field (or, with
//! one alias name per array, as one column of rows, as AWS's CloudTrail and
//! WAF queries use them: `UNNEST(t.resources) u (entry)`, then `entry.arn`),
//! `WITH ORDINALITY` (1-based), and `LEFT JOIN UNNEST(..) u(x) ON TRUE`,
//! which keeps rows whose arrays are empty or NULL. An argument may be a
//! field of a column of the left side (`UNNEST(httprequest.headers)`).
//!
//! Two steps, because DataFusion 55 plans a lateral `UNNEST` over an outer
//! column as a correlated subquery it cannot run:
//!
//! 1. [`UnnestPlanner`], a relation planner, plans the `UNNEST` table factor
//!    itself: a projection of its arguments over one empty row, DataFusion's
//!    `Unnest` node, and a projection of the output columns (struct fields
//!    expanded, the ordinality last). Arguments naming the left side's
//!    columns are outer references, so DataFusion wraps this in a lateral
//!    subquery joined to the left side.
//! 2. [`decorrelate`], run on the logical plan before DataFusion's optimizer,
//!    replaces each such join by the same projections and `Unnest` rebuilt
//!    over the left side itself: every left row is repeated once per element,
//!    as Trino's join gives. For a LEFT join the `Unnest` keeps empty and NULL
//!    arrays as one row of NULLs; for CROSS and INNER joins it drops them.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{
    Column, DFSchema, NullHandling, Result, ScalarValue, UnnestOptions, plan_err,
};
use datafusion::functions::core::expr_fn::{get_field, greatest};
use datafusion::functions_nested::expr_fn::{cardinality, gen_series, map_entries};
use datafusion::logical_expr::planner::{
    PlannedRelation, RelationPlanner, RelationPlannerContext, RelationPlanning,
};
use datafusion::logical_expr::{
    Expr, ExprSchemable, JoinType, LogicalPlan, LogicalPlanBuilder, cast, lit,
};
use datafusion::sql::sqlparser::ast::{AccessExpr, Expr as SqlExpr, TableFactor, Value};

/// Prefix of the internal column names this module makes; never shown.
const PREFIX: &str = "__lathe_unnest";

/// Plans `UNNEST(..)` table factors (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct UnnestPlanner;

impl RelationPlanner for UnnestPlanner {
    fn plan_relation(
        &self,
        relation: TableFactor,
        context: &mut dyn RelationPlannerContext,
    ) -> Result<RelationPlanning> {
        let TableFactor::UNNEST {
            alias,
            array_exprs,
            with_offset: false,
            with_offset_alias: None,
            with_ordinality,
        } = relation
        else {
            return Ok(RelationPlanning::Original(Box::new(relation)));
        };
        if array_exprs.is_empty() {
            return plan_err!("UNNEST needs at least one array or map");
        }
        let empty = DFSchema::empty();
        let mut arguments = Vec::with_capacity(array_exprs.len() + 1);
        for (i, sql) in array_exprs.into_iter().enumerate() {
            let expr = match context.sql_to_expr(sql.clone(), &empty) {
                Ok(expr) => expr,
                Err(e) => field_of_outer_column(&sql, context, &empty).ok_or(e)?,
            };
            let expr = match expr.get_type(&empty)? {
                DataType::Map(..) => map_entries(expr),
                DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => expr,
                DataType::Null => cast(expr, DataType::new_list(DataType::Null, true)),
                other => {
                    return plan_err!(
                        "UNNEST: argument {} must be an array or a map, not {other}",
                        i + 1
                    );
                }
            };
            arguments.push(expr.alias(format!("{PREFIX}_{i}")));
        }
        let count = arguments.len();
        if with_ordinality {
            // 1, 2, .. up to the longest array: unnested beside the arrays, it
            // numbers their elements.
            let lengths: Vec<Expr> = arguments
                .iter()
                .map(|a| cast(cardinality(a.clone().unalias()), DataType::Int64))
                .collect();
            let longest = if lengths.len() == 1 {
                lengths.into_iter().next().unwrap_or_else(|| lit(0i64))
            } else {
                greatest(lengths)
            };
            arguments.push(gen_series(lit(1i64), longest, lit(1i64)).alias(format!("{PREFIX}_n")));
        }
        let projected = LogicalPlanBuilder::empty(true)
            .project(arguments)?
            .build()?;
        let columns: Vec<Column> = projected.schema().columns();
        let unnested = LogicalPlanBuilder::from(projected)
            .unnest_columns_with_options(
                columns,
                UnnestOptions::new().with_null_handling(NullHandling::Drop),
            )?
            .build()?;
        // One output column per array element, per struct field (arrays of
        // rows, map entries), then the ordinality. With one alias name per
        // array, an array of rows stays a column of rows, as Athena reads
        // AWS's documented `CROSS JOIN UNNEST(t.resources) u (entry)` and
        // `UNNEST(httprequest.headers) AS t(header)` (then `entry.arn`).
        let names = alias.as_ref().map_or(0, |a| a.columns.len());
        let whole_rows = names == count + usize::from(with_ordinality) && names > 0;
        let mut outputs = Vec::new();
        for (i, (qualifier, field)) in unnested.schema().iter().enumerate() {
            let column = Expr::Column(Column::from((qualifier, field)));
            match field.data_type() {
                DataType::Struct(fields) if i < count && !whole_rows => {
                    for (j, f) in fields.iter().enumerate() {
                        outputs.push(
                            get_field(column.clone(), f.name().as_str())
                                .alias(format!("{PREFIX}_{i}_{j}")),
                        );
                    }
                }
                _ => outputs.push(column.alias(format!("{PREFIX}_{i}_v"))),
            }
        }
        let plan = LogicalPlanBuilder::from(unnested)
            .project(outputs)?
            .build()?;
        Ok(RelationPlanning::Planned(Box::new(PlannedRelation::new(
            plan, alias,
        ))))
    }
}

/// `col.field` (or `t.col.field.sub`) over a column of the left side, which
/// DataFusion does not plan as written ("nested identifiers are not yet
/// supported for OuterReferenceColumn"): planned as the column, then field
/// accesses, trying the longest column name first. AWS's WAF queries unnest
/// `httprequest.headers` so.
fn field_of_outer_column(
    sql: &SqlExpr,
    context: &mut dyn RelationPlannerContext,
    schema: &DFSchema,
) -> Option<Expr> {
    let SqlExpr::CompoundIdentifier(parts) = sql else {
        return None;
    };
    (1..parts.len()).rev().find_map(|split| {
        let root = match split {
            1 => SqlExpr::Identifier(parts[0].clone()),
            _ => SqlExpr::CompoundIdentifier(parts[..split].to_vec()),
        };
        let access = SqlExpr::CompoundFieldAccess {
            root: Box::new(root),
            access_chain: parts[split..]
                .iter()
                // A quoted name, which DataFusion does not fold back into
                // the compound identifier (it would fail the same way).
                .map(|p| {
                    let name = match p.quote_style {
                        Some(_) => p.value.clone(),
                        None => p.value.to_lowercase(),
                    };
                    AccessExpr::Dot(SqlExpr::value(Value::SingleQuotedString(name)))
                })
                .collect(),
        };
        context.sql_to_expr(access, schema).ok()
    })
}

/// Rewrites every join of a relation to a lateral `UNNEST` (see the module
/// docs) into an `Unnest` over the join's left side. Other plans are
/// returned as they are.
pub(crate) fn decorrelate(plan: LogicalPlan) -> Result<LogicalPlan> {
    let rewritten = plan.transform_up_with_subqueries(|node| {
        let LogicalPlan::Join(join) = &node else {
            return Ok(Transformed::no(node));
        };
        let Some(lateral) = lateral_unnest(&join.right) else {
            return Ok(Transformed::no(node));
        };
        let condition = join_condition(join)?;
        let keep_empty = match (join.join_type, &condition) {
            (JoinType::Inner, _) => false,
            (JoinType::Left, None) => true,
            (JoinType::Left, Some(_)) => {
                return plan_err!("LEFT JOIN UNNEST: only ON TRUE is supported");
            }
            (other, _) => return plan_err!("{other} JOIN UNNEST is not supported"),
        };
        let left = join.left.as_ref();
        // The left side's columns under internal names, so that they cannot
        // clash with the names inside the unnest's projections.
        let hidden: Vec<String> = (0..left.schema().fields().len())
            .map(|j| format!("{PREFIX}_left_{j}"))
            .collect();
        let base = LogicalPlanBuilder::from(left.clone())
            .project(
                left.schema()
                    .columns()
                    .into_iter()
                    .zip(&hidden)
                    .map(|(c, h)| Expr::Column(c).alias(h)),
            )?
            .build()?;
        let Some(rebased) = rebase(lateral, &base, left.schema(), &hidden, keep_empty)? else {
            return Ok(Transformed::no(node));
        };
        // The unnest's columns under internal names too: a column renamed to
        // its own name under the alias's qualifier (`answer` as `st.answer`)
        // trips DataFusion's pushing of field accesses (`st.answer.rdata`)
        // below projections ("qualified field name st.answer and unqualified
        // field name answer would be ambiguous").
        let unnest_fields = rebased.schema().fields().len() - hidden.len();
        let outs: Vec<String> = (0..unnest_fields)
            .map(|k| format!("{PREFIX}_out_{k}"))
            .collect();
        let renames: Vec<Expr> = rebased
            .schema()
            .iter()
            .enumerate()
            .map(|(k, (qualifier, field))| {
                let column = Expr::Column(Column::from((qualifier, field)));
                match outs.get(k) {
                    Some(out) => column.alias(out),
                    None => column,
                }
            })
            .collect();
        let rebased = LogicalPlanBuilder::from(rebased)
            .project(renames)?
            .build()?;
        // Back to the join's own names: the left side's columns, then the
        // unnest's under its alias.
        let mut exprs = Vec::with_capacity(join.schema.fields().len());
        for (h, (qualifier, field)) in hidden.iter().zip(left.schema().iter()) {
            exprs.push(
                Expr::Column(Column::new_unqualified(h))
                    .alias_qualified(qualifier.cloned(), field.name()),
            );
        }
        let right = join.right.schema();
        for ((qualifier, field), out) in right.iter().zip(&outs) {
            exprs.push(
                Expr::Column(Column::new_unqualified(out))
                    .alias_qualified(qualifier.cloned(), field.name()),
            );
        }
        let mut builder = LogicalPlanBuilder::from(rebased).project(exprs)?;
        if let Some(condition) = condition {
            builder = builder.filter(condition)?;
        }
        Ok(Transformed::yes(builder.build()?))
    })?;
    if rewritten.transformed {
        // Parents were built over the join's schema; recompute them over the
        // rewritten one (the same names and types).
        Ok(rewritten
            .data
            .transform_up_with_subqueries(|n| n.recompute_schema().map(Transformed::yes))?
            .data)
    } else {
        Ok(rewritten.data)
    }
}

/// The join's condition as one expression, or `None` for a cross join or
/// `ON TRUE`.
fn join_condition(join: &datafusion::logical_expr::Join) -> Result<Option<Expr>> {
    let mut parts: Vec<Expr> = join
        .on
        .iter()
        .map(|(l, r)| l.clone().eq(r.clone()))
        .collect();
    match &join.filter {
        None | Some(Expr::Literal(ScalarValue::Boolean(Some(true)), _)) => {}
        Some(filter) => parts.push(filter.clone()),
    }
    Ok(parts.into_iter().reduce(Expr::and))
}

/// The plan inside a lateral subquery made by [`UnnestPlanner`] (under its
/// alias), or `None` when `right` is not one.
fn lateral_unnest(right: &LogicalPlan) -> Option<&LogicalPlan> {
    let right = match right {
        LogicalPlan::SubqueryAlias(alias) => alias.input.as_ref(),
        other => other,
    };
    let LogicalPlan::Subquery(subquery) = right else {
        return None;
    };
    let mut node = subquery.subquery.as_ref();
    let mut saw_unnest = false;
    loop {
        node = match node {
            LogicalPlan::Projection(p) => p.input.as_ref(),
            LogicalPlan::Unnest(u) => {
                saw_unnest = true;
                u.input.as_ref()
            }
            LogicalPlan::EmptyRelation(e) if e.produce_one_row && saw_unnest => {
                return Some(subquery.subquery.as_ref());
            }
            _ => return None,
        };
    }
}

/// `plan` (projections and an `Unnest` over one empty row) rebuilt over
/// `base`, with outer references to `left`'s columns read from `base`'s
/// `hidden` columns, which every projection carries along. `None` when an
/// outer reference is not to `left`.
fn rebase(
    plan: &LogicalPlan,
    base: &LogicalPlan,
    left: &DFSchema,
    hidden: &[String],
    keep_empty: bool,
) -> Result<Option<LogicalPlan>> {
    Ok(Some(match plan {
        LogicalPlan::EmptyRelation(_) => base.clone(),
        LogicalPlan::Projection(p) => {
            let Some(input) = rebase(&p.input, base, left, hidden, keep_empty)? else {
                return Ok(None);
            };
            let mut exprs = Vec::with_capacity(p.expr.len() + hidden.len());
            for e in &p.expr {
                let mut foreign = false;
                e.apply(|x| {
                    if let Expr::OuterReferenceColumn(_, c) = x {
                        foreign |= left.index_of_column(c).is_err();
                    }
                    Ok(TreeNodeRecursion::Continue)
                })?;
                if foreign {
                    return Ok(None);
                }
                let inner = e.clone().transform_up(|e| match e {
                    Expr::OuterReferenceColumn(_, c) => {
                        let j = left.index_of_column(&c)?;
                        Ok(Transformed::yes(Expr::Column(Column::new_unqualified(
                            &hidden[j],
                        ))))
                    }
                    other => Ok(Transformed::no(other)),
                })?;
                exprs.push(inner.data);
            }
            exprs.extend(
                hidden
                    .iter()
                    .map(|h| Expr::Column(Column::new_unqualified(h))),
            );
            LogicalPlanBuilder::from(input).project(exprs)?.build()?
        }
        LogicalPlan::Unnest(u) => {
            let Some(input) = rebase(&u.input, base, left, hidden, keep_empty)? else {
                return Ok(None);
            };
            let handling = if keep_empty {
                NullHandling::PreserveAndExpandEmpty
            } else {
                NullHandling::Drop
            };
            LogicalPlanBuilder::from(input)
                .unnest_columns_with_options(
                    u.exec_columns.clone(),
                    u.options.clone().with_null_handling(handling),
                )?
                .build()?
        }
        _ => return Ok(None),
    }))
}
