//! Deterministic AWS service logs for `tests/slt/service_logs_*.slt`: each
//! service's log files in its documented format and S3 layout, small, with
//! the documented DDLs' LOCATIONs (placeholders and all) mapped onto them.
//! The expected answers in the `.slt` files follow from the rows written
//! here (worked out by hand from these rows, never from lathe's output).

use std::io::Write;
use std::path::Path;

mod cloudfront;
mod cloudtrail;
mod elb;
mod flows;
mod json_logs;
mod s3_access;

/// The account and region the generated S3 keys use.
pub const ACCOUNT: &str = "123456789012";
/// The region of the generated logs.
pub const REGION: &str = "us-east-1";

/// Writes under `root` the logs that `tests/slt/<stem>.slt` reads, and
/// returns the documented LOCATION prefixes with the local folders they
/// stand for (as a user replaces the placeholders with their bucket).
pub fn setup(stem: &str, root: &Path) -> Vec<(String, String)> {
    let service = stem.strip_prefix("service_logs_").unwrap_or(stem);
    let root = root.to_path_buf();
    let write: fn(&Path) -> Vec<(String, String)> = match service {
        s if s.starts_with("alb") => elb::alb,
        s if s.starts_with("clb") => elb::clb,
        s if s.starts_with("nlb") => elb::nlb,
        s if s.starts_with("cloudfront") => cloudfront::write,
        s if s.starts_with("vpc") => flows::vpc,
        s if s.starts_with("global_accelerator") => flows::global_accelerator,
        s if s.starts_with("s3_access") => s3_access::write,
        s if s.starts_with("waf") => json_logs::waf,
        s if s.starts_with("route53") => json_logs::route53,
        s if s.starts_with("network_firewall") => json_logs::network_firewall,
        s if s.starts_with("guardduty") => json_logs::guardduty,
        s if s.starts_with("cloudtrail") => cloudtrail::write,
        other => panic!("no service logs for tests/slt/service_logs_{other}.slt"),
    };
    write(&root)
}

/// `root/sub` as text, for a location mapping.
fn at(root: &Path, sub: &str) -> String {
    format!("{}/{sub}", root.display())
}

/// Writes `text` gzipped, as the services deliver their logs.
fn gzip(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap();
}

/// Writes `text` as is.
fn plain(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}
