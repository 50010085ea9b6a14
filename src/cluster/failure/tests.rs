//! Texts as Ballista 55's client returned them from a loopback cluster.

use super::*;

#[test]
fn a_session_refused_for_its_version_is_lathes_sentence() {
    let text = r#"Status { code: Internal, message: "Failed to create SessionContext: DataFusionError(External(lathe::Error(\"the client runs lathe 0.0.1-other, but the scheduler runs lathe 0.1.0; run the same lathe build on the client, the scheduler and every executor\")))", metadata: MetadataMap { headers: {"content-type": "application/grpc", "date": "Thu, 26 Nov 2026 03:33:11 GMT", "x-powered-by": "datafusion/55.2.0", "server": "ballista/55.0.0"} }, source: None }"#;
    assert_eq!(
        failure_message(text).unwrap(),
        "the client runs lathe 0.0.1-other, but the scheduler runs lathe 0.1.0; run the same \
         lathe build on the client, the scheduler and every executor"
    );
}

#[test]
fn an_executor_that_cannot_reach_s3_is_named_with_lathes_sentence() {
    // A JSON scan: the object store's error is lathe's own.
    let json = r#"Job 038GNZFQD8000 failed: Job failed due to stage 0 failed: Task failed due to runtime execution error: DataFusionError(Shared(External(DataFusionError(ObjectStore(Generic { store: "S3", source: lathe::Error("cannot reach S3 at http://127.0.0.1:1 (connection refused); check the network, AWS_REGION and any AWS_ENDPOINT_URL setting") })))))"#;
    assert_eq!(
        failure_message(json).unwrap(),
        "the query failed on a cluster executor: cannot reach S3 at http://127.0.0.1:1 \
         (connection refused); check the network, AWS_REGION and any AWS_ENDPOINT_URL setting"
    );
    // A Parquet scan: the Parquet reader kept only the text, with its file.
    let parquet = r#"Job 038GNX9CGT000 failed: Job failed due to stage 0 failed: Task failed due to runtime execution error: DataFusionError(Shared(ParquetError(General("Failed to fetch metadata for file master/products/part-00000.snappy.parquet: Object Store error: Generic S3 error: cannot reach S3 at http://127.0.0.1:1 (connection refused); check the network, AWS_REGION and any AWS_ENDPOINT_URL setting"))))"#;
    assert_eq!(
        failure_message(parquet).unwrap(),
        "the query failed on a cluster executor: Failed to fetch metadata for file \
         master/products/part-00000.snappy.parquet: cannot reach S3 at http://127.0.0.1:1 \
         (connection refused); check the network, AWS_REGION and any AWS_ENDPOINT_URL setting"
    );
}

#[test]
fn a_scheduler_that_is_gone_is_unreachable() {
    let text = r#"Status { code: Unavailable, message: "tcp connect error", source: Some(tonic::transport::Error(Transport, ConnectError(ConnectError("tcp connect error", 127.0.0.1:51150, Os { code: 111, kind: ConnectionRefused, message: "Connection refused" })))) }"#;
    assert_eq!(
        failure_message(text).unwrap(),
        "cannot reach the Ballista scheduler at df://127.0.0.1:51150 (Connection refused); \
         start one with `lathe cluster scheduler` or check --cluster"
    );
    let bare = r#"tonic::transport::Error(Transport, ConnectError(ConnectError("tcp connect error", 127.0.0.1:51150, Os { code: 111, kind: ConnectionRefused, message: "Connection refused" })))"#;
    assert_eq!(failure_message(bare), failure_message(text));
}

#[test]
fn results_on_an_executor_that_is_gone() {
    let text = r#"External error: Grpc connection error: Error connecting to Ballista scheduler or executor at http://127.0.0.1:51162: tonic::transport::Error(Transport, ConnectError(ConnectError("tcp connect error", 127.0.0.1:51162, Os { code: 111, kind: ConnectionRefused, message: "Connection refused" })))"#;
    assert_eq!(
        failure_message(text).unwrap(),
        "the cluster ran the query, but its results cannot be fetched from the executor at \
         http://127.0.0.1:51162 (Connection refused); the executor has stopped, run the query \
         again"
    );
}

#[test]
fn other_errors_are_not_a_clusters() {
    assert_eq!(
        failure_message("Cannot cast string 'x' to value of Int64 type"),
        None
    );
    assert_eq!(failure_message("Job title is not a column"), None);
    // A DataFusion error on an executor: its innermost message.
    let text = r#"Job 0ABC failed: Job failed due to stage 2 failed: Task failed due to runtime execution error: DataFusionError(ArrowError(CastError("Cannot cast string 'x' to value of Int64 type"), None))"#;
    assert_eq!(
        failure_message(text).unwrap(),
        "the query failed on a cluster executor: Cannot cast string 'x' to value of Int64 type"
    );
}

#[test]
fn literals_unescape_as_debug_escaped_them() {
    let sentence = "a \"quoted\" name, a back\\slash,\ta tab and é";
    let once = format!("{sentence:?}");
    assert_eq!(literal(&once[1..]).unwrap(), sentence);
    let twice = format!("{:?}", format!("X(lathe::Error({once}))"));
    assert_eq!(ours(&twice).unwrap(), sentence);
}
