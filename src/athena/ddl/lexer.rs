//! Tokens of Athena's Hive DDL: words, quoted identifiers, string literals
//! (with Hive's backslash escapes), numbers and punctuation. Comments and
//! whitespace are skipped. Every token keeps its byte range, so errors can
//! point at it.

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A bare word: a keyword or an unquoted identifier, as written.
    Word(String),
    /// A `` `quoted` `` identifier, unquoted.
    Quoted(String),
    /// A `'string'` literal, unescaped.
    Str(String),
    /// A `"double-quoted"` token: Hive reads it as a string literal (AWS's
    /// documented DDLs write `TBLPROPERTIES ("k" = "v")`), while Athena's
    /// metadata statements also take it as a quoted name (`DESCRIBE "t"`).
    /// Both readings are kept, and the parser picks by position.
    DoubleQuoted {
        /// As a name: unquoted, `""` standing for `"`.
        ident: String,
        /// As a string literal: unescaped as Hive does.
        string: String,
    },
    /// A number, as written.
    Number(String),
    /// Any other single character.
    Punct(char),
}

/// A token and where it is in the text.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub(super) tok: Tok,
    /// Byte offset of its first character.
    pub(super) start: usize,
    /// Byte offset just past it.
    pub(super) end: usize,
}

/// A lexing failure: where, and why.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LexError {
    pub(super) offset: usize,
    pub(super) reason: String,
}

/// Splits `text` into tokens. On failure, also returns the tokens before the
/// fault, so that a caller can tell whether the statement is one of its own.
pub(super) fn lex(text: &str) -> (Vec<Token>, Option<LexError>) {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let rest = &text[start..];
        if rest.starts_with("--") {
            while chars.next_if(|&(_, c)| c != '\n').is_some() {}
            continue;
        }
        if let Some(body) = rest.strip_prefix("/*") {
            match body.find("*/") {
                Some(end) => {
                    let stop = start + 2 + end + 2;
                    while chars.next_if(|&(i, _)| i < stop).is_some() {}
                    continue;
                }
                None => {
                    return (
                        tokens,
                        Some(LexError {
                            offset: start,
                            reason: "unterminated /* comment".into(),
                        }),
                    );
                }
            }
        }
        let result = if c == '\'' {
            string(text, start, '\'').map(|(s, end)| (Tok::Str(s), end))
        } else if c == '"' {
            double_quoted(text, start)
        } else if c == '`' {
            quoted(text, start, c)
        } else if c.is_ascii_digit() {
            let end = scan(text, start, |c| c.is_ascii_digit() || c == '.');
            Ok((Tok::Number(text[start..end].to_string()), end))
        } else if c.is_alphabetic() || c == '_' {
            let end = scan(text, start, |c| c.is_alphanumeric() || c == '_' || c == '$');
            Ok((Tok::Word(text[start..end].to_string()), end))
        } else {
            Ok((Tok::Punct(c), start + c.len_utf8()))
        };
        match result {
            Ok((tok, end)) => {
                tokens.push(Token { tok, start, end });
                while chars.next_if(|&(i, _)| i < end).is_some() {}
            }
            Err(e) => return (tokens, Some(e)),
        }
    }
    (tokens, None)
}

fn scan(text: &str, start: usize, keep: impl Fn(char) -> bool) -> usize {
    text[start..]
        .char_indices()
        .find(|&(_, c)| !keep(c))
        .map_or(text.len(), |(i, _)| start + i)
}

/// A quoted identifier; the quote character doubled stands for itself.
fn quoted(text: &str, start: usize, quote: char) -> Result<(Tok, usize), LexError> {
    let mut out = String::new();
    let mut chars = text[start + 1..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            if chars.next_if(|&(_, c)| c == quote).is_some() {
                out.push(quote);
                continue;
            }
            return Ok((Tok::Quoted(out), start + 1 + i + 1));
        }
        out.push(c);
    }
    Err(LexError {
        offset: start,
        reason: format!("unterminated quoted identifier (missing closing {quote})"),
    })
}

/// A `"..."` token, read both as a quoted name and as a string literal.
fn double_quoted(text: &str, start: usize) -> Result<(Tok, usize), LexError> {
    let (string, end) = string(text, start, '"')?;
    // As a name, backslashes are plain characters and `""` is a quote.
    let ident = match quoted(text, start, '"') {
        Ok((Tok::Quoted(name), _)) => name,
        _ => string.clone(),
    };
    Ok((Tok::DoubleQuoted { ident, string }, end))
}

/// A string literal in `quote` (`'` or `"`, both string quotes in Hive):
/// the quote doubled stands for itself; backslash escapes as Hive's
/// `unescapeSQLString` reads them (`\t`, `\n`, `\r`, `\b`, `\Z`, `\0`,
/// `\\`, `\'`, `\"`, octal `\001`, `\uXXXX`; `\%` and `\_` keep their
/// backslash; any other escaped character stands for itself).
fn string(text: &str, start: usize, quote: char) -> Result<(String, usize), LexError> {
    let body = &text[start + 1..];
    let mut out = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c == quote => {
                if chars.next_if(|&(_, c)| c == quote).is_some() {
                    out.push(quote);
                    continue;
                }
                return Ok((out, start + 1 + i + 1));
            }
            '\\' => {
                let Some((_, e)) = chars.next() else {
                    break;
                };
                match e {
                    't' => out.push('\t'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'Z' => out.push('\u{1a}'),
                    '%' | '_' => {
                        out.push('\\');
                        out.push(e);
                    }
                    'u' => {
                        let hex: String = (0..4)
                            .filter_map(|_| chars.next().map(|(_, c)| c))
                            .collect();
                        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                            Some(c) if hex.len() == 4 => out.push(c),
                            _ => {
                                return Err(LexError {
                                    offset: start + 1 + i,
                                    reason: format!("invalid escape \\u{hex} in string literal"),
                                });
                            }
                        }
                    }
                    '0'..='7' => {
                        // Octal: up to three digits (`\001`), `\0` alone is NUL.
                        let mut value = e.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            match chars.peek().and_then(|&(_, c)| c.to_digit(8)) {
                                Some(d) if value * 8 + d <= 0o377 => {
                                    value = value * 8 + d;
                                    chars.next();
                                }
                                _ => break,
                            }
                        }
                        out.push(char::from_u32(value).unwrap_or('\0'));
                    }
                    other => out.push(other),
                }
            }
            c => out.push(c),
        }
    }
    Err(LexError {
        offset: start,
        reason: format!("unterminated string literal (missing closing {quote})"),
    })
}

/// `value` as a string literal the lexer reads back unchanged.
pub(crate) fn quote_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\{:03o}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `name` as a backticked identifier.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}
