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
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ';' => {
                if has_code {
                    statements.push(current.trim().to_string());
                }
                current.clear();
                has_code = false;
                continue;
            }
            '\'' | '"' | '`' => {
                has_code = true;
                current.push(c);
                while let Some(d) = chars.next() {
                    current.push(d);
                    if d == c {
                        // A doubled quote is an escaped quote, not the end.
                        if chars.peek() == Some(&c) {
                            current.push(c);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
                continue;
            }
            '-' if chars.peek() == Some(&'-') => {
                current.push(c);
                for d in chars.by_ref() {
                    current.push(d);
                    if d == '\n' {
                        break;
                    }
                }
                continue;
            }
            '/' if chars.peek() == Some(&'*') => {
                current.push(c);
                current.push('*');
                chars.next();
                let mut previous = ' ';
                for d in chars.by_ref() {
                    current.push(d);
                    if previous == '*' && d == '/' {
                        break;
                    }
                    previous = d;
                }
                continue;
            }
            c if !c.is_whitespace() => has_code = true,
            _ => {}
        }
        current.push(c);
    }
    if has_code {
        statements.push(current.trim().to_string());
    }
    statements
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
    }
}
