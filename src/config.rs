//! Settings: the plain [`Config`] an [`crate::Engine`] is built from, and the
//! optional config file (`./lathe.toml`, else `$XDG_CONFIG_HOME/lathe/config.toml`)
//! that users keep them in. Command-line flags win over the file; the binary
//! does the merging. AWS settings never live here, only in AWS's own sources.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::storage::{LocationMap, LocationMapping};

/// The name of Athena's default catalog, used as DataFusion's catalog name.
pub const CATALOG_NAME: &str = "awsdatacatalog";

/// Everything an engine needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The local catalog folder.
    pub catalog: PathBuf,
    /// The default database for unqualified table names.
    pub database: String,
    /// Location rewrites (`--map`).
    pub location_map: LocationMap,
    /// Memory limit for query execution, in bytes; `None` is
    /// [`default_memory_limit`]. Sorts, aggregations and joins spill to disk
    /// beyond it; what cannot spill fails with an error naming the limit.
    pub memory_limit: Option<usize>,
    /// Where spilled data goes (default: the system's temporary folder).
    pub temp_dir: Option<PathBuf>,
    /// Parallelism (defaults to the number of cores).
    pub target_partitions: Option<usize>,
    /// Read the catalog from AWS Glue instead of the `catalog` folder.
    pub glue: Option<GlueConfig>,
    /// Run queries on this Ballista scheduler (`df://host:port`) instead of
    /// in this process.
    pub cluster: Option<String>,
}

/// Settings of the AWS Glue catalog backend (everything else comes from
/// AWS's own configuration).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlueConfig {
    /// The account whose catalog to read (`--glue-catalog-id`); default the caller's.
    pub catalog_id: Option<String>,
}

/// The `catalog` value that selects AWS Glue rather than a folder.
pub const GLUE_CATALOG: &str = "glue";

impl Default for Config {
    fn default() -> Self {
        Self {
            catalog: PathBuf::from("catalog"),
            database: "default".to_string(),
            location_map: LocationMap::default(),
            memory_limit: None,
            temp_dir: None,
            target_partitions: None,
            glue: None,
            cluster: None,
        }
    }
}

/// The config file's contents. Relative paths in it are relative to the file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Catalog folder, or `"glue"` for AWS Glue.
    pub catalog: Option<PathBuf>,
    /// The Glue catalog's account id (with `catalog = "glue"`).
    pub glue_catalog_id: Option<String>,
    /// Default database.
    pub database: Option<String>,
    /// Output format on stdout.
    pub format: Option<String>,
    /// Memory limit, e.g. `"2GB"`.
    pub memory_limit: Option<String>,
    /// Folder for spill files.
    pub temp_dir: Option<PathBuf>,
    /// Location rewrites, `"FROM=TO"` each.
    #[serde(default)]
    pub map: Vec<String>,
    /// Folder of named queries.
    pub queries: Option<PathBuf>,
    /// A Ballista scheduler to run queries on, `"df://host:port"`.
    pub cluster: Option<String>,
    /// The folder the file is in (set when loaded).
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The file it was read from (set when loaded).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

impl FileConfig {
    /// Reads a config file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::InvalidConfig {
            source_name: path.display().to_string(),
            reason: format!("cannot be read: {e}"),
        })?;
        let mut config: FileConfig = toml::from_str(&text).map_err(|e| Error::InvalidConfig {
            source_name: path.display().to_string(),
            reason: e.message().to_string()
                + &e.span()
                    .map(|s| format!(" (line {})", text[..s.start].matches('\n').count() + 1))
                    .unwrap_or_default(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.base_dir = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// Finds and reads the config file: `./lathe.toml`, else
    /// `$XDG_CONFIG_HOME/lathe/config.toml` (`~/.config/...` when unset).
    pub fn discover() -> Result<Self> {
        let local = PathBuf::from("lathe.toml");
        if local.is_file() {
            return Self::load(&local);
        }
        let config_home = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
        if let Some(file) = config_home.map(|d| d.join("lathe").join("config.toml"))
            && file.is_file()
        {
            return Self::load(&file);
        }
        Ok(Self::default())
    }

    /// The file's location rewrites, with relative targets made absolute.
    pub fn mappings(&self) -> Result<Vec<LocationMapping>> {
        self.map
            .iter()
            .map(|m| LocationMapping::parse(m, &self.base_dir))
            .collect()
    }

    /// A path from the file, made absolute against the file's folder.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        self.base_dir.join(path)
    }

    /// The memory limit in bytes, if set.
    pub fn memory_limit_bytes(&self) -> Result<Option<usize>> {
        self.memory_limit
            .as_deref()
            .map(|text| {
                parse_size(text).ok_or_else(|| Error::InvalidConfig {
                    source_name: self
                        .path
                        .as_ref()
                        .map_or("config".into(), |p| p.display().to_string()),
                    reason: format!(
                        "memory_limit {text:?} is not a size such as \"512MB\" or \"2GB\""
                    ),
                })
            })
            .transpose()
    }
}

/// Parses a size such as `512MB`, `2GB`, `1.5G` or `1048576` into bytes.
pub fn parse_size(text: &str) -> Option<usize> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor: f64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "K" | "KB" | "KIB" => 1024.0,
        "M" | "MB" | "MIB" => 1024.0 * 1024.0,
        "G" | "GB" | "GIB" => 1024.0 * 1024.0 * 1024.0,
        "T" | "TB" | "TIB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let bytes = number * factor;
    (bytes.is_finite() && bytes >= 1.0).then_some(bytes as usize)
}

#[cfg(test)]
mod tests;

/// The memory limit when none is set: half the machine's memory, so that a
/// spike in the data spills to disk instead of drawing the kernel's OOM
/// killer. `None` where the machine's memory cannot be read.
pub(crate) fn default_memory_limit() -> Option<usize> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: usize = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024 / 2)
}
