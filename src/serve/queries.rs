//! Athena's query executions: each `StartQueryExecution` runs on its own
//! task with its own engine (its own default database, prepared statements
//! and exact scan counters) over the shared catalog. Results are kept as
//! text for `GetQueryResults` and written where Athena writes them:
//! `<OutputLocation><id>.csv` (the bytes of `-o`) and `.csv.metadata`, or
//! `<id>.txt` for DDL, and `<id>-manifest.csv` for a write's files, each
//! written whole or not at all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime};

use datafusion::arrow::array::{Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::physical_plan::memory::MemoryStream;
use serde_json::{Value, json};

use super::State;
use super::protocol::epoch_seconds;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::export::{Destination, Export, ExportSpec, FileFormat};
use crate::render::OutputFormat;

/// Athena's `QueryExecutionState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueryState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl QueryState {
    pub(crate) fn name(self) -> &'static str {
        match self {
            QueryState::Queued => "QUEUED",
            QueryState::Running => "RUNNING",
            QueryState::Succeeded => "SUCCEEDED",
            QueryState::Failed => "FAILED",
            QueryState::Cancelled => "CANCELLED",
        }
    }

    fn is_done(self) -> bool {
        matches!(
            self,
            QueryState::Succeeded | QueryState::Failed | QueryState::Cancelled
        )
    }
}

/// What a client asked to run.
#[derive(Debug, Clone)]
pub(crate) struct QueryRequest {
    pub(crate) query: String,
    pub(crate) database: Option<String>,
    pub(crate) catalog: String,
    pub(crate) workgroup: String,
    /// The results folder, ending in `/`.
    pub(crate) output_location: String,
    pub(crate) parameters: Vec<String>,
    pub(crate) client_token: Option<String>,
}

/// A finished query's answer.
#[derive(Debug)]
pub(crate) struct QueryResult {
    pub(crate) schema: SchemaRef,
    /// Every value as Athena prints it; `None` is NULL.
    pub(crate) rows: Vec<Vec<Option<String>>>,
    /// Whether `GetQueryResults` starts with a row of column labels
    /// (DML does; DDL and utility statements do not).
    pub(crate) header: bool,
    /// Rows a CTAS, INSERT INTO or UNLOAD wrote.
    pub(crate) update_count: Option<u64>,
}

/// One query execution, as `GetQueryExecution` describes it.
#[derive(Debug)]
pub(crate) struct Execution {
    pub(crate) id: String,
    pub(crate) request: QueryRequest,
    pub(crate) statement_type: &'static str,
    pub(crate) state: QueryState,
    pub(crate) reason: Option<String>,
    pub(crate) submitted: SystemTime,
    pub(crate) completed: Option<SystemTime>,
    pub(crate) scanned_bytes: u64,
    pub(crate) engine_millis: u64,
    pub(crate) result: Option<Arc<QueryResult>>,
    /// The result file (`.csv` or `.txt`) under the output location.
    pub(crate) result_file: String,
    pub(crate) manifest: Option<String>,
    abort: Option<tokio::task::AbortHandle>,
}

impl Execution {
    /// `QueryExecution` as `GetQueryExecution` returns it.
    pub(crate) fn describe(&self) -> Value {
        let mut status = json!({
            "State": self.state.name(),
            "SubmissionDateTime": epoch_seconds(self.submitted),
        });
        if let Some(done) = self.completed {
            status["CompletionDateTime"] = json!(epoch_seconds(done));
        }
        if let Some(reason) = &self.reason {
            status["StateChangeReason"] = json!(reason);
            if self.state == QueryState::Failed {
                // Category 2 is "user" (a statement Athena refuses); lathe's
                // errors name the table, column or file at fault.
                status["AthenaError"] = json!({
                    "ErrorCategory": 2,
                    "ErrorType": 1000,
                    "Retryable": false,
                    "ErrorMessage": reason,
                });
            }
        }
        let total = self
            .completed
            .and_then(|c| c.duration_since(self.submitted).ok())
            .map_or(0, |d| d.as_millis() as u64);
        let mut statistics = json!({
            "EngineExecutionTimeInMillis": self.engine_millis,
            "DataScannedInBytes": self.scanned_bytes,
            "TotalExecutionTimeInMillis": total,
            "QueryQueueTimeInMillis": 0,
            "ServicePreProcessingTimeInMillis": 0,
            "QueryPlanningTimeInMillis": 0,
            "ServiceProcessingTimeInMillis": total.saturating_sub(self.engine_millis),
            "ResultReuseInformation": { "ReusedPreviousResult": false },
        });
        if let Some(manifest) = &self.manifest {
            statistics["DataManifestLocation"] = json!(manifest);
        }
        let mut context = json!({ "Catalog": self.request.catalog });
        if let Some(database) = &self.request.database {
            context["Database"] = json!(database);
        }
        let mut execution = json!({
            "QueryExecutionId": self.id,
            "Query": self.request.query,
            "StatementType": self.statement_type,
            "ResultConfiguration": { "OutputLocation": self.result_file },
            "ResultReuseConfiguration": {
                "ResultReuseByAgeConfiguration": { "Enabled": false }
            },
            "QueryExecutionContext": context,
            "Status": status,
            "Statistics": statistics,
            "WorkGroup": self.request.workgroup,
            "EngineVersion": {
                "SelectedEngineVersion": "AUTO",
                "EffectiveEngineVersion": "Athena engine version 3"
            },
        });
        if !self.request.parameters.is_empty() {
            execution["ExecutionParameters"] = json!(self.request.parameters);
        }
        execution
    }
}

/// Every query execution of this server, newest last.
#[derive(Debug, Default)]
pub(crate) struct Executions {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    by_id: HashMap<String, Execution>,
    order: Vec<String>,
    /// `ClientRequestToken` → execution id (idempotent starts).
    tokens: HashMap<String, String>,
}

impl Executions {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Calls `f` with the execution `id`, if there is one.
    pub(crate) fn with<T>(&self, id: &str, f: impl FnOnce(&Execution) -> T) -> Option<T> {
        self.lock().by_id.get(id).map(f)
    }

    /// The ids of a workgroup's executions, newest first.
    pub(crate) fn ids(&self, workgroup: &str) -> Vec<String> {
        let inner = self.lock();
        inner
            .order
            .iter()
            .rev()
            .filter(|id| {
                inner
                    .by_id
                    .get(*id)
                    .is_some_and(|e| e.request.workgroup == workgroup)
            })
            .cloned()
            .collect()
    }

    /// Stops a queued or running query; a finished one is left as it is.
    pub(crate) fn cancel(&self, id: &str) -> bool {
        let mut inner = self.lock();
        let Some(execution) = inner.by_id.get_mut(id) else {
            return false;
        };
        if !execution.state.is_done() {
            if let Some(abort) = execution.abort.take() {
                abort.abort();
            }
            execution.state = QueryState::Cancelled;
            execution.reason = Some("Query cancelled by user".into());
            execution.completed = Some(SystemTime::now());
        }
        true
    }

    /// Cancels every query still running (at shutdown).
    pub(crate) fn cancel_all(&self) {
        let ids: Vec<String> = self.lock().order.clone();
        for id in ids {
            self.cancel(&id);
        }
    }
}

/// Starts a query on its own task and returns its id at once. A repeated
/// `ClientRequestToken` returns the first execution's id.
pub(crate) fn start(state: &Arc<State>, request: QueryRequest) -> String {
    let mut inner = state.queries.lock();
    if let Some(token) = &request.client_token
        && let Some(id) = inner.tokens.get(token)
    {
        return id.clone();
    }
    let id = uuid::Uuid::new_v4().to_string();
    let statement_type = statement_type(&request.query);
    let extension = if statement_type == "DML" {
        "csv"
    } else {
        "txt"
    };
    let result_file = format!("{}{id}.{extension}", request.output_location);
    if let Some(token) = &request.client_token {
        inner.tokens.insert(token.clone(), id.clone());
    }
    let task = tokio::spawn(run(Arc::clone(state), id.clone()));
    inner.by_id.insert(
        id.clone(),
        Execution {
            id: id.clone(),
            request,
            statement_type,
            state: QueryState::Queued,
            reason: None,
            submitted: SystemTime::now(),
            completed: None,
            scanned_bytes: 0,
            engine_millis: 0,
            result: None,
            result_file,
            manifest: None,
            abort: Some(task.abort_handle()),
        },
    );
    inner.order.push(id.clone());
    id
}

/// What a successful run leaves.
struct Outcome {
    result: QueryResult,
    scanned_bytes: u64,
    manifest: Option<String>,
}

async fn run(state: Arc<State>, id: String) {
    let request = {
        let mut inner = state.queries.lock();
        let Some(execution) = inner.by_id.get_mut(&id) else {
            return;
        };
        if execution.state != QueryState::Queued {
            return;
        }
        execution.state = QueryState::Running;
        (execution.request.clone(), execution.result_file.clone())
    };
    let started = Instant::now();
    let outcome = execute(&state, &request.0, &request.1, &id).await;
    let elapsed = started.elapsed().as_millis() as u64;
    let mut inner = state.queries.lock();
    let Some(execution) = inner.by_id.get_mut(&id) else {
        return;
    };
    // A query cancelled meanwhile stays cancelled.
    if execution.state != QueryState::Running {
        return;
    }
    execution.abort = None;
    execution.engine_millis = elapsed;
    execution.completed = Some(SystemTime::now());
    match outcome {
        Ok(outcome) => {
            execution.state = QueryState::Succeeded;
            execution.scanned_bytes = outcome.scanned_bytes;
            execution.manifest = outcome.manifest;
            execution.result = Some(Arc::new(outcome.result));
        }
        Err(e) => {
            execution.state = QueryState::Failed;
            execution.reason = Some(e.user_message());
        }
    }
}

async fn execute(
    state: &State,
    request: &QueryRequest,
    result_file: &str,
    id: &str,
) -> Result<Outcome> {
    let engine = Engine::with_catalog(&state.config, Arc::clone(&state.catalog)).await?;
    if let Some(database) = &request.database {
        // Athena checks the context's database only when a name needs it.
        match engine.set_database(database).await {
            Err(Error::DatabaseNotFound { .. }) => engine.use_database(database),
            other => other?,
        }
    }
    let before = state.prepared.statements(&request.workgroup);
    engine.add_prepared_statements(before.clone());
    let sql = if request.parameters.is_empty() {
        request.query.clone()
    } else {
        crate::athena::bind_parameters(&request.query, &request.parameters).map_err(|count| {
            Error::InvalidStatement {
                statement: "StartQueryExecution".into(),
                reason: format!(
                    "the query has {count} parameter(s) (?), but ExecutionParameters gives {}",
                    request.parameters.len()
                ),
            }
        })?
    };
    let frame = engine.sql(&sql).await?;
    let mut schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    let mut batches = frame.collect().await?;
    state
        .prepared
        .apply(&request.workgroup, &before, &engine.prepared());
    let scanned_bytes = engine.scan_counters().snapshot().bytes;
    let written = engine.written();
    // A write answers as Trino's does: one `rows` column with the count.
    if let Some(written) = &written {
        schema = Arc::new(Schema::new(vec![Field::new(
            "rows",
            DataType::Int64,
            false,
        )]));
        let count = Int64Array::from(vec![i64::try_from(written.rows).unwrap_or(i64::MAX)]);
        batches = vec![RecordBatch::try_new(
            Arc::clone(&schema),
            vec![Arc::new(count)],
        )?];
    }
    let mut rows = Vec::new();
    for batch in &batches {
        rows.extend(crate::render::batch_text(batch)?);
    }
    let header = statement_type(&request.query) == "DML";
    // The result file, and beside it what Athena writes with it.
    if result_file.ends_with(".csv") {
        let destination = engine.export_destination(result_file)?;
        // S3 has no folders: a key's "folders" are made as needed.
        if let Destination::Local(path) = &destination
            && let Some(dir) = path.parent()
        {
            std::fs::create_dir_all(dir)?;
        }
        let spec = ExportSpec {
            format: FileFormat::Text(OutputFormat::Csv),
            compression: Default::default(),
        };
        let mut export = Export::create(destination, spec, true).await?;
        if !schema.fields().is_empty() {
            let stream = MemoryStream::try_new(batches, Arc::clone(&schema), None)?;
            export.write(Box::pin(stream)).await?;
        }
        export.finish().await?;
        let metadata = json!({ "ColumnInfo": super::results::columns_info(&schema) });
        put(
            &engine.export_destination(&format!("{result_file}.metadata"))?,
            metadata.to_string().into_bytes(),
        )
        .await?;
    } else {
        let mut text = String::new();
        for row in &rows {
            let line: Vec<&str> = row.iter().map(|v| v.as_deref().unwrap_or("")).collect();
            text.push_str(&line.join("\t"));
            text.push('\n');
        }
        put(&engine.export_destination(result_file)?, text.into_bytes()).await?;
    }
    let manifest = match &written {
        Some(written) => {
            let location = format!("{}{id}-manifest.csv", request.output_location);
            let mut text = written.files.join("\n");
            if !text.is_empty() {
                text.push('\n');
            }
            put(&engine.export_destination(&location)?, text.into_bytes()).await?;
            Some(location)
        }
        None => None,
    };
    Ok(Outcome {
        result: QueryResult {
            schema,
            rows,
            header,
            update_count: written.map(|w| w.rows),
        },
        scanned_bytes,
        manifest,
    })
}

/// Writes a whole small file, or nothing: a local file appears by rename.
async fn put(destination: &Destination, bytes: Vec<u8>) -> Result<()> {
    match destination {
        Destination::Local(path) => {
            let dir = path.parent().unwrap_or(std::path::Path::new("."));
            std::fs::create_dir_all(dir)?;
            let mut file = tempfile::NamedTempFile::new_in(dir)?;
            std::io::Write::write_all(&mut file, &bytes)?;
            file.persist(path).map_err(|e| Error::Io(e.error))?;
            Ok(())
        }
        Destination::Object { store, path, .. } => {
            use object_store::ObjectStoreExt;
            store.put(path, bytes.into()).await?;
            Ok(())
        }
    }
}

/// Athena's `StatementType` of a statement: `DML` for queries and writes,
/// `UTILITY` for DESCRIBE, SHOW CREATE, EXPLAIN and the like, `DDL` for the
/// rest (CREATE, DROP, ALTER, MSCK, SHOW).
pub(crate) fn statement_type(sql: &str) -> &'static str {
    let words: Vec<String> = first_words(sql, 3);
    let word = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    match word(0) {
        "select" | "with" | "values" | "table" | "insert" | "unload" | "delete" | "update"
        | "merge" | "execute" | "(" => "DML",
        "create" if word(1) != "view" && word(3) != "view" && words.iter().any(|w| w == "as") => {
            "DML"
        }
        "describe" | "desc" | "explain" | "prepare" | "deallocate" | "use" => "UTILITY",
        "show"
            if matches!(
                word(1),
                "create" | "columns" | "partitions" | "tblproperties"
            ) =>
        {
            "UTILITY"
        }
        _ => "DDL",
    }
}

/// The first `n` words of a statement, lower case, outside comments and
/// quotes (a quoted piece counts as one word); all of them for `create`,
/// whose CTAS form is told by an `as` anywhere.
fn first_words(sql: &str, n: usize) -> Vec<String> {
    use crate::script::{Piece, pieces};
    let mut code = String::new();
    for piece in pieces(sql) {
        match piece {
            Piece::Code('(') => code.push_str(" ( "),
            Piece::Code(c) => code.push(c),
            Piece::Quoted(_) => code.push_str(" 'q' "),
            Piece::Comment(_) => code.push(' '),
        }
    }
    let mut words = Vec::new();
    for word in code
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|w| !w.is_empty())
    {
        words.push(word.to_ascii_lowercase());
        if words.len() >= n && words[0] != "create" {
            break;
        }
    }
    words
}
