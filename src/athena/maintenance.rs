//! Athena's maintenance statements on Iceberg tables, parsed:
//! `OPTIMIZE [db.]t REWRITE DATA USING BIN_PACK [WHERE predicate]` and
//! `VACUUM [db.]t`. Pure: text in, a plain description out.

use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

use crate::error::{Error, Result};

/// One of the maintenance statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Maintenance {
    /// `OPTIMIZE t REWRITE DATA USING BIN_PACK [WHERE predicate]`.
    Optimize {
        database: Option<String>,
        table: String,
        /// The predicate, as written.
        filter: Option<String>,
    },
    /// `VACUUM t`.
    Vacuum {
        database: Option<String>,
        table: String,
    },
}

/// Parses a maintenance statement; `Ok(None)` when `sql` is not one.
pub(crate) fn parse(sql: &str) -> Result<Option<Maintenance>> {
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize() else {
        return Ok(None);
    };
    let words: Vec<&Token> = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    let keyword = |t: Option<&&Token>, k: &str| matches!(t, Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(k));
    let statement = if keyword(words.first(), "optimize") {
        "OPTIMIZE"
    } else if keyword(words.first(), "vacuum") {
        "VACUUM"
    } else {
        return Ok(None);
    };
    let fail = |reason: &str| Error::InvalidStatement {
        statement: statement.into(),
        reason: reason.into(),
    };
    // The table name: `t`, `db.t`, quoted parts too.
    let mut at = 1;
    let mut parts = Vec::new();
    loop {
        match words.get(at) {
            Some(Token::Word(w)) => parts.push(w.value.to_lowercase()),
            _ => return Err(fail("expected a table name")),
        }
        at += 1;
        if words.get(at) == Some(&&Token::Period) {
            at += 1;
            continue;
        }
        break;
    }
    let (database, table) = match parts.as_slice() {
        [t] => (None, t.clone()),
        [d, t] => (Some(d.clone()), t.clone()),
        [_, d, t] => (Some(d.clone()), t.clone()),
        _ => return Err(fail("expected a table name such as db.table")),
    };
    let end = |at: usize| matches!(words.get(at), None | Some(Token::SemiColon | Token::EOF));
    if statement == "VACUUM" {
        if !end(at) {
            return Err(fail("VACUUM takes only a table name"));
        }
        return Ok(Some(Maintenance::Vacuum { database, table }));
    }
    for k in ["rewrite", "data", "using", "bin_pack"] {
        if !keyword(words.get(at), k) {
            return Err(fail(
                "expected OPTIMIZE table REWRITE DATA USING BIN_PACK [WHERE predicate]",
            ));
        }
        at += 1;
    }
    let filter = if keyword(words.get(at), "where") {
        // The predicate as written: the text after WHERE.
        let upper = sql.to_ascii_uppercase();
        let start = upper
            .rfind("WHERE")
            .map(|i| i + 5)
            .ok_or_else(|| fail("WHERE must be followed by a predicate"))?;
        let predicate = sql[start..].trim().trim_end_matches(';').trim().to_string();
        if predicate.is_empty() {
            return Err(fail("WHERE must be followed by a predicate"));
        }
        Some(predicate)
    } else if end(at) {
        None
    } else {
        return Err(fail(
            "expected WHERE or the end of the statement after BIN_PACK",
        ));
    };
    Ok(Some(Maintenance::Optimize {
        database,
        table,
        filter,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maintenance_statements_parse() {
        assert_eq!(
            parse("OPTIMIZE ice.events REWRITE DATA USING BIN_PACK WHERE category = 'books';")
                .unwrap(),
            Some(Maintenance::Optimize {
                database: Some("ice".into()),
                table: "events".into(),
                filter: Some("category = 'books'".into()),
            })
        );
        assert_eq!(
            parse("vacuum \"Events\"").unwrap(),
            Some(Maintenance::Vacuum {
                database: None,
                table: "events".into()
            })
        );
        assert_eq!(parse("SELECT 1").unwrap(), None);
        assert!(parse("OPTIMIZE t REWRITE DATA").is_err());
        assert!(parse("VACUUM t now").is_err());
    }
}
