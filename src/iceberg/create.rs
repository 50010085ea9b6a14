//! A new Iceberg table, as Athena creates one: format version 2, the
//! schema numbered from 1, the partition spec from Athena's `partitioning`
//! (`ARRAY['category', 'day(ts)', 'bucket(16, id)', 'truncate(3, name)']`,
//! also `PARTITIONED BY (...)` in DDL), and the Glue entry Athena writes
//! for it (`table_type = ICEBERG`, `metadata_location`, Hive column types).

use std::collections::{BTreeMap, HashMap};

use datafusion::arrow::datatypes::Fields;
use serde_json::Map;

use super::metadata::{PartitionField, PartitionSpec, Schema, TableMetadata};
use super::transform::Transform;
use super::types::{NestedField, fields_from_arrow, max_field_id};
use super::{METADATA_LOCATION, TABLE_TYPE};
use crate::catalog::{Column, StorageClasses, StorageFormat, TableDef};
use crate::error::{Error, Result};
use crate::hive_type::parse_hive_type;

/// The table properties Athena accepts for Iceberg tables, and what each
/// becomes in Iceberg's metadata (`None`: kept under Athena's own name).
const PROPERTIES: &[(&str, Option<&str>)] = &[
    ("format", Some("write.format.default")),
    ("write_compression", Some("write.parquet.compression-codec")),
    ("compression_level", Some("write.parquet.compression-level")),
    (
        "write_target_data_file_size_bytes",
        Some("write.target-file-size-bytes"),
    ),
    ("optimize_rewrite_min_data_file_size_bytes", None),
    ("optimize_rewrite_max_data_file_size_bytes", None),
    ("optimize_rewrite_data_file_threshold", None),
    ("optimize_rewrite_delete_file_threshold", None),
    ("vacuum_min_snapshots_to_keep", None),
    ("vacuum_max_snapshot_age_seconds", None),
    ("vacuum_max_metadata_files_to_keep", None),
];

/// Iceberg table properties from Athena's (`WITH (...)` or TBLPROPERTIES).
pub(crate) fn properties(
    statement: &str,
    given: &[(String, String)],
) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::from([
        ("write.format.default".to_string(), "parquet".to_string()),
        (
            "write.parquet.compression-codec".to_string(),
            "zstd".to_string(),
        ),
    ]);
    for (key, value) in given {
        let key = key.to_ascii_lowercase();
        if key == "table_type" || key == "location" || key == "is_external" || key == "partitioning"
        {
            continue;
        }
        match PROPERTIES.iter().find(|(k, _)| *k == key) {
            Some((_, Some(iceberg))) => {
                if key == "format" && !value.eq_ignore_ascii_case("parquet") {
                    return Err(Error::InvalidStatement {
                        statement: statement.into(),
                        reason: format!(
                            "format '{value}' is not written by lathe for Iceberg tables; use PARQUET"
                        ),
                    });
                }
                out.insert(iceberg.to_string(), value.to_ascii_lowercase());
            }
            Some((_, None)) => {
                out.insert(key, value.clone());
            }
            None if key.contains('.') => {
                // Iceberg's own property names pass through.
                out.insert(key, value.clone());
            }
            None => {
                return Err(Error::InvalidStatement {
                    statement: statement.into(),
                    reason: format!("unknown property {key} for an Iceberg table"),
                });
            }
        }
    }
    Ok(out)
}

/// Parses one of Athena's partition expressions against the schema.
fn partition_field(
    statement: &str,
    text: &str,
    fields: &[NestedField],
    field_id: i32,
) -> Result<PartitionField> {
    let fail = |reason: String| Error::InvalidStatement {
        statement: statement.into(),
        reason,
    };
    let text = text.trim();
    let (transform, column, suffix) = match text.split_once('(') {
        None => (Transform::Identity, text, ""),
        Some((name, rest)) => {
            let args: Vec<&str> = rest
                .trim_end()
                .strip_suffix(')')
                .ok_or_else(|| fail(format!("partition transform {text} is missing its )")))?
                .split(',')
                .map(str::trim)
                .collect();
            let number = |s: &str| {
                s.parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| fail(format!("{text}: {s} is not a positive number")))
            };
            match (name.trim().to_ascii_lowercase().as_str(), args.as_slice()) {
                ("year" | "years", [c]) => (Transform::Year, *c, "_year"),
                ("month" | "months", [c]) => (Transform::Month, *c, "_month"),
                ("day" | "days", [c]) => (Transform::Day, *c, "_day"),
                ("hour" | "hours", [c]) => (Transform::Hour, *c, "_hour"),
                ("bucket", [n, c]) => (Transform::Bucket(number(n)?), *c, "_bucket"),
                ("truncate", [w, c]) => (Transform::Truncate(number(w)?), *c, "_trunc"),
                _ => {
                    return Err(fail(format!(
                        "{text} is not a partition transform; use col, year(col), month(col), \
                         day(col), hour(col), bucket(n, col) or truncate(w, col)"
                    )));
                }
            }
        }
    };
    let column = column.trim_matches('"').trim_matches('`').to_lowercase();
    let source = fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(&column))
        .ok_or_else(|| {
            fail(format!(
                "partition column {column} is not a column of the table"
            ))
        })?;
    Ok(PartitionField {
        source_id: source.id,
        field_id: Some(field_id),
        name: format!("{column}{suffix}"),
        transform: transform.name(),
    })
}

/// The metadata of a new, empty table.
pub(crate) fn new_table(
    statement: &str,
    location: &str,
    fields: Vec<NestedField>,
    partitioning: &[String],
    properties: BTreeMap<String, String>,
) -> Result<TableMetadata> {
    let spec_fields = partitioning
        .iter()
        .enumerate()
        .map(|(i, p)| partition_field(statement, p, &fields, 1000 + i as i32))
        .collect::<Result<Vec<_>>>()?;
    let last_column_id = max_field_id(&fields);
    let now = chrono::Utc::now().timestamp_millis();
    Ok(TableMetadata {
        format_version: 2,
        table_uuid: Some(uuid::Uuid::new_v4().to_string()),
        location: location.trim_end_matches('/').to_string(),
        last_sequence_number: 0,
        last_updated_ms: now,
        last_column_id,
        schemas: vec![Schema {
            kind: "struct".into(),
            schema_id: 0,
            identifier_field_ids: None,
            fields,
        }],
        current_schema_id: Some(0),
        schema: None,
        last_partition_id: Some(999 + spec_fields.len() as i32),
        partition_specs: vec![PartitionSpec {
            spec_id: 0,
            fields: spec_fields,
        }],
        default_spec_id: Some(0),
        partition_spec: None,
        properties,
        current_snapshot_id: None,
        snapshots: Vec::new(),
        snapshot_log: Vec::new(),
        metadata_log: Vec::new(),
        refs: Some(BTreeMap::new()),
        other: Map::from_iter([
            (
                "sort-orders".to_string(),
                serde_json::json!([{"order-id": 0, "fields": []}]),
            ),
            ("default-sort-order-id".to_string(), serde_json::json!(0)),
        ]),
    })
}

/// The schema of a new table from a query's Arrow fields.
pub(crate) fn fields_of_query(statement: &str, fields: &Fields) -> Result<Vec<NestedField>> {
    fields_from_arrow(fields).map_err(|reason| Error::InvalidStatement {
        statement: statement.into(),
        reason,
    })
}

/// The schema of a new table from DDL columns (Hive types).
pub(crate) fn fields_of_columns(statement: &str, columns: &[Column]) -> Result<Vec<NestedField>> {
    let fields: Fields = columns
        .iter()
        .map(|c| datafusion::arrow::datatypes::Field::new(&c.name, c.data_type.clone(), true))
        .collect();
    fields_of_query(statement, &fields)
}

/// The Glue entry of an Iceberg table, as Athena registers one.
pub(crate) fn table_def(
    database: &str,
    name: &str,
    metadata: &TableMetadata,
    metadata_location: &str,
    comment: Option<String>,
) -> Result<TableDef> {
    let schema = metadata
        .current_schema(None)
        .ok_or_else(|| Error::InvalidIceberg {
            table: format!("{database}.{name}"),
            file: metadata_location.into(),
            reason: "has no schema".into(),
        })?;
    let columns = schema
        .fields
        .iter()
        .map(|f| {
            let type_string = f.field_type.hive_type();
            let data_type = parse_hive_type(&type_string).map_err(|reason| Error::InvalidType {
                table: format!("{database}.{name}"),
                column: f.name.clone(),
                type_string: type_string.clone(),
                reason,
            })?;
            Ok(Column {
                name: f.name.to_lowercase(),
                type_string,
                data_type,
                comment: f.doc.clone(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(TableDef {
        database: database.to_string(),
        name: name.to_string(),
        columns,
        partition_keys: Vec::new(),
        location: metadata.location.clone(),
        format: StorageFormat::Iceberg,
        parameters: HashMap::from([
            (TABLE_TYPE.to_string(), "ICEBERG".to_string()),
            (METADATA_LOCATION.to_string(), metadata_location.to_string()),
        ]),
        serde_parameters: HashMap::new(),
        comment,
        storage: StorageClasses::for_format(StorageFormat::Iceberg),
        view: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iceberg::types::IcebergType;

    #[test]
    fn athena_partitioning_becomes_a_spec() {
        let field = |id, name: &str, t: &str| NestedField {
            id,
            name: name.into(),
            required: false,
            field_type: IcebergType::Primitive(t.into()),
            doc: None,
        };
        let fields = vec![
            field(1, "id", "long"),
            field(2, "ts", "timestamp"),
            field(3, "name", "string"),
        ];
        let metadata = new_table(
            "CTAS",
            "s3://b/t/",
            fields,
            &[
                "day(ts)".into(),
                "bucket(16, id)".into(),
                "truncate(3,name)".into(),
                "name".into(),
            ],
            properties("CTAS", &[("write_compression".into(), "SNAPPY".into())]).unwrap(),
        )
        .unwrap();
        let spec = metadata.default_spec().unwrap();
        let names: Vec<(&str, &str, i32)> = spec
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.transform.as_str(), f.source_id))
            .collect();
        assert_eq!(
            names,
            vec![
                ("ts_day", "day", 2),
                ("id_bucket", "bucket[16]", 1),
                ("name_trunc", "truncate[3]", 3),
                ("name", "identity", 3)
            ]
        );
        assert_eq!(metadata.location, "s3://b/t");
        assert_eq!(
            metadata.property("write.parquet.compression-codec"),
            Some("snappy")
        );
        let bad = new_table("CTAS", "/t", vec![], &["day(nope)".into()], BTreeMap::new());
        assert!(bad.unwrap_err().to_string().contains("nope"));
        assert!(properties("CTAS", &[("colour".into(), "red".into())]).is_err());
    }
}
