//! Athena's write statements, parsed: `UNLOAD (SELECT ...) TO 'location'
//! WITH (format = '...', compression = '...', field_delimiter = '...',
//! partitioned_by = ARRAY['col', ...])` (ATHENA.md §5). Pure: text in, a
//! plain description out; the engine runs it.
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

const UNLOAD: &str = "UNLOAD";

/// Parses an UNLOAD statement; `Ok(None)` when `sql` is not one.
pub(crate) fn parse_unload(sql: &str) -> Result<Option<Unload>> {
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql)
        .with_unescape(false)
        .tokenize()
    else {
        return Ok(None);
    };
    let mut cursor = Cursor { tokens, at: 0 };
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
    let options = parse_options(&mut cursor)?;
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

fn parse_options(cursor: &mut Cursor) -> Result<WriteOptions> {
    cursor.expect(
        &Token::LParen,
        "WITH must be followed by (property = value, ...)",
    )?;
    let (mut format, mut compression, mut delimiter, mut partitioned_by) =
        (None, None, None, Vec::new());
    loop {
        let key = match cursor.next() {
            Some(Token::Word(w)) => w.value.to_ascii_lowercase(),
            Some(Token::RParen) => break,
            other => {
                return Err(invalid(&format!(
                    "expected a property name, found {}",
                    shown(other)
                )));
            }
        };
        cursor.expect(&Token::Eq, &format!("property {key} must be followed by ="))?;
        match key.as_str() {
            "format" => {
                let value = cursor.string(&key)?;
                format = Some(match value.to_ascii_uppercase().as_str() {
                    "PARQUET" => WriteFormat::Parquet,
                    "JSON" => WriteFormat::Json,
                    "TEXTFILE" => WriteFormat::Textfile,
                    "ORC" | "AVRO" | "ION" => {
                        return Err(invalid(&format!(
                            "format '{value}' is not written by lathe; use PARQUET, JSON or TEXTFILE"
                        )));
                    }
                    _ => {
                        return Err(invalid(&format!(
                            "format '{value}' is not one of PARQUET, ORC, AVRO, JSON, TEXTFILE"
                        )));
                    }
                });
            }
            "compression" => compression = Some(cursor.string(&key)?.to_ascii_lowercase()),
            "field_delimiter" => {
                let value = cursor.string(&key)?;
                let mut chars = value.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => delimiter = Some(c),
                    _ => {
                        return Err(invalid(&format!(
                            "field_delimiter must be one character, not '{value}'"
                        )));
                    }
                }
            }
            "partitioned_by" => partitioned_by = cursor.array(&key)?,
            "compression_level" => {
                // Accepted for Athena compatibility; lathe uses each codec's default level.
                cursor.next();
            }
            other => {
                return Err(invalid(&format!(
                    "unknown property {other}; UNLOAD takes format, compression, field_delimiter and partitioned_by"
                )));
            }
        }
        match cursor.next() {
            Some(Token::Comma) => continue,
            Some(Token::RParen) => break,
            other => {
                return Err(invalid(&format!(
                    "expected , or ) after property {key}, found {}",
                    shown(other)
                )));
            }
        }
    }
    let Some(format) = format else {
        return Err(invalid(
            "the format property is required, e.g. WITH (format = 'PARQUET')",
        ));
    };
    if delimiter.is_some() && format != WriteFormat::Textfile {
        return Err(invalid("field_delimiter applies to format 'TEXTFILE' only"));
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

    fn string(&mut self, key: &str) -> Result<String> {
        match self.next() {
            Some(Token::SingleQuotedString(s)) => Ok(unescape(&s)),
            other => Err(invalid(&format!(
                "property {key} takes a quoted value, not {}",
                shown(other)
            ))),
        }
    }

    /// `ARRAY['a', 'b']`, names lower-cased.
    fn array(&mut self, key: &str) -> Result<Vec<String>> {
        let reason = format!("property {key} takes ARRAY['column', ...]");
        self.keyword("ARRAY", &reason)?;
        self.expect(&Token::LBracket, &reason)?;
        let mut values = Vec::new();
        loop {
            match self.next() {
                Some(Token::SingleQuotedString(s)) => values.push(unescape(&s).to_lowercase()),
                Some(Token::RBracket) if values.is_empty() => break,
                _ => return Err(invalid(&reason)),
            }
            match self.next() {
                Some(Token::Comma) => {}
                Some(Token::RBracket) => break,
                _ => return Err(invalid(&reason)),
            }
        }
        Ok(values)
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
