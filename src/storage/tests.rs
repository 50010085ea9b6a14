//! Unit tests of `storage`.

use super::*;

fn map() -> LocationMap {
    let base = Path::new("/work/repo");
    LocationMap::new(vec![
        LocationMapping::parse("s3://acme-raw/=sample/raw/", base).unwrap(),
        LocationMapping::parse("s3://acme-raw/firehose/special/=/mnt/special", base).unwrap(),
        LocationMapping::parse("s3://prod/=s3://mirror/copy/", base).unwrap(),
    ])
}

#[test]
fn longest_prefix_wins() {
    let map = map();
    assert_eq!(
        map.apply("s3://acme-raw/firehose/clickstream/"),
        "/work/repo/sample/raw/firehose/clickstream/"
    );
    assert_eq!(
        map.apply("s3://acme-raw/firehose/special/x/"),
        "/mnt/special/x/"
    );
    assert_eq!(map.apply("s3://prod/t/"), "s3://mirror/copy/t/");
    assert_eq!(map.apply("s3://acme-raw"), "/work/repo/sample/raw/");
    assert_eq!(map.apply("s3://other/t/"), "s3://other/t/");
}

#[test]
fn many_locations_resolve_as_each_does() {
    let map = map();
    let locations: Vec<String> = [
        "s3://acme-raw/firehose/clickstream/2024/05/04/18/",
        "s3://acme-raw/firehose/clickstream/2024/05/04/19/",
        "s3://acme-raw/firehose/clickstream/region=eu/x.y_z-1/",
        "s3://acme-raw/firehose/clickstream/a b/%41/",
        "s3://acme-raw/firehose/clickstream/../special/q/",
        "s3://acme-raw/firehose/clickstream/",
    ]
    .map(String::from)
    .into();
    let each: Vec<_> = locations
        .iter()
        .map(|l| resolve(l, &map).unwrap())
        .collect();
    assert_eq!(resolve_all(&locations, &map).unwrap(), each);
    assert_eq!(
        shared_folder(&locations),
        "s3://acme-raw/firehose/clickstream/"
    );
    // A rule under the shared folder: each location on its own.
    let locations: Vec<String> = [
        "s3://acme-raw/firehose/special/a/",
        "s3://acme-raw/firehose/x/",
    ]
    .map(String::from)
    .into();
    let each: Vec<_> = locations
        .iter()
        .map(|l| resolve(l, &map).unwrap())
        .collect();
    assert_eq!(resolve_all(&locations, &map).unwrap(), each);
    assert!(resolve_all(&["hdfs://other/t/".to_string()], &map).is_err());
}

#[test]
fn bad_rules_are_refused() {
    let err = LocationMapping::parse("s3://x/", Path::new("/")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "location map \"s3://x/\": expected FROM=TO, e.g. s3://bucket/prefix/=local/dir/"
    );
    assert!(LocationMapping::parse("=dir", Path::new("/")).is_err());
}

#[test]
fn resolves_local_and_s3_locations() {
    let r = resolve("file:///data/t/", &LocationMap::default()).unwrap();
    assert_eq!(r.prefix.as_ref(), "data/t");
    assert_eq!(r.store.as_str(), "file:///");
    let r = resolve("s3://acme-raw/firehose/x/", &map()).unwrap();
    assert_eq!(r.prefix.as_ref(), "work/repo/sample/raw/firehose/x");
    // Unmapped S3 is read from S3; S3 mapped to S3 goes to the mirror bucket.
    let r = resolve("s3://other/t/dt=2024%3A01/", &map()).unwrap();
    assert_eq!(r.store.as_str(), "s3://other/");
    assert_eq!(r.prefix.as_ref(), "t/dt=2024%3A01");
    assert_eq!(r.display, "s3://other/t/dt=2024%3A01/");
    assert_eq!(r.local_dir, None);
    let r = resolve("s3://prod/t/x", &map()).unwrap();
    assert_eq!(r.store.as_str(), "s3://mirror/");
    assert_eq!(r.prefix.as_ref(), "copy/t/x");
    let r = resolve("s3a://bucket", &map()).unwrap();
    assert_eq!((r.store.as_str(), r.prefix.as_ref()), ("s3://bucket/", ""));
    let err = resolve("s3:///t/", &map()).unwrap_err().to_string();
    assert_eq!(
        err,
        "s3:///t/: an S3 location needs a bucket: s3://bucket/prefix/"
    );
    let err = resolve("hdfs://nn/t/", &map()).unwrap_err().to_string();
    assert!(err.contains("the hdfs:// scheme is not supported"), "{err}");
}
