//! The JSON line fast path (src/json/scan.rs) against serde_json alone: on
//! any bytes, the same verdict, the same picked values, the same error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &[u8]| lathe::fuzzing::json_pick(line));
