//! Unit tests of `java_date`.

use super::*;

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

#[test]
fn formats_and_parses_firehose_hours() {
    let p = DatePattern::parse("yyyy/MM/dd/HH").unwrap();
    assert_eq!(p.format(&at("2024-05-04 07:30:00")), "2024/05/04/07");
    assert_eq!(
        p.parse_value("2024/05/04/07"),
        Some(at("2024-05-04 07:00:00"))
    );
    assert_eq!(p.parse_value("2024/05/04/7"), None);
    assert_eq!(p.parse_value("2024/05/04/07/"), None);
    assert_eq!(p.parse_value("2024/02/30/00"), None);
    assert_eq!(p.finest_field(), Field::Hour);
    assert!(p.sorts_chronologically());
    assert_eq!(
        p.truncate(&at("2024-05-04 07:30:09")),
        at("2024-05-04 07:00:00")
    );
}

#[test]
fn quoted_literals_and_loose_widths() {
    let p = DatePattern::parse("'dt='yyyy-M-d").unwrap();
    assert_eq!(p.format(&at("2024-05-04 00:00:00")), "dt=2024-5-4");
    assert_eq!(
        p.parse_value("dt=2024-12-31"),
        Some(at("2024-12-31 00:00:00"))
    );
    assert!(!p.sorts_chronologically());
    assert!(
        !DatePattern::parse("dd-MM-yyyy")
            .unwrap()
            .sorts_chronologically()
    );
    let p = DatePattern::parse("yyyyMMdd''HHmmss.SSS").unwrap();
    assert_eq!(p.format(&at("2024-05-04 01:02:03")), "20240504'010203.000");
}

#[test]
fn unsupported_letters_are_named() {
    assert!(
        DatePattern::parse("yyyy-MM-dd z")
            .unwrap_err()
            .contains("'z'")
    );
    assert!(DatePattern::parse("yy-MM").is_err());
    assert!(DatePattern::parse("'x").is_err());
    assert!(DatePattern::parse("--").is_err());
}
