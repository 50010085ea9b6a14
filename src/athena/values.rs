//! Trino's `VALUES 1, 2, 3`: rows that are single expressions, without
//! parentheses. sqlparser reads only parenthesised rows (`VALUES (1), (2)`),
//! so before parsing each unparenthesised row of a `VALUES` list is wrapped
//! in parentheses, in the text itself: the tokens give the places, and the
//! rest of the text (string literals, comments, positions for error
//! messages) stays exactly as written.

use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

/// `sql` with the rows of every `VALUES` list that does not start with `(`
/// parenthesised; `None` when there is none (or the text does not tokenize,
/// which the parser then reports).
pub(crate) fn parenthesize_values(sql: &str) -> Option<String> {
    if !sql
        .as_bytes()
        .windows(6)
        .any(|w| w.eq_ignore_ascii_case(b"values"))
    {
        return None;
    }
    let tokens = Tokenizer::new(&GenericDialect {}, sql)
        .tokenize_with_location()
        .ok()?;
    let offsets = LineOffsets::new(sql);
    // (byte offset, text to insert there), in order.
    let mut inserts: Vec<(usize, &str)> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let is_values = matches!(&tokens[i].token, Token::Word(w) if w.keyword == Keyword::VALUES);
        i += 1;
        if !is_values {
            continue;
        }
        let Some(first) = next_significant(&tokens, i) else {
            break;
        };
        if matches!(tokens[first].token, Token::LParen) {
            continue;
        }
        inserts.push((offsets.of(&tokens[first])?, "("));
        let mut depth = 0usize;
        let mut j = first;
        let mut last = first;
        while j < tokens.len() {
            match &tokens[j].token {
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket if depth == 0 => break,
                Token::RParen | Token::RBracket => depth -= 1,
                Token::SemiColon if depth == 0 => break,
                Token::Word(w) if depth == 0 && ends_values(w.keyword) => break,
                Token::Comma if depth == 0 => {
                    inserts.push((offsets.of(&tokens[j])?, ")"));
                    let next = next_significant(&tokens, j + 1)?;
                    inserts.push((offsets.of(&tokens[next])?, "("));
                    j = next;
                    last = next;
                    continue;
                }
                _ => {}
            }
            if !matches!(tokens[j].token, Token::Whitespace(_)) {
                last = j;
            }
            j += 1;
        }
        inserts.push((offsets.end_of(&tokens[last])?, ")"));
        i = j;
    }
    if inserts.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(sql.len() + inserts.len());
    let mut at = 0;
    for (offset, text) in inserts {
        out.push_str(&sql[at..offset]);
        out.push_str(text);
        at = offset;
    }
    out.push_str(&sql[at..]);
    Some(out)
}

/// Keywords that end a `VALUES` list at its own level.
fn ends_values(keyword: Keyword) -> bool {
    matches!(
        keyword,
        Keyword::ORDER
            | Keyword::LIMIT
            | Keyword::OFFSET
            | Keyword::FETCH
            | Keyword::UNION
            | Keyword::EXCEPT
            | Keyword::INTERSECT
    )
}

fn next_significant(tokens: &[TokenWithSpan], from: usize) -> Option<usize> {
    (from..tokens.len()).find(|&k| !matches!(tokens[k].token, Token::Whitespace(_)))
}

/// Byte offsets of the text's lines, to turn token locations (1-based line
/// and character column) into byte offsets.
struct LineOffsets<'a> {
    lines: Vec<(usize, &'a str)>,
}

impl<'a> LineOffsets<'a> {
    fn new(sql: &'a str) -> Self {
        let mut lines = Vec::new();
        let mut start = 0;
        for line in sql.split_inclusive('\n') {
            lines.push((start, line));
            start += line.len();
        }
        Self { lines }
    }

    fn at(&self, line: u64, column: u64) -> Option<usize> {
        let (start, text) = self
            .lines
            .get(usize::try_from(line).ok()?.checked_sub(1)?)?;
        let column = usize::try_from(column).ok()?.checked_sub(1)?;
        let within = text
            .char_indices()
            .map(|(b, _)| b)
            .chain(std::iter::once(text.len()))
            .nth(column)?;
        Some(start + within)
    }

    /// Where a token starts.
    fn of(&self, token: &TokenWithSpan) -> Option<usize> {
        self.at(token.span.start.line, token.span.start.column)
    }

    /// Where a token ends.
    fn end_of(&self, token: &TokenWithSpan) -> Option<usize> {
        self.at(token.span.end.line, token.span.end.column)
    }
}

#[cfg(test)]
mod tests {
    use super::parenthesize_values;

    #[test]
    fn unparenthesised_rows_are_wrapped() {
        assert_eq!(
            parenthesize_values("VALUES 1, 2, 3").as_deref(),
            Some("VALUES (1), (2), (3)")
        );
        assert_eq!(
            parenthesize_values(
                "SELECT * FROM (VALUES 1, f(2, 3), ARRAY[4, 5]) AS t(x) ORDER BY 1"
            )
            .as_deref(),
            Some("SELECT * FROM (VALUES (1), (f(2, 3)), (ARRAY[4, 5])) AS t(x) ORDER BY 1")
        );
        assert_eq!(
            parenthesize_values("VALUES 'it''s', -- a comment\n 'b' ORDER BY 1").as_deref(),
            Some("VALUES ('it''s'), -- a comment\n ('b') ORDER BY 1")
        );
        assert_eq!(
            parenthesize_values("INSERT INTO t VALUES 1;").as_deref(),
            Some("INSERT INTO t VALUES (1);")
        );
    }

    #[test]
    fn parenthesised_rows_and_other_text_are_left_alone() {
        assert_eq!(parenthesize_values("VALUES (1, 'a'), (2, 'b')"), None);
        assert_eq!(parenthesize_values("SELECT map_values(m) FROM t"), None);
        assert_eq!(parenthesize_values("SELECT 'VALUES 1, 2'"), None);
    }
}
