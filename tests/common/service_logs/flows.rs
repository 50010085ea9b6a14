//! Flow logs: Amazon VPC flow logs (VPC user guide, "Flow log records") and
//! AWS Global Accelerator flow logs: space-separated fields under a header
//! line that names them, gzipped, under
//! `AWSLogs/<account>/<service>/<region>/yyyy/mm/dd/`.

use std::path::Path;

use super::{ACCOUNT, REGION, at, gzip};

/// VPC flow logs. 2020-05-04: the default format (version 2, 14 fields),
/// read by the guide's older DDLs. 2021: a custom format of the 28 fields
/// that the partition-projection DDL declares, in its order, in two
/// regions.
pub fn vpc(root: &Path) -> Vec<(String, String)> {
    let region_dir = |region: &str| format!("vpc/AWSLogs/{ACCOUNT}/vpcflowlogs/{region}");
    let mut text = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n".to_string();
    // (srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, action)
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
            "{}/2020/05/04/{ACCOUNT}_vpcflowlogs_{REGION}_fl-1234abcd_20200504T0000Z_fe123456.log.gz",
            region_dir(REGION)
        )),
        &text,
    );

    let header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path\n";
    // (region, day, srcaddr, dstaddr, srcport, dstport, protocol, packets, start, action)
    let custom = [
        (
            REGION,
            "2021/01/15",
            "10.117.1.22",
            "10.0.1.14",
            49152,
            443,
            6,
            10,
            1610704800,
            "ACCEPT",
        ),
        (
            REGION,
            "2021/02/03",
            "10.117.1.22",
            "10.0.1.20",
            49153,
            443,
            6,
            5,
            1612339200,
            "ACCEPT",
        ),
        (
            REGION,
            "2021/02/03",
            "10.0.2.9",
            "10.0.1.20",
            50001,
            22,
            6,
            2,
            1612339200,
            "REJECT",
        ),
        (
            "eu-west-1",
            "2021/02/10",
            "10.117.5.5",
            "10.0.1.30",
            50002,
            80,
            17,
            1,
            1612960200,
            "REJECT",
        ),
        (
            REGION,
            "2021/03/02",
            "198.51.100.7",
            "10.0.1.20",
            50003,
            443,
            6,
            7,
            1614664800,
            "ACCEPT",
        ),
        (
            REGION,
            "2021/03/02",
            "198.51.100.8",
            "10.0.1.14",
            50004,
            443,
            6,
            20,
            1614664800,
            "ACCEPT",
        ),
        (
            REGION,
            "2021/03/02",
            "10.117.1.22",
            "10.0.1.20",
            50005,
            443,
            6,
            3,
            1614664800,
            "ACCEPT",
        ),
        (
            REGION,
            "2021/04/05",
            "10.0.3.3",
            "10.0.1.14",
            50006,
            8080,
            6,
            4,
            1617616800,
            "ACCEPT",
        ),
    ];
    let mut files: std::collections::BTreeMap<(&str, &str), String> = Default::default();
    for (region, day, src, dst, srcport, dstport, protocol, packets, start, action) in custom {
        let end = start + 60;
        let bytes = packets * 100;
        files
            .entry((region, day))
            .or_insert_with(|| header.to_string())
            .push_str(&format!(
                "5 {ACCOUNT} eni-0a1b2c3d {src} {dst} {srcport} {dstport} {protocol} {packets} {bytes} {start} {end} {action} OK vpc-0abc1234 subnet-0def5678 i-0123456789abcdef0 2 IPv4 {src} {dst} use1-az1 - - - - ingress -\n"
            ));
    }
    for ((region, day), text) in files {
        let compact = day.replace('/', "");
        gzip(
            &root.join(format!(
                "{}/{day}/{ACCOUNT}_vpcflowlogs_{region}_fl-5678efgh_{compact}T0000Z_ab12cd34.log.gz",
                region_dir(region)
            )),
            &text,
        );
    }
    let accounts = at(root, &format!("vpc/AWSLogs/{ACCOUNT}/vpcflowlogs/"));
    vec![
        (
            "s3://your_log_bucket/prefix/AWSLogs/{subscribe_account_id}/vpcflowlogs/{region_code}"
                .into(),
            at(root, &region_dir(REGION)),
        ),
        (
            "s3://your_log_bucket/prefix/AWSLogs/{account_id}/vpcflowlogs/{region_code}".into(),
            at(root, &region_dir(REGION)),
        ),
        (
            "s3://DOC-EXAMPLE-BUCKET/prefix/AWSLogs/{account_id}/vpcflowlogs/".into(),
            accounts,
        ),
    ]
}

/// Global Accelerator flow logs of 2020-06-15: the 22 fields the guide's DDL
/// declares, through `direction`.
pub fn global_accelerator(root: &Path) -> Vec<(String, String)> {
    let mut text = "version account-id accelerator-id client-ip client-port gip gip-port endpoint-ip endpoint-port protocol ip-address-type packets bytes start-time end-time action log-status globalaccelerator-source-ip globalaccelerator-source-port endpoint-region globalaccelerator-region direction\n".to_string();
    // (client ip, endpoint ip, endpoint port, protocol, packets, edge location)
    for (client, endpoint, port, protocol, packets, edge) in [
        ("198.51.100.1", "10.0.1.10", 443, "TCP", 10, "LHR52"),
        ("198.51.100.2", "10.0.1.11", 443, "TCP", 4, "LHR52"),
        ("203.0.113.5", "10.0.1.10", 443, "TCP", 6, "IAD89"),
        ("203.0.113.6", "10.0.1.12", 80, "UDP", 50, "LHR61"),
    ] {
        let bytes = packets * 100;
        text.push_str(&format!(
            "1.0 {ACCOUNT} 1234abcd-abcd-1234-abcd-1234abcdefgh {client} 52000 192.0.2.250 {port} {endpoint} {port} {protocol} IPV4 {packets} {bytes} 1592215200 1592215260 ACCEPT OK 52.94.0.1 12345 {REGION} {edge} INGRESS\n"
        ));
    }
    let dir = format!("aga/AWSLogs/{ACCOUNT}/globalaccelerator/{REGION}");
    gzip(
        &root.join(format!(
            "{dir}/2020/06/15/aws_globalaccelerator_1234abcd-abcd-1234-abcd-1234abcdefgh_20200615T1000Z_ab12cd34.log.gz"
        )),
        &text,
    );
    vec![
        (
            "s3://your_log_bucket/prefix/AWSLogs/account_id/globalaccelerator/region/".into(),
            at(root, &format!("{dir}/")),
        ),
        (
            "s3://your_log_bucket/prefix/AWSLogs/account_id/globalaccelerator/region_code/".into(),
            at(root, &format!("{dir}/")),
        ),
    ]
}
