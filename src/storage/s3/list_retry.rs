//! Listings that survive a connection dropped mid-answer.
//!
//! object_store retries a request that fails before its answer arrives
//! (5xx, throttling, refused connections), but not a listing whose answer
//! breaks off while its body is read (a reset, a cut-short page): that
//! error reaches the caller at once. A listing is a read, so it is safe to
//! ask again: the stream resumes after the last key it yielded
//! (`list_with_offset`), with the same backoff and attempt count as every
//! other request ([`MAX_ATTEMPTS`]). Timeouts are not retried here, so a
//! stalled server still fails within one attempt's time.

use std::fmt;
use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::client::HttpErrorKind;
use object_store::path::Path;
use object_store::{ListResult, ObjectMeta, ObjectStore, Result};

use crate::aws::{INITIAL_BACKOFF, MAX_ATTEMPTS, MAX_BACKOFF};

/// The last error of a listing that was tried again, and how often.
#[derive(Debug)]
struct Retried {
    retries: u32,
    last: object_store::Error,
}

impl fmt::Display for Retried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // "after N retries" is how object_store reports its own retries,
        // and what `classify` reads the attempt count from.
        write!(f, "after {} retries: {}", self.retries, self.last)
    }
}

impl std::error::Error for Retried {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.last)
    }
}

/// Whether a failed listing is worth another attempt: the answer broke off
/// after the request was sent.
fn broke_off(e: &object_store::Error) -> bool {
    matches!(
        super::http_error_kind(e),
        Some(
            HttpErrorKind::Interrupted
                | HttpErrorKind::Decode
                | HttpErrorKind::Request
                | HttpErrorKind::Unknown
        )
    )
}

/// The wait before retry number `retry` (1-based): doubling, capped.
fn backoff(retry: u32) -> std::time::Duration {
    INITIAL_BACKOFF
        .saturating_mul(1 << retry.saturating_sub(1).min(16))
        .min(MAX_BACKOFF)
}

fn give_up(retries: u32, last: object_store::Error) -> object_store::Error {
    if retries == 0 {
        return last;
    }
    object_store::Error::Generic {
        store: "S3",
        source: Box::new(Retried { retries, last }),
    }
}

struct State {
    store: Arc<dyn ObjectStore>,
    prefix: Option<Path>,
    /// The last key yielded (or the caller's offset): a retry resumes after it.
    offset: Option<Path>,
    stream: Option<BoxStream<'static, Result<ObjectMeta>>>,
    retries: u32,
    done: bool,
}

/// `store.list(prefix)` (or `list_with_offset`), resumed after a broken answer.
pub(super) fn list(
    store: Arc<dyn ObjectStore>,
    prefix: Option<Path>,
    offset: Option<Path>,
) -> BoxStream<'static, Result<ObjectMeta>> {
    let state = State {
        store,
        prefix,
        offset,
        stream: None,
        retries: 0,
        done: false,
    };
    futures::stream::unfold(state, |mut s| async move {
        loop {
            if s.done {
                return None;
            }
            let stream = s.stream.get_or_insert_with(|| match &s.offset {
                Some(offset) => s.store.list_with_offset(s.prefix.as_ref(), offset),
                None => s.store.list(s.prefix.as_ref()),
            });
            match stream.next().await {
                None => return None,
                Some(Ok(meta)) => {
                    s.offset = Some(meta.location.clone());
                    return Some((Ok(meta), s));
                }
                Some(Err(e)) if broke_off(&e) && s.retries + 1 < MAX_ATTEMPTS => {
                    s.retries += 1;
                    s.stream = None;
                    tokio::time::sleep(backoff(s.retries)).await;
                }
                Some(Err(e)) => {
                    s.done = true;
                    return Some((Err(give_up(s.retries, e)), s));
                }
            }
        }
    })
    .boxed()
}

/// `store.list_with_delimiter(prefix)`, asked again after a broken answer.
pub(super) async fn list_with_delimiter(
    store: &dyn ObjectStore,
    prefix: Option<&Path>,
) -> Result<ListResult> {
    let mut retries = 0;
    loop {
        match store.list_with_delimiter(prefix).await {
            Err(e) if broke_off(&e) && retries + 1 < MAX_ATTEMPTS => {
                retries += 1;
                tokio::time::sleep(backoff(retries)).await;
            }
            result => return result.map_err(|e| give_up(retries, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let waits: Vec<u128> = (1..=7).map(|n| backoff(n).as_millis()).collect();
        assert_eq!(waits, [200, 400, 800, 1600, 3200, 4000, 4000]);
    }
}
