//! Backslash commands (psql-style): parsing and help. Pure.

use lathe::OutputFormat;

/// A parsed backslash command.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Backslash {
    Help,
    Quit,
    ListDatabases,
    ListTables(Option<String>),
    Describe(String),
    Use(String),
    Format(OutputFormat),
    MaxRows(usize),
    Timing(Option<bool>),
    Expanded,
    Include(String),
    Run(String),
    Output(Option<String>),
    /// `\export FILE [query]` (`\export!` overwrites): the last statement
    /// again, or the given query, written to FILE.
    Export {
        file: String,
        overwrite: bool,
        query: Option<String>,
    },
    Refresh,
}

/// Commands, their arguments and what they do, for `\?` and completion.
pub(crate) const COMMANDS: &[(&str, &str, &str)] = &[
    ("\\?", "", "list these commands"),
    ("\\l", "", "list databases"),
    (
        "\\dt",
        "[DB]",
        "list tables (of DB, default: the current database)",
    ),
    (
        "\\d",
        "TABLE",
        "columns of TABLE with their types, and its partition keys",
    ),
    ("\\use", "DB", "make DB the current database"),
    (
        "\\format",
        "FORMAT",
        "output format: table, csv, tsv, json, ndjson",
    ),
    (
        "\\maxrows",
        "N",
        "show at most N rows of a result in table format (default 40)",
    ),
    (
        "\\timing",
        "[on|off]",
        "show or hide the time after each statement",
    ),
    ("\\x", "", "toggle expanded display (one field per line)"),
    ("\\i", "FILE", "run the statements in FILE"),
    ("\\run", "NAME", "run the named query queries/NAME.sql"),
    (
        "\\o",
        "[FILE]",
        "send following results to FILE (appending); no FILE: back to the screen",
    ),
    (
        "\\export",
        "FILE [QUERY]",
        "write the last query's result (run again), or QUERY's, to FILE; format from the extension",
    ),
    (
        "\\export!",
        "FILE [QUERY]",
        "as \\export, overwriting FILE if it exists",
    ),
    ("\\refresh", "", "forget cached catalog metadata"),
    ("\\q", "", "quit (also Ctrl-D)"),
];

/// Commands whose argument is a file path (completed as one).
pub(crate) const FILE_COMMANDS: &[&str] = &["\\i", "\\o", "\\export", "\\export!"];

/// The help text for `\?`.
pub(crate) fn help() -> String {
    let mut text = String::from("Backslash commands:\n");
    for (name, args, what) in COMMANDS {
        text.push_str(&format!("  {:<22} {what}\n", format!("{name} {args}")));
    }
    text.push_str(
        "\nSQL statements end with ';' and may span lines. Tab completes keywords, tables,\n\
         columns, functions and commands. Ctrl-C cancels a running query; Ctrl-D quits.\n",
    );
    text
}

/// Parses a line starting with `\`.
pub(crate) fn parse(line: &str) -> Result<Backslash, String> {
    let line = line.trim().trim_end_matches(';').trim();
    let (name, arg) = match line.split_once(char::is_whitespace) {
        Some((n, a)) => (n, Some(a.trim()).filter(|a| !a.is_empty())),
        None => (line, None),
    };
    let need = |what: &str| {
        arg.map(str::to_string)
            .ok_or_else(|| format!("{name} needs {what}; see \\?"))
    };
    Ok(match name {
        "\\?" | "\\h" | "\\help" => Backslash::Help,
        "\\q" | "\\quit" => Backslash::Quit,
        "\\l" | "\\list" => Backslash::ListDatabases,
        "\\dt" => Backslash::ListTables(arg.map(str::to_string)),
        "\\d" => Backslash::Describe(need("a table name")?),
        "\\use" | "\\c" => Backslash::Use(need("a database name")?),
        "\\format" | "\\f" => {
            let format = need("a format (table, csv, tsv, json, ndjson)")?;
            Backslash::Format(format.parse().map_err(|e: lathe::Error| e.to_string())?)
        }
        "\\maxrows" => {
            let n = need("a number of rows")?;
            Backslash::MaxRows(
                n.parse()
                    .map_err(|_| format!("\\maxrows takes a whole number, not {n:?}"))?,
            )
        }
        "\\timing" => Backslash::Timing(match arg {
            None => None,
            Some("on") => Some(true),
            Some("off") => Some(false),
            Some(other) => return Err(format!("\\timing takes on or off, not {other:?}")),
        }),
        "\\x" => Backslash::Expanded,
        "\\i" => Backslash::Include(need("a file")?),
        "\\run" => Backslash::Run(need("a query name")?),
        "\\o" => Backslash::Output(arg.map(str::to_string)),
        "\\export" | "\\export!" => {
            let arg = need("a file")?;
            let (file, query) = match arg.split_once(char::is_whitespace) {
                Some((file, query)) => (file.to_string(), Some(query.trim().to_string())),
                None => (arg, None),
            };
            Backslash::Export {
                file,
                overwrite: name.ends_with('!'),
                query,
            }
        }
        "\\refresh" => Backslash::Refresh,
        other => return Err(format!("unknown command {other}; \\? lists the commands")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_arguments() {
        assert_eq!(parse("\\dt"), Ok(Backslash::ListTables(None)));
        assert_eq!(
            parse("\\dt  web "),
            Ok(Backslash::ListTables(Some("web".into())))
        );
        assert_eq!(
            parse("\\d master.products;"),
            Ok(Backslash::Describe("master.products".into()))
        );
        assert_eq!(
            parse("\\format csv"),
            Ok(Backslash::Format(OutputFormat::Csv))
        );
        assert_eq!(parse("\\maxrows 5"), Ok(Backslash::MaxRows(5)));
        assert_eq!(parse("\\timing off"), Ok(Backslash::Timing(Some(false))));
        assert_eq!(parse("\\o"), Ok(Backslash::Output(None)));
        assert_eq!(parse("\\q"), Ok(Backslash::Quit));
        assert_eq!(
            parse("\\export out.csv"),
            Ok(Backslash::Export {
                file: "out.csv".into(),
                overwrite: false,
                query: None
            })
        );
        assert_eq!(
            parse("\\export! s3://b/x.parquet  SELECT 1 AS one;"),
            Ok(Backslash::Export {
                file: "s3://b/x.parquet".into(),
                overwrite: true,
                query: Some("SELECT 1 AS one".into())
            })
        );
        assert_eq!(
            parse("\\export").unwrap_err(),
            "\\export needs a file; see \\?"
        );
    }

    #[test]
    fn errors_say_what_is_missing() {
        assert_eq!(parse("\\d").unwrap_err(), "\\d needs a table name; see \\?");
        assert_eq!(
            parse("\\maxrows lots").unwrap_err(),
            "\\maxrows takes a whole number, not \"lots\""
        );
        assert_eq!(
            parse("\\zz").unwrap_err(),
            "unknown command \\zz; \\? lists the commands"
        );
        assert!(
            parse("\\format xml")
                .unwrap_err()
                .contains("not one of table, csv")
        );
        assert!(help().contains("\\dt [DB]"));
    }
}
