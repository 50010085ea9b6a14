//! Athena's DDL and metadata statements (ATHENA.md §5), in Hive's syntax as
//! Athena accepts it: text in, [`Statement`] out. Pure, and total: any input
//! gives a statement, `None` (not one of these; DataFusion plans it) or an
//! error naming the line, column and token at fault; never a panic.

use crate::error::Error;
use crate::hive_type::parse_hive_type;

mod lexer;
mod statement;
mod view;

use lexer::{Tok, Token, lex};
pub(crate) use lexer::{quote_ident, quote_string};
pub(crate) use statement::{ColumnDef, CreateTable, PartitionSpec, Statement, TableName};
pub(crate) use view::CreateView;

/// Parses `sql` if it is one of Athena's DDL or metadata statements.
pub(crate) fn parse(sql: &str) -> Option<Result<Statement, Error>> {
    let (tokens, lex_error) = lex(sql);
    if !is_ours(&tokens) {
        return None;
    }
    if let Some(e) = lex_error {
        return Some(Err(syntax(sql, e.offset, e.reason)));
    }
    let mut parser = Parser {
        text: sql,
        tokens,
        pos: 0,
    };
    Some(parser.statement())
}

/// Whether the statement's first words make it one of ours.
fn is_ours(tokens: &[Token]) -> bool {
    let word = |i: usize| match tokens.get(i).map(|t| &t.tok) {
        Some(Tok::Word(w)) => w.to_ascii_uppercase(),
        _ => String::new(),
    };
    match word(0).as_str() {
        "CREATE" if view::starts_view(&[word(1), word(2), word(3)]) => true,
        "CREATE" => match word(1).as_str() {
            "EXTERNAL" | "DATABASE" | "SCHEMA" => true,
            // `CREATE TABLE t (columns ...)` is Hive DDL; `CREATE TABLE t
            // WITH (...) AS SELECT` (CTAS) is not ours.
            "TABLE" => {
                let mut i = 2;
                if word(2) == "IF" {
                    i = 5;
                }
                while matches!(tokens.get(i + 1).map(|t| &t.tok), Some(Tok::Punct('.'))) {
                    i += 2;
                }
                matches!(tokens.get(i + 1).map(|t| &t.tok), Some(Tok::Punct('(')))
                    && !tokens
                        .iter()
                        .any(|t| matches!(&t.tok, Tok::Word(w) if w.eq_ignore_ascii_case("select")))
            }
            _ => false,
        },
        "DROP" => matches!(word(1).as_str(), "DATABASE" | "SCHEMA" | "TABLE" | "VIEW"),
        "SHOW" => matches!(
            word(1).as_str(),
            "TABLES" | "VIEWS" | "PARTITIONS" | "CREATE" | "COLUMNS" | "TBLPROPERTIES"
        ),
        "ALTER" => word(1) == "TABLE",
        "MSCK" | "DESCRIBE" | "DESC" | "PREPARE" | "EXECUTE" | "DEALLOCATE" => true,
        _ => false,
    }
}

/// A syntax error at a byte offset of `text`, as line and column.
fn syntax(text: &str, offset: usize, reason: String) -> Error {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    Error::Syntax {
        line,
        column,
        reason,
    }
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
}

type PResult<T> = Result<T, Error>;

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Tok> {
        self.tokens.get(self.pos + ahead).map(|t| &t.tok)
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn is_kw_at(&self, ahead: usize, kw: &str) -> bool {
        matches!(self.peek_at(ahead), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let found = self.is_kw(kw);
        if found {
            self.pos += 1;
        }
        found
    }

    /// Eats a sequence of keywords, all or none.
    fn eat_kws(&mut self, kws: &[&str]) -> bool {
        let all = kws.iter().enumerate().all(|(i, kw)| self.is_kw_at(i, kw));
        if all {
            self.pos += kws.len();
        }
        all
    }

    fn expect_kw(&mut self, kw: &str) -> PResult<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.unexpected(kw))
        }
    }

    fn is_punct(&self, c: char) -> bool {
        matches!(self.peek(), Some(Tok::Punct(p)) if *p == c)
    }

    fn eat_punct(&mut self, c: char) -> bool {
        let found = self.is_punct(c);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect_punct(&mut self, c: char) -> PResult<()> {
        if self.eat_punct(c) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{c}`")))
        }
    }

    /// Byte offset of the current token (the end of the text past the last).
    fn offset(&self) -> usize {
        self.tokens
            .get(self.pos)
            .map_or(self.text.trim_end().len(), |t| t.start)
    }

    fn error_at(&self, offset: usize, reason: String) -> Error {
        syntax(self.text, offset, reason)
    }

    /// "expected X, found Y" at the current token.
    fn unexpected(&self, expected: &str) -> Error {
        let found = match self.tokens.get(self.pos) {
            None => "the end of the statement".to_string(),
            Some(t) => format!("`{}`", self.text.get(t.start..t.end).unwrap_or_default()),
        };
        self.error_at(self.offset(), format!("expected {expected}, found {found}"))
    }

    /// An identifier: a bare word or a quoted name, lower-cased as Athena does.
    fn ident(&mut self, what: &str) -> PResult<String> {
        match self.peek() {
            Some(Tok::Word(w) | Tok::Quoted(w) | Tok::DoubleQuoted { ident: w, .. })
                if !w.is_empty() =>
            {
                let name = w.to_lowercase();
                self.pos += 1;
                Ok(name)
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// `[db.]table`; also `` `db.table` `` in one pair of backticks, which
    /// Hive splits at the dot (AWS's S3 access-log DDL is written so).
    fn table_name(&mut self) -> PResult<TableName> {
        let backticked = matches!(self.peek(), Some(Tok::Quoted(_)));
        let first = self.ident("a table name")?;
        if backticked
            && !self.is_punct('.')
            && let Some((database, table)) = first.split_once('.')
            && !database.is_empty()
            && !table.is_empty()
            && !table.contains('.')
        {
            return Ok(TableName {
                database: Some(database.to_string()),
                table: table.to_string(),
            });
        }
        if self.eat_punct('.') {
            let mut database = first;
            let mut table = self.ident("a table name after `.`")?;
            // `awsdatacatalog.db.table`: Athena's one catalog, named as
            // dbt-athena names every relation.
            if database.eq_ignore_ascii_case(crate::config::CATALOG_NAME) && self.eat_punct('.') {
                database = table;
                table = self.ident("a table name after `.`")?;
            }
            Ok(TableName {
                database: Some(database),
                table,
            })
        } else {
            Ok(TableName {
                database: None,
                table: first,
            })
        }
    }

    /// A string literal, in single or double quotes as Hive takes both.
    fn string(&mut self, what: &str) -> PResult<String> {
        match self.peek() {
            Some(Tok::Str(s) | Tok::DoubleQuoted { string: s, .. }) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn if_not_exists(&mut self) -> bool {
        self.eat_kws(&["IF", "NOT", "EXISTS"])
    }

    fn if_exists(&mut self) -> bool {
        self.eat_kws(&["IF", "EXISTS"])
    }

    /// The end of the statement: an optional `;`, then nothing.
    fn end(&mut self) -> PResult<()> {
        self.eat_punct(';');
        if self.pos < self.tokens.len() {
            return Err(self.unexpected("the end of the statement"));
        }
        Ok(())
    }

    /// `('k'='v', ...)`.
    fn properties(&mut self) -> PResult<Vec<(String, String)>> {
        self.expect_punct('(')?;
        let mut out = Vec::new();
        if self.eat_punct(')') {
            return Ok(out);
        }
        loop {
            let key = self.string("a property name in quotes")?;
            self.expect_punct('=')?;
            let value = self.string("a property value in quotes")?;
            out.push((key, value));
            if self.eat_punct(')') {
                return Ok(out);
            }
            self.expect_punct(',')?;
        }
    }

    /// `(col type [COMMENT '..'], ...)`.
    fn column_defs(&mut self) -> PResult<Vec<ColumnDef>> {
        self.expect_punct('(')?;
        let mut columns = Vec::new();
        loop {
            let name = self.ident("a column name")?;
            let type_string = self.hive_type(&name)?;
            let comment = if self.eat_kw("COMMENT") {
                Some(self.string("a comment in quotes")?)
            } else {
                None
            };
            columns.push(ColumnDef {
                name,
                type_string,
                comment,
            });
            if self.eat_punct(')') {
                return Ok(columns);
            }
            self.expect_punct(',')?;
        }
    }

    /// A Hive type: the tokens up to a `,`, `)` or `COMMENT` outside any
    /// brackets, checked by the type parser and stored as Glue stores types
    /// (lower case, no spaces; backticked names kept as written).
    fn hive_type(&mut self, column: &str) -> PResult<String> {
        let start = self.offset();
        let mut depth = 0usize;
        let mut end = start;
        while let Some(token) = self.tokens.get(self.pos) {
            match &token.tok {
                Tok::Punct('<' | '(') => depth += 1,
                Tok::Punct('>' | ')') if depth > 0 => depth -= 1,
                Tok::Punct(',' | ')' | ';') if depth == 0 => break,
                Tok::Word(w) if depth == 0 && w.eq_ignore_ascii_case("COMMENT") => break,
                _ => {}
            }
            end = token.end;
            self.pos += 1;
        }
        if end == start {
            return Err(self.unexpected(&format!("a type for column {column}")));
        }
        let written = self.text.get(start..end).unwrap_or_default();
        let normalized = normalize_type(written);
        parse_hive_type(&normalized).map_err(|reason| {
            self.error_at(
                start,
                format!(
                    "column {column} has type `{written}`, which is not a Hive type ({reason})"
                ),
            )
        })?;
        Ok(normalized)
    }

    /// `(k='v', k2=3)`.
    fn partition_values(&mut self) -> PResult<Vec<(String, String)>> {
        self.expect_punct('(')?;
        let mut values = Vec::new();
        loop {
            let key = self.ident("a partition key")?;
            self.expect_punct('=')?;
            let negative = self.eat_punct('-');
            let value = match self.peek() {
                Some(Tok::Str(s) | Tok::DoubleQuoted { string: s, .. }) => s.clone(),
                Some(Tok::Number(n)) => format!("{}{n}", if negative { "-" } else { "" }),
                Some(Tok::Word(w)) if !negative => w.clone(),
                _ => return Err(self.unexpected("a partition value")),
            };
            self.pos += 1;
            values.push((key, value));
            if self.eat_punct(')') {
                return Ok(values);
            }
            self.expect_punct(',')?;
        }
    }

    /// The text from the current token to the end, without a final `;`.
    fn rest_text(&self) -> &str {
        let start = self.offset();
        let rest = self.text.get(start..).unwrap_or_default().trim();
        rest.strip_suffix(';').unwrap_or(rest).trim_end()
    }
}

/// Glue's spelling of a type: lower case and no spaces, except inside backticks.
fn normalize_type(written: &str) -> String {
    let mut out = String::with_capacity(written.len());
    let mut quoted = false;
    for c in written.chars() {
        if c == '`' {
            quoted = !quoted;
            out.push(c);
        } else if quoted {
            out.push(c);
        } else if !c.is_whitespace() {
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests;
