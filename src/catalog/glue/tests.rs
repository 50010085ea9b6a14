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
