//! Scale-out on DataFusion Ballista: the same catalog, SQL and functions on
//! a cluster.
//!
//! lathe does not schedule anything itself. `lathe cluster scheduler` and
//! `lathe cluster executor` run Ballista's own scheduler and executor
//! processes, extended through Ballista's override hooks with lathe's pieces:
//! the session ([`crate::engine::session_state`]: settings, `lathe.*`
//! options, Athena's functions, object stores for local files and S3), and
//! the codecs of `codec` (our Glue table provider for the scheduler, which
//! re-plans scans and so resolves partitions itself; our JSON and text scans
//! for the executors). A client (`--cluster df://host:port`) plans with the
//! same session and hands each query to the scheduler through Ballista's
//! query planner.
//!
//! What a cluster needs to see: the catalog at the client's path (a local
//! catalog folder) or AWS Glue, on the scheduler; the data files at their
//! (mapped) locations, on every executor.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ballista_core::config::BALLISTA_ADAPTIVE_PLANNER_ENABLED;
use ballista_core::extension::{SessionConfigExt, SessionStateExt};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::context::SessionState;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::SessionConfig;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use tokio::net::TcpListener;

use crate::config::Config;
use crate::engine::{LatheOptions, runtime_env, session_config, session_state, with_functions};
use crate::error::{Error, Result};

mod codec;
mod failure;
mod planner;

pub(crate) use codec::{LatheLogicalCodec, LathePhysicalCodec};
pub(crate) use failure::failure_message;

/// Ballista's default scheduler port, when a URL names none.
const DEFAULT_PORT: u16 = 50050;

/// How long a client waits for the scheduler to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `df://host:port` as the gRPC endpoint `http://host:port`.
pub(crate) fn scheduler_endpoint(url: &str) -> Result<String> {
    let invalid = |reason: &str| Error::InvalidClusterUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let parsed = url::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    if parsed.scheme() != "df" {
        return Err(invalid("the scheme must be df://"));
    }
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| invalid("it names no host"))?;
    let port = parsed.port().unwrap_or(DEFAULT_PORT);
    Ok(format!("http://{host}:{port}"))
}

/// Turns a lathe session into a client of the scheduler at `url`: queries
/// are planned here and run on the cluster. Fails when the scheduler does
/// not answer.
pub(crate) async fn client_state(state: SessionState, url: &str) -> Result<SessionState> {
    let endpoint = scheduler_endpoint(url)?;
    let unreachable = |reason: String| Error::SchedulerUnreachable {
        url: url.to_string(),
        reason,
    };
    match tokio::time::timeout(
        CONNECT_TIMEOUT,
        SchedulerGrpcClient::connect(endpoint.clone()),
    )
    .await
    {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(unreachable(connect_reason(&e))),
        Err(_) => {
            return Err(unreachable(format!(
                "no answer within {} s",
                CONNECT_TIMEOUT.as_secs()
            )));
        }
    }
    let config = ballista_settings(state.config().clone());
    let state = SessionStateBuilder::new_from_existing(state)
        .with_config(config)
        .build()
        .upgrade_for_ballista(endpoint)?;
    let cluster = Arc::clone(state.query_planner());
    let state = SessionStateBuilder::new_from_existing(state)
        .with_query_planner(Arc::new(planner::ClusterPlanner::new(cluster)))
        .build();
    // Rebuilding puts DataFusion's functions back over ours (see `node_state`).
    Ok(with_functions(state))
}

/// The innermost cause of a failed connection, which names what happened
/// (connection refused, no such host) where tonic's outer layers do not.
fn connect_reason(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

/// `config` as every lathe process runs Ballista: with Ballista's settings,
/// lathe's codecs, and Ballista's static planner. Ballista 55's adaptive
/// planner does not recover from a lost executor
/// (apache/datafusion-ballista#1986): a query whose executor was killed
/// midway hung for good, where the static planner reruns the lost tasks on
/// the other executors and completes (`tests/cluster.rs`).
fn ballista_settings(config: SessionConfig) -> SessionConfig {
    config
        .upgrade_for_ballista()
        .set_bool(BALLISTA_ADAPTIVE_PLANNER_ENABLED, false)
        .with_ballista_logical_extension_codec(Arc::new(LatheLogicalCodec::default()))
        .with_ballista_physical_extension_codec(Arc::new(LathePhysicalCodec::default()))
}

/// The settings a scheduler or executor starts each session from (the
/// client's settings are applied over them): lathe's, with Ballista's.
fn node_config() -> SessionConfig {
    ballista_settings(session_config(&Config::default()))
}

/// The runtime of a scheduler or executor: lathe's object stores (local
/// files, S3 from AWS's standard sources), spilling to `temp_dir`.
fn node_runtime(temp_dir: Option<std::path::PathBuf>) -> Result<Arc<RuntimeEnv>> {
    let config = Config {
        temp_dir,
        ..Config::default()
    };
    runtime_env(&config, Arc::default())
}

/// A scheduler's or executor's session: lathe's, with Ballista's logical
/// optimizer rules. A session planned by another lathe version is refused.
fn node_state(config: SessionConfig, runtime: Arc<RuntimeEnv>) -> Result<SessionState> {
    if let Some(options) = config.options().extensions.get::<LatheOptions>()
        && options.version != env!("CARGO_PKG_VERSION")
    {
        return Err(Error::VersionMismatch {
            sender: "the client",
            theirs: options.version.clone(),
            receiver: "the scheduler",
            ours: env!("CARGO_PKG_VERSION").into(),
        });
    }
    let state = session_state(config, runtime);
    let state = SessionStateBuilder::new_from_existing(state)
        .with_optimizer_rules(ballista_core::optimizer::ballista_default_optimizer_rules())
        .build();
    // Rebuilding a state registers its functions again in hash order, so a
    // DataFusion function whose alias is one of Athena's names (`to_char`,
    // alias `date_format`) can come back over ours: register ours last.
    Ok(with_functions(state))
}

/// `config` with lathe's session, codecs and functions installed through
/// Ballista's override hooks.
pub fn scheduler_config(mut config: SchedulerConfig) -> Result<SchedulerConfig> {
    let runtime = node_runtime(None)?;
    config.override_config_producer = Some(Arc::new(node_config));
    config.override_session_builder = Some(Arc::new(move |session: SessionConfig| {
        node_state(session, Arc::clone(&runtime))
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))
    }));
    config.override_logical_codec = Some(Arc::new(LatheLogicalCodec::default()));
    config.override_physical_codec = Some(Arc::new(LathePhysicalCodec::default()));
    Ok(config)
}

/// Runs a Ballista scheduler with lathe's pieces on `listener` until it fails.
pub async fn serve_scheduler(listener: TcpListener, config: SchedulerConfig) -> Result<()> {
    let failed = |e: ballista_core::error::BallistaError| Error::Cluster {
        role: "scheduler",
        reason: e.to_string(),
    };
    let config = Arc::new(scheduler_config(config)?);
    config.validate().map_err(failed)?;
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(failed)?;
    let scheduler = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, config)
        .await
        .map_err(failed)?;
    start_grpc_service_with_listener(listener, scheduler)
        .await
        .map_err(failed)
}

/// Binds `address` and runs a Ballista scheduler with lathe's pieces there
/// until it fails.
pub async fn run_scheduler(address: SocketAddr, config: SchedulerConfig) -> Result<()> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|e| Error::Cluster {
            role: "scheduler",
            reason: format!("cannot listen on {address}: {e}"),
        })?;
    serve_scheduler(listener, config).await
}

/// `config` with lathe's session, codecs, functions and object stores
/// installed through Ballista's override hooks.
pub fn executor_config(mut config: ExecutorProcessConfig) -> Result<ExecutorProcessConfig> {
    let work_dir = config.work_dir.clone().map(std::path::PathBuf::from);
    // Validate the spill folder once, so a bad one fails at start-up.
    node_runtime(work_dir.clone())?;
    config.override_config_producer = Some(Arc::new(node_config));
    config.override_runtime_producer = Some(Arc::new(move |_: &SessionConfig| {
        node_runtime(work_dir.clone())
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))
    }));
    let functions = node_state(node_config(), node_runtime(None)?)?;
    config.override_function_registry = Some(Arc::new(BallistaFunctionRegistry::from(&functions)));
    config.override_logical_codec = Some(Arc::new(LatheLogicalCodec::default()));
    config.override_physical_codec = Some(Arc::new(LathePhysicalCodec::default()));
    Ok(config)
}

/// Runs a Ballista executor with lathe's pieces until it stops.
pub async fn run_executor(config: ExecutorProcessConfig) -> Result<()> {
    let config = executor_config(config)?;
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| Error::Cluster {
            role: "executor",
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests;
