//! lathe's own session settings, `lathe.*`, as a DataFusion config
//! extension.
//!
//! They are registered in every process that plans or runs a query (the
//! local engine, a cluster client, the scheduler, the executors), and
//! Ballista carries a session's settings to the others as the key/value
//! pairs of `ConfigOptions::entries`. DataFusion's `extensions_options!`
//! lists an extension's keys without its prefix (`version`, not
//! `lathe.version`), which no receiving process can set, so the settings
//! would silently stay the receiver's own: hence this hand-written
//! implementation, whose entries carry the prefix, as Ballista's own
//! `BallistaConfig` does.

use std::any::Any;

use datafusion::common::config::{ConfigEntry, ConfigExtension, ExtensionOptions};
use datafusion::common::{Result, config_err};

/// The key of [`LatheOptions::version`].
const VERSION_KEY: &str = "lathe.version";
/// The key of [`LatheOptions::remote_scan_streams`].
const REMOTE_SCAN_STREAMS_KEY: &str = "lathe.remote_scan_streams";

/// lathe's own session settings, `lathe.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatheOptions {
    /// `lathe.version`: the lathe version of the process that planned the
    /// query; a scheduler of another version refuses it.
    pub version: String,
    /// `lathe.remote_scan_streams`: how many files a scan of S3 reads at
    /// once (at least `target_partitions`). Each S3 request waits tens of
    /// milliseconds for its first byte, and Firehose writes many small
    /// objects, so a scan that read one file per core would spend its time
    /// waiting; see `table::scan_streams`.
    pub remote_scan_streams: usize,
}

impl Default for LatheOptions {
    fn default() -> Self {
        Self {
            version: env!("CARGO_PKG_VERSION").to_string(),
            remote_scan_streams: 32,
        }
    }
}

impl ConfigExtension for LatheOptions {
    const PREFIX: &'static str = "lathe";
}

impl ExtensionOptions for LatheOptions {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn cloned(&self) -> Box<dyn ExtensionOptions> {
        Box::new(self.clone())
    }

    /// `key` comes without the prefix (`version`).
    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        match key {
            "version" => self.version = value.to_string(),
            "remote_scan_streams" => {
                self.remote_scan_streams = match value.trim().parse::<usize>() {
                    Ok(n) if n > 0 => n,
                    _ => {
                        return config_err!(
                            "lathe.remote_scan_streams takes a whole number of at least 1, not {value}"
                        );
                    }
                }
            }
            _ => return config_err!("there is no setting lathe.{key}"),
        }
        Ok(())
    }

    fn entries(&self) -> Vec<ConfigEntry> {
        vec![
            ConfigEntry {
                key: VERSION_KEY.to_string(),
                value: Some(self.version.clone()),
                description: "The lathe version of the process that planned the query.",
            },
            ConfigEntry {
                key: REMOTE_SCAN_STREAMS_KEY.to_string(),
                value: Some(self.remote_scan_streams.to_string()),
                description: "How many files a scan of S3 reads at once (at least target_partitions).",
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionConfig;

    use super::*;

    #[test]
    fn settings_are_listed_with_their_prefix_and_set_back() {
        let config = SessionConfig::new().with_option_extension(LatheOptions::default());
        let listed: Vec<(String, Option<String>)> = config
            .options()
            .entries()
            .into_iter()
            .filter(|e| e.key.starts_with("lathe."))
            .map(|e| (e.key, e.value))
            .collect();
        assert_eq!(
            listed,
            [
                (
                    "lathe.version".to_string(),
                    Some(env!("CARGO_PKG_VERSION").to_string())
                ),
                (
                    "lathe.remote_scan_streams".to_string(),
                    Some("32".to_string())
                ),
            ]
        );
        // What a receiving process does with each listed pair.
        let mut other = SessionConfig::new().with_option_extension(LatheOptions::default());
        other
            .options_mut()
            .set("lathe.version", "0.0.0-elsewhere")
            .unwrap();
        other
            .options_mut()
            .set("lathe.remote_scan_streams", "64")
            .unwrap();
        let options = other.options().extensions.get::<LatheOptions>().unwrap();
        assert_eq!(options.version, "0.0.0-elsewhere");
        assert_eq!(options.remote_scan_streams, 64);
        let err = other
            .options_mut()
            .set("lathe.remote_scan_streams", "0")
            .unwrap_err();
        assert!(err.to_string().contains("at least 1, not 0"), "{err}");
        let err = other.options_mut().set("lathe.nope", "1").unwrap_err();
        assert!(
            err.to_string().contains("there is no setting lathe.nope"),
            "{err}"
        );
    }
}
