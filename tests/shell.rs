//! The interactive shell, driven through a pseudo-terminal as a person would
//! use it: multi-line statements, completion, `\d`, Ctrl-C, history, errors.

use std::process::Command;
use std::time::Duration;

use rexpect::session::{PtySession, spawn_command};

mod common;

const TIMEOUT_MS: u64 = 30_000;

fn shell(data_home: &std::path::Path) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lathe"));
    cmd.current_dir(common::repo())
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("XDG_DATA_HOME", data_home)
        .env("TERM", "xterm");
    let mut session = spawn_command(cmd, Some(TIMEOUT_MS)).expect("the shell starts");
    session.exp_string("\\? for help").expect("a banner");
    session.exp_string("web> ").expect("a prompt");
    session
}

fn quit(mut session: PtySession) {
    session.send_line("\\q").unwrap();
    session.exp_eof().expect("the shell exits on \\q");
}

#[test]
fn multi_line_statements_errors_and_recovery() {
    let home = tempfile::tempdir().unwrap();
    let mut s = shell(home.path());
    s.send_line("SELECT count(*) AS products").unwrap();
    s.send_line("FROM master.products;").unwrap();
    s.exp_string("| 120 ").unwrap();
    s.exp_string("1 row in").unwrap();

    s.send_line("SELECT * FROM master.produkts;").unwrap();
    s.exp_string("error: table master.produkts does not exist; did you mean master.products?")
        .unwrap();
    s.send_line("SELECT 40 + 2 AS answer; SELECT 'it''s; fine' AS s;")
        .unwrap();
    s.exp_string("| 42 ").unwrap();
    s.exp_string("| it's; fine |").unwrap();
    quit(s);
}

#[test]
fn tab_completes_table_names_and_describe_shows_types() {
    let home = tempfile::tempdir().unwrap();
    let mut s = shell(home.path());
    // Names load in the background while the first statement runs.
    s.send_line("SELECT 1 AS warm;").unwrap();
    s.exp_string("1 row in").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    s.send("SELECT count(*) AS n FROM master.prod").unwrap();
    s.send("\t").unwrap();
    s.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    s.send_line(";").unwrap();
    s.exp_string("| 120 |").unwrap();

    s.send_line("\\d master.orders").unwrap();
    s.exp_string("decimal(12,2)").unwrap();
    s.exp_string("| order_date  | date").unwrap();
    s.exp_string("partition key").unwrap();
    quit(s);
}

#[test]
fn ctrl_c_cancels_a_long_query_and_the_shell_goes_on() {
    let home = tempfile::tempdir().unwrap();
    let mut s = shell(home.path());
    s.send_line("SELECT count(*) FROM range(100000000) a CROSS JOIN range(100000000) b;")
        .unwrap();
    // The progress line appears once the query has run for a second.
    s.exp_string("Ctrl-C cancels").unwrap();
    s.send_control('c').unwrap();
    s.exp_string("cancelled after").unwrap();
    s.send_line("SELECT 'still here' AS status;").unwrap();
    // The result table, not the echo of the typed line.
    s.exp_string("| still here |").unwrap();
    quit(s);
}

/// Lines typed while a statement runs wait for the next prompt, as in psql.
/// rustyline drops what it has read ahead when a line ends, unless it keeps
/// its buffer between lines (its `buffer-redux` feature).
#[test]
fn lines_typed_ahead_are_kept_for_the_next_prompt() {
    let home = tempfile::tempdir().unwrap();
    let mut s = shell(home.path());
    // One write, so the shell reads both lines at once.
    s.send("SELECT 6 * 7 AS typed_ahead;\rSELECT 'second' AS typed_ahead;\r\\q\r")
        .unwrap();
    s.flush().unwrap();
    s.exp_string("| 42 ").unwrap();
    s.exp_string("| second ").unwrap();
    s.exp_eof().expect("the shell exits on the \\q typed ahead");
}

#[test]
fn history_survives_a_restart() {
    let home = tempfile::tempdir().unwrap();
    let mut s = shell(home.path());
    s.send_line("SELECT 7 * 6 AS remembered;").unwrap();
    s.exp_string("| 42 ").unwrap();
    quit(s);
    let history = std::fs::read_to_string(home.path().join("lathe/history")).unwrap();
    assert!(history.contains("SELECT 7 * 6 AS remembered;"), "{history}");

    let mut s = shell(home.path());
    // Up arrow recalls earlier lines (the last one is `\q`); Enter runs it again.
    s.send("\x1b[A").unwrap();
    s.send("\x1b[A").unwrap();
    s.send("\r").unwrap();
    s.flush().unwrap();
    s.exp_string("remembered").unwrap();
    s.exp_string("| 42 ").unwrap();
    quit(s);
}

#[test]
fn export_writes_the_last_result_or_a_query_and_shows_progress() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("answer.csv");
    let mut s = shell(home.path());
    s.send_line("SELECT 40 + 2 AS answer;").unwrap();
    s.exp_string("| 42 ").unwrap();
    s.send_line(&format!("\\export {}", out.display())).unwrap();
    s.exp_string("wrote ").unwrap();
    s.exp_string("1 row in").unwrap();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "\"answer\"\n\"42\"\n"
    );

    s.send_line(&format!("\\export {}", out.display())).unwrap();
    s.exp_string("already exists; pass --force (or \\export! in the shell)")
        .unwrap();
    s.send_line(&format!("\\export! {} SELECT 'x' AS y", out.display()))
        .unwrap();
    s.exp_string("1 row in").unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "\"y\"\n\"x\"\n");

    // A long export shows rows and bytes written; Ctrl-C leaves no file.
    let big = home.path().join("big.csv");
    s.send_line(&format!(
        "\\export {} SELECT value FROM range(0, 100000000000)",
        big.display()
    ))
    .unwrap();
    s.exp_string("B written").unwrap();
    s.send_control('c').unwrap();
    s.exp_string("cancelled after").unwrap();
    s.send_line("SELECT 'still here' AS status;").unwrap();
    // The result table, not the echo of the typed line.
    s.exp_string("| still here |").unwrap();
    assert!(!big.exists());
    quit(s);
}

/// A panic inside a statement is reported and the shell goes on (issue 8).
#[test]
fn the_shell_survives_an_internal_panic() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lathe"));
    cmd.current_dir(common::repo())
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("XDG_DATA_HOME", home.path())
        .env("LATHE_TEST_PANIC_FUNCTION", "1")
        .env("TERM", "xterm");
    let mut s = spawn_command(cmd, Some(TIMEOUT_MS)).expect("the shell starts");
    s.exp_string("web> ").expect("a prompt");
    s.send_line("SELECT lathe_test_panic();").unwrap();
    s.exp_string("lathe_test_panic() was called").unwrap();
    s.send_line("SELECT 6 * 7 AS still_here;").unwrap();
    s.exp_string("| 42 ").unwrap();
    quit(s);
}
