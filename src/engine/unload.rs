//! UNLOAD: a query's result written to an empty location in Athena's layout
//! (ATHENA.md §5): `col=value/` folders for `partitioned_by` columns, which
//! must be the query's last columns; at most 100 partitions; Parquet
//! (gzip by default, as Athena), JSON lines or Hive text (gzip by default;
//! `\N` for NULL; `field_delimiter`, default `\001`).
//!
//! The location goes through the location map and the session's object
//! stores like any table location, so `s3://bucket/...` lands in its mapped
//! local folder now and in S3 when the store is S3. DataFusion's writers do
//! the writing: each file is staged and appears under its name only when
//! complete. A failed UNLOAD removes what it wrote (the target was empty),
//! so nothing half-written stays behind.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use datafusion::arrow::datatypes::Schema;
use datafusion::common::config::{CsvOptions, JsonOptions, TableParquetOptions};
use datafusion::common::parsers::{CompressionTypeVariant, CsvQuoteStyle};
use datafusion::dataframe::{DataFrame, DataFrameWriteOptions};
use datafusion::datasource::file_format::format_as_file_type;
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlanBuilder};
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStore;
use object_store::path::Path as ObjectPath;

use super::Engine;
use crate::athena::write::{Unload, WriteFormat};
use crate::columnar::ColumnarFormat;
use crate::columnar::sink::ColumnarWriteFormat;
use crate::error::{Error, Result};

/// Athena's limit on partitions written by one statement.
const MAX_PARTITIONS: usize = 100;

/// How a write statement writes: format, codec, delimiter, partition columns.
pub(super) struct WriteSpec<'a> {
    /// The statement, for messages (`UNLOAD`, `CREATE TABLE AS`, ...).
    pub(super) statement: &'a str,
    /// The file format.
    pub(super) format: WriteFormat,
    /// Athena's compression name, when given.
    pub(super) compression: Option<&'a str>,
    /// The TEXTFILE field delimiter, when given.
    pub(super) field_delimiter: Option<char>,
    /// The query's columns that become `col=value/` folders.
    pub(super) partition_columns: Vec<String>,
    /// Whether the target must be empty (UNLOAD, CTAS) or may hold files (INSERT INTO).
    pub(super) must_be_empty: bool,
}

impl Engine {
    /// Runs an UNLOAD (eagerly: the returned frame is empty, as Athena's
    /// UNLOAD returns no rows).
    pub(crate) async fn unload(&self, unload: Unload) -> Result<DataFrame> {
        let frame = self.plan(&unload.query).await?;
        let columns = column_names(&frame);
        let spec = WriteSpec {
            statement: "UNLOAD",
            format: unload.options.format,
            compression: unload.options.compression.as_deref(),
            field_delimiter: unload.options.field_delimiter,
            partition_columns: partition_columns(
                "UNLOAD",
                &columns,
                &unload.options.partitioned_by,
            )?,
            must_be_empty: true,
        };
        self.write_frame(frame, &unload.location, &spec).await?;
        Ok(self.ctx.read_empty()?)
    }

    /// Writes a query's result under `location` in Athena's layout; returns
    /// the folders (relative to `location`, e.g. `day=2024-05-04`) that
    /// received new files. On failure, the files it wrote are removed.
    pub(super) async fn write_frame(
        &self,
        frame: DataFrame,
        location: &str,
        spec: &WriteSpec<'_>,
    ) -> Result<Vec<String>> {
        let statement = spec.statement;
        let frame = plain_frame(frame)?;
        let target = crate::storage::resolve(location, &self.map)?;
        let store = self.ctx.runtime_env().object_store(&target.store)?;
        let before: HashSet<ObjectPath> = store
            .list(Some(&target.prefix))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await?;
        if spec.must_be_empty
            && let Some(first) = before.iter().next()
        {
            return Err(invalid(
                statement,
                format!(
                    "the target {location} is not empty (it holds {}); {statement} writes only \
                     to an empty location",
                    first.filename().unwrap_or_default()
                ),
            ));
        }
        let url = format!("{}{}/", target.store.as_str(), target.prefix);
        let options =
            DataFrameWriteOptions::new().with_partition_by(spec.partition_columns.clone());
        let written = match spec.format {
            WriteFormat::Parquet => {
                let mut parquet = TableParquetOptions::default();
                parquet.global.compression =
                    Some(parquet_codec(statement, spec.compression)?.into());
                frame.write_parquet(&url, options, Some(parquet)).await
            }
            WriteFormat::Json => {
                let json = JsonOptions {
                    compression: text_codec(statement, spec.compression)?,
                    ..Default::default()
                };
                frame.write_json(&url, options, Some(json)).await
            }
            WriteFormat::Textfile => {
                let delimiter = spec.field_delimiter.unwrap_or('\u{1}');
                if !delimiter.is_ascii() {
                    return Err(invalid(
                        statement,
                        format!("field_delimiter {delimiter:?} must be an ASCII character"),
                    ));
                }
                let csv = CsvOptions {
                    has_header: Some(false),
                    delimiter: delimiter as u8,
                    quote_style: CsvQuoteStyle::Never,
                    null_value: Some("\\N".into()),
                    date_format: Some("%Y-%m-%d".into()),
                    timestamp_format: Some("%Y-%m-%d %H:%M:%S%.3f".into()),
                    compression: text_codec(statement, spec.compression)?,
                    ..Default::default()
                };
                frame.write_csv(&url, options, Some(csv)).await
            }
            WriteFormat::Orc | WriteFormat::Avro => {
                let columnar = match spec.format {
                    WriteFormat::Orc => ColumnarFormat::Orc,
                    _ => ColumnarFormat::Avro,
                };
                let format = ColumnarWriteFormat::new(columnar, spec.compression)
                    .map_err(|reason| invalid(statement, reason))?;
                let data: Arc<Schema> = Arc::new(Schema::new(
                    frame
                        .schema()
                        .as_arrow()
                        .fields()
                        .iter()
                        .filter(|f| !spec.partition_columns.contains(f.name()))
                        .cloned()
                        .collect::<Vec<_>>(),
                ));
                if let Some(reason) = format.unwritable(&data) {
                    return Err(invalid(statement, reason));
                }
                // DataFusion's own COPY plan, as `write_parquet` builds it.
                let plan = LogicalPlanBuilder::copy_to(
                    frame.into_unoptimized_plan(),
                    url.clone(),
                    format_as_file_type(Arc::new(format)),
                    HashMap::new(),
                    spec.partition_columns.clone(),
                )?
                .build()?;
                match self.ctx.execute_logical_plan(plan).await {
                    Ok(frame) => frame.collect().await,
                    Err(e) => Err(e),
                }
            }
        };
        let after: std::result::Result<Vec<ObjectPath>, object_store::Error> = store
            .list(Some(&target.prefix))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await;
        let new: Vec<ObjectPath> = after
            .as_ref()
            .map(|all| {
                all.iter()
                    .filter(|p| !before.contains(*p))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        // Folders are removed only from a target that was empty: all of it is ours.
        let local = if spec.must_be_empty {
            target.local_dir.as_deref()
        } else {
            None
        };
        let batches = match written {
            Ok(batches) => batches,
            Err(e) => {
                remove(store.as_ref(), &new, local).await;
                return Err(e.into());
            }
        };
        after?;
        self.record_written(&batches, location, &target.prefix, &new);
        let prefix = format!("{}/", target.prefix);
        let folders: HashSet<String> = new
            .iter()
            .map(|path| {
                let relative = path.as_ref().strip_prefix(&prefix).unwrap_or(path.as_ref());
                relative
                    .rsplit_once('/')
                    .map_or("", |(dir, _)| dir)
                    .to_string()
            })
            .collect();
        if !spec.partition_columns.is_empty() && folders.len() > MAX_PARTITIONS {
            remove(store.as_ref(), &new, local).await;
            return Err(invalid(
                statement,
                format!(
                    "the query writes {} partitions; Athena writes at most {MAX_PARTITIONS} per \
                     statement",
                    folders.len()
                ),
            ));
        }
        let mut folders: Vec<String> = folders.into_iter().collect();
        folders.sort();
        Ok(folders)
    }
}

impl Engine {
    /// Remembers what a write wrote: DataFusion's writers return one `count`
    /// row; the files are named under the statement's own `location`.
    fn record_written(
        &self,
        batches: &[datafusion::arrow::array::RecordBatch],
        location: &str,
        prefix: &ObjectPath,
        new: &[ObjectPath],
    ) {
        use datafusion::arrow::array::{Array, UInt64Array};
        let rows = batches
            .iter()
            .filter_map(|b| b.column_by_name("count"))
            .filter_map(|c| {
                c.as_any()
                    .downcast_ref::<UInt64Array>()
                    .map(|a| a.iter().flatten().sum::<u64>())
            })
            .sum();
        let prefix = format!("{prefix}/");
        let base = location.trim_end_matches('/');
        let mut files: Vec<String> = new
            .iter()
            .map(|p| {
                let relative = p.as_ref().strip_prefix(&prefix).unwrap_or(p.as_ref());
                format!("{base}/{relative}")
            })
            .collect();
        files.sort();
        if let Ok(mut written) = self.written.lock() {
            *written = Some(crate::engine::Written { rows, files });
        }
    }
}

/// The names of a frame's columns.
pub(super) fn column_names(frame: &DataFrame) -> Vec<String> {
    frame
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

pub(super) fn invalid(statement: &str, reason: String) -> Error {
    Error::InvalidStatement {
        statement: statement.into(),
        reason,
    }
}

/// The query's columns named by `partitioned_by`, which must be its last
/// columns in the same order (Athena's rule), with at least one column left.
pub(super) fn partition_columns(
    statement: &str,
    columns: &[String],
    keys: &[String],
) -> Result<Vec<String>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    if keys.len() >= columns.len() {
        return Err(invalid(
            statement,
            "partitioned_by names every column; at least one column must be data".into(),
        ));
    }
    let tail = &columns[columns.len() - keys.len()..];
    let matches = tail
        .iter()
        .zip(keys)
        .all(|(column, key)| column.eq_ignore_ascii_case(key));
    if !matches {
        return Err(invalid(
            statement,
            format!(
                "partition columns must be the last columns of the SELECT, in partitioned_by order: \
             the query ends with {}, partitioned_by is {}",
                tail.join(", "),
                keys.join(", ")
            ),
        ));
    }
    Ok(tail.to_vec())
}

/// Athena's `compression` for Parquet as DataFusion's codec setting; GZIP
/// is Athena's default.
fn parquet_codec(statement: &str, compression: Option<&str>) -> Result<&'static str> {
    Ok(match compression.unwrap_or("gzip") {
        "gzip" => "gzip(6)",
        "snappy" => "snappy",
        "zstd" => "zstd(3)",
        "lz4" => "lz4",
        "none" | "uncompressed" => "uncompressed",
        other => {
            return Err(invalid(
                statement,
                format!(
                    "compression '{other}' is not one of GZIP, SNAPPY, ZSTD, LZ4, NONE for Parquet"
                ),
            ));
        }
    })
}

/// Athena's `compression` for text formats; GZIP is Athena's default.
fn text_codec(statement: &str, compression: Option<&str>) -> Result<CompressionTypeVariant> {
    Ok(match compression.unwrap_or("gzip") {
        "gzip" => CompressionTypeVariant::GZIP,
        "bzip2" => CompressionTypeVariant::BZIP2,
        "zstd" => CompressionTypeVariant::ZSTD,
        "none" | "uncompressed" => CompressionTypeVariant::UNCOMPRESSED,
        other => {
            return Err(invalid(
                statement,
                format!(
                    "compression '{other}' is not one of GZIP, BZIP2, ZSTD, NONE for text formats"
                ),
            ));
        }
    })
}

/// Removes the files a failed write made, and (local targets) the folders
/// it left empty.
async fn remove(store: &dyn ObjectStore, files: &[ObjectPath], local: Option<&std::path::Path>) {
    let owned: Vec<object_store::Result<ObjectPath>> = files.iter().cloned().map(Ok).collect();
    let locations = futures::stream::iter(owned).boxed();
    let _: Vec<_> = store.delete_stream(locations).collect().await;
    if let Some(dir) = local {
        remove_empty_folders(dir);
    }
}

/// Removes the empty folders under `dir` (not `dir` itself).
fn remove_empty_folders(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            remove_empty_folders(&entry.path());
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

/// The frame with its view-typed columns cast to plain types, which is what
/// lathe writes (see [`crate::export::plain`]).
fn plain_frame(frame: DataFrame) -> Result<DataFrame> {
    let Some(plain) = crate::export::plain::plain_schema(frame.schema().as_arrow()) else {
        return Ok(frame);
    };
    let columns = frame
        .schema()
        .columns()
        .into_iter()
        .zip(plain.fields())
        .map(|(column, field)| {
            Expr::Column(column)
                .cast_to(field.data_type(), frame.schema())
                .map(|e| e.alias(field.name()))
        })
        .collect::<datafusion::common::Result<Vec<_>>>()?;
    Ok(frame.select(columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_columns_come_last_in_order() {
        let columns: Vec<String> = ["id", "Day", "country"].map(String::from).to_vec();
        assert_eq!(
            partition_columns("UNLOAD", &columns, &["day".into(), "country".into()]).unwrap(),
            ["Day", "country"]
        );
        assert_eq!(
            partition_columns("UNLOAD", &columns, &["country".into(), "day".into()])
                .unwrap_err()
                .to_string(),
            "UNLOAD: partition columns must be the last columns of the SELECT, in partitioned_by \
             order: the query ends with Day, country, partitioned_by is country, day"
        );
        assert!(
            partition_columns("UNLOAD", &columns[..1], &["id".into()])
                .unwrap_err()
                .to_string()
                .contains("at least one column must be data")
        );
    }

    #[test]
    fn compression_names_map_to_codecs() {
        assert_eq!(parquet_codec("UNLOAD", None).unwrap(), "gzip(6)");
        assert_eq!(parquet_codec("UNLOAD", Some("snappy")).unwrap(), "snappy");
        assert_eq!(
            text_codec("UNLOAD", None).unwrap(),
            CompressionTypeVariant::GZIP
        );
        assert_eq!(
            text_codec("UNLOAD", Some("none")).unwrap(),
            CompressionTypeVariant::UNCOMPRESSED
        );
        assert!(parquet_codec("UNLOAD", Some("lzo")).is_err());
    }
}
