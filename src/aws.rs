//! AWS access shared by S3 storage and the Glue catalog: the SDK
//! configuration from AWS's own sources, endpoint overrides, and the retry
//! and time bounds every request runs under.
//!
//! Everything comes from where every AWS tool looks (DESIGN.md): the
//! environment (`AWS_REGION`, `AWS_PROFILE`, keys, `AWS_ENDPOINT_URL[_S3|_GLUE]`),
//! `~/.aws/config` and `~/.aws/credentials`, SSO, web identity and instance
//! metadata, through `aws-config`'s default chains. lathe adds no settings.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use object_store::aws::AwsCredential;
use tokio::sync::OnceCell;

use crate::error::Error;

/// Connecting to an endpoint gives up after this long (then retries).
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// One request attempt gives up after this long.
pub(crate) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// Retries of one request stop after this long in total.
pub(crate) const RETRY_TIMEOUT: Duration = Duration::from_secs(20);
/// Attempts per request, the first included.
pub(crate) const MAX_ATTEMPTS: u32 = 4;
/// The first backoff between attempts; it doubles up to [`MAX_BACKOFF`].
pub(crate) const INITIAL_BACKOFF: Duration = Duration::from_millis(200);
/// The longest backoff between attempts.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// Credentials this close to expiry are refreshed before use.
const EXPIRY_MARGIN: Duration = Duration::from_secs(300);

/// Makes aws-lc-rs the process's rustls crypto provider. object_store's
/// reqwest enables rustls's `ring` feature and the SDK its `aws-lc-rs`
/// feature; with both on, rustls cannot choose one and panics when a TLS
/// client is built. Idempotent: a provider installed earlier stays.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// The AWS configuration of a session, loaded on first use.
#[derive(Debug, Default)]
pub(crate) struct Aws {
    config: OnceCell<SdkConfig>,
}

impl Aws {
    /// The SDK configuration: region, credentials, endpoints, retries, timeouts.
    pub(crate) async fn config(&self) -> &SdkConfig {
        self.config
            .get_or_init(|| async {
                install_crypto_provider();
                let retry = RetryConfig::standard()
                    .with_max_attempts(MAX_ATTEMPTS)
                    .with_initial_backoff(INITIAL_BACKOFF)
                    .with_max_backoff(MAX_BACKOFF);
                let timeout = TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .operation_timeout(ATTEMPT_TIMEOUT + RETRY_TIMEOUT)
                    .build();
                aws_config::defaults(BehaviorVersion::latest())
                    .retry_config(retry)
                    .timeout_config(timeout)
                    .load()
                    .await
            })
            .await
    }

    /// The endpoint override for a service: `AWS_ENDPOINT_URL_<SERVICE>`,
    /// else `AWS_ENDPOINT_URL` (or a profile's `endpoint_url`).
    pub(crate) fn endpoint(config: &SdkConfig, service_variable: &str) -> Option<String> {
        std::env::var(service_variable)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| config.endpoint_url().map(str::to_string))
    }
}

/// The reason a credentials provider failed, as one of our errors.
pub(crate) fn credentials_error(service: &'static str, e: &CredentialsError) -> Error {
    match e {
        CredentialsError::CredentialsNotLoaded(_) => Error::NoCredentials { service },
        other => Error::AwsRequest {
            service,
            reason: format!("cannot load AWS credentials: {}", error_chain(other)),
        },
    }
}

/// An error and its sources, joined with `: ` (Display only, never Debug,
/// so no credential material is printed).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// `aws-config`'s credentials chain as an object_store credential provider,
/// caching each credential until shortly before it expires.
#[derive(Debug)]
pub(crate) struct S3CredentialProvider {
    provider: Option<SharedCredentialsProvider>,
    cached: Mutex<Option<(Arc<AwsCredential>, Option<SystemTime>)>>,
}

impl S3CredentialProvider {
    pub(crate) fn new(provider: Option<SharedCredentialsProvider>) -> Self {
        Self {
            provider,
            cached: Mutex::new(None),
        }
    }

    fn fresh(&self) -> Option<Arc<AwsCredential>> {
        let cached = self.cached.lock().ok()?;
        let (credential, expiry) = cached.as_ref()?;
        let valid = expiry.is_none_or(|e| e > SystemTime::now() + EXPIRY_MARGIN);
        valid.then(|| Arc::clone(credential))
    }
}

#[async_trait]
impl object_store::CredentialProvider for S3CredentialProvider {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        if let Some(credential) = self.fresh() {
            return Ok(credential);
        }
        let wrap = |e: Error| object_store::Error::Generic {
            store: "S3",
            source: Box::new(e),
        };
        let provider = self
            .provider
            .as_ref()
            .ok_or_else(|| wrap(Error::NoCredentials { service: "S3" }))?;
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|e| wrap(credentials_error("S3", &e)))?;
        let credential = Arc::new(AwsCredential {
            key_id: credentials.access_key_id().to_string(),
            secret_key: credentials.secret_access_key().to_string(),
            token: credentials.session_token().map(str::to_string),
        });
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some((Arc::clone(&credential), credentials.expiry()));
        }
        Ok(credential)
    }
}
