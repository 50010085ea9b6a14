//! Parquet columns matched to catalog columns regardless of case.
//!
//! Athena resolves Parquet columns by name, case-insensitively: a file
//! written with `CustomerId` serves the catalog column `customerid`.
//! DataFusion's default expression adapter matches names exactly, so this
//! adapter renames the scan's column references to the file's spelling and
//! then lets the default adapter do the rest (casts, missing columns).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::common::Result;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr_adapter::{
    DefaultPhysicalExprAdapterFactory, PhysicalExprAdapter, PhysicalExprAdapterFactory,
};

/// Creates [`RenamingAdapter`]s for each file a scan opens.
#[derive(Debug, Default)]
pub(crate) struct CaseInsensitiveAdapterFactory;

impl PhysicalExprAdapterFactory for CaseInsensitiveAdapterFactory {
    fn create(
        &self,
        logical_file_schema: SchemaRef,
        physical_file_schema: SchemaRef,
    ) -> Result<Arc<dyn PhysicalExprAdapter>> {
        let mut renames = HashMap::new();
        for field in logical_file_schema.fields() {
            if physical_file_schema.field_with_name(field.name()).is_ok() {
                continue;
            }
            let same_but_case = physical_file_schema
                .fields()
                .iter()
                .find(|p| p.name().eq_ignore_ascii_case(field.name()));
            if let Some(physical) = same_but_case {
                renames.insert(field.name().clone(), physical.name().clone());
            }
        }
        if renames.is_empty() {
            return DefaultPhysicalExprAdapterFactory
                .create(logical_file_schema, physical_file_schema);
        }
        let renamed: Vec<Field> = logical_file_schema
            .fields()
            .iter()
            .map(|f| match renames.get(f.name()) {
                Some(name) => f.as_ref().clone().with_name(name),
                None => f.as_ref().clone(),
            })
            .collect();
        let logical = Arc::new(Schema::new_with_metadata(
            renamed,
            logical_file_schema.metadata().clone(),
        ));
        Ok(Arc::new(RenamingAdapter {
            inner: DefaultPhysicalExprAdapterFactory.create(logical, physical_file_schema)?,
            renames,
        }))
    }
}

/// Renames column references to the file's names (its spelling here, or the
/// name of the column with the same Iceberg field id), then adapts as usual.
#[derive(Debug)]
pub(crate) struct RenamingAdapter {
    pub(crate) inner: Arc<dyn PhysicalExprAdapter>,
    pub(crate) renames: HashMap<String, String>,
}

impl PhysicalExprAdapter for RenamingAdapter {
    fn rewrite(&self, expr: Arc<dyn PhysicalExpr>) -> Result<Arc<dyn PhysicalExpr>> {
        let renamed = expr
            .transform(|e| {
                if let Some(column) = e.downcast_ref::<Column>()
                    && let Some(name) = self.renames.get(column.name())
                {
                    let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(name, column.index()));
                    return Ok(Transformed::yes(column));
                }
                Ok(Transformed::no(e))
            })
            .data()?;
        self.inner.rewrite(renamed)
    }
}
