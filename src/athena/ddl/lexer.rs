//! Tokens of Athena's Hive DDL: words, quoted identifiers, string literals
//! (with Hive's backslash escapes), numbers and punctuation. Comments and
//! whitespace are skipped. Every token keeps its byte range, so errors can
//! point at it.

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A bare word: a keyword or an unquoted identifier, as written.
    Word(String),
    /// A `` `quoted` `` or `"quoted"` identifier, unquoted.
    Quoted(String),
    /// A `'string'` literal, unescaped.
    Str(String),
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
            string(text, start)
        } else if c == '`' || c == '"' {
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

/// A string literal: `''` is a quote; backslash escapes as Hive reads them
/// (`\t`, `\n`, `\r`, `\0`, `\\`, `\'`, `\"`, octal `\001`, `\uXXXX`).
fn string(text: &str, start: usize) -> Result<(Tok, usize), LexError> {
    let body = &text[start + 1..];
    let mut out = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' => {
                if chars.next_if(|&(_, c)| c == '\'').is_some() {
                    out.push('\'');
                    continue;
                }
                return Ok((Tok::Str(out), start + 1 + i + 1));
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
        reason: "unterminated string literal (missing closing ')".into(),
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
