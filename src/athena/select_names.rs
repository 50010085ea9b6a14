//! Trino's rules for `a.b` names that DataFusion does not share.
//!
//! Field names match regardless of case, even quoted: Trino lower-cases
//! every name (and Glue's struct fields are lower case), so AWS's WAF query
//! reads `"allrulegroups"."ruleGroupId"` from the field `rulegroupid`. The
//! quoted parts after the first of a compound name are lower-cased here;
//! the first part (a table, or a column) is left to DataFusion's matching.
//!
//! Unaliased `a.b` select items are named by the last name, `b`.
//!
//! Any other unaliased item (`count(*)`, `CAST(x AS varchar)`, `a + 1`) is
//! named `_colN`, N its 0-based position in the select list, as Trino names
//! it: that is the header of Athena's result CSV, and an outer query may
//! refer to it. DataFusion would name it after its text, and names a cast
//! after the column it casts, so `SELECT CAST(id AS varchar) FROM t ORDER
//! BY id` clashed with the sort key's own column.
//!
//! Trino names the column of a dereference (`httprequest.clientip`, a
//! struct field) after the field, as it names `t.col` after the column;
//! DataFusion names a field access after the whole expression, so an outer
//! query cannot refer to it by the field's name. AWS's documented WAF query
//! selects `"httprequest"."clientip"` in a `WITH` query and groups by
//! `"clientip"` outside it. Each such item gets its last name as an alias,
//! unless another item of the same select list would get the same name
//! (`SELECT a.id, b.id` keeps DataFusion's qualified names, which may
//! repeat; aliases may not).

use std::collections::HashMap;
use std::ops::ControlFlow;

use datafusion::sql::parser::Statement;
use datafusion::sql::sqlparser::ast::{
    Expr, Ident, Query, SelectItem, SetExpr, Value, VisitMut, VisitorMut, visit_expressions_mut,
};

/// Lower-cases the quoted field names of compound names, then names the
/// unaliased `a.b` items of every select list in `statement`.
pub(crate) fn name_dereferences(statement: &mut Statement) {
    let inner = match statement {
        Statement::Statement(s) => s,
        Statement::Explain(e) => match e.statement.as_mut() {
            Statement::Statement(s) => s,
            _ => return,
        },
        _ => return,
    };
    let _ = visit_expressions_mut(inner.as_mut(), |e| {
        if let Expr::CompoundIdentifier(parts) = e {
            for part in parts.iter_mut().skip(1) {
                if part.quote_style.is_some() {
                    part.value = part.value.to_lowercase();
                }
            }
        }
        ControlFlow::<()>::Continue(())
    });
    let _ = inner.visit(&mut Names);
}

struct Names;

impl VisitorMut for Names {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        name_set_expr(&mut query.body);
        ControlFlow::Continue(())
    }
}

fn name_set_expr(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => name_items(&mut select.projection),
        SetExpr::SetOperation { left, right, .. } => {
            name_set_expr(left);
            name_set_expr(right);
        }
        // Nested queries are visited on their own.
        _ => {}
    }
}

/// The output name of an item, as Trino gives it (lower case unless quoted).
fn item_name(item: &SelectItem) -> Option<String> {
    let normal = |id: &Ident| match id.quote_style {
        Some(_) => id.value.clone(),
        None => id.value.to_lowercase(),
    };
    match item {
        SelectItem::UnnamedExpr(Expr::Identifier(id)) => Some(normal(id)),
        SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => parts.last().map(normal),
        SelectItem::ExprWithAlias { alias, .. } => Some(normal(alias)),
        _ => None,
    }
}

fn name_items(items: &mut [SelectItem]) {
    // `_colN` counts output columns; after a wildcard the position is not
    // known here, and DataFusion's names stay.
    for (i, item) in items.iter_mut().enumerate() {
        match item {
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => break,
            SelectItem::UnnamedExpr(Expr::Identifier(_) | Expr::CompoundIdentifier(_)) => {}
            SelectItem::UnnamedExpr(expr) => {
                let expr = std::mem::replace(expr, Expr::value(Value::Null));
                *item = SelectItem::ExprWithAlias {
                    expr,
                    alias: Ident::new(format!("_col{i}")),
                };
            }
            _ => {}
        }
    }
    let mut counts: HashMap<String, usize> = HashMap::new();
    for item in items.iter() {
        if let Some(name) = item_name(item) {
            *counts.entry(name).or_default() += 1;
        }
    }
    for item in items.iter_mut() {
        let unique = item_name(item).is_some_and(|name| counts.get(&name) == Some(&1));
        let SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) = item else {
            continue;
        };
        let Some(last) = parts.last().cloned() else {
            continue;
        };
        if parts.len() >= 2 && unique {
            let expr = Expr::CompoundIdentifier(std::mem::take(parts));
            *item = SelectItem::ExprWithAlias { expr, alias: last };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(sql: &str) -> String {
        let mut statement = crate::athena::syntax::parse(sql, 64).unwrap();
        name_dereferences(&mut statement);
        statement.to_string()
    }

    #[test]
    fn dereferences_are_named_by_their_last_name() {
        assert_eq!(
            named(
                r#"WITH d AS (SELECT "httprequest"."clientip", h.a.b FROM w) SELECT "clientip", b FROM d"#
            ),
            r#"WITH d AS (SELECT "httprequest"."clientip" AS "clientip", h.a.b AS b FROM w) SELECT "clientip", b FROM d"#
        );
        // Repeated names keep their qualified forms; aliases stay.
        assert_eq!(
            named("SELECT a.id, b.id, c.x AS y, d.y FROM t"),
            "SELECT a.id, b.id, c.x AS y, d.y FROM t"
        );
        assert_eq!(
            named(r#"SELECT "r"."groupId", r."Rules".x FROM t"#),
            r#"SELECT "r"."groupid" AS "groupid", r."rules".x AS x FROM t"#
        );
        assert_eq!(
            named("SELECT t.x FROM t UNION ALL SELECT u.x FROM u"),
            "SELECT t.x AS x FROM t UNION ALL SELECT u.x AS x FROM u"
        );
    }

    #[test]
    fn other_unnamed_items_are_named_by_position_as_trino_names_them() {
        assert_eq!(
            named("SELECT status, count(*), id + 1 AS id FROM t GROUP BY 1"),
            "SELECT status, count(*) AS _col1, id + 1 AS id FROM t GROUP BY 1"
        );
        assert_eq!(
            named("SELECT x FROM (SELECT a + 1 FROM t) WHERE x IN (SELECT max(b) FROM u)"),
            "SELECT x FROM (SELECT a + 1 AS _col0 FROM t) WHERE x IN (SELECT max(b) AS _col0 FROM u)"
        );
        // After a wildcard the output position is unknown: names stay.
        assert_eq!(named("SELECT *, a + 1 FROM t"), "SELECT *, a + 1 FROM t");
    }
}
