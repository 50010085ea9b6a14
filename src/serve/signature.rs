//! SigV4 verification of the JSON and STS requests under
//! `--require-credentials` (S3 requests are verified by `s3s`, which accepts
//! only the `s3` and `sts` scopes). AWS's algorithm: the canonical request,
//! the string to sign and the derived signing key, compared in constant time.
//! The secret key never appears in a message.

use http::request::Parts;

use super::Credentials;
use super::protocol::ApiError;
use crate::functions::binary::{hmac, sha256_of};

/// Checks the request's `Authorization` header against `credentials`.
pub(super) fn verify(
    parts: &Parts,
    body: &[u8],
    credentials: &Credentials,
) -> Result<(), ApiError> {
    let denied = |why: &str| {
        ApiError::new(
            http::StatusCode::FORBIDDEN,
            "UnrecognizedClientException",
            format!("the request is not signed with lathe serve's credentials: {why}"),
        )
    };
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let authorization = header("authorization").ok_or_else(|| denied("it carries no signature"))?;
    let fields = authorization
        .strip_prefix("AWS4-HMAC-SHA256")
        .ok_or_else(|| denied("it is not signed with AWS4-HMAC-SHA256"))?;
    let field = |name: &str| {
        fields
            .split(',')
            .map(str::trim)
            .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
    };
    let (Some(credential), Some(signed_headers), Some(signature)) = (
        field("Credential"),
        field("SignedHeaders"),
        field("Signature"),
    ) else {
        return Err(denied("its Authorization header is incomplete"));
    };
    let (access_key, scope) = credential
        .split_once('/')
        .ok_or_else(|| denied("its credential has no scope"))?;
    if access_key != credentials.access_key {
        return Err(denied(&format!(
            "access key {access_key} is not the configured one"
        )));
    }
    let date = header("x-amz-date").ok_or_else(|| denied("it has no X-Amz-Date"))?;
    let mut canonical_headers = String::new();
    for name in signed_headers.split(';') {
        let value = if name == "host" {
            header("host").or_else(|| parts.uri.authority().map(|a| a.as_str()))
        } else {
            header(name)
        }
        .unwrap_or("");
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        canonical_headers.push_str(&format!("{name}:{value}\n"));
    }
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        parts.method,
        canonical_path(parts.uri.path()),
        canonical_query(parts.uri.query().unwrap_or("")),
        canonical_headers,
        signed_headers,
        hex(&sha256_of(body))
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
        hex(&sha256_of(canonical_request.as_bytes()))
    );
    let mut key = format!("AWS4{}", credentials.secret_key).into_bytes();
    for part in scope.split('/') {
        key = hmac(&key, part.as_bytes(), 64, sha256_of);
    }
    let expected = hex(&hmac(&key, string_to_sign.as_bytes(), 64, sha256_of));
    let same = expected.len() == signature.len()
        && expected
            .bytes()
            .zip(signature.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(denied("the signature does not match"))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Each path segment URI-encoded once (the path arrives encoded already;
/// decoding first keeps the encoding canonical).
fn canonical_path(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    path.split('/')
        .map(|segment| {
            uri_encode(&percent_encoding::percent_decode_str(segment).decode_utf8_lossy())
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode =
                |s: &str| uri_encode(&percent_encoding::percent_decode_str(s).decode_utf8_lossy());
            (decode(k), decode(v))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// RFC 3986 encoding of everything but the unreserved characters.
fn uri_encode(text: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, UNRESERVED).to_string()
}
