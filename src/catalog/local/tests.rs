//! Unit tests of `local`.

use super::*;

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
    assert_eq!(catalog.databases().await.unwrap(), ["web"]);
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
