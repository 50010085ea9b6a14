//! Properties → projection → partitions, without disk.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::logical_expr::{Expr, col, lit};

use super::*;
use crate::catalog::{Column as CatalogColumn, JsonSerde, StorageFormat, TableDef};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 7, 18, 25, 13).unwrap()
}

fn table(keys: &[(&str, DataType)], params: &[(&str, &str)]) -> TableDef {
    TableDef {
        database: "db".into(),
        name: "t".into(),
        columns: Vec::new(),
        partition_keys: keys
            .iter()
            .map(|(n, t)| CatalogColumn {
                name: n.to_string(),
                type_string: t.to_string(),
                data_type: t.clone(),
                comment: None,
            })
            .collect(),
        location: "s3://b/t/".into(),
        format: StorageFormat::Json(JsonSerde::OpenX),
        parameters: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain([("projection.enabled".to_string(), "true".to_string())])
            .collect::<HashMap<_, _>>(),
        serde_parameters: HashMap::new(),
        comment: None,
        storage: Default::default(),
        view: None,
    }
}

fn projection(keys: &[(&str, DataType)], params: &[(&str, &str)]) -> Projection {
    Projection::from_table(&table(keys, params), now())
        .unwrap()
        .unwrap()
}

fn error(keys: &[(&str, DataType)], params: &[(&str, &str)]) -> String {
    Projection::from_table(&table(keys, params), now())
        .unwrap_err()
        .to_string()
}

fn values(p: &Projection, filters: &[Expr]) -> Vec<String> {
    p.partitions(filters, |v| format!("default/{}", v.join("/")))
        .unwrap()
        .into_iter()
        .map(|p| p.values.join("|"))
        .collect()
}

fn hourly() -> Projection {
    projection(
        &[("datehour", DataType::Utf8)],
        &[
            ("projection.datehour.type", "date"),
            ("projection.datehour.format", "yyyy/MM/dd/HH"),
            ("projection.datehour.range", "2021/05/01/00,NOW"),
            ("projection.datehour.interval", "1"),
            ("projection.datehour.interval.unit", "HOURS"),
            (
                "storage.location.template",
                "s3://raw/firehose/${datehour}/",
            ),
        ],
    )
}

#[test]
fn disabled_projection_is_none() {
    let mut t = table(&[("k", DataType::Utf8)], &[]);
    t.parameters
        .insert("projection.enabled".into(), "false".into());
    assert!(Projection::from_table(&t, now()).unwrap().is_none());
}

#[test]
fn one_hour_of_years_is_found_without_enumerating() {
    let p = hourly();
    let dh = || col("datehour");
    let parts = p
        .partitions(&[dh().eq(lit("2024/05/04/18"))], |_| unreachable!())
        .unwrap();
    assert_eq!(
        parts,
        vec![ProjectedPartition {
            values: vec!["2024/05/04/18".into()],
            location: "s3://raw/firehose/2024/05/04/18/".into()
        }]
    );
    // A range narrows by binary search, bounds as written (string order).
    assert_eq!(
        values(
            &p,
            &[dh().between(lit("2024/05/04/22"), lit("2024/05/05/01"))]
        ),
        [
            "2024/05/04/22",
            "2024/05/04/23",
            "2024/05/05/00",
            "2024/05/05/01"
        ]
    );
    assert_eq!(
        values(&p, &[dh().gt(lit("2024/05/07/16"))]),
        ["2024/05/07/17", "2024/05/07/18"],
        "NOW is 18:25, so 18 is the last hour"
    );
    assert_eq!(
        values(&p, &[dh().lt(lit("2021/05/01/01"))]),
        ["2021/05/01/00"]
    );
    // A prefix of a value bounds too.
    assert_eq!(values(&p, &[dh().gt_eq(lit("2024/05/07"))]).len(), 19);
    // Outside the range, or not a value of the format: nothing.
    assert!(values(&p, &[dh().eq(lit("2020/01/01/00"))]).is_empty());
    assert!(values(&p, &[dh().eq(lit("2024/05/04/7"))]).is_empty());
    assert!(values(&p, &[dh().gt(lit("2025"))]).is_empty());
    // Unconstrained: every hour from the start up to now.
    assert_eq!(values(&p, &[]).len(), 3 * 365 * 24 + 24 + 6 * 24 + 19);
}

#[test]
fn or_of_ranges_and_points() {
    let p = hourly();
    let dh = || col("datehour");
    let filter = dh()
        .eq(lit("2022/01/01/05"))
        .or(dh().in_list(vec![lit("2022/01/01/07"), lit("2022/01/01/03")], false));
    assert_eq!(
        values(&p, &[filter]),
        ["2022/01/01/03", "2022/01/01/05", "2022/01/01/07"]
    );
    // The hull of two ranges: exact filtering later removes the gap.
    let filter = dh()
        .between(lit("2022/01/01/00"), lit("2022/01/01/01"))
        .or(dh().between(lit("2022/01/01/04"), lit("2022/01/01/05")));
    assert_eq!(values(&p, &[filter]).len(), 6);
}

#[test]
fn date_defaults_and_units() {
    let p = projection(
        &[("dt", DataType::Utf8)],
        &[
            ("projection.dt.type", "date"),
            ("projection.dt.format", "yyyy-MM-dd"),
            ("projection.dt.range", "NOW-3DAYS,NOW"),
        ],
    );
    assert_eq!(
        values(&p, &[]),
        ["2024-05-04", "2024-05-05", "2024-05-06", "2024-05-07"]
    );
    let p = projection(
        &[("month", DataType::Utf8)],
        &[
            ("projection.month.type", "date"),
            ("projection.month.format", "yyyy-MM"),
            ("projection.month.range", "2023-11,2024-04"),
            ("projection.month.interval", "2"),
            ("projection.month.interval.unit", "months"),
        ],
    );
    assert_eq!(values(&p, &[]), ["2023-11", "2024-01", "2024-03"]);
    assert!(values(&p, &[col("month").eq(lit("2023-12"))]).is_empty());
    assert_eq!(values(&p, &[col("month").eq(lit("2024-03"))]), ["2024-03"]);
    // A date-typed column compares as dates.
    let p = projection(
        &[("d", DataType::Date32)],
        &[
            ("projection.d.type", "date"),
            ("projection.d.format", "yyyy-MM-dd"),
            ("projection.d.range", "2024-01-01,2024-12-31"),
            ("projection.d.interval.unit", "WEEKS"),
        ],
    );
    assert_eq!(values(&p, &[]).len(), 53);
    let d = |s: &str| {
        lit(ScalarValue::Date32(Some(
            (chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
                - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
            .num_days() as i32,
        )))
    };
    assert_eq!(
        values(&p, &[col("d").gt(d("2024-12-01"))]),
        [
            "2024-12-02",
            "2024-12-09",
            "2024-12-16",
            "2024-12-23",
            "2024-12-30"
        ]
    );
    assert_eq!(values(&p, &[col("d").eq(d("2024-01-08"))]), ["2024-01-08"]);
    // A timestamp column: literals are instants, values are the format's text.
    let p = projection(
        &[("ts", DataType::Timestamp(TimeUnit::Millisecond, None))],
        &[
            ("projection.ts.type", "date"),
            ("projection.ts.format", "yyyy-MM-dd HH:mm:ss"),
            (
                "projection.ts.range",
                "2024-01-01 00:00:00,2024-01-02 00:00:00",
            ),
            ("projection.ts.interval", "6"),
            ("projection.ts.interval.unit", "HOURS"),
        ],
    );
    let ts = |s: &str| {
        lit(ScalarValue::TimestampMillisecond(
            Some(
                chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                    .unwrap()
                    .and_utc()
                    .timestamp_millis(),
            ),
            None,
        ))
    };
    assert_eq!(
        values(&p, &[]).len(),
        5,
        "every 6 hours: the format's finest unit"
    );
    assert_eq!(
        values(&p, &[col("ts").eq(ts("2024-01-01 12:00:00"))]),
        ["2024-01-01 12:00:00"]
    );
    assert_eq!(
        values(&p, &[col("ts").gt(ts("2024-01-01 12:00:00"))]),
        ["2024-01-01 18:00:00", "2024-01-02 00:00:00"]
    );
}

#[test]
fn integers_enums_and_the_default_location() {
    let p = projection(
        &[("region", DataType::Utf8), ("hour", DataType::Utf8)],
        &[
            ("projection.region.type", "enum"),
            ("projection.region.values", "eu, us,ap"),
            ("projection.hour.type", "integer"),
            ("projection.hour.range", "0,23"),
            ("projection.hour.digits", "2"),
        ],
    );
    let parts = p
        .partitions(
            &[
                col("region").in_list(vec![lit("us"), lit("mars")], false),
                col("hour").between(lit("08"), lit("09")),
            ],
            |v| format!("s3://b/t/region={}/hour={}/", v[0], v[1]),
        )
        .unwrap();
    assert_eq!(
        parts
            .iter()
            .map(|p| p.location.as_str())
            .collect::<Vec<_>>(),
        ["s3://b/t/region=us/hour=08/", "s3://b/t/region=us/hour=09/"]
    );
    assert_eq!(values(&p, &[]).len(), 3 * 24);
    let p = projection(
        &[("n", DataType::Int32)],
        &[
            ("projection.n.type", "integer"),
            ("projection.n.range", "10,100"),
            ("projection.n.interval", "10"),
        ],
    );
    assert_eq!(values(&p, &[col("n").lt_eq(lit(30))]), ["10", "20", "30"]);
    assert_eq!(values(&p, &[col("n").eq(lit(35))]), Vec::<String>::new());
    assert_eq!(values(&p, &[col("n").eq(lit(100))]), ["100"]);
}

#[test]
fn injected_values_come_from_equality() {
    let p = projection(
        &[("device", DataType::Utf8)],
        &[
            ("projection.device.type", "injected"),
            ("storage.location.template", "s3://b/t/${device}/x/"),
        ],
    );
    let parts = p
        .partitions(
            &[col("device").in_list(vec![lit("a1"), lit("b2")], false)],
            |_| unreachable!(),
        )
        .unwrap();
    assert_eq!(parts[1].location, "s3://b/t/b2/x/");
    let message = "For the injected projected partition column device, the WHERE clause must \
                   contain only static equality conditions, and at least one such condition \
                   must be present.";
    for filters in [vec![], vec![col("device").gt(lit("a"))]] {
        let err = p.partitions(&filters, |_| unreachable!()).unwrap_err();
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn bad_properties_are_named() {
    let k = [("dh", DataType::Utf8)];
    assert_eq!(
        error(&k, &[]),
        "table db.t: partition column dh has no projection configured; set projection.dh.type \
         (enum, integer, date or injected) or turn projection.enabled off"
    );
    let e = error(&k, &[("projection.dh.type", "datetime")]);
    assert!(e.contains("projection.dh.type = \"datetime\""), "{e}");
    let e = error(
        &k,
        &[
            ("projection.dh.type", "integer"),
            ("projection.dh.range", "0-23"),
        ],
    );
    assert!(e.contains("projection.dh.range = \"0-23\""), "{e}");
    let e = error(
        &k,
        &[
            ("projection.dh.type", "date"),
            ("projection.dh.format", "yyyy-MM-dd"),
            ("projection.dh.range", "2024/01/01,NOW"),
        ],
    );
    assert!(
        e.contains("projection.dh.range = \"2024/01/01,NOW\""),
        "{e}"
    );
    let e = error(
        &k,
        &[
            ("projection.dh.type", "date"),
            ("projection.dh.format", "yyyy-MM-dd"),
            ("projection.dh.range", "NOW-1DAYS,NOW"),
            ("projection.dh.interval.unit", "FORTNIGHTS"),
        ],
    );
    assert!(
        e.contains("projection.dh.interval.unit = \"FORTNIGHTS\""),
        "{e}"
    );
    let e = error(
        &k,
        &[
            ("projection.dh.type", "enum"),
            ("projection.dh.values", "a"),
            ("storage.location.template", "s3://b/${other}/"),
        ],
    );
    assert!(
        e.contains("storage.location.template") && e.contains("${dh}"),
        "{e}"
    );
}

#[test]
fn too_many_partitions_are_refused() {
    let p = projection(
        &[("a", DataType::Utf8), ("b", DataType::Utf8)],
        &[
            ("projection.a.type", "integer"),
            ("projection.a.range", "1,2000"),
            ("projection.b.type", "integer"),
            ("projection.b.range", "1,2000"),
        ],
    );
    let err = p
        .partitions(&[], |_| String::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("4000000 projected partitions"), "{err}");
    // Narrowed, it is fine.
    assert_eq!(values(&p, &[col("a").eq(lit("7"))]).len(), 2000);
}
