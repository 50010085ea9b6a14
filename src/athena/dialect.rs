//! The SQL dialect lathe parses: sqlparser's generic dialect, plus what
//! Athena (Trino) writes that the generic dialect reads differently.
//!
//! - **Lambdas**: `x -> x + 1` and `(s, x) -> s + x` are lambda expressions,
//!   as in Trino, so `transform(a, x -> x * 2)` reaches DataFusion's
//!   higher-order functions. The generic dialect reads `->` as a JSON
//!   operator, which Athena does not have. The dialects that read lambdas
//!   break Athena elsewhere (DuckDB's reads `f(x = 0)` as a named argument,
//!   Databricks' reads `"col"` as a string), so this one is the generic
//!   dialect with lambdas switched on. A side effect: `lambda` is a keyword
//!   (quote a column of that name, `"lambda"`).
//! - **Trino's type spellings in casts**: `ROW(a INTEGER, b VARCHAR)`,
//!   `ARRAY(T)` and `MAP(K, V)` inside `CAST`/`TRY_CAST`, which the generic
//!   dialect reads only as `STRUCT<..>`, `ARRAY<T>` and `Map(K, V)`. They are
//!   parsed here into sqlparser's struct, array and map types, which
//!   DataFusion plans (maps through [`AthenaTypePlanner`]).
//!
//! Everything else is delegated to [`GenericDialect`], and [`Dialect::dialect`]
//! answers as the generic dialect, so the parser's dialect checks behave
//! exactly as for it.

use std::any::TypeId;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::planner::TypePlanner;
use datafusion::sql::sqlparser::ast::{
    ArrayElemTypeDef, CastKind, DataType as SqlType, ExactNumberInfo, Expr, StructBracketKind,
    StructField, TimezoneInfo,
};
use datafusion::sql::sqlparser::dialect::{Dialect, GenericDialect};
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::Token;

/// Athena's dialect: see the module docs.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct AthenaDialect {
    /// Reads `VERSION AS OF` and `TIMESTAMP AS OF` after a table name (time
    /// travel on Iceberg tables, see `iceberg::travel`). Off unless a
    /// statement has such a clause: the grammar also claims `AT` and
    /// `BEFORE` after a table name, which would take aliases of those names.
    pub(crate) time_travel: bool,
}

impl Dialect for AthenaDialect {
    fn dialect(&self) -> TypeId {
        TypeId::of::<GenericDialect>()
    }

    fn supports_table_versioning(&self) -> bool {
        self.time_travel
    }

    fn supports_lambda_functions(&self) -> bool {
        true
    }

    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        let kind = match &parser.peek_token_ref().token {
            Token::Word(w) if w.keyword == Keyword::CAST => CastKind::Cast,
            Token::Word(w) if w.keyword == Keyword::TRY_CAST => CastKind::TryCast,
            _ => return None,
        };
        if parser.peek_nth_token_ref(1).token != Token::LParen {
            return None;
        }
        parser.next_token();
        Some(parse_cast(parser, kind))
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        GenericDialect.is_delimited_identifier_start(ch)
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        GenericDialect.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        GenericDialect.is_identifier_part(ch)
    }

    fn supports_unicode_string_literal(&self) -> bool {
        GenericDialect.supports_unicode_string_literal()
    }

    fn supports_partition_by_after_order_by(&self) -> bool {
        GenericDialect.supports_partition_by_after_order_by()
    }

    fn supports_array_join_syntax(&self) -> bool {
        GenericDialect.supports_array_join_syntax()
    }

    fn supports_group_by_expr(&self) -> bool {
        GenericDialect.supports_group_by_expr()
    }

    fn supports_group_by_with_modifier(&self) -> bool {
        GenericDialect.supports_group_by_with_modifier()
    }

    fn supports_left_associative_joins_without_parens(&self) -> bool {
        GenericDialect.supports_left_associative_joins_without_parens()
    }

    fn supports_connect_by(&self) -> bool {
        GenericDialect.supports_connect_by()
    }

    fn supports_match_recognize(&self) -> bool {
        GenericDialect.supports_match_recognize()
    }

    fn supports_pipe_operator(&self) -> bool {
        GenericDialect.supports_pipe_operator()
    }

    fn supports_start_transaction_modifier(&self) -> bool {
        GenericDialect.supports_start_transaction_modifier()
    }

    fn supports_window_function_null_treatment_arg(&self) -> bool {
        GenericDialect.supports_window_function_null_treatment_arg()
    }

    fn supports_dictionary_syntax(&self) -> bool {
        GenericDialect.supports_dictionary_syntax()
    }

    fn supports_window_clause_named_window_reference(&self) -> bool {
        GenericDialect.supports_window_clause_named_window_reference()
    }

    fn supports_parenthesized_set_variables(&self) -> bool {
        GenericDialect.supports_parenthesized_set_variables()
    }

    fn supports_select_wildcard_except(&self) -> bool {
        GenericDialect.supports_select_wildcard_except()
    }

    fn support_map_literal_syntax(&self) -> bool {
        GenericDialect.support_map_literal_syntax()
    }

    fn allow_extract_custom(&self) -> bool {
        GenericDialect.allow_extract_custom()
    }

    fn allow_extract_single_quotes(&self) -> bool {
        GenericDialect.allow_extract_single_quotes()
    }

    fn supports_extract_comma_syntax(&self) -> bool {
        GenericDialect.supports_extract_comma_syntax()
    }

    fn supports_create_view_comment_syntax(&self) -> bool {
        GenericDialect.supports_create_view_comment_syntax()
    }

    fn supports_parens_around_table_factor(&self) -> bool {
        GenericDialect.supports_parens_around_table_factor()
    }

    fn supports_values_as_table_factor(&self) -> bool {
        GenericDialect.supports_values_as_table_factor()
    }

    fn supports_create_index_with_clause(&self) -> bool {
        GenericDialect.supports_create_index_with_clause()
    }

    fn supports_explain_with_utility_options(&self) -> bool {
        GenericDialect.supports_explain_with_utility_options()
    }

    fn supports_limit_comma(&self) -> bool {
        GenericDialect.supports_limit_comma()
    }

    fn supports_update_order_by(&self) -> bool {
        GenericDialect.supports_update_order_by()
    }

    fn supports_from_first_select(&self) -> bool {
        GenericDialect.supports_from_first_select()
    }

    fn supports_projection_trailing_commas(&self) -> bool {
        GenericDialect.supports_projection_trailing_commas()
    }

    fn supports_asc_desc_in_column_definition(&self) -> bool {
        GenericDialect.supports_asc_desc_in_column_definition()
    }

    fn supports_try_convert(&self) -> bool {
        GenericDialect.supports_try_convert()
    }

    fn supports_bitwise_shift_operators(&self) -> bool {
        GenericDialect.supports_bitwise_shift_operators()
    }

    fn supports_comment_on(&self) -> bool {
        GenericDialect.supports_comment_on()
    }

    fn supports_load_extension(&self) -> bool {
        GenericDialect.supports_load_extension()
    }

    fn supports_named_fn_args_with_assignment_operator(&self) -> bool {
        GenericDialect.supports_named_fn_args_with_assignment_operator()
    }

    fn supports_struct_literal(&self) -> bool {
        GenericDialect.supports_struct_literal()
    }

    fn supports_empty_projections(&self) -> bool {
        GenericDialect.supports_empty_projections()
    }

    fn supports_nested_comments(&self) -> bool {
        GenericDialect.supports_nested_comments()
    }

    fn supports_multiline_comment_hints(&self) -> bool {
        GenericDialect.supports_multiline_comment_hints()
    }

    fn supports_user_host_grantee(&self) -> bool {
        GenericDialect.supports_user_host_grantee()
    }

    fn supports_string_escape_constant(&self) -> bool {
        GenericDialect.supports_string_escape_constant()
    }

    fn supports_array_typedef_with_brackets(&self) -> bool {
        GenericDialect.supports_array_typedef_with_brackets()
    }

    fn supports_match_against(&self) -> bool {
        GenericDialect.supports_match_against()
    }

    fn supports_set_names(&self) -> bool {
        GenericDialect.supports_set_names()
    }

    fn supports_comma_separated_set_assignments(&self) -> bool {
        GenericDialect.supports_comma_separated_set_assignments()
    }

    fn supports_filter_during_aggregation(&self) -> bool {
        GenericDialect.supports_filter_during_aggregation()
    }

    fn supports_select_wildcard_exclude(&self) -> bool {
        GenericDialect.supports_select_wildcard_exclude()
    }

    fn supports_data_type_signed_suffix(&self) -> bool {
        GenericDialect.supports_data_type_signed_suffix()
    }

    fn supports_interval_options(&self) -> bool {
        GenericDialect.supports_interval_options()
    }

    fn supports_quote_delimited_string(&self) -> bool {
        GenericDialect.supports_quote_delimited_string()
    }

    fn supports_select_wildcard_replace(&self) -> bool {
        GenericDialect.supports_select_wildcard_replace()
    }

    fn supports_select_wildcard_ilike(&self) -> bool {
        GenericDialect.supports_select_wildcard_ilike()
    }

    fn supports_select_wildcard_rename(&self) -> bool {
        GenericDialect.supports_select_wildcard_rename()
    }

    fn supports_optimize_table(&self) -> bool {
        GenericDialect.supports_optimize_table()
    }

    fn supports_install(&self) -> bool {
        GenericDialect.supports_install()
    }

    fn supports_detach(&self) -> bool {
        GenericDialect.supports_detach()
    }

    fn supports_prewhere(&self) -> bool {
        GenericDialect.supports_prewhere()
    }

    fn supports_with_fill(&self) -> bool {
        GenericDialect.supports_with_fill()
    }

    fn supports_limit_by(&self) -> bool {
        GenericDialect.supports_limit_by()
    }

    fn supports_interpolate(&self) -> bool {
        GenericDialect.supports_interpolate()
    }

    fn supports_settings(&self) -> bool {
        GenericDialect.supports_settings()
    }

    fn supports_select_format(&self) -> bool {
        GenericDialect.supports_select_format()
    }

    fn supports_comment_optimizer_hint(&self) -> bool {
        GenericDialect.supports_comment_optimizer_hint()
    }

    fn supports_constraint_keyword_without_name(&self) -> bool {
        GenericDialect.supports_constraint_keyword_without_name()
    }

    fn supports_key_column_option(&self) -> bool {
        GenericDialect.supports_key_column_option()
    }

    fn supports_comma_separated_trim(&self) -> bool {
        GenericDialect.supports_comma_separated_trim()
    }

    fn supports_cte_without_as(&self) -> bool {
        GenericDialect.supports_cte_without_as()
    }

    fn supports_select_item_multi_column_alias(&self) -> bool {
        GenericDialect.supports_select_item_multi_column_alias()
    }

    fn supports_xml_expressions(&self) -> bool {
        GenericDialect.supports_xml_expressions()
    }
}

/// `CAST(expr AS type)` after the keyword, with Trino's type spellings, then
/// any `.field` / `[index]` access that follows (`CAST(r AS ROW(a INT)).a`).
fn parse_cast(parser: &mut Parser, kind: CastKind) -> Result<Expr, ParserError> {
    parser.expect_token(&Token::LParen)?;
    let expr = parser.parse_expr()?;
    parser.expect_keyword_is(Keyword::AS)?;
    let data_type = parse_type(parser)?;
    parser.expect_token(&Token::RParen)?;
    let cast = Expr::Cast {
        kind,
        expr: Box::new(expr),
        data_type,
        array: false,
        format: None,
    };
    parser.parse_compound_expr(cast, vec![])
}

/// A type in Trino's spelling (`ROW(..)`, `ARRAY(..)`, `MAP(.., ..)`, nested
/// freely), else whatever the generic dialect reads.
fn parse_type(parser: &mut Parser) -> Result<SqlType, ParserError> {
    let keyword = match &parser.peek_token_ref().token {
        Token::Word(w) if parser.peek_nth_token_ref(1).token == Token::LParen => w.keyword,
        _ => return parser.parse_data_type(),
    };
    match keyword {
        Keyword::ROW => {
            parser.next_token();
            parser.expect_token(&Token::LParen)?;
            let fields = parser.parse_comma_separated(parse_row_field)?;
            parser.expect_token(&Token::RParen)?;
            Ok(SqlType::Struct(fields, StructBracketKind::Parentheses))
        }
        Keyword::ARRAY => {
            parser.next_token();
            parser.expect_token(&Token::LParen)?;
            let element = parse_type(parser)?;
            parser.expect_token(&Token::RParen)?;
            Ok(SqlType::Array(ArrayElemTypeDef::AngleBracket(Box::new(
                element,
            ))))
        }
        Keyword::MAP => {
            parser.next_token();
            parser.expect_token(&Token::LParen)?;
            let key = parse_type(parser)?;
            parser.expect_token(&Token::Comma)?;
            let value = parse_type(parser)?;
            parser.expect_token(&Token::RParen)?;
            Ok(SqlType::Map(Box::new(key), Box::new(value)))
        }
        _ => parser.parse_data_type(),
    }
}

/// One field of `ROW(..)`: `name type`, or a bare `type` (Trino names it
/// by position).
fn parse_row_field(parser: &mut Parser) -> Result<StructField, ParserError> {
    let named = matches!(parser.peek_token_ref().token, Token::Word(_))
        && !matches!(
            parser.peek_nth_token_ref(1).token,
            Token::Comma | Token::RParen | Token::LParen
        );
    let field_name = if named {
        Some(parser.parse_identifier()?)
    } else {
        None
    };
    Ok(StructField {
        field_name,
        field_type: parse_type(parser)?,
        options: None,
    })
}

/// Plans `MAP(K, V)` types, which DataFusion's SQL planner does not; every
/// other type is left to DataFusion.
#[derive(Debug, Default)]
pub(crate) struct AthenaTypePlanner;

impl TypePlanner for AthenaTypePlanner {
    fn plan_type_field(&self, sql_type: &SqlType) -> Result<Option<FieldRef>> {
        match sql_type {
            SqlType::Map(..) => match arrow_type(sql_type) {
                Some(t) => Ok(Some(Arc::new(Field::new("", t, true)))),
                None => plan_err!("CAST: unsupported key or value type in {sql_type}"),
            },
            _ => Ok(None),
        }
    }
}

/// The Arrow type of a SQL type inside `MAP(K, V)`: the types Athena tables
/// use, mapped as DataFusion maps them at top level.
fn arrow_type(sql_type: &SqlType) -> Option<DataType> {
    Some(match sql_type {
        SqlType::Varchar(_)
        | SqlType::String(_)
        | SqlType::Text
        | SqlType::Char(_)
        | SqlType::JSON => DataType::Utf8,
        SqlType::Boolean | SqlType::Bool => DataType::Boolean,
        SqlType::TinyInt(_) => DataType::Int8,
        SqlType::SmallInt(_) => DataType::Int16,
        SqlType::Int(_) | SqlType::Integer(_) => DataType::Int32,
        SqlType::BigInt(_) => DataType::Int64,
        SqlType::Real | SqlType::Float(_) => DataType::Float32,
        SqlType::Double(_) | SqlType::DoublePrecision => DataType::Float64,
        SqlType::Date => DataType::Date32,
        SqlType::Timestamp(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
            DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Nanosecond, None)
        }
        SqlType::Decimal(ExactNumberInfo::PrecisionAndScale(p, s)) => {
            DataType::Decimal128(u8::try_from(*p).ok()?, i8::try_from(*s).ok()?)
        }
        SqlType::Array(ArrayElemTypeDef::AngleBracket(inner)) => {
            DataType::new_list(arrow_type(inner)?, true)
        }
        SqlType::Struct(fields, _) => DataType::Struct(Fields::from(
            fields
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let name = f
                        .field_name
                        .as_ref()
                        .map_or_else(|| format!("c{i}"), |n| n.value.to_lowercase());
                    Some(Field::new(name, arrow_type(&f.field_type)?, true))
                })
                .collect::<Option<Vec<_>>>()?,
        )),
        SqlType::Map(key, value) => {
            let entries = Field::new(
                "entries",
                DataType::Struct(Fields::from(vec![
                    Field::new("key", arrow_type(key)?, false),
                    Field::new("value", arrow_type(value)?, true),
                ])),
                false,
            );
            DataType::Map(Arc::new(entries), false)
        }
        _ => return None,
    })
}
