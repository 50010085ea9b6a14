//! Elastic Load Balancing access logs (ELB user guides, "Access log
//! entries"): one entry a line, space-separated, quoted where a field may
//! hold spaces; gzipped (ALB, NLB) or plain (Classic) files under
//! `AWSLogs/<account>/elasticloadbalancing/<region>/yyyy/mm/dd/`.

use std::collections::BTreeMap;
use std::path::Path;

use super::{ACCOUNT, REGION, at, gzip, plain};

const SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/11.1 Safari/605.1.15";
const CURL: &str = "curl/7.46.0";

/// One ALB request: (time, client ip, verb, url, user agent, received
/// bytes, elb status, target status, target and response processing time).
type AlbEntry = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u32,
    u16,
    &'static str,
    &'static str,
);

/// Application Load Balancer: four 2018 entries (the older guide's queries
/// look at 2018-05-30) and two of 2022-02-12 (the partition-projection
/// table's range starts 2022/01/01), one of them a 502 that no target
/// answered.
pub fn alb(root: &Path) -> Vec<(String, String)> {
    let entries: [AlbEntry; 6] = [
        (
            "2018-05-30T12:30:00.186641Z",
            "192.168.131.39",
            "GET",
            "http://www.example.com:80/index.html",
            SAFARI,
            34,
            200,
            "200",
            "0.001 0.000",
        ),
        (
            "2018-05-30T13:00:00.000000Z",
            "192.168.131.39",
            "GET",
            "http://www.example.com:80/api",
            CURL,
            50,
            200,
            "200",
            "0.001 0.000",
        ),
        (
            "2018-05-30T23:59:59.000000Z",
            "10.0.0.5",
            "POST",
            "https://www.example.com:443/login",
            SAFARI,
            200,
            200,
            "200",
            "0.001 0.000",
        ),
        (
            "2018-05-31T01:00:00.000000Z",
            "10.0.0.5",
            "GET",
            "http://www.example.com:80/health",
            CURL,
            7,
            200,
            "200",
            "0.001 0.000",
        ),
        (
            "2022-02-12T08:15:00.123456Z",
            "203.0.113.9",
            "GET",
            "http://www.example.com:80/checkout",
            SAFARI,
            120,
            502,
            "-",
            "-1 -1",
        ),
        (
            "2022-02-12T09:00:00.000000Z",
            "203.0.113.9",
            "GET",
            "http://www.example.com:80/index.html",
            CURL,
            60,
            200,
            "200",
            "0.002 0.000",
        ),
    ];
    let mut by_day: BTreeMap<&str, String> = BTreeMap::new();
    for (time, client, verb, url, agent, received, status, target_status, times) in entries {
        let https = url.starts_with("https");
        let (kind, cipher, protocol) = if https {
            ("https", "ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2")
        } else {
            ("http", "-", "-")
        };
        let line = format!(
            "{kind} {time} app/my-loadbalancer/50dc6c495c0c9188 {client}:2817 10.0.0.1:80 0.000 {times} {status} {target_status} {received} 366 \"{verb} {url} HTTP/1.1\" \"{agent}\" {cipher} {protocol} arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/my-targets/73e2d6bc24d8a067 \"Root=1-58337262-36d228ad5d99923122bbe354\" \"-\" \"-\" 0 {time} \"forward\" \"-\" \"-\" \"10.0.0.1:80\" \"{target_status}\" \"-\" \"-\" TID_1234abcd5678ef90\n"
        );
        by_day.entry(&time[..10]).or_default().push_str(&line);
    }
    let prefix = format!("alb/AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}");
    for (day, text) in by_day {
        let compact = day.replace('-', "");
        gzip(
            &root.join(format!(
                "{prefix}/{}/{ACCOUNT}_elasticloadbalancing_{REGION}_app.my-loadbalancer.50dc6c495c0c9188_{compact}T2355Z_10.0.0.1_5m9btchz.log.gz",
                day.replace('-', "/")
            )),
            &text,
        );
    }
    vec![
        (
            "s3://your-alb-logs-directory/AWSLogs/<ACCOUNT-ID>/elasticloadbalancing/region".into(),
            at(root, &prefix),
        ),
        (
            "s3://amzn-s3-demo-bucket/AWSLogs/<ACCOUNT-NUMBER>/elasticloadbalancing/<REGION>/"
                .into(),
            at(root, &format!("{prefix}/")),
        ),
    ]
}

/// Classic Load Balancer: plain-text files; the last entry is one the load
/// balancer could not send to any back end (`-` for it, `-1` for its times).
pub fn clb(root: &Path) -> Vec<(String, String)> {
    let lines = [
        "2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 \"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.38.0\" - -",
        "2015-05-13T23:40:01.000000Z my-loadbalancer 192.168.131.39:2818 10.0.0.2:80 0.000086 0.001 0.001337 200 404 0 57 \"GET http://www.example.com:80/missing HTTP/1.1\" \"curl/7.38.0\" - -",
        "2015-05-13T23:41:12.000000Z my-loadbalancer 10.0.0.5:3321 10.0.0.2:80 0.000090 0.002 0.000050 503 503 0 0 \"POST https://www.example.com:443/api HTTP/1.1\" \"Mozilla/5.0 (X11; Linux x86_64)\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2",
        "2015-05-14T00:05:00.000000Z my-loadbalancer 10.0.0.5:3322 10.0.0.1:80 0.000050 0.003 0.000040 200 200 12 100 \"GET http://www.example.com:80/ok HTTP/1.1\" \"curl/7.38.0\" - -",
        "2015-05-14T00:06:00.000000Z my-loadbalancer 10.0.0.5:3323 - -1 -1 -1 504 - 0 0 \"GET http://www.example.com:80/slow HTTP/1.1\" \"curl/7.38.0\" - -",
    ];
    let prefix = format!("clb/AWSLogs/{ACCOUNT}/elasticloadbalancing");
    for (day, stamp, range) in [
        ("2015/05/13", "20150513T2340Z", 0..3),
        ("2015/05/14", "20150514T0010Z", 3..5),
    ] {
        let mut text = lines[range].join("\n");
        text.push('\n');
        plain(
            &root.join(format!(
                "{prefix}/{REGION}/{day}/{ACCOUNT}_elasticloadbalancing_{REGION}_my-loadbalancer_{stamp}_172.160.001.192_20sg8hgm.log"
            )),
            &text,
        );
    }
    vec![(
        "s3://your_log_bucket/prefix/AWSLogs/AWS_account_ID/elasticloadbalancing/".into(),
        at(root, &format!("{prefix}/")),
    )]
}

/// Network Load Balancer TLS logs: four entries of log version 1.0 (the
/// fields the documented regex knows) and one of version 2.0, whose three
/// extra ALPN fields the regex does not expect.
pub fn nlb(root: &Path) -> Vec<(String, String)> {
    let cert_a =
        format!("arn:aws:acm:{REGION}:{ACCOUNT}:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99");
    let cert_b =
        format!("arn:aws:acm:{REGION}:{ACCOUNT}:certificate/b1c2d3e4-0000-4000-8000-123456789abc");
    // (client, handshake ms, cipher, protocol, certificate)
    let entries = [
        (
            "72.21.218.154:51341",
            2,
            "ECDHE-RSA-AES128-SHA",
            "tlsv12",
            &cert_a,
        ),
        (
            "72.21.218.154:51342",
            15,
            "ECDHE-RSA-AES128-SHA",
            "tlsv1",
            &cert_a,
        ),
        ("198.51.100.20:40000", 7, "AES128-SHA", "tlsv11", &cert_b),
        (
            "198.51.100.20:40001",
            3,
            "ECDHE-RSA-AES128-GCM-SHA256",
            "tlsv12",
            &cert_b,
        ),
    ];
    let mut text = String::new();
    for (client, handshake, cipher, protocol, cert) in entries {
        text.push_str(&format!(
            "tls 1.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd {client} 172.100.100.185:443 5 {handshake} 98 246 - {cert} - {cipher} {protocol} - my-network-loadbalancer-c6e77e28c25b2234.elb.{REGION}.amazonaws.com\n"
        ));
    }
    text.push_str(&format!(
        "tls 2.0 2018-12-20T03:00:01 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 203.0.113.7:50000 172.100.100.185:443 4 9 98 246 - {cert_a} - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.{REGION}.amazonaws.com h2 h2 \"h2\",\"http/1.1\"\n"
    ));
    let prefix = format!("nlb/AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}");
    gzip(
        &root.join(format!(
            "{prefix}/2018/12/20/{ACCOUNT}_elasticloadbalancing_{REGION}_net.my-network-loadbalancer.c6e77e28c25b2234_20181220T0300Z_5f3d9a1b.log.gz"
        )),
        &text,
    );
    vec![(
        "s3://your_log_bucket/prefix/AWSLogs/AWS_account_ID/elasticloadbalancing/region".into(),
        at(root, &prefix),
    )]
}
