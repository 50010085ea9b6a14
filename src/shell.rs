//! The interactive shell: rustyline for editing, history and completion;
//! statements run as tasks that Ctrl-C cancels and whose panics are caught;
//! a progress line on stderr for queries that take more than a second.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use futures::StreamExt;
use lathe::export::{Export, ExportSpec, ExportStats};
use lathe::{Engine, OutputFormat, render, split_statements};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Editor};

mod commands;
mod display;
mod helper;
mod input;

use commands::Backslash;
use helper::{Names, ShellHelper};
use input::InputState;

/// What a statement produced.
enum Outcome {
    /// Rows kept for the table display, and how many there were in all.
    Rows {
        schema: SchemaRef,
        kept: Vec<RecordBatch>,
        total: usize,
    },
    /// Text already rendered in a non-table format.
    Text { text: Vec<u8>, total: usize },
    /// A result written to a file by `\export`.
    Exported {
        destination: String,
        stats: ExportStats,
    },
}

/// The shell's settings and state.
struct Shell {
    engine: Arc<Engine>,
    format: OutputFormat,
    max_rows: usize,
    timing: bool,
    expanded: bool,
    output: Option<(PathBuf, std::fs::File)>,
    /// The last statement that returned a result, for `\export FILE`.
    last_query: Option<String>,
    queries_dir: PathBuf,
    names: Arc<RwLock<Names>>,
    width: usize,
    /// Set by SIGINT (Ctrl-C while a statement runs; the line editor reads
    /// Ctrl-C itself at the prompt).
    interrupted: Arc<AtomicBool>,
}

/// Runs the shell until `\q` or Ctrl-D.
pub(crate) async fn run(engine: Engine, format: OutputFormat, queries_dir: PathBuf) -> ExitCode {
    let engine = Arc::new(engine);
    let names = Arc::new(RwLock::new(Names {
        current_database: engine.database(),
        ..Names::default()
    }));
    load_names(Arc::clone(&engine), Arc::clone(&names));
    let helper = ShellHelper::new(
        Arc::clone(&names),
        column_loader(Arc::clone(&engine), Arc::clone(&names)),
        std::io::stdout().is_terminal(),
    );
    let config = rustyline::Config::builder()
        .history_ignore_dups(true)
        .and_then(|b| b.max_history_size(10_000))
        .map(|b| {
            b.history_ignore_space(true)
                .completion_type(CompletionType::List)
                .auto_add_history(false)
                .build()
        });
    let mut editor: Editor<ShellHelper, FileHistory> = match config.and_then(Editor::with_config) {
        Ok(editor) => editor,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return ExitCode::FAILURE;
        }
    };
    editor.set_helper(Some(helper));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }

    let mut shell = Shell {
        engine,
        format,
        max_rows: 40,
        timing: true,
        expanded: false,
        output: None,
        last_query: None,
        queries_dir,
        names,
        width: 100,
        interrupted: Arc::new(AtomicBool::new(false)),
    };
    if let Err(e) =
        signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&shell.interrupted))
    {
        eprintln!("warning: Ctrl-C will not cancel queries: {e}");
    }
    eprintln!(
        "lathe {} — Athena SQL, locally. Statements end with ;   \\? for help, \\q to quit.",
        env!("CARGO_PKG_VERSION")
    );
    loop {
        shell.width = editor
            .dimensions()
            .map_or(100, |(cols, _)| usize::from(cols).max(20));
        let prompt = format!("{}> ", shell.engine.database());
        let line = tokio::task::block_in_place(|| editor.readline(&prompt));
        let text = match line {
            Ok(text) => text,
            // Ctrl-C at the prompt clears the line.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(text.trim_end());
        if let Some(path) = &history {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = editor.save_history(path);
        }
        match input::state(&text) {
            InputState::Command => {
                if !shell.command(&text).await {
                    break;
                }
            }
            InputState::Empty => {}
            _ => shell.script(&text).await,
        }
    }
    ExitCode::SUCCESS
}

impl Shell {
    /// Runs every statement of a text, stopping at the first error.
    async fn script(&mut self, text: &str) {
        for statement in split_statements(text) {
            if !self.statement(statement).await {
                break;
            }
        }
    }

    /// Runs one statement; returns whether it succeeded.
    async fn statement(&mut self, sql: String) -> bool {
        self.run(sql, None).await
    }

    /// Runs one statement, showing its result or writing it to `export`;
    /// returns whether it succeeded.
    async fn run(&mut self, sql: String, export: Option<Export>) -> bool {
        let started = Instant::now();
        let counters = Arc::clone(self.engine.scan_counters());
        counters.reset();
        let engine = Arc::clone(&self.engine);
        let (format, keep) = (self.format, self.max_rows);
        let written = export.as_ref().map(Export::counters);
        let query = sql.clone();
        let mut task = tokio::spawn(async move {
            match export {
                Some(export) => export_to(&engine, &sql, export).await,
                None => execute(&engine, &sql, format, keep).await,
            }
        });
        // Plain threads watch for Ctrl-C and draw progress: a CPU-bound query
        // can keep every runtime worker busy, and with them tokio's timers.
        let done = Arc::new(AtomicBool::new(false));
        let cancel = watch_interrupt(Arc::clone(&self.interrupted), Arc::clone(&done));
        let export_progress = written.map(crate::progress::Progress::start);
        let ticker = std::thread::spawn({
            let done = Arc::clone(&done);
            let exporting = export_progress.is_some();
            move || {
                if !exporting {
                    progress(&counters, started, &done)
                }
            }
        });
        let finished = tokio::select! {
            result = &mut task => Some(result),
            _ = cancel => {
                // Dropping the task drops the plan's streams, which stops DataFusion's work.
                task.abort();
                None
            }
        };
        done.store(true, Ordering::SeqCst);
        let _ = ticker.join();
        drop(export_progress);
        let counters = Arc::clone(self.engine.scan_counters());
        if std::io::stderr().is_terminal() {
            eprint!("\r\x1b[K");
        }
        let elapsed = started.elapsed().as_secs_f64();
        let outcome = match finished {
            None => {
                eprintln!("cancelled after {elapsed:.1} s");
                return false;
            }
            Some(Err(join)) => {
                let message = join
                    .try_into_panic()
                    .ok()
                    .and_then(|p| {
                        p.downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    })
                    .unwrap_or_else(|| "the query task failed".into());
                eprintln!("error: internal error: {message}");
                return false;
            }
            Some(Ok(Err(e))) => {
                eprintln!("error: {}", e.user_message());
                return false;
            }
            Some(Ok(Ok(outcome))) => outcome,
        };
        if !matches!(&outcome, Outcome::Rows { schema, .. } if schema.fields().is_empty()) {
            self.last_query = Some(query);
        }
        let total = match outcome {
            Outcome::Rows {
                schema,
                kept,
                total,
            } => {
                if schema.fields().is_empty() {
                    0
                } else {
                    let rendered = if self.expanded {
                        display::expanded(&schema, &kept, self.width)
                    } else {
                        display::table(&schema, &kept, self.width)
                    };
                    match rendered {
                        Ok(text) => self.print(format!("{text}\n").as_bytes()),
                        Err(e) => eprintln!("error: {}", e.user_message()),
                    }
                    if total > self.max_rows {
                        eprintln!(
                            "({} more rows not shown; \\maxrows N shows more)",
                            total - self.max_rows
                        );
                    }
                    total
                }
            }
            Outcome::Text { text, total } => {
                self.print(&text);
                total
            }
            Outcome::Exported { destination, stats } => {
                eprintln!(
                    "wrote {destination} ({})",
                    display::human_bytes(stats.bytes)
                );
                stats.rows as usize
            }
        };
        if self.timing {
            eprintln!(
                "{}",
                counters
                    .snapshot()
                    .summary(total, Duration::from_secs_f64(elapsed))
            );
        }
        true
    }

    fn print(&mut self, bytes: &[u8]) {
        let result = match &mut self.output {
            Some((_, file)) => file.write_all(bytes),
            None => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes).and_then(|_| out.flush())
            }
        };
        if let Err(e) = result {
            eprintln!("error: cannot write the result: {e}");
        }
    }

    /// Runs a backslash command; returns false to quit.
    async fn command(&mut self, line: &str) -> bool {
        let command = match commands::parse(line) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return true;
            }
        };
        match command {
            Backslash::Help => print!("{}", commands::help()),
            Backslash::Quit => return false,
            Backslash::ListDatabases => self.script("SELECT schema_name AS database FROM information_schema.schemata WHERE schema_name <> 'information_schema' ORDER BY 1;").await,
            Backslash::ListTables(db) => {
                let db = db.unwrap_or_else(|| self.engine.database()).replace('\'', "''");
                let sql = format!(
                    "SELECT table_schema AS database, table_name AS \"table\" FROM information_schema.tables \
                     WHERE table_schema = lower('{db}') AND table_type = 'BASE TABLE' ORDER BY 2;"
                );
                self.script(&sql).await;
            }
            Backslash::Describe(table) => self.describe(&table).await,
            Backslash::Use(db) => match self.engine.set_database(&db).await {
                Ok(()) => {
                    if let Ok(mut names) = self.names.write() {
                        names.current_database = self.engine.database();
                    }
                }
                Err(e) => eprintln!("error: {}", e.user_message()),
            },
            Backslash::Format(f) => self.format = f,
            Backslash::MaxRows(n) => self.max_rows = n.max(1),
            Backslash::Timing(on) => {
                self.timing = on.unwrap_or(!self.timing);
                eprintln!("timing is {}", if self.timing { "on" } else { "off" });
            }
            Backslash::Expanded => {
                self.expanded = !self.expanded;
                eprintln!("expanded display is {}", if self.expanded { "on" } else { "off" });
            }
            Backslash::Include(file) => self.run_file(Path::new(&file)).await,
            Backslash::Run(name) => {
                let path = self.queries_dir.join(format!("{name}.sql"));
                self.run_file(&path).await;
            }
            Backslash::Output(None) => {
                if let Some((path, _)) = self.output.take() {
                    eprintln!("results go to the screen again (were going to {})", path.display());
                }
            }
            Backslash::Output(Some(file)) => {
                match std::fs::OpenOptions::new().create(true).append(true).open(&file) {
                    Ok(handle) => self.output = Some((PathBuf::from(&file), handle)),
                    Err(e) => eprintln!("error: cannot open {file}: {e}"),
                }
            }
            Backslash::Export {
                file,
                overwrite,
                query,
            } => self.export(&file, overwrite, query).await,
            Backslash::Refresh => {
                self.engine.catalog().refresh();
                load_names(Arc::clone(&self.engine), Arc::clone(&self.names));
                eprintln!("catalog metadata will be read again");
            }
        }
        true
    }

    /// `\export FILE [query]`: the query (or the last one, again) into FILE.
    async fn export(&mut self, file: &str, overwrite: bool, query: Option<String>) {
        let Some(text) = query.or_else(|| self.last_query.clone()) else {
            eprintln!(
                "error: no query to export yet; run one first, or give one: \\export FILE SELECT ..."
            );
            return;
        };
        let mut statements = split_statements(&text);
        if statements.len() != 1 {
            eprintln!(
                "error: \\export writes the result of one query, not {}",
                statements.len()
            );
            return;
        }
        let sql = statements.remove(0);
        let created = async {
            let spec = ExportSpec::for_destination(file, None)?;
            let destination = self.engine.export_destination(file)?;
            Export::create(destination, spec, overwrite).await
        };
        match created.await {
            Ok(export) => {
                self.run(sql, Some(export)).await;
            }
            Err(e) => eprintln!("error: {}", e.user_message()),
        }
    }

    async fn run_file(&mut self, path: &Path) {
        match std::fs::read_to_string(path) {
            Ok(text) => self.script(&text).await,
            Err(e) => eprintln!("error: cannot read {}: {e}", path.display()),
        }
    }

    /// `\d TABLE`: columns with their Hive types, then the partition keys (for
    /// a view, its query).
    async fn describe(&mut self, name: &str) {
        let (db, table) = match name.split_once('.') {
            Some((db, t)) => (db.to_string(), t.to_string()),
            None => (self.engine.database(), name.to_string()),
        };
        let def = match self.engine.catalog().table(&db, &table).await {
            Ok(def) => def,
            Err(e) => {
                eprintln!("error: {}", e.user_message());
                return;
            }
        };
        let mut out = comfy_table::Table::new();
        out.load_preset("||--+-++|    ++++++");
        out.set_header(["column", "type", "comment"]);
        for c in &def.columns {
            out.add_row([
                c.name.as_str(),
                c.type_string.as_str(),
                c.comment.as_deref().unwrap_or(""),
            ]);
        }
        for k in &def.partition_keys {
            out.add_row([k.name.as_str(), k.type_string.as_str(), "partition key"]);
        }
        if let Some(view) = &def.view {
            // A view has no files: its query says what it is.
            self.print(
                format!("{} (view)\n{out}\n{}\n", def.qualified_name(), view.sql).as_bytes(),
            );
            return;
        }
        let format = match def.format {
            lathe::catalog::StorageFormat::Parquet => "Parquet".to_string(),
            lathe::catalog::StorageFormat::Json(serde) => format!("JSON ({serde:?} SerDe)"),
            lathe::catalog::StorageFormat::Text(serde) => format!("text ({serde:?} SerDe)"),
            lathe::catalog::StorageFormat::Iceberg => "Iceberg".to_string(),
            lathe::catalog::StorageFormat::Orc => "ORC".to_string(),
            lathe::catalog::StorageFormat::Delta => "Delta".to_string(),
            lathe::catalog::StorageFormat::Avro => "Avro".to_string(),
        };
        self.print(
            format!(
                "{}\n{out}\nlocation: {}\nformat:   {format}\n",
                def.qualified_name(),
                def.location
            )
            .as_bytes(),
        );
    }
}

/// Plans and runs one statement, keeping what the display needs.
async fn execute(
    engine: &Engine,
    sql: &str,
    format: OutputFormat,
    keep: usize,
) -> lathe::Result<Outcome> {
    let frame = engine.sql(sql).await?;
    let mut stream = frame.execute_stream().await?;
    let schema = stream.schema();
    if format != OutputFormat::Table {
        let mut text = Vec::new();
        let total = render::write_stream(stream, format, &mut text).await?;
        return Ok(Outcome::Text { text, total });
    }
    let (mut kept, mut total) = (Vec::new(), 0);
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let room = keep.saturating_sub(total);
        if room > 0 {
            kept.push(batch.slice(0, batch.num_rows().min(room)));
        }
        total += batch.num_rows();
    }
    Ok(Outcome::Rows {
        schema,
        kept,
        total,
    })
}

/// Plans and runs one statement into an export, which puts its file in
/// place only when everything was written.
async fn export_to(engine: &Engine, sql: &str, mut export: Export) -> lathe::Result<Outcome> {
    let frame = engine.sql(sql).await?;
    let stream = frame.execute_stream().await?;
    let destination = export.destination().to_string();
    if stream.schema().fields().is_empty() {
        return Err(lathe::Error::InvalidOutput {
            destination,
            reason: "the statement returns no result to export".into(),
        });
    }
    export.write(stream).await?;
    let stats = export.finish().await?;
    Ok(Outcome::Exported { destination, stats })
}

/// After a second, shows elapsed time and what has been read, on stderr,
/// until `done`.
fn progress(counters: &lathe::ScanCounters, started: Instant, done: &AtomicBool) {
    if !std::io::stderr().is_terminal() {
        return;
    }
    let spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let mut tick = 0;
    while !done.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
        if started.elapsed() < Duration::from_secs(1) {
            continue;
        }
        tick += 1;
        if tick % 4 == 0 && !done.load(Ordering::SeqCst) {
            let stats = counters.snapshot();
            eprint!(
                "\r\x1b[K{} {:.1} s · {} files · {} read · Ctrl-C cancels",
                spinner[(tick / 4) % spinner.len()],
                started.elapsed().as_secs_f64(),
                stats.files,
                display::human_bytes(stats.bytes)
            );
        }
    }
}

/// Resolves when Ctrl-C is pressed (the SIGINT flag is set) before `done`.
fn watch_interrupt(
    interrupted: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
) -> tokio::sync::oneshot::Receiver<()> {
    interrupted.store(false, Ordering::SeqCst);
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        while !done.load(Ordering::SeqCst) {
            if interrupted.swap(false, Ordering::SeqCst) {
                let _ = tx.send(());
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    rx
}

/// Loads database, table and function names for completion, in the background.
fn load_names(engine: Arc<Engine>, names: Arc<RwLock<Names>>) {
    tokio::spawn(async move {
        let catalog = engine.catalog();
        let databases = catalog.databases().await.unwrap_or_default();
        let mut tables = Vec::new();
        for db in &databases {
            for t in catalog.tables(db).await.unwrap_or_default() {
                tables.push(format!("{db}.{t}"));
            }
        }
        let functions = engine.function_names();
        if let Ok(mut n) = names.write() {
            n.databases = databases;
            n.tables = tables;
            n.functions = functions;
            n.columns.clear();
        }
    });
}

/// Loads the columns of tables named in a statement, in the background.
fn column_loader(engine: Arc<Engine>, names: Arc<RwLock<Names>>) -> helper::ColumnRequest {
    let handle = tokio::runtime::Handle::current();
    Box::new(move |tables: Vec<String>| {
        let (engine, names) = (Arc::clone(&engine), Arc::clone(&names));
        handle.spawn(async move {
            for table in tables {
                let Some((db, t)) = table.split_once('.') else {
                    continue;
                };
                let columns = match engine.catalog().table(db, t).await {
                    Ok(def) => def
                        .columns
                        .iter()
                        .chain(&def.partition_keys)
                        .map(|c| c.name.clone())
                        .collect(),
                    Err(_) => Vec::new(),
                };
                if let Ok(mut n) = names.write() {
                    n.columns.insert(table, columns);
                }
            }
        });
    })
}

/// `$XDG_DATA_HOME/lathe/history`, else `~/.local/share/lathe/history`.
fn history_path() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("lathe").join("history"))
}
