//! The Glue JSON catalog loader: any bytes give a table definition or an
//! error naming the file; a definition lathe loads, written back as the
//! local catalog writes it, loads as an equal definition (with its format's
//! class names filled in when it named none). The same bytes are
//! also read as a partitions file for the loaded table.
#![no_main]

use lathe::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(table) = fuzzing::glue_table(data) else {
        return;
    };
    let text = fuzzing::glue_table_text(&table);
    let again = fuzzing::glue_table(text.as_bytes())
        .unwrap_or_else(|e| panic!("lathe cannot read back what it wrote: {e}\n{text}"));
    assert_eq!(
        again,
        fuzzing::glue_table_as_written(&table),
        "the table changed through a write and a read\n{text}"
    );
    let _ = fuzzing::glue_partitions(&table, data);
});
