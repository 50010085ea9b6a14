//! A bucket in another region, as real S3 answers for one: a stub HTTP
//! server on loopback (std only) that answers every request as S3 does when
//! a request for `far-bucket` (in eu-west-1) is signed for us-east-1 —
//! either `301 PermanentRedirect` with `x-amz-bucket-region`, or
//! `400 AuthorizationHeaderMalformed` naming the expected region. lathe must
//! fail with one sentence naming the bucket and its region, and promptly:
//! the process gets a generous deadline, after which it is killed and the
//! test fails (no timing is asserted).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::time::{Duration, Instant};

use libtest_mimic::Failed;

use super::{Env, Output, aws_lathe, check};

/// Far beyond any answer lathe should take; only a hang reaches it.
const DEADLINE: Duration = Duration::from_secs(90);

/// How the stub answers.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    /// `301 Moved Permanently`, `<Code>PermanentRedirect</Code>`, and the
    /// bucket's region in `x-amz-bucket-region` (no `Location` header).
    PermanentRedirect,
    /// `400 Bad Request`, `<Code>AuthorizationHeaderMalformed</Code>` with
    /// `<Region>` (and the region header, as S3 sends it).
    AuthorizationHeaderMalformed,
}

const BUCKET: &str = "far-bucket";
const REGION: &str = "eu-west-1";

fn answer(mut stream: TcpStream, answer: Answer) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let is_head = head.starts_with(b"HEAD ");
    let (status, body) = match answer {
        Answer::PermanentRedirect => (
            "301 Moved Permanently",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PermanentRedirect</Code>\
                 <Message>The bucket you are attempting to access must be addressed using the \
                 specified endpoint. Please send all future requests to this endpoint.</Message>\
                 <Endpoint>{BUCKET}.s3.{REGION}.amazonaws.com</Endpoint><Bucket>{BUCKET}</Bucket>\
                 <RequestId>0123456789ABCDEF</RequestId><HostId>stub</HostId></Error>"
            ),
        ),
        Answer::AuthorizationHeaderMalformed => (
            "400 Bad Request",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\
                 <Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is \
                 malformed; the region 'us-east-1' is wrong; expecting '{REGION}'</Message>\
                 <Region>{REGION}</Region><RequestId>0123456789ABCDEF</RequestId>\
                 <HostId>stub</HostId></Error>"
            ),
        ),
    };
    let body = if is_head { String::new() } else { body };
    let response = format!(
        "HTTP/1.1 {status}\r\nx-amz-bucket-region: {REGION}\r\nx-amz-request-id: \
         0123456789ABCDEF\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

/// Starts the stub on a free loopback port; it serves until the process ends.
fn stub(kind: Answer) -> Result<String, Failed> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream, kind));
        }
    });
    Ok(endpoint)
}

/// Runs lathe, killing it (and failing) past [`DEADLINE`].
fn run_bounded(cmd: &mut std::process::Command) -> Result<Output, Failed> {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let started = Instant::now();
    while child.try_wait()?.is_none() {
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("lathe still running after {DEADLINE:?}: it hangs").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output()?;
    // Reported, not asserted: the machine's load decides it.
    eprintln!("lathe answered in {:.2} s", started.elapsed().as_secs_f64());
    Ok(Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// A table in `far-bucket` read, and an export to it, with AWS_REGION=us-east-1.
pub fn wrong_region(env: &Env, kind: Answer) -> Result<(), Failed> {
    let endpoint = stub(kind)?;
    let catalog = tempfile::tempdir()?;
    std::fs::create_dir(catalog.path().join("far"))?;
    let table = serde_json::json!({"Table": {
        "Name": "events",
        "StorageDescriptor": {
            "Columns": [{"Name": "id", "Type": "bigint"}],
            "Location": format!("s3://{BUCKET}/events/"),
            "SerdeInfo": {"SerializationLibrary":
                "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}
        },
        "PartitionKeys": []
    }});
    std::fs::write(
        catalog.path().join("far/events.json"),
        serde_json::to_vec(&table)?,
    )?;
    let folder = catalog
        .path()
        .to_str()
        .ok_or("temporary folder not UTF-8")?;
    let expected = format!(
        "error: S3 bucket {BUCKET} is in region {REGION}, not us-east-1; set \
         AWS_REGION={REGION} (and point any AWS_ENDPOINT_URL_S3 at that region)\n"
    );
    let read = run_bounded(
        aws_lathe(env, &endpoint, folder).args(["-c", "SELECT count(*) FROM far.events"]),
    )?;
    check(read.code == 1 && read.stderr == expected, || {
        format!("{kind:?}, a read: exit {}: {:?}", read.code, read.stderr)
    })?;
    let url = format!("s3://{BUCKET}/exports/one.csv");
    let write =
        run_bounded(aws_lathe(env, &endpoint, folder).args(["-c", "SELECT 1", "-o", &url]))?;
    // The destination is checked before the query runs: a usage error (exit 2).
    check(write.code == 2 && write.stderr == expected, || {
        format!(
            "{kind:?}, an export: exit {}: {:?}",
            write.code, write.stderr
        )
    })
}
