//! JSONPath as Trino's JSON functions take it (`$.store.book[0]["title"]`),
//! evaluated by walking the JSON text without building a tree: keys and
//! values the path does not enter are skipped, nothing is allocated unless a
//! key holds an escape.

use datafusion::common::{DataFusionError, Result};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// An object member.
    Key(String),
    /// An array element, 0-based.
    Index(usize),
}

/// Parses `$`, `.key`, `["key"]`, `['key']` and `[n]` steps.
pub(crate) fn parse(function: &str, path: &str) -> Result<Vec<Step>> {
    let bad = |why: &str| {
        DataFusionError::Execution(format!(
            "{function}: invalid JSON path {path:?} (argument 2): {why}"
        ))
    };
    let path = path.trim();
    let Some(mut rest) = path.strip_prefix('$') else {
        return Err(bad("it must start with $"));
    };
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let key = &r[..end];
            if key.is_empty() || key == "*" {
                return Err(bad("expected a key after ."));
            }
            steps.push(Step::Key(key.to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let r = r.trim_start();
            if let Some(quote) = r.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let body = &r[1..];
                let close = body
                    .find(quote)
                    .ok_or_else(|| bad("a quoted key is not closed"))?;
                steps.push(Step::Key(body[..close].to_string()));
                rest = body[close + 1..]
                    .trim_start()
                    .strip_prefix(']')
                    .ok_or_else(|| bad("expected ] after a quoted key"))?;
            } else {
                let close = r.find(']').ok_or_else(|| bad("a [ is not closed"))?;
                let index = r[..close]
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| bad("an array index must be a non-negative integer"))?;
                steps.push(Step::Index(index));
                rest = &r[close + 1..];
            }
        } else {
            return Err(bad("expected . or ["));
        }
    }
    Ok(steps)
}

/// A position in JSON text.
struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.text.get(self.at) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.at += 1;
            } else {
                return Some(b);
            }
        }
        None
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.at += 1)
    }

    /// Skips a string starting at `"`; returns its body (escapes undone by the caller).
    fn string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.at;
        loop {
            match *self.text.get(self.at)? {
                b'"' => break,
                b'\\' => self.at += 2,
                _ => self.at += 1,
            }
        }
        let body = &self.text[start..self.at];
        self.at += 1;
        Some(body)
    }

    /// Skips one value of any kind.
    fn skip(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => {
                self.at += 1;
                if self.eat(b'}').is_some() {
                    return Some(());
                }
                loop {
                    self.string()?;
                    self.eat(b':')?;
                    self.skip()?;
                    if self.eat(b',').is_none() {
                        return self.eat(b'}');
                    }
                }
            }
            b'[' => {
                self.at += 1;
                if self.eat(b']').is_some() {
                    return Some(());
                }
                loop {
                    self.skip()?;
                    if self.eat(b',').is_none() {
                        return self.eat(b']');
                    }
                }
            }
            _ => {
                let start = self.at;
                while let Some(b) = self.text.get(self.at) {
                    if matches!(b, b'-' | b'+' | b'.' | b'0'..=b'9' | b'a'..=b'z' | b'E') {
                        self.at += 1;
                    } else {
                        break;
                    }
                }
                let word = &self.text[start..self.at];
                let ok = matches!(word, b"true" | b"false" | b"null")
                    || (!word.is_empty()
                        && (word[0] == b'-' || word[0].is_ascii_digit())
                        && word
                            .iter()
                            .all(|b| !b.is_ascii_alphabetic() || matches!(b, b'e' | b'E')));
                ok.then_some(())
            }
        }
    }

    /// Moves into the member `key` of the object here.
    fn member(&mut self, key: &str) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return None;
        }
        loop {
            let name = self.string()?;
            self.eat(b':')?;
            if key_matches(name, key) {
                self.peek()?;
                return Some(());
            }
            self.skip()?;
            self.eat(b',')?;
        }
    }

    /// Moves into element `index` of the array here.
    fn element(&mut self, index: usize) -> Option<()> {
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return None;
        }
        for _ in 0..index {
            self.skip()?;
            self.eat(b',')?;
        }
        self.peek()?;
        Some(())
    }
}

fn key_matches(raw: &[u8], key: &str) -> bool {
    if raw.contains(&b'\\') {
        let quoted = format!("\"{}\"", String::from_utf8_lossy(raw));
        serde_json::from_str::<String>(&quoted).is_ok_and(|k| k == key)
    } else {
        raw == key.as_bytes()
    }
}

/// The JSON text of the value at `steps`, or `None` when the path does not
/// exist or the text on the way is not JSON.
pub(crate) fn locate<'a>(json: &'a str, steps: &[Step]) -> Option<&'a str> {
    let mut cursor = Cursor {
        text: json.as_bytes(),
        at: 0,
    };
    for step in steps {
        match step {
            Step::Key(k) => cursor.member(k)?,
            Step::Index(i) => cursor.element(*i)?,
        }
    }
    cursor.peek()?;
    let start = cursor.at;
    cursor.skip()?;
    Some(&json[start..cursor.at])
}

/// The raw texts of the elements of a JSON array, or `None` if `json` is not one.
pub(crate) fn elements(json: &str) -> Option<Vec<&str>> {
    let mut cursor = Cursor {
        text: json.as_bytes(),
        at: 0,
    };
    let mut out = Vec::new();
    cursor.eat(b'[')?;
    if cursor.eat(b']').is_some() {
        return Some(out);
    }
    loop {
        cursor.peek()?;
        let start = cursor.at;
        cursor.skip()?;
        out.push(&json[start..cursor.at]);
        if cursor.eat(b',').is_none() {
            cursor.eat(b']')?;
            return Some(out);
        }
    }
}

/// The number of members or elements of an object or array; 0 for a scalar.
pub(crate) fn size(value: &str) -> Option<i64> {
    let mut cursor = Cursor {
        text: value.as_bytes(),
        at: 0,
    };
    let (open, close) = match cursor.peek()? {
        b'{' => (b'{', b'}'),
        b'[' => (b'[', b']'),
        _ => return Some(0),
    };
    cursor.eat(open)?;
    if cursor.eat(close).is_some() {
        return Some(0);
    }
    let mut n = 0;
    loop {
        if open == b'{' {
            cursor.string()?;
            cursor.eat(b':')?;
        }
        cursor.skip()?;
        n += 1;
        if cursor.eat(b',').is_none() {
            cursor.eat(close)?;
            return Some(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"store": {"book": [{"title": "Moby \"Dick\"", "price": 8.99},
        {"title": "Sword", "tags": ["a", "b"]}], "open": true, "a.b": null}, "x\u0079": 1}"#;

    fn at(path: &str) -> Option<&'static str> {
        locate(DOC, &parse("f", path).unwrap())
    }

    #[test]
    fn paths_parse() {
        assert_eq!(parse("f", "$").unwrap(), vec![]);
        assert_eq!(
            parse("f", "$.a[2][\"b c\"]['d']").unwrap(),
            vec![
                Step::Key("a".into()),
                Step::Index(2),
                Step::Key("b c".into()),
                Step::Key("d".into())
            ]
        );
        for bad in ["a.b", "$.", "$[x]", "$[\"a\"", "$a"] {
            let err = parse("json_extract", bad).unwrap_err().to_string();
            assert!(err.contains("json_extract: invalid JSON path"), "{err}");
        }
    }

    #[test]
    fn paths_locate_values() {
        assert_eq!(at("$.store.book[0].price"), Some("8.99"));
        assert_eq!(at("$.store.book[0].title"), Some(r#""Moby \"Dick\"""#));
        assert_eq!(at("$.store.book[1].tags"), Some(r#"["a", "b"]"#));
        assert_eq!(at("$.store.open"), Some("true"));
        assert_eq!(at("$.store[\"a.b\"]"), Some("null"));
        assert_eq!(at("$.xy"), Some("1"));
        assert_eq!(at("$.store.book[2]"), None);
        assert_eq!(at("$.store.nothing"), None);
        assert_eq!(at("$.store.book.title"), None);
    }

    #[test]
    fn malformed_json_locates_nothing() {
        let steps = parse("f", "$.b").unwrap();
        assert_eq!(locate(r#"{"a": [1, 2}, "b": 1}"#, &steps), None);
        assert_eq!(locate(r#"{"a": tru, "b": 1}"#, &steps), None);
        assert_eq!(locate("not json", &steps), None);
        assert_eq!(locate("", &[]), None);
    }

    #[test]
    fn arrays_and_sizes() {
        assert_eq!(
            elements(r#"[1, "a,b", [2, 3]]"#),
            Some(vec!["1", r#""a,b""#, "[2, 3]"])
        );
        assert_eq!(elements("[]"), Some(vec![]));
        assert_eq!(elements("{}"), None);
        assert_eq!(elements("[1,"), None);
        assert_eq!(size(r#"{"a": 1, "b": [1]}"#), Some(2));
        assert_eq!(size("[1, 2, 3]"), Some(3));
        assert_eq!(size("7"), Some(0));
    }
}
