//! A parsed JSON line that borrows from the input.
//!
//! serde_json's `Value` sorts object keys and keeps only one of keys that differ
//! in case; the SerDes need document order (the last of duplicate keys wins,
//! after case folding) and compact re-serialisation (an object read into a
//! string column becomes its JSON text). Strings without escapes borrow.

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

/// One JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    /// Entries in document order, duplicates kept.
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// Parses one line of JSON text.
    pub(crate) fn parse(line: &'a [u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(line)
    }

    /// A short name of the value's JSON type, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Int(_) | Node::UInt(_) | Node::Float(_) => "a number",
            Node::Str(_) => "a string",
            Node::Array(_) => "an array",
            Node::Object(_) => "an object",
        }
    }

    /// Compact JSON text of the value.
    pub(crate) fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out, false);
        out
    }

    /// Compact JSON text with every object key in lower case, as the OpenX
    /// SerDe renders a nested value into a string column when it matches
    /// keys case-insensitively: it lower-cases keys as it parses (AWS's
    /// GuardDuty walkthrough relies on it: "make sure that all characters in
    /// the JSON fields are in lower case").
    pub(crate) fn to_json_lowercase_keys(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out, true);
        out
    }

    fn write_json(&self, out: &mut String, lowercase_keys: bool) {
        use std::fmt::Write;
        match self {
            Node::Null => out.push_str("null"),
            Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Node::Int(i) => _ = write!(out, "{i}"),
            Node::UInt(u) => _ = write!(out, "{u}"),
            Node::Float(f) => _ = write!(out, "{f}"),
            Node::Str(s) => write_string(out, s),
            Node::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out, lowercase_keys);
                }
                out.push(']');
            }
            Node::Object(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if lowercase_keys {
                        write_string(out, &key.to_lowercase());
                    } else {
                        write_string(out, key);
                    }
                    out.push(':');
                    value.write_json(out, lowercase_keys);
                }
                out.push('}');
            }
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    // serde_json's escaping of a plain string cannot fail.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

/// Parses one line that should hold an object, keeping only the values of
/// keys that `pick` maps to a slot (the last of duplicate keys wins). Other
/// values are checked and skipped without building nodes, so a malformed line
/// is still an error. `Ok(Some(kind))`: valid JSON, but not an object.
pub(crate) fn parse_picked<'a, F>(
    line: &'a [u8],
    mut pick: F,
    slots: &mut [Option<Node<'a>>],
) -> Result<Option<&'static str>, serde_json::Error>
where
    F: FnMut(&str) -> Option<usize>,
{
    if let Ok(text) = std::str::from_utf8(line) {
        // Most lines are plain objects: one pass, without serde's visitors.
        if super::scan::pick_object(text, &mut pick, slots) {
            return Ok(None);
        }
        slots.fill(None);
    }
    parse_picked_with_serde(line, pick, slots)
}

/// [`parse_picked`] with serde_json alone: the reference for the fast path,
/// and the path for every line the fast path declines.
pub(crate) fn parse_picked_with_serde<'a, F>(
    line: &'a [u8],
    pick: F,
    slots: &mut [Option<Node<'a>>],
) -> Result<Option<&'static str>, serde_json::Error>
where
    F: FnMut(&str) -> Option<usize>,
{
    let visitor = PickVisitor { pick, slots };
    match std::str::from_utf8(line) {
        // Checked once here, so the parser need not check each string.
        Ok(text) => {
            let mut de = serde_json::Deserializer::from_str(text);
            let kind = de.deserialize_any(visitor)?;
            de.end()?;
            Ok(kind)
        }
        Err(_) => {
            // Bad UTF-8 fails with serde_json's own message, wherever it is.
            Node::parse(line)?;
            let mut de = serde_json::Deserializer::from_slice(line);
            let kind = de.deserialize_any(visitor)?;
            de.end()?;
            Ok(kind)
        }
    }
}

struct PickVisitor<'s, 'a, F> {
    pick: F,
    slots: &'s mut [Option<Node<'a>>],
}

impl<'de, F: FnMut(&str) -> Option<usize>> Visitor<'de> for PickVisitor<'_, 'de, F> {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Self::Value, A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match (self.pick)(&key) {
                Some(i) => self.slots[i] = Some(map.next_value()?),
                None => _ = map.next_value::<IgnoredAny>()?,
            }
        }
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Some("an array"))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Some("null"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Some("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Some("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Some("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Some("a number"))
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Some("a string"))
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

/// Object keys borrow from the input when they have no escapes
/// (`Cow<str>`'s own `Deserialize` always copies).
pub(crate) struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node<'de>, E> {
        Ok(Node::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node<'de>, E> {
        Ok(Node::UInt(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node<'de>, E> {
        Ok(Node::Float(v))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Node::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_duplicates_and_borrows() {
        let line = br#"{"b": 1, "A": [true, null, 2.5], "a": "x\"y", "b": -3}"#;
        let node = Node::parse(line).unwrap();
        let Node::Object(entries) = &node else {
            panic!()
        };
        let keys: Vec<_> = entries.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["b", "A", "a", "b"]);
        assert!(matches!(entries[0].0, Cow::Borrowed(_)));
        assert_eq!(entries[3].1, Node::Int(-3));
        assert_eq!(
            node.to_json(),
            r#"{"b":1,"A":[true,null,2.5],"a":"x\"y","b":-3}"#
        );
    }

    #[test]
    fn picks_the_last_of_wanted_keys_and_checks_the_rest() {
        let pick = |key: &str| ["a", "c"].iter().position(|k| *k == key);
        let mut slots = vec![None, None];
        let line = br#"{"a": 1, "b": {"x": [1, "\u00e9"]}, "c": "s", "a": [2]}"#;
        assert_eq!(parse_picked(line, pick, &mut slots).unwrap(), None);
        assert_eq!(slots[0], Some(Node::Array(vec![Node::UInt(2)])));
        assert_eq!(slots[1], Some(Node::Str("s".into())));
        for (line, kind) in [
            (&b"[1, {}]"[..], "an array"),
            (b" null ", "null"),
            (b"\"x\"", "a string"),
        ] {
            assert_eq!(parse_picked(line, pick, &mut slots).unwrap(), Some(kind));
        }
        // Skipped values are still checked, UTF-8 included.
        for bad in [
            &br#"{"b": [1,}"#[..],
            br#"{"b": "\q"}"#,
            b"{\"b\": \"\xff\"}",
            br#"{"a": 1} {"#,
        ] {
            assert!(parse_picked(bad, pick, &mut slots).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rejects_bad_json() {
        assert!(Node::parse(b"{\"a\": }").is_err());
        assert!(Node::parse(b"{\"a\": 1} trailing").is_err());
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(Node::parse(deep.as_bytes()).is_err());
    }
}
