//! Unit tests of `local`.

use super::*;
use crate::catalog::DatabaseDef;

fn table_json(name: &str, location: &str) -> String {
    format!(
        r#"{{"Table": {{"Name": "{name}", "StorageDescriptor": {{
            "Columns": [{{"Name": "id", "Type": "bigint"}}],
            "Location": "{location}",
            "SerdeInfo": {{"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}}},
            "PartitionKeys": [{{"Name": "dt", "Type": "string"}}]}}}}"#
    )
}

fn catalog() -> (tempfile::TempDir, LocalCatalog) {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("Web");
    std::fs::create_dir_all(&web).unwrap();
    std::fs::write(
        web.join("Events.json"),
        table_json("events", "data/events/"),
    )
    .unwrap();
    std::fs::write(web.join("users.json"), table_json("users", "s3://b/users/")).unwrap();
    std::fs::write(web.join("_ignored.json"), "not json").unwrap();
    std::fs::write(
        web.join("events.partitions.json"),
        r#"{"Partitions": [{"Values": ["2024-05-01"]}]}"#,
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join(".hidden")).unwrap();
    let catalog = LocalCatalog::open(dir.path()).unwrap();
    (dir, catalog)
}

#[tokio::test]
async fn lists_and_loads_case_insensitively() {
    let (dir, catalog) = catalog();
    // `default` always exists, as in Athena, before it has a folder.
    assert_eq!(catalog.databases().await.unwrap(), ["default", "web"]);
    assert!(catalog.tables("default").await.unwrap().is_empty());
    assert_eq!(catalog.tables("WEB").await.unwrap(), ["events", "users"]);
    let events = catalog.table("web", "EVENTS").await.unwrap();
    assert_eq!(events.qualified_name(), "web.events");
    let expected = format!("{}/data/events/", dir.path().display());
    assert_eq!(events.location, expected);

    let partitions = catalog.partitions(&events).await.unwrap().unwrap();
    assert_eq!(partitions[0].values, ["2024-05-01"]);
    assert_eq!(partitions[0].location, format!("{expected}dt=2024-05-01/"));
    let users = catalog.table("web", "users").await.unwrap();
    assert_eq!(users.location, "s3://b/users/");
    assert!(catalog.partitions(&users).await.unwrap().is_none());
}

#[tokio::test]
async fn not_found_suggests_a_close_name() {
    let (_dir, catalog) = catalog();
    assert_eq!(
        catalog.table("web", "evnts").await.unwrap_err().to_string(),
        "table web.evnts does not exist; did you mean web.events?"
    );
    assert_eq!(
        catalog
            .table("wbe", "events")
            .await
            .unwrap_err()
            .to_string(),
        "database wbe does not exist; did you mean web?"
    );
    assert_eq!(
        catalog.table("sales", "x").await.unwrap_err().to_string(),
        "database sales does not exist"
    );
}

#[tokio::test]
async fn a_malformed_table_file_names_the_file() {
    let (dir, catalog) = catalog();
    let path = dir.path().join("Web/broken.json");
    std::fs::write(&path, "{\"Table\": {\"Name\": \"broken\",}").unwrap();
    let err = catalog
        .table("web", "broken")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "{}: not valid JSON: trailing comma at line 1",
            path.display()
        )),
        "{err}"
    );
}

#[test]
fn a_missing_folder_is_a_clear_error() {
    let err = LocalCatalog::open("/no/such/catalog")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "catalog folder /no/such/catalog does not exist; pass --catalog DIR or set `catalog` in lathe.toml"
    );
}

fn parquet_table(database: &str, name: &str, location: &str) -> TableDef {
    use crate::catalog::{Column, StorageClasses, StorageFormat};
    use datafusion::arrow::datatypes::DataType;
    let column =
        |name: &str, type_string: &str, data_type: DataType, comment: Option<&str>| Column {
            name: name.into(),
            type_string: type_string.into(),
            data_type,
            comment: comment.map(str::to_string),
        };
    TableDef {
        database: database.into(),
        name: name.into(),
        columns: vec![
            column("id", "bigint", DataType::Int64, Some("the key")),
            column("name", "string", DataType::Utf8, None),
        ],
        partition_keys: vec![column("dt", "string", DataType::Utf8, None)],
        location: location.into(),
        format: StorageFormat::Parquet,
        parameters: [("EXTERNAL".to_string(), "TRUE".to_string())].into(),
        serde_parameters: [("serialization.format".to_string(), "1".to_string())].into(),
        comment: Some("orders, one row each".into()),
        storage: StorageClasses::for_format(StorageFormat::Parquet),
        view: None,
    }
}

#[tokio::test]
async fn a_written_table_reads_back_equal() {
    let (dir, catalog) = catalog();
    let table = parquet_table("web", "orders", "s3://b/orders/");
    // Cached listings must see the write.
    assert_eq!(catalog.tables("web").await.unwrap(), ["events", "users"]);
    assert!(catalog.create_table(&table, false).await.unwrap());
    assert_eq!(*catalog.table("web", "orders").await.unwrap(), table);
    assert_eq!(
        catalog.tables("web").await.unwrap(),
        ["events", "orders", "users"]
    );
    // A fresh catalog over the same folder reads the same definition.
    let fresh = LocalCatalog::open(dir.path()).unwrap();
    assert_eq!(*fresh.table("web", "orders").await.unwrap(), table);

    assert!(!catalog.create_table(&table, true).await.unwrap());
    assert_eq!(
        catalog
            .create_table(&table, false)
            .await
            .unwrap_err()
            .to_string(),
        "table web.orders already exists"
    );
    assert!(catalog.drop_table("web", "ORDERS", false).await.unwrap());
    assert!(!catalog.drop_table("web", "orders", true).await.unwrap());
    assert_eq!(
        catalog
            .drop_table("web", "userz", false)
            .await
            .unwrap_err()
            .to_string(),
        "table web.userz does not exist; did you mean web.users?"
    );
    assert_eq!(catalog.tables("web").await.unwrap(), ["events", "users"]);
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("Web"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn partitions_are_added_and_dropped_keeping_other_fields() {
    let (dir, catalog) = catalog();
    let events = catalog.table("web", "events").await.unwrap();
    assert_eq!(catalog.partitions(&events).await.unwrap().unwrap().len(), 1);
    let partition = |dt: &str| PartitionDef {
        values: vec![dt.to_string()],
        location: events.default_partition_location(&[dt.to_string()]),
        format: events.format,
    };
    let added = catalog
        .add_partitions(
            &events,
            &[partition("2024-05-02"), partition("2024-05-03")],
            false,
        )
        .await
        .unwrap();
    assert_eq!(added, 2);
    let listed = catalog.partitions(&events).await.unwrap().unwrap();
    let values: Vec<_> = listed.iter().map(|p| p.values[0].as_str()).collect();
    assert_eq!(values, ["2024-05-01", "2024-05-02", "2024-05-03"]);
    assert_eq!(listed[2], partition("2024-05-03"));

    let err = catalog
        .add_partitions(&events, &[partition("2024-05-02")], false)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "table web.events: partition dt=2024-05-02 already exists"
    );
    let skipped = catalog
        .add_partitions(&events, &[partition("2024-05-02")], true)
        .await
        .unwrap();
    assert_eq!(skipped, 0);

    let dropped = catalog
        .drop_partitions(&events, &[vec!["2024-05-01".into()]], false)
        .await
        .unwrap();
    assert_eq!(dropped, 1);
    let err = catalog
        .drop_partitions(&events, &[vec!["2024-05-01".into()]], false)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "table web.events: partition dt=2024-05-01 does not exist"
    );
    let values: Vec<_> = catalog
        .partitions(&events)
        .await
        .unwrap()
        .unwrap()
        .iter()
        .map(|p| p.values[0].clone())
        .collect();
    assert_eq!(values, ["2024-05-02", "2024-05-03"]);
    let text = std::fs::read_to_string(dir.path().join("Web/events.partitions.json")).unwrap();
    let file: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        file["Partitions"][0]["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"],
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    );
}

#[tokio::test]
async fn databases_are_created_and_dropped() {
    let (dir, catalog) = catalog();
    let sales = DatabaseDef {
        name: "sales".into(),
        comment: Some("invoices".into()),
        ..DatabaseDef::default()
    };
    catalog.create_database(&sales, false).await.unwrap();
    assert_eq!(
        catalog.databases().await.unwrap(),
        ["default", "sales", "web"]
    );
    catalog.create_database(&sales, true).await.unwrap();
    assert_eq!(
        catalog
            .create_database(&sales, false)
            .await
            .unwrap_err()
            .to_string(),
        "database sales already exists"
    );
    let table = parquet_table("sales", "orders", "s3://b/orders/");
    catalog.create_table(&table, false).await.unwrap();
    assert_eq!(
        catalog
            .drop_database("sales", false, false)
            .await
            .unwrap_err()
            .to_string(),
        "database sales is not empty: it holds 1 table(s); drop them first or use DROP DATABASE sales CASCADE"
    );
    catalog.drop_database("SALES", false, true).await.unwrap();
    assert!(!dir.path().join("sales").exists());
    assert_eq!(catalog.databases().await.unwrap(), ["default", "web"]);
    catalog.drop_database("sales", true, false).await.unwrap();
    assert_eq!(
        catalog
            .drop_database("sales", false, false)
            .await
            .unwrap_err()
            .to_string(),
        "database sales does not exist"
    );
}
