//! A cluster's failures, as the one sentence lathe prints.
//!
//! Ballista hands a client the failures of its scheduler and executors as
//! text only: the `{:?}` of each error, nested in Ballista's own words
//! (`Job 0ABC failed: Job failed due to stage 1 failed: Task failed due to
//! runtime execution error: DataFusionError(…)`), or the `{:?}` of a gRPC
//! status. lathe's own errors print their sentence as their `{:?}`
//! (`lathe::Error("…")`), so it is found again here, however deeply it was
//! nested (each level escapes it once more); another error is reduced to
//! its innermost message. These are pure functions of the text, unit-tested
//! on texts Ballista 55 produced.

use crate::error::{DEBUG_NAME, Error};

/// Wrappers of error categories that say nothing to a user.
const CATEGORIES: [&str; 6] = [
    "Object Store error: ",
    "External error: ",
    "Parquet error: ",
    "Execution error: ",
    "Arrow error: ",
    "DataFusion error: ",
];

/// The sentence for a failure reported by Ballista's client, or `None` when
/// `text` is not one.
pub(crate) fn failure_message(text: &str) -> Option<String> {
    // A job the scheduler accepted, failed by one of its tasks (on an
    // executor) or by the scheduler's planning of its stages.
    if let Some((job, reason)) = text
        .strip_prefix("Job ")
        .and_then(|rest| rest.split_once(" failed: "))
        && !job.contains(' ')
    {
        let place = if reason.contains("Task failed") {
            "a cluster executor"
        } else {
            "the cluster"
        };
        return Some(format!("the query failed on {place}: {}", cause(reason)));
    }
    // The query's results, fetched from an executor that has gone since.
    if let Some(rest) = after(
        text,
        "Error connecting to Ballista scheduler or executor at ",
    ) {
        let address = rest.split(": ").next().unwrap_or(rest);
        return Some(format!(
            "the cluster ran the query, but its results cannot be fetched from the executor at \
             {address} ({}); the executor has stopped, run the query again",
            connect_reason(text)
        ));
    }
    // The scheduler refused the query before it became a job.
    if let Some((code, message)) = status(text) {
        if let Some(ours) = ours(&message) {
            return Some(ours);
        }
        if code == "Unavailable" || message.contains("connect") {
            return Some(unreachable(text));
        }
        return Some(format!(
            "the Ballista scheduler refused the query: {}",
            cause(&message)
        ));
    }
    if text.contains("tcp connect error") || text.starts_with("tonic::transport::Error") {
        return Some(unreachable(text));
    }
    if let Some(rest) = after(text, "Fail to execute query due to ") {
        return Some(format!(
            "the Ballista scheduler could not plan the query: {}",
            cause(rest)
        ));
    }
    None
}

/// What failed, in a job's failure reason: lathe's sentence, else the
/// innermost message without its categories.
fn cause(reason: &str) -> String {
    if let Some(ours) = ours(reason) {
        return ours;
    }
    let mut text = innermost(reason);
    for category in CATEGORIES {
        text = text.replace(category, "");
    }
    // object_store's "Generic S3 error: " and the like.
    while let Some(at) = text.find("Generic ") {
        let Some(end) = text[at..].find(" error: ") else {
            break;
        };
        text.replace_range(at..at + end + " error: ".len(), "");
    }
    text.trim_end().to_string()
}

/// The scheduler at the address a transport error names cannot be reached.
fn unreachable(text: &str) -> String {
    let reason = connect_reason(text);
    match after(text, "ConnectError(\"tcp connect error\", ")
        .and_then(|rest| rest.split(',').next())
    {
        Some(address) => Error::SchedulerUnreachable {
            url: format!("df://{address}"),
            reason,
        }
        .to_string(),
        None => format!(
            "cannot reach the Ballista scheduler ({reason}); start one with `lathe cluster \
             scheduler` or check --cluster"
        ),
    }
}

/// Why a connection failed: the operating system's words where the text
/// has them (`Connection refused`), else the transport's.
fn connect_reason(text: &str) -> String {
    if let Some(rest) = after(text, "kind: ")
        && let Some(message) = after(rest, "message: \"").and_then(literal)
    {
        return message;
    }
    if text.contains("tcp connect error") {
        return "tcp connect error".into();
    }
    "the connection failed".into()
}

/// A gRPC status in `text`: its code and its (unescaped) message.
fn status(text: &str) -> Option<(String, String)> {
    let rest = after(text, "Status { code: ")?;
    let code = rest.split([',', ' ']).next()?.to_string();
    let message = after(rest, "message: \"").and_then(literal)?;
    Some((code, message))
}

/// lathe's own sentence in a `{:?}` text, unescaped as often as it was
/// escaped on its way.
fn ours(text: &str) -> Option<String> {
    let marker = format!("{DEBUG_NAME}(\"");
    let mut text = text.to_string();
    loop {
        if let Some(rest) = after(&text, &marker) {
            return literal(rest);
        }
        if !text.contains('\\') {
            return None;
        }
        text = unescape(&text);
    }
}

/// The innermost message of a `{:?}` text: the string of its first
/// `Variant("…")`, itself searched again; the text itself when it has none.
fn innermost(text: &str) -> String {
    let mut text = text.to_string();
    while let Some(inner) = after(&text, "(\"").and_then(literal) {
        text = inner;
    }
    text
}

/// What follows the first `marker` in `text`.
fn after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    text.find(marker).map(|at| &text[at + marker.len()..])
}

/// The Rust string literal `text` starts inside of (just after its opening
/// quote), unescaped; `None` when it does not close.
fn literal(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => escaped(&mut chars, &mut out)?,
            c => out.push(c),
        }
    }
    None
}

/// `text` with one level of `{:?}` escaping undone, quotes included.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' || escaped(&mut chars, &mut out).is_none() {
            out.push(c);
        }
    }
    out
}

/// Reads one escape after its backslash into `out`.
fn escaped(chars: &mut std::str::Chars<'_>, out: &mut String) -> Option<()> {
    match chars.next()? {
        'n' => out.push('\n'),
        't' => out.push('\t'),
        'r' => out.push('\r'),
        '0' => out.push('\0'),
        'u' => {
            let code: String = chars.by_ref().take_while(|&c| c != '}').collect();
            let code = u32::from_str_radix(code.strip_prefix('{')?, 16).ok()?;
            out.push(char::from_u32(code)?);
        }
        other => out.push(other),
    }
    Some(())
}

#[cfg(test)]
mod tests;
