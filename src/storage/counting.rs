//! An object store wrapper that counts what queries read.
//!
//! Every `get` is counted by the byte range it returns (compressed bytes, and
//! for Parquet only the footers and column chunks fetched), which is how
//! Athena counts "data scanned". The shell's progress line and the per-query
//! statistics read the counters; `reset` starts a new query. [`ScanStats`]
//! prices a scan as Athena bills it ($5/TB, whole MB, 10 MB minimum).

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::export::human_bytes;
use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, Result,
};

/// What has been read since the last reset.
#[derive(Debug, Default)]
pub struct ScanCounters {
    bytes: AtomicU64,
    requests: AtomicU64,
    files: Mutex<HashSet<Path>>,
    /// Queries run on a cluster, whose executors do the reading.
    remote: AtomicBool,
}

/// A snapshot of [`ScanCounters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Bytes fetched from storage.
    pub bytes: u64,
    /// Distinct objects read.
    pub files: u64,
    /// Read requests made.
    pub requests: u64,
    /// The query ran on a cluster: its executors read the data, and what
    /// they read is not counted here.
    pub remote: bool,
}

/// Athena's price per TB (2^40 bytes) scanned, in US dollars.
const PRICE_PER_TB: f64 = 5.0;
/// Athena bills whole MB (2^20 bytes)...
const MB: u64 = 1 << 20;
/// ...and at least 10 MB per query.
const MINIMUM_BILLED: u64 = 10 * MB;

impl ScanStats {
    /// The bytes Athena would bill for: rounded up to the MB, 10 MB minimum.
    pub fn billed_bytes(&self) -> u64 {
        self.bytes
            .div_ceil(MB)
            .saturating_mul(MB)
            .max(MINIMUM_BILLED)
    }

    /// What Athena would charge for this scan, in US dollars.
    pub fn estimated_cost(&self) -> f64 {
        self.billed_bytes() as f64 * PRICE_PER_TB / (1u64 << 40) as f64
    }

    /// The line `--stats` prints after a statement and the shell's status
    /// line: `3 rows in 0.042 s, scanned 1.2 MB (1234567 bytes), est. cost $0.00005`.
    pub fn summary(&self, rows: usize, elapsed: std::time::Duration) -> String {
        let rows = if rows == 1 {
            "1 row".to_string()
        } else {
            format!("{rows} rows")
        };
        if self.remote {
            return format!(
                "{rows} in {:.3} s on the cluster (bytes scanned are counted only when lathe reads the data itself)",
                elapsed.as_secs_f64()
            );
        }
        format!(
            "{rows} in {:.3} s, scanned {} ({} bytes), est. cost ${:.5}",
            elapsed.as_secs_f64(),
            human_bytes(self.bytes),
            self.bytes,
            self.estimated_cost()
        )
    }
}

impl ScanCounters {
    /// The counts so far.
    pub fn snapshot(&self) -> ScanStats {
        ScanStats {
            bytes: self.bytes.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            files: self.files.lock().map_or(0, |f| f.len() as u64),
            remote: self.remote.load(Ordering::Relaxed),
        }
    }

    /// Marks the counters as those of a cluster client (see [`ScanStats::remote`]).
    pub(crate) fn set_remote(&self) {
        self.remote.store(true, Ordering::Relaxed);
    }

    /// Zeroes the counters (at the start of a query).
    pub fn reset(&self) {
        self.bytes.store(0, Ordering::Relaxed);
        self.requests.store(0, Ordering::Relaxed);
        if let Ok(mut files) = self.files.lock() {
            files.clear();
        }
    }

    fn record(&self, location: &Path, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.requests.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut files) = self.files.lock()
            && !files.contains(location)
        {
            files.insert(location.clone());
        }
    }
}

/// Wraps a store and counts the bytes its reads return.
#[derive(Debug)]
pub(crate) struct CountingStore {
    inner: Arc<dyn ObjectStore>,
    counters: Arc<ScanCounters>,
}

impl CountingStore {
    pub(crate) fn new(inner: Arc<dyn ObjectStore>, counters: Arc<ScanCounters>) -> Self {
        Self { inner, counters }
    }
}

impl fmt::Display for CountingStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Counting({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for CountingStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let head = options.head;
        let result = self.inner.get_opts(location, options).await?;
        if !head {
            self.counters
                .record(location, result.range.end - result.range.start);
        }
        Ok(result)
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let result = self.inner.get_ranges(location, ranges).await?;
        let bytes: u64 = result.iter().map(|b| b.len() as u64).sum();
        self.counters.record(location, bytes);
        Ok(result)
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        self.inner.rename_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn stats(bytes: u64) -> ScanStats {
        ScanStats {
            bytes,
            ..ScanStats::default()
        }
    }

    #[test]
    fn billing_rounds_up_to_the_mb_with_a_10_mb_minimum() {
        assert_eq!(stats(0).billed_bytes(), 10 * MB);
        assert_eq!(stats(1_234_567).billed_bytes(), 10 * MB);
        assert_eq!(stats(10 * MB + 1).billed_bytes(), 11 * MB);
        assert_eq!(stats(1 << 40).estimated_cost(), 5.0);
        assert_eq!(
            stats(1_234_567).summary(3, Duration::from_millis(42)),
            "3 rows in 0.042 s, scanned 1.2 MB (1234567 bytes), est. cost $0.00005"
        );
        assert_eq!(
            stats(999).summary(1, Duration::from_secs(2)),
            "1 row in 2.000 s, scanned 999 B (999 bytes), est. cost $0.00005"
        );
        assert_eq!(
            stats(3 << 40).summary(0, Duration::ZERO),
            "0 rows in 0.000 s, scanned 3.3 TB (3298534883328 bytes), est. cost $15.00000"
        );
        let remote = ScanStats {
            remote: true,
            ..stats(0)
        };
        assert_eq!(
            remote.summary(2, Duration::from_millis(1500)),
            "2 rows in 1.500 s on the cluster (bytes scanned are counted only when lathe reads the data itself)"
        );
    }
}
