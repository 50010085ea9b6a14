//! JSON text in canonical form — compact, object keys sorted, the last of
//! duplicate keys kept — written straight into a reused buffer. It is the
//! text `serde_json::Value` prints, without building the value tree: that
//! tree allocated every key and string of every row, which made
//! `json_parse` cost about 900 ns a row. An object's values are written in
//! the order they come, then the object's text is put in key order; keys are
//! borrowed from the input unless they have escapes.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::json::KeySeed;

/// Nesting deeper than this is an error, as in `serde_json::from_str`.
const MAX_DEPTH: usize = 128;

/// Appends the canonical form of the JSON text `text` to `out`; fails, with
/// `out` in an unspecified state, when `text` is not one JSON value.
pub(super) fn write(text: &str, out: &mut Vec<u8>) -> serde_json::Result<()> {
    let mut reader = serde_json::Deserializer::from_str(text);
    Canonical { out, depth: 0 }.deserialize(&mut reader)?;
    reader.end()
}

struct Canonical<'a> {
    out: &'a mut Vec<u8>,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Canonical<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Canonical<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        serde_json::to_writer(&mut *self.out, &v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        serde_json::to_writer(&mut *self.out, &v).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        // serde_json's own number printing, as `Value` prints it.
        serde_json::to_writer(&mut *self.out, &v).map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        serde_json::to_writer(&mut *self.out, v).map_err(E::custom)
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            return Err(de::Error::custom("recursion limit exceeded"));
        }
        self.out.push(b'[');
        let mut first = true;
        loop {
            let mark = self.out.len();
            if !first {
                self.out.push(b',');
            }
            let element = Canonical {
                out: &mut *self.out,
                depth,
            };
            if seq.next_element_seed(element)?.is_none() {
                self.out.truncate(mark);
                break;
            }
            first = false;
        }
        self.out.push(b']');
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            return Err(de::Error::custom("recursion limit exceeded"));
        }
        // Each value's canonical text, written where the object starts.
        let start = self.out.len();
        let mut entries: Vec<(Cow<'de, str>, std::ops::Range<usize>)> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let from = self.out.len() - start;
            map.next_value_seed(Canonical {
                out: &mut *self.out,
                depth,
            })?;
            entries.push((key, from..self.out.len() - start));
        }
        let values = self.out.split_off(start);
        // Stable, so equal keys keep their order and the last one wins.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        self.out.push(b'{');
        for (i, (key, value)) in entries.iter().enumerate() {
            if entries.get(i + 1).is_some_and(|next| next.0 == *key) {
                continue;
            }
            if self.out.last() != Some(&b'{') {
                self.out.push(b',');
            }
            serde_json::to_writer(&mut *self.out, key.as_ref()).map_err(de::Error::custom)?;
            self.out.push(b':');
            self.out.extend_from_slice(&values[value.clone()]);
        }
        self.out.push(b'}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> Option<String> {
        let mut out = Vec::new();
        write(text, &mut out).ok()?;
        Some(String::from_utf8(out).unwrap())
    }

    fn by_value(text: &str) -> Option<String> {
        serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .map(|v| v.to_string())
    }

    #[test]
    fn the_same_text_as_serde_json_values_print() {
        for text in [
            r#"{"b": 1, "a": [true, null, false]}"#,
            r#" [1, -2, 3.50, 1e2, 18446744073709551615, 18446744073709551616, -0.0] "#,
            r#"{"k": "tab\there \u00e9 \ud83d\ude00 \"q\" \\ /", "z\u0041": {}, "": []}"#,
            r#"{"dup": 1, "a": 2, "dup": 3}"#,
            r#"{"x": {"c": [ {"b": 2, "a": 1} ], "a": null}}"#,
            r#""just a string""#,
            "12",
            "[]",
            "{}",
            "{oops",
            "[1,]",
            "[1] [2]",
            "",
            r#"{"a" 1}"#,
        ] {
            assert_eq!(canonical(text), by_value(text), "{text}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(canonical(&deep), None);
        let ok = "[".repeat(100) + &"]".repeat(100);
        assert_eq!(canonical(&ok), by_value(&ok));
    }
}
