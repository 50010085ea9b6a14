//! The byte layers under an export's encoder: optional gzip over a file
//! that counts what reaches it.

use std::fs::File;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::ExportCounters;

/// A file that adds every byte written to the export's counters.
pub(super) struct Counting {
    file: File,
    counters: Arc<ExportCounters>,
}

impl Counting {
    pub(super) fn new(file: File, counters: Arc<ExportCounters>) -> Self {
        Self { file, counters }
    }
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.counters.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Plain or gzipped output.
pub(super) enum Compressor {
    Plain(Counting),
    Gzip(Box<flate2::write::GzEncoder<Counting>>),
}

impl Compressor {
    /// Writes any compression trailer and returns the file.
    pub(super) fn finish(self) -> io::Result<File> {
        let mut counting = match self {
            Compressor::Plain(c) => c,
            Compressor::Gzip(gz) => (*gz).finish()?,
        };
        counting.flush()?;
        Ok(counting.file)
    }
}

impl Write for Compressor {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Compressor::Plain(c) => c.write(buf),
            Compressor::Gzip(gz) => gz.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Compressor::Plain(c) => c.flush(),
            Compressor::Gzip(gz) => gz.flush(),
        }
    }
}
