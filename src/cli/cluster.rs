//! `lathe cluster scheduler|executor`: Ballista's scheduler and executor
//! processes, with Ballista's own flags, running lathe's queries (see
//! `lathe::cluster` for what lathe adds to them).

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// How to call it, for usage errors.
const USAGE: &str = "usage: lathe cluster scheduler|executor [FLAGS] (--help after the role lists Ballista's flags)";

/// Runs `lathe cluster ROLE ARGS...`; `args` are what follows `cluster`.
pub(crate) fn main(args: &[OsString]) -> ExitCode {
    let Some((role, rest)) = args.split_first() else {
        eprintln!("error: {USAGE}");
        return ExitCode::from(2);
    };
    let role = role.to_string_lossy().into_owned();
    let program = OsString::from(format!("lathe cluster {role}"));
    let argv = std::iter::once(program).chain(rest.iter().cloned());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Ballista's scheduler binary plans deep queries on 32 MB stacks.
        .thread_stack_size(32 * 1024 * 1024)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match role.as_str() {
        "scheduler" => {
            let opt = ballista_scheduler::config::Config::parse_from(argv);
            init_logging(&opt.log_level_setting);
            let address = format!("{}:{}", opt.bind_host, opt.bind_port);
            let address = match address.parse() {
                Ok(a) => a,
                Err(e) => {
                    eprintln!(
                        "error: --bind-host and --bind-port make {address}, not an address: {e}"
                    );
                    return ExitCode::from(2);
                }
            };
            match ballista_scheduler::config::SchedulerConfig::try_from(opt) {
                Ok(config) => runtime.block_on(lathe::cluster::run_scheduler(address, config)),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        "executor" => {
            let opt = ballista_executor::config::Config::parse_from(argv);
            init_logging(&opt.log_level_setting);
            match ballista_executor::executor_process::ExecutorProcessConfig::try_from(opt) {
                Ok(config) => runtime.block_on(lathe::cluster::run_executor(config)),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        other => {
            eprintln!("error: unknown cluster role {other:?}; {USAGE}");
            return ExitCode::from(2);
        }
    };
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.user_message());
            ExitCode::FAILURE
        }
    }
}

/// Ballista's log lines on stderr, filtered by `RUST_LOG` or Ballista's
/// `--log-level-setting`.
fn init_logging(level: &str) {
    let filter = std::env::var(EnvFilter::DEFAULT_ENV).unwrap_or_else(|_| level.to_string());
    // Fails only when a subscriber is installed already, which is harmless.
    let _ = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::new(filter))
        .try_init();
}
