//! Parsing a statement in Athena's dialect, and the rewrites of its syntax
//! tree that must happen before DataFusion plans it.
//!
//! - `ts AT TIME ZONE zone` becomes `at_timezone(ts, zone)`. DataFusion
//!   plans it as a cast to a zoned timestamp, which reads a timestamp without
//!   zone as wall time in `zone`; Athena reads it in the session's zone (UTC)
//!   and shows that instant in `zone` (`functions::datetime::zones`).
//! - `CAST(x AS T)` where `T` is a `ROW`, `ARRAY` or `MAP` becomes
//!   `cast_row(x, CAST(NULL AS T))` (`try_cast_row` for `TRY_CAST`): Trino
//!   pairs a row's fields by position, DataFusion by name; and a JSON value
//!   (text here) casts to these types by parsing it (`functions::cast`).
//! - `CAST(x AS <integer type>)` becomes `CAST(round_for_integer_cast(x) AS
//!   ..)`: Trino rounds a double or decimal half away from zero where
//!   Arrow truncates (`functions::cast`).
//! - Inside `try(..)`, casts become `TRY_CAST`, so that a cast of a
//!   constant that fails gives NULL rather than failing the query when
//!   DataFusion folds it.
//! - In a lambda's body, `p.field` where `p` is one of its parameters becomes
//!   a field access on `p`: DataFusion resolves compound names against
//!   tables only, and would look for a column `field` of a table `p`.
//! - `DECIMAL '13.0'` gets the literal's own precision and scale
//!   (`decimal(3,1)`), as in Trino; `JSON '..'` becomes `json_parse('..')`
//!   and `CAST(x AS JSON)` `cast_to_json(x)`: a JSON value is its text here.
//! - `SUBSTRING(s FROM a FOR b)` and `substr(s, a, b)` (which the parser
//!   reads as the same node) call the session's `substr`, Trino's
//!   (`functions::strings`); DataFusion would plan its own.
//! - `U&'\+01F600'` (a Unicode string literal, decoded by the parser) is a
//!   plain string literal.
//! - `reduce_agg(x, initial, input, combine)` becomes `reduce` over the
//!   group's `array_agg` (see [`reduce_agg`]).
//! - `normalize(s, NFD)`: the bare keyword of the form becomes the string
//!   `'NFD'`, which the function reads.
//! - `.field` after anything but a name (`CAST(r AS ROW(a INT)).a`,
//!   `f(x).a`) becomes a field access by the field's name, which DataFusion
//!   reads only when written as a string.

use std::ops::ControlFlow;

use datafusion::common::{Result, not_impl_err, plan_datafusion_err};
use datafusion::sql::parser::{DFParserBuilder, Statement};
use datafusion::sql::sqlparser::ast::{
    AccessExpr, CastKind, DataType as SqlType, ExactNumberInfo, Expr, Function, FunctionArg,
    FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident, LambdaFunction,
    LambdaFunctionParameter, LambdaSyntax, ObjectName, OneOrManyWithParens, Value,
    visit_expressions_mut,
};

use crate::functions::cast::{
    CAST_ROW, CAST_TO_JSON, ROUND_FOR_INTEGER, TEXT_FOR_VARCHAR, TRY_CAST_ROW,
};
use crate::functions::datetime::INTERVAL_TIMES;

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
    // Trino's `VALUES 1, 2, 3`, as `VALUES (1), (2), (3)`.
    let values = crate::athena::values::parenthesize_values(sql);
    let sql = values.as_deref().unwrap_or(sql);
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
    let inner = match statement {
        Statement::Statement(s) => s,
        Statement::Explain(e) => match e.statement.as_mut() {
            Statement::Statement(s) => s,
            _ => return,
        },
        _ => return,
    };
    let _ = visit_expressions_mut(inner.as_mut(), rewrite_expr);
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
        } if is_nested(data_type) => {
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
        Expr::Cast {
            expr: value,
            data_type,
            ..
        } if is_integer_type(data_type) => {
            let inner = std::mem::replace(value.as_mut(), Expr::value(Value::Null));
            **value = call(ROUND_FOR_INTEGER, vec![inner]);
        }
        Expr::Cast {
            expr: value,
            data_type,
            ..
        } if is_string_type(data_type) => {
            let inner = std::mem::replace(value.as_mut(), Expr::value(Value::Null));
            **value = call(TEXT_FOR_VARCHAR, vec![inner]);
        }
        // A string literal cast to a timestamp reads as Trino reads it, as
        // a TIMESTAMP literal does (below); column values go to Arrow's cast.
        Expr::Cast {
            expr: value,
            data_type: SqlType::Timestamp(..),
            ..
        } => {
            if let Expr::Value(v) = value.as_mut()
                && let Some(text) = string_of(&v.value).and_then(timestamp_literal)
            {
                v.value = Value::SingleQuotedString(text);
            }
        }
        Expr::TypedString(typed) => match &typed.data_type {
            SqlType::Decimal(ExactNumberInfo::None) | SqlType::Dec(ExactNumberInfo::None) => {
                if let Some((precision, scale)) =
                    string_of(&typed.value.value).and_then(decimal_literal)
                {
                    typed.data_type =
                        SqlType::Decimal(ExactNumberInfo::PrecisionAndScale(precision, scale));
                }
            }
            SqlType::JSON => {
                let text = Expr::value(typed.value.value.clone());
                *expr = call("json_parse", vec![text]);
            }
            SqlType::Timestamp(..) => {
                if let Some(text) = string_of(&typed.value.value).and_then(timestamp_literal) {
                    typed.value.value = Value::SingleQuotedString(text);
                }
            }
            _ => {}
        },
        Expr::Cast {
            kind,
            expr: value,
            data_type: SqlType::JSON,
            ..
        } => {
            let converted = call(CAST_TO_JSON, vec![value.as_ref().clone()]);
            *expr = match kind {
                CastKind::TryCast | CastKind::SafeCast => call("try", vec![converted]),
                CastKind::Cast | CastKind::DoubleColon => converted,
            };
        }
        // Trino multiplies intervals by numbers; DataFusion does not.
        Expr::BinaryOp {
            left,
            op: datafusion::sql::sqlparser::ast::BinaryOperator::Multiply,
            right,
        } if matches!(**left, Expr::Interval(_)) || matches!(**right, Expr::Interval(_)) => {
            let (interval, factor) = if matches!(**left, Expr::Interval(_)) {
                (left.as_ref().clone(), right.as_ref().clone())
            } else {
                (right.as_ref().clone(), left.as_ref().clone())
            };
            *expr = call(INTERVAL_TIMES, vec![interval, factor]);
        }
        Expr::Substring {
            expr: value,
            substring_from,
            substring_for,
            ..
        } => {
            let from = substring_from
                .as_deref()
                .cloned()
                .unwrap_or_else(|| Expr::value(Value::Number("1".into(), false)));
            let mut args = vec![value.as_ref().clone(), from];
            args.extend(substring_for.as_deref().cloned());
            *expr = call("substr", args);
        }
        // Trino's `current_schema` is a keyword, like `current_catalog`.
        Expr::Identifier(id)
            if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("current_schema") =>
        {
            *expr = call("current_schema", vec![]);
        }
        Expr::Value(v) => {
            if let Value::UnicodeStringLiteral(text) = &v.value {
                v.value = Value::SingleQuotedString(text.clone());
            }
        }
        Expr::Lambda(lambda) => field_access_on_parameters(lambda),
        Expr::Function(f) if is_named(&f.name, "try") => casts_give_null(&mut f.args),
        Expr::Function(f) if is_named(&f.name, "normalize") => normal_form_as_text(&mut f.args),
        Expr::Function(f) if is_named(&f.name, "reduce_agg") => {
            if let Some(planned) = reduce_agg(f) {
                *expr = planned;
            }
        }
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

/// Trino writes the form of `normalize(s, NFD)` as a bare keyword; it is
/// passed to the function as the string `'NFD'`.
fn normal_form_as_text(args: &mut FunctionArguments) {
    let FunctionArguments::List(list) = args else {
        return;
    };
    if let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(e @ Expr::Identifier(_)))) =
        list.args.get_mut(1)
        && let Expr::Identifier(id) = e
        && id.quote_style.is_none()
        && ["NFC", "NFD", "NFKC", "NFKD"]
            .iter()
            .any(|form| id.value.eq_ignore_ascii_case(form))
    {
        *e = Expr::value(Value::SingleQuotedString(id.value.to_ascii_uppercase()));
    }
}

/// `reduce_agg(x, initial, input, combine)` as `reduce(array_agg(x) FILTER
/// (WHERE x IS NOT NULL), initial, input, s -> s)`: folding the group's
/// non-NULL values in one pass is what Trino's partial states and `combine`
/// compute, whose contract makes the order immaterial. Left as written (and
/// refused by the planner) when it is a window or not four arguments.
fn reduce_agg(f: &Function) -> Option<Expr> {
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let args: Vec<&Expr> = list
        .args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let [x, initial, input, _combine] = args.as_slice() else {
        return None;
    };
    if f.over.is_some() || list.duplicate_treatment.is_some() {
        return None;
    }
    let mut collect = call("array_agg", vec![(*x).clone()]);
    let not_null = Expr::IsNotNull(Box::new((*x).clone()));
    if let Expr::Function(agg) = &mut collect {
        agg.filter = Some(Box::new(match &f.filter {
            Some(given) => Expr::BinaryOp {
                left: Box::new(Expr::Nested(given.clone())),
                op: datafusion::sql::sqlparser::ast::BinaryOperator::And,
                right: Box::new(not_null),
            },
            None => not_null,
        }));
    }
    let state = Ident::new("lathe_reduce_agg_state");
    let output = Expr::Lambda(LambdaFunction {
        params: OneOrManyWithParens::One(LambdaFunctionParameter {
            name: state.clone(),
            data_type: None,
        }),
        body: Box::new(Expr::Identifier(state)),
        syntax: LambdaSyntax::Arrow,
    });
    Some(call(
        "reduce",
        vec![collect, (*initial).clone(), (*input).clone(), output],
    ))
}

/// The text of a string literal.
fn string_of(value: &Value) -> Option<&str> {
    match value {
        Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Some(s),
        _ => None,
    }
}

/// A `TIMESTAMP '<text>'` literal as Arrow's parser wants it, when Trino
/// writes it more loosely: Trino takes single-digit fields and leaves the
/// seconds (or the whole time) out (`TIMESTAMP '2024-1-2 3:04'`, its
/// `DateTimes.parseTimestamp`); Arrow wants `2024-01-02 03:04:00`. A time
/// zone after the time is kept as written. `None` when nothing changes or
/// the text is not a timestamp (left for Arrow's own error).
fn timestamp_literal(text: &str) -> Option<String> {
    static PATTERN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(\.\d+)?)?)?(.*)$",
        )
        .expect("a valid pattern")
    });
    let fields = PATTERN.captures(text)?;
    let number = |i: usize| fields.get(i).map_or("0", |m| m.as_str());
    let two = |i: usize| format!("{:0>2}", number(i));
    let fraction = fields.get(7).map_or("", |m| m.as_str());
    let rest = fields.get(8).map_or("", |m| m.as_str());
    // A date alone stays a date alone, which Arrow reads as midnight.
    let normalized = if fields.get(4).is_none() {
        format!("{}-{}-{}{rest}", number(1), two(2), two(3))
    } else {
        format!(
            "{}-{}-{} {}:{}:{}{fraction}{rest}",
            number(1),
            two(2),
            two(3),
            two(4),
            two(5),
            two(6)
        )
    };
    (normalized != text).then_some(normalized)
}

/// The type Trino gives `DECIMAL '<text>'`: as many digits as the literal
/// has (leading zeros aside), and as many after the point
/// (`DECIMAL '13.0'` is `decimal(3,1)`); DataFusion would give every such
/// literal `decimal(38,10)`, and print ten decimals.
fn decimal_literal(text: &str) -> Option<(u64, i64)> {
    let digits = text.trim();
    let digits = digits.strip_prefix(['+', '-']).unwrap_or(digits);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole = whole.trim_start_matches('0');
    let scale = fraction.len();
    let precision = (whole.len() + scale).max(1);
    (precision <= 38).then_some((precision as u64, scale as i64))
}

/// Whether a cast to `t` must round its value first (see
/// `functions::cast::ROUND_FOR_INTEGER`).
/// `varchar[(n)]`, `char[(n)]` and `string`: casts whose text Trino writes
/// its own way (see `functions::cast::TEXT_FOR_VARCHAR`).
fn is_string_type(t: &SqlType) -> bool {
    matches!(
        t,
        SqlType::Varchar(_)
            | SqlType::Char(_)
            | SqlType::Character(_)
            | SqlType::CharacterVarying(_)
            | SqlType::String(_)
            | SqlType::Text
    )
}

fn is_integer_type(t: &SqlType) -> bool {
    matches!(
        t,
        SqlType::TinyInt(_)
            | SqlType::SmallInt(_)
            | SqlType::Int(_)
            | SqlType::Integer(_)
            | SqlType::BigInt(_)
            | SqlType::Int8(_)
            | SqlType::Int16
            | SqlType::Int32
            | SqlType::Int64
    )
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

/// Whether a cast to `t` goes through `cast_row`: a `ROW`, `ARRAY` or `MAP`
/// (rows pair by position; JSON text parses into any of them).
fn is_nested(t: &SqlType) -> bool {
    matches!(
        t,
        SqlType::Struct(..) | SqlType::Array(_) | SqlType::Map(..)
    )
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
    fn timestamp_literals_as_trino_writes_them() {
        assert_eq!(
            text(
                "SELECT TIMESTAMP '2024-1-2 3:04', TIMESTAMP '2024-01-02 10:00 UTC', \
                 TIMESTAMP '2024-01-02 10:00:05.5', TIMESTAMP '2024-1-2', \
                 CAST('2024-1-2 3:04' AS timestamp), CAST(s AS timestamp)"
            ),
            "SELECT TIMESTAMP '2024-01-02 03:04:00', TIMESTAMP '2024-01-02 10:00:00 UTC', \
             TIMESTAMP '2024-01-02 10:00:05.5', TIMESTAMP '2024-01-02', \
             CAST('2024-01-02 03:04:00' AS TIMESTAMP), CAST(s AS TIMESTAMP)"
        );
        assert_eq!(timestamp_literal("2024-01-02 10:00:05"), None);
        assert_eq!(timestamp_literal("yesterday"), None);
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
             try_cast_row(m, CAST(NULL AS Map(VARCHAR, BIGINT)))"
        );
        // Casts to integers round their value first, as Trino's do.
        assert_eq!(
            text("SELECT CAST(x AS integer)"),
            "SELECT CAST(round_for_integer_cast(x) AS INTEGER)"
        );
        assert_eq!(
            text("SELECT DECIMAL '13.0', DECIMAL '-0.05', JSON '[1]'"),
            "SELECT DECIMAL(3,1) '13.0', DECIMAL(2,2) '-0.05', json_parse('[1]')"
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
