//! Athena's write statements, parsed (ATHENA.md §5): `UNLOAD (SELECT ...) TO
//! 'location' WITH (format = '...', compression = '...', field_delimiter =
//! '...', partitioned_by = ARRAY['col', ...])`; `CREATE TABLE t WITH (format,
//! external_location, partitioned_by, write_compression, field_delimiter) AS
//! SELECT ...`; `INSERT INTO t SELECT ...`. Pure: text in, a plain
//! description out; the engine runs them.
//!
//! The statement is read with DataFusion's own SQL tokenizer, so strings,
//! quoted names and comments inside the query do not confuse it; the inner
//! query is handed back as written.

use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

use crate::error::{Error, Result};

/// The file format of an UNLOAD (Athena's `format` property).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteFormat {
    /// Apache Parquet.
    Parquet,
    /// One JSON object per line.
    Json,
    /// Hive text: delimited fields, `\N` for NULL.
    Textfile,
    /// Apache ORC.
    Orc,
    /// Apache Avro object container files.
    Avro,
}

/// How and where to write: the `WITH (...)` properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WriteOptions {
    /// `format`.
    pub(crate) format: WriteFormat,
    /// `compression`, lower-cased (`gzip`, `snappy`, `zstd`, `none`, ...),
    /// when given.
    pub(crate) compression: Option<String>,
    /// `field_delimiter` (TEXTFILE), when given.
    pub(crate) field_delimiter: Option<char>,
    /// `partitioned_by`, lower-cased.
    pub(crate) partitioned_by: Vec<String>,
}

/// `UNLOAD (query) TO 'location' WITH (...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unload {
    /// The query, as written.
    pub(crate) query: String,
    /// The target location, as written.
    pub(crate) location: String,
    /// The properties.
    pub(crate) options: WriteOptions,
}

/// `CREATE TABLE [IF NOT EXISTS] [db.]t [WITH (...)] AS query`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CreateTableAs {
    /// Database, when qualified (lower case).
    pub(crate) database: Option<String>,
    /// Table (lower case).
    pub(crate) table: String,
    /// `IF NOT EXISTS`.
    pub(crate) if_not_exists: bool,
    /// `external_location`, when given.
    pub(crate) location: Option<String>,
    /// The properties (`write_compression` as `compression`); PARQUET
    /// unless `format` says otherwise.
    pub(crate) options: WriteOptions,
    /// The query, as written.
    pub(crate) query: String,
}

/// `INSERT INTO [db.]t query`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InsertInto {
    /// Database, when qualified (lower case).
    pub(crate) database: Option<String>,
    /// Table (lower case).
    pub(crate) table: String,
    /// The query, as written.
    pub(crate) query: String,
}

/// `CREATE TABLE [IF NOT EXISTS] [db.]t WITH (table_type = 'ICEBERG',
/// location = '...', partitioning = ARRAY[...], ...) AS query`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CreateIcebergAs {
    /// Database, when qualified (lower case).
    pub(crate) database: Option<String>,
    /// Table (lower case).
    pub(crate) table: String,
    /// `IF NOT EXISTS`.
    pub(crate) if_not_exists: bool,
    /// `location`, when given.
    pub(crate) location: Option<String>,
    /// `partitioning`, as written (`day(ts)`, `bucket(16, id)`, ...).
    pub(crate) partitioning: Vec<String>,
    /// The other properties, keys lower-cased.
    pub(crate) properties: Vec<(String, String)>,
    /// The query, as written.
    pub(crate) query: String,
}

/// One of the write statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WriteStatement {
    /// CREATE TABLE AS with `table_type = 'ICEBERG'`.
    CreateIcebergAs(CreateIcebergAs),
    /// UNLOAD.
    Unload(Unload),
    /// CREATE TABLE AS.
    CreateTableAs(CreateTableAs),
    /// INSERT INTO.
    InsertInto(InsertInto),
}

const UNLOAD: &str = "UNLOAD";
const CTAS: &str = "CREATE TABLE AS";
const INSERT: &str = "INSERT INTO";

/// Parses a write statement; `Ok(None)` when `sql` is not one (a plain
/// `CREATE TABLE t (columns)` is not: that is DDL).
pub(crate) fn parse(sql: &str) -> Result<Option<WriteStatement>> {
    if let Some(unload) = parse_unload(sql)? {
        return Ok(Some(WriteStatement::Unload(unload)));
    }
    let Some(mut cursor) = Cursor::new(sql) else {
        return Ok(None);
    };
    let first = cursor.next();
    let second = cursor.next();
    let word = |t: &Option<Token>, w: &str| matches!(t, Some(Token::Word(x)) if x.value.eq_ignore_ascii_case(w));
    if word(&first, "create") && word(&second, "table") {
        return parse_ctas(cursor);
    }
    if word(&first, "insert") && word(&second, "into") {
        return parse_insert(cursor).map(|i| Some(WriteStatement::InsertInto(i)));
    }
    Ok(None)
}

fn parse_ctas(mut cursor: Cursor) -> Result<Option<WriteStatement>> {
    let start = cursor.at;
    let if_not_exists = cursor.words(&["if", "not", "exists"]);
    let Some((database, table)) = cursor.name() else {
        return Ok(None);
    };
    let properties = match cursor.peek() {
        Some(Token::Word(w)) if w.value.eq_ignore_ascii_case("with") => {
            cursor.next();
            if cursor.peek() != Some(&Token::LParen) {
                cursor.at = start;
                return Ok(None);
            }
            properties(&mut cursor, CTAS)?
        }
        Some(Token::Word(w)) if w.value.eq_ignore_ascii_case("as") => Vec::new(),
        // `CREATE TABLE t (columns ...)`: DDL, not ours.
        _ => return Ok(None),
    };
    cursor.keyword_in(
        CTAS,
        "AS",
        "the properties must be followed by AS SELECT ...",
    )?;
    let query = cursor.rest();
    if query.is_empty() {
        return Err(Error::InvalidStatement {
            statement: CTAS.into(),
            reason: "AS must be followed by a query".into(),
        });
    }
    let iceberg = properties.iter().any(|(k, v)| {
        k == "table_type" && matches!(v, Value::Text(t) if t.eq_ignore_ascii_case("iceberg"))
    });
    if iceberg {
        let mut ctas = CreateIcebergAs {
            database,
            table,
            if_not_exists,
            location: None,
            partitioning: Vec::new(),
            properties: Vec::new(),
            query,
        };
        for (key, value) in properties {
            match (key.as_str(), value) {
                ("location", Value::Text(t)) => ctas.location = Some(t),
                ("partitioning", Value::Array(p)) => ctas.partitioning = p,
                (_, Value::Text(t)) => ctas.properties.push((key, t)),
                (_, Value::Array(_)) => {
                    return Err(Error::InvalidStatement {
                        statement: CTAS.into(),
                        reason: format!("property {key} takes a quoted value, not an ARRAY"),
                    });
                }
            }
        }
        return Ok(Some(WriteStatement::CreateIcebergAs(ctas)));
    }
    let mut location = None;
    let mut rest = Vec::new();
    for (key, value) in properties {
        match key.as_str() {
            "external_location" => location = Some(value.text(CTAS, &key)?),
            "write_compression" | "parquet_compression" => rest.push(("compression".into(), value)),
            // HIVE is the default (ICEBERG was taken above).
            "table_type" if matches!(&value, Value::Text(t) if t.eq_ignore_ascii_case("hive")) => {}
            "table_type" => {
                return Err(Error::InvalidStatement {
                    statement: CTAS.into(),
                    reason: "table_type must be 'HIVE' or 'ICEBERG'".into(),
                });
            }
            "bucketed_by"
            | "bucket_count"
            | "vacuum_max_snapshot_age_seconds"
            | "orc_compression" => {
                return Err(Error::InvalidStatement {
                    statement: CTAS.into(),
                    reason: format!("property {key} is not supported by lathe"),
                });
            }
            "is_external" => {}
            _ => rest.push((key, value)),
        }
    }
    let options = write_options(rest, CTAS, Some(WriteFormat::Parquet))?;
    Ok(Some(WriteStatement::CreateTableAs(CreateTableAs {
        database,
        table,
        if_not_exists,
        location,
        options,
        query,
    })))
}

fn parse_insert(mut cursor: Cursor) -> Result<InsertInto> {
    let Some((database, table)) = cursor.name() else {
        return Err(Error::InvalidStatement {
            statement: INSERT.into(),
            reason: "INSERT INTO must be followed by a table name".into(),
        });
    };
    let starts_query = |t: Option<&Token>| match t {
        Some(Token::Word(w)) => ["select", "with", "values", "table"]
            .iter()
            .any(|k| w.value.eq_ignore_ascii_case(k)),
        Some(Token::LParen) => true,
        _ => false,
    };
    if cursor.peek() == Some(&Token::LParen) {
        let mut ahead = Cursor {
            tokens: cursor.tokens.clone(),
            at: cursor.at,
        };
        ahead.next();
        if !starts_query(ahead.peek()) {
            return Err(Error::InvalidStatement {
                statement: INSERT.into(),
                reason: "a column list is not supported; select the table's columns in order"
                    .into(),
            });
        }
    }
    if !starts_query(cursor.peek()) {
        return Err(Error::InvalidStatement {
            statement: INSERT.into(),
            reason: "the table name must be followed by a query (SELECT ...)".into(),
        });
    }
    Ok(InsertInto {
        database,
        table,
        query: cursor.rest(),
    })
}

/// Parses an UNLOAD statement; `Ok(None)` when `sql` is not one.
pub(crate) fn parse_unload(sql: &str) -> Result<Option<Unload>> {
    let Some(mut cursor) = Cursor::new(sql) else {
        return Ok(None);
    };
    match cursor.next() {
        Some(Token::Word(w)) if w.value.eq_ignore_ascii_case("unload") => {}
        _ => return Ok(None),
    }
    cursor.expect(&Token::LParen, "UNLOAD must be followed by (SELECT ...)")?;
    let query = cursor.balanced()?;
    cursor.keyword(
        "TO",
        "the query must be followed by TO 's3://bucket/folder/'",
    )?;
    let location = match cursor.next() {
        Some(Token::SingleQuotedString(s)) => unescape(&s),
        _ => {
            return Err(invalid(
                "TO must be followed by a quoted location such as 's3://bucket/folder/'",
            ));
        }
    };
    cursor.keyword(
        "WITH",
        "the location must be followed by WITH (format = 'PARQUET', ...)",
    )?;
    let options = write_options(properties(&mut cursor, UNLOAD)?, UNLOAD, None)?;
    if let Some(Token::SemiColon) = cursor.peek() {
        cursor.next();
    }
    if let Some(extra) = cursor.next() {
        return Err(invalid(&format!(
            "unexpected {extra} after the WITH (...) properties"
        )));
    }
    Ok(Some(Unload {
        query,
        location,
        options,
    }))
}

/// A property's value: `'text'` or `ARRAY['a', ...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Text(String),
    Array(Vec<String>),
}

impl Value {
    fn text(self, statement: &str, key: &str) -> Result<String> {
        match self {
            Value::Text(t) => Ok(t),
            Value::Array(_) => Err(Error::InvalidStatement {
                statement: statement.into(),
                reason: format!("property {key} takes a quoted value, not an ARRAY"),
            }),
        }
    }
}

/// `(key = value, ...)`, keys lower-cased.
fn properties(cursor: &mut Cursor, statement: &str) -> Result<Vec<(String, Value)>> {
    let fail = |reason: String| Error::InvalidStatement {
        statement: statement.into(),
        reason,
    };
    if cursor.next() != Some(Token::LParen) {
        return Err(fail(
            "WITH must be followed by (property = value, ...)".into(),
        ));
    }
    let mut out = Vec::new();
    loop {
        let key = match cursor.next() {
            Some(Token::Word(w)) => w.value.to_ascii_lowercase(),
            Some(Token::RParen) if out.is_empty() => break,
            other => {
                return Err(fail(format!(
                    "expected a property name, found {}",
                    shown(other)
                )));
            }
        };
        if cursor.next() != Some(Token::Eq) {
            return Err(fail(format!("property {key} must be followed by =")));
        }
        let value = match cursor.next() {
            Some(Token::SingleQuotedString(s)) => Value::Text(unescape(&s)),
            Some(Token::Number(n, _)) => Value::Text(n),
            // `is_external = false`, as Athena's Iceberg CTAS spells it.
            Some(Token::Word(w))
                if w.quote_style.is_none()
                    && (w.value.eq_ignore_ascii_case("true")
                        || w.value.eq_ignore_ascii_case("false")) =>
            {
                Value::Text(w.value.to_ascii_lowercase())
            }
            Some(Token::Word(w)) if w.value.eq_ignore_ascii_case("array") => {
                let reason = format!("property {key} takes ARRAY['column', ...]");
                if cursor.next() != Some(Token::LBracket) {
                    return Err(fail(reason));
                }
                let mut values = Vec::new();
                loop {
                    match cursor.next() {
                        Some(Token::SingleQuotedString(s)) => values.push(unescape(&s)),
                        Some(Token::RBracket) if values.is_empty() => break,
                        _ => return Err(fail(reason)),
                    }
                    match cursor.next() {
                        Some(Token::Comma) => {}
                        Some(Token::RBracket) => break,
                        _ => return Err(fail(reason)),
                    }
                }
                Value::Array(values)
            }
            other => {
                return Err(fail(format!(
                    "property {key} takes a quoted value, not {}",
                    shown(other)
                )));
            }
        };
        out.push((key.clone(), value));
        match cursor.next() {
            Some(Token::Comma) => continue,
            Some(Token::RParen) => break,
            other => {
                return Err(fail(format!(
                    "expected , or ) after property {key}, found {}",
                    shown(other)
                )));
            }
        }
    }
    Ok(out)
}

/// The write properties shared by UNLOAD and CTAS.
fn write_options(
    properties: Vec<(String, Value)>,
    statement: &str,
    default_format: Option<WriteFormat>,
) -> Result<WriteOptions> {
    let fail = |reason: String| Error::InvalidStatement {
        statement: statement.into(),
        reason,
    };
    let (mut format, mut compression, mut delimiter, mut partitioned_by) =
        (default_format, None, None, Vec::new());
    for (key, value) in properties {
        match key.as_str() {
            "format" => {
                let value = value.text(statement, &key)?;
                format = Some(match value.to_ascii_uppercase().as_str() {
                    "PARQUET" => WriteFormat::Parquet,
                    "JSON" => WriteFormat::Json,
                    "TEXTFILE" => WriteFormat::Textfile,
                    "ORC" => WriteFormat::Orc,
                    "AVRO" => WriteFormat::Avro,
                    "ION" => {
                        return Err(fail(format!(
                            "format '{value}' is not written by lathe; use PARQUET, ORC, AVRO, \
                             JSON or TEXTFILE"
                        )));
                    }
                    _ => {
                        return Err(fail(format!(
                            "format '{value}' is not one of PARQUET, ORC, AVRO, JSON, TEXTFILE"
                        )));
                    }
                });
            }
            "compression" => {
                compression = Some(value.text(statement, &key)?.to_ascii_lowercase());
            }
            "field_delimiter" => {
                let value = value.text(statement, &key)?;
                let mut chars = value.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => delimiter = Some(c),
                    _ => {
                        return Err(fail(format!(
                            "field_delimiter must be one character, not '{value}'"
                        )));
                    }
                }
            }
            "partitioned_by" => match value {
                Value::Array(names) => {
                    partitioned_by = names.iter().map(|n| n.to_lowercase()).collect();
                }
                Value::Text(_) => {
                    return Err(fail(format!("property {key} takes ARRAY['column', ...]")));
                }
            },
            // Accepted for Athena compatibility; lathe uses each codec's default level.
            "compression_level" => {}
            other => {
                return Err(fail(format!(
                    "unknown property {other}; {statement} takes format, compression, \
                     field_delimiter and partitioned_by"
                )));
            }
        }
    }
    let Some(format) = format else {
        return Err(fail(
            "the format property is required, e.g. WITH (format = 'PARQUET')".into(),
        ));
    };
    if delimiter.is_some() && format != WriteFormat::Textfile {
        return Err(fail(
            "field_delimiter applies to format 'TEXTFILE' only".into(),
        ));
    }
    Ok(WriteOptions {
        format,
        compression,
        field_delimiter: delimiter,
        partitioned_by,
    })
}

fn invalid(reason: &str) -> Error {
    Error::InvalidStatement {
        statement: UNLOAD.into(),
        reason: reason.to_string(),
    }
}

fn shown(token: Option<Token>) -> String {
    token.map_or_else(|| "the end of the statement".into(), |t| format!("{t}"))
}

/// `''` in a single-quoted literal is one `'`.
fn unescape(s: &str) -> String {
    s.replace("''", "'")
}

/// Tokens with whitespace and comments skipped, except inside the query.
struct Cursor {
    tokens: Vec<Token>,
    at: usize,
}

impl Cursor {
    /// The statement's tokens, strings kept as written; `None` when it does
    /// not tokenize (DataFusion will say why).
    fn new(sql: &str) -> Option<Self> {
        let tokens = Tokenizer::new(&GenericDialect {}, sql)
            .with_unescape(false)
            .tokenize()
            .ok()?;
        Some(Self { tokens, at: 0 })
    }

    /// Consumes the words if they all come next.
    fn words(&mut self, words: &[&str]) -> bool {
        let start = self.at;
        for w in words {
            match self.next() {
                Some(Token::Word(x)) if x.value.eq_ignore_ascii_case(w) => {}
                _ => {
                    self.at = start;
                    return false;
                }
            }
        }
        true
    }

    /// `name` or `db.name`, lower-cased.
    fn name(&mut self) -> Option<(Option<String>, String)> {
        let Some(Token::Word(mut first)) = self.next() else {
            return None;
        };
        // `awsdatacatalog.db.table`: Athena's one catalog, named as dbt-athena
        // and other tools name every relation.
        if first
            .value
            .eq_ignore_ascii_case(crate::config::CATALOG_NAME)
            && self.peek() == Some(&Token::Period)
        {
            let after_first = self.at;
            self.next();
            match self.next() {
                Some(Token::Word(database)) if self.peek() == Some(&Token::Period) => {
                    first = database;
                }
                _ => self.at = after_first,
            }
        }
        if self.peek() == Some(&Token::Period) {
            self.next();
            let Some(Token::Word(second)) = self.next() else {
                return None;
            };
            return Some((
                Some(first.value.to_lowercase()),
                second.value.to_lowercase(),
            ));
        }
        Some((None, first.value.to_lowercase()))
    }

    fn keyword_in(&mut self, statement: &str, word: &str, reason: &str) -> Result<()> {
        match self.next() {
            Some(Token::Word(w)) if w.value.eq_ignore_ascii_case(word) => Ok(()),
            _ => Err(Error::InvalidStatement {
                statement: statement.into(),
                reason: reason.into(),
            }),
        }
    }

    /// The rest of the statement as written, without a final `;`.
    fn rest(&mut self) -> String {
        let mut text = String::new();
        while let Some(token) = self.tokens.get(self.at) {
            self.at += 1;
            match token {
                Token::EOF => break,
                Token::Whitespace(Whitespace::SingleLineComment { .. }) => text.push('\n'),
                t => text.push_str(&t.to_string()),
            }
        }
        text.trim().trim_end_matches(';').trim().to_string()
    }

    fn skip_space(&mut self) {
        while matches!(self.tokens.get(self.at), Some(Token::Whitespace(_))) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<&Token> {
        self.skip_space();
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        self.skip_space();
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token.filter(|t| *t != Token::EOF)
    }

    fn expect(&mut self, token: &Token, reason: &str) -> Result<()> {
        match self.next() {
            Some(t) if t == *token => Ok(()),
            _ => Err(invalid(reason)),
        }
    }

    fn keyword(&mut self, word: &str, reason: &str) -> Result<()> {
        match self.next() {
            Some(Token::Word(w)) if w.value.eq_ignore_ascii_case(word) => Ok(()),
            _ => Err(invalid(reason)),
        }
    }

    /// The text up to the `)` that closes an already consumed `(`.
    fn balanced(&mut self) -> Result<String> {
        let mut depth = 1;
        let mut text = String::new();
        while let Some(token) = self.tokens.get(self.at) {
            self.at += 1;
            match token {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(text.trim().to_string());
                    }
                }
                Token::EOF => break,
                _ => {}
            }
            match token {
                // Comments end where they began; keep the query's lines apart.
                Token::Whitespace(Whitespace::SingleLineComment { .. }) => text.push('\n'),
                t => text.push_str(&t.to_string()),
            }
        }
        Err(invalid("the ( after UNLOAD is never closed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unload_with_every_property() {
        let sql = "unload (SELECT a, 'x)''y' AS s, -- a comment )\n b FROM t WHERE (a > 1))\n\
                   TO 's3://bucket/out/' WITH (format = 'textfile', compression = 'GZIP', \
                   field_delimiter = '|', partitioned_by = ARRAY['B']);";
        let unload = parse_unload(sql).unwrap().unwrap();
        assert_eq!(
            unload,
            Unload {
                query: "SELECT a, 'x)''y' AS s, \n b FROM t WHERE (a > 1)".into(),
                location: "s3://bucket/out/".into(),
                options: WriteOptions {
                    format: WriteFormat::Textfile,
                    compression: Some("gzip".into()),
                    field_delimiter: Some('|'),
                    partitioned_by: vec!["b".into()],
                },
            }
        );
        let plain = parse_unload("UNLOAD (SELECT 1) TO '/tmp/x/' WITH (format='PARQUET')")
            .unwrap()
            .unwrap();
        assert_eq!(plain.query, "SELECT 1");
        assert_eq!(plain.options.format, WriteFormat::Parquet);
        assert!(plain.options.partitioned_by.is_empty());
    }

    #[test]
    fn create_table_as_and_insert_into() {
        let sql = "CREATE TABLE IF NOT EXISTS Web.Daily WITH (format = 'JSON', \
                   external_location = 's3://b/daily/', write_compression = 'NONE', \
                   partitioned_by = ARRAY['day']) AS SELECT n, day FROM t;";
        let Some(WriteStatement::CreateTableAs(ctas)) = parse(sql).unwrap() else {
            panic!("not a CTAS");
        };
        assert_eq!(
            ctas,
            CreateTableAs {
                database: Some("web".into()),
                table: "daily".into(),
                if_not_exists: true,
                location: Some("s3://b/daily/".into()),
                options: WriteOptions {
                    format: WriteFormat::Json,
                    compression: Some("none".into()),
                    field_delimiter: None,
                    partitioned_by: vec!["day".into()],
                },
                query: "SELECT n, day FROM t".into(),
            }
        );
        let Some(WriteStatement::CreateTableAs(plain)) =
            parse("create table t as select 1 as x").unwrap()
        else {
            panic!("not a CTAS");
        };
        assert_eq!(plain.options.format, WriteFormat::Parquet);
        assert_eq!((plain.database, plain.location), (None, None));
        // dbt-athena names the catalog too, and the default table type.
        let Some(WriteStatement::CreateTableAs(named)) = parse(
            "create table \"awsdatacatalog\".\"dbt\".\"daily\" with (table_type='hive', \
             is_external=true, format='parquet') as select 1 as x",
        )
        .unwrap() else {
            panic!("not a CTAS");
        };
        assert_eq!(
            (named.database.as_deref(), named.table.as_str()),
            (Some("dbt"), "daily")
        );
        let Some(WriteStatement::InsertInto(insert)) =
            parse("insert into awsdatacatalog.dbt.daily select 1").unwrap()
        else {
            panic!("not an INSERT");
        };
        assert_eq!(
            (insert.database.as_deref(), insert.table.as_str()),
            (Some("dbt"), "daily")
        );
        // A table with columns is DDL, not ours.
        assert_eq!(parse("CREATE TABLE t (x int)").unwrap(), None);
        assert_eq!(parse("CREATE EXTERNAL TABLE t (x int)").unwrap(), None);

        let Some(WriteStatement::InsertInto(insert)) =
            parse("INSERT INTO master.t SELECT * FROM s;").unwrap()
        else {
            panic!("not an INSERT");
        };
        assert_eq!(
            (
                insert.database.as_deref(),
                insert.table.as_str(),
                insert.query.as_str()
            ),
            (Some("master"), "t", "SELECT * FROM s")
        );
        assert_eq!(
            parse("INSERT INTO t (a, b) SELECT 1, 2")
                .unwrap_err()
                .to_string(),
            "INSERT INTO: a column list is not supported; select the table's columns in order"
        );
        assert_eq!(
            parse("CREATE TABLE t WITH (bucket_count = 4) AS SELECT 1")
                .unwrap_err()
                .to_string(),
            "CREATE TABLE AS: property bucket_count is not supported by lathe"
        );
    }

    #[test]
    fn other_statements_are_not_unloads() {
        assert_eq!(parse_unload("SELECT 1").unwrap(), None);
        assert_eq!(parse_unload("SELECT unload FROM t").unwrap(), None);
        assert_eq!(parse_unload("").unwrap(), None);
    }

    #[test]
    fn mistakes_are_one_sentence() {
        let error = |sql: &str| parse_unload(sql).unwrap_err().to_string();
        assert_eq!(
            error("UNLOAD (SELECT 1) TO 'x/'"),
            "UNLOAD: the location must be followed by WITH (format = 'PARQUET', ...)"
        );
        assert_eq!(
            error("UNLOAD (SELECT 1) TO 'x/' WITH (compression = 'gzip')"),
            "UNLOAD: the format property is required, e.g. WITH (format = 'PARQUET')"
        );
        assert_eq!(
            error("UNLOAD (SELECT 1) TO 'x/' WITH (format = 'XLS')"),
            "UNLOAD: format 'XLS' is not one of PARQUET, ORC, AVRO, JSON, TEXTFILE"
        );
        assert_eq!(
            error("UNLOAD (SELECT 1) TO 'x/' WITH (format = 'JSON', bucket_count = 4)"),
            "UNLOAD: unknown property bucket_count; UNLOAD takes format, compression, \
             field_delimiter and partitioned_by"
        );
        assert_eq!(
            error("UNLOAD (SELECT 1 TO 'x/' WITH (format = 'JSON')"),
            "UNLOAD: the ( after UNLOAD is never closed"
        );
        assert_eq!(
            error("UNLOAD (SELECT 1) TO 'x/' WITH (format = 'JSON', partitioned_by = 'a')"),
            "UNLOAD: property partitioned_by takes ARRAY['column', ...]"
        );
        assert_eq!(
            error("UNLOAD (SELECT 1) TO 'x/' WITH (format = 'JSON', field_delimiter = ',')"),
            "UNLOAD: field_delimiter applies to format 'TEXTFILE' only"
        );
        assert_eq!(
            error("UNLOAD (SELECT 1) TO 'x/' WITH (format = 'PARQUET') extra"),
            "UNLOAD: unexpected extra after the WITH (...) properties"
        );
    }
}
