//! The library's one error type.
//!
//! Every variant names what went wrong and where (file, line, table, key), so
//! that the binary can print it as one sentence a user can act on.

use std::path::PathBuf;

/// Everything that can go wrong in lathe's library.
///
/// `{:?}` prints the sentence too, as `lathe::Error("…")` (see the `Debug`
/// implementation below).
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The catalog folder does not exist.
    #[error("catalog folder {} does not exist; pass --catalog DIR or set `catalog` in lathe.toml", path.display())]
    CatalogNotFound {
        /// The folder.
        path: PathBuf,
    },

    /// A catalog file could not be read from disk.
    #[error("cannot read {}: {source}", path.display())]
    CatalogIo {
        /// The file or folder.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },

    /// A catalog file is not valid JSON, or a field has the wrong shape.
    #[error("{}: {reason}", path.display())]
    InvalidCatalogFile {
        /// The catalog file.
        path: PathBuf,
        /// What is wrong, with the JSON path of the field where known.
        reason: String,
    },

    /// A required field of a Glue table or partition is missing or invalid.
    #[error("{}: field {field} {reason}", path.display())]
    InvalidTableDefinition {
        /// The catalog file.
        path: PathBuf,
        /// The Glue field, e.g. `StorageDescriptor.Location`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A Hive type string could not be parsed.
    #[error(
        "table {table}: column {column} has type {}, which is not a Hive type ({reason})",
        shorten(type_string)
    )]
    InvalidType {
        /// `db.table`.
        table: String,
        /// The column.
        column: String,
        /// The type as written in the catalog.
        type_string: String,
        /// What the parser expected.
        reason: String,
    },

    /// The table's SerDe / input format is not one lathe reads.
    #[error(
        "table {table}: unsupported storage format {format:?}; lathe reads JSON (OpenX, Hive or CloudTrail SerDe), text (LazySimpleSerDe, OpenCSVSerde, RegexSerDe), Parquet, ORC, Avro and Iceberg tables"
    )]
    UnsupportedFormat {
        /// `db.table`.
        table: String,
        /// The SerDe or InputFormat class name.
        format: String,
    },

    /// A table of a kind lathe knows but does not read (Hudi).
    #[error("table {table}: {reason}")]
    UnreadableTable {
        /// `db.table`.
        table: String,
        /// What the table is and why it is not read.
        reason: String,
    },

    /// No such database in the catalog.
    #[error("database {database} does not exist{}", hint(suggestion))]
    DatabaseNotFound {
        /// The database asked for.
        database: String,
        /// A close match, if any.
        suggestion: Option<String>,
    },

    /// No such table in the catalog.
    #[error("table {name} does not exist{}", hint(suggestion))]
    TableNotFound {
        /// The name as written in the query (qualified as resolved).
        name: String,
        /// A close match, if any.
        suggestion: Option<String>,
    },

    /// A location uses a scheme lathe cannot read (yet).
    #[error("{location}: {reason}")]
    UnsupportedLocation {
        /// The location as written in the catalog.
        location: String,
        /// Why, and what to do instead.
        reason: String,
    },

    /// A table's root location does not exist on local disk.
    #[error("table {table}: location {location} does not exist")]
    LocationNotFound {
        /// `db.table`.
        table: String,
        /// The resolved location.
        location: String,
    },

    /// A partition value cannot be read as its partition key's type.
    #[error("table {table}: partition value {value:?} of key {key} is not a valid {data_type}")]
    InvalidPartitionValue {
        /// `db.table`.
        table: String,
        /// The partition key.
        key: String,
        /// The raw value.
        value: String,
        /// The key's type.
        data_type: String,
    },

    /// A partition projection property is missing or invalid.
    #[error("table {table}: projection property {property} = {value:?} {reason}")]
    InvalidProjection {
        /// `db.table`.
        table: String,
        /// The table parameter, e.g. `projection.datehour.range`.
        property: String,
        /// Its value as written (empty when missing).
        value: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Projection is enabled but a partition column has no projection type.
    #[error(
        "table {table}: partition column {column} has no projection configured; set projection.{column}.type (enum, integer, date or injected) or turn projection.enabled off"
    )]
    MissingProjection {
        /// `db.table`.
        table: String,
        /// The partition column.
        column: String,
    },

    /// An injected projected column is not pinned by equality in the query (Athena's words).
    #[error(
        "For the injected projected partition column {column}, the WHERE clause must contain only static equality conditions, and at least one such condition must be present."
    )]
    InjectedWithoutEquality {
        /// The partition column.
        column: String,
    },

    /// A projection would enumerate too many partitions even after narrowing.
    #[error(
        "table {table}: the query would read {partitions} projected partitions (more than {limit}); add a WHERE condition on {columns}"
    )]
    ProjectionTooLarge {
        /// `db.table`.
        table: String,
        /// How many partitions (at least).
        partitions: u128,
        /// The limit.
        limit: u64,
        /// The projected columns, comma-separated.
        columns: String,
    },

    /// A line of a JSON data file could not be decoded.
    #[error("{file}, line {line}: {reason}")]
    MalformedJson {
        /// The data file.
        file: String,
        /// 1-based line number within the file.
        line: u64,
        /// What is wrong.
        reason: String,
    },

    /// A line of a text (CSV) data file holds a value its column cannot read.
    #[error("{file}, line {line}: {reason}")]
    BadTextData {
        /// The data file.
        file: String,
        /// 1-based line number within the file.
        line: u64,
        /// What is wrong.
        reason: String,
    },

    /// A data file could not be read (e.g. corrupt compression).
    #[error("{file}: {reason}")]
    DataFile {
        /// The data file.
        file: String,
        /// What is wrong.
        reason: String,
    },

    /// A configuration file or option is invalid.
    #[error("{source_name}: {reason}")]
    InvalidConfig {
        /// The config file, or the option.
        source_name: String,
        /// What is wrong.
        reason: String,
    },

    /// A named query does not exist.
    #[error("no named query {name} in {}{}", dir.display(), hint(suggestion))]
    QueryNotFound {
        /// The name asked for.
        name: String,
        /// The folder searched.
        dir: PathBuf,
        /// A close match, if any.
        suggestion: Option<String>,
    },

    /// An export's destination exists and overwriting was not asked for.
    #[error(
        "{destination} already exists; pass --force (or \\export! in the shell) to overwrite it"
    )]
    OutputExists {
        /// The destination.
        destination: String,
    },

    /// An export cannot be written (unknown extension, unwritable folder, ...).
    #[error("cannot write {destination}: {reason}")]
    InvalidOutput {
        /// The destination.
        destination: String,
        /// Why.
        reason: String,
    },

    /// The catalog backend cannot write.
    #[error("{operation}: this catalog is read-only; use a local catalog folder to run DDL")]
    ReadOnlyCatalog {
        /// The statement or operation refused.
        operation: String,
    },

    /// A catalog file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    CatalogWrite {
        /// The file or folder.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },

    /// A database to create exists already.
    #[error("database {database} already exists")]
    DatabaseExists {
        /// The database.
        database: String,
    },

    /// A database to drop still holds tables.
    #[error(
        "database {database} is not empty: it holds {tables} table(s); drop them first or use DROP DATABASE {database} CASCADE"
    )]
    DatabaseNotEmpty {
        /// The database.
        database: String,
        /// How many tables it holds.
        tables: usize,
    },

    /// A table to create exists already.
    #[error("table {name} already exists")]
    TableExists {
        /// `db.table`.
        name: String,
    },

    /// A partition spec does not fit the table, or names a partition that is
    /// (or is not) registered.
    #[error("table {table}: {reason}")]
    InvalidPartition {
        /// `db.table`.
        table: String,
        /// What is wrong, naming the partition or key.
        reason: String,
    },

    /// A view's query no longer plans, or no longer gives the view's columns
    /// (Athena's words: a table it reads was dropped or changed).
    #[error("View '{view}' is stale; it must be re-created ({reason})")]
    StaleView {
        /// `awsdatacatalog.db.view`.
        view: String,
        /// What no longer fits.
        reason: String,
    },

    /// A view reads itself, directly or through other views.
    #[error("View '{view}' is recursive: it reads itself ({path})")]
    RecursiveView {
        /// `awsdatacatalog.db.view`.
        view: String,
        /// The views read on the way, `a -> b -> a`.
        path: String,
    },

    /// A DDL or metadata statement could not be parsed.
    #[error("SQL syntax error at line {line}, column {column}: {reason}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// What was expected and what was found.
        reason: String,
    },

    /// A statement is well-formed but cannot run as written.
    #[error("{statement}: {reason}")]
    InvalidStatement {
        /// The statement kind, e.g. `CREATE EXTERNAL TABLE web.t`.
        statement: String,
        /// What is wrong.
        reason: String,
    },

    /// No AWS credentials were found in any of AWS's standard sources.
    #[error(
        "no AWS credentials found for {service}; set AWS_PROFILE (and run `aws sso login` for an SSO profile) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )]
    NoCredentials {
        /// `S3` or `Glue`.
        service: &'static str,
    },

    /// AWS rejected the credentials themselves (unknown key, bad signature, expired).
    #[error(
        "{service} rejected the AWS credentials ({code}); check AWS_PROFILE or renew them (e.g. `aws sso login`)"
    )]
    InvalidCredentials {
        /// `S3` or `Glue`.
        service: &'static str,
        /// AWS's error code, e.g. `InvalidAccessKeyId`.
        code: String,
    },

    /// The credentials are valid but not allowed to do what was asked.
    #[error(
        "access denied to {resource}; the AWS identity in use lacks permission for it (check AWS_PROFILE and its IAM policy)"
    )]
    AccessDenied {
        /// `s3://bucket/key`, or the Glue database/table.
        resource: String,
    },

    /// An S3 bucket does not exist.
    #[error(
        "S3 bucket {bucket} does not exist; check the table's location and any --map rule for it"
    )]
    BucketNotFound {
        /// The bucket name.
        bucket: String,
    },

    /// An S3 bucket lives in another region than the one requests went to.
    #[error("{}", wrong_region(bucket, region, expected.as_deref()))]
    WrongRegion {
        /// The bucket name.
        bucket: String,
        /// The region used.
        region: String,
        /// The bucket's own region, when S3 said it.
        expected: Option<String>,
    },

    /// No AWS region is configured and none could be discovered.
    #[error("no AWS region is set for {service}; set AWS_REGION or `region` in your AWS profile")]
    NoRegion {
        /// `S3` or `Glue`.
        service: &'static str,
    },

    /// An AWS endpoint could not be reached (connection refused, DNS, timeout).
    #[error(
        "cannot reach {service} at {endpoint} ({reason}); check the network, AWS_REGION and any AWS_ENDPOINT_URL setting"
    )]
    EndpointUnreachable {
        /// `S3` or `Glue`.
        service: &'static str,
        /// The endpoint URL or host.
        endpoint: String,
        /// What failed, e.g. `connection refused`.
        reason: String,
    },

    /// An S3 request kept failing (5xx, dropped or cut-short answers,
    /// timeouts) until the retries ran out.
    #[error(
        "S3 request for {resource} failed after {attempts} attempt(s) ({reason}); S3 is unavailable or throttling, try again later"
    )]
    S3Unavailable {
        /// `s3://bucket/key` or the prefix listed.
        resource: String,
        /// What the last attempt met, e.g. `503 SlowDown` or `connection reset`.
        reason: String,
        /// Attempts made, the first included.
        attempts: usize,
    },

    /// Any other failed AWS request, with AWS's code and message.
    #[error("{service} request failed: {reason}")]
    AwsRequest {
        /// `S3` or `Glue`.
        service: &'static str,
        /// AWS's error code and message.
        reason: String,
    },

    /// A cluster URL is not a Ballista scheduler URL.
    #[error(
        "cluster {url:?} is not a Ballista scheduler URL such as df://localhost:50050 ({reason})"
    )]
    InvalidClusterUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The Ballista scheduler does not answer.
    #[error(
        "cannot reach the Ballista scheduler at {url} ({reason}); start one with `lathe cluster scheduler` or check --cluster"
    )]
    SchedulerUnreachable {
        /// The scheduler's URL.
        url: String,
        /// What the connection attempt said.
        reason: String,
    },

    /// A session or plan came from a lathe of another version.
    #[error(
        "{sender} runs lathe {theirs}, but {receiver} runs lathe {ours}; run the same lathe build on the client, the scheduler and every executor"
    )]
    VersionMismatch {
        /// Who sent it: `the client`, `the scheduler`.
        sender: &'static str,
        /// The sender's version.
        theirs: String,
        /// Who refused it: `the scheduler`, `an executor`.
        receiver: &'static str,
        /// The receiver's version.
        ours: String,
    },

    /// A table whose catalog other processes cannot open.
    #[error("table {table} cannot run on a cluster: its catalog exists only in this process")]
    CatalogNotShippable {
        /// `db.table`.
        table: String,
    },

    /// A Ballista scheduler or executor failed to start or stopped.
    #[error("the Ballista {role} failed: {reason}")]
    Cluster {
        /// `scheduler` or `executor`.
        role: &'static str,
        /// Ballista's message.
        reason: String,
    },

    /// An Iceberg table's metadata, manifest or delete file is missing or
    /// not what the Iceberg spec says.
    #[error("Iceberg table {table}: {file} {reason}")]
    InvalidIceberg {
        /// `db.table`.
        table: String,
        /// The file at fault (or what part of the table).
        file: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A Delta table's transaction log is missing, damaged, or uses what
    /// lathe does not read.
    #[error("Delta table {table}: {file} {reason}")]
    InvalidDelta {
        /// `db.table`.
        table: String,
        /// The log file (or folder) at fault.
        file: String,
        /// What is wrong with it.
        reason: String,
    },

    /// An Iceberg commit found the table changed by another writer.
    #[error("cannot commit to Iceberg table {table}: {reason}")]
    CommitConflict {
        /// `db.table`.
        table: String,
        /// What changed.
        reason: String,
    },

    /// A time-travelling query names a snapshot the table does not have.
    #[error("Iceberg table {table} {reason}")]
    SnapshotNotFound {
        /// `db.table`.
        table: String,
        /// Which snapshot was asked for.
        reason: String,
    },

    /// An error from DataFusion (planning or execution).
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),

    /// An error from the object store.
    #[error(transparent)]
    ObjectStore(#[from] object_store::Error),

    /// An error from Arrow.
    #[error(transparent)]
    Arrow(#[from] datafusion::arrow::error::ArrowError),

    /// An I/O error outside the catalog (e.g. writing output).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// lathe's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The error as one sentence for a user: lathe's own errors as they are
    /// (also when DataFusion carries them), DataFusion's without the internal
    /// category prefixes.
    pub fn user_message(&self) -> String {
        match self {
            Error::DataFusion(e) => datafusion_message(e),
            Error::Arrow(e) => ours_in_chain(e).unwrap_or_else(|| e.to_string()),
            Error::ObjectStore(e) => ours_in_chain(e).unwrap_or_else(|| e.to_string()),
            other => other.to_string(),
        }
    }
}

/// The name `{:?}` gives lathe's errors: `lathe::Error("sentence")`.
pub(crate) const DEBUG_NAME: &str = "lathe::Error";

/// Prints the sentence, not the fields: Ballista carries the errors of a
/// cluster's scheduler and executors to the client only as their `{:?}`
/// text, in which the client finds the sentence again (`cluster::failure`).
impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple(DEBUG_NAME)
            .field(&self.user_message())
            .finish()
    }
}

/// Finds one of lathe's own errors in an error's source chain.
fn ours_in_chain(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(ours) = err.downcast_ref::<Error>()
            && !matches!(ours, Error::DataFusion(_) | Error::Arrow(_))
        {
            return Some(ours.to_string());
        }
        current = err.source();
    }
    None
}

fn datafusion_message(e: &datafusion::error::DataFusionError) -> String {
    use datafusion::error::DataFusionError as E;
    if let Some(ours) = ours_in_chain(e) {
        return ours;
    }
    let root = e.find_root();
    // A cluster's failures arrive as Ballista's text (see `cluster::failure`).
    let raw = match root {
        E::Plan(s) | E::Execution(s) => s.clone(),
        other => other.to_string(),
    };
    if let Some(sentence) = crate::cluster::failure_message(&raw) {
        return sentence;
    }
    let text = match root {
        E::SQL(e, _) => {
            let text = e.to_string();
            let text = text
                .strip_prefix("sql parser error: ")
                .unwrap_or(&text)
                .to_string();
            format!("SQL syntax error: {text}")
        }
        E::Plan(s) | E::Execution(s) => s.clone(),
        // DataFusion appends every valid field on a second line; the first
        // line (with its "did you mean") is the sentence a user needs.
        E::SchemaError(e, _) => e.to_string().lines().next().unwrap_or_default().to_string(),
        E::NotImplemented(s) => format!("not supported: {s}"),
        E::ResourcesExhausted(s) => out_of_memory(s),
        E::ObjectStore(e) => ours_in_chain(e.as_ref()).unwrap_or_else(|| e.to_string()),
        E::IoError(e) => e.to_string(),
        other => other.to_string(),
    };
    // Wrapped errors repeat their category at every layer; it says nothing to a user.
    let text = text
        .replace("Parquet error: ", "")
        .replace("External error: ", "");
    text.trim_end().to_string()
}

fn wrong_region(bucket: &str, region: &str, expected: Option<&str>) -> String {
    match expected {
        Some(expected) => format!(
            "S3 bucket {bucket} is in region {expected}, not {region}; set AWS_REGION={expected} \
             (and point any AWS_ENDPOINT_URL_S3 at that region)"
        ),
        None => format!(
            "S3 bucket {bucket} is not in region {region}; set AWS_REGION to the bucket's region"
        ),
    }
}

fn hint(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean {s}?"),
        None => String::new(),
    }
}

impl From<Error> for datafusion::error::DataFusionError {
    fn from(e: Error) -> Self {
        match e {
            Error::DataFusion(e) => e,
            other => datafusion::error::DataFusionError::External(Box::new(other)),
        }
    }
}

/// Returns the closest candidate to `name` (by edit distance), if one is close enough
/// to be a plausible typo.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let name = name.to_lowercase();
    let limit = (name.len() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&name, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

/// A value quoted in an error, cut to a readable length: a 100 KB type
/// string must not become a 100 KB error.
fn shorten(text: &str) -> String {
    const MAX: usize = 120;
    if text.chars().count() <= MAX {
        return format!("{text:?}");
    }
    let head: String = text.chars().take(MAX).collect();
    format!("{head:?}... ({} characters)", text.chars().count())
}

/// DataFusion's memory-pool report (several lines listing every consumer) as
/// one sentence: which operator could not get memory, and what to do.
fn out_of_memory(report: &str) -> String {
    // "Additional allocation failed for TopK[0] with top memory consumers ..."
    let operator = report
        .split_once("failed for ")
        .and_then(|(_, rest)| rest.split([' ', '[']).next())
        .filter(|name| !name.is_empty());
    match operator {
        Some(op) => format!(
            "out of memory: {op} needs more than the memory limit allows and cannot spill to \
             disk; raise --memory-limit (or memory_limit in the config file)"
        ),
        None => format!(
            "out of memory: the query needs more than the memory limit allows; raise \
             --memory-limit (or memory_limit in the config file) ({})",
            report.lines().next().unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_only() {
        let names = ["web.clickstream", "master.customers", "master.products"];
        assert_eq!(
            closest("web.clikstream", names).as_deref(),
            Some("web.clickstream")
        );
        assert_eq!(
            closest("master.product", names).as_deref(),
            Some("master.products")
        );
        assert_eq!(closest("sales.invoices", names), None);
    }
}
