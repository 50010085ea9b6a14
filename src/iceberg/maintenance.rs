//! Athena's table maintenance on Iceberg tables.
//!
//! `OPTIMIZE t REWRITE DATA USING BIN_PACK [WHERE p]` rewrites the data
//! files in scope that have deletes or are smaller than
//! `optimize_rewrite_min_data_file_size_bytes` (Athena's default: 75% of
//! the target file size), partition by partition, into new files with the
//! deletes applied; delete files no remaining data file needs go too. It
//! commits a `replace` snapshot.
//!
//! `VACUUM t` expires the snapshots older than
//! `vacuum_max_snapshot_age_seconds` (default 5 days) beyond the
//! `vacuum_min_snapshots_to_keep` newest (default 1), keeps at most
//! `vacuum_max_metadata_files_to_keep` old metadata files (default 100),
//! and deletes the files only expired snapshots used and the orphan files
//! under the table's `data/` and `metadata/` folders older than that age.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use datafusion::catalog::Session;
use datafusion::logical_expr::Expr;
use futures::TryStreamExt;
use object_store::ObjectStoreExt;

use super::IcebergTable;
use super::commit::{Changes, commit, publish};
use super::io::TableFile;
use super::manifest::{
    CONTENT_DATA, CONTENT_EQUALITY_DELETES, ManifestFile, read_manifest, read_manifest_list,
};
use super::prune::{Predicate, from_filters};
use super::scan::{live_entries, manifests, plan};
use super::writer::DataWriter;
use crate::error::Result;
use crate::storage::resolve;

/// Athena's default snapshot age for VACUUM (`vacuum_max_snapshot_age_seconds`).
const MAX_SNAPSHOT_AGE_SECONDS: i64 = 432_000;

/// What OPTIMIZE did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Optimized {
    pub(crate) files_rewritten: usize,
    pub(crate) files_written: usize,
    pub(crate) delete_files_removed: usize,
}

/// `OPTIMIZE ... REWRITE DATA USING BIN_PACK [WHERE filters]`.
pub(crate) async fn optimize(
    table: &IcebergTable,
    state: &dyn Session,
    filters: &[Expr],
) -> Result<Optimized> {
    let runtime = state.runtime_env();
    let predicate = from_filters(filters, table.schema());
    let planned = plan(table, runtime, &predicate).await?;
    let target = table
        .metadata
        .property("write.target-file-size-bytes")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(512 * 1024 * 1024);
    let small = table
        .metadata
        .property("optimize_rewrite_min_data_file_size_bytes")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(target * 3 / 4);
    // Candidates per partition; a partition is rewritten when it has a
    // file with deletes, or more than one small file.
    let mut by_partition: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, f) in planned.files.iter().enumerate() {
        let has_deletes = !f.deleted.is_empty() || !f.equality.is_empty();
        if has_deletes || f.file.file_size < small {
            let key = format!("{}:{:?}", f.file.spec_id, f.file.partition);
            by_partition.entry(key).or_default().push(i);
        }
    }
    let chosen: Vec<usize> = by_partition
        .into_values()
        .filter(|files| {
            files.len() > 1
                || files.iter().any(|i| {
                    !planned.files[*i].deleted.is_empty() || !planned.files[*i].equality.is_empty()
                })
        })
        .flatten()
        .collect();
    if chosen.is_empty() {
        return Ok(Optimized::default());
    }
    let mut writer = DataWriter::new(table, Arc::clone(runtime))?;
    for i in &chosen {
        let (_, rows) = super::dml::live_rows(table, state, &planned, *i).await?;
        for batch in rows {
            writer.write(&batch).await?;
        }
    }
    let added = writer.finish().await?;
    let mut removed: HashSet<String> = chosen
        .iter()
        .map(|i| planned.files[*i].file.path.clone())
        .collect();
    // Delete files that no remaining data file needs.
    let manifests = manifests(table, runtime).await?;
    let entries = live_entries(table, runtime, &manifests, &Predicate::Unknown).await?;
    let remaining: Vec<_> = entries
        .iter()
        .filter(|e| e.file.content == CONTENT_DATA && !removed.contains(&e.file.path))
        .collect();
    let mut delete_files_removed = 0;
    for d in entries.iter().filter(|e| e.file.content != CONTENT_DATA) {
        let global = table
            .metadata
            .spec(d.file.spec_id)
            .is_some_and(|s| s.fields.is_empty());
        let needed = remaining.iter().any(|f| {
            let partition = global
                || (f.file.spec_id == d.file.spec_id && f.file.partition == d.file.partition);
            let older = if d.file.content == CONTENT_EQUALITY_DELETES {
                f.sequence_number < d.sequence_number
            } else {
                f.sequence_number <= d.sequence_number
            };
            partition && older
        });
        if !needed {
            removed.insert(d.file.path.clone());
            delete_files_removed += 1;
        }
    }
    let result = Optimized {
        files_rewritten: chosen.len(),
        files_written: added.len(),
        delete_files_removed,
    };
    let changes = Changes {
        added,
        deletes: Vec::new(),
        removed,
    };
    commit(table, runtime, changes, "replace").await?;
    Ok(result)
}

/// What VACUUM did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Vacuumed {
    pub(crate) snapshots_expired: usize,
    pub(crate) files_deleted: usize,
}

/// `VACUUM t`.
pub(crate) async fn vacuum(table: &IcebergTable, state: &dyn Session) -> Result<Vacuumed> {
    let runtime = state.runtime_env();
    let metadata = &table.metadata;
    let property = |key: &str| metadata.property(key).and_then(|v| v.parse::<i64>().ok());
    let max_age_ms = property("vacuum_max_snapshot_age_seconds")
        .unwrap_or(MAX_SNAPSHOT_AGE_SECONDS)
        .max(0)
        * 1000;
    let min_keep = property("vacuum_min_snapshots_to_keep").unwrap_or(1).max(1) as usize;
    let max_metadata = property("vacuum_max_metadata_files_to_keep")
        .unwrap_or(100)
        .max(0) as usize;
    let now = chrono::Utc::now().timestamp_millis();
    let cutoff = now - max_age_ms;

    // Retained: the newest ancestors of the current snapshot (at least
    // `min_keep`), those newer than the cutoff, and any a ref names.
    let current = metadata.current_snapshot().map(|s| s.snapshot_id);
    let mut retained: HashSet<i64> = HashSet::new();
    for (n, id) in metadata.ancestors(current).into_iter().enumerate() {
        let young = metadata
            .snapshot(id)
            .is_some_and(|s| s.timestamp_ms >= cutoff);
        if n < min_keep || young {
            retained.insert(id);
        }
    }
    for r in metadata.refs.iter().flatten() {
        retained.insert(r.1.snapshot_id);
    }
    let expired: Vec<i64> = metadata
        .snapshots
        .iter()
        .map(|s| s.snapshot_id)
        .filter(|id| !retained.contains(id))
        .collect();

    // Every file a retained snapshot reaches.
    let mut referenced: HashSet<String> = HashSet::new();
    let mut expired_files: HashSet<String> = HashSet::new();
    for s in &metadata.snapshots {
        let keep = retained.contains(&s.snapshot_id);
        let Some(list) = &s.manifest_list else {
            continue;
        };
        let files = reachable(table, runtime, list).await?;
        if keep {
            referenced.extend(files);
        } else {
            expired_files.extend(files);
        }
    }
    let mut next = metadata.as_ref().clone();
    next.snapshots.retain(|s| retained.contains(&s.snapshot_id));
    next.snapshot_log
        .retain(|e| retained.contains(&e.snapshot_id));
    if next.metadata_log.len() + 1 > max_metadata {
        let extra = next.metadata_log.len() + 1 - max_metadata;
        next.metadata_log
            .drain(..extra.min(next.metadata_log.len()));
    }
    let kept_metadata: HashSet<String> = next
        .metadata_log
        .iter()
        .map(|e| e.metadata_file.clone())
        .chain([table.metadata_location.clone()])
        .collect();
    let new_location =
        if expired.is_empty() && next.metadata_log.len() == metadata.metadata_log.len() {
            table.metadata_location.clone()
        } else {
            publish(table, runtime, next).await?
        };

    // Files of expired snapshots only, then orphans old enough.
    let mut orphans = Vec::new();
    let mut doomed: HashSet<String> = expired_files.difference(&referenced).cloned().collect();
    // Orphans are compared as object keys, encoded as the store encodes
    // them, not as the metadata spells them.
    let key = |location: &str| {
        resolve(location, &table.map)
            .map(|r| format!("{}{}", r.store.as_str(), r.prefix.as_ref()))
            .unwrap_or_default()
    };
    let known: HashSet<String> = referenced
        .iter()
        .chain(&kept_metadata)
        .chain([&new_location])
        .map(|l| key(l))
        .collect();
    let root = metadata.location.trim_end_matches('/').to_string();
    for folder in ["data", "metadata"] {
        let base = format!("{root}/{folder}/");
        let resolved = resolve(&base, &table.map)?;
        if resolved.local_dir.as_ref().is_some_and(|d| !d.is_dir()) {
            continue;
        }
        let store = runtime.object_store(&resolved.store)?;
        let listed: Vec<_> = store.list(Some(&resolved.prefix)).try_collect().await?;
        for meta in listed {
            let object = format!("{}{}", resolved.store.as_str(), meta.location.as_ref());
            if !known.contains(&object) && meta.last_modified.timestamp_millis() < cutoff {
                orphans.push((Arc::clone(&store), object, meta.location));
            }
        }
    }
    doomed.remove(&new_location);
    for location in &doomed {
        TableFile::open(runtime, &table.map, location)?
            .delete()
            .await?;
    }
    let gone: HashSet<String> = doomed.iter().map(|d| key(d)).collect();
    let mut deleted = doomed.len();
    for (store, object, path) in orphans {
        if gone.contains(&object) {
            continue;
        }
        match store.delete(&path).await {
            Ok(()) => deleted += 1,
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Vacuumed {
        snapshots_expired: expired.len(),
        files_deleted: deleted,
    })
}

/// A snapshot's manifest list, manifests, and the data and delete files
/// its manifests list as live.
async fn reachable(
    table: &IcebergTable,
    runtime: &datafusion::execution::runtime_env::RuntimeEnv,
    list: &str,
) -> Result<HashSet<String>> {
    let mut out = HashSet::from([list.to_string()]);
    let bytes = match TableFile::open(runtime, &table.map, list)?
        .read(&table.name(), list)
        .await
    {
        Ok(b) => b,
        // Already gone (an earlier VACUUM): nothing more is reachable from it.
        Err(crate::error::Error::InvalidIceberg { .. }) => return Ok(out),
        Err(e) => return Err(e),
    };
    let manifests: Vec<ManifestFile> =
        read_manifest_list(&bytes).map_err(|r| table.invalid(list, r))?;
    for m in &manifests {
        out.insert(m.path.clone());
        let Ok(bytes) = TableFile::open(runtime, &table.map, &m.path)?
            .read(&table.name(), &m.path)
            .await
        else {
            continue;
        };
        for e in read_manifest(&bytes, m).map_err(|r| table.invalid(&m.path, r))? {
            if e.status != super::manifest::STATUS_DELETED {
                out.insert(e.file.path);
            }
        }
    }
    Ok(out)
}
