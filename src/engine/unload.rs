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

use std::collections::HashSet;

use datafusion::common::config::{CsvOptions, JsonOptions, TableParquetOptions};
use datafusion::common::parsers::{CompressionTypeVariant, CsvQuoteStyle};
use datafusion::dataframe::{DataFrame, DataFrameWriteOptions};
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStore;
use object_store::path::Path as ObjectPath;

use super::Engine;
use crate::athena::write::{Unload, WriteFormat};
use crate::error::{Error, Result};

/// Athena's limit on partitions written by one statement.
const MAX_PARTITIONS: usize = 100;

impl Engine {
    /// Runs an UNLOAD (eagerly: the returned frame is empty, as Athena's
    /// UNLOAD returns no rows).
    pub(crate) async fn unload(&self, unload: Unload) -> Result<DataFrame> {
        let target = crate::storage::resolve(&unload.location, &self.location_map)?;
        let store = self.ctx.runtime_env().object_store(&target.store)?;
        if let Some(first) = store.list(Some(&target.prefix)).next().await {
            let first = first?;
            return Err(invalid(format!(
                "the target {} is not empty (it holds {}); UNLOAD writes only to an empty location",
                unload.location,
                first.location.filename().unwrap_or_default()
            )));
        }
        let frame = self.plan(&unload.query).await?;
        let columns: Vec<String> = frame
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let partition_columns = partition_columns(&columns, &unload.options.partitioned_by)?;
        let url = format!("{}{}/", target.store.as_str(), target.prefix);
        let options = DataFrameWriteOptions::new().with_partition_by(partition_columns.clone());
        let compression = unload.options.compression.as_deref();
        let written = match unload.options.format {
            WriteFormat::Parquet => {
                let mut parquet = TableParquetOptions::default();
                parquet.global.compression = Some(parquet_codec(compression)?.into());
                frame.write_parquet(&url, options, Some(parquet)).await
            }
            WriteFormat::Json => {
                let json = JsonOptions {
                    compression: text_codec(compression)?,
                    ..Default::default()
                };
                frame.write_json(&url, options, Some(json)).await
            }
            WriteFormat::Textfile => {
                let delimiter = unload.options.field_delimiter.unwrap_or('\u{1}');
                if !delimiter.is_ascii() {
                    return Err(invalid(format!(
                        "field_delimiter {delimiter:?} must be an ASCII character"
                    )));
                }
                let csv = CsvOptions {
                    has_header: Some(false),
                    delimiter: delimiter as u8,
                    quote_style: CsvQuoteStyle::Never,
                    null_value: Some("\\N".into()),
                    date_format: Some("%Y-%m-%d".into()),
                    timestamp_format: Some("%Y-%m-%d %H:%M:%S%.3f".into()),
                    compression: text_codec(compression)?,
                    ..Default::default()
                };
                frame.write_csv(&url, options, Some(csv)).await
            }
        };
        if let Err(e) = written {
            remove_all(store.as_ref(), &target.prefix, target.local_dir.as_deref()).await;
            return Err(e.into());
        }
        if !partition_columns.is_empty() {
            let partitions = count_folders(store.as_ref(), &target.prefix).await?;
            if partitions > MAX_PARTITIONS {
                remove_all(store.as_ref(), &target.prefix, target.local_dir.as_deref()).await;
                return Err(invalid(format!(
                    "the query writes {partitions} partitions; Athena writes at most \
                     {MAX_PARTITIONS} per statement"
                )));
            }
        }
        Ok(self.ctx.read_empty()?)
    }
}

fn invalid(reason: String) -> Error {
    Error::InvalidStatement {
        statement: "UNLOAD".into(),
        reason,
    }
}

/// The query's columns named by `partitioned_by`, which must be its last
/// columns in the same order (Athena's rule), with at least one column left.
fn partition_columns(columns: &[String], keys: &[String]) -> Result<Vec<String>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    if keys.len() >= columns.len() {
        return Err(invalid(
            "partitioned_by names every column; at least one column must be data".into(),
        ));
    }
    let tail = &columns[columns.len() - keys.len()..];
    let matches = tail
        .iter()
        .zip(keys)
        .all(|(column, key)| column.eq_ignore_ascii_case(key));
    if !matches {
        return Err(invalid(format!(
            "partition columns must be the last columns of the SELECT, in partitioned_by order: \
             the query ends with {}, partitioned_by is {}",
            tail.join(", "),
            keys.join(", ")
        )));
    }
    Ok(tail.to_vec())
}

/// Athena's `compression` for Parquet as DataFusion's codec setting; GZIP
/// is Athena's default.
fn parquet_codec(compression: Option<&str>) -> Result<&'static str> {
    Ok(match compression.unwrap_or("gzip") {
        "gzip" => "gzip(6)",
        "snappy" => "snappy",
        "zstd" => "zstd(3)",
        "lz4" => "lz4",
        "none" | "uncompressed" => "uncompressed",
        other => {
            return Err(invalid(format!(
                "compression '{other}' is not one of GZIP, SNAPPY, ZSTD, LZ4, NONE for Parquet"
            )));
        }
    })
}

/// Athena's `compression` for text formats; GZIP is Athena's default.
fn text_codec(compression: Option<&str>) -> Result<CompressionTypeVariant> {
    Ok(match compression.unwrap_or("gzip") {
        "gzip" => CompressionTypeVariant::GZIP,
        "bzip2" => CompressionTypeVariant::BZIP2,
        "zstd" => CompressionTypeVariant::ZSTD,
        "none" | "uncompressed" => CompressionTypeVariant::UNCOMPRESSED,
        other => {
            return Err(invalid(format!(
                "compression '{other}' is not one of GZIP, BZIP2, ZSTD, NONE for text formats"
            )));
        }
    })
}

/// How many distinct folders hold the files under `prefix`.
async fn count_folders(store: &dyn ObjectStore, prefix: &ObjectPath) -> Result<usize> {
    let files: Vec<_> = store.list(Some(prefix)).try_collect().await?;
    let folders: HashSet<String> = files
        .iter()
        .map(|meta| {
            let path = meta.location.as_ref();
            path.rsplit_once('/').map_or("", |(dir, _)| dir).to_string()
        })
        .collect();
    Ok(folders.len())
}

/// Removes everything under an UNLOAD's target after a failure (the target
/// was empty before, so all of it is ours), folders too when local.
async fn remove_all(store: &dyn ObjectStore, prefix: &ObjectPath, local: Option<&std::path::Path>) {
    let locations = store
        .list(Some(prefix))
        .map_ok(|meta| meta.location)
        .boxed();
    let _: Vec<_> = store.delete_stream(locations).collect().await;
    if let Some(dir) = local
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_columns_come_last_in_order() {
        let columns: Vec<String> = ["id", "Day", "country"].map(String::from).to_vec();
        assert_eq!(
            partition_columns(&columns, &["day".into(), "country".into()]).unwrap(),
            ["Day", "country"]
        );
        assert_eq!(
            partition_columns(&columns, &["country".into(), "day".into()])
                .unwrap_err()
                .to_string(),
            "UNLOAD: partition columns must be the last columns of the SELECT, in partitioned_by \
             order: the query ends with Day, country, partitioned_by is country, day"
        );
        assert!(
            partition_columns(&columns[..1], &["id".into()])
                .unwrap_err()
                .to_string()
                .contains("at least one column must be data")
        );
    }

    #[test]
    fn compression_names_map_to_codecs() {
        assert_eq!(parquet_codec(None).unwrap(), "gzip(6)");
        assert_eq!(parquet_codec(Some("snappy")).unwrap(), "snappy");
        assert_eq!(text_codec(None).unwrap(), CompressionTypeVariant::GZIP);
        assert_eq!(
            text_codec(Some("none")).unwrap(),
            CompressionTypeVariant::UNCOMPRESSED
        );
        assert!(parquet_codec(Some("lzo")).is_err());
    }
}
