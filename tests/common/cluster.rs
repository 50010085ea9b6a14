//! A Ballista cluster of real `lathe cluster` processes on loopback: one
//! scheduler and two executors on free ports, each logging to a file in the
//! cluster's work folder, all killed when the cluster is dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a process may take to listen on its port.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A port nothing listens on at the moment.
///
/// Never the same port twice in one test binary: a cluster takes several
/// ports before any process binds them, and two that came back equal made
/// an executor fail to bind (the test then waited for it in vain).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("no free loopback port")
            .local_addr()
            .expect("no local address")
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// The running processes: the scheduler first, then the executors.
pub struct SubprocessCluster {
    /// `df://127.0.0.1:PORT`, for `--cluster`.
    pub url: String,
    children: Vec<Child>,
    work: tempfile::TempDir,
}

impl SubprocessCluster {
    /// Starts the scheduler with Ballista's `scheduler_args` and two
    /// executors with `executor_args`; `configure` sets each process's
    /// environment. Returns once all three listen.
    pub fn start(
        configure: impl Fn(&mut Command),
        scheduler_args: &[&str],
        executor_args: &[&str],
    ) -> Self {
        let work = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut cluster = Self {
            url: format!("df://127.0.0.1:{port}"),
            children: Vec::new(),
            work,
        };
        let mut scheduler = cluster.command("scheduler", &configure);
        scheduler
            .args(["--bind-host", "127.0.0.1", "--external-host", "127.0.0.1"])
            .args(["--bind-port", &port.to_string()])
            .args(scheduler_args);
        cluster.spawn(scheduler, port, "scheduler");
        for i in 0..2 {
            let name = format!("executor-{i}");
            let dir = cluster.work_dir(i);
            std::fs::create_dir_all(&dir).unwrap();
            let flight = free_port();
            let mut executor = cluster.command(&name, &configure);
            executor
                .args(["--bind-host", "127.0.0.1", "--external-host", "127.0.0.1"])
                .args(["--scheduler-host", "127.0.0.1"])
                .args(["--scheduler-port", &port.to_string()])
                .args(["--bind-port", &flight.to_string()])
                .args(["--bind-grpc-port", &free_port().to_string()])
                .arg("--work-dir")
                .arg(&dir)
                // One task at a time: a stage's two tasks (two partitions on
                // two cores) run on both executors, not both on the first.
                .args(["--vcores", "1"])
                .args(executor_args);
            cluster.spawn(executor, flight, &name);
        }
        cluster
    }

    /// Executor `i`'s work folder (its shuffle files).
    pub fn work_dir(&self, i: usize) -> PathBuf {
        self.work.path().join(format!("executor-{i}"))
    }

    /// What a process (`scheduler`, `executor-0`, ...) has logged so far.
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.log_path(name)).unwrap_or_default()
    }

    /// Kills executor `i` at once (SIGKILL: it says goodbye to nobody).
    pub fn kill_executor(&mut self, i: usize) {
        let child = &mut self.children[1 + i];
        child.kill().expect("cannot kill the executor");
        child.wait().unwrap();
    }

    /// Kills every process; the scheduler's URL then refuses connections.
    pub fn stop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn log_path(&self, name: &str) -> PathBuf {
        self.work.path().join(format!("{name}.log"))
    }

    fn command(&self, role_name: &str, configure: &impl Fn(&mut Command)) -> Command {
        let role = if role_name == "scheduler" {
            "scheduler"
        } else {
            "executor"
        };
        let log = std::fs::File::create(self.log_path(role_name)).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_lathe"));
        command
            .current_dir(super::repo())
            .args(["cluster", role])
            .stdout(Stdio::null())
            .stderr(log);
        configure(&mut command);
        command
    }

    fn spawn(&mut self, mut command: Command, port: u16, name: &str) {
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start lathe cluster ({name}): {e}"));
        self.children.push(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = (self.children.iter_mut()).find_map(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                panic!(
                    "a cluster process exited with {status} before the {name} listened: {}",
                    self.log(name)
                );
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "the {name} did not listen on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for SubprocessCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The entries of a folder (none when it does not exist).
pub fn entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}
