//! Unit tests of `text`: options, splitting and decoding, without disk.

use std::collections::HashMap;

use datafusion::arrow::array::RecordBatch;
use datafusion_datasource::decoder::Decoder;

use super::split::{CsvChars, parse_csv, split_delimited};
use super::*;
use crate::catalog::{Column, StorageFormat};
use crate::hive_type::parse_hive_type;
use crate::render::batch_text;

fn table(
    serde: TextSerde,
    columns: &[(&str, &str)],
    serde_params: &[(&str, &str)],
    table_params: &[(&str, &str)],
) -> TableDef {
    let map = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    TableDef {
        database: "fx".into(),
        name: "t".into(),
        columns: columns
            .iter()
            .map(|(n, t)| Column {
                name: n.to_string(),
                type_string: t.to_string(),
                data_type: parse_hive_type(t).unwrap(),
                comment: None,
            })
            .collect(),
        partition_keys: Vec::new(),
        location: "data/".into(),
        format: StorageFormat::Text(serde),
        parameters: map(table_params),
        serde_parameters: map(serde_params),
        comment: None,
        storage: Default::default(),
        view: None,
    }
}

/// Decodes `text`, fed in 5-byte pieces so that lines cross buffers, into
/// rows of rendered values ("NULL" for NULL).
fn decode(table: &TableDef, serde: TextSerde, text: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let options = TextOptions::for_table(table, serde).map_err(|e| e.to_string())?;
    let schema = table.file_schema();
    let ordinals: Vec<usize> = (0..schema.fields().len()).collect();
    let mut decoder = TextLineDecoder::new(&schema, &ordinals, &options, 3, "/f.csv".into())
        .map_err(|e| e.to_string())?;
    let mut batches: Vec<RecordBatch> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let n = rest.len().min(5);
        let used = decoder.decode(&rest[..n]).map_err(|e| e.to_string())?;
        rest = &rest[used..];
        if decoder.can_flush_early() {
            batches.extend(decoder.flush().map_err(|e| e.to_string())?);
        }
    }
    decoder.decode(&[]).map_err(|e| e.to_string())?;
    batches.extend(decoder.flush().map_err(|e| e.to_string())?);
    let mut rows = Vec::new();
    for batch in &batches {
        for row in batch_text(batch).map_err(|e| e.to_string())? {
            rows.push(
                row.into_iter()
                    .map(|v| v.unwrap_or_else(|| "NULL".into()))
                    .collect(),
            );
        }
    }
    Ok(rows)
}

fn rows(expected: &[&[&str]]) -> Vec<Vec<String>> {
    expected
        .iter()
        .map(|r| r.iter().map(|v| v.to_string()).collect())
        .collect()
}

#[test]
fn delimited_split_honours_escape_limit_and_rest() {
    let mut out = Vec::new();
    split_delimited(b"a,b,,c", b',', None, 10, false, &mut out);
    assert_eq!(out, [(0, 1), (2, 3), (4, 4), (5, 6)]);
    split_delimited(b"a,b,c", b',', None, 2, false, &mut out);
    assert_eq!(out, [(0, 1), (2, 3)]);
    split_delimited(b"a,b,c", b',', None, 2, true, &mut out);
    assert_eq!(out, [(0, 1), (2, 5)]);
    split_delimited(br"a\,b,c", b',', Some(b'\\'), 10, false, &mut out);
    assert_eq!(out, [(0, 4), (5, 6)]);
    split_delimited(b"", b',', None, 10, false, &mut out);
    assert_eq!(out, [(0, 0)]);
}

fn csv(line: &str, columns: usize) -> Vec<Option<String>> {
    let chars = CsvChars {
        separator: b',',
        quote: b'"',
        escape: b'\\',
    };
    let (mut buf, mut fields) = (Vec::new(), Vec::new());
    parse_csv(line.as_bytes(), chars, columns, &mut buf, &mut fields);
    fields
        .iter()
        .map(|f| f.map(|(s, e)| String::from_utf8(buf[s..e].to_vec()).unwrap()))
        .collect()
}

#[test]
fn opencsv_quoting_like_opencsv() {
    let some = |v: &[&str]| v.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>();
    assert_eq!(csv(r#"a,"b,c",d"#, 3), some(&["a", "b,c", "d"]));
    assert_eq!(csv(r#""say ""hi""",x"#, 2), some(&[r#"say "hi""#, "x"]));
    assert_eq!(csv(r#""a\"b",\\c"#, 2), some(&[r#"a"b"#, "c"]));
    // An escape is literal only inside a field, before a quote or an escape.
    assert_eq!(csv(r#"x\\y,z"#, 2), some(&[r"x\y", "z"]));
    assert_eq!(csv(r#"1,,"""#, 3), some(&["1", "", ""]));
    // A quote in the middle of a field is text.
    assert_eq!(csv(r#"ab,cd"e"f,g"#, 3), some(&["ab", r#"cd"e"f"#, "g"]));
    // Fewer fields: the rest are missing; more: dropped.
    assert_eq!(csv("a", 2), vec![Some("a".into()), None]);
    assert_eq!(csv("a,b,c", 2), some(&["a", "b"]));
    // An open quote at the end of the line drops that field.
    assert_eq!(csv(r#"a,"b"#, 2), vec![Some("a".into()), None]);
    assert_eq!(csv("", 2), vec![None, None]);
}

#[test]
fn lazy_simple_rules() {
    let t = table(
        TextSerde::LazySimple,
        &[
            ("id", "int"),
            ("name", "string"),
            ("price", "decimal(6,2)"),
            ("ok", "boolean"),
            ("ts", "timestamp"),
            ("d", "date"),
        ],
        &[("field.delim", ",")],
        &[("skip.header.line.count", "1")],
    );
    let text = "id,name,price,ok,ts,d\r\n\
                1,alpha,1.505,TRUE,2024-05-01 10:02:03.5,2024-05-01\n\
                2.9,\\N,x,no,1714557723,2024-02-30\n\
                ,,,,,\n\
                4,extra,1,false,2024-05-01T10:00:00Z,2024-01-01,more,fields\n\
                5\n\
                \n\
                -7,last";
    assert_eq!(
        decode(&t, TextSerde::LazySimple, text.as_bytes()).unwrap(),
        rows(&[
            &[
                "1",
                "alpha",
                "1.51",
                "true",
                "2024-05-01 10:02:03.500",
                "2024-05-01"
            ],
            &["2", "NULL", "NULL", "NULL", "NULL", "NULL"],
            &["NULL", "", "NULL", "NULL", "NULL", "NULL"],
            &[
                "4",
                "extra",
                "1.00",
                "false",
                "2024-05-01 10:00:00.000",
                "2024-01-01"
            ],
            &["5", "NULL", "NULL", "NULL", "NULL", "NULL"],
            &["NULL", "NULL", "NULL", "NULL", "NULL", "NULL"],
            &["-7", "last", "NULL", "NULL", "NULL", "NULL"],
        ])
    );
}

#[test]
fn lazy_simple_defaults_escapes_and_collections() {
    let t = table(
        TextSerde::LazySimple,
        &[
            ("name", "string"),
            ("tags", "array<string>"),
            ("scores", "map<string,int>"),
            ("who", "struct<id:int,nick:string>"),
            ("grid", "array<array<int>>"),
        ],
        &[("escape.delim", "\\"), ("serialization.null.format", "")],
        &[],
    );
    let text = "a\\\x01b\x01x\x02y\x01k\x031\x02j\x03oops\x02k\x039\x01\
                7\x02seven\x02ignored\x011\x032\x023\n\
                \x01\x01\x01\x01\n";
    assert_eq!(
        decode(&t, TextSerde::LazySimple, text.as_bytes()).unwrap(),
        rows(&[
            &[
                "a\x01b",
                "[x, y]",
                "{k=1, j=null}",
                "{id=7, nick=seven}",
                "[[1, 2], [3]]"
            ],
            &["NULL", "NULL", "NULL", "NULL", "NULL"],
        ])
    );
}

#[test]
fn opencsv_converts_as_athena_does() {
    let t = table(
        TextSerde::OpenCsv,
        &[
            ("id", "bigint"),
            ("name", "string"),
            ("d", "date"),
            ("ts", "timestamp"),
            ("ok", "boolean"),
            ("x", "double"),
        ],
        &[("separatorChar", ";"), ("quoteChar", "'")],
        &[],
    );
    let text = "1;'a;b';18276;1579059880000;true;1.5\n2;;0;0;FALSE;-2e3\n3";
    assert_eq!(
        decode(&t, TextSerde::OpenCsv, text.as_bytes()).unwrap(),
        rows(&[
            &[
                "1",
                "a;b",
                "2020-01-15",
                "2020-01-15 03:44:40.000",
                "true",
                "1.5"
            ],
            &[
                "2",
                "",
                "1970-01-01",
                "1970-01-01 00:00:00.000",
                "false",
                "-2000.0"
            ],
            &["3", "NULL", "NULL", "NULL", "NULL", "NULL"],
        ])
    );
    let bad = decode(&t, TextSerde::OpenCsv, b"1;a;b\n2;x;2020-01-15\n").unwrap_err();
    assert_eq!(
        bad,
        "External error: /f.csv, line 1: HIVE_BAD_DATA: value \"b\" of column d is not a valid date (days since 1970-01-01); the table property use.null.for.invalid.data=true reads such values as NULL"
    );
    let lenient = table(
        TextSerde::OpenCsv,
        &[("id", "bigint"), ("d", "date")],
        &[],
        &[("use.null.for.invalid.data", "TRUE")],
    );
    assert_eq!(
        decode(&lenient, TextSerde::OpenCsv, b"x,2020-01-15\n").unwrap(),
        rows(&[&["NULL", "NULL"]])
    );
}

#[test]
fn regex_serde_matches_whole_lines() {
    let t = table(
        TextSerde::Regex,
        &[("host", "string"), ("status", "int"), ("bytes", "bigint")],
        &[("input.regex", r"(\S+) (\d+) (\S+)")],
        &[],
    );
    let text = "a.example 200 512\nb.example 404 -\nnot a log line at all\n";
    assert_eq!(
        decode(&t, TextSerde::Regex, text.as_bytes()).unwrap(),
        rows(&[
            &["a.example", "200", "512"],
            &["b.example", "404", "NULL"],
            &["NULL", "NULL", "NULL"],
        ])
    );
}

#[test]
fn bad_properties_name_the_property() {
    let err = |serde, serde_params: &[(&str, &str)], table_params: &[(&str, &str)]| {
        let t = table(serde, &[("a", "string")], serde_params, table_params);
        TextOptions::for_table(&t, serde).unwrap_err().to_string()
    };
    assert_eq!(
        err(
            TextSerde::LazySimple,
            &[],
            &[("skip.header.line.count", "one")]
        ),
        "table fx.t: table property skip.header.line.count is \"one\"; expected a whole number of lines"
    );
    assert_eq!(
        err(TextSerde::OpenCsv, &[("separatorChar", "||")], &[]),
        "table fx.t: SerDe property separatorChar is \"||\"; expected one ASCII character"
    );
    assert_eq!(
        err(TextSerde::Regex, &[], &[]),
        "table fx.t: SerDe property input.regex is \"\"; RegexSerDe needs a regular expression"
    );
    assert!(
        err(TextSerde::Regex, &[("input.regex", "(a")], &[]).starts_with(
            "table fx.t: SerDe property input.regex is \"(a\"; not a valid regular expression"
        ),
    );
    let nested = table(TextSerde::OpenCsv, &[("tags", "array<string>")], &[], &[]);
    assert_eq!(
        TextOptions::for_table(&nested, TextSerde::OpenCsv)
            .unwrap_err()
            .to_string(),
        "table fx.t: column tags is array<string>, but OpenCSVSerde reads scalar columns only"
    );
    // Hive reads a numeric delimiter as the byte's value: "9" is a tab.
    let tab = table(
        TextSerde::LazySimple,
        &[("a", "string")],
        &[("field.delim", "9")],
        &[],
    );
    let options = TextOptions::for_table(&tab, TextSerde::LazySimple).unwrap();
    assert!(matches!(
        options.fields,
        FieldFormat::Delimited { field: b'\t', .. }
    ));
}

#[test]
fn only_projected_columns_are_read() {
    // Column b would fail the query (OpenCSV, not a bigint), but is not read.
    let t = table(
        TextSerde::OpenCsv,
        &[("a", "string"), ("b", "bigint"), ("c", "int")],
        &[],
        &[],
    );
    let options = TextOptions::for_table(&t, TextSerde::OpenCsv).unwrap();
    let schema = t.file_schema();
    let mut decoder =
        TextLineDecoder::new(&schema, &[2, 0], &options, 10, "/f.csv".into()).unwrap();
    decoder.decode(b"x,not a number,3\ny,,4\n").unwrap();
    decoder.decode(&[]).unwrap();
    let batch = decoder.flush().unwrap().unwrap();
    assert_eq!(batch.schema().field(0).name(), "c");
    assert_eq!(
        batch_text(&batch).unwrap(),
        vec![
            vec![Some("3".to_string()), Some("x".to_string())],
            vec![Some("4".to_string()), Some("y".to_string())],
        ]
    );
}
