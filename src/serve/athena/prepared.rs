//! Prepared statements, kept per workgroup (Athena's
//! Create/Get/List/Update/DeletePreparedStatement).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::SystemTime;

use serde_json::{Map, Value, json};

use crate::serve::protocol::{ApiError, epoch_seconds};

/// A workgroup's prepared statement.
#[derive(Debug, Clone)]
struct Prepared {
    statement: String,
    description: Option<String>,
    modified: SystemTime,
}

/// Prepared statements by workgroup and name. A query's engine starts with
/// its workgroup's statements, and what its `PREPARE` and `DEALLOCATE
/// PREPARE` change comes back here, as in Athena.
#[derive(Debug, Default)]
pub(crate) struct PreparedStatements {
    inner: Mutex<HashMap<String, BTreeMap<String, Prepared>>>,
}

impl PreparedStatements {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, BTreeMap<String, Prepared>>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The workgroup's statements, by name.
    pub(crate) fn statements(&self, workgroup: &str) -> HashMap<String, String> {
        self.lock()
            .get(workgroup)
            .map(|m| {
                m.iter()
                    .map(|(k, p)| (k.clone(), p.statement.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Applies what a query changed (`after` against `before`).
    pub(crate) fn apply(
        &self,
        workgroup: &str,
        before: &HashMap<String, String>,
        after: &HashMap<String, String>,
    ) {
        let mut inner = self.lock();
        let statements = inner.entry(workgroup.to_string()).or_default();
        for (name, statement) in after {
            if before.get(name) != Some(statement) {
                statements.insert(
                    name.clone(),
                    Prepared {
                        statement: statement.clone(),
                        description: None,
                        modified: SystemTime::now(),
                    },
                );
            }
        }
        for name in before.keys() {
            if !after.contains_key(name) {
                statements.remove(name);
            }
        }
    }

    pub(super) fn save(
        &self,
        workgroup: &str,
        name: &str,
        statement: &str,
        description: Option<String>,
        creating: bool,
    ) -> Result<(), ApiError> {
        let mut inner = self.lock();
        let statements = inner.entry(workgroup.to_string()).or_default();
        match (creating, statements.contains_key(name)) {
            (true, true) => Err(ApiError::invalid(format!(
                "Prepared statement {name} already exists in WorkGroup {workgroup}"
            ))),
            (false, false) => Err(no_prepared(name, workgroup)),
            _ => {
                statements.insert(
                    name.to_string(),
                    Prepared {
                        statement: statement.to_string(),
                        description,
                        modified: SystemTime::now(),
                    },
                );
                Ok(())
            }
        }
    }

    pub(super) fn get(&self, workgroup: &str, name: &str) -> Option<Value> {
        let inner = self.lock();
        let p = inner.get(workgroup)?.get(name)?;
        let mut out = Map::new();
        out.insert("StatementName".into(), json!(name));
        out.insert("QueryStatement".into(), json!(p.statement));
        out.insert("WorkGroupName".into(), json!(workgroup));
        out.insert("LastModifiedTime".into(), json!(epoch_seconds(p.modified)));
        if let Some(d) = &p.description {
            out.insert("Description".into(), json!(d));
        }
        Some(Value::Object(out))
    }

    pub(super) fn summaries(&self, workgroup: &str) -> Vec<Value> {
        self.lock()
            .get(workgroup)
            .map(|m| {
                m.iter()
                    .map(|(name, p)| {
                        json!({ "StatementName": name, "LastModifiedTime": epoch_seconds(p.modified) })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(super) fn delete(&self, workgroup: &str, name: &str) -> bool {
        self.lock()
            .get_mut(workgroup)
            .is_some_and(|m| m.remove(name).is_some())
    }
}

pub(super) fn no_prepared(name: &str, workgroup: &str) -> ApiError {
    ApiError::new(
        http::StatusCode::BAD_REQUEST,
        "ResourceNotFoundException",
        format!("Prepared statement {name} was not found in WorkGroup {workgroup}"),
    )
}
