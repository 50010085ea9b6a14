//! `CREATE [OR REPLACE] VIEW`: the one statement of [`super`] whose tail is a
//! query, kept as written (DataFusion plans it, and the view stores its text).

use super::{PResult, Parser, Tok};
use crate::athena::ddl::{Statement, TableName};

/// `CREATE [OR REPLACE] VIEW [db.]v [(col [COMMENT '..'], ...)] [COMMENT '..']
/// [SECURITY DEFINER|INVOKER] AS query`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CreateView {
    pub(crate) view: TableName,
    pub(crate) or_replace: bool,
    /// Column names (and comments) that rename the query's columns, in order.
    pub(crate) columns: Vec<(String, Option<String>)>,
    pub(crate) comment: Option<String>,
    /// `SECURITY INVOKER` (Trino's default is `DEFINER`).
    pub(crate) run_as_invoker: bool,
    /// The query, as written, without a final `;`.
    pub(crate) query: String,
}

/// Whether the words after `CREATE` start a view: `VIEW` or `OR REPLACE VIEW`.
pub(super) fn starts_view(words: &[String]) -> bool {
    match words {
        [first, ..] if first == "VIEW" => true,
        [or, replace, view, ..] => or == "OR" && replace == "REPLACE" && view == "VIEW",
        _ => false,
    }
}

impl Parser<'_> {
    /// After `CREATE`: the rest of `CREATE [OR REPLACE] VIEW ...`.
    pub(super) fn create_view(&mut self) -> PResult<Statement> {
        let or_replace = self.eat_kws(&["OR", "REPLACE"]);
        self.expect_kw("VIEW")?;
        let view = self.table_name()?;
        let mut columns = Vec::new();
        if self.eat_punct('(') {
            loop {
                let name = self.ident("a column name")?;
                let comment = if self.eat_kw("COMMENT") {
                    Some(self.string("a column comment in quotes")?)
                } else {
                    None
                };
                columns.push((name, comment));
                if self.eat_punct(')') {
                    break;
                }
                self.expect_punct(',')?;
            }
        }
        let comment = if self.eat_kw("COMMENT") {
            Some(self.string("a view comment in quotes")?)
        } else {
            None
        };
        let mut run_as_invoker = false;
        if self.eat_kw("SECURITY") {
            if self.eat_kw("INVOKER") {
                run_as_invoker = true;
            } else if !self.eat_kw("DEFINER") {
                return Err(self.unexpected("DEFINER or INVOKER"));
            }
        }
        self.expect_kw("AS")?;
        let is_query = match self.peek() {
            Some(Tok::Word(w)) => ["SELECT", "WITH", "VALUES", "TABLE"]
                .iter()
                .any(|k| w.eq_ignore_ascii_case(k)),
            Some(Tok::Punct('(')) => true,
            _ => false,
        };
        if !is_query {
            return Err(self.unexpected("a query (SELECT, WITH or VALUES)"));
        }
        let query = self.rest_text().to_string();
        Ok(Statement::CreateView(Box::new(CreateView {
            view,
            or_replace,
            columns,
            comment,
            run_as_invoker,
            query,
        })))
    }
}
