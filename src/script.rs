//! Splitting SQL scripts into statements.
//!
//! A small lexer that knows where `;` does not end a statement: inside
//! '...' strings (with '' escapes), "..." and `...` identifiers, `--` line
//! comments and `/* */` block comments. Statements keep their original text,
//! so Athena statements can be recognised before DataFusion parses them.

/// Splits a script into statements (trimmed, without the `;`), dropping
/// empty ones and ones that hold only comments.
pub fn split_statements(script: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut has_code = false;
    for piece in pieces(script) {
        match piece {
            Piece::Code(';') => {
                if has_code {
                    statements.push(current.trim().to_string());
                }
                current.clear();
                has_code = false;
            }
            Piece::Code(c) => {
                has_code |= !c.is_whitespace();
                current.push(c);
            }
            Piece::Quoted(text) => {
                has_code = true;
                current.push_str(text);
            }
            Piece::Comment(text) => current.push_str(text),
        }
    }
    if has_code {
        statements.push(current.trim().to_string());
    }
    statements
}

/// A piece of SQL text: one character of code, or a whole string literal,
/// quoted identifier or comment (inside which nothing is code).
#[derive(Debug, PartialEq)]
pub(crate) enum Piece<'a> {
    /// A character outside quotes and comments.
    Code(char),
    /// A '...' string or a "..." or `...` identifier, quotes included.
    Quoted(&'a str),
    /// A `--` comment (with its line end) or a `/* */` comment.
    Comment(&'a str),
}

/// Splits SQL text into [`Piece`]s; concatenated, they give the text back.
pub(crate) fn pieces(text: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let c = rest.chars().next()?;
        let len = match c {
            '\'' | '"' | '`' => quoted_len(rest, c),
            '-' if rest.starts_with("--") => rest.find('\n').map_or(rest.len(), |i| i + 1),
            '/' if rest.starts_with("/*") => rest[2..].find("*/").map_or(rest.len(), |i| i + 4),
            _ => {
                rest = &rest[c.len_utf8()..];
                return Some(Piece::Code(c));
            }
        };
        let (piece, tail) = rest.split_at(len);
        rest = tail;
        Some(if matches!(c, '-' | '/') {
            Piece::Comment(piece)
        } else {
            Piece::Quoted(piece)
        })
    })
}

/// The length of the quoted text at the start of `text`: up to the closing
/// quote (a doubled quote is an escaped quote), or all of it if unclosed.
fn quoted_len(text: &str, quote: char) -> usize {
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, d)) = chars.next() {
        if d == quote {
            if chars.next_if(|&(_, e)| e == quote).is_some() {
                continue;
            }
            return i + d.len_utf8();
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_top_level_semicolons_only() {
        let script =
            "SELECT 'a;b', \"c;d\" FROM t; -- x; y\nSELECT 2 /* ; */;;\n  -- only a comment;\n";
        assert_eq!(
            split_statements(script),
            ["SELECT 'a;b', \"c;d\" FROM t", "-- x; y\nSELECT 2 /* ; */"]
        );
        assert_eq!(
            split_statements("SELECT 'it''s; fine'"),
            ["SELECT 'it''s; fine'"]
        );
        assert_eq!(split_statements("  \n"), Vec::<String>::new());
        assert_eq!(
            split_statements("SELECT 1\n-- trailing"),
            ["SELECT 1\n-- trailing"]
        );
        assert_eq!(split_statements("SELECT 1 /*/ ; */"), ["SELECT 1 /*/ ; */"]);
    }

    #[test]
    fn pieces_give_the_text_back() {
        let text = "SELECT 'a''b', \"c\"\"d\", `e` -- f\n/* g */ 'open";
        let pieces: Vec<Piece<'_>> = pieces(text).collect();
        let back: String = pieces
            .iter()
            .map(|p| match p {
                Piece::Code(c) => c.to_string(),
                Piece::Quoted(t) | Piece::Comment(t) => t.to_string(),
            })
            .collect();
        assert_eq!(back, text);
        assert!(pieces.contains(&Piece::Quoted("'a''b'")));
        assert!(pieces.contains(&Piece::Comment("-- f\n")));
        assert!(pieces.contains(&Piece::Quoted("'open")));
    }
}
