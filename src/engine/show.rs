//! `SHOW CREATE TABLE`, `DESCRIBE` and `SHOW TBLPROPERTIES` as rows, in the
//! layout Athena (Hive) prints them. Pure: a table definition in, text out.

use crate::athena::ddl::{quote_ident, quote_string};
use crate::catalog::{Column, TableDef};

/// `SHOW CREATE TABLE`: Hive DDL that re-creates the table, one line per row.
pub(crate) fn create_table_lines(table: &TableDef) -> Vec<String> {
    let mut lines = vec![format!(
        "CREATE EXTERNAL TABLE {}.{}(",
        quote_ident(&table.database),
        quote_ident(&table.name)
    )];
    push_columns(&mut lines, &table.columns);
    if let Some(comment) = &table.comment {
        lines.push(format!("COMMENT {}", quote_string(comment)));
    }
    if !table.partition_keys.is_empty() {
        lines.push("PARTITIONED BY (".into());
        push_columns(&mut lines, &table.partition_keys);
    }
    if let Some(serde) = &table.storage.serde {
        lines.push("ROW FORMAT SERDE".into());
        lines.push(format!("  {}", quote_string(serde)));
        if !table.serde_parameters.is_empty() {
            lines.push("WITH SERDEPROPERTIES (".into());
            push_properties(&mut lines, sorted(&table.serde_parameters));
        }
    }
    if let (Some(input), Some(output)) = (&table.storage.input_format, &table.storage.output_format)
    {
        lines.push("STORED AS INPUTFORMAT".into());
        lines.push(format!("  {}", quote_string(input)));
        lines.push("OUTPUTFORMAT".into());
        lines.push(format!("  {}", quote_string(output)));
    }
    lines.push("LOCATION".into());
    lines.push(format!("  {}", quote_string(&table.location)));
    // EXTERNAL=TRUE is what CREATE EXTERNAL TABLE itself records.
    let properties: Vec<(&str, &str)> = sorted(&table.parameters)
        .into_iter()
        .filter(|(k, v)| !(*k == "EXTERNAL" && v.eq_ignore_ascii_case("TRUE")))
        .collect();
    if !properties.is_empty() {
        lines.push("TBLPROPERTIES (".into());
        push_properties(&mut lines, properties);
    }
    lines
}

fn push_columns(lines: &mut Vec<String>, columns: &[Column]) {
    let last = columns.len().saturating_sub(1);
    for (i, c) in columns.iter().enumerate() {
        let comment = c
            .comment
            .as_ref()
            .map(|c| format!(" COMMENT {}", quote_string(c)))
            .unwrap_or_default();
        let end = if i == last { ")" } else { "," };
        lines.push(format!(
            "  {} {}{comment}{end}",
            quote_ident(&c.name),
            c.type_string
        ));
    }
}

fn push_properties(lines: &mut Vec<String>, properties: Vec<(&str, &str)>) {
    let last = properties.len().saturating_sub(1);
    for (i, (k, v)) in properties.into_iter().enumerate() {
        let end = if i == last { ")" } else { "," };
        lines.push(format!("  {}={}{end}", quote_string(k), quote_string(v)));
    }
}

/// Properties sorted by name.
pub(crate) fn sorted(map: &std::collections::HashMap<String, String>) -> Vec<(&str, &str)> {
    let mut list: Vec<(&str, &str)> = map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    list.sort();
    list
}

/// `DESCRIBE [FORMATTED]`: rows of (col_name, data_type, comment). Columns
/// and partition keys, then the partition block; `FORMATTED` adds the table
/// and storage blocks.
pub(crate) fn describe_rows(table: &TableDef, formatted: bool) -> Vec<[String; 3]> {
    let row = |a: &str, b: &str, c: &str| [a.to_string(), b.to_string(), c.to_string()];
    let column = |c: &Column| row(&c.name, &c.type_string, c.comment.as_deref().unwrap_or(""));
    let mut rows: Vec<[String; 3]> = Vec::new();
    if formatted {
        rows.push(row("# col_name", "data_type", "comment"));
    }
    rows.extend(
        table
            .columns
            .iter()
            .chain(&table.partition_keys)
            .map(column),
    );
    if !table.partition_keys.is_empty() {
        rows.push(row("", "", ""));
        rows.push(row("# Partition Information", "", ""));
        rows.push(row("# col_name", "data_type", "comment"));
        rows.extend(table.partition_keys.iter().map(column));
    }
    if !formatted {
        return rows;
    }
    rows.push(row("", "", ""));
    rows.push(row("# Detailed Table Information", "", ""));
    rows.push(row("Database:", &table.database, ""));
    rows.push(row("Table:", &table.name, ""));
    let table_type = if table.is_view() {
        "VIRTUAL_VIEW"
    } else {
        "EXTERNAL_TABLE"
    };
    rows.push(row("Table Type:", table_type, ""));
    rows.push(row("Location:", &table.location, ""));
    if let Some(comment) = &table.comment {
        rows.push(row("Comment:", comment, ""));
    }
    rows.push(row("Table Parameters:", "", ""));
    rows.extend(
        sorted(&table.parameters)
            .into_iter()
            .map(|(k, v)| row("", k, v)),
    );
    rows.push(row("", "", ""));
    rows.push(row("# Storage Information", "", ""));
    let class = |c: &Option<String>| c.clone().unwrap_or_default();
    rows.push(row("SerDe Library:", &class(&table.storage.serde), ""));
    rows.push(row("InputFormat:", &class(&table.storage.input_format), ""));
    rows.push(row(
        "OutputFormat:",
        &class(&table.storage.output_format),
        "",
    ));
    if !table.serde_parameters.is_empty() {
        rows.push(row("Storage Desc Params:", "", ""));
        rows.extend(
            sorted(&table.serde_parameters)
                .into_iter()
                .map(|(k, v)| row("", k, v)),
        );
    }
    rows
}

/// A Hive `SHOW TABLES` / `SHOW DATABASES` pattern as an anchored,
/// case-insensitive regex: `*` is any run of characters, `|` separates
/// alternatives, everything else is literal.
pub(crate) fn pattern_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    let alternatives: Vec<String> = pattern
        .split('|')
        .map(|alt| {
            let parts: Vec<String> = alt.trim().split('*').map(regex::escape).collect();
            format!("^{}$", parts.join(".*"))
        })
        .collect();
    regex::RegexBuilder::new(&alternatives.join("|"))
        .case_insensitive(true)
        .build()
}
