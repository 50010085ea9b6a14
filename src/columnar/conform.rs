//! A decoded ORC or Avro batch, conformed to the table's columns.
//!
//! Matching is Athena's: by position for ORC (unless the table says
//! otherwise), by name regardless of case for Avro and for ORC read by
//! name. A column the file lacks reads as NULL. Types are checked with the
//! rules Parquet files are checked with (`table::parquet_check`), and the
//! conversion itself is DataFusion's expression adapter, the one Parquet
//! scans use: casts within a family, struct fields by name.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions};
use datafusion::arrow::datatypes::{Field, Fields, Schema, SchemaRef};
use datafusion::common::Result;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr_adapter::{
    DefaultPhysicalExprAdapterFactory, PhysicalExprAdapterFactory,
};

use super::stripes::StripeFilter;
use super::{ColumnarOptions, file_error};
use crate::table::parquet_check;

/// The columns a scan wants from each file.
pub(crate) struct Target {
    /// The projected data columns, with the table's types.
    pub(crate) schema: SchemaRef,
    /// Each projected column's position among the table's data columns.
    pub(crate) positions: Vec<usize>,
    /// The scan's options.
    pub(crate) options: Arc<ColumnarOptions>,
    /// The scan's filters, to skip ORC stripes by their statistics.
    pub(crate) stripe_filter: Option<StripeFilter>,
}

impl Target {
    /// The file column (an index into `file_fields`, the file's top-level
    /// columns) each target column reads, or `None` where the file lacks it;
    /// an error naming `file` when a column's type cannot be read as the
    /// table's.
    pub(crate) fn sources(&self, file_fields: &Fields, file: &str) -> Result<Vec<Option<usize>>> {
        let options = &self.options;
        let sources: Vec<Option<usize>> = self
            .schema
            .fields()
            .iter()
            .zip(&self.positions)
            .map(|(field, &position)| self.source(field.name(), position, file_fields))
            .collect();
        for ((field, &position), source) in self
            .schema
            .fields()
            .iter()
            .zip(&self.positions)
            .zip(&sources)
        {
            let Some(source) = source else { continue };
            let have = file_fields[*source].data_type();
            if !parquet_check::compatible(have, field.data_type()) {
                let declared = options
                    .hive_types
                    .get(position)
                    .cloned()
                    .unwrap_or_else(|| field.data_type().to_string());
                let how = if options.by_position {
                    format!(" (read by position, as column {})", position + 1)
                } else {
                    String::new()
                };
                return Err(file_error(
                    file,
                    format!(
                        "column {}{how} is {} in the file but {declared} in table {}; fix the \
                         file or the column's type in the catalog",
                        field.name(),
                        parquet_check::describe(have),
                        options.table
                    ),
                ));
            }
        }
        Ok(sources)
    }

    /// The file column (an index into `file_fields`) that the table's data
    /// column `name`, at `position` among them, reads.
    pub(crate) fn source(
        &self,
        name: &str,
        position: usize,
        file_fields: &Fields,
    ) -> Option<usize> {
        if self.options.by_position {
            (position < file_fields.len()).then_some(position)
        } else {
            file_fields
                .iter()
                .position(|f| f.name().eq_ignore_ascii_case(name))
        }
    }

    /// What turns batches read with the schema `read` into the target's
    /// columns. `sources` index `file_fields`; `read` holds the file columns
    /// that were read, by their file names.
    pub(crate) fn conformer(
        &self,
        sources: &[Option<usize>],
        file_fields: &Fields,
        read: SchemaRef,
        file: &str,
    ) -> Result<Conformer> {
        // The target's columns under the file's names (a name no file
        // column has where the file lacks it), adapted by DataFusion.
        let renamed: Vec<Field> = self
            .schema
            .fields()
            .iter()
            .zip(sources)
            .enumerate()
            .map(|(i, (field, source))| {
                let name = match source {
                    Some(s) => file_fields[*s].name().clone(),
                    None => format!("\u{0}absent {i}"),
                };
                field.as_ref().clone().with_name(name).with_nullable(true)
            })
            .collect();
        let logical = Arc::new(Schema::new(renamed));
        let adapter = DefaultPhysicalExprAdapterFactory.create(Arc::clone(&logical), read)?;
        let exprs = logical
            .fields()
            .iter()
            .enumerate()
            .map(|(i, field)| adapter.rewrite(Arc::new(Column::new(field.name(), i))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Conformer {
            exprs,
            schema: Arc::clone(&self.schema),
            file: file.to_string(),
        })
    }
}

/// Conforms each batch of one file.
pub(crate) struct Conformer {
    exprs: Vec<Arc<dyn PhysicalExpr>>,
    schema: SchemaRef,
    file: String,
}

impl Conformer {
    pub(crate) fn apply(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let rows = batch.num_rows();
        let columns = self
            .exprs
            .iter()
            .map(|e| e.evaluate(batch)?.into_array(rows))
            .collect::<Result<Vec<ArrayRef>>>()
            .map_err(|e| file_error(&self.file, e.to_string()))?;
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        Ok(RecordBatch::try_new_with_options(
            Arc::clone(&self.schema),
            columns,
            &options,
        )?)
    }
}
