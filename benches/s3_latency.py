#!/usr/bin/env python3
"""S3 at real latency: lathe over a local S3 server behind a proxy that holds
every request N ms, against lathe on local disk and DuckDB's httpfs on the
same objects. Run by benches/s3_latency.sh (which builds, installs and
generates everything); writes the "S3 at real latency" section of
BENCHMARKS.md (between its markers, leaving the rest of the file alone).

Every lathe time is a whole process (`lathe -c`, start-up included); DuckDB
runs in one Python process with httpfs loaded and its S3 settings made once,
and only the query is timed, which favours DuckDB slightly.
"""

import argparse
import asyncio
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

KEY, SECRET = "lathe-bench", "lathe-bench-secret"
BEGIN, END = "<!-- s3_latency:begin -->", "<!-- s3_latency:end -->"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, what, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} did not start on port {port}")


class DelayProxy:
    """A TCP proxy on loopback that holds the first bytes of every request
    `delay` seconds before passing them on: one round trip of S3 latency per
    request, whatever the connection reuse. A request is the first bytes the
    client sends after the server last answered (clients do not pipeline)."""

    def __init__(self, upstream_port, delay):
        self.upstream_port = upstream_port
        self.delay = delay
        self.port = free_port()
        self.requests = 0
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait()

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", self.port)
        )
        ready.set()
        self.loop.run_until_complete(server.serve_forever())

    async def _client(self, creader, cwriter):
        try:
            sreader, swriter = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            cwriter.close()
            return
        state = {"answered": True}

        async def upstream():
            while data := await creader.read(1 << 16):
                if state["answered"]:
                    state["answered"] = False
                    self.requests += 1
                    await asyncio.sleep(self.delay)
                swriter.write(data)
                await swriter.drain()
            swriter.close()

        async def downstream():
            while data := await sreader.read(1 << 16):
                state["answered"] = True
                cwriter.write(data)
                await cwriter.drain()
            cwriter.close()

        await asyncio.gather(upstream(), downstream(), return_exceptions=True)


def lathe_env(endpoint):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=KEY,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_REGION="us-east-1",
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_EC2_METADATA_DISABLED="true",
    )
    if endpoint:
        env["AWS_ENDPOINT_URL_S3"] = endpoint
    return env


def time_lathe(lathe, catalog, sql, env, maps):
    args = [lathe, "--config", "/dev/null", "--catalog", str(catalog), "--format", "csv"]
    for m in maps:
        args += ["--map", m]
    start = time.perf_counter()
    out = subprocess.run(args + ["-c", sql], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"lathe failed on {sql!r}: {out.stderr}")
    return elapsed, out.stdout


def duckdb_connection(httpfs, endpoint):
    import duckdb

    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{httpfs}'")
    if endpoint:
        con.execute(
            f"""CREATE SECRET bench (TYPE s3, KEY_ID '{KEY}', SECRET '{SECRET}',
                REGION 'us-east-1', ENDPOINT '{endpoint.removeprefix("http://")}',
                URL_STYLE 'path', USE_SSL false)"""
        )
    # One request at a time per file is DuckDB's default; let it use the
    # machine like lathe does.
    con.execute("SET threads = 2")
    return con


def time_duckdb(con, sql):
    start = time.perf_counter()
    rows = con.execute(sql).fetchall()
    return time.perf_counter() - start, rows


# Columns of the clickstream as DuckDB reads them (mixed-case keys, as written).
CLICK_COLUMNS = "{'EVENT_ID': 'VARCHAR', 'EVENT_TYPE': 'VARCHAR', 'User_Id': 'BIGINT'}"


def queries(hour):
    """(name, lathe SQL, DuckDB SQL with {root} for the bucket root)."""
    day_glob = "{root}/acme-raw/firehose/clickstream/*/*/*/*/*.gz"
    hour_glob = "{root}/acme-raw/firehose/clickstream/" + hour + "/*.gz"
    click = f"read_json('{day_glob}', format='newline_delimited', columns={CLICK_COLUMNS})"
    one_hour = f"read_json('{hour_glob}', format='newline_delimited', columns={CLICK_COLUMNS})"
    lineitem = "read_parquet('{root}/tpch/lineitem/*.parquet')"
    return [
        ("clickstream count(*)", "SELECT count(*) FROM web.clickstream", f"SELECT count(*) FROM {click}"),
        (
            "clickstream GROUP BY",
            "SELECT event_type, count(*) AS n, count(DISTINCT user_id) AS users "
            "FROM web.clickstream GROUP BY 1 ORDER BY 1",
            f"SELECT EVENT_TYPE, count(*), count(DISTINCT User_Id) FROM {click} GROUP BY 1 ORDER BY 1",
        ),
        (
            "clickstream one hour",
            f"SELECT count(*) FROM web.clickstream WHERE datehour = '{hour}'",
            f"SELECT count(*) FROM {one_hour}",
        ),
        ("lineitem count(*)", "SELECT count(*) FROM tpch.lineitem", f"SELECT count(*) FROM {lineitem}"),
        (
            "lineitem q6",
            "SELECT sum(l_extendedprice * l_discount) AS revenue FROM tpch.lineitem "
            "WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01' "
            "AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24",
            "SELECT sum(l_extendedprice * l_discount) FROM " + lineitem + " "
            "WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01' "
            "AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24",
        ),
        (
            "lineitem q1",
            "SELECT l_returnflag, l_linestatus, sum(l_quantity), sum(l_extendedprice), "
            "avg(l_discount), count(*) FROM tpch.lineitem WHERE l_shipdate <= DATE '1998-09-02' "
            "GROUP BY 1, 2 ORDER BY 1, 2",
            "SELECT l_returnflag, l_linestatus, sum(l_quantity), sum(l_extendedprice), "
            "avg(l_discount), count(*) FROM " + lineitem + " WHERE l_shipdate <= DATE '1998-09-02' "
            "GROUP BY 1, 2 ORDER BY 1, 2",
        ),
    ]


def write_section(path, text):
    body = path.read_text() if path.exists() else ""
    block = f"{BEGIN}\n{text.rstrip()}\n{END}\n"
    if BEGIN in body and END in body:
        head, rest = body.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        body = head + block + ("\n" + tail if tail else "")
    else:
        body = body.rstrip("\n") + "\n\n" + block
    path.write_text(body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lathe", required=True)
    ap.add_argument("--s3s", required=True, help="the s3s-fs binary")
    ap.add_argument("--httpfs", required=True, help="DuckDB's httpfs extension file")
    ap.add_argument("--data", type=Path, required=True, help="bucket folders: acme-raw, tpch")
    ap.add_argument("--catalog", type=Path, required=True)
    ap.add_argument("--hour", required=True, help="one clickstream hour, yyyy/MM/dd/HH")
    ap.add_argument("--delays", default="0,30,80", help="milliseconds")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--profile", default="bench-release")
    ap.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = ap.parse_args()
    delays = [int(d) for d in args.delays.split(",")]

    port = free_port()
    server = subprocess.Popen(
        [args.s3s, "--host", "127.0.0.1", "--port", str(port), "--access-key", KEY,
         "--secret-key", SECRET, str(args.data)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port, "s3s-fs")
        proxies = {d: DelayProxy(port, d / 1000) for d in delays if d > 0}
        endpoint = {d: f"http://127.0.0.1:{proxies[d].port if d else port}" for d in delays}
        maps = [f"s3://acme-raw/={args.data}/acme-raw/", f"s3://tpch/={args.data}/tpch/"]
        local_env = lathe_env(None)
        cons = {d: duckdb_connection(args.httpfs, endpoint[d]) for d in delays}
        local_con = duckdb_connection(args.httpfs, None)

        results = []
        for name, lathe_sql, duck_sql in queries(args.hour):
            runs = {k: [] for k in ["lathe local", "duckdb local"] + [f"lathe {d}" for d in delays] + [f"duckdb {d}" for d in delays]}
            answers = set()
            # Interleaved: each repetition runs every configuration once.
            for rep in range(args.reps + 1):
                t, out = time_lathe(args.lathe, args.catalog, lathe_sql, local_env, maps)
                answers.add(out)
                if rep:
                    runs["lathe local"].append(t)
                t, _ = time_duckdb(local_con, duck_sql.replace("{root}", str(args.data)))
                if rep:
                    runs["duckdb local"].append(t)
                for d in delays:
                    t, out = time_lathe(args.lathe, args.catalog, lathe_sql, lathe_env(endpoint[d]), [])
                    answers.add(out)
                    if rep:
                        runs[f"lathe {d}"].append(t)
                    t, _ = time_duckdb(cons[d], duck_sql.replace("{root}", "s3:/"))
                    if rep:
                        runs[f"duckdb {d}"].append(t)
            if len(answers) != 1:
                sys.exit(f"{name}: lathe's answers differ between local disk and S3: {answers}")
            med = {k: statistics.median(v) for k, v in runs.items()}
            results.append((name, med))
            print(name, {k: round(v, 3) for k, v in med.items()}, flush=True)
        requests = {d: p.requests for d, p in proxies.items()}
    finally:
        server.terminate()
        server.wait()

    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## S3 at real latency",
        "",
        f"Generated by `benches/s3_latency.sh` on {when} ({args.reps} interleaved repetitions "
        f"after one warm-up, medians; lathe built with the `{args.profile}` profile). "
        "The objects live in s3s-fs on loopback; a proxy holds every request "
        "the given milliseconds before passing it on (0 ms: no proxy). lathe times are whole "
        "processes (`lathe -c`, start-up included); DuckDB 1.4.4 with httpfs runs in one Python "
        "process, query only. Data: the clickstream as gzipped NDJSON objects in Firehose's "
        "layout, and TPC-H SF1 `lineitem` split into Parquet files (sizes in the script's output).",
        "",
    ]
    header = "| query | lathe local s | " + " | ".join(f"lathe {d} ms s" for d in delays)
    header += " | duckdb local s | " + " | ".join(f"duckdb {d} ms s" for d in delays)
    header += " | " + " | ".join(f"lathe {d} ms / local" for d in delays)
    header += " | " + " | ".join(f"lathe/duckdb {d} ms" for d in delays) + " |"
    lines += [header, "|" + "---|" * (header.count("|") - 1)]
    for name, med in results:
        cells = [name, f"{med['lathe local']:.3f}"]
        cells += [f"{med[f'lathe {d}']:.3f}" for d in delays]
        cells += [f"{med['duckdb local']:.3f}"] + [f"{med[f'duckdb {d}']:.3f}" for d in delays]
        cells += [f"{med[f'lathe {d}'] / med['lathe local']:.2f}" for d in delays]
        cells += [f"{med[f'lathe {d}'] / med[f'duckdb {d}']:.2f}" for d in delays]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Requests through the proxy (all runs): " + ", ".join(f"{d} ms: {n}" for d, n in requests.items())]
    write_section(args.out, "\n".join(lines))
    print(f"wrote the S3 section of {args.out}")


if __name__ == "__main__":
    main()
