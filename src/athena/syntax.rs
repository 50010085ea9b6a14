//! Parsing a statement in Athena's dialect, and the rewrites of its syntax
//! tree that must happen before DataFusion plans it.
//!
//! - `ts AT TIME ZONE zone` becomes `at_timezone(ts, zone)`. DataFusion
//!   plans it as a cast to a zoned timestamp, which reads a timestamp without
//!   zone as wall time in `zone`; Athena reads it in the session's zone (UTC)
//!   and shows that instant in `zone` (`functions::datetime::zones`).
//! - `CAST(x AS T)` where `T` contains a `ROW` becomes
//!   `cast_row(x, CAST(NULL AS T))` (`try_cast_row` for `TRY_CAST`): Trino
//!   pairs a row's fields by position, DataFusion by name
//!   (`functions::cast`).
//! - Inside `try(..)`, casts become `TRY_CAST`, so that a cast of a
//!   constant that fails gives NULL rather than failing the query when
//!   DataFusion folds it.
//! - In a lambda's body, `p.field` where `p` is one of its parameters becomes
//!   a field access on `p`: DataFusion resolves compound names against
//!   tables only, and would look for a column `field` of a table `p`.
//! - `.field` after anything but a name (`CAST(r AS ROW(a INT)).a`,
//!   `f(x).a`) becomes a field access by the field's name, which DataFusion
//!   reads only when written as a string.

use std::ops::ControlFlow;

use datafusion::common::{Result, not_impl_err, plan_datafusion_err};
use datafusion::sql::parser::{DFParserBuilder, Statement};
use datafusion::sql::sqlparser::ast::{
    AccessExpr, ArrayElemTypeDef, CastKind, DataType as SqlType, Expr, Function, FunctionArg,
    FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident, LambdaFunction, ObjectName,
    Value, visit_expressions_mut,
};

use crate::functions::cast::{CAST_ROW, TRY_CAST_ROW};

use super::dialect::AthenaDialect;

/// Parses one statement in Athena's dialect and applies the rewrites of the
/// module docs. `recursion_limit` is the session's parser setting.
pub(crate) fn parse(sql: &str, recursion_limit: usize) -> Result<Statement> {
    // Athena's `FOR VERSION AS OF` / `FOR TIMESTAMP AS OF`, as sqlparser's
    // `VERSION AS OF` / `TIMESTAMP AS OF` (see `iceberg::travel`).
    let travel = crate::iceberg::strip_for(sql);
    let dialect = AthenaDialect {
        time_travel: travel.is_some(),
    };
    let sql = travel.as_deref().unwrap_or(sql);
    let mut statements = DFParserBuilder::new(sql)
        .with_dialect(&dialect)
        .with_recursion_limit(recursion_limit)
        .build()?
        .parse_statements()?;
    if statements.len() > 1 {
        return not_impl_err!("one statement at a time, please: separate statements with ';'");
    }
    let mut statement = statements
        .pop_front()
        .ok_or_else(|| plan_datafusion_err!("no SQL statement was given"))?;
    rewrite(&mut statement);
    Ok(statement)
}

/// Applies the rewrites of the module docs to every expression of `statement`.
fn rewrite(statement: &mut Statement) {
    let _ = match statement {
        Statement::Statement(s) => visit_expressions_mut(s.as_mut(), rewrite_expr),
        Statement::Explain(e) => match e.statement.as_mut() {
            Statement::Statement(s) => visit_expressions_mut(s.as_mut(), rewrite_expr),
            _ => ControlFlow::Continue(()),
        },
        _ => ControlFlow::Continue(()),
    };
}

fn rewrite_expr(expr: &mut Expr) -> ControlFlow<()> {
    match expr {
        Expr::AtTimeZone {
            timestamp,
            time_zone,
        } => {
            *expr = call(
                "at_timezone",
                vec![timestamp.as_ref().clone(), time_zone.as_ref().clone()],
            );
        }
        Expr::Cast {
            kind,
            expr: value,
            data_type,
            ..
        } if has_row(data_type) => {
            let name = match kind {
                CastKind::TryCast | CastKind::SafeCast => TRY_CAST_ROW,
                CastKind::Cast | CastKind::DoubleColon => CAST_ROW,
            };
            let type_carrier = Expr::Cast {
                kind: CastKind::Cast,
                expr: Box::new(Expr::value(Value::Null)),
                data_type: data_type.clone(),
                array: false,
                format: None,
            };
            *expr = call(name, vec![value.as_ref().clone(), type_carrier]);
        }
        Expr::Lambda(lambda) => field_access_on_parameters(lambda),
        Expr::Function(f) if is_named(&f.name, "try") => casts_give_null(&mut f.args),
        Expr::CompoundFieldAccess { root, access_chain }
            if !matches!(
                root.as_ref(),
                Expr::Identifier(_) | Expr::CompoundIdentifier(_)
            ) =>
        {
            for access in access_chain {
                if let AccessExpr::Dot(Expr::Identifier(id)) = access {
                    *access =
                        AccessExpr::Dot(Expr::value(Value::SingleQuotedString(normalize(id))));
                }
            }
        }
        _ => {}
    }
    ControlFlow::Continue(())
}

/// Whether `name` is the one-part function name `function`.
fn is_named(name: &ObjectName, function: &str) -> bool {
    match name.0.as_slice() {
        [part] => part
            .as_ident()
            .is_some_and(|id| id.value.eq_ignore_ascii_case(function)),
        _ => false,
    }
}

/// Makes every cast in `args` a `TRY_CAST`. `try` does the same to the
/// planned expression (`functions::conditional`), but DataFusion's
/// simplifier folds a cast of a literal first and fails the whole query
/// when it does not convert: `try(CAST('x' AS integer))` must be NULL.
fn casts_give_null(args: &mut FunctionArguments) {
    let _ = visit_expressions_mut(args, |e| {
        match e {
            Expr::Cast { kind, .. } if matches!(kind, CastKind::Cast | CastKind::DoubleColon) => {
                *kind = CastKind::TryCast;
            }
            Expr::Function(f) if is_named(&f.name, CAST_ROW) => {
                f.name = ObjectName::from(vec![Ident::new(TRY_CAST_ROW)]);
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
}

/// Whether a cast to `t` must pair row fields by position.
fn has_row(t: &SqlType) -> bool {
    match t {
        SqlType::Struct(..) => true,
        SqlType::Array(
            ArrayElemTypeDef::AngleBracket(inner)
            | ArrayElemTypeDef::SquareBracket(inner, _)
            | ArrayElemTypeDef::Parenthesis(inner),
        ) => has_row(inner),
        SqlType::Map(key, value) => has_row(key) || has_row(value),
        _ => false,
    }
}

/// Rewrites `p.a.b` in `lambda`'s body, for each parameter `p`, as the field
/// access `p['a']['b']`. Expressions are visited children first, so the
/// lambdas nested in the body have already claimed their own parameters.
fn field_access_on_parameters(lambda: &mut LambdaFunction) {
    let params: Vec<String> = lambda.params.iter().map(|p| normalize(&p.name)).collect();
    let _ = visit_expressions_mut(lambda.body.as_mut(), |e| {
        if let Expr::CompoundIdentifier(ids) = e
            && params.contains(&normalize(&ids[0]))
        {
            let access_chain = ids[1..]
                .iter()
                .map(|id| AccessExpr::Dot(Expr::value(Value::SingleQuotedString(normalize(id)))))
                .collect();
            *e = Expr::CompoundFieldAccess {
                root: Box::new(Expr::Identifier(ids[0].clone())),
                access_chain,
            };
        }
        ControlFlow::<()>::Continue(())
    });
}

/// A name as DataFusion's planner reads it: unquoted names are lower case.
fn normalize(id: &Ident) -> String {
    match id.quote_style {
        Some(_) => id.value.clone(),
        None => id.value.to_lowercase(),
    }
}

/// `name(args..)` as a syntax tree.
fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|a| FunctionArg::Unnamed(FunctionArgExpr::Expr(a)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(sql: &str) -> String {
        parse(sql, 50).unwrap().to_string()
    }

    #[test]
    fn lambdas_parse_as_lambdas() {
        assert_eq!(
            text("SELECT transform(a, x -> x + 1), reduce(a, 0, (s, x) -> s + x, s -> s)"),
            "SELECT transform(a, x -> x + 1), reduce(a, 0, (s, x) -> s + x, s -> s)"
        );
    }

    #[test]
    fn lambda_parameters_read_fields_by_access() {
        assert_eq!(
            text("SELECT reduce(a, r, (s, x) -> s.Sum + x + t.y, s -> s.sum.\"N\")"),
            "SELECT reduce(a, r, (s, x) -> s.'sum' + x + t.y, s -> s.'sum'.'N')"
        );
    }

    #[test]
    fn trino_types_in_casts() {
        assert_eq!(
            text(
                "SELECT CAST(r AS ROW(a INTEGER, b ARRAY(VARCHAR))).a, TRY_CAST(m AS MAP(VARCHAR, BIGINT))"
            ),
            "SELECT cast_row(r, CAST(NULL AS STRUCT(a INTEGER, b ARRAY<VARCHAR>))).'a', \
             TRY_CAST(m AS Map(VARCHAR, BIGINT))"
        );
        assert_eq!(
            text("SELECT CAST(x AS integer)"),
            "SELECT CAST(x AS INTEGER)"
        );
    }

    #[test]
    fn at_time_zone_becomes_a_function() {
        assert_eq!(
            text("SELECT ts AT TIME ZONE 'UTC' FROM t"),
            "SELECT at_timezone(ts, 'UTC') FROM t"
        );
    }
}
