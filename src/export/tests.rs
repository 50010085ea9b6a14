//! Unit tests of `export`.

use super::*;

use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use object_store::memory::InMemory;

fn batch(from: i64, n: usize) -> RecordBatch {
    let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(from..from + n as i64));
    let names: ArrayRef = Arc::new(StringArray::from_iter(
        (0..n).map(|i| (i % 3 != 0).then(|| format!("n\"{i}"))),
    ));
    RecordBatch::try_from_iter([("id", ids), ("name", names)]).unwrap()
}

fn schema() -> SchemaRef {
    batch(0, 1).schema()
}

fn stream(batches: Vec<datafusion::error::Result<RecordBatch>>) -> SendableRecordBatchStream {
    Box::pin(RecordBatchStreamAdapter::new(
        schema(),
        futures::stream::iter(batches),
    ))
}

fn spec(name: &str) -> ExportSpec {
    ExportSpec::for_destination(name, None).unwrap()
}

/// Files in `dir`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_extension_picks_format_and_compression() {
    let text = |f| FileFormat::Text(f);
    let cases = [
        ("out.csv", text(OutputFormat::Csv), Compression::None),
        ("dir/OUT.CSV.gz", text(OutputFormat::Csv), Compression::Gzip),
        ("a.tsv", text(OutputFormat::Tsv), Compression::None),
        ("a.json", text(OutputFormat::Json), Compression::None),
        ("a.ndjson.gz", text(OutputFormat::Ndjson), Compression::Gzip),
        ("a.jsonl", text(OutputFormat::Ndjson), Compression::None),
        ("s3://b/x/a.parquet", FileFormat::Parquet, Compression::None),
        ("a.txt", text(OutputFormat::Table), Compression::None),
    ];
    for (name, format, compression) in cases {
        assert_eq!(
            spec(name),
            ExportSpec {
                format,
                compression
            },
            "{name}"
        );
    }
    // An explicit text format wins; the .gz still compresses.
    assert_eq!(
        ExportSpec::for_destination("a.txt.gz", Some(OutputFormat::Tsv)).unwrap(),
        ExportSpec {
            format: text(OutputFormat::Tsv),
            compression: Compression::Gzip
        }
    );
    let unknown = ExportSpec::for_destination("report.xlsx", None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        unknown,
        "cannot write report.xlsx: its extension names no format; use .csv, .tsv, .json, \
         .ndjson, .parquet or .txt (add .gz to compress), or pass --format"
    );
    let gz = ExportSpec::for_destination("a.parquet.gz", None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        gz,
        "cannot write a.parquet.gz: Parquet compresses its own pages; drop the .gz"
    );
}

#[test]
fn progress_shows_rows_and_bytes() {
    let line = progress_line(
        ExportStats {
            rows: 1_234_567,
            bytes: 56_700_000,
        },
        Duration::from_millis(3_240),
    );
    assert_eq!(line, "1,234,567 rows · 56.7 MB written · 3.2 s");
    let small = progress_line(
        ExportStats {
            rows: 7,
            bytes: 999,
        },
        Duration::ZERO,
    );
    assert_eq!(small, "7 rows · 999 B written · 0.0 s");
}

#[tokio::test]
async fn a_csv_appears_only_when_finished() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    let mut export = Export::create(Destination::Local(path.clone()), spec("out.csv"), false)
        .await
        .unwrap();
    let rows = export
        .write(stream(vec![Ok(batch(0, 2)), Ok(batch(2, 2))]))
        .await
        .unwrap();
    assert_eq!(rows, 4);
    assert!(!path.exists(), "nothing at the destination before finish");
    let partial = files(dir.path());
    assert_eq!(partial.len(), 1);
    assert!(
        partial[0].starts_with(".lathe-") && partial[0].ends_with(".partial"),
        "{partial:?}"
    );
    let stats = export.finish().await.unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        "\"id\",\"name\"\n\"0\",\n\"1\",\"n\"\"1\"\n\"2\",\n\"3\",\"n\"\"1\"\n"
    );
    assert_eq!(
        stats,
        ExportStats {
            rows: 4,
            bytes: text.len() as u64
        }
    );
    assert_eq!(files(dir.path()), ["out.csv"]);
}

#[tokio::test]
async fn gzip_and_parquet_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("out.ndjson.gz");
    let mut export = Export::create(Destination::Local(gz.clone()), spec("x.ndjson.gz"), false)
        .await
        .unwrap();
    export.write(stream(vec![Ok(batch(5, 2))])).await.unwrap();
    export.finish().await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(
        text,
        "{\"id\":5,\"name\":null}\n{\"id\":6,\"name\":\"n\\\"1\"}\n"
    );

    let pq = dir.path().join("out.parquet");
    let mut export = Export::create(Destination::Local(pq.clone()), spec("x.parquet"), false)
        .await
        .unwrap();
    export
        .write(stream(vec![Ok(batch(0, 3)), Ok(batch(3, 3))]))
        .await
        .unwrap();
    // A second result does not fit in the same file.
    let second = export.write(stream(vec![Ok(batch(0, 1))])).await;
    assert!(
        second
            .unwrap_err()
            .to_string()
            .contains("a Parquet file holds one result"),
    );
    export.finish().await.unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&pq).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let read: Vec<RecordBatch> = reader.collect::<std::result::Result<_, _>>().unwrap();
    let all = datafusion::arrow::compute::concat_batches(&schema(), &read).unwrap();
    let expected =
        datafusion::arrow::compute::concat_batches(&schema(), &[batch(0, 3), batch(3, 3)]).unwrap();
    assert_eq!(all, expected);
}

#[tokio::test]
async fn an_existing_file_is_kept_unless_overwriting() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    std::fs::write(&path, "old").unwrap();
    let refused = Export::create(Destination::Local(path.clone()), spec("out.csv"), false)
        .await
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        format!(
            "{} already exists; pass --force (or \\export! in the shell) to overwrite it",
            path.display()
        )
    );
    let mut export = Export::create(Destination::Local(path.clone()), spec("out.csv"), true)
        .await
        .unwrap();
    export.write(stream(vec![Ok(batch(0, 1))])).await.unwrap();
    export.finish().await.unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "\"id\",\"name\"\n\"0\",\n"
    );
}

#[tokio::test]
async fn a_failure_mid_stream_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    let mut export = Export::create(Destination::Local(path.clone()), spec("out.csv"), false)
        .await
        .unwrap();
    let failed = export
        .write(stream(vec![
            Ok(batch(0, 100)),
            Err(DataFusionError::Execution("Divide by zero error".into())),
        ]))
        .await;
    assert!(failed.unwrap_err().to_string().contains("Divide by zero"));
    assert_eq!(
        files(dir.path()).len(),
        1,
        "the temporary file, until dropped"
    );
    drop(export);
    assert!(files(dir.path()).is_empty(), "{:?}", files(dir.path()));
}

#[tokio::test]
async fn an_object_store_destination_is_uploaded_only_on_finish() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let path = ObjectPath::from("exports/out.csv.gz");
    let destination = Destination::Object {
        store: Arc::clone(&store),
        path: path.clone(),
        display: "mem://exports/out.csv.gz".into(),
    };
    let mut export = Export::create(destination.clone(), spec("out.csv.gz"), false)
        .await
        .unwrap();
    export.write(stream(vec![Ok(batch(0, 2))])).await.unwrap();
    assert!(store.head(&path).await.is_err(), "no object before finish");
    export.finish().await.unwrap();
    let bytes = store.get(&path).await.unwrap().bytes().await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes.as_ref())
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "\"id\",\"name\"\n\"0\",\n\"1\",\"n\"\"1\"\n");
    let again = Export::create(destination, spec("out.csv.gz"), false)
        .await
        .unwrap_err();
    assert!(matches!(again, Error::OutputExists { .. }), "{again}");
}
