//! Deletion vectors: the rows of a data file that later commits deleted
//! without rewriting it (Delta protocol, "Deletion Vectors" and "Deletion
//! Vector Format").
//!
//! An `add` action's `deletionVector` descriptor says where the bitmap of
//! deleted row positions is: inline in the log (`i`, Z85 text), in a file
//! beside the data named by a UUID (`u`), or at an absolute path (`p`).
//! The bitmap is a `RoaringBitmapArray`: a little-endian magic number, then
//! 64-bit Roaring in its "portable" layout, which is `RoaringTreemap`'s
//! serialisation. On disk it sits at `offset` in a file that starts with a
//! version byte, framed by a big-endian size before it and a big-endian
//! CRC-32 of it after it. The positions become the file's row selection in
//! the scan (`table`), so deleted rows are never decoded.

use std::ops::Range;

use datafusion::execution::runtime_env::RuntimeEnv;
use roaring::RoaringTreemap;
use serde::Deserialize;

use crate::storage::{LocationMap, ResolvedLocation, resolve};

/// `RoaringBitmapArray`'s magic number for the portable 64-bit layout.
const MAGIC: u32 = 1681511377;

/// An `add` action's `deletionVector`, as the log spells it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Descriptor {
    pub(crate) storage_type: String,
    pub(crate) path_or_inline_dv: String,
    #[serde(default)]
    pub(crate) offset: Option<i64>,
    pub(crate) size_in_bytes: i64,
    pub(crate) cardinality: i64,
}

/// A deletion vector, located.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeletionVector {
    pub(crate) source: Source,
    /// Bytes of the serialised bitmap (magic included).
    pub(crate) size: u32,
    /// How many rows it deletes.
    pub(crate) cardinality: u64,
}

/// Where a deletion vector's bitmap is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Source {
    /// In the log: the bitmap itself.
    Inline(Vec<u8>),
    /// In a file, at `offset`.
    File {
        location: ResolvedLocation,
        offset: u64,
    },
}

impl DeletionVector {
    /// Locates `descriptor` for the table at `root` (its data directory).
    /// Errors are the reason, to follow the data file's name.
    pub(crate) fn locate(
        descriptor: &Descriptor,
        root: &ResolvedLocation,
        map: &LocationMap,
    ) -> Result<Self, String> {
        let d = descriptor;
        let (size, cardinality) = match (
            u32::try_from(d.size_in_bytes),
            u64::try_from(d.cardinality),
        ) {
            (Ok(size), Ok(cardinality)) if size >= 4 => (size, cardinality),
            _ => {
                return Err(format!(
                    "has a deletion vector of size {} and cardinality {}, which is not a deletion \
                     vector's",
                    d.size_in_bytes, d.cardinality
                ));
            }
        };
        let offset = || u64::try_from(d.offset.unwrap_or(1)).unwrap_or(1);
        let source = match d.storage_type.as_str() {
            "i" => {
                let bytes = z85_decode(&d.path_or_inline_dv)
                    .filter(|b| b.len() >= size as usize)
                    .ok_or("has an inline deletion vector that is not Z85 text of its size")?;
                Source::Inline(bytes[..size as usize].to_vec())
            }
            "u" => {
                let text = &d.path_or_inline_dv;
                let split = text
                    .len()
                    .checked_sub(20)
                    .filter(|s| text.is_char_boundary(*s));
                let uuid = split
                    .and_then(|s| z85_decode(&text[s..]))
                    .and_then(|b| uuid::Uuid::from_slice(&b).ok())
                    .ok_or_else(|| {
                        format!(
                            "has a deletion vector named {text}, which does not end in a Z85 UUID"
                        )
                    })?;
                let prefix = &text[..split.unwrap_or_default()];
                let name = match prefix {
                    "" => format!("deletion_vector_{uuid}.bin"),
                    prefix => format!("{prefix}/deletion_vector_{uuid}.bin"),
                };
                let location = ResolvedLocation {
                    store: root.store.clone(),
                    prefix: object_store::path::Path::parse(format!("{}/{name}", root.prefix))
                        .map_err(|e| format!("has a deletion vector path {name} ({e})"))?,
                    display: format!("{}/{name}", root.display.trim_end_matches('/')),
                    local_dir: None,
                };
                Source::File {
                    location,
                    offset: offset(),
                }
            }
            "p" => {
                let path = super::percent_decode(&d.path_or_inline_dv);
                let location = resolve(&path, map).map_err(|e| {
                    format!("has a deletion vector at {path}, which lathe cannot locate ({e})")
                })?;
                Source::File {
                    location,
                    offset: offset(),
                }
            }
            other => {
                return Err(format!(
                    "has a deletion vector of storage type {other:?}, which the Delta protocol \
                     does not define (u, i or p)"
                ));
            }
        };
        Ok(Self {
            source,
            size,
            cardinality,
        })
    }

    /// Where the bitmap is, for messages: its file, or "inline".
    pub(crate) fn display(&self) -> String {
        match &self.source {
            Source::Inline(_) => "the log (inline)".into(),
            Source::File { location, .. } => location.display.clone(),
        }
    }

    /// The deleted row positions, sorted. Errors are the reason, to follow
    /// the data file's name.
    pub(crate) async fn deleted_rows(&self, runtime: &RuntimeEnv) -> Result<Vec<u64>, String> {
        let bitmap = match &self.source {
            Source::Inline(bytes) => bitmap_array(bytes)
                .map_err(|reason| format!("has an inline deletion vector that {reason}"))?,
            Source::File { location, offset } => {
                let store = runtime.object_store(&location.store).map_err(|e| {
                    format!(
                        "has a deletion vector file {} in a store lathe cannot open ({e})",
                        location.display
                    )
                })?;
                let framed = *offset..offset + 4 + u64::from(self.size) + 4;
                // The version byte and the framed bitmap, in one request
                // when they are adjacent (the first bitmap of a file).
                let ranges: Vec<Range<u64>> = if *offset <= 1 {
                    vec![Range {
                        start: 0,
                        end: framed.end,
                    }]
                } else {
                    vec![0..1, framed]
                };
                let parts =
                    store
                        .get_ranges(&location.prefix, &ranges)
                        .await
                        .map_err(|e| match e {
                            object_store::Error::NotFound { .. } => format!(
                                "has a deletion vector file {} that does not exist",
                                location.display
                            ),
                            e => format!(
                                "has a deletion vector file {} that cannot be read ({e})",
                                location.display
                            ),
                        })?;
                let mut bytes = parts.concat();
                if *offset > 1 {
                    // Put the bitmap at its offset, as `dv_file` expects.
                    let framed = bytes.split_off(1);
                    bytes.resize(*offset as usize, 0);
                    bytes.extend(framed);
                }
                dv_file(&bytes, *offset as usize, self.size).map_err(|reason| {
                    format!("has a deletion vector file {} {reason}", location.display)
                })?
            }
        };
        if bitmap.len() != self.cardinality {
            return Err(format!(
                "has a deletion vector in {} of {} rows where the log says {}",
                self.display(),
                bitmap.len(),
                self.cardinality
            ));
        }
        Ok(bitmap.into_iter().collect())
    }
}

/// The bitmap in a deletion vector file's bytes (read from its start):
/// version byte 1, then at `offset` the size, the bitmap and its CRC-32.
/// The error completes "has a deletion vector file F ...".
pub(crate) fn dv_file(bytes: &[u8], offset: usize, size: u32) -> Result<RoaringTreemap, String> {
    match bytes.first() {
        Some(1) => {}
        Some(v) => {
            return Err(format!(
                "of format version {v}, which lathe does not read (1)"
            ));
        }
        None => return Err("that is empty".into()),
    }
    let size = size as usize;
    let end = offset + 4 + size + 4;
    if bytes.len() < end {
        return Err(format!(
            "that ends at byte {} before the deletion vector's end at {end}",
            bytes.len()
        ));
    }
    let framed = u32::from_be_bytes(be4(&bytes[offset..])) as usize;
    if framed != size {
        return Err(format!(
            "whose deletion vector at {offset} is {framed} bytes where the log says {size}"
        ));
    }
    let bitmap = &bytes[offset + 4..offset + 4 + size];
    let stored = u32::from_be_bytes(be4(&bytes[offset + 4 + size..]));
    let computed = crc32fast::hash(bitmap);
    if stored != computed {
        return Err(format!(
            "whose deletion vector at {offset} fails its checksum (CRC-32 {stored:08x} stored, \
             {computed:08x} computed): the file is corrupt"
        ));
    }
    bitmap_array(bitmap).map_err(|reason| format!("whose deletion vector at {offset} {reason}"))
}

/// A serialised `RoaringBitmapArray`: the magic, then portable 64-bit Roaring.
/// The error completes "... that ...".
pub(crate) fn bitmap_array(bytes: &[u8]) -> Result<RoaringTreemap, String> {
    if bytes.len() < 4 || u32::from_le_bytes(be4(bytes)) != MAGIC {
        return Err("is not a Roaring bitmap array in the portable format".into());
    }
    RoaringTreemap::deserialize_from(&bytes[4..])
        .map_err(|e| format!("is not a readable Roaring bitmap array ({e})"))
}

fn be4(bytes: &[u8]) -> [u8; 4] {
    [bytes[0], bytes[1], bytes[2], bytes[3]]
}

/// Z85 (ZeroMQ's base 85): every 5 characters are 4 bytes, big-endian.
pub(crate) fn z85_decode(text: &str) -> Option<Vec<u8>> {
    z85::decode(text).ok()
}
