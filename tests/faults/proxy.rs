//! A fault-injecting HTTP proxy on loopback, between lathe and a real S3
//! server. Plain threads, one request per connection (every answer says
//! `Connection: close`), so each request is one decision: pass it on, or
//! answer with the configured fault. Requests are forwarded unchanged (the
//! `Host` header included, so SigV4 signatures still verify upstream).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// What the proxy does to the first `times` eligible requests (`usize::MAX`:
/// every one); later requests pass through untouched.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// An S3 error answer: status and AWS error code (`503 SlowDown`, `500 InternalError`).
    Status(u16, &'static str),
    /// The head and half the body, then a TCP reset.
    ResetMidBody,
    /// A `Content-Length` larger than the bytes sent, then a clean close.
    Truncate,
    /// Waits this long before answering, then dribbles the body.
    Slow(Duration),
    /// Reads the request and never answers.
    Stall,
}

/// Which requests a fault may hit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// Any request.
    All,
    /// Listings only (`GET /bucket?list-type=2...`).
    Listings,
    /// Object reads only (`GET /bucket/key`).
    Objects,
}

/// A running proxy; stops accepting when dropped.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    requests: Arc<AtomicUsize>,
    injected: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

impl Proxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`) injecting
    /// `fault` into the first `times` eligible requests.
    pub fn start(upstream: &str, fault: Fault, times: usize) -> Proxy {
        Proxy::start_on(upstream, fault, times, Target::All)
    }

    /// As [`Proxy::start`], with faults only on the `target` requests.
    pub fn start_on(upstream: &str, fault: Fault, times: usize, target: Target) -> Proxy {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("the upstream is http://host:port")
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("cannot bind a loopback port");
        let port = listener.local_addr().expect("no local address").port();
        let proxy = Proxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            requests: Arc::default(),
            injected: Arc::default(),
            stop: Arc::default(),
            port,
        };
        let (requests, injected, stop) = (
            Arc::clone(&proxy.requests),
            Arc::clone(&proxy.injected),
            Arc::clone(&proxy.stop),
        );
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let upstream = upstream.clone();
                let (requests, injected) = (Arc::clone(&requests), Arc::clone(&injected));
                std::thread::spawn(move || {
                    let _ = serve(
                        conn,
                        &upstream,
                        (fault, times, target),
                        &requests,
                        &injected,
                    );
                });
            }
        });
        proxy
    }

    /// Requests seen so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Faults injected so far.
    pub fn injected(&self) -> usize {
        self.injected.load(Ordering::SeqCst)
    }
}

/// Takes the next fault slot, if any is left.
fn take(injected: &AtomicUsize, times: usize) -> bool {
    injected
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            (n < times).then_some(n + 1)
        })
        .is_ok()
}

fn serve(
    conn: TcpStream,
    upstream: &str,
    (fault, times, target): (Fault, usize, Target),
    requests: &AtomicUsize,
    injected: &AtomicUsize,
) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut client = conn;
    let Some(request) = read_request(&mut reader)? else {
        return Ok(());
    };
    requests.fetch_add(1, Ordering::SeqCst);
    let line = String::from_utf8_lossy(&request[..request.len().min(2048)]);
    let line = line.lines().next().unwrap_or_default();
    let listing = line.contains("list-type=");
    let eligible = match target {
        Target::All => true,
        Target::Listings => listing,
        Target::Objects => line.starts_with("GET ") && !listing,
    };
    // An ineligible request passes through, counted but untouched.
    let times = if eligible { times } else { 0 };
    if let Fault::Status(status, code) = fault
        && take(injected, times)
    {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
             <Message>injected by the test proxy</Message><RequestId>LATHEFAULT</RequestId></Error>"
        );
        let reason = if status == 503 {
            "Service Unavailable"
        } else {
            "Internal Server Error"
        };
        write!(
            client,
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        return client.flush();
    }
    if matches!(fault, Fault::Stall) && take(injected, times) {
        // Hold the connection until the client gives up.
        let mut sink = [0u8; 1];
        let _ = reader.read(&mut sink);
        return Ok(());
    }
    let mut up = TcpStream::connect(upstream)?;
    up.write_all(&request)?;
    let mut response = Vec::new();
    up.read_to_end(&mut response)?;
    let (head_len, content_length) = response_head(&response);
    let body_len = response.len() - head_len;
    let has_body = content_length.is_some_and(|n| n > 1 && n == body_len);
    match fault {
        Fault::ResetMidBody if has_body && take(injected, times) => {
            client.write_all(&response[..head_len + body_len / 2])?;
            client.flush()?;
            // Linger 0: close() sends RST instead of FIN.
            socket2::SockRef::from(&client).set_linger(Some(Duration::ZERO))?;
            drop(client);
        }
        Fault::Truncate if has_body && take(injected, times) => {
            client.write_all(&response[..head_len + body_len / 2])?;
            client.flush()?;
            client.shutdown(Shutdown::Both)?;
        }
        Fault::Slow(delay) if take(injected, times) => {
            std::thread::sleep(delay);
            client.write_all(&response[..head_len])?;
            for piece in response[head_len..].chunks(body_len / 4 + 1) {
                client.write_all(piece)?;
                client.flush()?;
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        _ => client.write_all(&response)?,
    }
    Ok(())
}

/// Reads one request (head and `Content-Length` body) and returns it ready to
/// forward, with `Connection: close`. `None` when the client sent nothing.
fn read_request(reader: &mut impl BufRead) -> std::io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    let mut content_length = 0usize;
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        if line == b"\r\n" {
            break;
        }
        let text = String::from_utf8_lossy(&line).to_ascii_lowercase();
        if text.starts_with("connection:") {
            continue;
        }
        if let Some(value) = text.strip_prefix("content-length:") {
            content_length = value.trim().parse().unwrap_or(0);
        }
        head.extend_from_slice(&line);
    }
    head.extend_from_slice(b"Connection: close\r\n\r\n");
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body)?;
    head.extend_from_slice(&body);
    Ok(Some(head))
}

/// The length of a response's head (through the blank line) and its `Content-Length`.
fn response_head(response: &[u8]) -> (usize, Option<usize>) {
    let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return (response.len(), None);
    };
    let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok());
    (end + 4, length)
}
