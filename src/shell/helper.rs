//! The line editor's helper: completion, highlighting, hints and the
//! "is this statement finished?" check.
//!
//! Catalog names are loaded in the background into [`Names`]; completion
//! only reads what is loaded, so a slow catalog never blocks the prompt.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

use super::commands::{COMMANDS, FILE_COMMANDS};
use super::input::{InputState, referenced_tables, state};

/// SQL keywords offered by completion and highlighted.
pub(crate) const KEYWORDS: &[&str] = &[
    "ADD",
    "ALL",
    "ALTER",
    "AND",
    "ANY",
    "ARRAY",
    "AS",
    "ASC",
    "AT",
    "BETWEEN",
    "BY",
    "CASCADE",
    "CASE",
    "CAST",
    "COLUMNS",
    "COMMENT",
    "CREATE",
    "CROSS",
    "CURRENT_DATE",
    "CURRENT_TIMESTAMP",
    "DATABASE",
    "DATABASES",
    "DATE",
    "DEALLOCATE",
    "DELIMITED",
    "DESC",
    "DESCRIBE",
    "DISTINCT",
    "DROP",
    "ELSE",
    "END",
    "EXCEPT",
    "EXECUTE",
    "EXISTS",
    "EXPLAIN",
    "EXTERNAL",
    "FALSE",
    "FIELDS",
    "FILTER",
    "FIRST",
    "FOLLOWING",
    "FOR",
    "FORMAT",
    "FORMATTED",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "IF",
    "IN",
    "INNER",
    "INPUTFORMAT",
    "INSERT",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "LAST",
    "LATERAL",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LOCATION",
    "MAP",
    "MSCK",
    "NOT",
    "NULL",
    "NULLS",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "ORDINALITY",
    "OUTER",
    "OUTPUTFORMAT",
    "OVER",
    "PARQUET",
    "PARTITION",
    "PARTITIONED",
    "PARTITIONS",
    "PRECEDING",
    "PREPARE",
    "RANGE",
    "RECURSIVE",
    "REPAIR",
    "REPLACE",
    "RIGHT",
    "ROW",
    "ROWS",
    "SCHEMA",
    "SCHEMAS",
    "SELECT",
    "SERDE",
    "SERDEPROPERTIES",
    "SET",
    "SHOW",
    "STORED",
    "TABLE",
    "TABLES",
    "TBLPROPERTIES",
    "TERMINATED",
    "TEXTFILE",
    "THEN",
    "TIMESTAMP",
    "TO",
    "TRUE",
    "UNBOUNDED",
    "UNION",
    "UNNEST",
    "USING",
    "VALUES",
    "VIEW",
    "VIEWS",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "ZONE",
];

/// Catalog names known to completion, filled in the background.
#[derive(Debug, Default)]
pub(crate) struct Names {
    pub(crate) databases: Vec<String>,
    /// `db.table`.
    pub(crate) tables: Vec<String>,
    /// `db.table` → column names, loaded on first mention.
    pub(crate) columns: HashMap<String, Vec<String>>,
    pub(crate) functions: Vec<String>,
    pub(crate) current_database: String,
}

/// Asks for the columns of tables a statement mentions (answered in the background).
pub(crate) type ColumnRequest = Box<dyn Fn(Vec<String>) + Send + Sync>;

pub(crate) struct ShellHelper {
    pub(crate) names: Arc<RwLock<Names>>,
    pub(crate) request_columns: ColumnRequest,
    files: FilenameCompleter,
    colour: bool,
}

impl ShellHelper {
    pub(crate) fn new(
        names: Arc<RwLock<Names>>,
        request_columns: ColumnRequest,
        colour: bool,
    ) -> Self {
        Self {
            names,
            request_columns,
            files: FilenameCompleter::new(),
            colour,
        }
    }

    /// Completion candidates for `word`, the text being completed in `line`.
    pub(crate) fn candidates(&self, line: &str, word: &str) -> Vec<String> {
        let Ok(names) = self.names.read() else {
            return Vec::new();
        };
        let lower = word.to_lowercase();
        let mut out: Vec<String> = Vec::new();
        let mut offer = |candidate: &str| {
            if candidate.to_lowercase().starts_with(&lower) && !out.iter().any(|c| c == candidate) {
                out.push(candidate.to_string());
            }
        };
        if word.starts_with('\\') {
            COMMANDS.iter().for_each(|(name, _, _)| offer(name));
            return out;
        }
        if word.contains('.') {
            names.tables.iter().for_each(|t| offer(t));
            return out;
        }
        let tables = referenced_tables(line);
        let qualified: Vec<String> = tables
            .iter()
            .map(|t| {
                if t.contains('.') {
                    t.clone()
                } else {
                    format!("{}.{t}", names.current_database)
                }
            })
            .collect();
        let missing: Vec<String> = qualified
            .iter()
            .filter(|t| !names.columns.contains_key(*t) && names.tables.contains(t))
            .cloned()
            .collect();
        for table in &qualified {
            if let Some(columns) = names.columns.get(table) {
                columns.iter().for_each(|c| offer(c));
            }
        }
        // Keywords in the case the user types them.
        let upper = word.chars().next().is_some_and(char::is_uppercase);
        for keyword in KEYWORDS {
            offer(&if upper {
                keyword.to_string()
            } else {
                keyword.to_lowercase()
            });
        }
        names.databases.iter().for_each(|d| offer(d));
        let prefix = format!("{}.", names.current_database);
        names
            .tables
            .iter()
            .filter_map(|t| t.strip_prefix(&prefix))
            .for_each(&mut offer);
        names.tables.iter().for_each(|t| offer(t));
        names.functions.iter().for_each(|f| offer(f));
        drop(names);
        if !missing.is_empty() {
            (self.request_columns)(missing);
        }
        out
    }
}

/// Where the word under the cursor starts.
fn word_start(line: &str, pos: usize) -> usize {
    line[..pos]
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '\\')))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let command = line.split_whitespace().next().unwrap_or_default();
        if FILE_COMMANDS.contains(&command) && line.trim_start().len() > command.len() {
            return self.files.complete(line, pos, ctx);
        }
        let start = word_start(line, pos);
        let word = &line[start..pos];
        if word.is_empty() {
            return Ok((pos, Vec::new()));
        }
        let pairs = self
            .candidates(line, word)
            .into_iter()
            .map(|c| Pair {
                display: c.clone(),
                replacement: c,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<String> {
        if pos < line.len() {
            return None;
        }
        match state(line) {
            InputState::Unterminated(_) => Some("   ← unterminated string".into()),
            _ => None,
        }
    }
}

impl Highlighter for ShellHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.colour {
            return Cow::Borrowed(line);
        }
        Cow::Owned(highlight_sql(line))
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.colour {
            Cow::Owned(format!("\x1b[2;31m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.colour
    }
}

impl Validator for ShellHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(match state(ctx.input()) {
            InputState::Incomplete | InputState::Unterminated(_) => ValidationResult::Incomplete,
            _ => ValidationResult::Valid(None),
        })
    }
}

impl Helper for ShellHelper {}

/// Keywords bold blue, strings green, numbers yellow, comments dim.
pub(crate) fn highlight_sql(line: &str) -> String {
    const KEYWORD: &str = "\x1b[1;34m";
    const STRING: &str = "\x1b[32m";
    const NUMBER: &str = "\x1b[33m";
    const COMMENT: &str = "\x1b[2m";
    const RESET: &str = "\x1b[0m";
    let mut out = String::with_capacity(line.len() + 16);
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let start = i;
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
            out.push_str(STRING);
            out.extend(&chars[start..i]);
            out.push_str(RESET);
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            out.push_str(COMMENT);
            out.extend(&chars[i..]);
            out.push_str(RESET);
            break;
        } else if c.is_ascii_digit()
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            out.push_str(NUMBER);
            out.extend(&chars[start..i]);
            out.push_str(RESET);
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(&word)) {
                out.push_str(KEYWORD);
                out.push_str(&word);
                out.push_str(RESET);
            } else {
                out.push_str(&word);
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn helper() -> (ShellHelper, Arc<Mutex<Vec<String>>>) {
        let names = Names {
            databases: vec!["master".into(), "web".into()],
            tables: vec![
                "master.customers".into(),
                "master.products".into(),
                "web.clickstream".into(),
            ],
            columns: HashMap::from([(
                "web.clickstream".into(),
                vec!["event_id".into(), "event_time".into()],
            )]),
            functions: vec!["date_trunc".into(), "date_part".into()],
            current_database: "web".into(),
        };
        let requested = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&requested);
        let request: ColumnRequest = Box::new(move |tables| sink.lock().unwrap().extend(tables));
        (
            ShellHelper::new(Arc::new(RwLock::new(names)), request, false),
            requested,
        )
    }

    #[test]
    fn completes_tables_columns_keywords_functions_and_commands() {
        let (h, requested) = helper();
        assert_eq!(
            h.candidates("SELECT * FROM master.pr", "master.pr"),
            ["master.products"]
        );
        assert_eq!(h.candidates("SELECT * FROM cl", "cl"), ["clickstream"]);
        assert_eq!(
            h.candidates("SELECT event FROM web.clickstream", "event"),
            ["event_id", "event_time"]
        );
        assert_eq!(h.candidates("SEL", "SEL"), ["SELECT"]);
        assert_eq!(h.candidates("sel", "sel"), ["select"]);
        assert_eq!(
            h.candidates("SELECT date_", "date_"),
            ["date_trunc", "date_part"]
        );
        assert_eq!(h.candidates("\\d", "\\d"), ["\\dt", "\\d"]);
        assert!(requested.lock().unwrap().is_empty());
        h.candidates("SELECT x FROM master.customers WHERE na", "na");
        assert_eq!(*requested.lock().unwrap(), ["master.customers"]);
    }

    #[test]
    fn word_boundaries() {
        assert_eq!(word_start("SELECT * FROM web.cl", 20), 14);
        assert_eq!(word_start("\\dt", 3), 0);
        assert_eq!(word_start("a,b", 3), 2);
    }

    #[test]
    fn highlighting_marks_keywords_strings_numbers() {
        assert_eq!(
            highlight_sql("SELECT 'a' , 42 -- c"),
            "\x1b[1;34mSELECT\x1b[0m \x1b[32m'a'\x1b[0m , \x1b[33m42\x1b[0m \x1b[2m-- c\x1b[0m"
        );
        assert_eq!(highlight_sql("col1"), "col1");
    }
}
