//! Athena statements that DataFusion does not parse, rewritten into SQL it
//! does before planning. Pure: text in, text out.
//!
//! Today: `SHOW DATABASES` / `SHOW SCHEMAS` with an optional Hive-style
//! pattern (`*` matches anything, `|` separates alternatives), answered from
//! `information_schema` with Athena's column name `database_name`.
//!
//! The DDL and metadata statements DataFusion does not know (`CREATE
//! EXTERNAL TABLE`, `MSCK REPAIR TABLE`, `SHOW CREATE TABLE`, `PREPARE`, ...)
//! are parsed by [`ddl`] and run by the engine.
//!
//! Athena's write statements (UNLOAD) are parsed in [`write`] and run by
//! the engine; its Iceberg maintenance statements (OPTIMIZE, VACUUM) in
//! [`maintenance`].
//!
//! Queries are parsed in Athena's dialect ([`dialect`]: lambdas, Trino's
//! type names in casts) and their syntax trees rewritten before planning
//! ([`syntax`]); unaliased `a.b` select items get Trino's name, `b`, and
//! other unaliased items `_colN` ([`select_names`]). Trino's unparenthesised
//! `VALUES 1, 2` rows are parenthesised in the text before parsing
//! (`values`).

pub(crate) mod ddl;
pub(crate) mod dialect;
pub(crate) mod maintenance;
pub(crate) mod select_names;
pub(crate) mod syntax;
mod values;
pub(crate) mod write;

/// The rewritten statement, or `None` when `sql` is not one of these.
pub(crate) fn rewrite(sql: &str) -> Option<String> {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let is_show_databases = words.len() >= 2
        && words[0].eq_ignore_ascii_case("show")
        && (words[1].eq_ignore_ascii_case("databases") || words[1].eq_ignore_ascii_case("schemas"));
    if !is_show_databases {
        return None;
    }
    let rest = words[2..].join(" ");
    let rest = rest.trim().trim_end_matches(';').trim();
    let pattern = match rest
        .strip_prefix("LIKE")
        .or_else(|| rest.strip_prefix("like"))
    {
        Some(p) => Some(p.trim()),
        None if rest.is_empty() => None,
        None => Some(rest),
    };
    let filter = match pattern {
        None => String::new(),
        Some(p) => {
            let inner = p.strip_prefix('\'')?.strip_suffix('\'')?;
            // Hive patterns: `*` is any run of characters, `|` an alternative.
            let regex = inner
                .split('|')
                .map(|alt| format!("^{}$", alt.trim().replace('*', ".*")))
                .collect::<Vec<_>>()
                .join("|")
                .replace('\'', "''");
            format!(" AND regexp_like(schema_name, '{regex}')")
        }
    };
    Some(format!(
        "SELECT schema_name AS database_name FROM information_schema.schemata \
         WHERE schema_name <> 'information_schema'{filter} ORDER BY 1"
    ))
}

/// Replaces the positional `?` parameters of a prepared statement with the
/// `EXECUTE ... USING` values, in order. `?` inside string literals, quoted
/// names and comments is not a parameter. On a count mismatch, returns the
/// number of parameters the statement has.
pub(crate) fn bind_parameters(text: &str, values: &[String]) -> Result<String, usize> {
    use crate::script::{Piece, pieces};
    let mut out = String::with_capacity(text.len());
    let mut slots = 0;
    for piece in pieces(text) {
        match piece {
            Piece::Code('?') => {
                if let Some(value) = values.get(slots) {
                    out.push_str(value);
                }
                slots += 1;
            }
            Piece::Code(c) => out.push(c),
            Piece::Quoted(text) | Piece::Comment(text) => out.push_str(text),
        }
    }
    if slots == values.len() {
        Ok(out)
    } else {
        Err(slots)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_databases_with_and_without_a_pattern() {
        let plain = rewrite("show databases").unwrap();
        assert!(
            plain.ends_with("WHERE schema_name <> 'information_schema' ORDER BY 1"),
            "{plain}"
        );
        let like = rewrite("SHOW SCHEMAS LIKE 'we*|mas*';").unwrap();
        assert!(
            like.contains("regexp_like(schema_name, '^we.*$|^mas.*$')"),
            "{like}"
        );
        let bare = rewrite("SHOW DATABASES 'web'").unwrap();
        assert!(bare.contains("'^web$'"), "{bare}");
        assert_eq!(rewrite("SHOW TABLES"), None);
        assert_eq!(rewrite("SELECT 1"), None);
        assert_eq!(rewrite("SHOW DATABASES LIKE web"), None);
    }

    #[test]
    fn parameters_bind_in_order_outside_quotes_and_comments() {
        let values = ["1".to_string(), "'x'".to_string()];
        assert_eq!(
            bind_parameters("SELECT ? + 1, '?', \"a?\" -- ?\n, ? /* ? */", &values).unwrap(),
            "SELECT 1 + 1, '?', \"a?\" -- ?\n, 'x' /* ? */"
        );
        assert_eq!(
            bind_parameters("SELECT 'it''s ?', ?", &values[..1]).unwrap(),
            "SELECT 'it''s ?', 1"
        );
        assert_eq!(bind_parameters("SELECT ?", &values), Err(1));
        assert_eq!(bind_parameters("SELECT ?, ?, ?", &values), Err(3));
    }
}
