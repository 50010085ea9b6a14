//! The fast path of [`parse_picked`](super::node::parse_picked): one pass over
//! a line that is a plain JSON object, checking and skipping the values of
//! keys nobody asked for without serde's visitor machinery.
//!
//! It accepts a subset of what serde_json accepts and declines everything
//! else (a key with an escape, a non-object line, deep nesting, any syntax
//! error): the caller then parses the line with serde_json, which gives the
//! same answer or the same error message as before. So this file decides
//! speed, never results. Picked values are still parsed by serde_json (or
//! borrowed, for a string without escapes), so their numbers and strings are
//! exactly serde_json's.
//!
//! On the clickstream benchmark's `count(*)` (992 MB of JSON, nothing picked,
//! everything checked) it cut the process's CPU time from 2.17 s to 1.85 s.

use std::borrow::Cow;

use super::node::Node;

/// Nesting this deep is left to serde_json (its limit is 128 levels).
const MAX_DEPTH: usize = 64;

/// Fills `slots` from the object in `text` (the last of duplicate keys wins)
/// and returns `true`, or returns `false` when the line needs the full parser;
/// `slots` then hold partial results and must be cleared.
pub(super) fn pick_object<'a, F>(
    text: &'a str,
    pick: &mut F,
    slots: &mut [Option<Node<'a>>],
) -> bool
where
    F: FnMut(&str) -> Option<usize>,
{
    let mut scan = Scan {
        text,
        bytes: text.as_bytes(),
        at: 0,
    };
    scan.object(pick, slots).is_some()
}

struct Scan<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

/// `None` throughout means "decline": not necessarily invalid JSON.
impl<'a> Scan<'a> {
    fn object<F>(&mut self, pick: &mut F, slots: &mut [Option<Node<'a>>]) -> Option<()>
    where
        F: FnMut(&str) -> Option<usize>,
    {
        self.skip_space();
        self.eat(b'{')?;
        self.members(b'}', |scan| {
            let (key, escaped) = scan.key()?;
            if escaped {
                return None;
            }
            match pick(key) {
                Some(slot) => *slots.get_mut(slot)? = Some(scan.node()?),
                None => scan.skip_value(0)?,
            }
            Some(())
        })?;
        self.skip_space();
        (self.at == self.bytes.len()).then_some(())
    }

    /// The members of an object or array, after its opening bracket: each
    /// read by `each`, separated by commas, through the closing `close`.
    fn members(&mut self, close: u8, mut each: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.skip_space();
        if self.peek()? == close {
            self.at += 1;
            return Some(());
        }
        loop {
            each(self)?;
            self.skip_space();
            match self.next()? {
                b',' => self.skip_space(),
                byte if byte == close => return Some(()),
                _ => return None,
            }
        }
    }

    /// An object member's key and its colon, with the spaces around it;
    /// `true` when the key held an escape (its text is then still escaped).
    /// Inlined by hand: left to the compiler, the clickstream `count(*)`
    /// took 6% more CPU.
    #[inline(always)]
    fn key(&mut self) -> Option<(&'a str, bool)> {
        self.eat(b'"')?;
        let start = self.at;
        let escaped = self.string_body()?;
        let key = self.text.get(start..self.at - 1)?;
        self.skip_space();
        self.eat(b':')?;
        self.skip_space();
        Some((key, escaped))
    }

    /// A picked value: a plain string borrows, anything else is serde_json's.
    fn node(&mut self) -> Option<Node<'a>> {
        let start = self.at;
        if self.peek()? == b'"' {
            self.at += 1;
            let escaped = self.string_body()?;
            let inner = self.text.get(start + 1..self.at - 1)?;
            if !escaped {
                return Some(Node::Str(Cow::Borrowed(inner)));
            }
        } else {
            self.skip_value(0)?;
        }
        serde_json::from_str(self.text.get(start..self.at)?).ok()
    }

    fn skip_value(&mut self, depth: usize) -> Option<()> {
        match self.next()? {
            b'"' => self.string_body().map(drop),
            b'{' => {
                let depth = Self::deeper(depth)?;
                self.members(b'}', |scan| {
                    scan.key()?;
                    scan.skip_value(depth)
                })
            }
            b'[' => {
                let depth = Self::deeper(depth)?;
                self.members(b']', |scan| scan.skip_value(depth))
            }
            b't' => self.literal(b"rue"),
            b'f' => self.literal(b"alse"),
            b'n' => self.literal(b"ull"),
            b'-' => {
                let first = self.next()?;
                self.number(first)
            }
            first @ b'0'..=b'9' => self.number(first),
            _ => None,
        }
    }

    fn deeper(depth: usize) -> Option<usize> {
        (depth < MAX_DEPTH).then_some(depth + 1)
    }

    /// JSON's number grammar, after the sign: `0` or a digit run not
    /// starting with `0`, then an optional fraction and exponent, each with
    /// at least one digit.
    fn number(&mut self, first: u8) -> Option<()> {
        match first {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.some_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.some_digits()?;
        }
        // `01` is not a number; serde_json rejects it, so decline.
        match self.peek() {
            Some(b'0'..=b'9') => None,
            _ => Some(()),
        }
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
    }

    fn some_digits(&mut self) -> Option<()> {
        let start = self.at;
        self.digits();
        (self.at > start).then_some(())
    }

    fn literal(&mut self, rest: &[u8]) -> Option<()> {
        let end = self.at + rest.len();
        (self.bytes.get(self.at..end)? == rest).then(|| self.at = end)
    }

    /// Skips a string's body after its opening quote, through the closing
    /// quote; `Some(true)` when it held an escape. Control characters are
    /// refused, as JSON requires; the line is already valid UTF-8.
    fn string_body(&mut self) -> Option<bool> {
        let mut escaped = false;
        loop {
            self.at += special_offset(self.bytes.get(self.at..)?)?;
            match self.next()? {
                b'"' => return Some(escaped),
                b'\\' => {
                    escaped = true;
                    match self.next()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        // As serde_json when it skips: four hex digits, with
                        // no check of surrogates (picked strings get one).
                        b'u' => {
                            let hex = self.bytes.get(self.at..self.at + 4)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.at += 4;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then_some(())
    }
}

/// The offset of the first `"`, `\` or control character in `bytes`, eight
/// bytes at a time (the classic zero-byte test, as serde_json does).
fn special_offset(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut offset = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
        let found = zero(word ^ (ONES * u64::from(b'"')))
            | zero(word ^ (ONES * u64::from(b'\\')))
            | (word.wrapping_sub(ONES * 0x20) & !word & HIGH);
        if found != 0 {
            // A borrow can only flag bytes after a real match, so the
            // lowest flag is the first special byte.
            return Some(offset + found.trailing_zeros() as usize / 8);
        }
        offset += 8;
    }
    bytes[offset..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| offset + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path's verdict, checked against serde_json's on the same line.
    fn fast<'a>(line: &'a str, keys: &[&str]) -> Option<Vec<Option<Node<'a>>>> {
        let mut pick = |key: &str| keys.iter().position(|k| *k == key);
        let mut slots = vec![None; keys.len()];
        if !pick_object(line, &mut pick, &mut slots) {
            return None;
        }
        let valid = serde_json::from_str::<serde::de::IgnoredAny>(line).is_ok();
        assert!(valid, "accepted what serde_json refuses: {line}");
        Some(slots)
    }

    #[test]
    fn picks_like_serde_json() {
        let line = r#" {"a": 1, "b": {"x": [1, "\u00e9", -2.5e-3, true, null, {}, []]}, "c": "s\"t", "a": [2, {"k": "v"}], "d": "plain"} "#;
        let picked = fast(line, &["a", "c", "d", "e"]).unwrap();
        assert_eq!(
            picked,
            [
                Some(Node::Array(vec![
                    Node::UInt(2),
                    Node::Object(vec![("k".into(), Node::Str("v".into()))])
                ])),
                Some(Node::Str("s\"t".into())),
                Some(Node::Str("plain".into())),
                None,
            ]
        );
        assert_eq!(fast("{}", &["a"]).unwrap(), [None]);
        assert_eq!(
            fast(r#"{"n": -0.5E+2, "m": 18446744073709551616}"#, &["n", "m"]).unwrap(),
            [
                Some(Node::Float(-50.0)),
                Some(Node::Float(18446744073709551616.0))
            ]
        );
    }

    #[test]
    fn declines_what_it_does_not_handle_and_everything_invalid() {
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(70), "]".repeat(70));
        let declined = [
            // Valid, but for serde_json: escaped keys, non-objects, depth.
            r#"{"\u0061": 1}"#,
            "[1]",
            "5",
            deep.as_str(),
            // Invalid.
            "",
            "{",
            r#"{"a": 1,}"#,
            r#"{"a": 01}"#,
            r#"{"a": 1.}"#,
            r#"{"a": .5}"#,
            r#"{"a": 1e}"#,
            r#"{"a": -}"#,
            r#"{"a": tru}"#,
            r#"{"a": nul}"#,
            r#"{"a": "x\q"}"#,
            r#"{"a": "x\u12g4"}"#,
            "{\"a\": \"tab\there\"}",
            r#"{"a": [1 2]}"#,
            r#"{"a": {"b" 1}}"#,
            r#"{"a": 1} x"#,
            r#"{"a": 1}}"#,
            r#"{"a" 1}"#,
            r#"{a: 1}"#,
            r#"{"a": "unterminated}"#,
        ];
        for line in declined {
            assert_eq!(fast(line, &["a"]), None, "{line}");
            assert_eq!(fast(line, &[]), None, "{line}");
        }
    }

    /// Mutated lines (bytes swapped for JSON's own characters, cut, doubled):
    /// whatever the fast path accepts, serde_json accepts with the same picks.
    #[test]
    fn agrees_with_serde_json_on_mutated_lines() {
        let seeds = [
            r#"{"Device":{"Browser":"Chrome","Is_Mobile":false},"EVENT_ID":"4506b6db","a":1041,"Tags":["x"],"b":-2.5e-3,"A":"s\"t\u00e9"}"#,
            r#"{"a": [1, {"b": null}, true], "long_key_name_over_16": 18446744073709551615, "b": "\ud83d\ude00"}"#,
        ];
        let palette = b"{}[]\":,\\ \t0123456789eE+-.tfnrulax\x01\xc3\xa9";
        let keys = crate::fuzzing::JSON_PICK_KEYS;
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let (mut accepted, mut tried) = (0, 0);
        for round in 0..60_000 {
            let mut line = seeds[round % seeds.len()].as_bytes().to_vec();
            for _ in 0..1 + next(3) {
                let at = next(line.len() + 1);
                match next(4) {
                    0 if at < line.len() => line[at] = palette[next(palette.len())],
                    1 => line.insert(at, palette[next(palette.len())]),
                    2 => line.truncate(at),
                    _ => {
                        let piece = line[at..].to_vec();
                        line.extend(piece.iter().take(8));
                    }
                }
            }
            let Ok(text) = std::str::from_utf8(&line) else {
                continue;
            };
            tried += 1;
            let mut pick = |key: &str| keys.iter().position(|k| *k == key);
            let mut fast = vec![None; keys.len()];
            if !pick_object(text, &mut pick, &mut fast) {
                continue;
            }
            accepted += 1;
            let mut slow = vec![None; keys.len()];
            let verdict = super::super::node::parse_picked_with_serde(&line, pick, &mut slow);
            assert!(matches!(verdict, Ok(None)), "{text}: {verdict:?}");
            assert_eq!(fast, slow, "{text}");
        }
        // Enough mutants survive to make the comparison mean something.
        assert!(accepted > tried / 20, "{accepted} of {tried} accepted");
    }

    #[test]
    fn finds_special_bytes_at_every_offset() {
        for len in 0..20 {
            for (at, special) in (0..len).flat_map(|at| [(at, b'"'), (at, b'\\'), (at, 0x1f)]) {
                let mut bytes = vec![b'a'; len];
                bytes[at] = special;
                assert_eq!(special_offset(&bytes), Some(at));
            }
            assert_eq!(special_offset(&vec![0xc3; len]), None);
        }
    }
}
