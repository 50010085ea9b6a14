//! Unit tests of `decoder`.

use super::*;
use crate::hive_type::parse_hive_type;
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::util::pretty::pretty_format_batches;

fn schema(columns: &[(&str, &str)]) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, t)| Field::new(*n, parse_hive_type(t).unwrap(), true))
            .collect::<Vec<_>>(),
    ))
}

fn decode(schema: SchemaRef, options: &JsonOptions, text: &str) -> Result<String, ArrowError> {
    let mut decoder = LineDecoder::new(schema, options, 1024, "f.json".into());
    let mut rest = text.as_bytes();
    // Feed in small pieces to exercise lines split across buffers.
    while !rest.is_empty() {
        let n = rest.len().min(7);
        let used = decoder.decode(&rest[..n])?;
        rest = &rest[used..];
    }
    decoder.decode(&[])?;
    let batch = decoder.flush()?.expect("rows");
    Ok(pretty_format_batches(&[batch])?.to_string())
}

#[test]
fn openx_rules() {
    let s = schema(&[
        ("id", "bigint"),
        ("name", "string"),
        ("device", "struct<os:string,is_mobile:boolean>"),
        ("tags", "array<string>"),
        ("attrs", "map<string,int>"),
        ("price", "decimal(6,2)"),
        ("ts", "timestamp"),
        ("day", "date"),
    ]);
    let text = concat!(
        r#"{"ID": 1, "Name": "a", "Device": {"OS": "ios", "Is_Mobile": true}, "tags": ["x","y"], "attrs": {"k": 1}, "price": 12.345, "ts": "2024-05-01T10:00:00.5Z", "day": "2024-05-01", "extra": [1]}"#,
        "\n",
        r#"{"id": "2", "name": {"nested": [1, 2]}, "device": "not-an-object", "tags": "solo", "attrs": {"k": "bad", "j": 2}, "price": "x", "ts": 1714557600, "day": 5}"#,
        "\r\n\n",
        r#"{"id": 3.5, "id": 4, "NAME": "dup-last", "name": "last"}"#,
    );
    let out = decode(s, &JsonOptions::default(), text).unwrap();
    let expected = "\
+----+------------------+----------------------------+--------+-------------+-------+-------------------------+------------+
| id | name             | device                     | tags   | attrs       | price | ts                      | day        |
+----+------------------+----------------------------+--------+-------------+-------+-------------------------+------------+
| 1  | a                | {os: ios, is_mobile: true} | [x, y] | {k: 1}      | 12.35 | 2024-05-01T10:00:00.500 | 2024-05-01 |
| 2  | {\"nested\":[1,2]} |                            | [solo] | {k: , j: 2} |       | 2024-05-01T10:00:00     |            |
| 4  | last             |                            |        |             |       |                         |            |
+----+------------------+----------------------------+--------+-------------+-------+-------------------------+------------+";
    assert_eq!(out, expected);
}

#[test]
fn malformed_lines_fail_with_file_and_line_or_become_null_rows() {
    let s = schema(&[("id", "int")]);
    let text = "{\"id\": 1}\n\n{\"id\": \n{\"id\": 3}\n";
    let err = decode(Arc::clone(&s), &JsonOptions::default(), text)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("f.json, line 3: malformed JSON: EOF while parsing"),
        "{err}"
    );
    let err = decode(Arc::clone(&s), &JsonOptions::default(), "[1]\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("f.json, line 1: expected a JSON object, found an array"),
        "{err}"
    );

    let lenient = JsonOptions {
        ignore_malformed: true,
        ..JsonOptions::default()
    };
    let out = decode(s, &lenient, text).unwrap();
    assert_eq!(
        out,
        "+----+\n| id |\n+----+\n| 1  |\n|    |\n| 3  |\n+----+"
    );
}

#[test]
fn hive_serde_is_strict() {
    let s = schema(&[("id", "int"), ("tags", "array<int>")]);
    let hive = JsonOptions {
        serde: JsonSerde::Hive,
        ..JsonOptions::default()
    };
    let out = decode(Arc::clone(&s), &hive, "{\"ID\": 1, \"tags\": [1, 2]}\n").unwrap();
    assert!(out.contains("| 1  | [1, 2] |"), "{out}");
    let err = decode(s, &hive, "{\"id\": 1}\n{\"id\": \"one\"}\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("f.json, line 2: column id: a string \"one\" does not fit the column's type"),
        "{err}"
    );
}

#[test]
fn dots_in_keys_and_timestamp_formats() {
    let s = schema(&[("a_b", "string"), ("c", "struct<d_e:int>")]);
    let text = "{\"A.b\": \"x\", \"c\": {\"d.e\": 5}}\n";
    let dots = JsonOptions {
        dots_in_keys: true,
        ..JsonOptions::default()
    };
    let out = decode(Arc::clone(&s), &dots, text).unwrap();
    assert!(out.contains("| x   | {d_e: 5} |"), "{out}");
    let out = decode(s, &JsonOptions::default(), text).unwrap();
    assert!(out.contains("|     | {d_e: } |"), "{out}");

    let s = schema(&[("ts", "timestamp")]);
    let hive = JsonOptions {
        serde: JsonSerde::Hive,
        timestamp_formats: vec!["dd/MM/yyyy HH:mm".into(), "millis".into()],
        ..JsonOptions::default()
    };
    let text = "{\"ts\": \"04/05/2024 18:30\"}\n{\"ts\": 1714557723123}\n\
                {\"ts\": \"1714557723123\"}\n{\"ts\": \"2024-05-01 10:02:03\"}\n";
    let out = decode(Arc::clone(&s), &hive, text).unwrap();
    assert_eq!(
        out.lines()
            .filter(|l| l.contains("2024-05"))
            .map(str::trim)
            .collect::<Vec<_>>(),
        [
            "| 2024-05-04T18:30:00     |",
            "| 2024-05-01T10:02:03.123 |",
            "| 2024-05-01T10:02:03.123 |",
            "| 2024-05-01T10:02:03     |"
        ]
    );
    let err = decode(s, &hive, "{\"ts\": \"May 4\"}\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not fit"), "{err}");
}

#[test]
fn mapping_and_empty_projection() {
    let s = schema(&[("event_time", "string")]);
    let options = JsonOptions {
        mappings: vec![("event_time".into(), "ts".into())],
        ..JsonOptions::default()
    };
    let out = decode(s, &options, "{\"TS\": \"a\", \"event_time\": \"b\"}").unwrap();
    assert!(out.contains("| a          |"), "{out}");

    let mut decoder = LineDecoder::new(
        Arc::new(Schema::empty()),
        &JsonOptions::default(),
        2,
        "f".into(),
    );
    assert_eq!(decoder.decode(b"{}\n{}\n{}\n").unwrap(), 6);
    assert!(decoder.can_flush_early());
    assert_eq!(decoder.flush().unwrap().unwrap().num_rows(), 2);
    assert_eq!(decoder.decode(b"{}\n").unwrap(), 3);
    assert_eq!(decoder.flush().unwrap().unwrap().num_rows(), 1);
}

/// A nested value read into a string column is its JSON text; the OpenX
/// SerDe, matching keys case-insensitively, lower-cases its keys (AWS's
/// GuardDuty queries rely on it), the Hive and CloudTrail SerDes and OpenX
/// with `case.insensitive` false keep them as written.
#[test]
fn nested_json_text_keys() {
    let s = schema(&[("service", "string")]);
    let text =
        r#"{"service": {"Action": {"actionType": "DNS_REQUEST", "Tags": ["A"]}, "count": 5}}"#;
    let rows = |options: &JsonOptions| decode(s.clone(), options, text).unwrap();
    let lower = rows(&JsonOptions::default());
    assert!(
        lower.contains(r#"{"action":{"actiontype":"DNS_REQUEST","tags":["A"]},"count":5}"#),
        "{lower}"
    );
    for options in [
        JsonOptions {
            serde: JsonSerde::Hive,
            ..JsonOptions::default()
        },
        JsonOptions {
            serde: JsonSerde::CloudTrail,
            ..JsonOptions::default()
        },
        JsonOptions {
            case_insensitive: false,
            ..JsonOptions::default()
        },
    ] {
        let kept = rows(&options);
        assert!(
            kept.contains(r#"{"Action":{"actionType":"DNS_REQUEST","Tags":["A"]},"count":5}"#),
            "{kept}"
        );
    }
}
