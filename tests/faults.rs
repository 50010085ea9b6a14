//! Storage faults and secrets (issue 8): lathe reads the bundled sample from
//! s3s-fs (a real S3 server over a folder, on loopback) through a
//! fault-injecting proxy (`faults/proxy.rs`): throttling, 500s, connection
//! resets mid-body, truncated bodies, slow and silent answers. Transient
//! faults must give exactly the local copy's answer; permanent ones one
//! sentence naming the object or bucket, within a bounded time (a process
//! timeout, not a timing assertion); an export under faults is whole or absent.
//!
//! The secrets trials give lathe known secret values (environment and a
//! profile file), provoke errors, run SHOW/EXPLAIN/--stats and the shell, and
//! check the values appear in no output, error or history file.
//!
//! One named trial per check (libtest-mimic, `harness = false`), so that the
//! server lives exactly as long as the run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};

#[path = "faults/proxy.rs"]
mod proxy;
#[path = "aws/servers.rs"]
#[allow(dead_code)]
mod servers;

use proxy::{Fault, Proxy, Target};
use servers::Server;

/// The credentials s3s-fs accepts: known values that must never be printed.
const KEY: &str = "AKIALATHEFAULTS";
const SECRET: &str = "lathe-secret-9c41e2-never-print";
/// A session token given alongside (s3s-fs ignores it; lathe must not print it).
const TOKEN: &str = "lathe-token-77ab03-never-print";
/// A profile's secret that the server does not accept, and its token.
const WRONG_SECRET: &str = "lathe-wrong-secret-3d5f90-never-print";
const PROFILE_TOKEN: &str = "lathe-profile-token-51c8aa-never-print";
const SECRETS: [&str; 4] = [SECRET, TOKEN, WRONG_SECRET, PROFILE_TOKEN];

/// No lathe run may take longer than this; a run that does is killed and fails.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(150);

/// A JSON query (168 gzipped objects, one listing per hour) and a Parquet join
/// (footers and column chunks by range).
const QUERIES: [&str; 2] = ["daily_active_users", "customer_segment_revenue"];

struct Env {
    repo: PathBuf,
    s3s: Server,
    /// Each query's CSV on the local copy.
    local: Vec<(&'static str, String)>,
    _root: tempfile::TempDir,
}

fn main() {
    let args = Arguments::from_args();
    let env = Arc::new(start());
    let trials = trials(&env);
    let conclusion = libtest_mimic::run(&args, trials);
    drop(env);
    conclusion.exit();
}

fn start() -> Env {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // s3s-fs serves ROOT/BUCKET/KEY: the sample's folders are its buckets.
    let root = tempfile::tempdir().expect("a temporary folder");
    for (bucket, folder) in [
        ("acme-raw", "sample/raw"),
        ("acme-warehouse", "sample/warehouse"),
    ] {
        copy_tree(&repo.join(folder), &root.path().join(bucket));
    }
    let s3s = servers::s3s_fs(&repo, root.path(), KEY, SECRET);
    let local = QUERIES
        .iter()
        .map(|q| {
            let out = run(local_lathe(&repo).args(["--format", "csv", "run", q]));
            assert_eq!(out.code, 0, "local {q}: {}", out.stderr);
            (*q, out.stdout)
        })
        .collect();
    Env {
        repo,
        s3s,
        local,
        _root: root,
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a folder");
    for entry in std::fs::read_dir(from).expect("read a folder").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy a file");
        }
    }
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs lathe to completion, or kills it after [`PROCESS_TIMEOUT`] (exit -1).
fn run(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run lathe");
    let (mut out, mut err) = (child.stdout.take(), child.stderr.take());
    let stdout = std::thread::spawn(move || read_all(out.as_mut()));
    let stderr = std::thread::spawn(move || read_all(err.as_mut()));
    let started = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait for lathe") {
            break status.code().unwrap_or(-1);
        }
        if started.elapsed() > PROCESS_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break -1;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        code,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

fn read_all(pipe: Option<&mut impl std::io::Read>) -> String {
    let mut bytes = Vec::new();
    if let Some(pipe) = pipe {
        let _ = pipe.read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// lathe on the bundled sample's local copy (the bundled lathe.toml maps S3 to sample/).
fn local_lathe(repo: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lathe"));
    cmd.current_dir(repo).env("XDG_CONFIG_HOME", "/nonexistent");
    cmd
}

/// lathe reading the bundled catalog's `s3://` locations from `endpoint`.
fn s3_lathe(env: &Env, endpoint: &str) -> Command {
    let mut cmd = aws_lathe(env, endpoint);
    cmd.args(["--catalog", "catalog"]);
    cmd
}

/// lathe with the test's AWS settings, S3 at `endpoint`, and no catalog chosen.
fn aws_lathe(env: &Env, endpoint: &str) -> Command {
    let mut cmd = local_lathe(&env.repo);
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("AWS_ACCESS_KEY_ID", KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", TOKEN)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL_S3", endpoint)
        .env("RUST_LOG", "trace")
        .args(["--config", "/dev/null"]);
    cmd
}

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), Failed> {
    if ok { Ok(()) } else { Err(message().into()) }
}

type Check = Box<dyn FnOnce(&Env) -> Result<(), Failed> + Send>;

fn trials(env: &Arc<Env>) -> Vec<Trial> {
    let mut trials = Vec::new();
    let mut add = |name: &str, f: Check| {
        let env = Arc::clone(env);
        trials.push(Trial::test(name.to_string(), move || f(&env)));
    };
    let transient: [(&str, Fault, usize); 5] = [
        ("slowdown_503", Fault::Status(503, "SlowDown"), 3),
        ("internal_error_500", Fault::Status(500, "InternalError"), 3),
        ("reset_mid_body", Fault::ResetMidBody, 3),
        ("truncated_body", Fault::Truncate, 3),
        ("slow_answers", Fault::Slow(Duration::from_millis(1500)), 1),
    ];
    for (name, fault, times) in transient {
        for target in [Target::Listings, Target::Objects] {
            add(
                &format!("transient::{name}::{target:?}").to_lowercase(),
                Box::new(move |env| transient_fault(env, fault, times, target)),
            );
        }
    }
    let permanent: [(&str, Fault); 5] = [
        ("slowdown_503", Fault::Status(503, "SlowDown")),
        ("internal_error_500", Fault::Status(500, "InternalError")),
        ("reset_mid_body", Fault::ResetMidBody),
        ("truncated_body", Fault::Truncate),
        ("stall", Fault::Stall),
    ];
    for (name, fault) in permanent {
        add(
            &format!("permanent::{name}"),
            Box::new(move |env| permanent_fault(env, fault)),
        );
    }
    add(
        "export::transient_faults_give_the_whole_file",
        Box::new(export_transient),
    );
    add(
        "export::a_permanent_fault_leaves_no_file",
        Box::new(export_permanent),
    );
    add(
        "secrets::never_printed_in_errors",
        Box::new(secrets_in_errors),
    );
    add(
        "secrets::never_printed_by_show_explain_stats",
        Box::new(secrets_in_output),
    );
    add(
        "secrets::never_in_the_shell_history",
        Box::new(secrets_in_history),
    );
    trials
}

/// A fault on every request: one sentence naming the S3 object or prefix,
/// exit 1, within the process timeout.
fn permanent_fault(env: &Env, fault: Fault) -> Result<(), Failed> {
    let proxy = Proxy::start(&env.s3s.endpoint, fault, usize::MAX);
    let started = Instant::now();
    let out =
        run(s3_lathe(env, &proxy.endpoint).args(["-c", "SELECT count(*) FROM master.products"]));
    eprintln!(
        "{fault:?} on every request: exit {} after {:.1} s, {} requests: {}",
        out.code,
        started.elapsed().as_secs_f64(),
        proxy.requests(),
        out.stderr.trim_end()
    );
    check(out.code == 1, || {
        format!("{fault:?}: exit {}: {}", out.code, out.stderr)
    })?;
    check(
        out.stderr.lines().count() == 1
            && out.stderr.starts_with("error: ")
            && out.stderr.contains("s3://acme-warehouse/master/products"),
        || format!("{fault:?}: {}", out.stderr),
    )?;
    // Four attempts (lathe's MAX_ATTEMPTS); a stalled attempt times out after
    // 30 s, past the 20 s in which retries may start, so it is the only one.
    let attempts = if matches!(fault, Fault::Stall) { 1 } else { 4 };
    check(proxy.injected() == attempts, || {
        format!(
            "{fault:?}: {} attempts, expected {attempts}",
            proxy.injected()
        )
    })
}

fn export_transient(env: &Env) -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let local = dir.path().join("local.csv");
    let out = run(local_lathe(&env.repo)
        .arg("-o")
        .arg(&local)
        .args(["run", QUERIES[0]]));
    check(out.code == 0, || out.stderr.clone())?;
    for fault in [Fault::ResetMidBody, Fault::Status(503, "SlowDown")] {
        let proxy = Proxy::start_on(&env.s3s.endpoint, fault, 3, Target::Objects);
        let target = dir.path().join("s3.csv");
        let out = run(s3_lathe(env, &proxy.endpoint)
            .arg("-o")
            .arg(&target)
            .args(["--force", "run", QUERIES[0]]));
        check(out.code == 0, || format!("{fault:?}: {}", out.stderr))?;
        check(std::fs::read(&target)? == std::fs::read(&local)?, || {
            format!("{fault:?}: the export differs from the local one")
        })?;
        check(proxy.injected() == 3, || {
            format!("{fault:?}: {} injected", proxy.injected())
        })?;
    }
    Ok(())
}

fn export_permanent(env: &Env) -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let target = dir.path().join("out.csv");
    // The JSON objects fail after the listing succeeded: the export has begun.
    let proxy = Proxy::start(&env.s3s.endpoint, Fault::Truncate, usize::MAX);
    let out = run(s3_lathe(env, &proxy.endpoint)
        .arg("-o")
        .arg(&target)
        .args(["run", QUERIES[0]]));
    check(out.code == 1, || {
        format!("exit {}: {}", out.code, out.stderr)
    })?;
    let left: Vec<_> = std::fs::read_dir(dir.path())?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    check(left.is_empty(), || format!("left behind: {left:?}"))
}

/// Fails unless none of the known secrets occurs in `text`.
fn no_secret(what: &str, text: &str) -> Result<(), Failed> {
    for secret in SECRETS {
        check(!text.contains(secret), || {
            format!("{what} prints a secret: {text}")
        })?;
    }
    Ok(())
}

/// A credentials file with the known secrets: `lathe-ok` (accepted) and
/// `lathe-wrong` (a secret the server rejects).
fn profile_file(dir: &Path) -> std::io::Result<PathBuf> {
    let path = dir.join("credentials");
    std::fs::write(
        &path,
        format!(
            "[lathe-ok]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n\
             aws_session_token = {PROFILE_TOKEN}\n\n[lathe-wrong]\naws_access_key_id = {KEY}\n\
             aws_secret_access_key = {WRONG_SECRET}\naws_session_token = {PROFILE_TOKEN}\n"
        ),
    )?;
    Ok(path)
}

/// lathe with credentials from `profile` in the profile file only.
fn profile_lathe(env: &Env, endpoint: &str, file: &Path, profile: &str) -> Command {
    let mut cmd = s3_lathe(env, endpoint);
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_SHARED_CREDENTIALS_FILE", file)
        .env("AWS_PROFILE", profile);
    cmd
}

fn secrets_in_errors(env: &Env) -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let file = profile_file(dir.path())?;
    let closed = format!("http://127.0.0.1:{}", servers::free_port());
    let denied = Proxy::start(
        &env.s3s.endpoint,
        Fault::Status(403, "AccessDenied"),
        usize::MAX,
    );
    let sql = "SELECT count(*) FROM master.products";
    let cases: Vec<(&str, Command, &str)> = vec![
        (
            "access denied",
            {
                let mut c = s3_lathe(env, &denied.endpoint);
                c.args(["-c", sql]);
                c
            },
            "access denied to s3://acme-warehouse/master/products",
        ),
        (
            "bad endpoint",
            {
                let mut c = s3_lathe(env, &closed);
                c.args(["-c", sql]);
                c
            },
            "cannot reach S3 at",
        ),
        (
            "bad bucket",
            {
                let mut c = s3_lathe(env, &env.s3s.endpoint);
                c.args([
                    "--map",
                    "s3://acme-warehouse/=s3://no-such-bucket/",
                    "-c",
                    sql,
                ]);
                c
            },
            "S3 bucket no-such-bucket does not exist",
        ),
        (
            "rejected secret from a profile",
            {
                let mut c = profile_lathe(env, &env.s3s.endpoint, &file, "lathe-wrong");
                c.args(["-c", sql]);
                c
            },
            "S3 rejected the AWS credentials",
        ),
        (
            "unreachable Glue",
            {
                let mut c = aws_lathe(env, &env.s3s.endpoint);
                c.env("AWS_ENDPOINT_URL_GLUE", &closed)
                    .args(["--catalog", "glue", "-c", sql]);
                c
            },
            "cannot reach Glue at",
        ),
        (
            "access denied with a profile",
            {
                let mut c = profile_lathe(env, &denied.endpoint, &file, "lathe-ok");
                c.args(["--stats", "-c", sql]);
                c
            },
            "access denied to s3://acme-warehouse/master/products",
        ),
    ];
    for (what, mut cmd, expected) in cases {
        let out = run(&mut cmd);
        check(
            out.code == 1 && out.stderr.starts_with(&format!("error: {expected}")),
            || format!("{what}: exit {}: {}", out.code, out.stderr),
        )?;
        no_secret(what, &out.stdout)?;
        no_secret(what, &out.stderr)?;
    }
    Ok(())
}

fn secrets_in_output(env: &Env) -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let file = profile_file(dir.path())?;
    let statements = [
        "SHOW CREATE TABLE master.products",
        "SHOW TBLPROPERTIES web.clickstream",
        "DESCRIBE FORMATTED master.orders",
        "EXPLAIN SELECT count(*) FROM master.products",
        "EXPLAIN ANALYZE SELECT count(*) FROM master.products",
        "EXPLAIN VERBOSE SELECT count(*) FROM master.products",
        "SELECT name, value FROM information_schema.df_settings",
        "SELECT count(*) AS n FROM master.products",
    ];
    for mut cmd in [
        s3_lathe(env, &env.s3s.endpoint),
        profile_lathe(env, &env.s3s.endpoint, &file, "lathe-ok"),
    ] {
        let mut script = String::new();
        for s in statements {
            script.push_str(s);
            script.push_str(";\n");
        }
        let out = run(cmd.args(["--stats", "--format", "csv", "-c", &script]));
        check(out.code == 0, || out.stderr.clone())?;
        check(
            out.stdout.contains("\"n\"\n\"120\"") && out.stdout.contains("datafusion.execution"),
            || out.stdout.clone(),
        )?;
        check(out.stderr.contains("scanned"), || out.stderr.clone())?;
        no_secret("SHOW/EXPLAIN/--stats output", &out.stdout)?;
        no_secret("SHOW/EXPLAIN/--stats stderr", &out.stderr)?;
    }
    Ok(())
}

fn secrets_in_history(env: &Env) -> Result<(), Failed> {
    use rexpect::session::spawn_command;
    let dir = tempfile::tempdir()?;
    let data_home = dir.path().join("data");
    let mut cmd = s3_lathe(env, &env.s3s.endpoint);
    cmd.env("XDG_DATA_HOME", &data_home).env("TERM", "xterm");
    let mut shell = spawn_command(cmd, Some(60_000))?;
    shell.exp_string("\\? for help")?;
    shell.send_line("SELECT count(*) AS n FROM master.products;")?;
    shell.exp_string("| 120 ")?;
    shell.send_line("SELECT count(*) FROM master.nothing;")?;
    shell.exp_string("error: table master.nothing does not exist")?;
    shell.send_line("EXPLAIN SELECT * FROM web.clickstream;")?;
    shell.exp_string("DataSourceExec")?;
    shell.send_line("\\q")?;
    let rest = shell.exp_eof()?;
    no_secret("the shell", &rest)?;
    let mut files = 0;
    let mut stack = vec![data_home];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path)? {
                stack.push(entry?.path());
            }
        } else {
            files += 1;
            let text = String::from_utf8_lossy(&std::fs::read(&path)?).into_owned();
            no_secret(&path.display().to_string(), &text)?;
            check(text.contains("master.products"), || {
                format!("{}: {text}", path.display())
            })?;
        }
    }
    check(files == 1, || format!("{files} files under XDG_DATA_HOME"))
}

/// A fault on the first `times` listings or object reads: every query
/// still gives the local answer.
fn transient_fault(env: &Env, fault: Fault, times: usize, target: Target) -> Result<(), Failed> {
    for (query, expected) in &env.local {
        let proxy = Proxy::start_on(&env.s3s.endpoint, fault, times, target);
        let out = run(s3_lathe(env, &proxy.endpoint).args(["--format", "csv", "run", query]));
        check(out.code == 0 && out.stderr.is_empty(), || {
            format!(
                "{query} through {fault:?}: exit {}: {}",
                out.code, out.stderr
            )
        })?;
        check(&out.stdout == expected, || {
            format!(
                "{query} through {fault:?}: wrong answer\n{}\nexpected\n{expected}",
                out.stdout
            )
        })?;
        check(proxy.injected() == times, || {
            format!(
                "{query}: {} of {times} faults injected ({} requests)",
                proxy.injected(),
                proxy.requests()
            )
        })?;
    }
    Ok(())
}
