//! Unit tests of the DDL parser.

use super::statement::formats;
use super::*;

fn ok(sql: &str) -> Statement {
    match parse(sql) {
        Some(Ok(s)) => s,
        other => panic!("{sql}: {other:?}"),
    }
}

fn err(sql: &str) -> String {
    match parse(sql) {
        Some(Err(e)) => e.to_string(),
        other => panic!("{sql}: expected an error, got {other:?}"),
    }
}

fn name(db: Option<&str>, t: &str) -> TableName {
    TableName {
        database: db.map(str::to_string),
        table: t.into(),
    }
}

#[test]
fn not_ours_is_left_to_datafusion() {
    for sql in [
        "SELECT 1",
        "show databases",
        "CREATE TABLE t WITH (format='PARQUET') AS SELECT 1",
        "CREATE TABLE t AS SELECT * FROM x",
        "CREATE MATERIALIZED VIEW v AS SELECT 1",
        "INSERT INTO t SELECT 1",
        "EXPLAIN SELECT 1",
        "",
        "'unterminated",
    ] {
        assert!(parse(sql).is_none(), "{sql}");
    }
}

#[test]
fn create_external_table_with_every_clause() {
    let sql = "-- a table\nCREATE EXTERNAL TABLE IF NOT EXISTS `Web`.Events (
        id BIGINT COMMENT 'the id',
        `Payload` STRUCT< a : INT, `B c` : ARRAY<string> >,
        amount decimal(8, 2)
      ) COMMENT 'events'
      PARTITIONED BY (dt string, hour int)
      ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
      WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true', 'mapping.id'='ID')
      STORED AS TEXTFILE
      LOCATION 's3://b/events/'
      TBLPROPERTIES ('classification'='json', 'it''s'='a\\tb');";
    let Statement::CreateTable(t) = ok(sql) else {
        panic!("not a CREATE TABLE")
    };
    assert_eq!(t.table, Some(name(Some("web"), "events")));
    assert!(t.if_not_exists);
    let columns: Vec<_> = t
        .columns
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.type_string.as_str(),
                c.comment.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            ("id", "bigint", Some("the id")),
            ("payload", "struct<a:int,`B c`:array<string>>", None),
            ("amount", "decimal(8,2)", None),
        ]
    );
    assert_eq!(t.comment.as_deref(), Some("events"));
    assert_eq!(t.partition_keys[1].type_string, "int");
    assert_eq!(
        t.serde.as_deref(),
        Some("org.openx.data.jsonserde.JsonSerDe")
    );
    assert_eq!(
        t.serde_properties,
        [
            ("ignore.malformed.json".to_string(), "true".to_string()),
            ("mapping.id".to_string(), "ID".to_string())
        ]
    );
    assert_eq!(t.input_format.as_deref(), Some(formats::TEXT_INPUT));
    assert_eq!(t.location.as_deref(), Some("s3://b/events/"));
    assert_eq!(
        t.properties,
        [
            ("classification".to_string(), "json".to_string()),
            ("it's".to_string(), "a\tb".to_string())
        ]
    );
}

#[test]
fn row_format_delimited_and_stored_as() {
    let Statement::CreateTable(t) = ok("CREATE EXTERNAL TABLE t (a string)
        ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\001' ESCAPED BY '\\\\'
        COLLECTION ITEMS TERMINATED BY '|' MAP KEYS TERMINATED BY ':' LINES TERMINATED BY '\\n'
        LOCATION '/data/t/'")
    else {
        panic!()
    };
    assert_eq!(t.serde.as_deref(), Some(formats::LAZY_SIMPLE));
    let props: Vec<_> = t
        .serde_properties
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        props,
        [
            ("serialization.format", "\u{1}"),
            ("field.delim", "\u{1}"),
            ("escape.delim", "\\"),
            ("collection.delim", "|"),
            ("mapkey.delim", ":"),
            ("line.delim", "\n"),
        ]
    );
    let Statement::CreateTable(t) =
        ok("create external table t (a int) stored as parquet location 's3://b/t/'")
    else {
        panic!()
    };
    assert_eq!(t.serde.as_deref(), Some(formats::PARQUET_SERDE));
    assert_eq!(t.output_format.as_deref(), Some(formats::PARQUET_OUTPUT));
    let Statement::CreateTable(t) = ok(
        "CREATE EXTERNAL TABLE t (a int) STORED AS INPUTFORMAT 'in.Format' OUTPUTFORMAT 'out.Format' LOCATION 'x'",
    ) else {
        panic!()
    };
    assert_eq!(t.input_format.as_deref(), Some("in.Format"));
    assert_eq!(t.serde, None);
}

#[test]
fn errors_point_at_the_token() {
    assert_eq!(
        err("CREATE EXTERNAL TABLE t (a strin) LOCATION 'x'"),
        "SQL syntax error at line 1, column 28: column a has type `strin`, which is not a Hive type (unknown type \"strin\" at position 1)"
    );
    assert_eq!(
        err("CREATE EXTERNAL TABLE t (a int,\n  b) LOCATION 'x'"),
        "SQL syntax error at line 2, column 4: expected a type for column b, found `)`"
    );
    assert_eq!(
        err("CREATE EXTERNAL TABEL t (a int)"),
        "SQL syntax error at line 1, column 17: expected TABLE, found `TABEL`"
    );
    assert_eq!(
        err("DROP TABLE"),
        "SQL syntax error at line 1, column 11: expected a table name, found the end of the statement"
    );
    assert_eq!(
        err("CREATE EXTERNAL TABLE t (a int) STORED AS CSV LOCATION 'x'"),
        "SQL syntax error at line 1, column 43: unknown storage format CSV; expected PARQUET, TEXTFILE, JSON, ORC, AVRO or INPUTFORMAT"
    );
    assert_eq!(
        err("CREATE EXTERNAL TABLE t (a int) LOCATION 'x' LOCATION 'y'"),
        "SQL syntax error at line 1, column 46: LOCATION is given twice"
    );
    assert_eq!(
        err("CREATE TABLE t (a int) LOCATION 'x'"),
        "SQL syntax error at line 1, column 8: Athena creates Hive tables only as CREATE EXTERNAL TABLE \
         (or Iceberg tables with TBLPROPERTIES ('table_type' = 'ICEBERG'))"
    );
    assert_eq!(
        err("SHOW TABLES IN web 'a' extra"),
        "SQL syntax error at line 1, column 24: expected the end of the statement, found `extra`"
    );
    assert_eq!(
        err("CREATE EXTERNAL TABLE t (a int) LOCATION 'x"),
        "SQL syntax error at line 1, column 42: unterminated string literal (missing closing ')"
    );
    assert_eq!(
        err("ALTER TABLE t RENAME TO u"),
        "SQL syntax error at line 1, column 15: expected ADD PARTITION, DROP PARTITION or SET TBLPROPERTIES (the ALTER TABLE forms lathe supports), found `RENAME`"
    );
}

#[test]
fn databases_tables_and_partitions() {
    assert_eq!(
        ok(
            "CREATE SCHEMA IF NOT EXISTS Sales COMMENT 'c' LOCATION 's3://b/' WITH DBPROPERTIES ('k'='v')"
        ),
        Statement::CreateDatabase {
            name: "sales".into(),
            if_not_exists: true,
            comment: Some("c".into()),
            location: Some("s3://b/".into()),
            properties: vec![("k".into(), "v".into())],
        }
    );
    assert_eq!(
        ok("DROP DATABASE IF EXISTS sales CASCADE"),
        Statement::DropDatabase {
            name: "sales".into(),
            if_exists: true,
            cascade: true
        }
    );
    assert_eq!(
        ok("drop table if exists \"Web\".\"T\";"),
        Statement::DropTable {
            table: name(Some("web"), "t"),
            if_exists: true
        }
    );
    assert_eq!(
        ok("MSCK REPAIR TABLE orders"),
        Statement::MsckRepair {
            table: name(None, "orders")
        }
    );
    assert_eq!(
        ok(
            "ALTER TABLE t ADD IF NOT EXISTS PARTITION (dt='2024-01-01', h=5) LOCATION 's3://b/x/' PARTITION (dt='2024-01-02', h=-1)"
        ),
        Statement::AddPartitions {
            table: name(None, "t"),
            if_not_exists: true,
            partitions: vec![
                PartitionSpec {
                    values: vec![("dt".into(), "2024-01-01".into()), ("h".into(), "5".into())],
                    location: Some("s3://b/x/".into()),
                },
                PartitionSpec {
                    values: vec![
                        ("dt".into(), "2024-01-02".into()),
                        ("h".into(), "-1".into())
                    ],
                    location: None,
                },
            ],
        }
    );
    assert_eq!(
        ok("ALTER TABLE db.t DROP IF EXISTS PARTITION (dt='a'), PARTITION (dt='b')"),
        Statement::DropPartitions {
            table: name(Some("db"), "t"),
            if_exists: true,
            partitions: vec![
                vec![("dt".into(), "a".into())],
                vec![("dt".into(), "b".into())]
            ],
        }
    );
}

#[test]
fn show_describe_and_prepared_statements() {
    assert_eq!(
        ok("SHOW TABLES IN web 'click*|ord*'"),
        Statement::ShowTables {
            database: Some("web".into()),
            pattern: Some("click*|ord*".into())
        }
    );
    assert_eq!(
        ok("show tables"),
        Statement::ShowTables {
            database: None,
            pattern: None
        }
    );
    assert_eq!(
        ok("SHOW COLUMNS FROM t IN web"),
        Statement::ShowColumns {
            table: name(Some("web"), "t")
        }
    );
    assert_eq!(
        ok("SHOW TBLPROPERTIES t ('classification')"),
        Statement::ShowTblProperties {
            table: name(None, "t"),
            key: Some("classification".into())
        }
    );
    assert_eq!(
        ok("DESCRIBE FORMATTED web.t"),
        Statement::Describe {
            table: name(Some("web"), "t"),
            formatted: true,
            column: None
        }
    );
    assert_eq!(
        ok("PREPARE q FROM SELECT * FROM t WHERE a = ? AND b = 'x;';"),
        Statement::Prepare {
            name: "q".into(),
            statement: "SELECT * FROM t WHERE a = ? AND b = 'x;'".into()
        }
    );
    assert_eq!(
        ok("EXECUTE q USING 1, 'a,b', DATE '2024-01-01', f(1, 2)"),
        Statement::Execute {
            name: "q".into(),
            parameters: vec![
                "1".into(),
                "'a,b'".into(),
                "DATE '2024-01-01'".into(),
                "f(1, 2)".into()
            ]
        }
    );
    assert_eq!(
        ok("DEALLOCATE PREPARE q"),
        Statement::Deallocate { name: "q".into() }
    );
}

#[test]
fn literals_round_trip_through_quote_string() {
    for value in [
        "plain",
        "it's",
        "back\\slash",
        "tab\there",
        "\u{1}",
        "line\nnext",
        "é ü",
    ] {
        let sql = format!("SHOW TBLPROPERTIES t ({})", quote_string(value));
        assert_eq!(
            ok(&sql),
            Statement::ShowTblProperties {
                table: name(None, "t"),
                key: Some(value.into())
            },
            "{sql}"
        );
    }
}

#[test]
fn no_input_panics() {
    // Every prefix of real statements, and some junk.
    let statements = [
        "CREATE EXTERNAL TABLE IF NOT EXISTS `a`.b (c map<string,array<struct<`x`:int>>> COMMENT 'é') PARTITIONED BY (d int) ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\001' STORED AS TEXTFILE LOCATION 's3://x/' TBLPROPERTIES ('a'='\\u00e9')",
        "ALTER TABLE t ADD PARTITION (a='1') LOCATION 'x' PARTITION (a=2)",
        "EXECUTE q USING (1, [2), 'x'",
        "SHOW TBLPROPERTIES t ('k')",
        "DESCRIBE FORMATTED \"a\"\"b\".c",
    ];
    for statement in statements {
        for (i, _) in statement.char_indices() {
            let _ = parse(&statement[..i]);
        }
    }
    for junk in [
        "CREATE EXTERNAL TABLE t (a array<",
        "SHOW TABLES '\\u12",
        "DESC `",
        "CREATE DATABASE /*",
        "DROP TABLE \u{0}",
    ] {
        let _ = parse(junk);
    }
}

#[test]
fn create_view_keeps_the_query_as_written() {
    let sql = "CREATE OR REPLACE VIEW Web.Buyers (uid COMMENT 'the user', n)
      COMMENT 'who bought' SECURITY INVOKER AS
      SELECT user_id, count(*) FROM web.clickstream -- purchases
      WHERE event_type = 'purchase' GROUP BY 1;";
    let Statement::CreateView(v) = ok(sql) else {
        panic!("not a CREATE VIEW")
    };
    assert_eq!(v.view, name(Some("web"), "buyers"));
    assert!(v.or_replace);
    assert_eq!(
        v.columns,
        [
            ("uid".to_string(), Some("the user".to_string())),
            ("n".to_string(), None)
        ]
    );
    assert_eq!(v.comment.as_deref(), Some("who bought"));
    assert!(v.run_as_invoker);
    assert_eq!(
        v.query,
        "SELECT user_id, count(*) FROM web.clickstream -- purchases\n      WHERE event_type = 'purchase' GROUP BY 1"
    );
    let Statement::CreateView(v) = ok("create view v as with t as (select 1 x) select x from t")
    else {
        panic!("not a CREATE VIEW")
    };
    assert_eq!(v.view, name(None, "v"));
    assert!(!v.or_replace && !v.run_as_invoker && v.columns.is_empty());
    assert_eq!(v.query, "with t as (select 1 x) select x from t");
}

#[test]
fn view_statements_parse() {
    assert_eq!(
        ok("DROP VIEW IF EXISTS fx.v"),
        Statement::DropView {
            view: name(Some("fx"), "v"),
            if_exists: true
        }
    );
    assert_eq!(
        ok("SHOW VIEWS IN fx LIKE 'order*|x'"),
        Statement::ShowViews {
            database: Some("fx".into()),
            pattern: Some("order*|x".into())
        }
    );
    assert_eq!(
        ok("SHOW VIEWS"),
        Statement::ShowViews {
            database: None,
            pattern: None
        }
    );
    assert_eq!(
        ok("SHOW CREATE VIEW fx.v"),
        Statement::ShowCreateView {
            view: name(Some("fx"), "v")
        }
    );
}

/// Every string position of Hive's DDL, written in double quotes as AWS's
/// documented DDLs write them.
#[test]
fn double_quoted_strings_in_every_position() {
    let Statement::CreateTable(t) = ok(r#"CREATE EXTERNAL TABLE t (a string COMMENT "col's")
        COMMENT "table"
        PARTITIONED BY (dt string COMMENT "day")
        ROW FORMAT DELIMITED FIELDS TERMINATED BY "\t" ESCAPED BY "\\"
        COLLECTION ITEMS TERMINATED BY "|" MAP KEYS TERMINATED BY ":"
        LINES TERMINATED BY "\n" NULL DEFINED AS "\N"
        LOCATION "s3://b/t/"
        TBLPROPERTIES ("projection.enabled" = "true", "skip.header.line.count"="1")"#)
    else {
        panic!()
    };
    assert_eq!(t.columns[0].comment.as_deref(), Some("col's"));
    assert_eq!(t.comment.as_deref(), Some("table"));
    assert_eq!(t.partition_keys[0].comment.as_deref(), Some("day"));
    assert_eq!(t.location.as_deref(), Some("s3://b/t/"));
    let props: Vec<_> = t
        .serde_properties
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        props,
        [
            ("serialization.format", "\t"),
            ("field.delim", "\t"),
            ("escape.delim", "\\"),
            ("collection.delim", "|"),
            ("mapkey.delim", ":"),
            ("line.delim", "\n"),
            ("serialization.null.format", "N"),
        ]
    );
    assert_eq!(
        t.properties,
        [
            ("projection.enabled".to_string(), "true".to_string()),
            ("skip.header.line.count".to_string(), "1".to_string())
        ]
    );
    let Statement::CreateTable(t) = ok(r#"CREATE EXTERNAL TABLE t (a string)
        ROW FORMAT SERDE "org.apache.hadoop.hive.serde2.RegexSerDe"
        WITH SERDEPROPERTIES ("input.regex" = "^(?!#)([^ ]+)\\s+[^\\(]+[\\(]([^\\;]+).*\\%20([^\\/]+)$")
        STORED AS INPUTFORMAT "in.F" OUTPUTFORMAT "out.F""#)
    else {
        panic!()
    };
    assert_eq!(
        t.serde.as_deref(),
        Some("org.apache.hadoop.hive.serde2.RegexSerDe")
    );
    assert_eq!(t.input_format.as_deref(), Some("in.F"));
    // Hive's unescapeSQLString: `\\` is one backslash, `\%` keeps its backslash.
    assert_eq!(
        t.serde_properties,
        [(
            "input.regex".to_string(),
            r"^(?!#)([^ ]+)\s+[^\(]+[\(]([^\;]+).*\%20([^\/]+)$".to_string()
        )]
    );
    assert_eq!(
        ok(r#"ALTER TABLE t ADD PARTITION (year="2017", month='02') LOCATION "s3://b/2017/02/""#),
        Statement::AddPartitions {
            table: name(None, "t"),
            if_not_exists: false,
            partitions: vec![PartitionSpec {
                values: vec![
                    ("year".into(), "2017".into()),
                    ("month".into(), "02".into())
                ],
                location: Some("s3://b/2017/02/".into()),
            }],
        }
    );
    assert_eq!(
        ok(r#"CREATE DATABASE d COMMENT "c" LOCATION "s3://b/" WITH DBPROPERTIES ("k"="v")"#),
        Statement::CreateDatabase {
            name: "d".into(),
            if_not_exists: false,
            comment: Some("c".into()),
            location: Some("s3://b/".into()),
            properties: vec![("k".into(), "v".into())],
        }
    );
    // Names in double quotes still work where a name is expected.
    assert_eq!(
        ok(r#"SHOW TBLPROPERTIES "T" ("k")"#),
        Statement::ShowTblProperties {
            table: name(None, "t"),
            key: Some("k".into()),
        }
    );
}

#[test]
fn bad_view_statements_name_the_token() {
    assert_eq!(
        err("CREATE VIEW v AS DROP TABLE t"),
        "SQL syntax error at line 1, column 18: expected a query (SELECT, WITH or VALUES), found `DROP`"
    );
    assert_eq!(
        err("CREATE VIEW v SELECT 1"),
        "SQL syntax error at line 1, column 15: expected AS, found `SELECT`"
    );
    assert_eq!(
        err("CREATE VIEW v SECURITY OWNER AS SELECT 1"),
        "SQL syntax error at line 1, column 24: expected DEFINER or INVOKER, found `OWNER`"
    );
}

/// Hive's escapes, the same in either quote style; ALB's documented regex
/// (`\"` for a quote, `\s` read as `s` as Hive reads it).
#[test]
fn hive_escapes_in_either_quote_style() {
    for (quoted, expected) in [
        (r#"'a\'b\"c'"#, "a'b\"c"),
        (r#""a\'b\"c""#, "a'b\"c"),
        (
            r#"'\\ \n \t \r \0 \001 \u00e9 \Z'"#,
            "\\ \n \t \r \0 \u{1} é \u{1a}",
        ),
        (
            r#""\\ \n \t \r \0 \001 \u00e9 \Z""#,
            "\\ \n \t \r \0 \u{1} é \u{1a}",
        ),
        (r#"'\%\_\q'"#, r"\%\_q"),
        (r#"'it''s'"#, "it's"),
        (r#""say ""hi""""#, "say \"hi\""),
        (r#"'\"([^\"]*)\" \"([^\s]+?)\"'"#, r#""([^"]*)" "([^s]+?)""#),
    ] {
        let sql = format!("SHOW TBLPROPERTIES t ({quoted})");
        let Statement::ShowTblProperties { key, .. } = ok(&sql) else {
            panic!("{sql}")
        };
        assert_eq!(key.as_deref(), Some(expected), "{sql}");
    }
    assert_eq!(
        err(r#"CREATE EXTERNAL TABLE t (a int) LOCATION "s3://b/"#),
        "SQL syntax error at line 1, column 42: unterminated string literal (missing closing \")"
    );
}

/// AWS's S3 server access-log DDL names its table `` `db.table` `` in one
/// pair of backticks; Hive splits it at the dot.
#[test]
fn backticked_database_and_table_in_one_name() {
    let sql =
        "CREATE EXTERNAL TABLE `s3_access_logs_db.mybucket_logs`(`key` STRING) LOCATION 's3://b/'";
    let Statement::CreateTable(t) = ok(sql) else {
        panic!("not a CREATE TABLE")
    };
    assert_eq!(
        t.table,
        Some(name(Some("s3_access_logs_db"), "mybucket_logs"))
    );
    let Statement::CreateTable(t) = ok("CREATE EXTERNAL TABLE `a`.`b.c` (x int)") else {
        panic!("not a CREATE TABLE")
    };
    assert_eq!(t.table, Some(name(Some("a"), "b.c")));
}

#[test]
fn delta_and_avro_schema_tables_may_omit_their_columns() {
    // Athena's Delta DDL: the columns are the transaction log's.
    let Statement::CreateTable(t) = ok("CREATE EXTERNAL TABLE d.t LOCATION 's3://b/t/' \
         TBLPROPERTIES ('table_type' = 'DELTA')")
    else {
        panic!()
    };
    assert!(t.columns.is_empty());
    // Hive's AvroSerDe: the columns are the Avro schema's.
    let Statement::CreateTable(t) = ok("CREATE EXTERNAL TABLE t STORED AS AVRO \
         LOCATION 's3://b/t/' TBLPROPERTIES ('avro.schema.url' = 's3://b/t.avsc')")
    else {
        panic!()
    };
    assert!(t.columns.is_empty());
    assert_eq!(
        err("CREATE EXTERNAL TABLE t STORED AS AVRO LOCATION 's3://b/t/'"),
        "SQL syntax error at line 1, column 25: expected the table's columns in parentheses (only a Delta table, \
         or an Avro table with avro.schema.literal or avro.schema.url, may leave them out)"
    );
}
