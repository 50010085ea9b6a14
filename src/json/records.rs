//! CloudTrail's log files, as `com.amazon.emr.cloudtrail.CloudTrailInputFormat`
//! reads them: each file is one JSON document, `{"Records": [event, ...]}`,
//! and each event is a row.
//!
//! The events are handed to the line decoder as one line each, cut out of
//! the document as written (keys in their order and case, numbers as
//! written), so the SerDe that the table names (CloudTrail's, Hive's or
//! OpenX's JSON SerDe) reads them exactly as it reads JSON lines.

use serde::de::IgnoredAny;

/// The events of one CloudTrail document as JSON lines, or why the file is
/// not one. A JSON object without `Records` holds no events: CloudTrail's
/// digest files (under `CloudTrail-Digest/`, beside the logs) are such.
pub(crate) fn records_as_lines(text: &[u8]) -> Result<Vec<u8>, String> {
    let not_cloudtrail = |why: String| {
        format!("not a CloudTrail log file (a JSON object with a Records array): {why}")
    };
    // Valid JSON first, so that the scan below may take it for granted.
    serde_json::from_slice::<IgnoredAny>(text).map_err(|e| not_cloudtrail(e.to_string()))?;
    let mut at = skip_ws(text, 0);
    if text.get(at) != Some(&b'{') {
        return Err(not_cloudtrail("the file is not a JSON object".into()));
    }
    at += 1;
    let mut out = Vec::with_capacity(text.len());
    loop {
        at = skip_ws(text, at);
        if text.get(at) != Some(&b'"') {
            // `}`: the end of the document.
            return Ok(out);
        }
        let key_end = skip_value(text, at);
        let is_records = &text[at..key_end] == b"\"Records\"";
        at = skip_ws(text, key_end) + 1; // past `:`
        at = skip_ws(text, at);
        let value_end = skip_value(text, at);
        if is_records {
            if text[at] != b'[' {
                return Err(not_cloudtrail("Records is not an array".into()));
            }
            records(&text[at + 1..value_end - 1], &mut out);
        }
        at = skip_ws(text, value_end);
        if text.get(at) == Some(&b',') {
            at += 1;
        }
    }
}

/// Appends each element of an array's inside as one line.
fn records(inside: &[u8], out: &mut Vec<u8>) {
    let mut at = skip_ws(inside, 0);
    while at < inside.len() {
        let end = skip_value(inside, at);
        // A JSON string cannot hold a raw line break, so any outside strings
        // are whitespace: the record stays the same JSON on one line.
        out.extend(
            inside[at..end]
                .iter()
                .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }),
        );
        out.push(b'\n');
        at = skip_ws(inside, end);
        if inside.get(at) == Some(&b',') {
            at = skip_ws(inside, at + 1);
        }
    }
}

fn skip_ws(text: &[u8], mut at: usize) -> usize {
    while text.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The end of the (valid) JSON value that starts at `at`.
fn skip_value(text: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut at = start;
    while let Some(&b) = text.get(at) {
        at += 1;
        if in_string {
            match b {
                b'\\' => at += 1,
                b'"' => {
                    in_string = false;
                    if depth == 0 {
                        return at;
                    }
                }
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    return at;
                }
            }
            b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => return at - 1,
            _ => {}
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_record_is_one_line_as_written() {
        let text = b"{\"Records\":[{\"eventVersion\":\"1.08\",\"n\":1.50},\n{\"eventName\":\"GetObject\",\r\n\"requestParameters\":{\"bucketName\":\"b\"}}]}";
        let lines = String::from_utf8(records_as_lines(text).unwrap()).unwrap();
        assert_eq!(
            lines,
            "{\"eventVersion\":\"1.08\",\"n\":1.50}\n{\"eventName\":\"GetObject\",  \"requestParameters\":{\"bucketName\":\"b\"}}\n"
        );
    }

    #[test]
    fn a_document_without_records_has_no_rows() {
        // A digest file.
        let digest = br#"{"awsAccountId":"123456789012","logFiles":[]}"#;
        assert_eq!(records_as_lines(digest).unwrap(), b"");
        assert_eq!(records_as_lines(br#"{"Records":[]}"#).unwrap(), b"");
    }

    #[test]
    fn other_files_are_refused_with_the_reason() {
        for text in [
            &b"{\"eventName\":\"a\"}\n{\"eventName\":\"b\"}\n"[..],
            b"[1]",
            b"{",
        ] {
            let e = records_as_lines(text).unwrap_err();
            assert!(e.starts_with("not a CloudTrail log file"), "{e}");
        }
        let e = records_as_lines(br#"{"Records":{"a":1}}"#).unwrap_err();
        assert!(e.contains("Records"), "{e}");
    }
}
