//! Matching JSON object keys to a struct's fields, once per key per row.
//!
//! The SerDes fold case with Java's `toLowerCase`, which the table below
//! reproduces with Rust's Unicode lowercasing. Almost every key is ASCII, and
//! for ASCII keys full lowercasing is ASCII lowercasing, so the common path
//! compares bytes case-insensitively against the folded field names without
//! building a folded copy or hashing. Other keys take the general path.
//! In front of both sits a memo of the exact keys seen: the same few
//! spellings repeat on every line, so most lookups are one cheap hash and
//! one byte compare, for wanted and unwanted keys alike.

use std::collections::HashMap;

/// Up to this many names a linear scan (length first) beats hashing.
const LINEAR_MAX: usize = 24;

/// Folded key → field index, with the SerDe's key rules.
pub(crate) struct KeyIndex {
    case_insensitive: bool,
    dots_in_keys: bool,
    /// The [`tag`]s of `names`, scanned first (a short run of integers).
    tags: Vec<u32>,
    /// The folded names, for the linear scan of small structs.
    names: Vec<(Box<[u8]>, usize)>,
    lookup: HashMap<String, usize>,
    buf: String,
    memo: Memo,
}

/// Length, first and last byte of an ASCII name, case-folded: a cheap filter
/// before comparing bytes.
fn tag(name: &[u8]) -> u32 {
    match (name.first(), name.last()) {
        (Some(first), Some(last)) => {
            (name.len().min(0xffff) as u32) << 16
                | u32::from(first.to_ascii_lowercase()) << 8
                | u32::from(last.to_ascii_lowercase())
        }
        _ => 0,
    }
}

impl KeyIndex {
    /// `lookup` maps folded names (see [`fold`]) to field indices.
    pub(crate) fn new(
        lookup: HashMap<String, usize>,
        case_insensitive: bool,
        dots_in_keys: bool,
    ) -> Self {
        let mut names: Vec<(Box<[u8]>, usize)> = lookup
            .iter()
            .map(|(name, &i)| (name.as_bytes().into(), i))
            .collect();
        names.sort_by_key(|&(_, i)| i);
        let tags = names.iter().map(|(name, _)| tag(name)).collect();
        Self {
            case_insensitive,
            dots_in_keys,
            tags,
            names,
            lookup,
            buf: String::new(),
            memo: Memo::default(),
        }
    }

    /// The field a key feeds, if any.
    pub(crate) fn get(&mut self, key: &str) -> Option<usize> {
        if self.names.is_empty() {
            // Nothing wanted (`count(*)`): no key feeds a field.
            return None;
        }
        let print = Print::of(key.as_bytes());
        if let Some(found) = self.memo.get(print, key.as_bytes()) {
            return found;
        }
        let found = self.resolve(key);
        self.memo.insert(print, key.as_bytes(), found);
        found
    }

    fn resolve(&mut self, key: &str) -> Option<usize> {
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
            let key_tag = tag(bytes);
            for (t, (name, i)) in self.tags.iter().zip(&self.names) {
                if *t == key_tag && name.eq_ignore_ascii_case(bytes) {
                    return Some(*i);
                }
            }
            return None;
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

/// The length and the first and last eight bytes of a key (zero-padded):
/// keys of up to 16 bytes are equal exactly when their prints are.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Print {
    len: usize,
    head: u64,
    tail: u64,
}

impl Print {
    fn of(key: &[u8]) -> Self {
        let len = key.len();
        let mut head = [0u8; 8];
        let mut tail = [0u8; 8];
        if len >= 8 {
            head.copy_from_slice(&key[..8]);
            tail.copy_from_slice(&key[len - 8..]);
        } else {
            head[..len].copy_from_slice(key);
        }
        Self {
            len,
            head: u64::from_le_bytes(head),
            tail: u64::from_le_bytes(tail),
        }
    }

    fn hash(self) -> usize {
        let mixed = self.head ^ self.tail.rotate_left(29) ^ self.len as u64;
        (mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 57) as usize
    }
}

/// A raw key and the field it feeds; `rest` holds the key's bytes between
/// its first and last eight, for keys longer than 16 bytes.
#[derive(Clone)]
struct MemoEntry {
    print: Print,
    rest: Box<[u8]>,
    found: Option<usize>,
}

/// Raw key → field, for the keys seen so far (up to a bound, so objects
/// used as maps with ever-new keys cannot make it grow without end).
#[derive(Default)]
struct Memo {
    /// Open addressing, linear probing; `SLOTS` is a power of two.
    slots: Vec<Option<MemoEntry>>,
    len: usize,
}

impl Memo {
    const SLOTS: usize = 128;
    const MAX_LEN: usize = Self::SLOTS / 2;

    fn middle(key: &[u8]) -> &[u8] {
        key.get(8..key.len().saturating_sub(8)).unwrap_or_default()
    }

    /// `Some(field)` when the key was seen before.
    fn get(&self, print: Print, key: &[u8]) -> Option<Option<usize>> {
        if self.slots.is_empty() {
            return None;
        }
        let mut i = print.hash();
        loop {
            match &self.slots[i % Self::SLOTS] {
                None => return None,
                Some(entry)
                    if entry.print == print
                        && (print.len <= 16 || *entry.rest == *Self::middle(key)) =>
                {
                    return Some(entry.found);
                }
                Some(_) => i += 1,
            }
        }
    }

    fn insert(&mut self, print: Print, key: &[u8], found: Option<usize>) {
        if self.len >= Self::MAX_LEN {
            return;
        }
        if self.slots.is_empty() {
            self.slots.resize(Self::SLOTS, None);
        }
        let mut i = print.hash();
        while self.slots[i % Self::SLOTS].is_some() {
            i += 1;
        }
        self.slots[i % Self::SLOTS] = Some(MemoEntry {
            print,
            rest: Self::middle(key).into(),
            found,
        });
        self.len += 1;
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
    fn many_distinct_keys() {
        let names: Vec<String> = (0..100).map(|i| format!("Key{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut keys = index(&names, true, false);
        for _ in 0..2 {
            for i in 0..300 {
                let expected = (i < 100).then_some(i);
                assert_eq!(keys.get(&format!("KEY{i}")), expected);
                assert_eq!(keys.get(&format!("key{i}")), expected);
            }
        }
    }

    #[test]
    fn long_keys_differing_only_in_the_middle() {
        // Same length and the same first and last eight bytes.
        let names = ["prefix__a__suffix_", "prefix__b__suffix_", "short"];
        let mut keys = index(&names, false, false);
        for _ in 0..2 {
            assert_eq!(keys.get("prefix__b__suffix_"), Some(1));
            assert_eq!(keys.get("prefix__c__suffix_"), None);
            assert_eq!(keys.get("prefix__a__suffix_"), Some(0));
            assert_eq!(keys.get("shorT"), None);
            assert_eq!(keys.get("short"), Some(2));
        }
        let mut nothing = index(&[], true, true);
        assert_eq!(nothing.get("a.b"), None);
    }

    #[test]
    fn keys_in_any_order() {
        let mut keys = index(&["a", "bb", "cc", "d"], true, false);
        for _ in 0..2 {
            for (key, field) in [("D", Some(3)), ("CC", Some(2)), ("x", None), ("a", Some(0))] {
                assert_eq!(keys.get(key), field);
            }
            for (key, field) in [
                ("a", Some(0)),
                ("bb", Some(1)),
                ("BC", None),
                ("cc", Some(2)),
            ] {
                assert_eq!(keys.get(key), field);
            }
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
