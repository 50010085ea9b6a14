//! The Hive type parser: any text gives an Arrow type or an error, never a
//! panic or a stack overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = lathe::parse_hive_type(text);
    }
});
