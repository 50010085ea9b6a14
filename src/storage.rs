//! Where a table's bytes live: location rewriting and resolution.
//!
//! A catalog location (`s3://bucket/prefix/`, `file:///abs/`, or an absolute
//! path) is first rewritten by the location map (`--map FROM=TO`, longest
//! `FROM` wins), then resolved to an object store URL plus a path within it.
//! The object stores themselves are DataFusion's registry; local files use
//! the `file://` store that every session has, S3 buckets one store each,
//! made on first use (`s3`).

use std::path::{Path, PathBuf};

use datafusion::execution::object_store::ObjectStoreUrl;
use object_store::path::{Path as ObjectPath, PathPart};

use crate::error::{Error, Result};

pub(crate) mod counting;
pub(crate) mod s3;

/// One `FROM=TO` rewrite rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationMapping {
    /// The location prefix to rewrite, e.g. `s3://acme-raw/`.
    pub from: String,
    /// What to put in its place: a URL or an absolute local path.
    pub to: String,
}

impl LocationMapping {
    /// Parses `FROM=TO`; a relative `TO` is taken relative to `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidConfig {
            source_name: format!("location map {text:?}"),
            reason: reason.to_string(),
        };
        let (from, to) = text
            .split_once('=')
            .ok_or_else(|| invalid("expected FROM=TO, e.g. s3://bucket/prefix/=local/dir/"))?;
        let (from, to) = (from.trim(), to.trim());
        if from.is_empty() || to.is_empty() {
            return Err(invalid("expected FROM=TO with both sides non-empty"));
        }
        let to = if to.contains("://") {
            to.to_string()
        } else {
            let mut abs = base.join(to).to_string_lossy().into_owned();
            if to.ends_with('/') && !abs.ends_with('/') {
                abs.push('/');
            }
            abs
        };
        Ok(Self {
            from: from.to_string(),
            to,
        })
    }
}

/// The ordered set of rewrite rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocationMap {
    rules: Vec<LocationMapping>,
}

impl LocationMap {
    /// A map of the given rules.
    pub fn new(rules: Vec<LocationMapping>) -> Self {
        Self { rules }
    }

    /// The rules, in the order given.
    pub fn rules(&self) -> &[LocationMapping] {
        &self.rules
    }

    /// Rewrites a location with the longest matching rule, if any.
    pub fn apply(&self, location: &str) -> String {
        let best = self
            .rules
            .iter()
            .filter(|r| {
                location.starts_with(&r.from)
                    || location.starts_with(r.from.trim_end_matches('/'))
                        && location.len() == r.from.trim_end_matches('/').len()
            })
            .max_by_key(|r| r.from.len());
        match best {
            Some(rule) => {
                let rest = location.get(rule.from.len()..).unwrap_or_default();
                join(&rule.to, rest)
            }
            None => location.to_string(),
        }
    }
}

fn join(base: &str, rest: &str) -> String {
    if rest.is_empty() {
        return base.to_string();
    }
    match (base.ends_with('/'), rest.starts_with('/')) {
        (true, true) => format!("{base}{}", &rest[1..]),
        (false, false) => format!("{base}/{rest}"),
        _ => format!("{base}{rest}"),
    }
}

/// A location resolved to an object store and a prefix within it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResolvedLocation {
    /// The store, e.g. `file://`.
    pub(crate) store: ObjectStoreUrl,
    /// The prefix (a "folder") within the store.
    pub(crate) prefix: ObjectPath,
    /// Where it is, for messages: the local path or URL after mapping.
    pub(crate) display: String,
    /// Local folder, when the store is the local file system.
    pub(crate) local_dir: Option<PathBuf>,
}

/// Resolves a catalog location after applying the location map.
pub(crate) fn resolve(location: &str, map: &LocationMap) -> Result<ResolvedLocation> {
    let mapped = map.apply(location);
    let unsupported = |reason: String| Error::UnsupportedLocation {
        location: location.to_string(),
        reason,
    };
    let path = if let Some(rest) = mapped.strip_prefix("file://") {
        PathBuf::from(rest)
    } else if let Some((scheme, rest)) = mapped.split_once("://") {
        if matches!(scheme, "s3" | "s3a" | "s3n") {
            return resolve_s3(location, rest);
        }
        return Err(unsupported(format!(
            "the {scheme}:// scheme is not supported; use s3://, file:// or a local path"
        )));
    } else {
        PathBuf::from(&mapped)
    };
    let path = normalize(&std::path::absolute(&path).unwrap_or(path));
    let prefix = ObjectPath::from_absolute_path(&path).map_err(|e| unsupported(e.to_string()))?;
    Ok(ResolvedLocation {
        store: ObjectStoreUrl::local_filesystem(),
        prefix,
        display: path.to_string_lossy().into_owned(),
        local_dir: Some(path),
    })
}

/// An `s3://bucket/prefix` location (after mapping): the bucket's store and
/// the prefix within it. `s3a://` and `s3n://` (Hadoop's names) are S3 too.
fn resolve_s3(location: &str, rest: &str) -> Result<ResolvedLocation> {
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(Error::UnsupportedLocation {
            location: location.to_string(),
            reason: "an S3 location needs a bucket: s3://bucket/prefix/".into(),
        });
    }
    let store = ObjectStoreUrl::parse(format!("s3://{bucket}")).map_err(|e| {
        Error::UnsupportedLocation {
            location: location.to_string(),
            reason: format!("{bucket:?} is not a valid bucket name ({e})"),
        }
    })?;
    // Keys are taken as written: Hive's `%3A` escapes are part of the key.
    let key = key
        .split('/')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("/");
    let prefix = ObjectPath::parse(&key).map_err(|e| Error::UnsupportedLocation {
        location: location.to_string(),
        reason: format!("is not a valid S3 key prefix ({e})"),
    })?;
    let display = if prefix.as_ref().is_empty() {
        format!("s3://{bucket}/")
    } else {
        format!("s3://{bucket}/{prefix}/")
    };
    Ok(ResolvedLocation {
        store,
        prefix,
        display,
        local_dir: None,
    })
}

/// Resolves many locations exactly as [`resolve`] does each, resolving their
/// shared folder once: a projection names thousands of locations under one
/// prefix, and resolving is the costly part of planning them. A location
/// whose rest is not plain folder names is resolved on its own.
pub(crate) fn resolve_all(
    locations: &[String],
    map: &LocationMap,
) -> Result<Vec<ResolvedLocation>> {
    let shared = shared_folder(locations);
    // A rule for something under the shared folder maps its locations differently.
    let uniform = !shared.is_empty()
        && !map
            .rules
            .iter()
            .any(|r| r.from.len() > shared.len() && r.from.starts_with(shared));
    let base = if uniform {
        resolve(shared, map).ok().filter(|b| b.local_dir.is_some())
    } else {
        None
    };
    let plain = |rest: &str| {
        rest.split('/').all(|s| {
            !matches!(s, "." | "..")
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_=.-".contains(&b))
        }) && !rest.contains("//")
    };
    locations
        .iter()
        .map(|location| match (&base, &location[shared.len()..]) {
            (Some(base), rest) if plain(rest) => {
                let rest = rest.trim_end_matches('/');
                let mut resolved = base.clone();
                if !rest.is_empty() {
                    let dir = base.local_dir.as_ref().map(|d| d.join(rest));
                    resolved.prefix = base
                        .prefix
                        .parts()
                        .chain(rest.split('/').map(PathPart::from))
                        .collect();
                    resolved.display = dir
                        .as_ref()
                        .map(|d| d.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    resolved.local_dir = dir;
                }
                Ok(resolved)
            }
            _ => resolve(location, map),
        })
        .collect()
}

/// The longest prefix, ending in `/`, that all locations share.
fn shared_folder(locations: &[String]) -> &str {
    let Some(first) = locations.first() else {
        return "";
    };
    let mut len = first.len();
    for l in &locations[1..] {
        len = first
            .bytes()
            .zip(l.bytes())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count();
    }
    first[..len].rfind('/').map_or("", |i| &first[..=i])
}

/// Removes `.` and `..` components without touching the disk.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests;
