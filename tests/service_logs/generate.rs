//! Deterministic AWS service logs, in each service's documented format and
//! S3 layout, for `tests/slt/service_logs_*.slt`: the documented DDLs run
//! verbatim over them (their placeholder buckets mapped here by
//! [`location_map`]), and the expected answers follow from the rows written
//! below by construction.

use std::io::Write;
use std::path::Path;

/// The account and region the generated S3 keys use.
pub const ACCOUNT: &str = "123456789012";

/// Writes every service's logs under `root`.
pub fn write(root: &Path) {
    alb(root);
    cloudfront(root);
    vpc_flow(root);
}

/// The documented LOCATIONs (placeholders and all), mapped onto `root`.
pub fn location_map(root: &Path) -> Vec<(String, String)> {
    let at = |sub: &str| format!("{}/{sub}", root.display());
    vec![
        (
            "s3://your-alb-logs-directory/AWSLogs/<ACCOUNT-ID>/elasticloadbalancing/region".into(),
            at(&format!(
                "alb/AWSLogs/{ACCOUNT}/elasticloadbalancing/us-east-1"
            )),
        ),
        ("s3://CloudFront_bucket_name/".into(), at("cloudfront/")),
        (
            "s3://your_log_bucket/prefix/AWSLogs/{subscribe_account_id}/vpcflowlogs/{region_code}"
                .into(),
            at(&format!("vpc/AWSLogs/{ACCOUNT}/vpcflowlogs/us-east-1")),
        ),
        (
            "s3://your_log_bucket/prefix/AWSLogs/{account_id}/vpcflowlogs/{region_code}".into(),
            at(&format!("vpc/AWSLogs/{ACCOUNT}/vpcflowlogs/us-east-1")),
        ),
    ]
    .collect()
}

fn gzip(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap();
}

/// Application Load Balancer access logs: one gzipped file per 5 minutes
/// under `AWSLogs/<account>/elasticloadbalancing/<region>/yyyy/mm/dd/`, one
/// space-separated entry a line (ELB's "Access log entries").
fn alb(root: &Path) {
    const SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/11.1 Safari/605.1.15";
    const CURL: &str = "curl/7.46.0";
    // (time, client ip, verb, url, user agent, received bytes)
    let entries = [
        (
            "2018-05-30T12:30:00.186641Z",
            "192.168.131.39",
            "GET",
            "http://www.example.com:80/index.html",
            SAFARI,
            34,
        ),
        (
            "2018-05-30T13:00:00.000000Z",
            "192.168.131.39",
            "GET",
            "http://www.example.com:80/api",
            CURL,
            50,
        ),
        (
            "2018-05-30T23:59:59.000000Z",
            "10.0.0.5",
            "POST",
            "https://www.example.com:443/login",
            SAFARI,
            200,
        ),
        (
            "2018-05-31T01:00:00.000000Z",
            "10.0.0.5",
            "GET",
            "http://www.example.com:80/health",
            CURL,
            7,
        ),
    ];
    let mut by_day: std::collections::BTreeMap<&str, String> = Default::default();
    for (time, client, verb, url, agent, received) in entries {
        let https = url.starts_with("https");
        let (cipher, protocol) = if https {
            ("ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2")
        } else {
            ("-", "-")
        };
        let kind = if https { "https" } else { "http" };
        let line = format!(
            "{kind} {time} app/my-loadbalancer/50dc6c495c0c9188 {client}:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 {received} 366 \"{verb} {url} HTTP/1.1\" \"{agent}\" {cipher} {protocol} arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/my-targets/73e2d6bc24d8a067 \"Root=1-58337262-36d228ad5d99923122bbe354\" \"-\" \"-\" 0 {time} \"forward\" \"-\" \"-\" \"10.0.0.1:80\" \"200\" \"-\" \"-\"\n"
        );
        by_day.entry(&time[..10]).or_default().push_str(&line);
    }
    for (day, text) in by_day {
        let compact = day.replace('-', "");
        gzip(
            &root.join(format!(
                "alb/AWSLogs/{ACCOUNT}/elasticloadbalancing/us-east-1/{}/{ACCOUNT}_elasticloadbalancing_us-east-1_app.my-loadbalancer.50dc6c495c0c9188_{compact}T2355Z_10.0.0.1_5m9btchz.log.gz",
                day.replace('-', "/")
            )),
            &text,
        );
    }
}

/// CloudFront standard logs: gzipped, tab-separated, two `#` header lines,
/// named `<distribution>.yyyy-mm-dd-hh.<id>.gz` under the log prefix.
fn cloudfront(root: &Path) {
    let header = "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end\n";
    // (date, bytes, status, uri); the 2018-06-09 entry is logged twice.
    let rows = [
        ("2018-06-08", 1000, 200, "/index.html"),
        ("2018-06-09", 2000, 200, "/a.png"),
        ("2018-06-09", 2000, 200, "/a.png"),
        ("2018-06-11", 300, 404, "/missing"),
        ("2018-06-12", 40000, 200, "/video.mp4"),
    ];
    let mut text = header.to_string();
    for (date, bytes, status, uri) in rows {
        let fields = [
            date,
            "01:42:39",
            "SEA19-C1",
            &bytes.to_string(),
            "192.0.2.100",
            "GET",
            "d111111abcdef8.cloudfront.net",
            uri,
            &status.to_string(),
            "-",
            "Mozilla/5.0%20(Windows%20NT%2010.0)",
            "-",
            "-",
            "Hit",
            "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
            "d111111abcdef8.cloudfront.net",
            "https",
            "23",
            "0.5",
            "-",
            "TLSv1.2",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "Hit",
            "HTTP/2.0",
            "-",
            "-",
            "11040",
            "0.25",
            "Hit",
            "text/html",
            "78",
            "-",
            "-",
        ];
        text.push_str(&fields.join("\t"));
        text.push('\n');
    }
    gzip(
        &root.join("cloudfront/CloudFront/E2EXAMPLE.2018-06-10-12.e84d6b1f.gz"),
        &text,
    );
}

/// VPC flow logs (default format, version 2): gzipped, space-separated with
/// a header line, under `AWSLogs/<account>/vpcflowlogs/<region>/yyyy/mm/dd/`.
fn vpc_flow(root: &Path) {
    let mut text = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n".to_string();
    for (src, dst, srcport, dstport, protocol, packets, bytes, action) in [
        (
            "172.31.16.139",
            "172.31.16.21",
            20641,
            22,
            6,
            20,
            4249,
            "ACCEPT",
        ),
        (
            "172.31.9.69",
            "172.31.9.12",
            49761,
            3389,
            6,
            20,
            4249,
            "REJECT",
        ),
        (
            "203.0.113.12",
            "172.31.16.139",
            39812,
            443,
            6,
            10,
            840,
            "ACCEPT",
        ),
        (
            "203.0.113.12",
            "172.31.16.139",
            39813,
            443,
            6,
            5,
            420,
            "ACCEPT",
        ),
        (
            "198.51.100.7",
            "172.31.16.21",
            51000,
            443,
            6,
            3,
            300,
            "ACCEPT",
        ),
        ("198.51.100.7", "172.31.9.12", 53, 53, 17, 1, 76, "REJECT"),
    ] {
        text.push_str(&format!(
            "2 {ACCOUNT} eni-1235b8ca {src} {dst} {srcport} {dstport} {protocol} {packets} {bytes} 1588550400 1588550460 {action} OK\n"
        ));
    }
    gzip(
        &root.join(format!(
            "vpc/AWSLogs/{ACCOUNT}/vpcflowlogs/us-east-1/2020/05/04/{ACCOUNT}_vpcflowlogs_us-east-1_fl-1234abcd_20200504T0000Z_fe123456.log.gz"
        )),
        &text,
    );
}
