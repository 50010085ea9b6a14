//! The AWS Glue backend (`--catalog glue`): databases, tables and partitions
//! from the Glue API through `aws-sdk-glue`.
//!
//! Configuration is AWS's own (region, profile, credentials; endpoint
//! override `AWS_ENDPOINT_URL_GLUE` / `AWS_ENDPOINT_URL`); `--glue-catalog-id`
//! reads another account's catalog. Every list call is paginated
//! ([`paginate`]). SDK tables are turned into the Glue JSON shapes of
//! `glue_json` and validated exactly as the local catalog's files are.
//! Partition predicates go to `GetPartitions` as an `Expression` where Glue
//! can evaluate them (`expression`). Metadata is cached for the session;
//! [`Catalog::refresh`] drops it. The write API (DDL, MSCK, CTAS, INSERT
//! INTO) calls Glue's Create/Delete and Batch* operations (`write`).

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_glue::Client;
use aws_sdk_glue::error::{ProvideErrorMetadata, SdkError};
use datafusion::logical_expr::Expr;

use super::glue_json::{
    GlueColumn, GluePartition, GlueTable, GlueTime, SerdeInfo, StorageDescriptor,
};
use super::{Catalog, DatabaseDef, PartitionDef, TableDef};
use crate::aws::{Aws, credentials_error, error_chain};
use crate::error::{Error, Result, closest};
use crate::storage::s3::connect_reason;

mod expression;
mod write;

type Partitions = Option<Arc<Vec<PartitionDef>>>;

/// A catalog read from the AWS Glue API.
#[derive(Debug)]
pub struct GlueCatalog {
    client: Client,
    catalog_id: Option<String>,
    endpoint: String,
    cache: Mutex<Cache>,
}

/// What the session has read from Glue.
#[derive(Debug, Default)]
struct Cache {
    databases: Option<Vec<String>>,
    tables: HashMap<String, Vec<String>>,
    defs: HashMap<(String, String), Arc<TableDef>>,
    /// Keyed by database, table and the Glue expression sent.
    partitions: HashMap<(String, String, Option<String>), Partitions>,
}

impl GlueCatalog {
    /// A Glue client configured from AWS's standard sources. `catalog_id` is
    /// the account whose catalog to read (default: the caller's).
    pub async fn connect(catalog_id: Option<String>) -> Result<Self> {
        let aws = Aws::default();
        let config = aws.config().await;
        let endpoint = Aws::endpoint(config, "AWS_ENDPOINT_URL_GLUE");
        let mut builder = aws_sdk_glue::config::Builder::from(config);
        let region = match (config.region(), &endpoint) {
            (Some(region), _) => region.to_string(),
            // A local endpoint still needs a region to sign requests with.
            (None, Some(_)) => {
                builder = builder.region(aws_sdk_glue::config::Region::new("us-east-1"));
                "us-east-1".to_string()
            }
            (None, None) => return Err(Error::NoRegion { service: "Glue" }),
        };
        if let Some(url) = &endpoint {
            builder = builder.endpoint_url(url);
        }
        Ok(Self {
            client: Client::from_conf(builder.build()),
            catalog_id: catalog_id.filter(|id| !id.is_empty()),
            endpoint: endpoint.unwrap_or_else(|| format!("https://glue.{region}.amazonaws.com")),
            cache: Mutex::default(),
        })
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        // A panic while holding the cache lock leaves a usable cache.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One sentence for a failed Glue call; `resource` names what was asked for.
    fn error<E>(&self, e: SdkError<E>, resource: &str) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        sdk_error(&self.endpoint, e, resource)
    }

    async fn table_names(&self, database: &str) -> Result<Vec<String>> {
        let key = database.to_lowercase();
        if let Some(names) = self.cache().tables.get(&key) {
            return Ok(names.clone());
        }
        let result = paginate(move |token| async move {
            let page = self
                .client
                .get_tables()
                .set_catalog_id(self.catalog_id.clone())
                .database_name(database)
                .set_next_token(token)
                .send()
                .await;
            match page {
                Ok(page) => {
                    let names: Vec<String> = page
                        .table_list()
                        .iter()
                        .map(|t| t.name().to_lowercase())
                        .collect();
                    Ok((names, page.next_token))
                }
                Err(e) => Err(e),
            }
        })
        .await;
        let mut names = match result {
            Ok(names) => names,
            // `default` not yet created in Glue: no tables.
            Err(e) if is_not_found(&e) && key == super::DEFAULT_DATABASE => Vec::new(),
            Err(e) if is_not_found(&e) => return Err(self.database_not_found(database).await),
            Err(e) => return Err(self.error(e, &format!("Glue database {database}"))),
        };
        names.sort();
        self.cache().tables.insert(key, names.clone());
        Ok(names)
    }

    async fn database_not_found(&self, database: &str) -> Error {
        let databases = self.databases().await.unwrap_or_default();
        Error::DatabaseNotFound {
            database: database.to_string(),
            suggestion: closest(database, databases.iter().map(String::as_str)),
        }
    }

    async fn table_not_found(&self, database: &str, table: &str) -> Error {
        let databases = self.databases().await.unwrap_or_default();
        if !databases.iter().any(|d| d.eq_ignore_ascii_case(database)) {
            return self.database_not_found(database).await;
        }
        let database = database.to_lowercase();
        let qualified: Vec<String> = self
            .table_names(&database)
            .await
            .unwrap_or_default()
            .iter()
            .map(|t| format!("{database}.{t}"))
            .collect();
        let name = format!("{database}.{}", table.to_lowercase());
        Error::TableNotFound {
            suggestion: closest(&name, qualified.iter().map(String::as_str)),
            name,
        }
    }

    /// Whether the table has any partition registered (one page of one).
    async fn has_partitions(&self, table: &TableDef) -> Result<bool> {
        let page = self
            .client
            .get_partitions()
            .set_catalog_id(self.catalog_id.clone())
            .database_name(&table.database)
            .table_name(&table.name)
            .max_results(1)
            .send()
            .await
            .map_err(|e| self.error(e, &format!("Glue table {}", table.qualified_name())))?;
        Ok(!page.partitions().is_empty())
    }

    async fn fetch_partitions(
        &self,
        table: &TableDef,
        expression: Option<&str>,
    ) -> Result<Partitions> {
        let pages = paginate(move |token| async move {
            let page = self
                .client
                .get_partitions()
                .set_catalog_id(self.catalog_id.clone())
                .database_name(&table.database)
                .table_name(&table.name)
                .set_expression(expression.map(str::to_string))
                .set_next_token(token)
                .send()
                .await?;
            let partitions: Vec<GluePartition> =
                page.partitions().iter().map(glue_partition).collect();
            Ok((partitions, page.next_token))
        })
        .await;
        let glue = match pages {
            Ok(glue) => glue,
            Err(e) if is_not_found(&e) => {
                return Err(self.table_not_found(&table.database, &table.name).await);
            }
            Err(e) => {
                return Err(self.error(e, &format!("Glue table {}", table.qualified_name())));
            }
        };
        // Like the local catalog: a table with no registered partitions is
        // read by discovering `key=value/` folders.
        if glue.is_empty() && (expression.is_none() || !self.has_partitions(table).await?) {
            return Ok(None);
        }
        let source = glue_source(&table.database, &table.name);
        let partitions = glue
            .into_iter()
            .enumerate()
            .map(|(i, p)| p.into_partition_def(&source, i, table))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Arc::new(partitions)))
    }
}

#[async_trait]
impl Catalog for GlueCatalog {
    async fn databases(&self) -> Result<Vec<String>> {
        if let Some(names) = &self.cache().databases {
            return Ok(names.clone());
        }
        let mut names = paginate(move |token| async move {
            let page = self
                .client
                .get_databases()
                .set_catalog_id(self.catalog_id.clone())
                .set_next_token(token)
                .send()
                .await?;
            let names: Vec<String> = page
                .database_list()
                .iter()
                .map(|d| d.name().to_lowercase())
                .collect();
            Ok((names, page.next_token))
        })
        .await
        .map_err(|e| self.error(e, "the Glue catalog"))?;
        // Athena shows `default` even in an account whose Glue catalog does
        // not hold it yet (it creates it on first use; see write_create_table).
        if !names.iter().any(|n| n == super::DEFAULT_DATABASE) {
            names.push(super::DEFAULT_DATABASE.to_string());
        }
        names.sort();
        self.cache().databases = Some(names.clone());
        Ok(names)
    }

    async fn tables(&self, database: &str) -> Result<Vec<String>> {
        // Glue stores names in lower case; lathe's names match case-insensitively.
        self.table_names(&database.to_lowercase()).await
    }

    async fn table(&self, database: &str, table: &str) -> Result<Arc<TableDef>> {
        let key = (database.to_lowercase(), table.to_lowercase());
        if let Some(def) = self.cache().defs.get(&key) {
            return Ok(Arc::clone(def));
        }
        let response = self
            .client
            .get_table()
            .set_catalog_id(self.catalog_id.clone())
            .database_name(&key.0)
            .name(&key.1)
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            Err(e) if is_not_found(&e) => return Err(self.table_not_found(database, table).await),
            Err(e) => return Err(self.error(e, &format!("Glue table {}.{}", key.0, key.1))),
        };
        let Some(found) = response.table() else {
            return Err(self.table_not_found(database, table).await);
        };
        let source = glue_source(&key.0, &key.1);
        let def = Arc::new(glue_table(found).into_table_def(&source, &key.0, &key.1)?);
        self.cache().defs.insert(key, Arc::clone(&def));
        Ok(def)
    }

    async fn partitions(&self, table: &TableDef) -> Result<Partitions> {
        self.partitions_matching(table, &[]).await
    }

    async fn partitions_matching(&self, table: &TableDef, filters: &[Expr]) -> Result<Partitions> {
        let expression = expression::glue_expression(table, filters);
        let key = (table.database.clone(), table.name.clone(), expression);
        if let Some(p) = self.cache().partitions.get(&key) {
            return Ok(p.clone());
        }
        let partitions = self.fetch_partitions(table, key.2.as_deref()).await?;
        self.cache().partitions.insert(key, partitions.clone());
        Ok(partitions)
    }

    fn refresh(&self) {
        *self.cache() = Cache::default();
    }

    async fn create_database(&self, database: &DatabaseDef, if_not_exists: bool) -> Result<()> {
        self.write_create_database(database, if_not_exists).await
    }

    async fn drop_database(&self, database: &str, if_exists: bool, cascade: bool) -> Result<()> {
        self.write_drop_database(database, if_exists, cascade).await
    }

    async fn create_table(&self, table: &TableDef, if_not_exists: bool) -> Result<bool> {
        self.write_create_table(table, if_not_exists).await
    }

    async fn drop_table(&self, database: &str, table: &str, if_exists: bool) -> Result<bool> {
        self.write_drop_table(database, table, if_exists).await
    }

    async fn create_view(&self, view: &TableDef, replace: bool) -> Result<()> {
        self.write_create_view(view, replace).await
    }

    async fn commit_iceberg(&self, table: &TableDef, expected: &str, new: &str) -> Result<()> {
        self.write_commit_iceberg(table, expected, new).await
    }

    async fn add_partitions(
        &self,
        table: &TableDef,
        partitions: &[PartitionDef],
        if_not_exists: bool,
    ) -> Result<usize> {
        self.write_add_partitions(table, partitions, if_not_exists)
            .await
    }

    async fn drop_partitions(
        &self,
        table: &TableDef,
        values: &[Vec<String>],
        if_exists: bool,
    ) -> Result<usize> {
        self.write_drop_partitions(table, values, if_exists).await
    }

    fn location(&self) -> Option<crate::catalog::CatalogLocation> {
        Some(crate::catalog::CatalogLocation::Glue(
            self.catalog_id.clone(),
        ))
    }
}

/// Collects every page of a list call. `fetch` gets the previous page's
/// token (`None` first) and returns one page's items and the next token.
/// Stops at a missing or empty token, and at a token seen before (a server
/// that ignores `NextToken` would otherwise loop forever).
pub(crate) async fn paginate<T, E, F, Fut>(mut fetch: F) -> std::result::Result<Vec<T>, E>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = std::result::Result<(Vec<T>, Option<String>), E>>,
{
    let mut items = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut token = None;
    loop {
        let (page, next) = fetch(token).await?;
        items.extend(page);
        match next.filter(|t| !t.is_empty()) {
            Some(next) if seen.insert(next.clone()) => token = Some(next),
            _ => return Ok(items),
        }
    }
}

/// What messages name as the source of a Glue table's definition.
fn glue_source(database: &str, table: &str) -> PathBuf {
    PathBuf::from(format!("Glue table {database}.{table}"))
}

fn is_not_found<E: ProvideErrorMetadata>(e: &SdkError<E>) -> bool {
    e.as_service_error()
        .is_some_and(|s| s.code() == Some("EntityNotFoundException"))
}

/// Maps a Glue SDK error to one sentence (never the request or credentials).
fn sdk_error<E>(endpoint: &str, e: SdkError<E>, resource: &str) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let Some(credentials) = find_in_chain::<CredentialsError>(&e) {
        return credentials_error("Glue", credentials);
    }
    let unreachable = |reason: String| Error::EndpointUnreachable {
        service: "Glue",
        endpoint: endpoint.to_string(),
        reason,
    };
    match &e {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let code = err.code().unwrap_or("UnknownError").to_string();
            // moto's IAM check answers 403 with a body the SDK finds no code in.
            let forbidden = service.raw().status().as_u16() == 403 && err.code().is_none();
            match code.as_str() {
                _ if forbidden => Error::AccessDenied {
                    resource: resource.to_string(),
                },
                "AccessDeniedException" => Error::AccessDenied {
                    resource: resource.to_string(),
                },
                "UnrecognizedClientException"
                | "InvalidSignatureException"
                | "ExpiredTokenException"
                | "InvalidClientTokenId" => Error::InvalidCredentials {
                    service: "Glue",
                    code,
                },
                _ => Error::AwsRequest {
                    service: "Glue",
                    reason: match err.message() {
                        Some(message) => format!("{code}: {message}"),
                        None => code,
                    },
                },
            }
        }
        SdkError::TimeoutError(_) => unreachable("timed out".into()),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            unreachable("timed out".into())
        }
        SdkError::DispatchFailure(failure) if failure.is_io() => {
            unreachable(connect_reason(&error_chain(&e)))
        }
        _ => Error::AwsRequest {
            service: "Glue",
            reason: error_chain(&e),
        },
    }
}

fn find_in_chain<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        current = err.source();
    }
    None
}

/// An SDK table in the Glue JSON shape that `glue_json` validates.
fn glue_table(t: &aws_sdk_glue::types::Table) -> GlueTable {
    GlueTable {
        name: Some(t.name().to_string()),
        database_name: t.database_name().map(str::to_string),
        description: t.description().map(str::to_string),
        table_type: t.table_type().map(str::to_string),
        storage_descriptor: t.storage_descriptor().map(storage_descriptor),
        partition_keys: Some(t.partition_keys().iter().map(glue_column).collect()),
        parameters: t.parameters().cloned(),
        create_time: t.create_time().map(|d| GlueTime::Epoch(d.as_secs_f64())),
        update_time: t.update_time().map(|d| GlueTime::Epoch(d.as_secs_f64())),
        view_original_text: t.view_original_text().map(str::to_string),
        view_expanded_text: t.view_expanded_text().map(str::to_string),
    }
}

fn glue_partition(p: &aws_sdk_glue::types::Partition) -> GluePartition {
    GluePartition {
        values: Some(p.values().to_vec()),
        storage_descriptor: p.storage_descriptor().map(storage_descriptor),
    }
}

fn storage_descriptor(sd: &aws_sdk_glue::types::StorageDescriptor) -> StorageDescriptor {
    StorageDescriptor {
        columns: Some(sd.columns().iter().map(glue_column).collect()),
        location: sd.location().map(str::to_string),
        input_format: sd.input_format().map(str::to_string),
        output_format: sd.output_format().map(str::to_string),
        serde_info: sd.serde_info().map(|s| SerdeInfo {
            serialization_library: s.serialization_library().map(str::to_string),
            parameters: s.parameters().cloned(),
        }),
        parameters: sd.parameters().cloned(),
    }
}

fn glue_column(c: &aws_sdk_glue::types::Column) -> GlueColumn {
    GlueColumn {
        name: Some(c.name().to_string()),
        type_string: c.r#type().map(str::to_string),
        comment: c.comment().map(str::to_string),
    }
}

#[cfg(test)]
mod tests;
