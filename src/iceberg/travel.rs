//! Athena's time travel and metadata-table names, as table names the
//! catalog provider understands.
//!
//! `t FOR VERSION AS OF 123` and `t FOR TIMESTAMP AS OF <expr>` (Athena
//! engine v3's clauses) are read by sqlparser's table-version grammar
//! (`VERSION AS OF` / `TIMESTAMP AS OF`, after [`strip_for`] removed the
//! `FOR`), then [`rewrite`] replaces the relation with `"t$snapshot=123"` or
//! `"t$timestamp_ms=..."` aliased back to `t`, once the engine has evaluated
//! each timestamp expression. The catalog provider opens such names (and
//! Athena's `"t$snapshots"`, `"t$files"`, ...) through [`TableSuffix`].

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Ident, ObjectNamePart, TableAlias, TableFactor, TableVersion, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

/// What follows `$` in a table name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TableSuffix {
    /// `t$snapshot=<id>`: the table at a snapshot.
    Snapshot(i64),
    /// `t$timestamp_ms=<ms>`: the table as it was then.
    Timestamp(i64),
    /// One of Athena's metadata tables: `snapshots`, `history`, `files`,
    /// `partitions`, `manifests`, `refs`.
    Metadata(String),
}

/// Splits `t$suffix` into the table and what follows; `None` for a plain name.
pub(crate) fn split(name: &str) -> Option<(&str, TableSuffix)> {
    let (table, suffix) = name.split_once('$')?;
    let suffix = suffix.to_ascii_lowercase();
    let parsed = if let Some(id) = suffix.strip_prefix("snapshot=") {
        TableSuffix::Snapshot(id.parse().ok()?)
    } else if let Some(ms) = suffix.strip_prefix("timestamp_ms=") {
        TableSuffix::Timestamp(ms.parse().ok()?)
    } else {
        TableSuffix::Metadata(suffix)
    };
    Some((table, parsed))
}

/// The SQL with `FOR` removed before `TIMESTAMP AS OF` and `VERSION AS OF`,
/// when it has such a clause (`None` otherwise, the common case).
pub(crate) fn strip_for(sql: &str) -> Option<String> {
    let tokens = Tokenizer::new(&GenericDialect, sql)
        .tokenize_with_location()
        .ok()?;
    let words: Vec<(usize, String)> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_)))
        .map(|(i, t)| {
            let word = match &t.token {
                Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
                _ => String::new(),
            };
            (i, word)
        })
        .collect();
    let mut drop = Vec::new();
    for w in words.windows(4) {
        if w[0].1 == "FOR"
            && matches!(w[1].1.as_str(), "TIMESTAMP" | "VERSION")
            && w[2].1 == "AS"
            && w[3].1 == "OF"
        {
            drop.push(w[0].0);
            // And the space after it, so the text reads as written.
            if matches!(
                tokens.get(w[0].0 + 1).map(|t| &t.token),
                Some(Token::Whitespace(_))
            ) {
                drop.push(w[0].0 + 1);
            }
        }
    }
    if drop.is_empty() {
        return None;
    }
    Some(
        tokens
            .iter()
            .enumerate()
            .filter(|(i, _)| !drop.contains(i))
            .map(|(_, t)| t.token.to_string())
            .collect(),
    )
}

/// The version clauses of a statement's relations, in order.
pub(crate) fn versions<V: datafusion::sql::sqlparser::ast::VisitMut>(
    statement: &mut V,
) -> Vec<TableVersion> {
    struct Collect(Vec<TableVersion>);
    impl VisitorMut for Collect {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
            if let TableFactor::Table {
                version: Some(v), ..
            } = factor
            {
                self.0.push(v.clone());
            }
            ControlFlow::Continue(())
        }
    }
    let mut collect = Collect(Vec::new());
    let _ = statement.visit(&mut collect);
    collect.0
}

/// What a version clause resolved to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Resolved {
    Snapshot(i64),
    TimestampMs(i64),
}

/// Replaces each versioned relation, in the order [`versions`] gave them,
/// with its `$`-suffixed name, aliased to the name the query used.
pub(crate) fn rewrite<V: datafusion::sql::sqlparser::ast::VisitMut>(
    statement: &mut V,
    resolved: &[Resolved],
) {
    struct Rewrite<'a>(std::slice::Iter<'a, Resolved>);
    impl VisitorMut for Rewrite<'_> {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
            if let TableFactor::Table {
                name,
                alias,
                version,
                ..
            } = factor
                && version.is_some()
                && let Some(resolved) = self.0.next()
                && let Some(ObjectNamePart::Identifier(last)) = name.0.last_mut()
            {
                if alias.is_none() {
                    *alias = Some(TableAlias {
                        explicit: true,
                        name: last.clone(),
                        columns: Vec::new(),
                        at: None,
                    });
                }
                let suffix = match resolved {
                    Resolved::Snapshot(id) => format!("snapshot={id}"),
                    Resolved::TimestampMs(ms) => format!("timestamp_ms={ms}"),
                };
                *last = Ident::with_quote('"', format!("{}${suffix}", last.value));
                *version = None;
            }
            ControlFlow::Continue(())
        }
    }
    let _ = statement.visit(&mut Rewrite(resolved.iter()));
}

/// The expression of a version clause, and whether it is a snapshot id.
pub(crate) fn clause(version: &TableVersion) -> Option<(bool, &Expr)> {
    match version {
        TableVersion::VersionAsOf(e) => Some((true, e)),
        TableVersion::TimestampAsOf(e) | TableVersion::ForSystemTimeAsOf(e) => Some((false, e)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn for_is_removed_only_before_version_clauses() {
        assert_eq!(strip_for("SELECT * FROM t"), None);
        assert_eq!(
            strip_for("SELECT * FROM t FOR VERSION AS OF 12 WHERE x = 'FOR TIMESTAMP AS OF'")
                .unwrap(),
            "SELECT * FROM t VERSION AS OF 12 WHERE x = 'FOR TIMESTAMP AS OF'"
        );
        assert_eq!(
            strip_for("select * from t for timestamp as of (current_timestamp - interval '1' day)")
                .unwrap(),
            "select * from t timestamp as of (current_timestamp - interval '1' day)"
        );
    }

    #[test]
    fn suffixes_split() {
        assert_eq!(
            split("events$snapshot=12"),
            Some(("events", TableSuffix::Snapshot(12)))
        );
        assert_eq!(
            split("events$TIMESTAMP_MS=-5"),
            Some(("events", TableSuffix::Timestamp(-5)))
        );
        assert_eq!(
            split("events$files"),
            Some(("events", TableSuffix::Metadata("files".into())))
        );
        assert_eq!(split("events"), None);
        assert_eq!(split("events$snapshot=x"), None);
    }
}
