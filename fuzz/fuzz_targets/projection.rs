//! The partition-projection property parser: `projection.*` properties for
//! up to three partition keys, built from fuzzed parts (types, ranges,
//! intervals, units, date formats, digits, templates), give a projection
//! or an error naming the property; value generation is checked on each
//! column's first and last values, and equality filters on every key list
//! the partitions. Never a panic.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    keys: Vec<Key>,
    template: Option<String>,
    enabled: bool,
    equalities: Vec<(u8, String)>,
}

#[derive(Arbitrary, Debug)]
struct Key {
    hive_type: KeyType,
    kind: Kind,
    values: Option<String>,
    range: Option<Range>,
    interval: Option<String>,
    digits: Option<String>,
    format: Option<String>,
    unit: Option<String>,
}

#[derive(Arbitrary, Debug)]
enum KeyType {
    String,
    Int,
    Bigint,
    Date,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Kind {
    Enum,
    Integer,
    Date,
    Injected,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Range {
    Integers(i64, i64),
    Text(String),
}

const NAMES: [&str; 3] = ["a", "b", "c"];

fuzz_target!(|input: Input| {
    let mut keys = Vec::new();
    let mut properties = Vec::new();
    if input.enabled {
        properties.push(("projection.enabled".to_string(), "true".to_string()));
    }
    for (key, name) in input.keys.into_iter().zip(NAMES) {
        let hive_type = match key.hive_type {
            KeyType::String => "string".into(),
            KeyType::Int => "int".into(),
            KeyType::Bigint => "bigint".into(),
            KeyType::Date => "date".into(),
            KeyType::Other(t) => t,
        };
        keys.push((name.to_string(), hive_type));
        let mut set = |suffix: &str, value: String| {
            properties.push((format!("projection.{name}.{suffix}"), value));
        };
        set(
            "type",
            match key.kind {
                Kind::Enum => "enum".into(),
                Kind::Integer => "integer".into(),
                Kind::Date => "date".into(),
                Kind::Injected => "injected".into(),
                Kind::Other(k) => k,
            },
        );
        let optional = [
            ("values", key.values),
            (
                "range",
                key.range.map(|r| match r {
                    Range::Integers(a, b) => format!("{a},{b}"),
                    Range::Text(t) => t,
                }),
            ),
            ("interval", key.interval),
            ("digits", key.digits),
            ("format", key.format),
            ("interval.unit", key.unit),
        ];
        for (suffix, value) in optional {
            if let Some(value) = value {
                set(suffix, value);
            }
        }
    }
    if let Some(template) = input.template {
        properties.push(("storage.location.template".into(), template));
    }
    let equalities: Vec<(usize, String)> = input
        .equalities
        .into_iter()
        .map(|(i, v)| (usize::from(i) % NAMES.len(), v))
        .collect();
    let _ = lathe::fuzzing::projection(&keys, &properties, &equalities);
});
