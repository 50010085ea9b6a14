//! The `lathe` binary: parses arguments once, runs scripts or the shell, and
//! prints errors once. Exit status: 0 on success, 1 when a statement fails,
//! 2 on usage errors.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use lathe::{Engine, Error, OutputFormat, render, split_statements};

mod cli;
mod shell;

use cli::{Cli, Command, Settings};

fn main() -> ExitCode {
    // An internal panic is one line on stderr and a non-zero exit, not a dump.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        let place = info
            .location()
            .map(|l| format!(" (at {}:{})", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error: {message}{place}");
    }));
    let cli = Cli::parse();
    let settings = match cli.settings() {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(cli, settings));
    // A cancelled query may still be winding down on a worker: do not wait for it.
    runtime.shutdown_background();
    code
}

fn usage_error(e: &anyhow::Error) -> ExitCode {
    eprintln!("error: {}", message(e));
    ExitCode::from(2)
}

/// One user-facing sentence for any error: lathe's own message where there is one.
fn message(e: &anyhow::Error) -> String {
    match e.downcast_ref::<Error>() {
        Some(ours) => ours.user_message(),
        None => format!("{e:#}"),
    }
}

/// A script to run: where it came from (for messages) and its text.
struct Script {
    origin: Option<String>,
    text: String,
}

async fn run(cli: Cli, settings: Settings) -> ExitCode {
    let scripts = match gather_scripts(&cli, &settings) {
        Ok(Some(scripts)) => scripts,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => return usage_error(&e),
    };
    let engine = match Engine::new(&settings.engine).await {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("error: {}", e.user_message());
            return ExitCode::FAILURE;
        }
    };
    let Some(scripts) = scripts else {
        return shell::run(engine, settings.format, settings.queries_dir.clone()).await;
    };

    let mut sink = match Sink::open(&settings) {
        Ok(sink) => sink,
        Err(e) => return usage_error(&e),
    };
    for script in &scripts {
        let statements = split_statements(&script.text);
        let count = statements.len();
        for (i, statement) in statements.iter().enumerate() {
            let started = std::time::Instant::now();
            engine.scan_counters().reset();
            let result = execute(&engine, statement, settings.format, sink.writer()).await;
            if let (true, Ok(rows)) = (settings.stats, &result) {
                let stats = engine.scan_counters().snapshot();
                eprintln!("{}", stats.summary(*rows, started.elapsed()));
            }
            if let Err(e) = result {
                if is_broken_pipe(&e) {
                    return ExitCode::SUCCESS;
                }
                let place = match (&script.origin, count) {
                    (Some(origin), n) if n > 1 => format!("{origin}, statement {}: ", i + 1),
                    (Some(origin), _) => format!("{origin}: "),
                    (None, n) if n > 1 => format!("statement {}: ", i + 1),
                    (None, _) => String::new(),
                };
                eprintln!("error: {place}{}", message(&e));
                return ExitCode::FAILURE;
            }
        }
    }
    match sink.finish() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", message(&e));
            ExitCode::FAILURE
        }
    }
}

/// The scripts to run; `Ok(Some(None))` means "open the shell", `Ok(None)`
/// means the request was answered already (e.g. listing named queries).
fn gather_scripts(cli: &Cli, settings: &Settings) -> anyhow::Result<Option<Option<Vec<Script>>>> {
    let mut scripts = Vec::new();
    if let Some(Command::Run { name }) = &cli.command {
        let Some(name) = name else {
            list_queries(&settings.queries_dir)?;
            return Ok(None);
        };
        let path = named_query_path(&settings.queries_dir, name)?;
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        scripts.push(Script {
            origin: Some(path.display().to_string()),
            text,
        });
    }
    for sql in &cli.commands {
        scripts.push(Script {
            origin: None,
            text: sql.clone(),
        });
    }
    for file in &cli.files {
        if file == Path::new("-") {
            scripts.push(Script {
                origin: Some("<stdin>".into()),
                text: read_stdin()?,
            });
        } else {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            scripts.push(Script {
                origin: Some(file.display().to_string()),
                text,
            });
        }
    }
    if scripts.is_empty() {
        if std::io::stdin().is_terminal() {
            return Ok(Some(None));
        }
        scripts.push(Script {
            origin: Some("<stdin>".into()),
            text: read_stdin()?,
        });
    }
    Ok(Some(Some(scripts)))
}

fn read_stdin() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
        .context("cannot read standard input")?;
    Ok(text)
}

fn named_query_path(dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{name}.sql"));
    if path.is_file() {
        return Ok(path);
    }
    let names = query_names(dir).unwrap_or_default();
    let suggestion = names
        .iter()
        .map(|n| (strsim::levenshtein(n, name), n))
        .filter(|(d, _)| *d <= (name.len() / 3).max(2))
        .min()
        .map(|(_, n)| n.clone());
    Err(Error::QueryNotFound {
        name: name.to_string(),
        dir: dir.to_path_buf(),
        suggestion,
    }
    .into())
}

fn query_names(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            Some(name.strip_suffix(".sql")?.to_string())
        })
        .collect();
    names.sort();
    Ok(names)
}

/// Prints each named query with the first line of its header comment.
fn list_queries(dir: &Path) -> anyhow::Result<()> {
    let names = query_names(dir)
        .with_context(|| format!("cannot read the queries folder {}", dir.display()))?;
    let mut out = std::io::stdout().lock();
    for name in names {
        let text = std::fs::read_to_string(dir.join(format!("{name}.sql"))).unwrap_or_default();
        let summary = text
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("--")
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
            })
            .unwrap_or("");
        writeln!(out, "{name:<28} {summary}")?;
    }
    Ok(())
}

/// Plans and runs one statement, writing its result (if it has columns).
async fn execute(
    engine: &Engine,
    sql: &str,
    format: OutputFormat,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<usize> {
    let frame = engine.sql(sql).await?;
    let stream = frame.execute_stream().await.map_err(Error::from)?;
    if stream.schema().fields().is_empty() {
        // DDL and other statements without a result.
        futures::StreamExt::for_each(stream, |_| async {}).await;
        return Ok(0);
    }
    Ok(render::write_stream(stream, format, out).await?)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<Error>().is_some_and(
                |ours| matches!(ours, Error::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe),
            )
    })
}

/// Where results go: stdout, or a file written beside its destination and
/// renamed into place only when everything succeeded.
enum Sink {
    Stdout(std::io::BufWriter<std::io::Stdout>),
    File {
        writer: std::io::BufWriter<tempfile::NamedTempFile>,
        destination: PathBuf,
    },
}

impl Sink {
    fn open(settings: &Settings) -> anyhow::Result<Self> {
        let Some(destination) = &settings.output else {
            return Ok(Sink::Stdout(std::io::BufWriter::new(std::io::stdout())));
        };
        if destination.exists() && !settings.force {
            anyhow::bail!(
                "{} already exists; pass --force to overwrite it",
                destination.display()
            );
        }
        let dir = match destination.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".lathe-")
            .suffix(".partial")
            .tempfile_in(dir)
            .with_context(|| format!("cannot create a file in {}", dir.display()))?;
        Ok(Sink::File {
            writer: std::io::BufWriter::new(temp),
            destination: destination.clone(),
        })
    }

    fn writer(&mut self) -> &mut (dyn Write + Send) {
        match self {
            Sink::Stdout(w) => w,
            Sink::File { writer, .. } => writer,
        }
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Sink::Stdout(mut w) => Ok(w.flush()?),
            Sink::File {
                writer,
                destination,
            } => {
                let temp = writer.into_inner().map_err(|e| e.into_error())?;
                temp.as_file().sync_all()?;
                temp.persist(&destination)
                    .with_context(|| format!("cannot write {}", destination.display()))?;
                Ok(())
            }
        }
    }
}
