//! The `lathe` binary: parses arguments once, runs scripts or the shell, and
//! prints errors once. Exit status: 0 on success, 1 when a statement fails,
//! 2 on usage errors.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use datafusion::physical_plan::SendableRecordBatchStream;
use lathe::export::Export;
use lathe::{Engine, Error, OutputFormat, render, split_statements};

mod cli;
mod progress;
mod shell;

use cli::{Cli, Command, Settings};

/// mimalloc, as datafusion-cli and Ballista's executor binary use: DataFusion
/// allocates batches and hash tables from many threads. TPC-H SF1 q1-q22,
/// interleaved medians: 5.17 s with glibc's malloc, 4.64 s with mimalloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    lathe::install_crypto_provider();
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
    // `lathe cluster ...` takes Ballista's own flags, some of which clash
    // with lathe's global ones (`-c`), so it is parsed apart.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "cluster") {
        return cli::cluster::main(&args[2..]);
    }
    let cli = Cli::parse();
    if let Some(Command::Cluster { args }) = &cli.command {
        let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        return cli::cluster::main(&args);
    }
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
    // A failed or cancelled query may still be winding down on a worker: give
    // its tasks a moment to drop (they hold the spill folder, removed when
    // the last of them goes), but never wait long for them.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
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
    if let Some(Command::Serve {
        bind,
        port,
        results,
        queries,
        require_credentials,
    }) = &cli.command
    {
        let queries = queries.as_deref().unwrap_or(&settings.queries_dir);
        return serve(
            &settings,
            *bind,
            *port,
            results,
            queries,
            *require_credentials,
        )
        .await;
    }
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

    let mut sink = match Sink::open(&engine, &settings).await {
        Ok(sink) => sink,
        // The destination exists, or cannot be written: a usage error.
        Err(e) => {
            eprintln!("error: {}", e.user_message());
            return ExitCode::from(2);
        }
    };
    for script in &scripts {
        let statements = split_statements(&script.text);
        let count = statements.len();
        for (i, statement) in statements.iter().enumerate() {
            let started = std::time::Instant::now();
            engine.scan_counters().reset();
            let result = execute(&engine, statement, settings.format, &mut sink).await;
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
    match sink.finish().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", message(&e));
            ExitCode::FAILURE
        }
    }
}

/// `lathe serve`: binds, says where, and serves until SIGINT or SIGTERM.
async fn serve(
    settings: &Settings,
    bind: std::net::IpAddr,
    port: u16,
    results: &Path,
    queries: &Path,
    require_credentials: bool,
) -> ExitCode {
    let credentials = if require_credentials {
        match (
            std::env::var("LATHE_SERVE_ACCESS_KEY_ID"),
            std::env::var("LATHE_SERVE_SECRET_ACCESS_KEY"),
        ) {
            (Ok(access_key), Ok(secret_key))
                if !access_key.is_empty() && !secret_key.is_empty() =>
            {
                Some(lathe::serve::Credentials {
                    access_key,
                    secret_key,
                })
            }
            _ => {
                eprintln!(
                    "error: --require-credentials needs LATHE_SERVE_ACCESS_KEY_ID and \
                     LATHE_SERVE_SECRET_ACCESS_KEY set"
                );
                return ExitCode::from(2);
            }
        }
    } else {
        None
    };
    if !bind.is_loopback() {
        eprintln!(
            "warning: serving on {bind}, reachable from other machines; lathe serve has no \
             encryption{}",
            if credentials.is_some() {
                ""
            } else {
                " and accepts any credentials (add --require-credentials)"
            }
        );
    }
    let options = lathe::serve::ServeOptions {
        addr: std::net::SocketAddr::new(bind, port),
        results_dir: results.to_path_buf(),
        queries_dir: queries.to_path_buf(),
        credentials,
    };
    let server = match lathe::serve::Server::bind(&settings.engine, options).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: {}", e.user_message());
            return ExitCode::FAILURE;
        }
    };
    match server.local_addr() {
        Ok(addr) => eprintln!(
            "lathe serve: Athena, Glue, STS and S3 on http://{addr} (results in {}); \
             AWS_ENDPOINT_URL=http://{addr}",
            results.display()
        ),
        Err(e) => eprintln!("error: {}", e.user_message()),
    }
    let shutdown = async {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    };
    match server.run(shutdown).await {
        Ok(()) => {
            eprintln!("lathe serve: stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}", e.user_message());
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
    sink: &mut Sink,
) -> anyhow::Result<usize> {
    let frame = engine.sql(sql).await?;
    let mut stream = frame.execute_stream().await.map_err(Error::from)?;
    if stream.schema().fields().is_empty() {
        // DDL and other statements without a result; their errors still count.
        while let Some(batch) = futures::StreamExt::next(&mut stream).await {
            batch.map_err(Error::from)?;
        }
        return Ok(0);
    }
    sink.write(stream, format).await
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

/// Where results go: stdout, or an export that puts its file at the
/// destination only when everything succeeded.
enum Sink {
    Stdout(std::io::BufWriter<std::io::Stdout>),
    File {
        export: Box<Export>,
        progress: progress::Progress,
    },
}

impl Sink {
    async fn open(engine: &Engine, settings: &Settings) -> lathe::Result<Self> {
        let Some((destination, spec)) = &settings.output else {
            return Ok(Sink::Stdout(std::io::BufWriter::new(std::io::stdout())));
        };
        let destination = engine.export_destination(destination)?;
        let export = Export::create(destination, *spec, settings.force).await?;
        let progress = progress::Progress::start(export.counters());
        Ok(Sink::File {
            export: Box::new(export),
            progress,
        })
    }

    async fn write(
        &mut self,
        stream: SendableRecordBatchStream,
        format: OutputFormat,
    ) -> anyhow::Result<usize> {
        let rows = match self {
            Sink::Stdout(out) => render::write_stream(stream, format, out).await?,
            Sink::File { export, .. } => {
                usize::try_from(export.write(stream).await?).unwrap_or(usize::MAX)
            }
        };
        Ok(rows)
    }

    async fn finish(self) -> anyhow::Result<()> {
        match self {
            Sink::Stdout(mut w) => Ok(w.flush()?),
            Sink::File { export, progress } => {
                let result = export.finish().await;
                drop(progress);
                result?;
                Ok(())
            }
        }
    }
}
