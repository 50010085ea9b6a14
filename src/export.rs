//! Exports: query results written to a file (`-o FILE`, the shell's
//! `\export`) in CSV (Athena's result CSV), TSV, JSON, NDJSON, a text table
//! or Parquet, optionally gzipped, and never half-written.
//!
//! An [`Export`] streams batch by batch into a temporary file; nothing is at
//! the destination until [`Export::finish`] succeeds. A local destination's
//! temporary file sits beside it and is renamed into place (atomic on one
//! file system). An object store destination (`s3://` once storage reaches
//! S3) is spooled to a local temporary file and then uploaded in parts; the
//! multipart upload is completed only after the last part, and aborted on any
//! error, so no object appears. Dropping an unfinished export deletes its
//! temporary file. [`ExportCounters`] let a caller show progress while it
//! runs; [`progress_line`] is the text.

use std::fmt;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression as ParquetCompression;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::error::{Error, Result};
use crate::render::{self, OutputFormat};

mod encode;
pub(crate) mod plain;

use encode::{Compressor, Counting};

/// What an export file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// One of the text formats of [`OutputFormat`].
    Text(OutputFormat),
    /// Apache Parquet (Snappy-compressed pages), one result per file.
    Parquet,
}

/// Whole-file compression of a text export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// Plain bytes.
    #[default]
    None,
    /// gzip (`.gz`).
    Gzip,
}

/// The format and compression of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSpec {
    /// The file format.
    pub format: FileFormat,
    /// Whole-file compression.
    pub compression: Compression,
}

impl ExportSpec {
    /// The spec a destination's name implies (`out.csv`, `out.csv.gz`,
    /// `out.parquet`, ...), with an explicit text format winning over a
    /// text extension (`--format tsv -o out.txt`), not over `.parquet`. A `.gz` suffix compresses
    /// whatever the format. An unknown extension without an explicit
    /// format, and gzipped Parquet, are errors naming the destination.
    pub fn for_destination(destination: &str, explicit: Option<OutputFormat>) -> Result<Self> {
        let name = destination.rsplit('/').next().unwrap_or(destination);
        let lower = name.to_ascii_lowercase();
        let (stem, compression) = match lower.strip_suffix(".gz") {
            Some(stem) => (stem, Compression::Gzip),
            None => (lower.as_str(), Compression::None),
        };
        let by_extension = Path::new(stem)
            .extension()
            .and_then(|e| e.to_str())
            .and_then(|ext| match ext {
                "parquet" | "pq" => Some(FileFormat::Parquet),
                _ => OutputFormat::from_path(Path::new(stem)).map(FileFormat::Text),
            });
        let format = match (explicit, by_extension) {
            (Some(_), Some(FileFormat::Parquet)) => {
                return Err(Error::InvalidOutput {
                    destination: destination.to_string(),
                    reason: "a .parquet file is always Parquet; drop --format".into(),
                });
            }
            (Some(f), _) => FileFormat::Text(f),
            (None, Some(f)) => f,
            (None, None) => {
                return Err(Error::InvalidOutput {
                    destination: destination.to_string(),
                    reason: "its extension names no format; use .csv, .tsv, .json, .ndjson, \
                             .parquet or .txt (add .gz to compress), or pass --format"
                        .into(),
                });
            }
        };
        if format == FileFormat::Parquet && compression == Compression::Gzip {
            return Err(Error::InvalidOutput {
                destination: destination.to_string(),
                reason: "Parquet compresses its own pages; drop the .gz".into(),
            });
        }
        Ok(Self {
            format,
            compression,
        })
    }
}

/// Where an export goes.
#[derive(Clone)]
pub enum Destination {
    /// A local file.
    Local(PathBuf),
    /// An object in an object store.
    Object {
        /// The store.
        store: Arc<dyn ObjectStore>,
        /// The object's path within it.
        path: ObjectPath,
        /// The destination as the user wrote it, for messages.
        display: String,
    },
}

impl fmt::Debug for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Local(path) => write!(f, "{}", path.display()),
            Destination::Object { display, .. } => f.write_str(display),
        }
    }
}

/// Rows and bytes written so far; shared with whoever shows progress.
#[derive(Debug, Default)]
pub struct ExportCounters {
    rows: AtomicU64,
    bytes: AtomicU64,
}

/// A snapshot of [`ExportCounters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportStats {
    /// Rows written.
    pub rows: u64,
    /// Bytes written to the file (after compression).
    pub bytes: u64,
}

impl ExportCounters {
    /// The counts so far.
    pub fn snapshot(&self) -> ExportStats {
        ExportStats {
            rows: self.rows.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        }
    }
}

/// The progress line for an export: `1,234,567 rows · 56.7 MB written · 3.2 s`.
pub fn progress_line(stats: ExportStats, elapsed: Duration) -> String {
    format!(
        "{} rows · {} written · {:.1} s",
        thousands(stats.rows),
        human_bytes(stats.bytes),
        elapsed.as_secs_f64()
    )
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes as a short human-readable size: `999 B`, `1.2 MB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

type Output = BufWriter<Compressor>;

/// What the export writes through, by format and progress.
enum Encoder {
    Text(Output),
    /// Parquet before its one result arrived (the schema is not known yet).
    ParquetPending(Output),
    Parquet(Box<ArrowWriter<Output>>),
    /// After a failed write: the export can only be dropped.
    Broken,
}

/// An export in progress. See the module documentation.
pub struct Export {
    destination: Destination,
    spec: ExportSpec,
    overwrite: bool,
    /// The temporary file; deleted on drop unless persisted.
    temp: Option<tempfile::TempPath>,
    encoder: Encoder,
    counters: Arc<ExportCounters>,
}

impl fmt::Debug for Export {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Export")
            .field("destination", &self.destination)
            .field("spec", &self.spec)
            .finish()
    }
}

impl Export {
    /// Starts an export; fails when the destination exists and `overwrite`
    /// is false, or when no temporary file can be made.
    pub async fn create(
        destination: Destination,
        spec: ExportSpec,
        overwrite: bool,
    ) -> Result<Self> {
        if !overwrite && exists(&destination).await? {
            return Err(Error::OutputExists {
                destination: destination.to_string(),
            });
        }
        let temp_dir = match &destination {
            Destination::Local(path) => match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            },
            Destination::Object { .. } => std::env::temp_dir(),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".lathe-").suffix(".partial");
        // An export is an ordinary file (0666 less the umask), not a private temporary one.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let file = builder
            .tempfile_in(&temp_dir)
            .map_err(|e| Error::InvalidOutput {
                destination: destination.to_string(),
                reason: format!("cannot create a file in {}: {e}", temp_dir.display()),
            })?;
        let (file, temp) = file.into_parts();
        let counters = Arc::new(ExportCounters::default());
        let counting = Counting::new(file, Arc::clone(&counters));
        let compressor = match spec.compression {
            Compression::None => Compressor::Plain(counting),
            Compression::Gzip => Compressor::Gzip(Box::new(flate2::write::GzEncoder::new(
                counting,
                flate2::Compression::default(),
            ))),
        };
        let output = BufWriter::with_capacity(256 * 1024, compressor);
        let encoder = match spec.format {
            FileFormat::Text(_) => Encoder::Text(output),
            FileFormat::Parquet => Encoder::ParquetPending(output),
        };
        Ok(Self {
            destination,
            spec,
            overwrite,
            temp: Some(temp),
            encoder,
            counters,
        })
    }

    /// The counters to show progress from.
    pub fn counters(&self) -> Arc<ExportCounters> {
        Arc::clone(&self.counters)
    }

    /// Where the export goes.
    pub fn destination(&self) -> &Destination {
        &self.destination
    }

    /// Writes one statement's result, batch by batch as it is produced;
    /// returns its row count. A Parquet file holds one result only.
    pub async fn write(&mut self, stream: SendableRecordBatchStream) -> Result<u64> {
        let schema = stream.schema();
        let counters = Arc::clone(&self.counters);
        let mut stream = RecordBatchStreamAdapter::new(
            Arc::clone(&schema),
            stream.inspect(move |batch| {
                if let Ok(batch) = batch {
                    counters
                        .rows
                        .fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
                }
            }),
        );
        let before = self.counters.snapshot().rows;
        match std::mem::replace(&mut self.encoder, Encoder::Broken) {
            Encoder::Text(mut out) => {
                let FileFormat::Text(format) = self.spec.format else {
                    return Err(self.invalid("internal: text encoder for Parquet"));
                };
                render::write_stream(Box::pin(stream), format, &mut out).await?;
                self.encoder = Encoder::Text(out);
            }
            Encoder::ParquetPending(out) => {
                let properties = WriterProperties::builder()
                    .set_compression(ParquetCompression::SNAPPY)
                    .build();
                let plain = plain::plain_schema(&schema);
                let file_schema = plain.clone().unwrap_or_else(|| Arc::clone(&schema));
                let mut writer = ArrowWriter::try_new(out, file_schema, Some(properties))
                    .map_err(|e| self.invalid(&e.to_string()))?;
                while let Some(batch) = stream.next().await {
                    let batch = batch?;
                    let written = match &plain {
                        Some(plain) => writer.write(
                            &plain::plain_batch(&batch, plain)
                                .map_err(|e| self.invalid(&e.to_string()))?,
                        ),
                        None => writer.write(&batch),
                    };
                    written.map_err(|e| self.invalid(&e.to_string()))?;
                }
                self.encoder = Encoder::Parquet(Box::new(writer));
            }
            Encoder::Parquet(writer) => {
                self.encoder = Encoder::Parquet(writer);
                return Err(self.invalid(
                    "a Parquet file holds one result, and an earlier statement already wrote one",
                ));
            }
            Encoder::Broken => return Err(self.invalid("an earlier write failed")),
        }
        Ok(self.counters.snapshot().rows - before)
    }

    /// Flushes everything and puts the file at its destination; returns what
    /// was written.
    pub async fn finish(mut self) -> Result<ExportStats> {
        let output = match std::mem::replace(&mut self.encoder, Encoder::Broken) {
            Encoder::Text(out) => out,
            Encoder::ParquetPending(_) => {
                return Err(self.invalid("no statement returned a result to write"));
            }
            Encoder::Parquet(writer) => writer
                .into_inner()
                .map_err(|e| self.invalid(&e.to_string()))?,
            Encoder::Broken => return Err(self.invalid("an earlier write failed")),
        };
        let compressor = output.into_inner().map_err(|e| e.into_error())?;
        let file = compressor.finish()?;
        file.sync_all()?;
        drop(file);
        let stats = self.counters.snapshot();
        let Some(temp) = self.temp.take() else {
            return Err(self.invalid("internal: the temporary file is gone"));
        };
        match &self.destination {
            Destination::Local(path) => {
                let persisted = if self.overwrite {
                    temp.persist(path)
                } else {
                    temp.persist_noclobber(path)
                };
                persisted.map_err(|e| {
                    if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                        Error::OutputExists {
                            destination: self.destination.to_string(),
                        }
                    } else {
                        self.invalid(&e.error.to_string())
                    }
                })?;
            }
            Destination::Object { store, path, .. } => {
                upload(&temp, store.as_ref(), path)
                    .await
                    .map_err(|e| self.invalid(&e.to_string()))?;
            }
        }
        Ok(stats)
    }

    fn invalid(&self, reason: &str) -> Error {
        Error::InvalidOutput {
            destination: self.destination.to_string(),
            reason: reason.to_string(),
        }
    }
}

async fn exists(destination: &Destination) -> Result<bool> {
    match destination {
        Destination::Local(path) => Ok(path.exists()),
        Destination::Object { store, path, .. } => match store.head(path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        },
    }
}

/// Uploads a finished local file in parts; the object appears only when the
/// upload completes, and a failed upload is aborted.
async fn upload(file: &Path, store: &dyn ObjectStore, path: &ObjectPath) -> Result<()> {
    const PART: usize = 8 * 1024 * 1024;
    let upload = store.put_multipart(path).await?;
    let mut writer = object_store::WriteMultipart::new_with_chunk_size(upload, PART);
    let result: Result<()> = async {
        let mut file = std::fs::File::open(file)?;
        let mut buffer = vec![0u8; PART];
        loop {
            let n = file.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            writer.wait_for_capacity(4).await?;
            writer.write(&buffer[..n]);
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => {
            writer.finish().await?;
            Ok(())
        }
        Err(e) => {
            let _ = writer.abort().await;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests;
