//! Reading S3 directly: one `AmazonS3` store per bucket, made on first use.
//!
//! The store registry hands out an [`S3Bucket`] for `s3://bucket` at once
//! (DataFusion asks for stores synchronously); the bucket's real client is
//! built on its first request: region from AWS's chain, or discovered from the
//! bucket itself when no endpoint override is set (so a wrong `AWS_REGION`
//! cannot send requests to the wrong place), credentials from `aws-config`'s
//! default chain, and path-style plain-HTTP access for `AWS_ENDPOINT_URL_S3` /
//! `AWS_ENDPOINT_URL` endpoints. Every store is wrapped in [`CountingStore`],
//! and its errors become lathe's one-sentence errors ([`classify`]).

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, resolve_bucket_region};
use object_store::client::{HttpError, HttpErrorKind};
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientOptions, CopyOptions, GetOptions, GetResult, GetResultPayload, ListResult,
    MultipartUpload, ObjectMeta, ObjectStore, PutMultipartOptions, PutOptions, PutPayload,
    PutResult, RenameOptions, Result, RetryConfig,
};
use tokio::sync::OnceCell;
use url::Url;

use super::counting::{CountingStore, ScanCounters};
use crate::aws::{
    ATTEMPT_TIMEOUT, Aws, CONNECT_TIMEOUT, INITIAL_BACKOFF, MAX_ATTEMPTS, MAX_BACKOFF,
    RETRY_TIMEOUT, S3CredentialProvider, error_chain,
};
use crate::error::Error;

mod list_retry;

/// The region S3 requests are signed for when nothing says otherwise.
const DEFAULT_REGION: &str = "us-east-1";

/// DataFusion's store registry, with S3 buckets made on demand.
#[derive(Debug)]
pub(crate) struct StoreRegistry {
    inner: DefaultObjectStoreRegistry,
    buckets: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
    aws: Arc<Aws>,
    counters: Arc<ScanCounters>,
}

impl StoreRegistry {
    pub(crate) fn new(aws: Arc<Aws>, counters: Arc<ScanCounters>) -> Self {
        Self {
            inner: DefaultObjectStoreRegistry::new(),
            buckets: Mutex::default(),
            aws,
            counters,
        }
    }
}

impl ObjectStoreRegistry for StoreRegistry {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.inner.register_store(url, store)
    }

    fn get_store(&self, url: &Url) -> DfResult<Arc<dyn ObjectStore>> {
        if let Ok(store) = self.inner.get_store(url) {
            return Ok(store);
        }
        if url.scheme() != "s3" {
            return self.inner.get_store(url);
        }
        let bucket = url.host_str().unwrap_or_default().to_string();
        if bucket.is_empty() {
            return Err(DataFusionError::External(Box::new(
                Error::UnsupportedLocation {
                    location: url.to_string(),
                    reason: "an S3 location needs a bucket: s3://bucket/prefix/".into(),
                },
            )));
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let store = buckets.entry(bucket.clone()).or_insert_with(|| {
            let lazy = S3Bucket::new(bucket, Arc::clone(&self.aws));
            let counted: Arc<dyn ObjectStore> = Arc::new(CountingStore::new(
                Arc::new(lazy),
                Arc::clone(&self.counters),
            ));
            counted
        });
        Ok(Arc::clone(store))
    }
}

/// One bucket's store, built on its first request.
#[derive(Debug, Clone)]
pub(crate) struct S3Bucket {
    bucket: Arc<str>,
    aws: Arc<Aws>,
    client: Arc<OnceCell<Client>>,
}

/// A built store and what messages need to know about it.
#[derive(Debug)]
struct Client {
    store: Arc<dyn ObjectStore>,
    endpoint: String,
    region: String,
    /// The URL of the bucket itself, asked where the bucket lives after a
    /// wrong-region error.
    probe: String,
    options: ClientOptions,
}

impl fmt::Display for S3Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S3({})", self.bucket)
    }
}

impl S3Bucket {
    pub(crate) fn new(bucket: String, aws: Arc<Aws>) -> Self {
        Self {
            bucket: bucket.into(),
            aws,
            client: Arc::default(),
        }
    }

    async fn client(&self) -> Result<&Client> {
        self.client
            .get_or_try_init(|| build(&self.bucket, &self.aws))
            .await
            .map_err(wrap)
    }

    fn classify(&self, path: Option<&Path>, e: object_store::Error) -> object_store::Error {
        let (endpoint, region) = match self.client.get() {
            Some(c) => (c.endpoint.as_str(), c.region.as_str()),
            None => ("S3", DEFAULT_REGION),
        };
        let path = path.map(AsRef::<str>::as_ref);
        classify(&self.bucket, path, endpoint, region, e)
    }

    /// [`Self::classify`]; and for a wrong region whose error did not say
    /// the right one, or a bare `400 Bad Request` (S3's answer to a HEAD
    /// signed for the wrong region: no body, the region only in a header
    /// object_store drops), the bucket asked where it lives.
    async fn explain(&self, path: Option<&Path>, e: object_store::Error) -> object_store::Error {
        let e = self.classify(path, e);
        let unnamed = matches!(
            &e,
            object_store::Error::Generic { source, .. }
                if matches!(
                    source.downcast_ref::<Error>(),
                    Some(Error::WrongRegion { expected: None, .. })
                )
        );
        let ask = unnamed || {
            let text = error_chain(&e);
            text.contains("400 Bad Request") && !text.contains("<Code>")
        };
        let Some(client) = self.client.get().filter(|_| ask) else {
            return e;
        };
        match bucket_region(client).await {
            Some(expected) if expected != client.region => wrap(Error::WrongRegion {
                bucket: self.bucket.to_string(),
                region: client.region.clone(),
                expected: Some(expected),
            }),
            _ => e,
        }
    }

    /// A result, its error [explained](Self::explain).
    async fn check<T>(&self, path: Option<&Path>, result: Result<T>) -> Result<T> {
        match result {
            Ok(value) => Ok(value),
            Err(e) => Err(self.explain(path, e).await),
        }
    }

    /// A listing stream that first builds the client, and resumes after a
    /// broken answer (see `list_retry`).
    fn lazy_list(
        &self,
        prefix: Option<Path>,
        offset: Option<Path>,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let this = self.clone();
        let classifier = self.clone();
        let list_prefix = prefix.clone();
        futures::stream::once(async move {
            match this.client().await {
                Ok(client) => list_retry::list(Arc::clone(&client.store), list_prefix, offset),
                Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
            }
        })
        .flatten()
        .then(move |item| {
            let (classifier, prefix) = (classifier.clone(), prefix.clone());
            async move { classifier.check(prefix.as_ref(), item).await }
        })
        .boxed()
    }
}

fn wrap(e: Error) -> object_store::Error {
    object_store::Error::Generic {
        store: "S3",
        source: Box::new(e),
    }
}

/// Builds the bucket's client from the session's AWS configuration.
async fn build(bucket: &str, aws: &Aws) -> Result<Client, Error> {
    let config = aws.config().await;
    let endpoint = Aws::endpoint(config, "AWS_ENDPOINT_URL_S3");
    let options = ClientOptions::new()
        .with_connect_timeout(CONNECT_TIMEOUT)
        .with_timeout(ATTEMPT_TIMEOUT)
        .with_allow_http(endpoint.is_some());
    let configured = config.region().map(|r| r.to_string());
    let region = match (&endpoint, configured) {
        (Some(_), configured) => configured.unwrap_or_else(|| DEFAULT_REGION.to_string()),
        // The bucket says where it lives; that beats a guess.
        (None, configured) => match resolve_bucket_region(bucket, &options).await {
            Ok(region) => region,
            Err(e) if error_chain(&e).contains("not found") => {
                return Err(Error::BucketNotFound {
                    bucket: bucket.to_string(),
                });
            }
            Err(_) => configured.unwrap_or_else(|| DEFAULT_REGION.to_string()),
        },
    };
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: INITIAL_BACKOFF,
            max_backoff: MAX_BACKOFF,
            base: 2.0,
        },
        max_retries: MAX_ATTEMPTS as usize - 1,
        retry_timeout: RETRY_TIMEOUT,
    };
    let credentials = S3CredentialProvider::new(config.credentials_provider());
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region(&region)
        .with_credentials(Arc::new(credentials))
        .with_retry(retry)
        .with_client_options(options.clone());
    if let Some(endpoint) = &endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_virtual_hosted_style_request(false)
            .with_allow_http(true);
    }
    let store = builder.build().map_err(|e| Error::AwsRequest {
        service: "S3",
        reason: error_chain(&e),
    })?;
    let probe = match &endpoint {
        // Path-style, as requests to an endpoint override are.
        Some(endpoint) => format!("{}/{bucket}", endpoint.trim_end_matches('/')),
        None => format!("https://{bucket}.s3.amazonaws.com"),
    };
    Ok(Client {
        store: Arc::new(store),
        endpoint: endpoint.unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com")),
        region,
        probe,
        options,
    })
}

/// Turns an S3 error a user can act on into lathe's error (carried inside
/// object_store's `Generic`, where the binary finds it); others pass through.
/// `path` is the key or prefix the request was about.
pub(crate) fn classify(
    bucket: &str,
    path: Option<&str>,
    endpoint: &str,
    region: &str,
    e: object_store::Error,
) -> object_store::Error {
    use object_store::Error as E;
    let text = error_chain(&e);
    let has = |code: &str| text.contains(code);
    const CREDENTIAL_CODES: [&str; 5] = [
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
    ];
    let ours = match &e {
        E::Generic { source, .. } if source.downcast_ref::<Error>().is_some() => return e,
        _ if has("NoSuchBucket") => Error::BucketNotFound {
            bucket: bucket.to_string(),
        },
        _ if CREDENTIAL_CODES.iter().any(|c| has(c)) => Error::InvalidCredentials {
            service: "S3",
            code: CREDENTIAL_CODES
                .iter()
                .find(|c| has(c))
                .map(|c| c.to_string())
                .unwrap_or_default(),
        },
        E::PermissionDenied { path, .. } | E::Unauthenticated { path, .. } => Error::AccessDenied {
            resource: format!("s3://{bucket}/{path}"),
        },
        _ if has("AccessDenied") => Error::AccessDenied {
            resource: format!("s3://{bucket}/{}", path.unwrap_or_default()),
        },
        _ if has("PermanentRedirect")
            || has("AuthorizationHeaderMalformed")
            || has("incorrectly configured region") =>
        {
            Error::WrongRegion {
                bucket: bucket.to_string(),
                region: region.to_string(),
                expected: region_in_error(&text),
            }
        }
        E::Generic { source, .. } => match http_error_kind(source.as_ref()) {
            Some(HttpErrorKind::Connect) => Error::EndpointUnreachable {
                service: "S3",
                endpoint: endpoint.to_string(),
                reason: connect_reason(&text),
            },
            Some(kind) => Error::S3Unavailable {
                resource: format!("s3://{bucket}/{}", path.unwrap_or_default()),
                reason: transport_reason(kind, &text),
                attempts: attempts(&text),
            },
            None => match server_error(&text) {
                Some(reason) => Error::S3Unavailable {
                    resource: format!("s3://{bucket}/{}", path.unwrap_or_default()),
                    reason,
                    attempts: attempts(&text),
                },
                None => return e,
            },
        },
        _ => return e,
    };
    wrap(ours)
}

/// The bucket's region as an S3 error body names it: `<Region>eu-west-1</Region>`
/// (AuthorizationHeaderMalformed), `... expecting 'eu-west-1'`, or the
/// `<Endpoint>bucket.s3.eu-west-1.amazonaws.com</Endpoint>` of a PermanentRedirect.
pub(crate) fn region_in_error(text: &str) -> Option<String> {
    let between = |start: &str, end: &str| {
        let (_, rest) = text.split_once(start)?;
        let (value, _) = rest.split_once(end)?;
        Some(value.trim().to_string())
    };
    let region = between("<Region>", "</Region>")
        .or_else(|| between("expecting '", "'"))
        .or_else(|| {
            let endpoint = between("<Endpoint>", "</Endpoint>")?;
            let (_, rest) = endpoint.split_once(".s3.")?;
            let (region, _) = rest.split_once(".amazonaws.com")?;
            Some(region.trim_start_matches("dualstack.").to_string())
        })?;
    let plausible = !region.is_empty()
        && region.len() <= 32
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    plausible.then_some(region)
}

/// Asks S3 where a bucket lives: `HEAD` of the bucket, whose answer (even a
/// redirect or a refusal) carries `x-amz-bucket-region`. object_store drops
/// that header, and the body, of the bare 301 a wrong-region request gets.
async fn bucket_region(client: &Client) -> Option<String> {
    use object_store::client::{HttpConnector, HttpRequest, HttpRequestBody, ReqwestConnector};
    let http = ReqwestConnector::default().connect(&client.options).ok()?;
    let mut request = HttpRequest::new(HttpRequestBody::empty());
    *request.method_mut() = "HEAD".parse().ok()?;
    *request.uri_mut() = client.probe.parse().ok()?;
    let response = http.execute(request).await.ok()?;
    let region = response.headers().get("x-amz-bucket-region")?;
    region.to_str().ok().map(str::to_string)
}

/// Attempts made, from object_store's retry report (`after 3 retries`).
fn attempts(text: &str) -> usize {
    text.split_once("after ")
        .and_then(|(_, rest)| rest.split(' ').next()?.parse::<usize>().ok())
        .map_or(1, |retries| retries + 1)
}

/// `503 SlowDown` from a 5xx answer (status and S3's error code), if it was one.
fn server_error(text: &str) -> Option<String> {
    let (_, rest) = text.split_once("non-2xx status code: ")?;
    let status = rest.get(..3).filter(|s| s.starts_with('5'))?;
    let code = rest
        .split_once("<Code>")
        .and_then(|(_, c)| c.split_once("</Code>"))
        .map(|(code, _)| code);
    Some(match code {
        Some(code) => format!("{status} {code}"),
        None => format!("HTTP {status}"),
    })
}

/// What broke in a request that had been sent, in a few words.
fn transport_reason(kind: HttpErrorKind, text: &str) -> String {
    let lower = text.to_lowercase();
    if kind == HttpErrorKind::Timeout || lower.contains("timed out") {
        "no answer in time".into()
    } else if lower.contains("reset") {
        "connection reset".into()
    } else if lower.contains("before message length") || lower.contains("incomplete") {
        "answer cut short".into()
    } else if lower.contains("closed") {
        "connection closed".into()
    } else {
        "transfer failed".into()
    }
}

/// The kind of the HTTP failure somewhere in an error's sources.
fn http_error_kind(e: &(dyn std::error::Error + 'static)) -> Option<HttpErrorKind> {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(http) = err.downcast_ref::<HttpError>() {
            return Some(http.kind());
        }
        current = err.source();
    }
    None
}

/// A short reason for a failed connection, from the error text.
pub(crate) fn connect_reason(text: &str) -> String {
    let lower = text.to_lowercase();
    if lower.contains("connection refused") {
        "connection refused".into()
    } else if lower.contains("dns error") || lower.contains("failed to lookup") {
        "host name not found".into()
    } else if lower.contains("timed out") || lower.contains("timeout") {
        "timed out".into()
    } else {
        "connection failed".into()
    }
}

#[async_trait]
impl ObjectStore for S3Bucket {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        let client = self.client().await?;
        let result = client.store.put_opts(location, payload, opts).await;
        self.check(Some(location), result).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        let client = self.client().await?;
        let result = client.store.put_multipart_opts(location, opts).await;
        self.check(Some(location), result).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let client = self.client().await?;
        let result = client.store.get_opts(location, options).await;
        let mut result = self.check(Some(location), result).await?;
        // The body fails later, while it streams (after object_store's own
        // retries of the rest of it): classify those errors too.
        if let GetResultPayload::Stream(stream) = result.payload {
            let (this, location) = (self.clone(), location.clone());
            result.payload = GetResultPayload::Stream(
                stream
                    .map_err(move |e| this.classify(Some(&location), e))
                    .boxed(),
            );
        }
        Ok(result)
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let client = self.client().await?;
        let result = client.store.get_ranges(location, ranges).await;
        self.check(Some(location), result).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let this = self.clone();
        let classifier = self.clone();
        futures::stream::once(async move {
            match this.client().await {
                Ok(client) => client.store.delete_stream(locations),
                Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
            }
        })
        .flatten()
        .then(move |item| {
            let classifier = classifier.clone();
            async move { classifier.check(None, item).await }
        })
        .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.lazy_list(prefix.cloned(), None)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.lazy_list(prefix.cloned(), Some(offset.clone()))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let client = self.client().await?;
        let result = list_retry::list_with_delimiter(client.store.as_ref(), prefix).await;
        self.check(prefix, result).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        let client = self.client().await?;
        let result = client.store.copy_opts(from, to, options).await;
        self.check(Some(from), result).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        let client = self.client().await?;
        let result = client.store.rename_opts(from, to, options).await;
        self.check(Some(from), result).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generic(text: &str) -> object_store::Error {
        object_store::Error::Generic {
            store: "S3",
            source: text.to_string().into(),
        }
    }

    fn message(e: object_store::Error) -> String {
        let mapped = classify("acme-raw", Some("a"), "http://127.0.0.1:9", "eu-west-1", e);
        match mapped {
            object_store::Error::Generic { source, .. } => match source.downcast_ref::<Error>() {
                Some(ours) => ours.to_string(),
                None => format!("passed through: {source}"),
            },
            other => format!("passed through: {other}"),
        }
    }

    #[test]
    fn s3_errors_become_one_sentence() {
        assert_eq!(
            message(generic("<Error><Code>NoSuchBucket</Code></Error>")),
            "S3 bucket acme-raw does not exist; check the table's location and any --map rule for it"
        );
        assert_eq!(
            message(object_store::Error::PermissionDenied {
                path: "a/b.json".into(),
                source: "<Code>AccessDenied</Code>".into(),
            }),
            "access denied to s3://acme-raw/a/b.json; the AWS identity in use lacks permission \
             for it (check AWS_PROFILE and its IAM policy)"
        );
        assert_eq!(
            message(object_store::Error::PermissionDenied {
                path: "a".into(),
                source: "<Code>InvalidAccessKeyId</Code>".into(),
            }),
            "S3 rejected the AWS credentials (InvalidAccessKeyId); check AWS_PROFILE or renew \
             them (e.g. `aws sso login`)"
        );
        assert_eq!(
            message(generic("<Code>PermanentRedirect</Code>")),
            "S3 bucket acme-raw is not in region eu-west-1; set AWS_REGION to the bucket's region"
        );
        assert_eq!(
            message(generic("403 Forbidden: <Code>AccessDenied</Code>")),
            "access denied to s3://acme-raw/a; the AWS identity in use lacks permission \
             for it (check AWS_PROFILE and its IAM policy)"
        );
        assert_eq!(
            message(generic(
                "Error performing GET http://127.0.0.1:9/acme-raw/a in 1.5s, after 3 retries, \
                 max_retries: 3, retry_timeout: 20s  - Server returned non-2xx status code: \
                 503 Service Unavailable: <Error><Code>SlowDown</Code></Error>"
            )),
            "S3 request for s3://acme-raw/a failed after 4 attempt(s) (503 SlowDown); S3 is \
             unavailable or throttling, try again later"
        );
        assert_eq!(
            message(generic(
                "Error performing GET http://127.0.0.1:9/acme-raw/a in 2ms - Server returned \
                 non-2xx status code: 500 Internal Server Error: "
            )),
            "S3 request for s3://acme-raw/a failed after 1 attempt(s) (HTTP 500); S3 is \
             unavailable or throttling, try again later"
        );
        assert_eq!(
            message(generic("something else")),
            "passed through: something else"
        );
    }

    #[test]
    fn wrong_region_errors_name_the_buckets_region() {
        let malformed = "Server returned non-2xx status code: 400 Bad Request: <Error>\
            <Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is \
            malformed; the region 'eu-west-1' is wrong; expecting 'ap-south-1'</Message>\
            <Region>ap-south-1</Region></Error>";
        assert_eq!(
            message(generic(malformed)),
            "S3 bucket acme-raw is in region ap-south-1, not eu-west-1; set \
             AWS_REGION=ap-south-1 (and point any AWS_ENDPOINT_URL_S3 at that region)"
        );
        assert_eq!(
            region_in_error("the region 'us-east-1' is wrong; expecting 'eu-central-1'"),
            Some("eu-central-1".into())
        );
        assert_eq!(
            region_in_error(
                "<Code>PermanentRedirect</Code><Endpoint>b.s3.us-west-2.amazonaws.com</Endpoint>"
            ),
            Some("us-west-2".into())
        );
        assert_eq!(region_in_error("<Region><script></Region>"), None);
        assert_eq!(region_in_error("PermanentRedirect"), None);
    }

    #[test]
    fn connection_failures_are_named() {
        assert_eq!(
            connect_reason("error sending request: Connection refused (os error 111)"),
            "connection refused"
        );
        assert_eq!(
            connect_reason("dns error: failed to lookup address"),
            "host name not found"
        );
    }
}
