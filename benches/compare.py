#!/usr/bin/env python3
"""lathe side by side with the DuckDB CLI and datafusion-cli, on the same files.

Run through `benches/compare.sh`, which builds lathe, installs the peers and
generates the data; this script only times. Every measurement is a whole
process (start-up, catalog or view set-up, query, output to /dev/null), so the
three tools pay for the same things. Runs are interleaved (each repetition runs
every query once per tool, rotating which tool goes first), the first
repetition is a warm-up that is not counted, and the report gives medians,
ratios and peak resident memory. Nothing here asserts a time.

Writes BENCHMARKS.md (or --out) and prints a short summary.
"""
import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

# The by-hand scripts next to this one, whose measurements the report includes.
import planning
import shell_ready

TPCH_TABLES = ["customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"]

# The clickstream keys as the generator writes them (consistent mixed case);
# lathe reads them case-insensitively through the OpenX SerDe, the peers are
# given the exact spelling and a view renames them to the catalog's names.
CLICK_COLUMNS = [
    ("EVENT_ID", "event_id", "VARCHAR"),
    ("eventTime", "event_time", "VARCHAR"),
    ("User_Id", "user_id", "BIGINT"),
    ("Session_ID", "session_id", "VARCHAR"),
    ("EVENT_TYPE", "event_type", "VARCHAR"),
    ("Product_Id", "product_id", "BIGINT"),
    ("Quantity", "quantity", "INTEGER"),
    ("Referrer", "referrer", "VARCHAR"),
    ("Page_URL", "page_url", "VARCHAR"),
]
SPIKE_HOUR = "2024/05/04/18"

CLICK_QUERIES = {
    "full_count": "SELECT count(*) AS events FROM web.clickstream",
    "count_by_type": "SELECT event_type, count(*) AS events FROM web.clickstream "
                     "GROUP BY event_type ORDER BY events DESC, event_type",
    "purchase_users": "SELECT count(DISTINCT user_id) AS buyers FROM web.clickstream "
                      "WHERE event_type = 'purchase'",
    # lathe prunes the projection to one prefix; the peers are pointed at that
    # hour's folder (an explicit glob), which is what their users would write.
    "one_hour": {
        "lathe": "SELECT event_type, count(*) AS events FROM web.clickstream "
                 f"WHERE datehour = '{SPIKE_HOUR}' GROUP BY event_type ORDER BY event_type",
        "peer": "SELECT event_type, count(*) AS events FROM web.clickstream_hour "
                "GROUP BY event_type ORDER BY event_type",
    },
    "join_products": "SELECT p.category, count(*) AS purchases, sum(p.price * e.quantity) AS revenue "
                     "FROM web.clickstream e JOIN master.products p ON p.product_id = e.product_id "
                     "WHERE e.event_type = 'purchase' GROUP BY p.category ORDER BY revenue DESC",
}


def hive_type(t):
    """The Glue type of a pyarrow type, for the TPC-H catalog lathe reads."""
    import pyarrow as pa
    if pa.types.is_int64(t):
        return "bigint"
    if pa.types.is_int32(t):
        return "int"
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if pa.types.is_date32(t):
        return "date"
    if pa.types.is_float64(t):
        return "double"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    raise ValueError(f"no Glue type for {t}")


def tpch_catalog(tpch: Path, catalog: Path):
    """catalog/tpch/<table>.json, as `aws glue get-table` prints them."""
    import json
    (catalog / "tpch").mkdir(parents=True, exist_ok=True)
    for name in TPCH_TABLES:
        files = sorted((tpch / name).glob("*.parquet"))
        schema = pq.read_schema(files[0])
        table = {"Table": {
            "Name": name, "DatabaseName": "tpch", "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet"},
            "PartitionKeys": [],
            "StorageDescriptor": {
                "Columns": [{"Name": f.name, "Type": hive_type(f.type)} for f in schema],
                "Location": (tpch / name).as_uri() + "/",
                "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "SerdeInfo": {"SerializationLibrary":
                              "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
            },
        }}
        (catalog / "tpch" / f"{name}.json").write_text(json.dumps(table, indent=2))


class Tool:
    """How one tool runs a SQL text as a whole process."""

    def __init__(self, name, argv, setup, cwd=None, stdin_sql=False):
        self.name, self.argv, self.setup, self.cwd, self.stdin_sql = name, argv, setup, cwd, stdin_sql

    def command(self, sql, workdir):
        text = self.setup + sql.strip().rstrip(";") + ";\n"
        path = Path(workdir) / f"{self.name}.sql"
        path.write_text(text)
        if self.stdin_sql:
            return self.argv, path
        return [a.replace("{file}", str(path)) for a in self.argv], None


def run(argv, stdin_path=None, cwd=None, capture=False):
    """(seconds, peak RSS in MB, exit code, stdout lines) of one whole process."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=subprocess.PIPE, cwd=cwd)
    stdout = proc.stdout.read() if capture else b""
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if stdin_path:
        stdin.close()
    lines = len([l for l in stdout.decode(errors="replace").splitlines() if l.strip()])
    return seconds, usage.ru_maxrss / 1024, proc.returncode, lines, stderr.decode(errors="replace")


def bench(suite, tools, queries, reps, workdir, log):
    """{query: {tool: [(seconds, mb)]}} and {query: {tool: rows}}, interleaved."""
    times = {q: {t.name: [] for t in tools} for q in queries}
    rows, failures = {q: {} for q in queries}, {}
    for rep in range(reps + 1):
        for qi, (qname, sql) in enumerate(queries.items()):
            order = tools[(rep + qi) % len(tools):] + tools[:(rep + qi) % len(tools)]
            for tool in order:
                text = sql[tool.name] if isinstance(sql, dict) else sql
                argv, stdin_path = tool.command(text, workdir)
                s, mb, code, lines, err = run(argv, stdin_path, tool.cwd, capture=(rep == 0))
                if code != 0:
                    failures[(qname, tool.name)] = err.strip().splitlines()[-1] if err.strip() else f"exit {code}"
                    continue
                if rep == 0:
                    rows[qname][tool.name] = lines
                else:
                    times[qname][tool.name].append((s, mb))
        log(f"  {suite}: repetition {rep}/{reps} done" + (" (warm-up)" if rep == 0 else ""))
    return times, rows, failures


def med(samples):
    return statistics.median(s for s, _ in samples) if samples else None


def peak(samples):
    return max(mb for _, mb in samples) if samples else None


def table(suite, tools, times, rows, failures):
    names = [t.name for t in tools]
    head = (["query"] + [f"{n} s" for n in names] + [f"lathe/{n}" for n in names[1:]]
            + ["rows " + "/".join(names)] + [f"{n} MB" for n in names])
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    totals = {n: 0.0 for n in names}
    ratios = {n: [] for n in names[1:]}
    for q in times:
        m = {n: med(times[q][n]) for n in names}
        cells = [q]
        for n in names:
            if m[n] is None:
                cells.append("failed")
            else:
                cells.append(f"{m[n]:.3f}")
                totals[n] += m[n]
        for n in names[1:]:
            if m["lathe"] and m[n]:
                r = m["lathe"] / m[n]
                ratios[n].append(r)
                cells.append(f"{r:.2f}")
            else:
                cells.append("–")
        cells.append("/".join(str(rows[q].get(n, "–")) for n in names))
        cells += [f"{peak(times[q][n]):.0f}" if times[q][n] else "–" for n in names]
        out.append("| " + " | ".join(cells) + " |")
    total_cells = ["**total**"] + [f"**{totals[n]:.2f}**" for n in names]
    total_cells += [f"**{totals['lathe'] / totals[n]:.2f}**" if totals[n] else "–" for n in names[1:]]
    total_cells += [""] * (1 + len(names))
    out.append("| " + " | ".join(total_cells) + " |")
    geo = {n: statistics.geometric_mean(r) for n, r in ratios.items() if r}
    out.append("")
    out.append("Geometric mean of per-query ratios: " + ", ".join(f"lathe/{n} {g:.2f}" for n, g in geo.items())
               + ". Ratios below 1 mean lathe is faster.")
    if failures:
        out.append("")
        out.append("Failures:")
        for (q, n), e in sorted(failures.items()):
            out.append(f"- {suite} {q} on {n}: `{e}`")
    return out, totals, geo


def version(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
    except Exception as e:  # a missing tool shows up in the report, not as a crash
        return f"unknown ({e})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lathe", required=True)
    ap.add_argument("--duckdb", required=True)
    ap.add_argument("--datafusion-cli", required=True)
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", choices=["tpch", "clickstream", "startup"], action="append")
    ap.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = ap.parse_args()
    suites = args.only or ["startup", "clickstream", "tpch"]
    data = args.data.resolve()
    work = Path(tempfile.mkdtemp(prefix="lathe-bench-"))
    log = lambda m: print(m, file=sys.stderr, flush=True)

    tpch = data / "tpch-sf1"
    click = data / "click"
    click_df = data / "click-datafusion"
    raw = click / "sample/raw/firehose/clickstream"
    products = click / "sample/warehouse/master/products"
    tpch_cat = data / "lathe-tpch-catalog"
    if "tpch" in suites:
        tpch_catalog(tpch, tpch_cat)

    report = [
        "# Benchmarks: lathe, the DuckDB CLI and datafusion-cli",
        "",
        f"Generated by `benches/compare.sh` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC. "
        "Whole-process wall times (start-up, set-up, query, output to /dev/null), "
        f"medians of {args.reps} interleaved repetitions after one warm-up; peak RSS is the maximum over the "
        "counted runs. Ratios are lathe's time over the peer's: below 1, lathe is faster.",
        "",
        "## Machine and versions",
        "",
        f"- {platform.platform()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
        f"- lathe: {version([args.lathe, '--version'])} (the `bench-release` profile: thin LTO, one codegen unit)",
        f"- DuckDB CLI: {version([args.duckdb, '--version'])}",
        f"- datafusion-cli: {version([args.datafusion_cli, '--version'])}",
        "",
    ]
    summary = []

    if "startup" in suites:
        log("start-up: SELECT 1")
        # lathe starts as an analyst's would: in a folder with a config and catalog.
        tools = [Tool("lathe", [args.lathe, "-f", "{file}", "--format", "csv"], "", cwd=click),
                 Tool("duckdb", [args.duckdb, "-csv"], "", stdin_sql=True),
                 Tool("datafusion-cli", [args.datafusion_cli, "-q", "--maxrows", "inf", "--format", "csv", "-f", "{file}"], "")]
        times, rows, failures = bench("startup", tools, {"select_1": "SELECT 1"}, max(args.reps, 5), work, log)
        lines, totals, geo = table("startup", tools, times, rows, failures)
        report += ["## Start-up: `SELECT 1`", ""] + lines + [""]
        summary.append(f"start-up: " + ", ".join(f"lathe/{n} {g:.2f}" for n, g in geo.items()))
        log("start-up: the shell's prompt, and planning")
        ready = [shell_ready.ready_seconds(args.lathe, click) for _ in range(max(args.reps, 5))]
        report += ["## The shell's prompt (lathe)", "",
                   f"From starting `lathe` in the clickstream folder (its catalog and lathe.toml) to the "
                   f"prompt, in a pseudo-terminal (`benches/shell_ready.py`): median "
                   f"{statistics.median(ready) * 1000:.1f} ms over {len(ready)} starts.", ""]
        report += ["## Planning on many partitions (lathe)", "",
                   "`benches/planning.py`:", ""] + planning.report(args.lathe, max(args.reps, 5)) + [""]

    if "clickstream" in suites:
        files = sorted(raw.rglob("*.gz"))
        size_gz = sum(f.stat().st_size for f in files)
        log(f"clickstream: {len(files)} files, {size_gz / 1e6:.0f} MB gzip")
        cols = ", ".join(f"'{k}': '{t}'" for k, _, t in CLICK_COLUMNS)
        rename = ", ".join(f'"{k}" AS {c}' for k, c, _ in CLICK_COLUMNS)
        hour_dir = raw / SPIKE_HOUR
        duck_setup = (
            "CREATE SCHEMA web; CREATE SCHEMA master;\n"
            f"CREATE VIEW web.clickstream AS SELECT {rename} FROM read_json('{raw}/*/*/*/*/*.gz', "
            f"format = 'newline_delimited', compression = 'gzip', columns = {{{cols}}});\n"
            f"CREATE VIEW web.clickstream_hour AS SELECT {rename} FROM read_json('{hour_dir}/*.gz', "
            f"format = 'newline_delimited', compression = 'gzip', columns = {{{cols}}});\n"
            f"CREATE VIEW master.products AS SELECT * FROM read_parquet('{products}/*.parquet');\n")
        df_cols = ", ".join(f'"{k}" {t}' for k, _, t in CLICK_COLUMNS)
        df_setup = (
            # Firehose nests files four folders deep; DataFusion ignores subfolders by default.
            "SET datafusion.execution.listing_table_ignore_subdirectory = false;\n"
            "CREATE SCHEMA web; CREATE SCHEMA master;\n"
            f"CREATE EXTERNAL TABLE web.clickstream_raw ({df_cols}) STORED AS JSON "
            f"LOCATION '{click_df}/' OPTIONS ('format.compression' 'gzip');\n"
            f"CREATE EXTERNAL TABLE web.clickstream_hour_raw ({df_cols}) STORED AS JSON "
            f"LOCATION '{click_df}/{SPIKE_HOUR}/' OPTIONS ('format.compression' 'gzip');\n"
            f"CREATE VIEW web.clickstream AS SELECT {rename} FROM web.clickstream_raw;\n"
            f"CREATE VIEW web.clickstream_hour AS SELECT {rename} FROM web.clickstream_hour_raw;\n"
            f"CREATE EXTERNAL TABLE master.products STORED AS PARQUET LOCATION '{products}/';\n")
        tools = [Tool("lathe", [args.lathe, "-f", "{file}", "--format", "csv"], "", cwd=click),
                 Tool("duckdb", [args.duckdb, "-csv"], duck_setup, stdin_sql=True),
                 Tool("datafusion-cli", [args.datafusion_cli, "-q", "--maxrows", "inf", "--format", "csv", "-f", "{file}"], df_setup)]
        queries = {q: ({"lathe": s["lathe"], "duckdb": s["peer"], "datafusion-cli": s["peer"]}
                       if isinstance(s, dict) else s) for q, s in CLICK_QUERIES.items()}
        times, rows, failures = bench("clickstream", tools, queries, args.reps, work, log)
        lines, totals, geo = table("clickstream", tools, times, rows, failures)
        report += [
            "## Clickstream: gzipped NDJSON under Firehose prefixes",
            "",
            f"{len(files)} files, {size_gz / 1e6:.0f} MB gzip, generated by `examples/gen_sample.rs`. "
            "lathe reads the bundled catalog (OpenX SerDe, case-insensitive keys, date projection); "
            "DuckDB `read_json` (newline-delimited, explicit columns, a glob per table); datafusion-cli "
            "an NDJSON external table with the same explicit columns. The one-hour query reads one "
            "hour's prefix in every tool (lathe by projection pruning, the peers by a path to that hour).",
            "",
        ] + lines + [""]
        summary.append(f"clickstream: " + ", ".join(f"lathe/{n} {g:.2f}" for n, g in geo.items()))

    if "tpch" in suites:
        queries = {f"q{n}": (Path(__file__).parent / "tpch" / f"q{n}.sql").read_text() for n in range(1, 23)}
        duck_setup = "".join(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{tpch / t}/*.parquet');\n"
                             for t in TPCH_TABLES)
        df_setup = "".join(f"CREATE EXTERNAL TABLE {t} STORED AS PARQUET LOCATION '{tpch / t}/';\n"
                           for t in TPCH_TABLES)
        lathe_argv = [args.lathe, "--catalog", str(tpch_cat), "--database", "tpch", "-f", "{file}",
                      "--format", "csv"]
        tools = [Tool("lathe", lathe_argv, "", cwd=work),
                 Tool("duckdb", [args.duckdb, "-csv"], duck_setup, stdin_sql=True),
                 Tool("datafusion-cli", [args.datafusion_cli, "-q", "--maxrows", "inf", "--format", "csv", "-f", "{file}"], df_setup)]
        times, rows, failures = bench("tpch", tools, queries, args.reps, work, log)
        lines, totals, geo = table("tpch", tools, times, rows, failures)
        report += ["## TPC-H scale factor 1, Parquet (tpchgen-cli)", "",
                   "lathe through its catalog (tables defined as Glue JSON), datafusion-cli through "
                   "`CREATE EXTERNAL TABLE`, DuckDB through `read_parquet` views.", ""] + lines + [""]
        summary.append(f"tpch: total lathe {totals['lathe']:.1f} s; " +
                       ", ".join(f"lathe/{n} {g:.2f}" for n, g in geo.items()))

        log("tpch under --memory-limit 1GB (lathe only)")
        limited = [Tool("lathe", lathe_argv[:1] + ["--memory-limit", "1GB"] + lathe_argv[1:], "", cwd=work)]
        times, rows, failures = bench("tpch-1GB", limited, queries, 1, work, log)
        ok = [q for q in queries if times[q]["lathe"]]
        report += ["## TPC-H SF1 with `--memory-limit 1GB` (lathe)", "",
                   f"{len(ok)} of {len(queries)} queries finished; peak RSS per query (MB): " +
                   ", ".join(f"{q} {peak(times[q]['lathe']):.0f}" for q in ok) + "."]
        for (q, n), e in sorted(failures.items()):
            report.append(f"- {q}: `{e}`")
        report.append("")

    # benches/s3_latency.py owns its section of the same file: keep it.
    begin, end = "<!-- s3_latency:begin -->", "<!-- s3_latency:end -->"
    old = args.out.read_text() if args.out.exists() else ""
    if begin in old and end in old:
        report += ["", old[old.index(begin):old.index(end) + len(end)], ""]
    args.out.write_text("\n".join(report))
    print("\n".join(summary))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
