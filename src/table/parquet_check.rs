//! Parquet files whose column types disagree with the catalog.
//!
//! Athena refuses such a file (`HIVE_BAD_DATA: Field id's type BINARY in
//! parquet file ... is incompatible with type bigint defined in table
//! schema`) rather than guessing. DataFusion would cast instead, and fail
//! later, if at all, with a message naming neither file nor column (`Cannot
//! cast string 'x' to value of Int64 type`). So each file's footer is checked
//! against the catalog as it is read: the reader factory is the one seam that
//! knows the file, so the check wraps DataFusion's cached reader there.
//! Widening within a family (int → bigint, float → double, decimals,
//! timestamp units, string ↔ binary) is accepted, as Trino's Parquet reader
//! accepts it; a change of family (string → bigint, struct → string) is not.
//!
//! Planning checks the footers it reads for statistics too
//! (`statistics`): on a Ballista cluster that is the scheduler, the one
//! process that keeps this factory (datafusion-proto ships a Parquet scan to
//! the executors without its reader factory).

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::ParquetFileReaderFactory;
use datafusion::parquet::arrow::arrow_reader::ArrowReaderOptions;
use datafusion::parquet::arrow::async_reader::AsyncFileReader;
use datafusion::parquet::arrow::parquet_to_arrow_schema;
use datafusion::parquet::errors::ParquetError;
use datafusion::parquet::file::metadata::ParquetMetaData;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use futures::FutureExt;
use futures::future::BoxFuture;

use crate::catalog::Column;
use crate::error::Error;

/// Wraps a reader factory so that every file's schema is checked first.
#[derive(Debug)]
pub(crate) struct CheckedReaderFactory {
    pub(crate) inner: Arc<dyn ParquetFileReaderFactory>,
    /// `db.table`.
    pub(crate) table: Arc<str>,
    /// The catalog's data columns.
    pub(crate) columns: Arc<[Column]>,
    /// How files are named in messages: `s3://bucket/` or `/` for local files.
    pub(crate) prefix: Arc<str>,
}

impl CheckedReaderFactory {
    /// Refuses the file at `location` (in the table's store) when its
    /// footer's columns (`file_fields`) disagree with the catalog.
    pub(crate) fn check(
        &self,
        location: &object_store::path::Path,
        file_fields: &[Arc<Field>],
    ) -> Result<(), Error> {
        check(&self.columns, file_fields, &self.table, || {
            format!("{}{location}", self.prefix)
        })
    }
}

/// The refusal of a file whose columns disagree with the catalog's.
fn check(
    columns: &[Column],
    file_fields: &[Arc<Field>],
    table: &str,
    file: impl FnOnce() -> String,
) -> Result<(), Error> {
    match mismatch(columns, file_fields, table) {
        Some(reason) => Err(Error::DataFile {
            file: file(),
            reason,
        }),
        None => Ok(()),
    }
}

impl ParquetFileReaderFactory for CheckedReaderFactory {
    fn create_reader(
        &self,
        partition_index: usize,
        partitioned_file: PartitionedFile,
        metadata_size_hint: Option<usize>,
        metrics: &ExecutionPlanMetricsSet,
    ) -> datafusion::common::Result<Box<dyn AsyncFileReader + Send>> {
        let file = format!("{}{}", self.prefix, partitioned_file.object_meta.location);
        let inner = self.inner.create_reader(
            partition_index,
            partitioned_file,
            metadata_size_hint,
            metrics,
        )?;
        Ok(Box::new(CheckedReader {
            inner,
            file,
            table: Arc::clone(&self.table),
            columns: Arc::clone(&self.columns),
        }))
    }
}

struct CheckedReader {
    inner: Box<dyn AsyncFileReader + Send>,
    file: String,
    table: Arc<str>,
    columns: Arc<[Column]>,
}

impl AsyncFileReader for CheckedReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, Result<Bytes, ParquetError>> {
        self.inner.get_bytes(range)
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, Result<Vec<Bytes>, ParquetError>> {
        self.inner.get_byte_ranges(ranges)
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, Result<Arc<ParquetMetaData>, ParquetError>> {
        async move {
            let metadata = self.inner.get_metadata(options).await?;
            let file_meta = metadata.file_metadata();
            let schema =
                parquet_to_arrow_schema(file_meta.schema_descr(), file_meta.key_value_metadata())?;
            check(&self.columns, schema.fields(), &self.table, || {
                self.file.clone()
            })
            .map_err(|e| ParquetError::External(Box::new(e)))?;
            Ok(metadata)
        }
        .boxed()
    }
}

/// The first catalog column whose file type cannot be read as its catalog
/// type, as a sentence; columns the file lacks are fine (they read as NULL).
pub(crate) fn mismatch(
    columns: &[Column],
    file_fields: &[Arc<Field>],
    table: &str,
) -> Option<String> {
    columns.iter().find_map(|column| {
        let field = file_fields
            .iter()
            .find(|f| f.name().eq_ignore_ascii_case(&column.name))?;
        (!compatible(field.data_type(), &column.data_type)).then(|| {
            format!(
                "column {} is {} in the file but {} in table {table}; fix the file or the \
                 column's type in the catalog",
                column.name,
                describe(field.data_type()),
                column.type_string
            )
        })
    })
}

/// The broad kind of a type: reading across kinds is refused.
#[derive(PartialEq)]
enum Kind {
    Boolean,
    Number,
    Text,
    Date,
    Timestamp,
    List,
    Struct,
    Map,
    Other,
}

fn kind(t: &DataType) -> Kind {
    use DataType as T;
    match t {
        T::Boolean => Kind::Boolean,
        T::Int8
        | T::Int16
        | T::Int32
        | T::Int64
        | T::UInt8
        | T::UInt16
        | T::UInt32
        | T::UInt64
        | T::Float16
        | T::Float32
        | T::Float64
        | T::Decimal32(..)
        | T::Decimal64(..)
        | T::Decimal128(..)
        | T::Decimal256(..) => Kind::Number,
        T::Utf8
        | T::LargeUtf8
        | T::Utf8View
        | T::Binary
        | T::LargeBinary
        | T::BinaryView
        | T::FixedSizeBinary(_) => Kind::Text,
        T::Date32 | T::Date64 => Kind::Date,
        T::Timestamp(..) => Kind::Timestamp,
        T::List(_) | T::LargeList(_) | T::ListView(_) | T::FixedSizeList(..) => Kind::List,
        T::Struct(_) => Kind::Struct,
        T::Map(..) => Kind::Map,
        T::Dictionary(_, value) => kind(value),
        _ => Kind::Other,
    }
}

/// Whether a file's type can be read as the catalog's type.
pub(crate) fn compatible(file: &DataType, catalog: &DataType) -> bool {
    use DataType as T;
    if file == catalog {
        return true;
    }
    match (file, catalog) {
        (T::Dictionary(_, value), _) => compatible(value, catalog),
        (
            T::List(a) | T::LargeList(a) | T::ListView(a) | T::FixedSizeList(a, _),
            T::List(b) | T::LargeList(b),
        ) => compatible(a.data_type(), b.data_type()),
        (T::Struct(a), T::Struct(b)) => b.iter().all(|field| {
            a.iter()
                .find(|f| f.name().eq_ignore_ascii_case(field.name()))
                .is_none_or(|f| compatible(f.data_type(), field.data_type()))
        }),
        (T::Map(a, _), T::Map(b, _)) => compatible(a.data_type(), b.data_type()),
        // Dates stored as timestamps and back are common in exported data.
        (T::Date32 | T::Date64, T::Timestamp(..)) | (T::Timestamp(..), T::Date32) => true,
        _ => {
            let k = kind(file);
            k != Kind::Other
                && k == kind(catalog)
                && !matches!(k, Kind::List | Kind::Struct | Kind::Map)
        }
    }
}

/// A file type as a reader knows it (Hive's names where there is one).
pub(crate) fn describe(t: &DataType) -> String {
    use DataType as T;
    match t {
        T::Utf8 | T::LargeUtf8 | T::Utf8View => "string".into(),
        T::Binary | T::LargeBinary | T::BinaryView | T::FixedSizeBinary(_) => "binary".into(),
        T::Int8 => "tinyint".into(),
        T::Int16 => "smallint".into(),
        T::Int32 => "int".into(),
        T::Int64 => "bigint".into(),
        T::Float32 => "float".into(),
        T::Float64 => "double".into(),
        T::Boolean => "boolean".into(),
        T::Date32 | T::Date64 => "date".into(),
        T::Timestamp(..) => "timestamp".into(),
        T::Decimal128(p, s) | T::Decimal256(p, s) => format!("decimal({p},{s})"),
        T::List(f) | T::LargeList(f) => format!("array<{}>", describe(f.data_type())),
        T::Map(..) => "a map".into(),
        T::Struct(_) => "a struct".into(),
        T::Dictionary(_, value) => describe(value),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, type_string: &str) -> Column {
        Column {
            name: name.into(),
            type_string: type_string.into(),
            data_type: crate::hive_type::parse_hive_type(type_string).unwrap(),
            comment: None,
        }
    }

    #[test]
    fn family_changes_are_refused_and_widening_is_not() {
        let file: Vec<Arc<Field>> = vec![
            Arc::new(Field::new("ID", DataType::Utf8, true)),
            Arc::new(Field::new("n", DataType::Int32, true)),
            Arc::new(Field::new(
                "s",
                DataType::Struct(vec![Field::new("a", DataType::Int64, true)].into()),
                true,
            )),
        ];
        assert_eq!(
            mismatch(&[column("id", "bigint")], &file, "h.t").as_deref(),
            Some(
                "column id is string in the file but bigint in table h.t; fix the file or the \
                 column's type in the catalog"
            )
        );
        assert_eq!(
            mismatch(&[column("s", "string")], &file, "h.t").as_deref(),
            Some(
                "column s is a struct in the file but string in table h.t; fix the file or the \
                 column's type in the catalog"
            )
        );
        assert!(mismatch(&[column("s", "struct<a:string>")], &file, "h.t").is_some());
        assert!(mismatch(&[column("n", "string")], &file, "h.t").is_some());
        // Widening, missing columns and nested matches are fine.
        for ok in [
            column("n", "bigint"),
            column("n", "decimal(12,2)"),
            column("missing", "int"),
            column("s", "struct<A:bigint,b:string>"),
            column("id", "varchar(10)"),
        ] {
            assert_eq!(
                mismatch(std::slice::from_ref(&ok), &file, "h.t"),
                None,
                "{ok:?}"
            );
        }
    }
}
