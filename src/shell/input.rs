//! What the user typed: is the statement finished, and what does it name.
//! Uses the SQL tokenizer, so `;` inside strings and comments does not end
//! a statement. Pure.

use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

/// The state of the input buffer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum InputState {
    /// Nothing but whitespace and comments.
    Empty,
    /// A backslash command (complete at the end of its line).
    Command,
    /// Ends with `;` outside strings and comments: ready to run.
    Complete,
    /// More lines needed.
    Incomplete,
    /// A string or quoted name is still open.
    Unterminated(String),
}

/// Classifies the buffer.
pub(crate) fn state(buffer: &str) -> InputState {
    let trimmed = buffer.trim_start();
    if trimmed.is_empty() {
        return InputState::Empty;
    }
    if trimmed.starts_with('\\') {
        return InputState::Command;
    }
    let tokens = match Tokenizer::new(&GenericDialect {}, buffer).tokenize() {
        Ok(tokens) => tokens,
        Err(e) => {
            let message = e.message.to_lowercase();
            return if message.contains("unterminated") {
                InputState::Unterminated(e.message)
            } else {
                // Other tokenizer errors surface when the statement runs.
                InputState::Complete
            };
        }
    };
    let meaningful: Vec<&Token> = tokens.iter().filter(|t| !is_blank(t)).collect();
    match meaningful.last() {
        None => InputState::Empty,
        Some(Token::SemiColon) => InputState::Complete,
        Some(_) => InputState::Incomplete,
    }
}

fn is_blank(token: &Token) -> bool {
    matches!(token, Token::Whitespace(_) | Token::EOF)
        || matches!(
            token,
            Token::Whitespace(
                Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_)
            )
        )
}

/// `db.table` or `table` names that follow FROM or JOIN in a statement, for
/// column completion.
pub(crate) fn referenced_tables(sql: &str) -> Vec<String> {
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize() else {
        return Vec::new();
    };
    let tokens: Vec<&Token> = tokens.iter().filter(|t| !is_blank(t)).collect();
    let mut names = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let after_keyword = matches!(tokens[i], Token::Word(w) if
            w.value.eq_ignore_ascii_case("from") || w.value.eq_ignore_ascii_case("join"));
        i += 1;
        if !after_keyword {
            continue;
        }
        let mut name = String::new();
        while let Some(Token::Word(w)) = tokens.get(i) {
            name.push_str(&w.value);
            if tokens.get(i + 1) == Some(&&Token::Period) {
                name.push('.');
                i += 2;
            } else {
                i += 1;
                break;
            }
        }
        if !name.is_empty() {
            names.push(name.to_lowercase());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_end_at_a_real_semicolon() {
        assert_eq!(state("  "), InputState::Empty);
        assert_eq!(state("-- just a comment"), InputState::Empty);
        assert_eq!(state("SELECT 1"), InputState::Incomplete);
        assert_eq!(state("SELECT 1;"), InputState::Complete);
        assert_eq!(state("SELECT 1;  -- done"), InputState::Complete);
        assert_eq!(state("SELECT ';'"), InputState::Incomplete);
        assert_eq!(state("SELECT 1 /* ; */"), InputState::Incomplete);
        assert_eq!(state("\\dt web"), InputState::Command);
        assert!(matches!(state("SELECT 'abc;"), InputState::Unterminated(_)));
    }

    #[test]
    fn finds_the_tables_a_statement_reads() {
        assert_eq!(
            referenced_tables("SELECT a FROM web.clickstream e JOIN Master.Products p ON x WHERE"),
            ["web.clickstream", "master.products"]
        );
        assert_eq!(referenced_tables("SELECT 1 FROM t"), ["t"]);
        assert!(referenced_tables("SELECT 1").is_empty());
    }
}
