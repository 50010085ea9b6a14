#!/usr/bin/env python3
"""Planning time on the two partition-heavy shapes of issue 9, and the bytes read.

    benches/planning.py [--lathe PATH] [--reps N]

Builds a temporary catalog with lathe's own DDL:
- `b.hourly`: JSON under Firehose-style hour folders, partition projection
  over three years of hours (2022/01/01/00 to 2024/12/31/23, 26,304 values);
  three hours hold data;
- `b.registered`: JSON under `day=` folders with 10,000 registered
  partitions (ALTER TABLE .. ADD PARTITION, in the catalog's
  `.partitions.json`); three days hold data.

For each, it times `EXPLAIN` of a one-partition query with `--stats`, three
times in each of --reps lathe processes: the first statement of a process
also loads the table's definition (and its 10,000 partitions), the later
ones show the planner alone. Then it runs the query itself and checks, from `--stats`,
that only that partition's bytes were read. Run by hand; it takes seconds.
"""

import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

STATS = re.compile(r"(\d+) rows? in ([0-9.]+) s, scanned .* \((\d+) bytes\)")


def find_lathe(given):
    if given:
        return given
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path(__file__).parent.parent / "target"))
    return str(target / "release" / "lathe")


def lathe(binary, catalog, *statements, stats=False):
    args = [binary, "--catalog", str(catalog), "--format", "csv"]
    if stats:
        args.append("--stats")
    for s in statements:
        args += ["-c", s]
    run = subprocess.run(args, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"lathe failed: {run.stderr.strip()}")
    return run


def write_rows(folder, n, tag):
    folder.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps({"id": i, "v": f"{tag}-{i}"}) + "\n" for i in range(n))
    path = folder / "part-0.json.gz"
    path.write_bytes(gzip.compress(lines.encode()))
    return path.stat().st_size


def timings(binary, catalog, explain, reps):
    """Median seconds of the first of three EXPLAINs in a process (which
    loads the table's definition), and of the other two, over `reps`
    processes."""
    first, later = [], []
    for _ in range(reps):
        run = lathe(binary, catalog, *([explain] * 3), stats=True)
        t = [float(m.group(2)) for m in STATS.finditer(run.stderr)]
        first.append(t[0])
        later += t[1:]
    return statistics.median(first), statistics.median(later)


def report(binary, reps):
    """The planning table, as Markdown lines."""
    work = Path(tempfile.mkdtemp(prefix="lathe-planning-"))
    try:
        catalog = work / "catalog"
        catalog.mkdir()
        serde = "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'"
        lathe(
            binary,
            catalog,
            "CREATE DATABASE b",
            f"""CREATE EXTERNAL TABLE b.hourly (id bigint, v string) PARTITIONED BY (datehour string)
            {serde} LOCATION '{work}/hourly/'
            TBLPROPERTIES ('projection.enabled' = 'true', 'projection.datehour.type' = 'date',
              'projection.datehour.format' = 'yyyy/MM/dd/HH',
              'projection.datehour.range' = '2022/01/01/00,2024/12/31/23',
              'projection.datehour.interval' = '1', 'projection.datehour.interval.unit' = 'HOURS',
              'storage.location.template' = '{work}/hourly/${{datehour}}/')""",
            f"""CREATE EXTERNAL TABLE b.registered (id bigint, v string) PARTITIONED BY (day string)
            {serde} LOCATION '{work}/registered/'""",
        )
        hour_bytes = {h: write_rows(work / "hourly" / h, 5000, h) for h in
                      ["2023/06/01/11", "2023/06/01/12", "2023/06/01/13"]}
        days = [f"d{i:05d}" for i in range(10_000)]
        day_bytes = {d: write_rows(work / "registered" / f"day={d}", 5000, d) for d in days[4999:5002]}
        # Registered in batches of 1,000 specs a statement.
        for start in range(0, len(days), 1000):
            specs = " ".join(
                f"PARTITION (day = '{d}') LOCATION '{work}/registered/day={d}/'"
                for d in days[start:start + 1000]
            )
            lathe(binary, catalog, f"ALTER TABLE b.registered ADD {specs}")
        registered = json.loads((catalog / "b" / "registered.partitions.json").read_text())
        assert len(registered["Partitions"]) == 10_000

        cases = [
            ("one hour of a 3-year hourly projection", "b.hourly", "datehour = '2023/06/01/12'",
             hour_bytes["2023/06/01/12"]),
            ("one of 10,000 registered partitions", "b.registered", "day = 'd05000'",
             day_bytes["d05000"]),
        ]
        lines = [
            f"`EXPLAIN` timed by `--stats`, three in a process, {reps} processes, medians; "
            "the first in a process also loads the table's definition.",
            "",
            "| query | first plan ms | later plans ms | rows | bytes read | partition's bytes |",
            "|---|---|---|---|---|---|",
        ]
        for name, table, where, expected in cases:
            sql = f"SELECT count(*), max(v) FROM {table} WHERE {where}"
            first, later = timings(binary, catalog, f"EXPLAIN {sql}", reps)
            run = lathe(binary, catalog, sql, stats=True)
            m = STATS.search(run.stderr)
            rows = run.stdout.splitlines()[-1].replace('"', "")
            lines.append(f"| {name} | {first * 1000:.1f} | {later * 1000:.1f} "
                         f"| {rows} | {m.group(3)} | {expected} |")
        return lines
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lathe")
    parser.add_argument("--reps", type=int, default=11)
    args = parser.parse_args()
    print("\n".join(report(find_lathe(args.lathe), args.reps)))


if __name__ == "__main__":
    main()
