//! Amazon S3 server access logs (S3 user guide, "Amazon S3 server access
//! log format"): one record a line, space-separated, the time in brackets,
//! quoted request line, referrer and user agent; plain files named
//! `<prefix>YYYY-mm-DD-HH-MM-SS-<unique>`. The last record is of the older,
//! shorter format that ends at the version id.

use std::path::Path;

use super::{at, plain};

const OWNER: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
const USER: &str = "arn:aws:iam::123456789123:user/user_name";

pub fn write(root: &Path) -> Vec<(String, String)> {
    let tail = "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2";
    // (file stamp, time, remote ip, requester, request id, operation, key,
    //  request line, status, error code, bytes sent, object size, rest)
    let records = [
        (
            "2017-02-18-07-15-43",
            "18/Feb/2017:07:10:00 +0000",
            "1.2.3.4",
            USER,
            "3E57427F3EXAMPLE1",
            "REST.PUT.OBJECT",
            "prefix/images/picture.jpg",
            "PUT /awsexamplebucket1/prefix/images/picture.jpg HTTP/1.1",
            "200",
            "-",
            "-",
            "2048",
            tail,
        ),
        (
            "2017-02-18-07-35-02",
            "18/Feb/2017:07:30:00 +0000",
            "1.2.3.4",
            USER,
            "3E57427F3EXAMPLE2",
            "REST.GET.OBJECT",
            "prefix/images/picture.jpg",
            "GET /awsexamplebucket1/prefix/images/picture.jpg HTTP/1.1",
            "200",
            "-",
            "2048",
            "2048",
            tail,
        ),
        (
            "2017-02-18-09-05-11",
            "18/Feb/2017:09:00:00 +0000",
            "198.51.100.3",
            "arn:aws:iam::123456789123:user/other",
            "3E57427F3EXAMPLE3",
            "REST.DELETE.OBJECT",
            "images/picture.jpg",
            "DELETE /awsexamplebucket1/images/picture.jpg HTTP/1.1",
            "204",
            "-",
            "-",
            "-",
            tail,
        ),
        (
            "2017-06-15-12-05-00",
            "15/Jun/2017:12:00:00 +0000",
            "1.2.3.4",
            USER,
            "3E57427F3EXAMPLE4",
            "REST.GET.OBJECT",
            "data/report.csv",
            "GET /awsexamplebucket1/data/report.csv HTTP/1.1",
            "200",
            "-",
            "500",
            "500",
            tail,
        ),
        (
            "2017-06-20-12-05-00",
            "20/Jun/2017:12:00:00 +0000",
            "1.2.3.4",
            "-",
            "3E57427F3EXAMPLE5",
            "REST.GET.OBJECT",
            "data/report.csv",
            "GET /awsexamplebucket1/data/report.csv HTTP/1.1",
            "403",
            "AccessDenied",
            "243",
            "-",
            tail,
        ),
        (
            "2017-07-01-00-05-00",
            "01/Jul/2017:00:00:01 +0000",
            "1.2.3.4",
            USER,
            "3E57427F3EXAMPLE6",
            "REST.GET.OBJECT",
            "data/report.csv",
            "GET /awsexamplebucket1/data/report.csv HTTP/1.1",
            "200",
            "-",
            "100",
            "100",
            "",
        ),
    ];
    for (
        stamp,
        time,
        ip,
        requester,
        id,
        operation,
        key,
        request,
        status,
        error,
        sent,
        size,
        rest,
    ) in records
    {
        let mut line = format!(
            "{OWNER} awsexamplebucket1 [{time}] {ip} {requester} {id} {operation} {key} \"{request}\" {status} {error} {sent} {size} 7 5 \"-\" \"S3Console/0.4\" -"
        );
        if !rest.is_empty() {
            line.push(' ');
            line.push_str(rest);
        }
        line.push('\n');
        plain(
            &root.join(format!("s3-access/logs/prefix/{stamp}-{id}")),
            &line,
        );
    }
    vec![(
        "s3://awsexamplebucket1-logs/prefix/".into(),
        at(root, "s3-access/logs/prefix/"),
    )]
}
