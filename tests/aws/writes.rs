//! Writes against the test servers: Glue DDL run side by side with the local
//! catalog (the same statements must give the same output and errors), CTAS
//! and INSERT INTO registered in Glue with data in S3, `-o s3://...` exports
//! and UNLOAD on both S3 servers, read back object by object. A failed write
//! must leave no object (and no multipart upload in progress), and an
//! existing object is kept without `--force`.

use std::io::Read;
use std::process::Command;

use libtest_mimic::Failed;

use super::{Env, Output, S3Server, aws_lathe, check, expect_error, local_lathe, run};

/// The bucket the write tests write to, on the writes moto and on s3s-fs.
pub const BUCKET: &str = "lathe-out";

/// A query that fails (division by zero) after 300,000 of its rows.
const FAILING: &str = "SELECT value, CASE WHEN value < 300000 THEN 1 ELSE 1 / (value - value) \
                       END AS x FROM range(0, 400000)";

/// The S3 endpoint writes go to for `server`.
fn endpoint(env: &Env, server: S3Server) -> &str {
    match server {
        S3Server::Moto => &env.writes.endpoint,
        S3Server::S3s => &env.s3s.endpoint,
    }
}

/// lathe on the Glue of the writes moto, with S3 at `s3`.
fn glue_lathe(env: &Env, s3: &str) -> Command {
    let mut cmd = aws_lathe(env, s3, "glue");
    cmd.env("AWS_ENDPOINT_URL_GLUE", &env.writes.endpoint);
    cmd
}

/// Runs `tests/aws/seed.py` (ls, get) against `endpoint`; its stdout.
fn s3_tool(env: &Env, endpoint: &str, args: &[&str]) -> Result<Vec<u8>, Failed> {
    let out = Command::new(&env.python)
        .arg(env.repo.join("tests/aws/seed.py"))
        .arg(args[0])
        .arg(endpoint)
        .args(&args[1..])
        .env("AWS_ACCESS_KEY_ID", super::KEY)
        .env("AWS_SECRET_ACCESS_KEY", super::SECRET)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .output()?;
    check(out.status.success(), || {
        format!("seed.py {args:?}: {}", String::from_utf8_lossy(&out.stderr))
    })?;
    Ok(out.stdout)
}

/// Keys under `prefix`, and (on moto) multipart uploads still open there.
fn listing(env: &Env, server: S3Server, prefix: &str) -> Result<Vec<String>, Failed> {
    let mut args = vec!["ls", BUCKET];
    if matches!(server, S3Server::Moto) {
        args.push("uploads");
    }
    let text = String::from_utf8(s3_tool(env, endpoint(env, server), &args)?)?;
    Ok(text
        .lines()
        .filter(|l| l.trim_start_matches("upload ").starts_with(prefix))
        .map(str::to_string)
        .collect())
}

fn object(env: &Env, server: S3Server, key: &str) -> Result<Vec<u8>, Failed> {
    s3_tool(env, endpoint(env, server), &["get", BUCKET, key])
}

fn ok(out: &Output, what: &str) -> Result<(), Failed> {
    check(out.code == 0 && out.stderr.is_empty(), || {
        format!("{what}: exit {}: {}", out.code, out.stderr)
    })
}

fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, Failed> {
    let mut text = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut text)?;
    Ok(text)
}

/// `-o s3://...` in CSV, gzipped CSV and Parquet: the objects hold exactly
/// the bytes of the same export to a local file; an existing object is kept
/// without --force; a query failing midway leaves no object.
pub fn exports(env: &Env, server: S3Server) -> Result<(), Failed> {
    let s3 = endpoint(env, server);
    let dir = tempfile::tempdir()?;
    let query = "SELECT value AS id, concat('name \"', CAST(value AS VARCHAR)) AS name, \
                 CASE WHEN value % 5 = 0 THEN NULL ELSE value * 0.5 END AS half \
                 FROM range(0, 3000)";
    for name in ["rows.csv", "rows.csv.gz", "rows.parquet"] {
        let local = dir.path().join(name);
        let out = run(local_lathe(&env.repo).args(["-c", query, "-o"]).arg(&local));
        ok(&out, name)?;
        let key = format!("exports/{name}");
        let url = format!("s3://{BUCKET}/{key}");
        let out = run(aws_lathe(env, s3, "catalog").args(["-c", query, "-o", &url]));
        ok(&out, &url)?;
        let expected = std::fs::read(&local)?;
        let got = object(env, server, &key)?;
        if name.ends_with(".gz") {
            let (expected, got) = (gunzip(&expected)?, gunzip(&got)?);
            check(expected == got, || format!("{url}: the CSV inside differs"))?;
            check(expected.starts_with(b"\"id\",\"name\",\"half\"\n"), || {
                String::from_utf8_lossy(&expected[..40]).into_owned()
            })?;
        } else {
            check(expected == got, || {
                format!(
                    "{url}: {} bytes, the local export {} bytes",
                    got.len(),
                    expected.len()
                )
            })?;
        }
        if name == "rows.csv" {
            let text = String::from_utf8(got)?;
            check(text.lines().count() == 3001, || format!("{url}: rows"))?;
            check(text.contains("\n\"7\",\"name \"\"7\",\"3.5\"\n"), || {
                format!("{url}: row 7 is not Athena's CSV")
            })?;
            check(text.contains("\n\"10\",\"name \"\"10\",\n"), || {
                format!("{url}: NULL is not an empty field")
            })?;
        }
    }

    // An existing object is kept without --force, replaced with it.
    let url = format!("s3://{BUCKET}/exports/rows.csv");
    let small = "SELECT 42 AS answer";
    let out = run(aws_lathe(env, s3, "catalog").args(["-c", small, "-o", &url]));
    // A destination refused before the query runs is a usage error (exit 2).
    check(
        out.code == 2
            && out.stderr
                == format!(
                    "error: {url} already exists; pass --force (or \\export! in the shell) to \
                     overwrite it\n"
                ),
        || format!("exit {}: {:?}", out.code, out.stderr),
    )?;
    check(
        object(env, server, "exports/rows.csv")?.len() > 10_000,
        || "the existing object changed".into(),
    )?;
    let out = run(aws_lathe(env, s3, "catalog").args(["-c", small, "-o", &url, "--force"]));
    ok(&out, "--force")?;
    check(
        object(env, server, "exports/rows.csv")? == b"\"answer\"\n\"42\"\n",
        || "--force did not replace the object".into(),
    )?;

    // A query failing midway: no object, no upload left open.
    let url = format!("s3://{BUCKET}/exports/failed.csv");
    let out = run(aws_lathe(env, s3, "catalog").args(["-c", FAILING, "-o", &url]));
    check(
        out.code == 1 && out.stderr.contains("Divide by zero"),
        || format!("exit {}: {}", out.code, out.stderr),
    )?;
    let left = listing(env, server, "exports/failed")?;
    check(left.is_empty(), || format!("left behind: {left:?}"))
}

/// UNLOAD to S3: JSON objects read back row for row; a second UNLOAD to the
/// same (now non-empty) place is refused; a failing UNLOAD leaves nothing.
pub fn unload(env: &Env, server: S3Server) -> Result<(), Failed> {
    let s3 = endpoint(env, server);
    let target = format!("s3://{BUCKET}/unload/ok/");
    let sql = format!(
        "UNLOAD (SELECT value AS id, value * 2 AS doubled FROM range(0, 100)) TO '{target}' \
         WITH (format = 'JSON', compression = 'NONE')"
    );
    ok(
        &run(aws_lathe(env, s3, "catalog").args(["-c", &sql])),
        "UNLOAD",
    )?;
    let keys = listing(env, server, "unload/ok/")?;
    check(!keys.is_empty(), || "UNLOAD wrote nothing".into())?;
    let (mut rows, mut ids, mut sum) = (0, 0, 0);
    for key in &keys {
        check(!key.starts_with("upload "), || format!("open upload {key}"))?;
        for line in String::from_utf8(object(env, server, key)?)?.lines() {
            let row: serde_json::Value = serde_json::from_str(line)?;
            rows += 1;
            ids += row["id"].as_i64().ok_or("no id")?;
            sum += row["doubled"].as_i64().ok_or("no doubled")?;
        }
    }
    check(rows == 100 && ids == 4950 && sum == 9900, || {
        format!("{rows} rows, ids {ids}, doubled {sum}")
    })?;

    let out = run(aws_lathe(env, s3, "catalog").args(["-c", &sql]));
    let first = keys[0].rsplit('/').next().unwrap_or_default();
    check(
        out.code == 1
            && out.stderr
                == format!(
                    "error: UNLOAD: the target {target} is not empty (it holds {first}); UNLOAD \
                     writes only to an empty location\n"
                ),
        || format!("exit {}: {}", out.code, out.stderr),
    )?;

    let failing =
        format!("UNLOAD ({FAILING}) TO 's3://{BUCKET}/unload/failed/' WITH (format = 'JSON')");
    let out = run(aws_lathe(env, s3, "catalog").args(["-c", &failing]));
    check(
        out.code == 1 && out.stderr.contains("Divide by zero"),
        || format!("exit {}: {}", out.code, out.stderr),
    )?;
    let left = listing(env, server, "unload/failed")?;
    check(left.is_empty(), || format!("left behind: {left:?}"))
}

/// CTAS into S3, registered in Glue, read back in the same session and in
/// the next; INSERT INTO appends and registers its new partition.
pub fn ctas_and_insert(env: &Env, server: S3Server) -> Result<(), Failed> {
    let s3 = endpoint(env, server);
    let db = format!("gw_ctas_{server:?}").to_lowercase();
    let location = format!("s3://{BUCKET}/ctas/{db}/sums/");
    let totals = format!(
        "SELECT grp, count(*) AS n, sum(doubled) AS s FROM {db}.sums GROUP BY grp ORDER BY grp"
    );
    let script = format!(
        "CREATE DATABASE {db}; \
         CREATE TABLE {db}.sums WITH (format = 'PARQUET', external_location = '{location}', \
           partitioned_by = ARRAY['grp']) \
         AS SELECT value AS id, value * 2 AS doubled, CAST(value % 3 AS VARCHAR) AS grp \
         FROM range(0, 30); \
         {totals}"
    );
    let expected = "grp,n,s\n0,10,270\n1,10,290\n2,10,310\n";
    let out = run(glue_lathe(env, s3).args(["--format", "csv", "-c", &script]));
    ok(&out, "CTAS")?;
    check(out.stdout.replace('"', "") == expected, || {
        out.stdout.clone()
    })?;

    let out = run(glue_lathe(env, s3).args([
        "--format",
        "csv",
        "-c",
        &format!("SHOW PARTITIONS {db}.sums"),
    ]));
    ok(&out, "SHOW PARTITIONS")?;
    check(
        out.stdout.replace('"', "") == "partition\ngrp=0\ngrp=1\ngrp=2\n",
        || out.stdout.clone(),
    )?;
    let out = run(glue_lathe(env, s3).args([
        "--format",
        "csv",
        "-c",
        &format!("SHOW CREATE TABLE {db}.sums"),
    ]));
    ok(&out, "SHOW CREATE TABLE")?;
    check(out.stdout.contains(&location), || out.stdout.clone())?;

    let insert = format!(
        "INSERT INTO {db}.sums SELECT value, value * 2, 'new' FROM range(100, 105); {totals}"
    );
    let out = run(glue_lathe(env, s3).args(["--format", "csv", "-c", &insert]));
    ok(&out, "INSERT INTO")?;
    check(
        out.stdout.replace('"', "") == format!("{expected}new,5,1020\n"),
        || out.stdout.clone(),
    )?;
    let out = run(glue_lathe(env, s3).args([
        "--format",
        "csv",
        "-c",
        &format!("SHOW PARTITIONS {db}.sums"),
    ]));
    check(
        out.stdout.replace('"', "") == "partition\ngrp=0\ngrp=1\ngrp=2\ngrp=new\n",
        || out.stdout.clone(),
    )?;
    let keys = listing(env, server, &format!("ctas/{db}/sums/"))?;
    for folder in ["grp=0/", "grp=1/", "grp=2/", "grp=new/"] {
        check(
            keys.iter()
                .any(|k| k.contains(folder) && k.ends_with(".parquet")),
            || format!("no Parquet object in {folder}: {keys:?}"),
        )?;
    }
    check(!keys.iter().any(|k| k.starts_with("upload ")), || {
        format!("open uploads: {keys:?}")
    })
}

/// One step of the DDL script: SQL run in one process, and whether it must fail.
struct Step {
    sql: String,
    fails: bool,
}

fn step(sql: &str, fails: bool) -> Step {
    Step {
        sql: sql.to_string(),
        fails,
    }
}

/// Every DDL statement, run step by step against Glue and against a local
/// catalog folder (both reading the sample's orders from moto's S3): each
/// step must print the same rows, or fail with the same sentence.
pub fn ddl_round_trip(env: &Env) -> Result<(), Failed> {
    let create = "CREATE EXTERNAL TABLE gw_ddl.orders (order_id bigint COMMENT 'key', \
                  customer_id bigint, total decimal(12,2)) COMMENT 'orders again' \
                  PARTITIONED BY (order_date date) STORED AS PARQUET \
                  LOCATION 's3://acme-warehouse/master/orders/' \
                  TBLPROPERTIES ('classification' = 'parquet')";
    let by_day = "SELECT order_date, count(*) AS n, sum(total) AS total FROM gw_ddl.orders \
                  GROUP BY 1 ORDER BY 1";
    let steps = [
        step("CREATE DATABASE gw_ddl COMMENT 'written by lathe'", false),
        step("CREATE DATABASE gw_ddl", true),
        step(
            "CREATE DATABASE IF NOT EXISTS gw_ddl; SHOW DATABASES LIKE 'gw_ddl*'",
            false,
        ),
        step(&format!("{create}; SHOW TABLES IN gw_ddl"), false),
        step(create, true),
        step("DESCRIBE FORMATTED gw_ddl.orders", false),
        step("SHOW CREATE TABLE gw_ddl.orders", false),
        step("SHOW TBLPROPERTIES gw_ddl.orders", false),
        // Nothing registered: folders are discovered. Then two registered:
        // only those are read, in the same session.
        step(
            &format!(
                "{by_day}; ALTER TABLE gw_ddl.orders ADD PARTITION (order_date = '2024-05-03') \
                 PARTITION (order_date = '2024-05-04'); {by_day}"
            ),
            false,
        ),
        step(
            "ALTER TABLE gw_ddl.orders ADD PARTITION (order_date = '2024-05-03')",
            true,
        ),
        step(
            "ALTER TABLE gw_ddl.orders ADD IF NOT EXISTS PARTITION (order_date = '2024-05-03') \
             PARTITION (order_date = '2024-05-05'); SHOW PARTITIONS gw_ddl.orders",
            false,
        ),
        step(
            "ALTER TABLE gw_ddl.orders ADD PARTITION (day = '2024-05-03')",
            true,
        ),
        step(
            &format!("MSCK REPAIR TABLE gw_ddl.orders; SHOW PARTITIONS gw_ddl.orders; {by_day}"),
            false,
        ),
        step(
            "ALTER TABLE gw_ddl.orders DROP PARTITION (order_date = '2024-05-03'), \
             PARTITION (order_date = '2024-05-04'); SHOW PARTITIONS gw_ddl.orders",
            false,
        ),
        step(
            "ALTER TABLE gw_ddl.orders DROP PARTITION (order_date = '2024-05-03')",
            true,
        ),
        step(
            &format!(
                "ALTER TABLE gw_ddl.orders DROP IF EXISTS PARTITION (order_date = '2024-05-03'); \
                 {by_day}"
            ),
            false,
        ),
        step("DROP DATABASE gw_ddl", true),
        step("DROP TABLE gw_ddl.orders; SHOW TABLES IN gw_ddl", false),
        step("DROP TABLE gw_ddl.orders", true),
        step("SELECT count(*) FROM gw_ddl.orders", true),
        step(
            "DROP TABLE IF EXISTS gw_ddl.orders; DROP DATABASE gw_ddl; \
             SHOW DATABASES LIKE 'gw_ddl*'",
            false,
        ),
        step("DROP DATABASE gw_ddl", true),
        step(
            "CREATE DATABASE gw_ddl2; CREATE EXTERNAL TABLE gw_ddl2.products (product_id bigint) \
             STORED AS PARQUET LOCATION 's3://acme-warehouse/master/products/'; \
             DROP DATABASE gw_ddl2 CASCADE; SHOW DATABASES LIKE 'gw_ddl*'",
            false,
        ),
    ];
    let folder = tempfile::tempdir()?;
    let local_catalog = folder.path().to_str().ok_or("temporary folder not UTF-8")?;
    let mut outputs = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let local = run(aws_lathe(env, &env.moto.endpoint, local_catalog)
            .args(["--format", "csv", "-c", &step.sql]));
        let glue =
            run(glue_lathe(env, &env.moto.endpoint).args(["--format", "csv", "-c", &step.sql]));
        let what = format!("step {i}: {}", step.sql);
        check(local.code == i32::from(step.fails), || {
            format!(
                "{what}: local catalog: exit {}: {}",
                local.code, local.stderr
            )
        })?;
        check(
            (glue.code, &glue.stdout, &glue.stderr) == (local.code, &local.stdout, &local.stderr),
            || {
                format!(
                    "{what}\n--- Glue (exit {})\n{}{}\n--- local (exit {})\n{}{}",
                    glue.code, glue.stdout, glue.stderr, local.code, local.stdout, local.stderr
                )
            },
        )?;
        outputs.push(glue.stdout);
    }
    // The rows are the sample's: after the drops, every day but 05-03 and 05-04.
    let sample = run(local_lathe(&env.repo).args([
        "--format",
        "csv",
        "-c",
        "SELECT order_date, count(*) AS n, sum(total) AS total FROM master.orders \
         WHERE order_date NOT IN (DATE '2024-05-03', DATE '2024-05-04') GROUP BY 1 ORDER BY 1",
    ]));
    ok(&sample, "the sample's orders")?;
    check(sample.stdout.lines().count() == 6, || sample.stdout.clone())?;
    let after_drops = &outputs[15];
    check(after_drops == &sample.stdout, || {
        format!(
            "after the drops:\n{after_drops}\nthe sample:\n{}",
            sample.stdout
        )
    })
}

/// Errors only Glue has: a relative location, an unknown database for a
/// table, and access denied for writes.
pub fn glue_write_errors(env: &Env) -> Result<(), Failed> {
    let out = run(glue_lathe(env, &env.moto.endpoint).args([
        "-c",
        "CREATE DATABASE gw_err; CREATE EXTERNAL TABLE gw_err.t (a int) STORED AS PARQUET \
         LOCATION 'data/t/'",
    ]));
    expect_error(
        &out,
        "statement 2: data/t/: a location in Glue must be a URL (s3://bucket/prefix/ or file:///path/); \
         relative locations work only in a local catalog folder",
    )?;
    let out = run(glue_lathe(env, &env.moto.endpoint).args([
        "-c",
        "CREATE EXTERNAL TABLE gw_nowhere.t (a int) STORED AS PARQUET LOCATION 's3://b/t/'",
    ]));
    expect_error(&out, "database gw_nowhere does not exist")?;

    let (key, secret) = &env.reader_keys;
    let out = run(aws_lathe(env, &env.deny.endpoint, "glue")
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_ENDPOINT_URL_GLUE", &env.deny.endpoint)
        .args(["-c", "CREATE DATABASE gw_denied"]));
    expect_error(
        &out,
        "access denied to Glue database gw_denied; the AWS identity in use lacks permission \
         for it (check AWS_PROFILE and its IAM policy)",
    )
}

/// Copies a folder tree (the sample catalog, for a local side by side run).
fn copy_tree(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Views through Glue as through the local catalog: the sample's Athena-made
/// view (seeded into Glue from `catalog/master/daily_revenue.json`) is read,
/// views over it are created, replaced, shown and dropped, each step printing
/// the same rows or failing with the same sentence on both; and the entry
/// lathe writes to Glue has Athena's shape, decoded by Python.
pub fn views_round_trip(env: &Env) -> Result<(), Failed> {
    let steps = [
        step(
            "SELECT count(*), sum(orders), sum(revenue) FROM master.daily_revenue",
            false,
        ),
        step("CREATE DATABASE gw_views", false),
        step(
            "CREATE VIEW gw_views.totals AS SELECT sum(orders) AS orders, sum(revenue) AS revenue \
             FROM master.daily_revenue; SELECT * FROM gw_views.totals",
            false,
        ),
        step("CREATE VIEW gw_views.totals AS SELECT 1 AS x", true),
        step(
            "CREATE OR REPLACE VIEW gw_views.totals AS SELECT order_date, orders FROM \
             master.daily_revenue WHERE orders > 0; SHOW VIEWS IN gw_views; \
             SHOW CREATE VIEW gw_views.totals; DESCRIBE gw_views.totals; \
             SELECT count(*), sum(orders) FROM gw_views.totals",
            false,
        ),
        step("DROP TABLE gw_views.totals", true),
    ];
    let folder = tempfile::tempdir()?;
    copy_tree(&env.repo.join("catalog"), folder.path())?;
    let local_catalog = folder.path().to_str().ok_or("temporary folder not UTF-8")?;
    for (i, step) in steps.iter().enumerate() {
        let args = ["--database", "master", "--format", "csv", "-c", &step.sql];
        let local = run(aws_lathe(env, &env.moto.endpoint, local_catalog).args(args));
        let glue = run(aws_lathe(env, &env.moto.endpoint, "glue").args(args));
        let what = format!("step {i}: {}", step.sql);
        check(local.code == i32::from(step.fails), || {
            format!(
                "{what}: local catalog: exit {}: {}",
                local.code, local.stderr
            )
        })?;
        check(
            (glue.code, &glue.stdout, &glue.stderr) == (local.code, &local.stdout, &local.stderr),
            || {
                format!(
                    "{what}\n--- Glue (exit {})\n{}{}\n--- local (exit {})\n{}{}",
                    glue.code, glue.stdout, glue.stderr, local.code, local.stdout, local.stderr
                )
            },
        )?;
        if i == 0 {
            check(local.stdout.contains("\"7\",\"293\",\"150428.41\""), || {
                format!("the sample view's totals: {}", local.stdout)
            })?;
        }
    }
    // What lathe wrote to Glue, as Athena would read it.
    let out = Command::new(&env.python)
        .arg(env.repo.join("tests/aws/seed.py"))
        .args(["view", &env.moto.endpoint, "gw_views", "totals"])
        .env("AWS_ACCESS_KEY_ID", super::KEY)
        .env("AWS_SECRET_ACCESS_KEY", super::SECRET)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .output()?;
    check(out.status.success(), || {
        format!("seed.py view: {}", String::from_utf8_lossy(&out.stderr))
    })?;
    let entry: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let table = &entry["Table"];
    let expected_decoded = serde_json::json!({
        "originalSql": "SELECT order_date, orders FROM master.daily_revenue WHERE orders > 0",
        "catalog": "awsdatacatalog",
        "schema": "master",
        "columns": [
            {"name": "order_date", "type": "date"},
            {"name": "orders", "type": "bigint"}
        ],
        "runAsInvoker": false
    });
    let checks = [
        (
            table["TableType"].clone(),
            serde_json::json!("VIRTUAL_VIEW"),
        ),
        (
            table["Parameters"].clone(),
            serde_json::json!({"comment": "Presto View", "presto_view": "true"}),
        ),
        (
            table["ViewExpandedText"].clone(),
            serde_json::json!("/* Presto View */"),
        ),
        (
            table["StorageDescriptor"]["Columns"].clone(),
            serde_json::json!([
                {"Name": "order_date", "Type": "date"},
                {"Name": "orders", "Type": "bigint"}
            ]),
        ),
        (entry["Decoded"].clone(), expected_decoded),
    ];
    for (found, expected) in checks {
        check(found == expected, || {
            format!("Glue entry of gw_views.totals: {found} is not {expected}:\n{entry}")
        })?;
    }
    let cleanup = run(aws_lathe(env, &env.moto.endpoint, "glue")
        .args(["-c", "DROP VIEW gw_views.totals; DROP DATABASE gw_views"]));
    ok(&cleanup, "dropping gw_views")
}
