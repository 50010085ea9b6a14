#!/usr/bin/env python3
"""Oracle check: the named queries give the same answers in lathe and in DuckDB.

What it proves: for every queries/NAME.sql, `lathe run NAME --format csv`
returns the same header and the same rows, in the same order, as DuckDB running
the same SQL text over tables that this script rebuilds independently from the
same bundled sample files, read the way Athena would read them:

  web.clickstream  gzipped NDJSON of the hours of the table's date projection
                   (projection.datehour.*, storage.location.template; hours
                   from the range start to now, UTC, whose folder exists);
                   JSON keys matched to
                   the catalog's lower-case columns case-insensitively (nested
                   struct fields too), event_time read from key "eventTime" (the
                   SerDe's mapping.event_time), missing keys NULL, and
                   datehour = the partition value.
  master.*         Parquet, columns cast to the catalog types; master.orders is
                   Hive-partitioned by order_date (DATE).

s3:// locations are rewritten with the `map` entries of lathe.toml.  Values are
compared as: integers, strings, booleans exactly; decimals as numbers (exactly);
floats with 1e-9 relative tolerance; dates and timestamps as strings in Athena's
format.  NULL (an empty unquoted CSV field) only equals NULL.

Run from the repo root:   python3 scripts/oracle_check.py [NAME ...]
Needs `pip install duckdb` and a built lathe (override its path with $LATHE).
Prints one line per query and exits 1 on any difference.
"""
import datetime, decimal, glob, json, math, os, subprocess, sys, tomllib
from pathlib import Path

try:
    import duckdb
except ImportError:
    sys.exit("oracle_check: the Python package `duckdb` is missing; install it with `pip install duckdb`")

ROOT = Path(__file__).resolve().parent.parent
os.chdir(ROOT)
LATHE = next((p for p in [os.environ.get("LATHE"),
                          os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release/lathe"),
                          os.path.expanduser("~/.cache/lathe/target/release/lathe")]
              if p and os.path.exists(p)), None)
MAPS = [m.split("=", 1) for m in tomllib.loads(Path("lathe.toml").read_text())["map"]]


def local(url):
    """An s3:// location rewritten to the local sample copy, as lathe.toml says."""
    for src, dst in MAPS:
        if url.startswith(src):
            return dst + url[len(src):]
    raise ValueError(f"no map entry for {url}")


def glue(db, table):
    return json.loads(Path(f"catalog/{db}/{table}.json").read_text())["Table"]


def projected_hours(table):
    """(datehour, location) of every hour of the clickstream's date projection,
    which this script reads only in the shape the sample declares it."""
    params = table["Parameters"]
    assert params["projection.enabled"] == "true"
    assert params["projection.datehour.format"] == "yyyy/MM/dd/HH"
    assert (params["projection.datehour.interval"], params["projection.datehour.interval.unit"]) == ("1", "HOURS")
    first, last = params["projection.datehour.range"].split(",")
    assert last == "NOW"
    hour = datetime.datetime.strptime(first, "%Y/%m/%d/%H")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    while hour <= now:
        value = hour.strftime("%Y/%m/%d/%H")
        yield value, params["storage.location.template"].replace("${datehour}", value)
        hour += datetime.timedelta(hours=1)


def duck_type(hive):
    hive = hive.lower()
    if hive.startswith(("string", "varchar", "char")):
        return "VARCHAR"
    simple = {"bigint": "BIGINT", "int": "INTEGER", "smallint": "SMALLINT", "tinyint": "TINYINT",
              "boolean": "BOOLEAN", "double": "DOUBLE", "float": "REAL",
              "date": "DATE", "timestamp": "TIMESTAMP"}
    return simple.get(hive, hive.upper())  # decimal(p,s) is spelt the same


def build(con):
    con.execute("CREATE SCHEMA master; CREATE SCHEMA web; CREATE SCHEMA oracle")
    # master.*: Parquet; every column cast to its catalog type.
    for name in ["customers", "products", "orders"]:
        t = glue("master", name)
        cols = t["StorageDescriptor"]["Columns"] + t["PartitionKeys"]
        select = ", ".join(f'CAST("{c["Name"]}" AS {duck_type(c["Type"])}) AS "{c["Name"]}"' for c in cols)
        files = local(t["StorageDescriptor"]["Location"]) + "**/*.parquet"
        con.execute(f"CREATE VIEW master.{name} AS SELECT {select} FROM "
                    f"read_parquet('{files}', hive_partitioning = {bool(t['PartitionKeys'])})")

    # web.clickstream: the files of each projected hour, with its value.
    con.execute("CREATE TABLE oracle.files (filename VARCHAR, datehour VARCHAR)")
    rows = [(f, value) for value, location in projected_hours(glue("web", "clickstream"))
            for f in sorted(glob.glob(local(location) + "*"))
            if os.path.isfile(f) and not os.path.basename(f).startswith(("_", "."))]
    con.executemany("INSERT INTO oracle.files VALUES (?, ?)", rows)
    file_list = ", ".join(f"'{f}'" for f, _ in rows)
    # jget(j, 'name'): the value of the key of object j spelt `name` in any case.
    con.execute("""CREATE MACRO oracle.jget(j, name) AS json_extract(j,
                     '$."' || list_filter(json_keys(j), lambda k: lower(k) = lower(name))[1] || '"')""")
    con.execute("CREATE MACRO oracle.jstr(j, name) AS json_extract_string(oracle.jget(j, name), '$')")
    con.execute(f"""
      CREATE VIEW web.clickstream AS
      WITH raw AS (
        SELECT r.json AS j, oracle.jget(r.json, 'device') AS d, f.datehour
        FROM read_ndjson_objects([{file_list}], filename = true) r
        JOIN oracle.files f USING (filename))
      SELECT
        oracle.jstr(j, 'event_id')                         AS event_id,
        -- mapping.event_time = eventTime; ISO-8601 UTC with milliseconds
        strptime(oracle.jstr(j, 'eventTime'), '%Y-%m-%dT%H:%M:%S.%gZ') AS event_time,
        CAST(oracle.jget(j, 'user_id') AS BIGINT)          AS user_id,
        oracle.jstr(j, 'session_id')                       AS session_id,
        oracle.jstr(j, 'event_type')                       AS event_type,
        CAST(oracle.jget(j, 'product_id') AS BIGINT)       AS product_id,
        CAST(oracle.jget(j, 'quantity') AS INTEGER)        AS quantity,
        oracle.jstr(j, 'referrer')                         AS referrer,
        oracle.jstr(j, 'page_url')                         AS page_url,
        CASE WHEN json_type(d) = 'OBJECT' THEN struct_pack(
          os := oracle.jstr(d, 'os'), browser := oracle.jstr(d, 'browser'),
          is_mobile := CAST(oracle.jget(d, 'is_mobile') AS BOOLEAN)) END AS device,
        CAST(oracle.jget(j, 'tags') AS VARCHAR[])          AS tags,
        CAST(oracle.jget(j, 'utm') AS MAP(VARCHAR, VARCHAR)) AS utm,
        datehour
      FROM raw""")


def parse_csv(text):
    """Athena-style CSV: quoted values ("" escapes a quote); an empty unquoted field is NULL."""
    rows, row, i, n = [], [], 0, len(text)
    while i < n:
        if text[i] == '"':
            j, buf = i + 1, []
            while True:
                k = text.index('"', j)
                buf.append(text[j:k])
                if text[k + 1:k + 2] == '"':
                    buf.append('"'); j = k + 2
                else:
                    break
            row.append("".join(buf)); i = k + 1
        else:
            k = i
            while k < n and text[k] not in ",\r\n":
                k += 1
            row.append(text[i:k] or None); i = k
        if i < n and text[i] == ",":
            i += 1
            if i < n:
                continue
            row.append(None)  # a trailing comma at the very end of the text
        if text.startswith("\r\n", i): i += 2
        elif i < n: i += 1
        rows.append(row); row = []
    if row:
        rows.append(row)
    return rows


def same(text, value):
    """Does lathe's CSV field `text` hold the DuckDB value `value`?"""
    if value is None or text is None:
        return value is None and text is None
    try:
        if isinstance(value, bool):
            return text == str(value).lower()
        if isinstance(value, int):
            return int(text) == value
        if isinstance(value, decimal.Decimal):
            return decimal.Decimal(text) == value
        if isinstance(value, float):
            return math.isclose(float(text), value, rel_tol=1e-9)
    except (ValueError, decimal.InvalidOperation):
        return False
    if isinstance(value, datetime.datetime):
        return text == value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    if isinstance(value, datetime.date):
        return text == value.isoformat()
    return text == str(value)


def check(con, name):
    sql = Path(f"queries/{name}.sql").read_text()
    # No dialect adaptation was needed: each query runs verbatim in DuckDB.
    try:
        cur = con.execute(sql)
        duck_head, duck_rows = [d[0] for d in cur.description], cur.fetchall()
    except duckdb.Error as e:
        return False, [f"{name}: DuckDB failed: {e}"]
    run = subprocess.run([LATHE, "run", name, "--format", "csv"], capture_output=True, text=True)
    if run.returncode != 0:
        return False, [f"{name}: lathe failed (exit {run.returncode}): {run.stderr.strip()}"]
    lathe_head, *lathe_rows = parse_csv(run.stdout)
    out = []
    if lathe_head != duck_head:
        out.append(f"  header: lathe={lathe_head} duckdb={duck_head}")
    if len(lathe_rows) != len(duck_rows):
        out.append(f"  row count: lathe={len(lathe_rows)} duckdb={len(duck_rows)}")
    for i, (l, d) in enumerate(zip(lathe_rows, duck_rows), 1):
        if len(l) != len(d) or not all(same(t, v) for t, v in zip(l, d)):
            out.append(f"  row {i}: lathe={l} duckdb={[None if v is None else str(v) for v in d]}")
    for i, l in enumerate(lathe_rows[len(duck_rows):], len(duck_rows) + 1):
        out.append(f"  row {i}: lathe={l} duckdb=<missing>")
    for i, d in enumerate(duck_rows[len(lathe_rows):], len(lathe_rows) + 1):
        out.append(f"  row {i}: lathe=<missing> duckdb={[str(v) for v in d]}")
    if not out:
        return True, [f"{name}: {len(duck_rows)} rows, identical"]
    return False, [f"{name}: DIFFERENT ({len(lathe_rows)} rows from lathe, {len(duck_rows)} from DuckDB)"] + out


def main():
    if LATHE is None:
        sys.exit("oracle_check: no lathe binary found; build it or set $LATHE")
    names = sys.argv[1:] or sorted(p.stem for p in Path("queries").glob("*.sql"))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    build(con)
    ok = True
    for name in names:
        good, lines = check(con, name)
        ok &= good
        print("\n".join(lines), flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
