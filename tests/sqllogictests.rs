//! SQL behaviour, as sqllogictest files under `tests/slt/`: one named trial
//! per file, each against a fresh engine over the fixtures and the sample.
//!
//! Values print as Athena prints them; NULL is `NULL`, the empty string `(empty)`.
//! Files named `ddl*.slt` run on their own copy of the fixture catalog, and
//! write under `s3://slt-scratch/`, mapped to a folder of their own.
//! Files named `service_logs*.slt` start, as a new Athena user does, from an
//! empty catalog folder (only `default`), over AWS service logs written by
//! `common/service_logs.rs` with the documented locations mapped onto them.

use std::path::PathBuf;
use std::sync::Arc;

use lathe::{Config, Engine, render};
use libtest_mimic::{Arguments, Failed, Trial};
use sqllogictest::{DBOutput, DefaultColumnType};

mod common;

struct LatheDb {
    engine: Engine,
}

/// Errors as the user sees them, so `statement error <regex>` checks real messages.
#[derive(Debug)]
struct UserError(String);

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

impl From<lathe::Error> for UserError {
    fn from(e: lathe::Error) -> Self {
        UserError(e.user_message())
    }
}

#[async_trait::async_trait]
impl sqllogictest::AsyncDB for LatheDb {
    type Error = UserError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<Self::ColumnType>, Self::Error> {
        let frame = self.engine.sql(sql).await?;
        let columns = frame.schema().fields().len();
        let batches = frame.collect().await.map_err(lathe::Error::from)?;
        if columns == 0 {
            return Ok(DBOutput::StatementComplete(0));
        }
        let mut rows = Vec::new();
        for batch in &batches {
            for row in render::batch_text(batch).map_err(UserError::from)? {
                rows.push(
                    row.into_iter()
                        .map(|v| match v {
                            None => "NULL".to_string(),
                            Some(s) if s.is_empty() => "(empty)".to_string(),
                            Some(s) => s,
                        })
                        .collect(),
                );
            }
        }
        Ok(DBOutput::Rows {
            types: vec![DefaultColumnType::Any; columns],
            rows,
        })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "lathe"
    }
}

/// Copies a folder tree.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn run_file(path: PathBuf, fixtures: Arc<common::Fixtures>) -> Result<(), Failed> {
    // Files named `ddl*` change the catalog: each gets its own copy, beside
    // the shared one so that relative locations (`../data/`) still resolve.
    let name = path
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let service_logs = name.starts_with("service_logs");
    let mut location_map = common::sample_map();
    let catalog = if service_logs {
        let root = fixtures.dir.path().join(format!("logs-{name}"));
        let mut rules = location_map.rules().to_vec();
        for (from, to) in common::service_logs::setup(&name, &root) {
            rules.push(lathe::LocationMapping { from, to });
        }
        location_map = lathe::LocationMap::new(rules);
        let catalog = root.join("catalog");
        std::fs::create_dir_all(&catalog)?;
        catalog
    } else if name.starts_with("ddl") {
        let copy = fixtures.dir.path().join(format!("catalog-{name}"));
        copy_tree(&fixtures.catalog(), &copy);
        // Writes (CTAS, UNLOAD) go to s3://slt-scratch/, a folder of its own.
        let scratch = fixtures.dir.path().join(format!("scratch-{name}"));
        let mut rules = location_map.rules().to_vec();
        rules.push(lathe::LocationMapping {
            from: "s3://slt-scratch/".into(),
            to: format!("{}/", scratch.display()),
        });
        location_map = lathe::LocationMap::new(rules);
        copy
    } else {
        fixtures.catalog()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let config = Config {
            catalog,
            database: if service_logs { "default" } else { "fx" }.into(),
            location_map,
            target_partitions: Some(2),
            ..Config::default()
        };
        let mut runner = sqllogictest::Runner::new(|| {
            let config = config.clone();
            async move {
                Ok(LatheDb {
                    engine: Engine::new(&config).await.map_err(UserError::from)?,
                })
            }
        });
        runner
            .run_file_async(&path)
            .await
            .map_err(|e| Failed::from(format!("{e}")))
    })
}

/// `tests/conformance/trino_functions.txt` against the session: every
/// function marked `supported` is registered (SHOW FUNCTIONS lists it) and
/// called in some .slt file, and none marked `unsupported` or `missing` is
/// registered (the list would be out of date). `scripts/conformance.py`
/// refreshes the list.
fn function_list(fixtures: Arc<common::Fixtures>) -> Result<(), Failed> {
    let list =
        std::fs::read_to_string(common::repo().join("tests/conformance/trino_functions.txt"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let registered: Vec<String> = runtime.block_on(async {
        let config = Config {
            catalog: fixtures.catalog(),
            database: "fx".into(),
            location_map: common::sample_map(),
            ..Config::default()
        };
        let engine = Engine::new(&config).await.map_err(UserError::from)?;
        let frame = engine
            .sql("SHOW FUNCTIONS")
            .await
            .map_err(UserError::from)?;
        let batches = frame.collect().await.map_err(lathe::Error::from)?;
        let mut names = Vec::new();
        for batch in &batches {
            for row in render::batch_text(batch).map_err(UserError::from)? {
                names.extend(row.into_iter().next().flatten().map(|n| n.to_lowercase()));
            }
        }
        Ok::<_, UserError>(names)
    })?;
    let mut slt = String::new();
    for entry in std::fs::read_dir(common::repo().join("tests/slt"))? {
        let text = std::fs::read_to_string(entry?.path())?;
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            slt.push_str(&line.to_lowercase());
            slt.push('\n');
        }
    }
    let called = |name: &str| {
        slt.match_indices(&format!("{name}(")).any(|(at, _)| {
            !slt[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
        })
    };
    let mut wrong = Vec::new();
    for line in list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let (name, status) = (
            fields[0].to_lowercase(),
            fields.get(2).copied().unwrap_or(""),
        );
        let known = registered.contains(&name);
        match status {
            "supported" if !known => {
                wrong.push(format!("{name} is marked supported but is not registered"))
            }
            "supported" if !called(&name) => wrong.push(format!(
                "{name} is marked supported but no .slt file calls it"
            )),
            "unsupported" | "missing" if known => {
                wrong.push(format!("{name} is marked {status} but is registered"))
            }
            "supported" | "unsupported" | "missing" | "syntax" => {}
            other => wrong.push(format!("{name} has an unknown status {other:?}")),
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "tests/conformance/trino_functions.txt is out of date (scripts/conformance.py refreshes it):\n  {}",
            wrong.join("\n  ")
        )
        .into())
    }
}

fn main() {
    let args = Arguments::from_args();
    let fixtures = Arc::new(common::build());
    let dir = common::repo().join("tests/slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/slt exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .collect();
    files.sort();
    let trials = files
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let fixtures = Arc::clone(&fixtures);
            Trial::test(name, move || run_file(path, fixtures))
        })
        .collect::<Vec<_>>();
    let mut trials = trials;
    let list_fixtures = Arc::clone(&fixtures);
    trials.push(Trial::test("conformance_function_list", move || {
        function_list(list_fixtures)
    }));
    libtest_mimic::run(&args, trials).exit();
}
