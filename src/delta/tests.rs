use super::*;
use crate::storage::ResolvedLocation;

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
    let live: Vec<&str> = replay.live.keys().map(|(p, _)| p.as_str()).collect();
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
    let schema = columns(replay.metadata.as_ref().unwrap()).unwrap();
    let (data, keys) = (schema.data, schema.partition_keys);
    assert_eq!(schema.physical, None);
    assert_eq!(schema.partition_physical, ["day"]);
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
    let protocol = Protocol {
        min_reader_version: 3,
        reader_features: Some(vec!["v2Checkpoint".into()]),
    };
    assert_eq!(
        check_protocol(&protocol).unwrap_err(),
        "uses the Delta reader feature v2Checkpoint, which lathe does not read yet"
    );
    let read = Protocol {
        min_reader_version: 3,
        reader_features: Some(vec!["deletionVectors".into(), "columnMapping".into()]),
    };
    assert!(check_protocol(&read).is_ok());
    let mut metadata = replay_text(&[CREATE]).metadata.unwrap();
    metadata
        .configuration
        .insert("delta.columnMapping.mode".into(), Some("names".into()));
    assert_eq!(
        columns(&metadata).unwrap_err(),
        "uses Delta column mapping mode names, which the Delta protocol does not define \
         (none, name or id)"
    );
}

/// A column-mapped schema: `id`, a partition column `Day`, and `info`.
fn mapped(info_type: &str) -> Metadata {
    let field = |name: &str, physical: &str, t: &str| {
        format!(
            r#"{{"name":"{name}","type":{t},"nullable":true,"metadata":{{"delta.columnMapping.id":1,"delta.columnMapping.physicalName":"{physical}"}}}}"#
        )
    };
    let fields = [
        field("id", "col-1a", r#""long""#),
        field("Day", "col-2b", r#""date""#),
        field("info", "col-3c", info_type),
    ];
    Metadata {
        schema_string: format!(r#"{{"type":"struct","fields":[{}]}}"#, fields.join(",")),
        partition_columns: vec!["Day".into()],
        configuration: HashMap::from([(
            "delta.columnMapping.mode".to_string(),
            Some("id".to_string()),
        )]),
    }
}

#[test]
fn column_mapping_reads_columns_and_partition_values_by_physical_name() {
    let schema = columns(&mapped(r#""string""#)).unwrap();
    let names = |c: &[Column]| c.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&schema.data), ["id", "info"]);
    assert_eq!(names(&schema.partition_keys), ["day"]);
    assert_eq!(
        names(schema.physical.as_ref().unwrap()),
        ["col-1a", "col-3c"]
    );
    assert_eq!(schema.physical.unwrap()[1].type_string, "string");
    assert_eq!(schema.partition_physical, ["col-2b"]);
    // Struct fields mapped below the top level are refused by name.
    let nested = r#"{"type":"struct","fields":[{"name":"a","type":"long","nullable":true,"metadata":{"delta.columnMapping.physicalName":"col-9z"}}]}"#;
    assert_eq!(
        columns(&mapped(nested)).unwrap_err(),
        "has column info whose nested fields are column-mapped, which lathe does not read yet"
    );
}

#[test]
fn a_deletion_vector_change_replaces_the_file_in_either_order() {
    let dv = |id: &str| {
        format!(
            r#""deletionVector":{{"storageType":"u","pathOrInlineDv":"{id}","offset":1,"sizeInBytes":34,"cardinality":1}}"#
        )
    };
    let old = dv("vBn[lx{q8@P<9BNH/isA");
    let new = dv("ab^-aqEH.-t@S}K{vb[*k^");
    let first =
        r#"{"add":{"path":"a.parquet","partitionValues":{},"size":1,"modificationTime":1}}"#;
    let add_new = format!(
        r#"{{"add":{{"path":"a.parquet","partitionValues":{{}},"size":1,"modificationTime":2,{new}}}}}"#
    );
    let remove_old = format!(r#"{{"remove":{{"path":"a.parquet",{old}}}}}"#);
    let with_old = format!(
        r#"{{"add":{{"path":"a.parquet","partitionValues":{{}},"size":1,"modificationTime":1,{old}}}}}"#
    );
    let remove_plain = r#"{"remove":{"path":"a.parquet"}}"#;
    for second in [
        format!("{add_new}\n{remove_old}"),
        format!("{remove_old}\n{add_new}"),
    ] {
        let replay = replay_text(&[&with_old, &second]);
        let live: Vec<_> = replay.live.values().collect();
        assert_eq!(live.len(), 1);
        assert_eq!(
            live[0].deletion_vector.as_ref().unwrap().path_or_inline_dv,
            "ab^-aqEH.-t@S}K{vb[*k^"
        );
    }
    let replay = replay_text(&[first, &format!("{with_old}\n{remove_plain}")]);
    assert_eq!(replay.live.len(), 1);
}

/// A deletion vector file holding `rows` at offset 1, and its size.
fn dv_file_bytes(rows: &[u64]) -> (Vec<u8>, u32) {
    let bitmap: roaring::RoaringTreemap = rows.iter().copied().collect();
    let mut array = 1681511377u32.to_le_bytes().to_vec();
    bitmap.serialize_into(&mut array).unwrap();
    let mut file = vec![1u8];
    file.extend((array.len() as u32).to_be_bytes());
    file.extend(&array);
    file.extend(crc32fast::hash(&array).to_be_bytes());
    (file, array.len() as u32)
}

#[test]
fn z85_decodes_as_the_spec_and_delta_name_it() {
    use deletion_vector::z85_decode;
    assert_eq!(
        z85_decode("HelloWorld").unwrap(),
        [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
    );
    assert_eq!(z85_decode("Hell"), None);
    assert_eq!(z85_decode("Hell~"), None);
    assert_eq!(z85_decode("%nSc1"), None, "beyond 32 bits");
    // The protocol's own example: prefix `ab`, then the UUID.
    let root = ResolvedLocation {
        store: ObjectStoreUrl::parse("s3://mytable").unwrap(),
        prefix: object_store::path::Path::from("t"),
        display: "s3://mytable/t/".into(),
        local_dir: None,
    };
    let descriptor = Descriptor {
        storage_type: "u".into(),
        path_or_inline_dv: "ab^-aqEH.-t@S}K{vb[*k^".into(),
        offset: Some(4),
        size_in_bytes: 40,
        cardinality: 6,
    };
    let dv = DeletionVector::locate(&descriptor, &root, &LocationMap::default()).unwrap();
    assert_eq!(
        dv.display(),
        "s3://mytable/t/ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin"
    );
    let unknown = Descriptor {
        storage_type: "x".into(),
        ..descriptor
    };
    assert_eq!(
        DeletionVector::locate(&unknown, &root, &LocationMap::default()).unwrap_err(),
        "has a deletion vector of storage type \"x\", which the Delta protocol does not define \
         (u, i or p)"
    );
}

#[test]
fn a_deletion_vector_file_gives_its_positions_and_checks_its_crc() {
    use deletion_vector::dv_file;
    let rows = [0, 3, 4, 70_000, 5_000_000_000];
    let (mut file, size) = dv_file_bytes(&rows);
    let bitmap = dv_file(&file, 1, size).unwrap();
    assert_eq!(bitmap.into_iter().collect::<Vec<_>>(), rows);
    assert_eq!(
        dv_file(&file, 1, size + 1).unwrap_err(),
        format!(
            "that ends at byte {} before the deletion vector's end at {}",
            file.len(),
            file.len() + 1
        )
    );
    // One bit flipped in the bitmap.
    file[12] ^= 0x01;
    let error = dv_file(&file, 1, size).unwrap_err();
    assert!(
        error.starts_with("whose deletion vector at 1 fails its checksum (CRC-32 "),
        "{error}"
    );
    assert!(error.ends_with("computed): the file is corrupt"), "{error}");
    file[0] = 2;
    assert_eq!(
        dv_file(&file, 1, size).unwrap_err(),
        "of format version 2, which lathe does not read (1)"
    );
}

#[tokio::test]
async fn an_inline_deletion_vector_is_checked_against_its_cardinality() {
    let (file, size) = dv_file_bytes(&[2, 5]);
    let array = &file[5..5 + size as usize];
    // Delta pads the bytes to a multiple of four before encoding.
    let mut padded = array.to_vec();
    padded.resize(array.len().div_ceil(4) * 4, 0);
    let text = z85_encode(&padded);
    let root = ResolvedLocation {
        store: ObjectStoreUrl::local_filesystem(),
        prefix: object_store::path::Path::from("t"),
        display: "/t/".into(),
        local_dir: None,
    };
    let inline = |cardinality| Descriptor {
        storage_type: "i".into(),
        path_or_inline_dv: text.clone(),
        offset: None,
        size_in_bytes: size as i64,
        cardinality,
    };
    let runtime = RuntimeEnv::default();
    let dv = DeletionVector::locate(&inline(2), &root, &LocationMap::default()).unwrap();
    assert_eq!(dv.deleted_rows(&runtime).await.unwrap(), [2, 5]);
    let dv = DeletionVector::locate(&inline(3), &root, &LocationMap::default()).unwrap();
    assert_eq!(
        dv.deleted_rows(&runtime).await.unwrap_err(),
        "has a deletion vector in the log (inline) of 2 rows where the log says 3"
    );
}

/// Z85 encoding, for the tests (lathe only decodes).
fn z85_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 85] =
        b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    let mut out = String::new();
    for group in bytes.chunks(4) {
        let mut value = u32::from_be_bytes(group.try_into().unwrap()) as u64;
        let mut digits = [0u8; 5];
        for d in digits.iter_mut().rev() {
            *d = ALPHABET[(value % 85) as usize];
            value /= 85;
        }
        out.push_str(std::str::from_utf8(&digits).unwrap());
    }
    out
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
