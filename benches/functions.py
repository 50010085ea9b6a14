#!/usr/bin/env python3
"""Throughput of lathe's JSON and date-parsing functions on a million rows.

    benches/functions.py [--lathe PATH] [--rows N] [--reps N]

Writes a million rows of JSON text, date text and timestamps to Parquet with
lathe's own CTAS (in a temporary catalog folder), then times, as whole
processes, `SELECT count(f(col)) FROM t` for each function against a
baseline that reads the same column (`count(length(col))`), interleaved,
median of --reps runs. The difference is the function's own cost, printed as
nanoseconds a row and million rows a second. Run by hand on a quiet machine;
it takes about a minute. Needs only Python 3 and a release build of lathe
(`cargo build --release`, found under $CARGO_TARGET_DIR or ./target).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# (name, expression, column its baseline reads)
FUNCTIONS = [
    ("json_extract_scalar", "json_extract_scalar(j, '$.user.id')", "j"),
    ("json_extract", "json_extract(j, '$.user.tags')", "j"),
    ("json_array_length", "json_array_length(json_extract(j, '$.user.tags'))", "j"),
    ("json_parse", "json_parse(j)", "j"),
    ("date_parse", "date_parse(d, '%Y-%m-%d %H:%i:%s')", "d"),
    ("parse_datetime", "parse_datetime(d, 'yyyy-MM-dd HH:mm:ss')", "d"),
    ("from_iso8601_timestamp", "from_iso8601_timestamp(iso)", "iso"),
    ("date_format", "date_format(ts, '%Y-%m-%d %H:%i:%s')", "ts"),
    ("format_datetime", "format_datetime(ts, 'yyyy-MM-dd HH:mm:ss')", "ts"),
]


def find_lathe(given):
    if given:
        return given
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path(__file__).parent.parent / "target"))
    return str(target / "release" / "lathe")


def lathe(binary, catalog, sql):
    run = subprocess.run(
        [binary, "--catalog", str(catalog), "--format", "csv", "-c", sql],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        sys.exit(f"lathe failed on {sql!r}: {run.stderr.strip()}")
    return run.stdout


def timed(binary, catalog, sql):
    start = time.perf_counter()
    lathe(binary, catalog, sql)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lathe")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    binary = find_lathe(args.lathe)
    side = 1000
    rows = side * side if args.rows == 1_000_000 else args.rows
    work = Path(tempfile.mkdtemp(prefix="lathe-functions-"))
    try:
        catalog = work / "catalog"
        catalog.mkdir()
        # n runs over 0..rows; the text columns vary with it so no two
        # batches are alike.
        lathe(binary, catalog, "CREATE DATABASE bench")
        lathe(
            binary,
            catalog,
            f"""CREATE TABLE bench.rows WITH (format = 'PARQUET', external_location = '{work}/rows/') AS
            SELECT '{{"user":{{"id":"u' || CAST(n AS VARCHAR) || '","tags":["a","b",' || CAST(n % 7 AS VARCHAR)
                   || ']}},"ok":true,"n":' || CAST(n AS VARCHAR) || '}}' AS j,
                   date_format(ts, '%Y-%m-%d %H:%i:%s') AS d,
                   to_iso8601(ts) AS iso,
                   ts
            FROM (SELECT n, from_unixtime(1700000000 + n * 37) AS ts
                  FROM (SELECT i * {side} + k AS n
                        FROM UNNEST(sequence(0, {side - 1})) AS a(i)
                        CROSS JOIN UNNEST(sequence(0, {side - 1})) AS b(k)
                        WHERE i * {side} + k < {rows}))""",
        )
        count = int(lathe(binary, catalog, "SELECT count(*) FROM bench.rows").split()[-1].strip('"'))
        print(f"{count} rows; median of {args.reps} interleaved whole-process runs", file=sys.stderr)
        queries = {}
        for name, expr, column in FUNCTIONS:
            queries[name] = f"SELECT count({expr}) FROM bench.rows"
            queries["base:" + column] = f"SELECT count(length(CAST({column} AS VARCHAR))) FROM bench.rows"
        times = {q: [] for q in queries}
        for q, sql in queries.items():  # warm-up, and a check that each runs
            lathe(binary, catalog, sql)
        for _ in range(args.reps):
            for q, sql in queries.items():
                times[q].append(timed(binary, catalog, sql))
        median = {q: statistics.median(t) for q, t in times.items()}
        print("| function | median s | baseline s | ns/row | M rows/s |")
        print("|---|---|---|---|---|")
        for name, _, column in FUNCTIONS:
            net = median[name] - median["base:" + column]
            per_row = net / count * 1e9
            rate = count / net / 1e6 if net > 0 else float("inf")
            print(
                f"| `{name}` | {median[name]:.3f} | {median['base:' + column]:.3f} "
                f"| {per_row:.0f} | {rate:.1f} |"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
