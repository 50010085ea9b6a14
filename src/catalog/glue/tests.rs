use super::*;

/// A fake list call over `pages`: the token names the page to return.
async fn fake(
    pages: &[(&[u32], Option<&str>)],
    token: Option<String>,
) -> (Vec<u32>, Option<String>) {
    let index = match token.as_deref() {
        None => 0,
        Some(t) => t.trim_start_matches("page").parse::<usize>().unwrap(),
    };
    let (items, next) = pages[index];
    (items.to_vec(), next.map(str::to_string))
}

#[tokio::test]
async fn paginate_follows_tokens_to_the_last_page() {
    let pages: &[(&[u32], Option<&str>)] = &[
        (&[1, 2], Some("page1")),
        (&[], Some("page2")),
        (&[3], Some("")),
    ];
    let mut calls = Vec::new();
    let items = paginate(|token| {
        calls.push(token.clone());
        async move { Ok::<_, ()>(fake(pages, token).await) }
    })
    .await
    .unwrap();
    assert_eq!(items, vec![1, 2, 3]);
    assert_eq!(
        calls,
        vec![None, Some("page1".to_string()), Some("page2".to_string())]
    );
}

#[tokio::test]
async fn paginate_stops_when_a_server_repeats_a_token() {
    // Like moto: NextToken ignored, the same page and token every time.
    let mut calls = 0;
    let items = paginate(|_| {
        calls += 1;
        async { Ok::<_, ()>((vec![7], Some("again".to_string()))) }
    })
    .await
    .unwrap();
    assert_eq!(items, vec![7, 7]);
    assert_eq!(calls, 2);
}

#[tokio::test]
async fn paginate_returns_the_first_error() {
    let mut calls = 0;
    let result: std::result::Result<Vec<u32>, &str> = paginate(|token| {
        calls += 1;
        async move {
            match token {
                None => Ok((vec![1], Some("next".to_string()))),
                Some(_) => Err("throttled"),
            }
        }
    })
    .await;
    assert_eq!(result, Err("throttled"));
    assert_eq!(calls, 2);
}

#[test]
fn sdk_tables_convert_like_glue_json_files() {
    use aws_sdk_glue::types::{Column as SdkColumn, SerDeInfo, StorageDescriptor as SdkSd, Table};
    let column = |name: &str, t: &str| SdkColumn::builder().name(name).r#type(t).build().unwrap();
    let table = Table::builder()
        .name("Orders")
        .database_name("master")
        .partition_keys(column("order_date", "date"))
        .parameters("classification", "parquet")
        .storage_descriptor(
            SdkSd::builder()
                .columns(column("order_id", "bigint"))
                .columns(column("items", "array<struct<sku:string,qty:int>>"))
                .location("s3://acme-warehouse/master/orders/")
                .input_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat")
                .serde_info(
                    SerDeInfo::builder()
                        .serialization_library(
                            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                        )
                        .build(),
                )
                .build(),
        )
        .build()
        .unwrap();
    let def = glue_table(&table)
        .into_table_def(&glue_source("master", "orders"), "master", "orders")
        .unwrap();
    assert_eq!(def.qualified_name(), "master.orders");
    assert_eq!(def.location, "s3://acme-warehouse/master/orders/");
    assert_eq!(def.format, crate::catalog::StorageFormat::Parquet);
    let names: Vec<&str> = def.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["order_id", "items"]);
    assert_eq!(def.partition_keys[0].type_string, "date");

    // A table without a location fails as a file without one does, naming it.
    let bare = Table::builder()
        .name("t")
        .storage_descriptor(SdkSd::builder().columns(column("a", "int")).build())
        .build()
        .unwrap();
    let err = glue_table(&bare)
        .into_table_def(&glue_source("db", "t"), "db", "t")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Glue table db.t: field StorageDescriptor.Location is missing"
    );
}

#[tokio::test]
async fn batch_writes_go_in_chunks_of_glues_limits() {
    // BatchCreatePartition: 100 a call; BatchDeletePartition: 25 (moto enforces neither).
    for (count, size, expected) in [
        (250, write::CREATE_BATCH, vec![100, 100, 50]),
        (100, write::CREATE_BATCH, vec![100]),
        (60, write::DELETE_BATCH, vec![25, 25, 10]),
        (1, write::DELETE_BATCH, vec![1]),
        (0, write::DELETE_BATCH, vec![]),
    ] {
        let items: Vec<u32> = (0..count).collect();
        let mut calls: Vec<Vec<u32>> = Vec::new();
        let errors = write::in_batches(&items, size, |chunk| {
            calls.push(chunk.clone());
            // Each call reports its first entry as refused, as Glue's
            // per-entry `Errors` do.
            async move { Ok(chunk.first().copied().into_iter().collect::<Vec<u32>>()) }
        })
        .await
        .unwrap();
        let sizes: Vec<usize> = calls.iter().map(Vec::len).collect();
        assert_eq!(sizes, expected, "{count} items in batches of {size}");
        // Every item sent exactly once, in order.
        assert_eq!(calls.concat(), items);
        let firsts: Vec<u32> = calls.iter().map(|c| c[0]).collect();
        assert_eq!(errors, firsts);
    }
}

#[tokio::test]
async fn a_failed_batch_call_stops_the_rest() {
    let items: Vec<u32> = (0..250).collect();
    let mut calls = 0;
    let result = write::in_batches(&items, write::CREATE_BATCH, |chunk| {
        calls += 1;
        async move {
            if chunk[0] == 100 {
                Err(Error::AccessDenied {
                    resource: "Glue table db.t".into(),
                })
            } else {
                Ok(Vec::<u32>::new())
            }
        }
    })
    .await;
    assert_eq!(
        result.unwrap_err().to_string(),
        "access denied to Glue table db.t; the AWS identity in use lacks permission for it \
         (check AWS_PROFILE and its IAM policy)"
    );
    assert_eq!(calls, 2);
}

#[test]
fn tables_and_partitions_become_glue_inputs() {
    use crate::catalog::glue_json::parse_table_file;
    let text = r#"{"Table": {"Name": "events", "DatabaseName": "web",
        "Description": "clicks",
        "StorageDescriptor": {
            "Columns": [{"Name": "id", "Type": "bigint", "Comment": "key"},
                        {"Name": "tags", "Type": "array<string>"}],
            "Location": "s3://bucket/events/",
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
                          "Parameters": {"ignore.malformed.json": "true"}}},
        "PartitionKeys": [{"Name": "day", "Type": "date"}],
        "Parameters": {"classification": "json"}}}"#;
    let path = std::path::Path::new("web/events.json");
    let def = parse_table_file(path, text)
        .unwrap()
        .into_table_def(path, "web", "events")
        .unwrap();
    let input = write::table_input(&def).unwrap();
    assert_eq!(input.name(), "events");
    assert_eq!(input.description(), Some("clicks"));
    assert_eq!(input.table_type(), Some("EXTERNAL_TABLE"));
    assert_eq!(input.partition_keys()[0].name(), "day");
    assert_eq!(input.partition_keys()[0].r#type(), Some("date"));
    assert_eq!(input.parameters().unwrap()["classification"], "json");
    let sd = input.storage_descriptor().unwrap();
    assert_eq!(sd.location(), Some("s3://bucket/events/"));
    assert_eq!(sd.columns()[0].comment(), Some("key"));
    assert_eq!(sd.columns()[1].r#type(), Some("array<string>"));
    assert_eq!(
        sd.input_format(),
        Some("org.apache.hadoop.mapred.TextInputFormat")
    );
    let serde = sd.serde_info().unwrap();
    assert_eq!(
        serde.serialization_library(),
        Some("org.openx.data.jsonserde.JsonSerDe")
    );
    assert_eq!(serde.parameters().unwrap()["ignore.malformed.json"], "true");

    // Read back, a TableInput is the table it came from.
    let table = aws_sdk_glue::types::Table::builder()
        .name(input.name())
        .database_name("web")
        .set_description(input.description().map(str::to_string))
        .set_storage_descriptor(input.storage_descriptor().cloned())
        .set_partition_keys(Some(input.partition_keys().to_vec()))
        .set_parameters(input.parameters().cloned())
        .build()
        .unwrap();
    let back = glue_table(&table)
        .into_table_def(&glue_source("web", "events"), "web", "events")
        .unwrap();
    assert_eq!(back, def);

    let partition = PartitionDef {
        values: vec!["2024-05-04".into()],
        location: "s3://bucket/events/day=2024-05-04/".into(),
        format: def.format,
    };
    let input = write::partition_input(&def, &partition).unwrap();
    assert_eq!(input.values(), ["2024-05-04"]);
    let sd = input.storage_descriptor().unwrap();
    assert_eq!(sd.location(), Some("s3://bucket/events/day=2024-05-04/"));
    assert_eq!(sd.columns().len(), 2);
    assert_eq!(
        sd.serde_info().unwrap().serialization_library(),
        Some("org.openx.data.jsonserde.JsonSerDe")
    );
}

#[test]
fn per_partition_errors_of_batch_calls_are_one_sentence() {
    use aws_sdk_glue::types::{ErrorDetail, PartitionError};
    let text = r#"{"Name": "orders", "StorageDescriptor": {
        "Columns": [{"Name": "id", "Type": "bigint"}], "Location": "s3://b/orders/",
        "SerdeInfo": {"SerializationLibrary":
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}},
        "PartitionKeys": [{"Name": "day", "Type": "string"}, {"Name": "hour", "Type": "int"}]}"#;
    let path = std::path::Path::new("shop/orders.json");
    let def = crate::catalog::glue_json::parse_table_file(path, text)
        .unwrap()
        .into_table_def(path, "shop", "orders")
        .unwrap();
    let entry = |code: &str, message: Option<&str>| {
        PartitionError::builder()
            .partition_values("2024/05/04")
            .partition_values("7")
            .error_detail(
                ErrorDetail::builder()
                    .error_code(code)
                    .set_error_message(message.map(str::to_string))
                    .build(),
            )
            .build()
    };
    let message = |e: PartitionError| write::entry_error(&def, &e).to_string();
    assert_eq!(
        message(entry(
            "AlreadyExistsException",
            Some("Partition already exists.")
        )),
        "table shop.orders: partition day=2024%2F05%2F04/hour=7 already exists"
    );
    assert_eq!(
        message(entry("EntityNotFoundException", None)),
        "table shop.orders: partition day=2024%2F05%2F04/hour=7 does not exist"
    );
    assert_eq!(
        message(entry("InternalServiceException", Some("try again"))),
        "table shop.orders: partition day=2024%2F05%2F04/hour=7 was refused by Glue \
         (InternalServiceException: try again)"
    );
}
