use super::*;

/// The replay of JSON commits' text.
fn replay_text(commits: &[&str]) -> Replay {
    let mut replay = Replay::default();
    for commit in commits {
        for line in commit.lines().filter(|l| !l.trim().is_empty()) {
            replay.apply(serde_json::from_str(line).unwrap());
        }
    }
    replay
}

const CREATE: &str = r#"{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["timestampNtz"],"writerFeatures":["timestampNtz"]}}
{"metaData":{"id":"a9","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},{\"name\":\"Tags\",\"type\":{\"type\":\"array\",\"elementType\":\"string\",\"containsNull\":true},\"nullable\":true,\"metadata\":{\"comment\":\"labels\"}},{\"name\":\"day\",\"type\":\"date\",\"nullable\":true,\"metadata\":{}},{\"name\":\"ts\",\"type\":\"timestamp_ntz\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":["day"],"createdTime":1,"configuration":{}}}
{"add":{"path":"day=2024-05-01/part-0.parquet","partitionValues":{"day":"2024-05-01"},"size":1059,"modificationTime":1796675112549,"dataChange":true}}
{"add":{"path":"day=__HIVE_DEFAULT_PARTITION__/part-1%20x.parquet","partitionValues":{"day":null},"size":10,"modificationTime":1,"dataChange":true}}
"#;

const DELETE: &str = r#"{"commitInfo":{"operation":"DELETE"}}
{"add":{"path":"day=2024-05-01/part-2.parquet","partitionValues":{"day":"2024-05-01"},"size":1088,"modificationTime":2,"dataChange":true}}
{"remove":{"path":"day=2024-05-01/part-0.parquet","dataChange":true}}
"#;

#[test]
fn a_remove_retires_the_file_an_earlier_add_made_live() {
    let replay = replay_text(&[CREATE, DELETE]);
    let live: Vec<&str> = replay.live.keys().map(String::as_str).collect();
    assert_eq!(
        live,
        [
            "day=2024-05-01/part-2.parquet",
            "day=__HIVE_DEFAULT_PARTITION__/part-1%20x.parquet"
        ]
    );
    assert_eq!(replay.protocol.unwrap().min_reader_version, 3);
}

#[test]
fn the_schema_comes_from_the_log_in_hive_types() {
    let replay = replay_text(&[CREATE]);
    let (data, keys) = columns(replay.metadata.as_ref().unwrap()).unwrap();
    let described: Vec<(&str, &str)> = data
        .iter()
        .map(|c| (c.name.as_str(), c.type_string.as_str()))
        .collect();
    assert_eq!(
        described,
        [
            ("id", "bigint"),
            ("tags", "array<string>"),
            ("ts", "timestamp")
        ]
    );
    assert_eq!(data[1].comment.as_deref(), Some("labels"));
    assert_eq!(
        (keys[0].name.as_str(), keys[0].type_string.as_str()),
        ("day", "date")
    );
}

#[test]
fn what_the_replay_does_not_read_is_refused_by_name() {
    let mut replay = replay_text(&[CREATE]);
    let metadata = replay.metadata.take().unwrap();
    let protocol = Protocol {
        min_reader_version: 3,
        reader_features: Some(vec!["v2Checkpoint".into()]),
    };
    assert_eq!(
        check_protocol(&protocol, &metadata).unwrap_err(),
        "uses the Delta reader feature v2Checkpoint, which lathe does not read yet"
    );
    let mut mapped = metadata.clone();
    mapped
        .configuration
        .insert("delta.columnMapping.mode".into(), Some("name".into()));
    let plain = Protocol {
        min_reader_version: 2,
        reader_features: None,
    };
    assert_eq!(
        check_protocol(&plain, &mapped).unwrap_err(),
        "uses Delta column mapping (mode name), which lathe does not read yet"
    );
    assert!(check_protocol(&plain, &metadata).is_ok());
}

#[test]
fn log_paths_are_percent_decoded() {
    assert_eq!(percent_decode("a%20b/c%3Ad%2"), "a b/c:d%2");
    assert_eq!(
        percent_decode("plain/part-0.parquet"),
        "plain/part-0.parquet"
    );
}

#[test]
fn glue_marks_delta_tables_two_ways() {
    let athena = HashMap::from([("table_type".to_string(), "DELTA".to_string())]);
    let spark = HashMap::from([(
        "spark.sql.sources.provider".to_string(),
        "delta".to_string(),
    )]);
    let hive = HashMap::from([("classification".to_string(), "parquet".to_string())]);
    assert!(is_delta(&athena) && is_delta(&spark) && !is_delta(&hive));
}
