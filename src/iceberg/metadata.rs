//! Iceberg table metadata (the `metadata_location` JSON file), as the
//! Iceberg table spec defines it for format versions 1 and 2.
//!
//! Fields lathe does not use (sort orders, statistics files, ...) are kept
//! in `other`, so that metadata lathe rewrites on a commit keeps them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::types::{IcebergType, NestedField};

/// The whole metadata file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct TableMetadata {
    pub(crate) format_version: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) table_uuid: Option<String>,
    pub(crate) location: String,
    #[serde(default)]
    pub(crate) last_sequence_number: i64,
    pub(crate) last_updated_ms: i64,
    pub(crate) last_column_id: i32,
    #[serde(default)]
    pub(crate) schemas: Vec<Schema>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) current_schema_id: Option<i32>,
    /// Format version 1's single schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) schema: Option<Schema>,
    #[serde(default)]
    pub(crate) partition_specs: Vec<PartitionSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) default_spec_id: Option<i32>,
    /// Format version 1's single spec (fields only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) partition_spec: Option<Vec<PartitionField>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_partition_id: Option<i32>,
    #[serde(default)]
    pub(crate) properties: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) current_snapshot_id: Option<i64>,
    #[serde(default)]
    pub(crate) snapshots: Vec<Snapshot>,
    #[serde(default)]
    pub(crate) snapshot_log: Vec<SnapshotLogEntry>,
    #[serde(default)]
    pub(crate) metadata_log: Vec<MetadataLogEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) refs: Option<BTreeMap<String, SnapshotRef>>,
    /// Everything else, kept as written.
    #[serde(flatten)]
    pub(crate) other: Map<String, Value>,
}

/// A schema: a struct type with an id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct Schema {
    #[serde(rename = "type", default = "struct_type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) schema_id: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) identifier_field_ids: Option<Vec<i32>>,
    pub(crate) fields: Vec<NestedField>,
}

fn struct_type() -> String {
    "struct".into()
}

impl Schema {
    /// The top-level field with this id.
    pub(crate) fn field(&self, id: i32) -> Option<&NestedField> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The top-level field with this name (case-insensitively, as Athena
    /// matches names).
    pub(crate) fn field_by_name(&self, name: &str) -> Option<&NestedField> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The type of any field, nested ones too, by id.
    pub(crate) fn find_type(&self, id: i32) -> Option<&IcebergType> {
        fn walk(fields: &[NestedField], id: i32) -> Option<&IcebergType> {
            for f in fields {
                if f.id == id {
                    return Some(&f.field_type);
                }
                if let Some(found) = f.field_type.find(id) {
                    return Some(found);
                }
            }
            None
        }
        walk(&self.fields, id)
    }
}

/// A partition spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct PartitionSpec {
    #[serde(default)]
    pub(crate) spec_id: i32,
    pub(crate) fields: Vec<PartitionField>,
}

/// One field of a partition spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct PartitionField {
    pub(crate) source_id: i32,
    /// Absent in some format-1 metadata (then 1000, 1001, ... in order).
    #[serde(default)]
    pub(crate) field_id: Option<i32>,
    pub(crate) name: String,
    pub(crate) transform: String,
}

/// A snapshot of the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct Snapshot {
    pub(crate) snapshot_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) parent_snapshot_id: Option<i64>,
    #[serde(default)]
    pub(crate) sequence_number: i64,
    pub(crate) timestamp_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) manifest_list: Option<String>,
    #[serde(default)]
    pub(crate) summary: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) schema_id: Option<i32>,
    #[serde(flatten)]
    pub(crate) other: Map<String, Value>,
}

/// An entry of `snapshot-log`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct SnapshotLogEntry {
    pub(crate) snapshot_id: i64,
    pub(crate) timestamp_ms: i64,
}

/// An entry of `metadata-log`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct MetadataLogEntry {
    pub(crate) metadata_file: String,
    pub(crate) timestamp_ms: i64,
}

/// A named reference to a snapshot (`main`, branches, tags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct SnapshotRef {
    pub(crate) snapshot_id: i64,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    #[serde(flatten)]
    pub(crate) other: Map<String, Value>,
}

impl TableMetadata {
    /// Parses a metadata file's text; `Err` is serde's reason.
    pub(crate) fn parse(text: &[u8]) -> Result<Self, String> {
        let mut reader = serde_json::Deserializer::from_slice(text);
        let mut metadata: TableMetadata =
            serde_path_to_error::deserialize(&mut reader).map_err(|e| {
                let path = e.path().to_string();
                if path == "." || path.is_empty() {
                    e.into_inner().to_string()
                } else {
                    format!("{path}: {}", e.into_inner())
                }
            })?;
        metadata.normalize()?;
        Ok(metadata)
    }

    /// Format version 1 keeps one schema and spec under other keys, and
    /// may say `-1` for "no current snapshot": bring them to version 2's shape.
    fn normalize(&mut self) -> Result<(), String> {
        if self.schemas.is_empty() {
            let schema = self
                .schema
                .clone()
                .ok_or("neither schemas nor schema is present")?;
            self.current_schema_id = Some(schema.schema_id);
            self.schemas.push(schema);
        }
        if self.partition_specs.is_empty()
            && let Some(fields) = &self.partition_spec
        {
            self.partition_specs.push(PartitionSpec {
                spec_id: 0,
                fields: fields.clone(),
            });
            self.default_spec_id = Some(0);
        }
        for spec in &mut self.partition_specs {
            for (i, field) in spec.fields.iter_mut().enumerate() {
                if field.field_id.is_none() {
                    field.field_id = Some(1000 + i as i32);
                }
            }
        }
        if self.current_snapshot_id == Some(-1) {
            self.current_snapshot_id = None;
        }
        if self.current_schema(None).is_none() {
            return Err(format!(
                "current-schema-id {} names no schema",
                self.current_schema_id.unwrap_or_default()
            ));
        }
        Ok(())
    }

    /// The schema of `schema_id`, else the current one.
    pub(crate) fn current_schema(&self, schema_id: Option<i32>) -> Option<&Schema> {
        let id = schema_id.or(self.current_schema_id);
        match id {
            Some(id) => self.schemas.iter().find(|s| s.schema_id == id),
            None => self.schemas.last(),
        }
    }

    /// The partition spec of an id.
    pub(crate) fn spec(&self, spec_id: i32) -> Option<&PartitionSpec> {
        self.partition_specs.iter().find(|s| s.spec_id == spec_id)
    }

    /// The default (current) partition spec.
    pub(crate) fn default_spec(&self) -> Option<&PartitionSpec> {
        self.spec(self.default_spec_id.unwrap_or(0))
            .or_else(|| self.partition_specs.last())
    }

    /// The current snapshot, if the table has one.
    pub(crate) fn current_snapshot(&self) -> Option<&Snapshot> {
        let id = self
            .refs
            .as_ref()
            .and_then(|r| r.get("main"))
            .map(|r| r.snapshot_id)
            .or(self.current_snapshot_id)?;
        self.snapshot(id)
    }

    /// A snapshot by id.
    pub(crate) fn snapshot(&self, id: i64) -> Option<&Snapshot> {
        self.snapshots.iter().find(|s| s.snapshot_id == id)
    }

    /// The snapshot that was current at `timestamp_ms` (inclusive), from the
    /// snapshot log, as Trino's `FOR TIMESTAMP AS OF` resolves it.
    pub(crate) fn snapshot_as_of(&self, timestamp_ms: i64) -> Option<&Snapshot> {
        let from_log = self
            .snapshot_log
            .iter()
            .filter(|e| e.timestamp_ms <= timestamp_ms)
            .max_by_key(|e| e.timestamp_ms)
            .and_then(|e| self.snapshot(e.snapshot_id));
        from_log.or_else(|| {
            // No log (some writers keep none): the latest snapshot made by then.
            self.snapshots
                .iter()
                .filter(|s| s.timestamp_ms <= timestamp_ms)
                .max_by_key(|s| s.timestamp_ms)
        })
    }

    /// The ids of the current snapshot and its ancestors, newest first.
    pub(crate) fn ancestors(&self, from: Option<i64>) -> Vec<i64> {
        let mut out = Vec::new();
        let mut next = from;
        while let Some(id) = next {
            if out.contains(&id) {
                break;
            }
            out.push(id);
            next = self.snapshot(id).and_then(|s| s.parent_snapshot_id);
        }
        out
    }

    /// A table property.
    pub(crate) fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
    }

    /// The metadata as the file's JSON.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_two_metadata_parses_and_keeps_unknown_fields() {
        let text = br#"{
          "format-version": 2, "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
          "location": "s3://b/t", "last-sequence-number": 2, "last-updated-ms": 1700000000000,
          "last-column-id": 2, "current-schema-id": 1,
          "schemas": [
            {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "required": true, "type": "long"}]},
            {"type": "struct", "schema-id": 1, "fields": [
              {"id": 1, "name": "id", "required": true, "type": "long"},
              {"id": 2, "name": "tags", "required": false, "type": {"type": "list", "element-id": 3, "element-required": false, "element": "string"}}]}],
          "default-spec-id": 0,
          "partition-specs": [{"spec-id": 0, "fields": [{"source-id": 1, "field-id": 1000, "name": "id_bucket", "transform": "bucket[16]"}]}],
          "last-partition-id": 1000, "properties": {"write.format.default": "parquet"},
          "current-snapshot-id": 7,
          "snapshots": [{"snapshot-id": 7, "sequence-number": 1, "timestamp-ms": 1700000000000,
                         "manifest-list": "s3://b/t/metadata/snap-7.avro", "summary": {"operation": "append"}, "schema-id": 1}],
          "snapshot-log": [{"snapshot-id": 7, "timestamp-ms": 1700000000000}],
          "metadata-log": [], "sort-orders": [{"order-id": 0, "fields": []}], "default-sort-order-id": 0
        }"#;
        let metadata = TableMetadata::parse(text).unwrap();
        assert_eq!(metadata.current_schema(None).unwrap().fields.len(), 2);
        assert_eq!(metadata.current_snapshot().unwrap().snapshot_id, 7);
        assert_eq!(metadata.snapshot_as_of(1_699_999_999_999), None);
        assert_eq!(
            metadata
                .snapshot_as_of(1_700_000_000_000)
                .unwrap()
                .snapshot_id,
            7
        );
        assert!(metadata.other.contains_key("sort-orders"));
        let again = TableMetadata::parse(&metadata.to_json()).unwrap();
        assert_eq!(again.other, metadata.other);
        assert_eq!(again.schemas, metadata.schemas);
    }

    #[test]
    fn format_one_metadata_gets_version_two_shape() {
        let text = br#"{"format-version": 1, "location": "/t", "last-updated-ms": 1, "last-column-id": 1,
          "schema": {"type": "struct", "fields": [{"id": 1, "name": "a", "required": false, "type": "int"}]},
          "partition-spec": [{"source-id": 1, "name": "a", "transform": "identity"}],
          "current-snapshot-id": -1}"#;
        let metadata = TableMetadata::parse(text).unwrap();
        assert_eq!(
            metadata.default_spec().unwrap().fields[0].field_id,
            Some(1000)
        );
        assert!(metadata.current_snapshot().is_none());
    }

    #[test]
    fn a_missing_field_is_named() {
        let err = TableMetadata::parse(br#"{"format-version": 2}"#).unwrap_err();
        assert!(err.contains("location"), "{err}");
    }
}
