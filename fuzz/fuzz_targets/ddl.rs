//! The Athena DDL parser: any text is a statement, not DDL, or an error
//! naming the line and column; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sql) = std::str::from_utf8(data) {
        let _ = lathe::fuzzing::ddl(sql);
    }
});
