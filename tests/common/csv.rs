//! Text-table fixtures (LazySimpleSerDe, OpenCSVSerde, RegexSerDe), made by
//! code: headers, custom delimiters and null formats, escapes, quotes, gzip,
//! values that do not convert, collections and partitions.

use std::path::Path;

use serde_json::{Value, json};

use super::{gzip, table, with_parameters, write, write_json};

pub const LAZY_SIMPLE: &str = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
pub const OPEN_CSV: &str = "org.apache.hadoop.hive.serde2.OpenCSVSerde";
pub const REGEX: &str = "org.apache.hadoop.hive.serde2.RegexSerDe";

/// The people CSV: a header, `\N`, values that do not parse, short and long lines.
pub const PEOPLE_CSV: &str = "\
id,name,score,born,seen,active
1,Ada,9.5,1815-12-10,2024-05-01 10:00:00,true
2,\\N,not a number,1912-06-23,2024-05-01 11:30:00.250,false
3,Grace,7,1906-12-09
4,,8.25,1906-13-45,yesterday,TRUE,extra,fields
";

fn text_table(
    name: &str,
    columns: &[(&str, &str)],
    serde: &str,
    serde_params: Value,
    keys: &[(&str, &str)],
    table_params: &[(&str, &str)],
) -> Value {
    let mut t = table(
        name,
        columns,
        &format!("../data/{name}/"),
        serde,
        serde_params,
        keys,
    );
    t["Table"]["StorageDescriptor"]["InputFormat"] =
        json!("org.apache.hadoop.mapred.TextInputFormat");
    with_parameters(t, table_params)
}

pub(super) fn build(fx: &Path, data: &Path) {
    // fx.people: comma-delimited LazySimpleSerDe with a header, in two files
    // (one gzipped, with its own header).
    let people_columns = [
        ("id", "int"),
        ("name", "string"),
        ("score", "double"),
        ("born", "date"),
        ("seen", "timestamp"),
        ("active", "boolean"),
    ];
    write_json(
        &fx.join("people.json"),
        &text_table(
            "people",
            &people_columns,
            LAZY_SIMPLE,
            json!({"field.delim": ",", "serialization.format": ","}),
            &[],
            &[("skip.header.line.count", "1"), ("classification", "csv")],
        ),
    );
    write(&data.join("people/a.csv"), PEOPLE_CSV.as_bytes());
    write(
        &data.join("people/b.csv.gz"),
        &gzip(
            "id,name,score,born,seen,active\r\n5,Linus,6.5,1969-12-28,2024-05-02 00:00:00,true\r\n",
        ),
    );
    // fx.people_raw: the same files without skipping the header.
    write_json(
        &fx.join("people_raw.json"),
        &text_table(
            "people_raw",
            &people_columns,
            LAZY_SIMPLE,
            json!({"field.delim": ","}),
            &[],
            &[],
        ),
    );
    fix_location(&fx.join("people_raw.json"), "../data/people/");

    // fx.tsv_items: tab-delimited, a custom null format, escapes, collections
    // with custom delimiters, Hive-style partitions discovered from folders.
    write_json(
        &fx.join("tsv_items.json"),
        &text_table(
            "tsv_items",
            &[
                ("sku", "string"),
                ("note", "string"),
                ("qty", "bigint"),
                ("tags", "array<string>"),
                ("dims", "map<string,int>"),
                ("maker", "struct<name:string,country:string>"),
            ],
            LAZY_SIMPLE,
            json!({
                "field.delim": "\t", "collection.delim": "|", "mapkey.delim": ":",
                "escape.delim": "\\", "serialization.null.format": "NA"
            }),
            &[("region", "string")],
            &[],
        ),
    );
    write(
        &data.join("tsv_items/region=eu/part-0.tsv"),
        concat!(
            "A-1\ttab\\\there\t3\tred|blue\tw:10|h:20\tAcme|DE\n",
            "A-2\tNA\tNA\t\tw:5|h:oops\tNA\n",
            "A-3\tpipe\\|kept\t-4\tone\t\tSolo\n",
        )
        .as_bytes(),
    );
    write(
        &data.join("tsv_items/region=us/part-0.tsv.gz"),
        &gzip("B-1\tgzipped\t12\tx|y|z\td:1\tInitech|US\n"),
    );

    // fx.hive_default: no SerDe properties at all: `\001` fields, `\002` items, `\N` NULL.
    write_json(
        &fx.join("hive_default.json"),
        &text_table(
            "hive_default",
            &[("k", "string"), ("v", "int"), ("xs", "array<int>")],
            LAZY_SIMPLE,
            json!({}),
            &[],
            &[],
        ),
    );
    write(
        &data.join("hive_default/000000_0"),
        b"one\x011\x011\x022\x023\ntwo\x01\\N\x01\\N\ncomma,kept\x0133\x01\n",
    );

    // fx.quoted: OpenCSVSerde with a header; quotes around delimiters,
    // doubled quotes, escapes, an embedded line break (Athena ends the record
    // there), DATE as days and TIMESTAMP as epoch milliseconds.
    let quoted_columns = [
        ("id", "bigint"),
        ("title", "string"),
        ("price", "decimal(8,2)"),
        ("released", "date"),
        ("updated", "timestamp"),
    ];
    write_json(
        &fx.join("quoted.json"),
        &text_table(
            "quoted",
            &quoted_columns,
            OPEN_CSV,
            json!({"separatorChar": ",", "quoteChar": "\"", "escapeChar": "\\"}),
            &[],
            &[("skip.header.line.count", "1")],
        ),
    );
    write(
        &data.join("quoted/part-0.csv"),
        concat!(
            "\"id\",\"title\",\"price\",\"released\",\"updated\"\n",
            "\"1\",\"Dune, Part Two\",\"12.50\",\"19782\",\"1714557723123\"\n",
            "2,\"The \"\"Quoted\"\" One\",\"7\",0,0\n",
            "3,\"Back\\\\slash \\\"esc\\\"\",0.5,-1,-1000\n",
            "4,\"Two\n",
            "lines\",5,1,1\n",
        )
        .as_bytes(),
    );
    // fx.quoted_bad: a value that is not a bigint fails the query (Athena's
    // HIVE_BAD_DATA); fx.quoted_lenient reads it as NULL.
    for (name, params) in [
        ("quoted_bad", vec![]),
        (
            "quoted_lenient",
            vec![("use.null.for.invalid.data", "true")],
        ),
    ] {
        write_json(
            &fx.join(format!("{name}.json")),
            &text_table(
                name,
                &[("id", "bigint"), ("label", "string")],
                OPEN_CSV,
                json!({}),
                &[],
                &params,
            ),
        );
        fix_location(&fx.join(format!("{name}.json")), "../data/quoted_bad/");
    }
    write(
        &data.join("quoted_bad/part-0.csv"),
        b"1,one\n2,two\nthree,3\n",
    );

    // fx.generated: 500 plain rows, read by lathe and by DuckDB in tests/cli.rs.
    write_json(
        &fx.join("generated.json"),
        &text_table(
            "generated",
            &[
                ("id", "bigint"),
                ("name", "string"),
                ("score", "double"),
                ("day", "date"),
                ("flag", "boolean"),
            ],
            LAZY_SIMPLE,
            json!({"field.delim": "|"}),
            &[],
            &[],
        ),
    );
    write(
        &data.join("generated/part-0.txt"),
        generated_rows().as_bytes(),
    );

    // fx.weblog: RegexSerDe over access-log lines.
    write_json(
        &fx.join("weblog.json"),
        &text_table(
            "weblog",
            &[
                ("host", "string"),
                ("status", "int"),
                ("bytes", "bigint"),
                ("path", "string"),
            ],
            REGEX,
            json!({"input.regex": r#"(\S+) (\d{3}) (\S+) "([^"]*)""#}),
            &[],
            &[],
        ),
    );
    write(
        &data.join("weblog/access.log"),
        concat!(
            "10.0.0.1 200 5120 \"/index.html\"\n",
            "10.0.0.2 404 - \"/missing\"\n",
            "garbage line\n",
        )
        .as_bytes(),
    );
}

/// Rows of `fx.generated`: `|`-delimited LazySimpleSerDe text with `\N`
/// NULLs, deterministic, for comparison with DuckDB's reader.
pub fn generated_rows() -> String {
    (0..500)
        .map(|i: i64| {
            let name = if i % 7 == 0 {
                "\\N".to_string()
            } else {
                format!("name {i}, a value")
            };
            let score = if i % 5 == 0 {
                "\\N".to_string()
            } else {
                format!("{}", (i * 37 % 1000) as f64 / 8.0)
            };
            let day = 19000 + i % 400;
            let date = chrono::NaiveDate::from_num_days_from_ce_opt(719_163 + day as i32)
                .unwrap()
                .format("%Y-%m-%d");
            format!("{i}|{name}|{score}|{date}|{}\n", i % 3 == 0)
        })
        .collect()
}

/// Points a table file at another table's data.
fn fix_location(path: &Path, location: &str) {
    let mut value: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    value["Table"]["StorageDescriptor"]["Location"] = json!(location);
    write_json(path, &value);
}
