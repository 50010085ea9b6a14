//! Matching JSON object keys to a struct's fields, once per key per row.
//!
//! The SerDes fold case with Java's `toLowerCase`, which the table below
//! reproduces with Rust's Unicode lowercasing. Almost every key is ASCII, and
//! for ASCII keys full lowercasing is ASCII lowercasing, so the common path
//! compares bytes case-insensitively against the folded field names without
//! building a folded copy or hashing. Other keys take the general path.

use std::collections::HashMap;

/// Up to this many names a linear scan (length first) beats hashing.
const LINEAR_MAX: usize = 24;

/// Folded key → field index, with the SerDe's key rules.
pub(crate) struct KeyIndex {
    case_insensitive: bool,
    dots_in_keys: bool,
    /// The folded names, for the linear scan of small structs.
    names: Vec<(Box<[u8]>, usize)>,
    lookup: HashMap<String, usize>,
    buf: String,
}

impl KeyIndex {
    /// `lookup` maps folded names (see [`fold`]) to field indices.
    pub(crate) fn new(
        lookup: HashMap<String, usize>,
        case_insensitive: bool,
        dots_in_keys: bool,
    ) -> Self {
        let mut names: Vec<_> = lookup
            .iter()
            .map(|(name, &i)| (name.as_bytes().into(), i))
            .collect();
        // Field order: keys usually arrive in it, so scans stop early.
        names.sort_by_key(|&(_, i)| i);
        Self {
            case_insensitive,
            dots_in_keys,
            names,
            lookup,
            buf: String::new(),
        }
    }

    /// The field a key feeds, if any.
    pub(crate) fn get(&mut self, key: &str) -> Option<usize> {
        if self.dots_in_keys && key.contains('.') {
            // OpenX `dots.in.keys`: `a.b` names column `a_b`.
            self.buf.clear();
            self.buf
                .extend(key.chars().map(|c| if c == '.' { '_' } else { c }));
            if self.case_insensitive {
                self.buf = self.buf.to_lowercase();
            }
            return self.lookup.get(&self.buf).copied();
        }
        if !self.case_insensitive {
            return self.lookup.get(key).copied();
        }
        let bytes = key.as_bytes();
        if !bytes.is_ascii() {
            self.buf.clear();
            self.buf.extend(key.chars().flat_map(char::to_lowercase));
            return self.lookup.get(&self.buf).copied();
        }
        // Folded names hold no ASCII capitals, so an ASCII key matches a name
        // exactly when its ASCII lowercasing equals it.
        if self.names.len() <= LINEAR_MAX {
            return self
                .names
                .iter()
                .find(|(name, _)| name.len() == bytes.len() && name.eq_ignore_ascii_case(bytes))
                .map(|&(_, i)| i);
        }
        if !bytes.iter().any(u8::is_ascii_uppercase) {
            return self.lookup.get(key).copied();
        }
        self.buf.clear();
        self.buf.push_str(key);
        self.buf.make_ascii_lowercase();
        self.lookup.get(&self.buf).copied()
    }
}

/// Case folding of keys and field names, when the SerDe is case-insensitive.
pub(crate) fn fold(name: &str, case_insensitive: bool) -> String {
    if case_insensitive {
        name.to_lowercase()
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(names: &[&str], case_insensitive: bool, dots: bool) -> KeyIndex {
        let lookup = names
            .iter()
            .enumerate()
            .map(|(i, n)| (fold(n, case_insensitive), i))
            .collect();
        KeyIndex::new(lookup, case_insensitive, dots)
    }

    #[test]
    fn matches_like_full_lowercasing() {
        // U+212A KELVIN SIGN lowercases to ASCII `k`; U+0130 to `i̇`.
        let names = ["user_id", "Kelvin\u{212A}", "\u{130}d", "Ünïcode"];
        let mut many: Vec<String> = (0..40).map(|i| format!("f{i}")).collect();
        many.extend(names.iter().map(|n| n.to_string()));
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        for (mut keys, offset) in [
            (index(&names, true, false), 0),
            (index(&many, true, false), 40),
        ] {
            assert_eq!(keys.get("USER_ID"), Some(offset));
            assert_eq!(keys.get("user_id"), Some(offset));
            assert_eq!(keys.get("kelvink"), Some(offset + 1));
            assert_eq!(keys.get("KELVIN\u{212A}"), Some(offset + 1));
            assert_eq!(keys.get("i\u{307}D"), Some(offset + 2));
            assert_eq!(keys.get("ÜNÏCODE"), Some(offset + 3));
            assert_eq!(keys.get("user_i"), None);
            assert_eq!(keys.get("user.id"), None);
        }
    }

    #[test]
    fn case_sensitive_and_dots() {
        let mut keys = index(&["User_Id"], false, false);
        assert_eq!(keys.get("User_Id"), Some(0));
        assert_eq!(keys.get("user_id"), None);
        let mut keys = index(&["a_b"], true, true);
        assert_eq!(keys.get("A.B"), Some(0));
        assert_eq!(keys.get("a_B"), Some(0));
    }
}
