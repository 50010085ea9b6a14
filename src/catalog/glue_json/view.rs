//! Views in Glue's shape: a `VIRTUAL_VIEW` table read into a [`TableDef`]
//! with its [`ViewDef`], and written back exactly as Athena writes one (see
//! `catalog::view` for the format).

use std::collections::HashMap;
use std::path::Path;

use serde_json::json;

use super::{GlueTable, columns_json, missing};
use crate::catalog::view::{
    EXPANDED_TEXT, PRESTO_VIEW_COMMENT, PRESTO_VIEW_FLAG, VIRTUAL_VIEW, ViewDef,
    decode_original_text, is_presto_view, trino_to_hive,
};
use crate::catalog::{Column, StorageClasses, StorageFormat, TableDef};
use crate::error::{Error, Result};
use crate::hive_type::parse_hive_type;

/// Whether a Glue table is a view of any kind.
pub(crate) fn is_view(table: &GlueTable) -> bool {
    table
        .table_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(VIRTUAL_VIEW))
}

impl GlueTable {
    /// A `VIRTUAL_VIEW` table as a view definition. The columns come from the
    /// view's JSON (Trino types, as Athena plans them), with comments from
    /// `StorageDescriptor.Columns`.
    pub(super) fn into_view_def(self, path: &Path, database: &str, name: &str) -> Result<TableDef> {
        if !is_presto_view(self.table_type.as_deref(), self.parameters.as_ref()) {
            return Err(Error::InvalidTableDefinition {
                path: path.to_path_buf(),
                field: "Parameters".into(),
                reason: format!(
                    "has no {PRESTO_VIEW_FLAG}=true, so {database}.{name} is a Hive view, not an \
                     Athena view; lathe reads only views made by Athena (or Trino)"
                ),
            });
        }
        let text = self
            .view_original_text
            .as_deref()
            .ok_or_else(|| missing(path, "ViewOriginalText"))?;
        let view = decode_original_text(text).map_err(|reason| Error::InvalidTableDefinition {
            path: path.to_path_buf(),
            field: "ViewOriginalText".into(),
            reason,
        })?;
        let comments: HashMap<String, String> = self
            .storage_descriptor
            .as_ref()
            .and_then(|sd| sd.columns.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|c| Some((c.name.clone()?.to_lowercase(), c.comment.clone()?)))
            .collect();
        let qualified = format!("{database}.{name}");
        let columns = view
            .columns
            .iter()
            .map(|c| {
                let invalid = |reason: String| Error::InvalidType {
                    table: qualified.clone(),
                    column: c.name.clone(),
                    type_string: c.trino_type.clone(),
                    reason,
                };
                let type_string = trino_to_hive(&c.trino_type).map_err(invalid)?;
                let data_type = parse_hive_type(&type_string).map_err(invalid)?;
                let name = c.name.to_lowercase();
                Ok(Column {
                    comment: c.comment.clone().or_else(|| comments.get(&name).cloned()),
                    name,
                    type_string,
                    data_type,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(TableDef {
            database: database.to_string(),
            name: name.to_string(),
            columns,
            partition_keys: Vec::new(),
            location: String::new(),
            // Never read: a view has no files.
            format: StorageFormat::Parquet,
            parameters: self.parameters.clone().unwrap_or_default(),
            serde_parameters: HashMap::new(),
            comment: view.comment.clone().or(self.description.clone()),
            storage: StorageClasses::default(),
            view: Some(view),
        })
    }
}

/// The parameters Athena gives every view.
pub(crate) fn view_parameters() -> HashMap<String, String> {
    HashMap::from([
        (PRESTO_VIEW_FLAG.to_string(), "true".to_string()),
        ("comment".to_string(), PRESTO_VIEW_COMMENT.to_string()),
    ])
}

/// A view in the shape `aws glue get-table` prints an Athena view.
pub(super) fn view_json(table: &TableDef, view: &ViewDef, create_time: f64) -> serde_json::Value {
    let mut parameters: std::collections::BTreeMap<String, String> =
        table.parameters.clone().into_iter().collect();
    parameters.extend(view_parameters());
    json!({ "Table": {
        "Name": table.name,
        "DatabaseName": table.database,
        "TableType": VIRTUAL_VIEW,
        "StorageDescriptor": {
            "Columns": columns_json(&table.columns),
            "Location": "",
            "Compressed": false,
            "NumberOfBuckets": 0,
            "SerdeInfo": {},
            "SortColumns": [],
            "StoredAsSubDirectories": false,
        },
        "PartitionKeys": [],
        "ViewOriginalText": crate::catalog::view::encode_original_text(view),
        "ViewExpandedText": EXPANDED_TEXT,
        "Parameters": parameters,
        "CreateTime": create_time,
    }})
}
