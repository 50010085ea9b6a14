//! AWS CloudTrail log files (CloudTrail user guide, "CloudTrail record
//! contents" and "Finding your CloudTrail log files"): one gzipped JSON
//! document per file, `{"Records":[...]}`, named
//! `<account>_CloudTrail_<region>_<yyyyMMddTHHmmZ>_<unique>.json.gz` under
//! `AWSLogs/<account>/CloudTrail/<region>/yyyy/MM/dd/`, and beside them the
//! digest files under `CloudTrail-Digest/` (JSON without `Records`).
//!
//! Events are written as text, keys in CloudTrail's order and case, so that
//! the JSON text of `additionalEventData` and kin is known exactly.

use std::path::Path;

use super::{ACCOUNT, REGION, at, gzip};

/// An IAM user's identity.
fn user(name: &str) -> String {
    format!(
        r#"{{"type":"IAMUser","principalId":"AIDAEXAMPLE{}","arn":"arn:aws:iam::{ACCOUNT}:user/{name}","accountId":"{ACCOUNT}","accessKeyId":"AKIAEXAMPLE","userName":"{name}"}}"#,
        name.to_uppercase()
    )
}

/// An assumed role's identity, with its session context.
fn role(session: &str, created: &str) -> String {
    format!(
        r#"{{"type":"AssumedRole","principalId":"AROAEXAMPLE:{session}","arn":"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/{session}","accountId":"{ACCOUNT}","accessKeyId":"ASIAEXAMPLE","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::{ACCOUNT}:role/Admin","accountId":"{ACCOUNT}","userName":"Admin"}},"attributes":{{"creationDate":"{created}","mfaAuthenticated":"false"}}}}}}"#
    )
}

/// One event (its source and name as a pair); `extra` holds the event's own
/// keys (after `userAgent`).
fn event(
    n: u32,
    identity: &str,
    time: &str,
    (source, name): (&str, &str),
    ip: &str,
    agent: &str,
    extra: &str,
) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{identity},"eventTime":"{time}","eventSource":"{source}","eventName":"{name}","awsRegion":"{REGION}","sourceIPAddress":"{ip}","userAgent":"{agent}",{extra}"requestID":"REQ{n:04}","eventID":"e0000000-0000-4000-8000-00000000000{n}","readOnly":{},"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{ACCOUNT}","eventCategory":"Management"}}"#,
        matches!(name, "GetObject" | "GetCallerIdentity")
    )
}

pub fn write(root: &Path) -> Vec<(String, String)> {
    let login = |n, who: &str, time, result: &str| {
        event(
            n,
            &user(who),
            time,
            ("signin.amazonaws.com", "ConsoleLogin"),
            "203.0.113.10",
            "Mozilla/5.0",
            &format!(
                r#""requestParameters":null,"responseElements":{{"ConsoleLogin":"{result}"}},"additionalEventData":{{"LoginTo":"https://console.aws.amazon.com/","MobileVersion":"No","MFAUsed":"No"}},"#
            ),
        )
    };
    let bucket = |name: &str| {
        format!(
            r#"{{"accountId":"{ACCOUNT}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::{name}"}}"#
        )
    };
    let object = |key: &str| format!(r#"{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::{key}"}}"#);
    let days: [(&str, &str, Vec<String>); 4] = [
        (
            "2017/02/17",
            "1000",
            vec![
                login(1, "alice", "2017-02-17T10:00:00Z", "Success"),
                login(2, "bob", "2017-02-17T23:59:59Z", "Failure"),
            ],
        ),
        (
            "2017/02/18",
            "0005",
            vec![login(3, "carol", "2017-02-18T00:00:00Z", "Success")],
        ),
        (
            "2019/02/01",
            "1000",
            vec![
                event(
                    4,
                    r#"{"type":"AWSAccount","principalId":"","accountId":"anonymous"}"#,
                    "2019-02-01T09:00:00Z",
                    ("s3.amazonaws.com", "GetObject"),
                    "198.51.100.66",
                    "[curl/7.61.1]",
                    &format!(
                        r#""requestParameters":{{"bucketName":"DOC-EXAMPLE-BUCKET1","Host":"DOC-EXAMPLE-BUCKET1.s3.amazonaws.com","key":"public/index.html"}},"responseElements":null,"additionalEventData":{{"bytesTransferredOut":512}},"resources":[{},{}],"#,
                        object("DOC-EXAMPLE-BUCKET1/public/index.html"),
                        bucket("DOC-EXAMPLE-BUCKET1")
                    ),
                ),
                event(
                    5,
                    &user("dave"),
                    "2019-02-01T09:30:00Z",
                    ("s3.amazonaws.com", "DeleteBucket"),
                    "203.0.113.20",
                    "[S3Console/0.4]",
                    &format!(
                        r#""requestParameters":{{"bucketName":"doomed-bucket","Host":"s3.amazonaws.com"}},"responseElements":null,"resources":[{}],"#,
                        bucket("doomed-bucket")
                    ),
                ),
                event(
                    6,
                    &role("deploy", "2019-02-01T08:00:00Z"),
                    "2019-02-01T10:00:00Z",
                    ("s3.amazonaws.com", "PutObject"),
                    "10.0.0.8",
                    "[aws-cli/1.16.96]",
                    &format!(
                        r#""requestParameters":{{"bucketName":"example","key":"datafile.txt"}},"responseElements":null,"resources":[{},{}],"#,
                        object("example/datafile.txt"),
                        bucket("example")
                    ),
                ),
                event(
                    7,
                    &role("deploy", "2019-02-01T08:00:00Z"),
                    "2019-02-01T10:05:00Z",
                    ("sts.amazonaws.com", "GetCallerIdentity"),
                    "10.0.0.8",
                    "aws-cli/1.16.96",
                    r#""requestParameters":null,"responseElements":null,"#,
                ),
            ],
        ),
        (
            "2021/06/15",
            "1200",
            vec![
                event(
                    8,
                    &user("erin"),
                    "2021-06-15T12:00:00Z",
                    ("s3.amazonaws.com", "DeleteBucket"),
                    "203.0.113.21",
                    "[S3Console/0.4]",
                    &format!(
                        r#""requestParameters":{{"bucketName":"old-logs","Host":"s3.amazonaws.com"}},"responseElements":null,"resources":[{}],"#,
                        bucket("old-logs")
                    ),
                ),
                event(
                    9,
                    &role("report", "2021-06-15T11:00:00Z"),
                    "2021-06-15T12:30:00Z",
                    ("s3.amazonaws.com", "GetObject"),
                    "10.0.0.9",
                    "[aws-sdk-java/1.11.1030]",
                    &format!(
                        r#""requestParameters":{{"bucketName":"example","key":"datafile.txt"}},"responseElements":null,"resources":[{},{}],"#,
                        object("example/datafile.txt"),
                        bucket("example")
                    ),
                ),
            ],
        ),
    ];
    let base = format!("cloudtrail/AWSLogs/{ACCOUNT}");
    for (day, time, events) in days {
        let compact = day.replace('/', "");
        gzip(
            &root.join(format!(
                "{base}/CloudTrail/{REGION}/{day}/{ACCOUNT}_CloudTrail_{REGION}_{compact}T{time}Z_abcdEFGH1234ijkl.json.gz"
            )),
            &format!("{{\"Records\":[{}]}}", events.join(",")),
        );
        gzip(
            &root.join(format!(
                "{base}/CloudTrail-Digest/{REGION}/{day}/{ACCOUNT}_CloudTrail-Digest_{REGION}_trail_{REGION}_{compact}T{time}Z.json.gz"
            )),
            &format!(
                r#"{{"awsAccountId":"{ACCOUNT}","digestStartTime":"{}T00:00:00Z","logFiles":[]}}"#,
                day.replace('/', "-")
            ),
        );
    }
    let trails = at(root, &format!("{base}/CloudTrail/{REGION}"));
    vec![
        (
            "s3://cloudtrail_bucket_name/AWSLogs/Account_ID/".into(),
            at(root, &format!("{base}/")),
        ),
        (
            "s3://amzn-s3-demo-bucket/AWSLogs/Account_ID/".into(),
            at(root, &format!("{base}/")),
        ),
        (
            "s3://amzn-s3-demo-bucket/AWSLogs/account-id/CloudTrail/aws-region".into(),
            trails,
        ),
    ]
}
