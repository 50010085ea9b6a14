//! lathe's S3 and Glue on a Ballista cluster of `lathe cluster` processes:
//! the scheduler resolves tables through Glue and lists S3, the executors
//! read S3, each with AWS settings from its own environment.

use libtest_mimic::Failed;

use crate::common::cluster::{SubprocessCluster, free_port};
use crate::{Env, QUERIES, S3Server, aws_lathe, check, expect_error, run, same_output, with_aws};

/// A cluster whose executors reach S3 at `executor_s3` (the scheduler
/// reaches s3s-fs and moto's Glue).
fn start(env: &Env, executor_s3: &str) -> SubprocessCluster {
    let s3s = env.s3(S3Server::S3s).to_string();
    let executor_s3 = executor_s3.to_string();
    let scheduler_done = std::cell::Cell::new(false);
    SubprocessCluster::start(
        |cmd| {
            // The scheduler starts first.
            let s3 = if scheduler_done.replace(true) {
                &executor_s3
            } else {
                &s3s
            };
            with_aws(cmd, env, s3);
        },
        &[],
        &[],
    )
}

/// Every named query over s3s-fs, with the catalog folder and with Glue,
/// prints on the cluster exactly what it prints locally.
pub(crate) fn named_queries(env: &Env) -> Result<(), Failed> {
    let s3s = env.s3(S3Server::S3s);
    let cluster = start(env, s3s);
    for catalog in ["catalog", "glue"] {
        for query in QUERIES {
            let out =
                run(aws_lathe(env, s3s, catalog).args(["--cluster", &cluster.url, "run", query]));
            same_output(
                &out,
                &env.local[query],
                &format!("{catalog} {query} on the cluster"),
            )?;
        }
    }
    Ok(())
}

/// Executors without a route to S3: the query fails in one sentence naming
/// S3's endpoint (and, for Parquet, the file), though the client and the
/// scheduler reach it.
pub(crate) fn executors_cannot_reach_s3(env: &Env) -> Result<(), Failed> {
    let closed = format!("http://127.0.0.1:{}", free_port());
    let cluster = start(env, &closed);
    let s3s = env.s3(S3Server::S3s);
    let reach = format!(
        "cannot reach S3 at {closed} (connection refused); check the network, AWS_REGION and \
         any AWS_ENDPOINT_URL setting"
    );
    let json = run(aws_lathe(env, s3s, "catalog").args([
        "--cluster",
        &cluster.url,
        "-c",
        "SELECT count(*) FROM web.clickstream WHERE datehour = '2024/05/04/18'",
    ]));
    expect_error(
        &json,
        &format!("the query failed on a cluster executor: {reach}"),
    )?;
    // Not count(*): the scheduler answers that from the footers it read.
    let parquet = run(aws_lathe(env, s3s, "catalog").args([
        "--cluster",
        &cluster.url,
        "-c",
        "SELECT category, count(*) FROM master.products GROUP BY 1",
    ]));
    expect_error(
        &parquet,
        &format!(
            "the query failed on a cluster executor: Failed to fetch metadata for file \
             master/products/part-00000.snappy.parquet: {reach}"
        ),
    )?;
    // The client itself reads S3 fine: the same query runs locally.
    let local =
        run(aws_lathe(env, s3s, "catalog").args(["-c", "SELECT count(*) FROM master.products"]));
    check(local.code == 0 && local.stdout.contains("120"), || {
        format!(
            "locally: exit {}: {}{}",
            local.code, local.stdout, local.stderr
        )
    })
}
