//! The OpenX (and Hive) JSON line decoder: any bytes, decoded into a fixed
//! schema with nested types under SerDe options chosen by the first byte,
//! give rows or an error naming the line; never a panic. With
//! `ignore.malformed.json` there are never more rows than lines.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, lines)) = data.split_first() else {
        return;
    };
    if let Ok(rows) = lathe::fuzzing::json_lines(flags, lines) {
        let most = lines.split(|b| *b == b'\n').count();
        assert!(rows <= most, "{rows} rows from {most} lines");
    }
});
