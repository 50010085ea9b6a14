//! Local AWS servers for the tests, on loopback and free ports: moto_server
//! (S3, Glue, IAM) and s3s-fs (a real S3 server over a folder). Each is
//! stopped when its guard drops. A server that cannot start fails the test
//! run: these tests never skip.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running server; killed on drop.
pub struct Server {
    name: &'static str,
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(name: &'static str, mut command: Command, port: u16) -> Server {
        command.stdout(Stdio::null()).stderr(Stdio::null());
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({command:?}): {e}"));
        let mut server = Server {
            name,
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("{} exited before serving ({status})", server.name);
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "{} did not listen on port {port} within {START_TIMEOUT:?}",
                server.name
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("cannot bind a loopback port");
    listener.local_addr().expect("no local address").port()
}

/// moto_server from the test virtualenv. `extra_env` e.g. turns IAM checks on.
pub fn moto(python: &Path, extra_env: &[(&str, &str)]) -> Server {
    let bin = python.with_file_name("moto_server");
    let port = free_port();
    let mut command = Command::new(&bin);
    command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
    command.envs(extra_env.iter().copied());
    Server::start("moto_server", command, port)
}

/// s3s-fs over `root`, accepting only `key`/`secret`; installed by `scripts/test-tools`.
pub fn s3s_fs(repo: &Path, root: &Path, key: &str, secret: &str) -> Server {
    let out = Command::new(repo.join("scripts/test-tools"))
        .output()
        .expect("cannot run scripts/test-tools");
    assert!(
        out.status.success(),
        "scripts/test-tools failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let port = free_port();
    let mut command = Command::new(bin);
    command
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", key, "--secret-key", secret])
        .arg(root);
    Server::start("s3s-fs", command, port)
}
