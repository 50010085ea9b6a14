//! Unit tests of `display`.

use super::*;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringArray};

fn batch() -> RecordBatch {
    RecordBatch::try_from_iter(vec![(
        "note",
        Arc::new(StringArray::from(vec![
            Some(""),
            None,
            Some("a very long value that will not fit"),
        ])) as ArrayRef,
    )])
    .unwrap()
}

#[test]
fn null_is_distinct_and_long_cells_are_cut() {
    let b = batch();
    let text = table(&b.schema(), std::slice::from_ref(&b), 20).unwrap();
    assert_eq!(
        text,
        "+------------------+\n| note             |\n+------------------+\n|                  |\n| NULL             |\n| a very long val… |\n+------------------+"
    );
    let text = expanded(&b.schema(), &[b], 30).unwrap();
    assert!(
        text.starts_with("-[ RECORD 1 ]\nnote | \n-[ RECORD 2 ]\nnote | NULL\n"),
        "{text}"
    );
}

#[test]
fn narrow_columns_keep_their_width() {
    let b = RecordBatch::try_from_iter(vec![
        ("id", Arc::new(StringArray::from(vec!["1"])) as ArrayRef),
        (
            "note",
            Arc::new(StringArray::from(vec!["x".repeat(100)])) as ArrayRef,
        ),
    ])
    .unwrap();
    let rows = batch_text(&b).unwrap();
    assert_eq!(column_limits(&b.schema(), &rows, 40), [2, 31]);
    assert_eq!(column_limits(&b.schema(), &rows, 200), [2, 100]);
}

#[test]
fn sizes_and_cuts() {
    assert_eq!(human_bytes(999), "999 B");
    assert_eq!(human_bytes(1_234_567), "1.2 MB");
    assert_eq!(cut("abc", 3), "abc");
    assert_eq!(cut("abcd", 3), "ab…");
    assert_eq!(cut("a\nb", 5), "a⏎b");
}
