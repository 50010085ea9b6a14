//! Inputs that once crashed a `cargo fuzz` target (fuzz/fuzz_targets/),
//! replayed in the normal test suite. Byte-input targets keep theirs as
//! files in `fuzz/regressions/<target>/`, run here through the same checks
//! as the target; structured-input targets (projection, csv_writer) keep
//! theirs as the decoded input, written out below.

use std::path::Path;

use lathe::fuzzing;

/// Runs `check` on every file in `fuzz/regressions/<target>/`; returns how many.
fn replay(target: &str, check: impl Fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let mut files: Vec<_> = entries.map(|e| e.expect("a folder entry").path()).collect();
    files.sort();
    for file in &files {
        let data = std::fs::read(file).expect("a regression input");
        eprintln!("replaying {}", file.display());
        check(&data);
    }
    files.len()
}

/// An error a user sees: one non-empty sentence.
fn assert_clean(error: &lathe::Error) {
    let text = error.to_string();
    assert!(!text.trim().is_empty(), "an empty error message");
    assert!(!text.contains("panicked"), "{text}");
}

#[test]
fn every_regression_folder_names_a_target() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let known = ["hive_type", "glue_table", "ddl", "json_lines", "json_pick"];
    for entry in std::fs::read_dir(dir).expect("fuzz/regressions") {
        let name = entry.expect("a folder entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            known.contains(&name.as_ref()),
            "no replay for fuzz/regressions/{name}"
        );
    }
}

#[test]
fn json_pick_regressions() {
    // Lines where the fast path must decline or agree with serde_json.
    let count = replay("json_pick", fuzzing::json_pick);
    assert!(count > 0, "fuzz/regressions/json_pick is empty");
}

#[test]
fn hive_type_regressions() {
    replay("hive_type", |data| {
        if let Ok(text) = std::str::from_utf8(data) {
            let _ = lathe::parse_hive_type(text);
        }
    });
}

#[test]
fn glue_table_regressions() {
    replay("glue_table", |data| match fuzzing::glue_table(data) {
        Ok(table) => {
            let text = fuzzing::glue_table_text(&table);
            let again = fuzzing::glue_table(text.as_bytes()).expect("reads back what it wrote");
            assert_eq!(again, fuzzing::glue_table_as_written(&table));
        }
        Err(e) => assert_clean(&e),
    });
}

#[test]
fn ddl_regressions() {
    replay("ddl", |data| {
        if let Ok(sql) = std::str::from_utf8(data)
            && let Some(Err(e)) = fuzzing::ddl(sql)
        {
            assert_clean(&e);
        }
    });
}

#[test]
fn json_lines_regressions() {
    replay("json_lines", |data| {
        let Some((&flags, lines)) = data.split_first() else {
            return;
        };
        match fuzzing::json_lines(flags, lines) {
            Ok(rows) => assert!(rows <= lines.split(|b| *b == b'\n').count()),
            Err(e) => assert_clean(&e),
        }
    });
}

fn projection(
    kind: &[(&str, &str)],
    equalities: &[(usize, &str)],
) -> lathe::Result<(fuzzing::Rows, fuzzing::Rows)> {
    let keys = [("a".to_string(), "bigint".to_string())];
    let mut properties = vec![("projection.enabled".to_string(), "true".to_string())];
    properties.extend(
        kind.iter()
            .map(|(k, v)| (format!("projection.a.{k}"), v.to_string())),
    );
    let equalities: Vec<_> = equalities
        .iter()
        .map(|(i, v)| (*i, v.to_string()))
        .collect();
    fuzzing::projection(&keys, &properties, &equalities)
}

#[test]
fn an_integer_projection_over_every_i64_counts_and_finds_its_values() {
    // Its 2^64 values used to count as 0 (the count wrapped), and finding or
    // generating values near the ends overflowed i64.
    let range = [
        ("type", "integer"),
        ("range", "-9223372036854775808,9223372036854775807"),
    ];
    let (sampled, partitions) = projection(&range, &[(0, "9223372036854775807")]).unwrap();
    let values = &sampled[0];
    assert_eq!(values.len(), 2 * fuzzing::SAMPLED_VALUES as usize);
    assert_eq!(values[0], "-9223372036854775808");
    assert_eq!(values[values.len() - 1], "9223372036854775807");
    assert_eq!(partitions, vec![vec!["9223372036854775807".to_string()]]);
    let (_, partitions) = projection(&range, &[(0, "-3")]).unwrap();
    assert_eq!(partitions, vec![vec!["-3".to_string()]]);
}

#[test]
fn a_key_with_no_value_left_selects_nothing_without_listing_the_others() {
    // Found by fuzzing: with the second key narrowed to nothing, the product
    // of the selections was 0, under the limit, and the first key's billion
    // values were listed before the product was taken (a 24 GB allocation).
    let keys = [
        ("a".to_string(), "bigint".to_string()),
        ("b".to_string(), "string".to_string()),
    ];
    let properties: Vec<(String, String)> = [
        ("projection.enabled", "true"),
        ("projection.a.type", "integer"),
        ("projection.a.range", "1,1000000000"),
        ("projection.b.type", "enum"),
        ("projection.b.values", "x,y"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (_, partitions) = fuzzing::projection(&keys, &properties, &[(1, "z".to_string())]).unwrap();
    assert!(partitions.is_empty());
    let (_, partitions) = fuzzing::projection(
        &keys,
        &properties,
        &[(1, "y".to_string()), (0, "7".to_string())],
    )
    .unwrap();
    assert_eq!(partitions, vec![vec!["7".to_string(), "y".to_string()]]);
}

#[test]
fn a_date_projection_step_too_large_for_chrono_is_refused() {
    // `interval` × the unit used to overflow: a panic in chrono's Duration
    // (DAYS, SECONDS), an i64 overflow (YEARS); MONTHS past u32::MAX months
    // is refused the same way.
    for unit in ["DAYS", "SECONDS", "MONTHS", "YEARS"] {
        let date = [
            ("type", "date"),
            ("format", "yyyy-MM-dd"),
            ("range", "2024-01-01,2024-12-31"),
            ("interval", "4611686018427387904"),
            ("interval.unit", unit),
        ];
        let error = projection(&date, &[]).unwrap_err();
        assert_clean(&error);
        assert!(
            error.to_string().contains("projection.a.interval"),
            "{error}"
        );
        assert!(error.to_string().contains("too large"), "{error}");
    }
}

#[test]
fn a_now_relative_bound_past_the_last_date_is_refused() {
    // `NOW+N DAYS` past chrono's last date used to panic adding the span.
    for bound in [
        "NOW+100000000 DAYS",
        "NOW-9223372036854775807 YEARS",
        "NOW+10000000000 WEEKS",
    ] {
        let date = [
            ("type", "date"),
            ("format", "yyyy-MM-dd"),
            ("range", &format!("NOW-1DAYS,{bound}")),
        ];
        let error = projection(&date, &[]).unwrap_err();
        assert_clean(&error);
        assert!(error.to_string().contains("projection.a.range"), "{error}");
    }
}
