//! Iceberg's types: their JSON form, their Arrow types (as Athena shows
//! Iceberg columns: `timestamp(6)`, `timestamp(6) with time zone`, ...),
//! their Hive names (for Glue's column list) and the way back from Arrow
//! for tables lathe creates.
//!
//! Every Arrow field made here carries its Iceberg field id under
//! `PARQUET:field_id`, the key the Parquet reader gives each file's columns,
//! so that file columns are matched to table columns by id (`field_ids`).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema as ArrowSchema, TimeUnit};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The field-id key of Arrow field metadata, as the Parquet reader sets it.
pub(crate) const FIELD_ID_KEY: &str = "PARQUET:field_id";

/// A field of a struct (or of a schema).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct NestedField {
    pub(crate) id: i32,
    pub(crate) name: String,
    pub(crate) required: bool,
    #[serde(rename = "type")]
    pub(crate) field_type: IcebergType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) doc: Option<String>,
}

/// An Iceberg type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IcebergType {
    /// A primitive, by its spec name (`long`, `decimal(10,2)`, `fixed[16]`, ...).
    Primitive(String),
    /// `struct`.
    Struct(Vec<NestedField>),
    /// `list`.
    List {
        element_id: i32,
        element_required: bool,
        element: Box<IcebergType>,
    },
    /// `map`.
    Map {
        key_id: i32,
        key: Box<IcebergType>,
        value_id: i32,
        value_required: bool,
        value: Box<IcebergType>,
    },
}

impl Serialize for IcebergType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> Deserialize<'de> for IcebergType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Self::from_json(&value).map_err(serde::de::Error::custom)
    }
}

impl IcebergType {
    fn to_json(&self) -> Value {
        match self {
            IcebergType::Primitive(name) => json!(name),
            IcebergType::Struct(fields) => json!({"type": "struct", "fields": fields}),
            IcebergType::List {
                element_id,
                element_required,
                element,
            } => json!({"type": "list", "element-id": element_id,
                        "element-required": element_required, "element": element.to_json()}),
            IcebergType::Map {
                key_id,
                key,
                value_id,
                value_required,
                value,
            } => json!({"type": "map", "key-id": key_id, "key": key.to_json(),
                        "value-id": value_id, "value-required": value_required,
                        "value": value.to_json()}),
        }
    }

    fn from_json(value: &Value) -> Result<Self, String> {
        if let Some(name) = value.as_str() {
            return Ok(IcebergType::Primitive(name.to_ascii_lowercase()));
        }
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let int = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_i64)
                .map(|v| v as i32)
                .ok_or_else(|| format!("a {kind} type needs {key}"))
        };
        let nested = |key: &str| {
            value
                .get(key)
                .ok_or_else(|| format!("a {kind} type needs {key}"))
                .and_then(Self::from_json)
                .map(Box::new)
        };
        let flag = |key: &str| value.get(key).and_then(Value::as_bool).unwrap_or(false);
        match kind {
            "struct" => {
                let fields = value.get("fields").cloned().unwrap_or(json!([]));
                serde_json::from_value(fields)
                    .map(IcebergType::Struct)
                    .map_err(|e| e.to_string())
            }
            "list" => Ok(IcebergType::List {
                element_id: int("element-id")?,
                element_required: flag("element-required"),
                element: nested("element")?,
            }),
            "map" => Ok(IcebergType::Map {
                key_id: int("key-id")?,
                key: nested("key")?,
                value_id: int("value-id")?,
                value_required: flag("value-required"),
                value: nested("value")?,
            }),
            other => Err(format!("{other:?} is not an Iceberg type")),
        }
    }

    /// A nested field's type by id, below this type.
    pub(crate) fn find(&self, id: i32) -> Option<&IcebergType> {
        match self {
            IcebergType::Primitive(_) => None,
            IcebergType::Struct(fields) => fields.iter().find_map(|f| {
                if f.id == id {
                    Some(&f.field_type)
                } else {
                    f.field_type.find(id)
                }
            }),
            IcebergType::List {
                element_id,
                element,
                ..
            } => {
                if *element_id == id {
                    Some(element)
                } else {
                    element.find(id)
                }
            }
            IcebergType::Map {
                key_id,
                key,
                value_id,
                value,
                ..
            } => {
                if *key_id == id {
                    Some(key)
                } else if *value_id == id {
                    Some(value)
                } else {
                    key.find(id).or_else(|| value.find(id))
                }
            }
        }
    }

    /// The Arrow type Athena reads this type as.
    pub(crate) fn arrow_type(&self) -> Result<DataType, String> {
        Ok(match self {
            IcebergType::Primitive(name) => primitive_arrow_type(name)?,
            IcebergType::Struct(fields) => DataType::Struct(
                fields
                    .iter()
                    .map(arrow_field)
                    .collect::<Result<Fields, _>>()?,
            ),
            IcebergType::List {
                element_id,
                element_required,
                element,
            } => DataType::List(Arc::new(with_id(
                Field::new("element", element.arrow_type()?, !element_required),
                *element_id,
            ))),
            IcebergType::Map {
                key_id,
                key,
                value_id,
                value_required,
                value,
            } => {
                let entries = Field::new(
                    "key_value",
                    DataType::Struct(Fields::from(vec![
                        with_id(Field::new("key", key.arrow_type()?, false), *key_id),
                        with_id(
                            Field::new("value", value.arrow_type()?, !value_required),
                            *value_id,
                        ),
                    ])),
                    false,
                );
                DataType::Map(Arc::new(entries), false)
            }
        })
    }

    /// The Hive type Glue's column list shows for it (as Athena writes it).
    pub(crate) fn hive_type(&self) -> String {
        match self {
            IcebergType::Primitive(name) => match name.as_str() {
                "int" | "integer" => "int".into(),
                "long" => "bigint".into(),
                "timestamptz" | "timestamp_ns" | "timestamptz_ns" => "timestamp".into(),
                "time" | "uuid" => "string".into(),
                n if n.starts_with("fixed") => "binary".into(),
                other => other.replace(' ', ""),
            },
            IcebergType::Struct(fields) => format!(
                "struct<{}>",
                fields
                    .iter()
                    .map(|f| format!("{}:{}", f.name, f.field_type.hive_type()))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            IcebergType::List { element, .. } => format!("array<{}>", element.hive_type()),
            IcebergType::Map { key, value, .. } => {
                format!("map<{},{}>", key.hive_type(), value.hive_type())
            }
        }
    }
}

/// A field with its Iceberg id in its metadata.
fn with_id(field: Field, id: i32) -> Field {
    field.with_metadata(HashMap::from([(FIELD_ID_KEY.to_string(), id.to_string())]))
}

/// The Arrow field of an Iceberg field (nullable unless required).
pub(crate) fn arrow_field(field: &NestedField) -> Result<Field, String> {
    Ok(with_id(
        Field::new(
            field.name.to_lowercase(),
            field.field_type.arrow_type()?,
            true,
        ),
        field.id,
    ))
}

/// The Arrow schema of an Iceberg schema's fields. Every top-level column
/// is nullable: Athena does not enforce `required` on read.
pub(crate) fn arrow_schema(fields: &[NestedField]) -> Result<ArrowSchema, String> {
    Ok(ArrowSchema::new(
        fields
            .iter()
            .map(arrow_field)
            .collect::<Result<Vec<_>, _>>()?,
    ))
}

/// The field id of an Arrow field, if it carries one.
pub(crate) fn field_id(field: &Field) -> Option<i32> {
    field.metadata().get(FIELD_ID_KEY)?.parse().ok()
}

fn primitive_arrow_type(name: &str) -> Result<DataType, String> {
    Ok(match name {
        "boolean" => DataType::Boolean,
        "int" | "integer" => DataType::Int32,
        "long" => DataType::Int64,
        "float" => DataType::Float32,
        "double" => DataType::Float64,
        "date" => DataType::Date32,
        "time" => DataType::Time64(TimeUnit::Microsecond),
        "timestamp" => DataType::Timestamp(TimeUnit::Microsecond, None),
        "timestamptz" => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        "timestamp_ns" => DataType::Timestamp(TimeUnit::Nanosecond, None),
        "timestamptz_ns" => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
        "string" => DataType::Utf8,
        "uuid" => DataType::FixedSizeBinary(16),
        "binary" => DataType::Binary,
        other => {
            if let Some((p, s)) = decimal_parts(other) {
                DataType::Decimal128(p, s)
            } else if let Some(len) = other
                .strip_prefix("fixed[")
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|l| l.trim().parse::<i32>().ok())
            {
                DataType::FixedSizeBinary(len)
            } else {
                return Err(format!("{other} is not an Iceberg type lathe reads"));
            }
        }
    })
}

/// `decimal(P, S)` as (P, S).
pub(crate) fn decimal_parts(name: &str) -> Option<(u8, i8)> {
    let inner = name.strip_prefix("decimal(")?.strip_suffix(')')?;
    let (p, s) = inner.split_once(',')?;
    Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
}

/// The Iceberg type of an Arrow type, for a table lathe creates; nested ids
/// are taken from `next_id` (the caller numbers top-level fields first, as
/// Iceberg's writers do). `None` for a type Iceberg has no equivalent of.
pub(crate) fn from_arrow(data_type: &DataType, next_id: &mut i32) -> Option<IcebergType> {
    let mut take = || {
        *next_id += 1;
        *next_id
    };
    Some(match data_type {
        DataType::Boolean => IcebergType::Primitive("boolean".into()),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16 => {
            IcebergType::Primitive("int".into())
        }
        DataType::Int64 | DataType::UInt32 => IcebergType::Primitive("long".into()),
        DataType::Float16 | DataType::Float32 => IcebergType::Primitive("float".into()),
        DataType::Float64 => IcebergType::Primitive("double".into()),
        DataType::Decimal128(p, s) if *p <= 38 => {
            IcebergType::Primitive(format!("decimal({p}, {s})"))
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            IcebergType::Primitive("string".into())
        }
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            IcebergType::Primitive("binary".into())
        }
        DataType::FixedSizeBinary(n) => IcebergType::Primitive(format!("fixed[{n}]")),
        DataType::Date32 | DataType::Date64 => IcebergType::Primitive("date".into()),
        DataType::Time64(_) | DataType::Time32(_) => IcebergType::Primitive("time".into()),
        DataType::Timestamp(_, None) => IcebergType::Primitive("timestamp".into()),
        DataType::Timestamp(_, Some(_)) => IcebergType::Primitive("timestamptz".into()),
        DataType::List(f) | DataType::LargeList(f) => {
            let element_id = take();
            IcebergType::List {
                element_id,
                element_required: false,
                element: Box::new(from_arrow(f.data_type(), next_id)?),
            }
        }
        DataType::Struct(fields) => {
            let ids: Vec<i32> = fields.iter().map(|_| take()).collect();
            IcebergType::Struct(
                fields
                    .iter()
                    .zip(ids)
                    .map(|(f, id)| {
                        Some(NestedField {
                            id,
                            name: f.name().to_lowercase(),
                            required: false,
                            field_type: from_arrow(f.data_type(), next_id)?,
                            doc: None,
                        })
                    })
                    .collect::<Option<Vec<_>>>()?,
            )
        }
        DataType::Map(entries, _) => {
            let DataType::Struct(kv) = entries.data_type() else {
                return None;
            };
            let key_id = take();
            let value_id = take();
            IcebergType::Map {
                key_id,
                key: Box::new(from_arrow(kv.first()?.data_type(), next_id)?),
                value_id,
                value_required: false,
                value: Box::new(from_arrow(kv.get(1)?.data_type(), next_id)?),
            }
        }
        _ => return None,
    })
}

/// The top-level fields of a new table's schema from Arrow fields: ids
/// 1..=n for the columns, then nested ids after them.
pub(crate) fn fields_from_arrow(fields: &Fields) -> Result<Vec<NestedField>, String> {
    let mut next_id = fields.len() as i32;
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let field_type = from_arrow(f.data_type(), &mut next_id).ok_or_else(|| {
                format!(
                    "column {} has type {}, which Iceberg cannot store; cast it",
                    f.name(),
                    f.data_type()
                )
            })?;
            Ok(NestedField {
                id: i as i32 + 1,
                name: f.name().to_lowercase(),
                required: false,
                field_type,
                doc: None,
            })
        })
        .collect()
}

/// The highest field id used in `fields`, nested ones included.
pub(crate) fn max_field_id(fields: &[NestedField]) -> i32 {
    fn of_type(t: &IcebergType) -> i32 {
        match t {
            IcebergType::Primitive(_) => 0,
            IcebergType::Struct(fields) => max_field_id(fields),
            IcebergType::List {
                element_id,
                element,
                ..
            } => (*element_id).max(of_type(element)),
            IcebergType::Map {
                key_id,
                key,
                value_id,
                value,
                ..
            } => (*key_id)
                .max(*value_id)
                .max(of_type(key))
                .max(of_type(value)),
        }
    }
    fields
        .iter()
        .map(|f| f.id.max(of_type(&f.field_type)))
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_round_trip_through_json_and_map_to_arrow() {
        let text = r#"{"type": "map", "key-id": 5, "key": "string", "value-id": 6,
            "value-required": false, "value": {"type": "list", "element-id": 7,
            "element-required": true, "element": "decimal(10, 2)"}}"#;
        let t: IcebergType = serde_json::from_str(text).unwrap();
        let again: IcebergType = serde_json::to_string(&t)
            .and_then(|s| serde_json::from_str(&s))
            .unwrap();
        assert_eq!(t, again);
        assert_eq!(t.hive_type(), "map<string,array<decimal(10,2)>>");
        let DataType::Map(entries, _) = t.arrow_type().unwrap() else {
            panic!("not a map")
        };
        let DataType::Struct(kv) = entries.data_type() else {
            panic!("not a struct")
        };
        assert_eq!(field_id(&kv[1]), Some(6));
        assert_eq!(
            t.find(7),
            Some(&IcebergType::Primitive("decimal(10, 2)".into()))
        );
    }

    #[test]
    fn arrow_types_become_iceberg_types_with_fresh_ids() {
        let fields = Fields::from(vec![
            Field::new("ID", DataType::Int64, true),
            Field::new(
                "tags",
                DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
                true,
            ),
            Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, None), true),
        ]);
        let schema = fields_from_arrow(&fields).unwrap();
        assert_eq!(schema[0].name, "id");
        assert_eq!(schema[1].id, 2);
        assert!(matches!(
            schema[1].field_type,
            IcebergType::List { element_id: 4, .. }
        ));
        assert_eq!(
            schema[2].field_type,
            IcebergType::Primitive("timestamp".into())
        );
        assert_eq!(max_field_id(&schema), 4);
        assert!(
            fields_from_arrow(&Fields::from(vec![Field::new("n", DataType::Null, true)])).is_err()
        );
    }
}
