//! `lathe serve`: a local Athena endpoint. One HTTP port answers the AWS
//! APIs that Athena's clients call, over the same catalog and warehouse as
//! the shell, so that `AWS_ENDPOINT_URL=http://127.0.0.1:4566` points
//! PyAthena, awswrangler, dbt-athena, the AWS CLI and boto3 at lathe:
//!
//! - `athena`: the Athena API, in both wire forms clients use (botocore's
//!   REST-JSON paths, told from S3 by the service their signature names,
//!   and `X-Amz-Target: AmazonAthena.*`, AWS JSON 1.1):
//!   query executions run by `queries`, result pages, workgroups, data
//!   catalogs, databases and table metadata, named queries (the `queries/`
//!   folder) and prepared statements;
//! - `glue`: the Glue API (`AWSGlue.*`) over the catalog backend;
//! - `sts`: STS `GetCallerIdentity` (AWS Query protocol), a fixed local account;
//! - `s3`: the S3 REST API over the mapped local folders (`--map
//!   s3://bucket/prefix/=dir/`), the protocol from the `s3s` crate.
//!
//! Requests signed with any credentials are accepted (a local endpoint), or
//! verified against one configured key pair (`--require-credentials`). The
//! server binds to loopback unless told otherwise.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use tokio::net::TcpListener;

use crate::catalog::Catalog;
use crate::catalog::glue::GlueCatalog;
use crate::catalog::local::LocalCatalog;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::storage::LocationMapping;

mod athena;
mod chunked;
mod glue;
mod protocol;
mod queries;
mod results;
mod s3;
mod signature;
mod sts;
#[cfg(test)]
mod tests;

use protocol::ApiError;

/// The account the endpoint says it is (STS, ARNs, Glue catalog ids).
pub const ACCOUNT_ID: &str = "000000000000";
/// The region the endpoint says it is in.
pub const REGION: &str = "us-east-1";
/// The bucket Athena's results go to unless the workgroup is told otherwise.
pub const RESULTS_BUCKET: &str = "lathe-query-results";
/// The largest JSON request body accepted (Glue's `BatchCreatePartition` of
/// 100 partitions is well under it).
const MAX_JSON_BODY: usize = 32 << 20;

/// How to run the endpoint.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen (loopback by default; the binary warns otherwise).
    pub addr: SocketAddr,
    /// The local folder served as `s3://lathe-query-results/`, where the
    /// `primary` workgroup writes query results.
    pub results_dir: PathBuf,
    /// The named queries folder (Athena's named queries).
    pub queries_dir: PathBuf,
    /// Verify every request's SigV4 signature against this key pair; `None`
    /// accepts any credentials.
    pub credentials: Option<Credentials>,
}

/// An access key pair.
#[derive(Clone)]
pub struct Credentials {
    /// The access key id.
    pub access_key: String,
    /// The secret key, never printed.
    pub secret_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .finish_non_exhaustive()
    }
}

/// What every handler shares.
pub(crate) struct State {
    /// The engine settings, with the results bucket mapped.
    pub(crate) config: Config,
    pub(crate) catalog: Arc<dyn Catalog>,
    pub(crate) options: ServeOptions,
    pub(crate) queries: queries::Executions,
    pub(crate) prepared: athena::PreparedStatements,
    s3: s3s::service::S3Service,
}

/// A bound, not yet running, endpoint.
pub struct Server {
    listener: TcpListener,
    state: Arc<State>,
}

impl Server {
    /// Opens the catalog and binds the port. The results folder is created
    /// and mapped as `s3://lathe-query-results/`.
    pub async fn bind(config: &Config, options: ServeOptions) -> Result<Self> {
        let mut config = config.clone();
        std::fs::create_dir_all(&options.results_dir).map_err(|e| Error::InvalidConfig {
            source_name: "--results".into(),
            reason: format!(
                "cannot create the results folder {}: {e}",
                options.results_dir.display()
            ),
        })?;
        let results_dir = std::fs::canonicalize(&options.results_dir)?;
        let mut rules = config.location_map.rules().to_vec();
        let from = format!("s3://{RESULTS_BUCKET}/");
        if !rules.iter().any(|r| r.from == from) {
            rules.push(LocationMapping {
                from,
                to: format!("{}/", results_dir.display()),
            });
        }
        config.location_map = crate::storage::LocationMap::new(rules);
        let catalog: Arc<dyn Catalog> = match &config.glue {
            Some(glue) => Arc::new(GlueCatalog::connect(glue.catalog_id.clone()).await?),
            None => Arc::new(LocalCatalog::open(&config.catalog)?),
        };
        let listener = TcpListener::bind(options.addr)
            .await
            .map_err(|e| Error::InvalidConfig {
                source_name: "--port".into(),
                reason: format!("cannot listen on {}: {e}", options.addr),
            })?;
        let s3 = s3::service(&config.location_map, options.credentials.as_ref());
        let state = Arc::new(State {
            config,
            catalog,
            options,
            queries: queries::Executions::default(),
            prepared: athena::PreparedStatements::default(),
            s3,
        });
        Ok(Self { listener, state })
    }

    /// The address actually bound (the port, when 0 was asked for).
    pub fn local_addr(&self) -> Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until `shutdown` completes; then stops accepting, cancels the
    /// queries still running (their results are never half-written) and
    /// returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let Server { listener, state } = self;
        // Requests being answered, so that shutdown lets them finish.
        let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let state = Arc::clone(&state);
                    let in_flight = Arc::clone(&in_flight);
                    let service = hyper::service::service_fn(move |req| {
                        let state = Arc::clone(&state);
                        let in_flight = Arc::clone(&in_flight);
                        async move {
                            in_flight.fetch_add(1, Ordering::SeqCst);
                            let response = handle(state, req).await;
                            in_flight.fetch_sub(1, Ordering::SeqCst);
                            Ok::<_, Infallible>(response)
                        }
                    });
                    tokio::spawn(async move {
                        let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                        let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                    });
                }
                () = &mut shutdown => break,
            }
        }
        drop(listener);
        state.queries.cancel_all();
        // Answer the requests in flight, but do not wait long for them.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
        while in_flight.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Ok(())
    }
}

/// The body every response carries.
pub(crate) type Body = s3s::Body;

/// Routes one request: the JSON APIs by their `X-Amz-Target`, STS by its
/// form `Action`, everything else to S3.
async fn handle(state: Arc<State>, req: Request<Incoming>) -> Response<Body> {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let is_form = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
        && req.method() == http::Method::POST
        && req.uri().path() == "/";
    // Athena's REST form is told from S3 by the service it is signed for.
    let athena_rest = target.is_none() && signed_for(req.headers()) == Some("athena");
    if target.is_none() && !is_form && !athena_rest {
        return s3::call(&state, req).await;
    }
    let (parts, body) = req.into_parts();
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(e) => return e.json_response(),
    };
    if let Some(credentials) = &state.options.credentials
        && let Err(e) = signature::verify(&parts, &body, credentials)
    {
        return if is_form && target.is_none() {
            sts::error_response(&e)
        } else {
            e.json_response()
        };
    }
    match target {
        Some(target) => json_api(&state, &target, &body).await,
        None if athena_rest => athena_rest_api(&state, &parts, &body).await,
        None => sts::call(&body),
    }
}

/// The service a request's SigV4 credential scope names (`athena`, `s3`).
fn signed_for(headers: &HeaderMap) -> Option<&str> {
    let authorization = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let credential = authorization.split("Credential=").nth(1)?;
    let scope = credential.split([',', ' ']).next()?;
    scope.split('/').nth(3)
}

/// A call in Athena's REST form: routed by method and path.
async fn athena_rest_api(
    state: &Arc<State>,
    parts: &http::request::Parts,
    body: &[u8],
) -> Response<Body> {
    let input = match parse_json(body) {
        Ok(input) => input,
        Err(e) => return e.json_response(),
    };
    let Some((operation, input)) =
        athena::rest_route(&parts.method, parts.uri.path(), parts.uri.query(), &input)
    else {
        return ApiError::unknown_operation(&format!(
            "Athena {} {}",
            parts.method,
            parts.uri.path()
        ))
        .json_response();
    };
    match athena::call(state, operation, &input).await {
        Ok(output) => protocol::json_response(StatusCode::OK, &output),
        Err(e) => e.json_response(),
    }
}

fn parse_json(body: &[u8]) -> std::result::Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(ApiError::serialization(
            "the request body is not a JSON object",
        )),
        Err(e) => Err(ApiError::serialization(format!(
            "the request body is not JSON: {e}"
        ))),
    }
}

async fn read_body(body: Incoming) -> std::result::Result<Bytes, ApiError> {
    let limited = http_body_util::Limited::new(body, MAX_JSON_BODY);
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => Err(ApiError::invalid(format!(
            "cannot read the request body: {e}"
        ))),
    }
}

/// An AWS JSON 1.1 call: `Service.Operation` with a JSON object body.
async fn json_api(state: &Arc<State>, target: &str, body: &[u8]) -> Response<Body> {
    let input = match parse_json(body) {
        Ok(input) => input,
        Err(e) => return e.json_response(),
    };
    let (service, operation) = target.split_once('.').unwrap_or((target, ""));
    let result = match service {
        "AmazonAthena" => athena::call(state, operation, &input).await,
        "AWSGlue" => glue::call(state, operation, &input).await,
        _ => Err(ApiError::unknown_operation(target)),
    };
    match result {
        Ok(output) => protocol::json_response(StatusCode::OK, &output),
        Err(e) => e.json_response(),
    }
}
