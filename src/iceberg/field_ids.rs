//! Data-file columns matched to table columns by Iceberg field id.
//!
//! Iceberg's schema evolution renames, drops and re-adds columns without
//! rewriting files: a file column belongs to the table column with the same
//! field id (the Parquet schema's `field_id`, which the reader puts in each
//! Arrow field's metadata), whatever its name. A table column no file column
//! has the id of is NULL in that file, even when a dropped column of the same
//! name is there. Files without field ids (imported by `add_files`) are
//! matched by name, case-insensitively. Types widen as Iceberg allows
//! (`int` → `long`, `float` → `double`, decimal precision) through
//! DataFusion's default adapter, which runs after the renaming.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::common::Result;
use datafusion::physical_expr_adapter::{
    DefaultPhysicalExprAdapterFactory, PhysicalExprAdapter, PhysicalExprAdapterFactory,
};

use super::types::field_id;
use crate::table::case_insensitive::RenamingAdapter;

/// Creates a [`RenamingAdapter`] for each file a scan opens.
#[derive(Debug, Default)]
pub(crate) struct FieldIdAdapterFactory;

impl PhysicalExprAdapterFactory for FieldIdAdapterFactory {
    fn create(
        &self,
        logical_file_schema: SchemaRef,
        physical_file_schema: SchemaRef,
    ) -> Result<Arc<dyn PhysicalExprAdapter>> {
        let renames = renames(&logical_file_schema, &physical_file_schema);
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

/// For each table column whose file column has another name (or none),
/// the name to read: the file column's, or one no file column has (NULL).
fn renames(logical: &Schema, physical: &Schema) -> HashMap<String, String> {
    let by_id = physical.fields().iter().any(|f| field_id(f).is_some());
    let mut renames = HashMap::new();
    for field in logical.fields() {
        let found = match (by_id, field_id(field)) {
            (true, Some(id)) => physical.fields().iter().find(|p| field_id(p) == Some(id)),
            _ => physical
                .fields()
                .iter()
                .find(|p| p.name().eq_ignore_ascii_case(field.name())),
        };
        match found {
            Some(p) if p.name() == field.name() => {}
            Some(p) => {
                renames.insert(field.name().clone(), p.name().clone());
            }
            None if physical.field_with_name(field.name()).is_ok() => {
                // Same name, other id: a dropped column's data, not this one's.
                renames.insert(
                    field.name().clone(),
                    format!("\u{0}iceberg_missing_{}", field.name()),
                );
            }
            None => {}
        }
    }
    renames
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::DataType;

    fn field(name: &str, id: Option<i32>) -> Field {
        let f = Field::new(name, DataType::Int64, true);
        match id {
            Some(id) => f.with_metadata(HashMap::from([(
                super::super::types::FIELD_ID_KEY.to_string(),
                id.to_string(),
            )])),
            None => f,
        }
    }

    #[test]
    fn columns_match_by_id_then_by_name() {
        let logical = Schema::new(vec![
            field("amount", Some(2)),
            field("note", Some(4)),
            field("id", Some(1)),
        ]);
        // The file calls field 2 `price`, and holds a dropped `note` (id 3).
        let physical = Schema::new(vec![
            field("id", Some(1)),
            field("price", Some(2)),
            field("note", Some(3)),
        ]);
        let r = renames(&logical, &physical);
        assert_eq!(r.get("amount").map(String::as_str), Some("price"));
        assert!(r.get("note").unwrap().starts_with('\u{0}'));
        assert!(!r.contains_key("id"));
        // Without ids in the file, names decide.
        let plain = Schema::new(vec![field("AMOUNT", None), field("note", None)]);
        let r = renames(&logical, &plain);
        assert_eq!(r.get("amount").map(String::as_str), Some("AMOUNT"));
        assert!(!r.contains_key("note"));
    }
}
