//! Services that log one JSON object a line, gzipped: AWS WAF (WAF
//! developer guide, "Log fields"), Route 53 Resolver query logs (Route 53
//! developer guide, "Values that appear in Resolver query logs"), AWS
//! Network Firewall flow logs ("Contents of a firewall log") and Amazon
//! GuardDuty findings exported to S3 ("Finding format"), each under its
//! documented S3 layout and with its keys spelled as the service writes them.

use std::path::Path;

use serde_json::{Value, json};

use super::{ACCOUNT, REGION, at, gzip};

fn lines(values: &[Value]) -> String {
    values.iter().map(|v| format!("{v}\n")).collect()
}

const WEB_ACL: &str = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/STMTest/1EXAMPLE-2ARN-3ARN-4ARN-123456EXAMPLE";
const RATE_RULE: &str = "RateLimit-100";
const SQLI_RULE: &str = "e9dd190d-7a43-4c06-bcea-409613d9506e";

/// One WAF record: (epoch ms, client ip, country, action, terminating rule,
/// its type, uri, extra headers, rule group list).
fn waf_record(
    ms: i64,
    (client, country): (&str, &str),
    (action, rule, rule_type): (&str, &str, &str),
    uri: &str,
    headers: &[(&str, &str)],
    rule_groups: Value,
) -> Value {
    let mut all = vec![json!({"name": "Host", "value": "www.example.com"})];
    all.extend(headers.iter().map(|(n, v)| json!({"name": n, "value": v})));
    let rate_based = if rule_type == "RATE_BASED" {
        json!([{"rateBasedRuleId": "arn:aws:wafv2:us-east-1:123456789012:regional/ipset/RateLimit-100/0aaa",
                "rateBasedRuleName": RATE_RULE, "limitKey": "IP", "maxRateAllowed": 100,
                "limitValue": client}])
    } else {
        json!([])
    };
    json!({
        "timestamp": ms, "formatVersion": 1, "webaclId": WEB_ACL,
        "terminatingRuleId": rule, "terminatingRuleType": rule_type, "action": action,
        "terminatingRuleMatchDetails": [], "httpSourceName": "ALB",
        "httpSourceId": "123456789012-app/my-alb/0123456789abcdef",
        "ruleGroupList": rule_groups, "rateBasedRuleList": rate_based,
        "nonTerminatingMatchingRules": [],
        "httpRequest": {"clientIp": client, "country": country, "headers": all, "uri": uri,
                        "args": "", "httpVersion": "HTTP/1.1", "httpMethod": "GET",
                        "requestId": format!("rid-{ms}")}
    })
}

/// AWS WAF: eight records of 2021, by day folder `yyyy/MM/dd/HH/mm/`.
pub fn waf(root: &Path) -> Vec<(String, String)> {
    let ie = ("53.21.198.66", "IE");
    let us = ("192.0.2.44", "US");
    let rate = ("BLOCK", RATE_RULE, "RATE_BASED");
    let sqli = ("BLOCK", SQLI_RULE, "REGULAR");
    let excluded = json!([{"ruleGroupId": "AWS#AWSManagedRulesCommonRuleSet",
        "terminatingRule": null, "nonTerminatingMatchingRules": [],
        "excludedRules": [{"exclusionType": "EXCLUDED_AS_COUNT", "ruleId": "SizeRestrictions_BODY"}]}]);
    let records = [
        (
            "2021/03/05/10/15",
            waf_record(
                1614939330771,
                ie,
                rate,
                "/login",
                &[("Referer", "https://www.amazon.com/")],
                json!([]),
            ),
        ),
        (
            "2021/03/05/10/15",
            waf_record(
                1614939370000,
                ie,
                rate,
                "/login",
                &[("X-Forwarded-For", "198.51.100.1")],
                json!([]),
            ),
        ),
        (
            "2021/03/05/10/20",
            waf_record(1614939660000, ie, rate, "/login", &[], json!([])),
        ),
        (
            "2021/03/07/09/00",
            waf_record(
                1615107600000,
                us,
                sqli,
                "/admin",
                &[("referer", "https://amazon.example/")],
                json!([]),
            ),
        ),
        (
            "2021/03/07/09/00",
            waf_record(1615107660000, us, sqli, "/admin", &[], json!([])),
        ),
        (
            "2021/03/12/12/00",
            waf_record(
                1615550400000,
                ("203.0.113.50", "DE"),
                ("ALLOW", "Default_Action", "REGULAR"),
                "/",
                &[("Referer", "https://www.example.com/")],
                excluded,
            ),
        ),
        (
            "2021/02/27/08/00",
            waf_record(1614412800000, ie, rate, "/login", &[], json!([])),
        ),
        (
            "2021/03/31/00/30",
            waf_record(1617150600000, ie, rate, "/login", &[], json!([])),
        ),
    ];
    let dir = format!("waf/AWSLogs/{ACCOUNT}/WAFLogs/{REGION}/STMTest");
    let mut files: std::collections::BTreeMap<&str, Vec<Value>> = Default::default();
    for (folder, record) in records {
        files.entry(folder).or_default().push(record);
    }
    for (folder, records) in files {
        let stamp = folder.replace('/', "");
        gzip(
            &root.join(format!(
                "{dir}/{folder}/{ACCOUNT}_waflogs_{REGION}_STMTest_{stamp}_a1b2c3d4.log.gz"
            )),
            &lines(&records),
        );
    }
    vec![
        (
            "s3://DOC-EXAMPLE-BUCKET/prefix/".into(),
            at(root, &format!("{dir}/")),
        ),
        ("s3://bucket/folder/".into(), at(root, &format!("{dir}/"))),
    ]
}

/// Route 53 Resolver query logs of one VPC on 2020-09-24.
pub fn route53(root: &Path) -> Vec<(String, String)> {
    let query =
        |time: &str, name: &str, kind: &str, rcode: &str, answers: Value, src: &str, ids: Value| {
            json!({"version": "1.100000", "account_id": ACCOUNT, "region": REGION,
               "vpc_id": "vpc-0abc1234", "query_timestamp": time, "query_name": name,
               "query_type": kind, "query_class": "IN", "rcode": rcode, "answers": answers,
               "srcaddr": src, "srcport": "53221", "transport": "UDP", "srcids": ids})
        };
    let a = |rdata: &str, kind: &str| json!({"Rdata": rdata, "Type": kind, "Class": "IN"});
    let instance = |id: &str| json!({"instance": id});
    let records = [
        query(
            "2020-09-24T00:05:12Z",
            "www.example.com.",
            "A",
            "NOERROR",
            json!([a("203.0.113.16", "A")]),
            "10.0.1.5",
            instance("i-0aaa1111bbbb2222c"),
        ),
        query(
            "2020-09-24T03:10:00Z",
            "api.example.com.",
            "AAAA",
            "NOERROR",
            json!([]),
            "10.0.1.6",
            instance("i-0ddd3333eeee4444f"),
        ),
        query(
            "2020-09-24T07:59:59Z",
            "mail.example.org.",
            "A",
            "NXDOMAIN",
            json!([]),
            "10.0.1.5",
            instance("i-0aaa1111bbbb2222c"),
        ),
        query(
            "2020-09-24T09:00:00Z",
            "cdn.example.com.",
            "A",
            "NOERROR",
            json!([
                a("d111111abcdef8.cloudfront.net.", "CNAME"),
                a("203.0.113.16", "A")
            ]),
            "10.0.2.7",
            json!({"resolver_endpoint": "rslvr-in-0123456789abcdef0"}),
        ),
        query(
            "2020-09-24T00:08:00Z",
            "aws.amazon.com.",
            "A",
            "NOERROR",
            json!([a("198.51.100.9", "A")]),
            "10.0.1.6",
            instance("i-0ddd3333eeee4444f"),
        ),
    ];
    let dir = format!("route53/AWSLogs/{ACCOUNT}/vpcdnsquerylogs/vpc-0abc1234/2020/09/24");
    gzip(
        &root.join(format!(
            "{dir}/vpc-0abc1234_vpcdnsquerylogs_{ACCOUNT}_20200924T0000Z_9f8e7d6c.log.gz"
        )),
        &lines(&records),
    );
    vec![(
        "s3://your_log_bucket/AWSLogs/{account_id}/vpcdnsquerylogs/{vpc-id}/YYYY/MM/dd/".into(),
        at(root, &format!("{dir}/")),
    )]
}

/// Network Firewall flow logs: six netflow events of three flows. The flow
/// ends under the key `end`, which the documented table reads as `finish`.
pub fn network_firewall(root: &Path) -> Vec<(String, String)> {
    let event = |src: &str, sport: u16, dest: &str, dport: u16, proto: &str, flow: u64| {
        json!({"firewall_name": "test-firewall", "availability_zone": "us-east-1b",
               "event_timestamp": "1609495200",
               "event": {"timestamp": "2021-01-01T10:00:00.123456+0000", "flow_id": flow,
                         "event_type": "netflow", "src_ip": src, "src_port": sport,
                         "dest_ip": dest, "dest_port": dport, "proto": proto, "app_proto": "tls",
                         "netflow": {"pkts": 10, "bytes": 1500,
                                     "start": "2021-01-01T09:59:50.000000+0000",
                                     "end": "2021-01-01T10:00:00.000000+0000",
                                     "age": 10, "min_ttl": 64, "max_ttl": 64}}})
    };
    let records = [
        event("10.0.0.5", 40000, "52.1.2.3", 443, "TCP", 1001),
        event("10.0.0.7", 5353, "10.0.0.2", 53, "UDP", 1002),
        event("10.0.0.5", 40000, "52.1.2.3", 443, "TCP", 1003),
        event("10.0.0.6", 40001, "52.1.2.3", 443, "TCP", 1004),
        event("10.0.0.7", 5353, "10.0.0.2", 53, "UDP", 1005),
        event("10.0.0.5", 40000, "52.1.2.3", 443, "TCP", 1006),
    ];
    let dir =
        format!("anf/AWSLogs/{ACCOUNT}/network-firewall/flow/{REGION}/test-firewall/2021/01/01/10");
    gzip(
        &root.join(format!(
            "{dir}/{ACCOUNT}_network-firewall_flow_{REGION}_test-firewall_202101011000_5a6b7c8d.log.gz"
        )),
        &lines(&records),
    );
    vec![("s3://bucket_name/AWSLogs/".into(), at(root, "anf/AWSLogs/"))]
}

/// GuardDuty findings as exported to S3: one finding a line, its nested
/// `resource` and `service` objects with camel-case keys, and the times
/// under `createdAt` and `updatedAt`.
pub fn guardduty(root: &Path) -> Vec<(String, String)> {
    let finding = |id: &str,
                   kind: &str,
                   severity: u8,
                   region: &str,
                   resource: Value,
                   service: Value,
                   title: &str| {
        json!({"schemaVersion": "2.0", "accountId": ACCOUNT, "region": region,
               "partition": "aws", "id": id,
               "arn": format!("arn:aws:guardduty:{region}:{ACCOUNT}:detector/d1/finding/{id}"),
               "type": kind, "resource": resource, "service": service, "severity": severity,
               "createdAt": "2020-01-15T10:00:00.000Z", "updatedAt": "2020-01-15T12:00:00.000Z",
               "title": title, "description": title})
    };
    let instance = |id: &str| json!({"resourceType": "Instance", "instanceDetails": {"instanceId": id, "instanceType": "m5.large"}});
    let dns = |domain: &str, protocol: &str, blocked: bool, count: u32| {
        json!({"serviceName": "guardduty", "detectorId": "d1", "archived": false, "count": count,
               "action": {"actionType": "DNS_REQUEST",
                          "dnsRequestAction": {"domain": domain, "protocol": protocol, "blocked": blocked}}})
    };
    let user = |name: &str| json!({"resourceType": "AccessKey", "accessKeyDetails": {"accessKeyId": "AKIAIOSFODNN7EXAMPLE", "principalId": "AIDAEXAMPLE", "userName": name, "userType": "IAMUser"}});
    let api = |call: &str, count: u32| {
        json!({"serviceName": "guardduty", "detectorId": "d1", "archived": false, "count": count,
               "action": {"actionType": "AWS_API_CALL", "awsApiCallAction": {"api": call, "serviceName": "iam.amazonaws.com"}}})
    };
    let findings = [
        finding(
            "f1",
            "Trojan:EC2/DNSDataExfiltration",
            8,
            REGION,
            instance("i-99999999"),
            dns("data.exfil.example.com", "UDP", false, 5),
            "Data exfiltration through DNS queries from EC2 instance i-99999999.",
        ),
        finding(
            "f2",
            "Trojan:EC2/DNSDataExfiltration",
            5,
            REGION,
            instance("i-88888888"),
            dns("x.example.net", "TCP", true, 1),
            "Data exfiltration through DNS queries from EC2 instance i-88888888.",
        ),
        finding(
            "f3",
            "UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B",
            5,
            REGION,
            user("alice"),
            api("ConsoleLogin", 2),
            "Unusual console login by alice.",
        ),
        finding(
            "f4",
            "UnauthorizedAccess:IAMUser/MaliciousIPCaller",
            2,
            "us-west-2",
            user("bob"),
            api("ListBuckets", 1),
            "API ListBuckets was invoked from a known malicious IP.",
        ),
        finding(
            "f5",
            "Recon:EC2/PortProbeUnprotectedPort",
            2,
            REGION,
            instance("i-77777777"),
            json!({"serviceName": "guardduty", "count": 9}),
            "Unprotected port on EC2 instance i-77777777 is being probed.",
        ),
    ];
    let dir = format!("guardduty/AWSLogs/{ACCOUNT}/GuardDuty/{REGION}/2020/01/15");
    gzip(
        &root.join(format!(
            "{dir}/6a2b3c4d-1111-2222-3333-444455556666.jsonl.gz"
        )),
        &lines(&findings),
    );
    vec![(
        "s3://findings-bucket-name/AWSLogs/account-id/GuardDuty/".into(),
        at(root, &format!("guardduty/AWSLogs/{ACCOUNT}/GuardDuty/")),
    )]
}
