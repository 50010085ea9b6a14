//! Requests to S3 when any credentials are accepted. SigV4 cannot be checked
//! without the client's secret, and `s3s` verifies every signed request, so
//! the signature headers are removed and the request goes on as anonymous.
//! A body sent in `aws-chunked` framing (what boto3 and the AWS CLI use for
//! uploads with checksums) is unframed here first: `s3s` unframes only the
//! bodies whose signatures it checked.

use bytes::{Bytes, BytesMut};
use http::{HeaderValue, Request};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::Body;
use super::protocol::ApiError;

/// The largest upload body unframed in memory (one PutObject or one part).
const MAX_CHUNKED_BODY: usize = 5 << 30;

/// The request without its signature, its body unframed if it was framed.
pub(super) async fn anonymous(req: Request<Incoming>) -> Result<Request<Body>, ApiError> {
    let (mut parts, body) = req.into_parts();
    let sha = parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let encoding = parts
        .headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    parts.headers.remove(http::header::AUTHORIZATION);
    parts.headers.remove("x-amz-security-token");
    let framed =
        sha.starts_with("STREAMING-") || encoding.split(',').any(|e| e.trim() == "aws-chunked");
    if !framed {
        parts.headers.remove("x-amz-content-sha256");
        return Ok(Request::from_parts(parts, Body::from(body)));
    }
    let limited = http_body_util::Limited::new(body, MAX_CHUNKED_BODY);
    let framed_bytes = limited
        .collect()
        .await
        .map_err(|e| ApiError::invalid(format!("cannot read the upload body: {e}")))?
        .to_bytes();
    let data = unframe(&framed_bytes).map_err(ApiError::invalid)?;
    let remaining: Vec<&str> = encoding
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty() && *e != "aws-chunked")
        .collect();
    if remaining.is_empty() {
        parts.headers.remove(http::header::CONTENT_ENCODING);
    } else if let Ok(value) = HeaderValue::from_str(&remaining.join(", ")) {
        parts.headers.insert(http::header::CONTENT_ENCODING, value);
    }
    for name in [
        "x-amz-decoded-content-length",
        "x-amz-trailer",
        "x-amz-content-sha256",
    ] {
        parts.headers.remove(name);
    }
    parts
        .headers
        .insert(http::header::CONTENT_LENGTH, HeaderValue::from(data.len()));
    Ok(Request::from_parts(parts, Body::from(data)))
}

/// The data of an `aws-chunked` body: `size-in-hex[;chunk-signature=..]\r\n
/// data\r\n` chunks, a zero-size chunk, then optional trailers.
pub(super) fn unframe(framed: &[u8]) -> Result<Bytes, String> {
    let mut out = BytesMut::with_capacity(framed.len());
    let mut rest = framed;
    loop {
        let line_end = find_crlf(rest).ok_or("an aws-chunked body ends inside a chunk header")?;
        let header = std::str::from_utf8(&rest[..line_end])
            .map_err(|_| "an aws-chunked chunk header is not text")?;
        let size_text = header.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("an aws-chunked chunk size {size_text:?} is not hexadecimal"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(out.freeze());
        }
        if rest.len() < size {
            return Err("an aws-chunked body is shorter than its chunk sizes say".into());
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size..];
        rest = rest.strip_prefix(b"\r\n").unwrap_or(rest);
    }
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}
