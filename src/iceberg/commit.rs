//! Commits: a new snapshot (data files added, delete files added, data
//! files removed), written as Iceberg's writers write one, then published.
//!
//! The order makes a commit atomic: data and delete files, then manifests,
//! then the manifest list, then a new metadata file (created, never
//! overwritten), and last the catalog's pointer (`metadata_location`, with
//! `previous_metadata_location`), swapped only if it still names the
//! metadata the commit started from. A failure before the swap leaves only
//! unreferenced files (orphans, which `VACUUM` removes); a concurrent commit
//! makes this one fail, naming the table.

use std::collections::{BTreeMap, HashSet};

use datafusion::execution::runtime_env::RuntimeEnv;

use super::IcebergTable;
use super::io::TableFile;
use super::manifest::write::{manifest, manifest_list, summaries};
use super::manifest::{
    CONTENT_DATA, DataFile, ManifestEntry, ManifestFile, STATUS_ADDED, STATUS_DELETED,
    STATUS_EXISTING, read_manifest,
};
use super::metadata::{MetadataLogEntry, Snapshot, SnapshotLogEntry, SnapshotRef, TableMetadata};
use super::scan::manifests;
use crate::error::{Error, Result};

/// What a commit changes.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// New data files.
    pub(crate) added: Vec<DataFile>,
    /// New delete files.
    pub(crate) deletes: Vec<DataFile>,
    /// Paths of data or delete files the snapshot no longer has.
    pub(crate) removed: HashSet<String>,
}

/// Writes a snapshot with `changes` on top of the table's current one and
/// publishes it; returns the new metadata file's location.
pub(crate) async fn commit(
    table: &IcebergTable,
    runtime: &RuntimeEnv,
    changes: Changes,
    operation: &str,
) -> Result<String> {
    let base = &table.metadata;
    if base.format_version < 2 {
        return Err(table.invalid(
            &table.metadata_location,
            "is Iceberg format version 1; lathe writes only to format version 2 tables".into(),
        ));
    }
    let snapshot_id = new_snapshot_id(base);
    let sequence_number = base.last_sequence_number + 1;
    let parent = base.current_snapshot().map(|s| s.snapshot_id);
    let schema = base
        .current_schema(None)
        .ok_or_else(|| table.invalid(&table.metadata_location, "has no schema".into()))?;
    let location = base.location.trim_end_matches('/').to_string();
    let commit_id = uuid::Uuid::new_v4();

    let mut manifest_files: Vec<ManifestFile> = Vec::new();
    let mut n = 0;
    let mut write_manifest = |entries: Vec<ManifestEntry>, spec_id: i32, content: i32| {
        n += 1;
        let path = format!("{location}/metadata/{commit_id}-m{}.avro", n - 1);
        (path, entries, spec_id, content)
    };
    let mut pending = Vec::new();
    let added_entry = |file: DataFile| ManifestEntry {
        status: STATUS_ADDED,
        snapshot_id,
        sequence_number,
        file_sequence_number: sequence_number,
        file,
    };
    // New files, one manifest per spec and content.
    let mut by_spec: BTreeMap<(i32, i32), Vec<ManifestEntry>> = BTreeMap::new();
    let (added_files, added_rows) = (changes.added.len(), sum_rows(&changes.added));
    let deletes_added = changes.deletes.len();
    let position_deletes: i64 = changes
        .deletes
        .iter()
        .filter(|d| d.content == 1)
        .map(|d| d.record_count)
        .sum();
    let equality_deletes: i64 = changes
        .deletes
        .iter()
        .filter(|d| d.content == 2)
        .map(|d| d.record_count)
        .sum();
    for f in changes.added {
        by_spec
            .entry((f.spec_id, 0))
            .or_default()
            .push(added_entry(f));
    }
    for f in changes.deletes {
        by_spec
            .entry((f.spec_id, 1))
            .or_default()
            .push(added_entry(f));
    }
    for ((spec_id, content), entries) in by_spec {
        pending.push(write_manifest(entries, spec_id, content));
    }
    // Manifests of the parent: kept as they are, or rewritten with the
    // removed files marked deleted.
    let mut removed_files = 0usize;
    let mut removed_rows = 0i64;
    for m in manifests(table, runtime).await? {
        if changes.removed.is_empty() {
            manifest_files.push(m);
            continue;
        }
        let bytes = TableFile::open(runtime, &table.map, &m.path)?
            .read(&table.name(), &m.path)
            .await?;
        let entries = read_manifest(&bytes, &m).map_err(|r| table.invalid(&m.path, r))?;
        let live: Vec<ManifestEntry> = entries
            .into_iter()
            .filter(|e| e.status != STATUS_DELETED)
            .collect();
        if !live.iter().any(|e| changes.removed.contains(&e.file.path)) {
            manifest_files.push(m);
            continue;
        }
        let rewritten: Vec<ManifestEntry> = live
            .into_iter()
            .map(|mut e| {
                if changes.removed.contains(&e.file.path) {
                    e.status = STATUS_DELETED;
                    e.snapshot_id = snapshot_id;
                    if e.file.content == CONTENT_DATA {
                        removed_files += 1;
                        removed_rows += e.file.record_count;
                    }
                } else {
                    e.status = STATUS_EXISTING;
                }
                e
            })
            .collect();
        pending.push(write_manifest(rewritten, m.spec_id, m.content));
    }
    let mut written = Vec::new();
    for (path, entries, spec_id, content) in pending {
        let spec = base.spec(spec_id).cloned().ok_or_else(|| {
            table.invalid(
                &table.metadata_location,
                format!("has no partition spec {spec_id}"),
            )
        })?;
        let bytes = manifest(&entries, &spec, schema, content)
            .map_err(|r| table.invalid(&path, format!("cannot be written: {r}")))?;
        let count = |status: i32| entries.iter().filter(|e| e.status == status).count() as i32;
        let rows = |status: i32| {
            entries
                .iter()
                .filter(|e| e.status == status)
                .map(|e| e.file.record_count)
                .sum::<i64>()
        };
        let files: Vec<&DataFile> = entries
            .iter()
            .filter(|e| e.status != STATUS_DELETED)
            .map(|e| &e.file)
            .collect();
        written.push(ManifestFile {
            path: path.clone(),
            length: bytes.len() as i64,
            spec_id,
            content,
            sequence_number,
            min_sequence_number: entries
                .iter()
                .filter(|e| e.status != STATUS_DELETED)
                .map(|e| e.sequence_number)
                .min()
                .unwrap_or(sequence_number),
            added_snapshot_id: snapshot_id,
            added_files: count(STATUS_ADDED),
            existing_files: count(STATUS_EXISTING),
            deleted_files: count(STATUS_DELETED),
            added_rows: rows(STATUS_ADDED),
            existing_rows: rows(STATUS_EXISTING),
            deleted_rows: rows(STATUS_DELETED),
            partitions: summaries(&files, &spec, schema),
        });
        TableFile::open(runtime, &table.map, &path)?
            .write(bytes, true)
            .await?;
    }
    written.extend(manifest_files);
    let list_path = format!("{location}/metadata/snap-{snapshot_id}-1-{commit_id}.avro");
    let list = manifest_list(&written, snapshot_id, parent, sequence_number)
        .map_err(|r| table.invalid(&list_path, format!("cannot be written: {r}")))?;
    TableFile::open(runtime, &table.map, &list_path)?
        .write(list, true)
        .await?;

    // The snapshot's summary, with totals carried from the parent's.
    let previous = base.current_snapshot().map(|s| &s.summary);
    let total = |key: &str| -> i64 {
        previous
            .and_then(|p| p.get(key))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let mut summary = BTreeMap::new();
    summary.insert("operation".to_string(), operation.to_string());
    let mut put = |k: &str, v: i64| {
        if v != 0 {
            summary.insert(k.to_string(), v.to_string());
        }
    };
    put("added-data-files", added_files as i64);
    put("added-records", added_rows);
    put("added-delete-files", deletes_added as i64);
    put("added-position-deletes", position_deletes);
    put("added-equality-deletes", equality_deletes);
    put("deleted-data-files", removed_files as i64);
    put("deleted-records", removed_rows);
    for (key, delta) in [
        (
            "total-data-files",
            added_files as i64 - removed_files as i64,
        ),
        ("total-records", added_rows - removed_rows),
        ("total-delete-files", deletes_added as i64),
        ("total-position-deletes", position_deletes),
        ("total-equality-deletes", equality_deletes),
    ] {
        summary.insert(key.to_string(), (total(key) + delta).max(0).to_string());
    }
    let now = chrono::Utc::now()
        .timestamp_millis()
        .max(base.last_updated_ms + 1);
    let mut next: TableMetadata = base.as_ref().clone();
    next.snapshots.push(Snapshot {
        snapshot_id,
        parent_snapshot_id: parent,
        sequence_number,
        timestamp_ms: now,
        manifest_list: Some(list_path),
        summary,
        schema_id: Some(schema.schema_id),
        other: Default::default(),
    });
    next.last_sequence_number = sequence_number;
    next.last_updated_ms = now;
    next.current_snapshot_id = Some(snapshot_id);
    next.refs.get_or_insert_with(BTreeMap::new).insert(
        "main".into(),
        SnapshotRef {
            snapshot_id,
            kind: "branch".into(),
            other: Default::default(),
        },
    );
    next.snapshot_log.push(SnapshotLogEntry {
        snapshot_id,
        timestamp_ms: now,
    });
    publish(table, runtime, next).await
}

/// Writes `next` as the table's new metadata file and points the catalog at
/// it; returns its location.
pub(crate) async fn publish(
    table: &IcebergTable,
    runtime: &RuntimeEnv,
    mut next: TableMetadata,
) -> Result<String> {
    next.metadata_log.push(MetadataLogEntry {
        metadata_file: table.metadata_location.clone(),
        timestamp_ms: table.metadata.last_updated_ms,
    });
    let keep = next
        .property("write.metadata.previous-versions-max")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100usize);
    if next.metadata_log.len() > keep {
        let extra = next.metadata_log.len() - keep;
        next.metadata_log.drain(..extra);
    }
    let location = metadata_file(&next.location, &table.metadata_location);
    TableFile::open(runtime, &table.map, &location)?
        .write(next.to_json(), true)
        .await?;
    table
        .catalog
        .commit_iceberg(&table.def, &table.metadata_location, &location)
        .await?;
    Ok(location)
}

/// The next metadata file's name: `NNNNN-<uuid>.metadata.json`, one
/// version after the current file's.
pub(crate) fn metadata_file(table_location: &str, current: &str) -> String {
    let name = current.rsplit('/').next().unwrap_or_default();
    let version = name
        .split('-')
        .next()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(0, |v| v + 1);
    format!(
        "{}/metadata/{version:05}-{}.metadata.json",
        table_location.trim_end_matches('/'),
        uuid::Uuid::new_v4()
    )
}

fn sum_rows(files: &[DataFile]) -> i64 {
    files.iter().map(|f| f.record_count).sum()
}

/// A positive snapshot id no snapshot of the table has.
fn new_snapshot_id(metadata: &TableMetadata) -> i64 {
    loop {
        let bytes = uuid::Uuid::new_v4().into_bytes();
        let id = i64::from_le_bytes(bytes[..8].try_into().unwrap_or([1; 8])) & i64::MAX;
        if id != 0 && metadata.snapshot(id).is_none() {
            return id;
        }
    }
}

impl Error {
    /// Another writer committed to the table since this statement read it.
    pub(crate) fn commit_conflict(table: &str, expected: &str, found: &str) -> Self {
        Error::CommitConflict {
            table: table.to_string(),
            reason: format!(
                "its metadata moved from {expected} to {found} while this statement ran; run the statement again"
            ),
        }
    }
}
