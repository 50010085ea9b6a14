//! Athena's result CSV writer: arbitrary strings, integers, doubles and
//! NULLs, written by the production writer and read back with the `csv`
//! crate, come back as the text Athena prints for each value (NULL and the
//! empty string both read as empty; the writer quotes only the latter).
#![no_main]

use arbitrary::Arbitrary;
use lathe::fuzzing::{CsvColumn, athena_csv};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Column {
    Strings(Vec<Option<String>>),
    Integers(Vec<Option<i64>>),
    Doubles(Vec<Option<f64>>),
}

fuzz_target!(|columns: Vec<(String, Column)>| {
    // At least two columns: a row of one NULL is an empty line, which CSV
    // readers (the `csv` crate among them) skip.
    if columns.len() < 2 || columns.len() > 16 {
        return;
    }
    let columns = columns
        .into_iter()
        .map(|(name, c)| {
            let c = match c {
                Column::Strings(v) => CsvColumn::Strings(v),
                Column::Integers(v) => CsvColumn::Integers(v),
                Column::Doubles(v) => CsvColumn::Doubles(v),
            };
            (name, c)
        })
        .collect();
    let (bytes, expected) = athena_csv(columns).expect("a batch of valid columns writes");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes.as_slice());
    let read: Vec<Vec<Vec<u8>>> = reader
        .byte_records()
        .map(|r| {
            let record = r.expect("the csv crate reads what lathe writes");
            record.iter().map(<[u8]>::to_vec).collect()
        })
        .collect();
    let expected: Vec<Vec<Vec<u8>>> = expected
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|v| v.unwrap_or_default().into_bytes())
                .collect()
        })
        .collect();
    assert_eq!(read, expected, "{}", String::from_utf8_lossy(&bytes));
});
