//! Unit tests of `config`.

use super::*;

#[test]
fn sizes() {
    assert_eq!(parse_size("512MB"), Some(512 << 20));
    assert_eq!(parse_size("2 GB"), Some(2 << 30));
    assert_eq!(parse_size("1.5g"), Some(3 << 29));
    assert_eq!(parse_size("1024"), Some(1024));
    assert_eq!(parse_size("lots"), None);
    assert_eq!(parse_size("5 parsecs"), None);
}

#[test]
fn file_config_reads_relative_to_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lathe.toml");
    std::fs::write(
        &path,
        "catalog = \"cat\"\ndatabase = \"web\"\nmemory_limit = \"1GB\"\nmap = [\"s3://b/=data/\"]\n",
    )
    .unwrap();
    let config = FileConfig::load(&path).unwrap();
    assert_eq!(config.database.as_deref(), Some("web"));
    assert_eq!(config.memory_limit_bytes().unwrap(), Some(1 << 30));
    assert_eq!(
        config.resolve(config.catalog.as_ref().unwrap()),
        dir.path().join("cat")
    );
    let maps = config.mappings().unwrap();
    assert_eq!(maps[0].to, format!("{}/data/", dir.path().display()));

    std::fs::write(&path, "catalog = \"cat\"\ndatabse = \"web\"\n").unwrap();
    let err = FileConfig::load(&path).unwrap_err().to_string();
    assert!(err.contains("unknown field `databse`"), "{err}");
    assert!(err.contains("(line 2)"), "{err}");
}
