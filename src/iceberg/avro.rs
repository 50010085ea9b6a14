//! Avro object container files (Iceberg's manifest lists and manifests),
//! read and written with `arrow-avro`, the Arrow project's Avro crate.
//!
//! Reading is `arrow-avro`'s reader: record batches plus the file's header
//! metadata. Writing uses its encoder for the records, inside a container
//! written here, because Iceberg's readers want header metadata beyond the
//! schema and codec (`format-version`, `partition-spec`, `snapshot-id`, ...)
//! and `arrow-avro`'s file writer writes only those two keys.

use std::collections::HashMap;
use std::io::{BufReader, Cursor, Write};
use std::sync::Arc;

use arrow_avro::reader::ReaderBuilder;
use arrow_avro::schema::{AvroSchema, SCHEMA_METADATA_KEY};
use arrow_avro::writer::WriterBuilder;
use arrow_avro::writer::format::AvroBinaryFormat;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::Schema;
use serde_json::Value;

/// An Avro file's records and header metadata.
pub(crate) struct AvroFile {
    /// The records, in file order.
    pub(crate) batches: Vec<RecordBatch>,
    /// Header metadata (`avro.schema`, `avro.codec`, and the writer's keys).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) metadata: HashMap<String, String>,
}

/// Reads a whole Avro object container file; `Err` is the reason.
pub(crate) fn read(bytes: &[u8]) -> Result<AvroFile, String> {
    let build = |reader_schema: Option<AvroSchema>| {
        let mut builder = ReaderBuilder::new().with_batch_size(8192);
        if let Some(schema) = reader_schema {
            builder = builder.with_reader_schema(schema);
        }
        builder
            .build(BufReader::new(Cursor::new(bytes)))
            .map_err(|e| format!("not a readable Avro file ({e})"))
    };
    let mut reader = build(None)?;
    // arrow-avro cannot decode a record with no fields (it builds a struct
    // array with no columns and so no length), and an unpartitioned
    // table's `partition` is one. Such files are read with a reader schema
    // that leaves those fields out, which Avro's schema resolution skips.
    let writer_schema = reader
        .avro_header()
        .metadata()
        .find(|(k, _)| *k == SCHEMA_METADATA_KEY.as_bytes())
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned());
    if let Some(pruned) = writer_schema.as_deref().and_then(without_empty_records) {
        reader = build(Some(AvroSchema::new(pruned)))?;
    }
    let metadata = reader
        .avro_header()
        .metadata()
        .map(|(k, v)| {
            (
                String::from_utf8_lossy(k).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            )
        })
        .collect();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a readable Avro file ({e})"))?;
    Ok(AvroFile { batches, metadata })
}

/// The Avro schema `json` without the fields whose type is a record with no
/// fields (alone or in a union); `None` when it has none.
fn without_empty_records(json: &str) -> Option<String> {
    fn empty_record(t: &Value) -> bool {
        match t {
            Value::Object(o) => {
                o.get("type").and_then(Value::as_str) == Some("record")
                    && o.get("fields")
                        .and_then(Value::as_array)
                        .is_some_and(Vec::is_empty)
            }
            Value::Array(union) => union.iter().any(empty_record),
            _ => false,
        }
    }
    fn prune(t: &mut Value) -> bool {
        let mut changed = false;
        match t {
            Value::Object(o) => {
                if let Some(Value::Array(fields)) = o.get_mut("fields") {
                    let before = fields.len();
                    fields.retain(|f| !f.get("type").is_some_and(empty_record));
                    changed |= fields.len() != before;
                    for field in fields.iter_mut() {
                        if let Some(t) = field.get_mut("type") {
                            changed |= prune(t);
                        }
                    }
                }
                for key in ["items", "values"] {
                    if let Some(t) = o.get_mut(key) {
                        changed |= prune(t);
                    }
                }
            }
            Value::Array(union) => {
                for t in union.iter_mut() {
                    changed |= prune(t);
                }
            }
            _ => {}
        }
        changed
    }
    let mut schema: Value = serde_json::from_str(json).ok()?;
    prune(&mut schema).then(|| schema.to_string())
}

/// Writes `batch` as an Avro object container file with the Avro schema
/// `avro_schema` (JSON, with Iceberg's `field-id` attributes) and the header
/// metadata `metadata`, deflate-compressed as Iceberg's writers do.
pub(crate) fn write(
    batch: &RecordBatch,
    avro_schema: &str,
    metadata: &[(&str, String)],
) -> Result<Vec<u8>, String> {
    let schema = Schema::new_with_metadata(
        batch.schema().fields().clone(),
        HashMap::from([(SCHEMA_METADATA_KEY.to_string(), avro_schema.to_string())]),
    );
    let batch = batch
        .clone()
        .with_schema(Arc::new(schema.clone()))
        .map_err(|e| e.to_string())?;
    let mut encoder = WriterBuilder::new(schema)
        .build_encoder::<AvroBinaryFormat>()
        .map_err(|e| format!("cannot encode Avro records ({e})"))?;
    encoder
        .encode(&batch)
        .map_err(|e| format!("cannot encode Avro records ({e})"))?;
    let rows = encoder.flush();

    let mut out = Vec::new();
    out.extend_from_slice(b"Obj\x01");
    let mut keys: Vec<(&str, &[u8])> = vec![
        ("avro.schema", avro_schema.as_bytes()),
        ("avro.codec", b"deflate"),
    ];
    keys.extend(metadata.iter().map(|(k, v)| (*k, v.as_bytes())));
    write_long(&mut out, keys.len() as i64);
    for (key, value) in keys {
        write_bytes(&mut out, key.as_bytes());
        write_bytes(&mut out, value);
    }
    write_long(&mut out, 0);
    // A random sync marker, as Avro's writers make one per file.
    let sync: [u8; 16] = uuid::Uuid::new_v4().into_bytes();
    out.extend_from_slice(&sync);
    if batch.num_rows() > 0 {
        let mut deflater =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        deflater
            .write_all(rows.bytes())
            .map_err(|e| e.to_string())?;
        let block = deflater.finish().map_err(|e| e.to_string())?;
        write_long(&mut out, batch.num_rows() as i64);
        write_long(&mut out, block.len() as i64);
        out.extend_from_slice(&block);
        out.extend_from_slice(&sync);
    }
    Ok(out)
}

fn write_long(out: &mut Vec<u8>, value: i64) {
    let mut n = ((value << 1) ^ (value >> 63)) as u64;
    loop {
        if n & !0x7f == 0 {
            out.push(n as u8);
            return;
        }
        out.push((n & 0x7f | 0x80) as u8);
        n >>= 7;
    }
}

fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_long(out, bytes.len() as i64);
    out.extend_from_slice(bytes);
}
