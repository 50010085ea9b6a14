#!/usr/bin/env python3
"""Refreshes tests/conformance/trino_functions.txt: every function of Trino's
function reference (Athena engine v3 is Trino) with lathe's status.

    scripts/conformance.py [path/to/lathe]     (default: target/release/lathe)

The names and families are the file's own (taken from Trino's alphabetical
list and its list by topic); this script fills in the status of each:

- supported:   lathe's session has the function (SHOW FUNCTIONS lists it)
               and tests/slt/*.slt call it, with expected values from
               Trino's documentation;
- syntax:      a SQL form rather than a function (CAST, EXTRACT, ...),
               covered by the .slt files;
- unsupported: not in lathe, for the reason given (REASONS below);
- missing:     not in lathe, and no reason given: a gap to close.

tests/sqllogictests.rs checks the file against the session on every run: a
`supported` function that is not registered or not called in an .slt file,
or a `missing`/`unsupported` one that has become registered, fails it.
"""

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIST = ROOT / "tests/conformance/trino_functions.txt"

# SQL forms that Trino's list names as functions; the parser, not the
# function registry, plans them.
SYNTAX = {
    "cast", "try_cast", "extract", "position", "current_date", "current_time",
    "current_timestamp", "localtime", "localtimestamp", "at_timezone",
    # Keywords without parentheses in Trino (and here).
    "current_catalog", "current_schema", "current_user",
    # Planned as reduce(array_agg(..)) by athena::syntax; asserted in .slt.
    "reduce_agg",
}

# Why a family or a function is not in lathe. A function's own entry wins.
REASONS = {
    "geospatial": "needs geometry and spherical geography types (Esri/JTS); not built",
    "ml": "Trino's machine-learning plugin (libsvm models); not built",
    "setdigest": "set-digest sketches are not implemented",
    "qdigest": "qdigest sketches are not implemented",
    "hyperloglog": "HyperLogLog sketches (approx_set, merge) are not implemented",
    "color": "Trino CLI colour output; no color type",
    "row_pattern": "MATCH_RECOGNIZE is not supported by DataFusion's parser",
    "mongodb": "MongoDB connector functions; no ObjectId type",
    "table": "table functions are not supported",
    "approx_set": "HyperLogLog sketches are not implemented",
    "merge": "merges sketches (HyperLogLog, qdigest, tdigest), which are not implemented",
    "qdigest_agg": "qdigest sketches are not implemented",
    "tdigest_agg": "tdigest sketches are not implemented",
    "checksum": "Trino's order-insensitive xxhash64 checksum is not implemented",
    "word_stem": "needs Lucene's Snowball stemmers",
    "spooky_hash_v2_32": "SpookyHash V2 is not implemented",
    "spooky_hash_v2_64": "SpookyHash V2 is not implemented",
    "json_exists": "SQL/JSON path language (lax/strict, filters) is not implemented",
    "json_query": "SQL/JSON path language and its clauses are not implemented",
    "json_value": "SQL/JSON path language and its clauses are not implemented",
    "json_array": "SQL/JSON constructor clauses are not implemented",
    "json_object": "SQL/JSON constructor syntax ('key' : value) is not parsed",
    "from_iso8601_timestamp_nanos": "timestamps are millisecond precision, as Athena's are",
}


def registered(lathe):
    out = subprocess.run(
        [lathe, "--format", "csv", "-c", "SHOW FUNCTIONS"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    names = set()
    for line in out.splitlines()[1:]:
        name = line.split(",", 1)[0].strip('"')
        names.add(name.lower())
    return names


def called_in_slt():
    text = []
    for path in sorted((ROOT / "tests/slt").glob("*.slt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.lstrip().startswith("#"):
                text.append(line.lower())
    return "\n".join(text)


def main():
    lathe = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target/release/lathe")
    if not os.access(lathe, os.X_OK):
        sys.exit(f"conformance.py: no lathe binary at {lathe}; build it or pass its path")
    names = registered(lathe)
    slt = called_in_slt()
    header, rows = [], []
    for line in LIST.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            header.append(line)
            continue
        name, family = line.split("\t")[:2]
        called = re.search(r"(?<![\w.])" + re.escape(name.lower()) + r"\(", slt)
        if name.lower() in SYNTAX:
            status, note = "syntax", ""
        elif name.lower() in names:
            status = "supported"
            note = "" if called else "no assertion in tests/slt yet"
        else:
            note = REASONS.get(name, REASONS.get(family, ""))
            status = "unsupported" if note else "missing"
        rows.append((name, family, status, note))
    header = [h for h in header if not h.startswith("# status")] + [
        "# status: supported (registered, and called in tests/slt/*.slt), syntax (a SQL form),",
        "# unsupported (with the reason), missing (a gap). Refreshed by scripts/conformance.py;",
        "# checked against the session by tests/sqllogictests.rs.",
    ]
    body = ["\t".join(r).rstrip("\t") for r in rows]
    LIST.write_text("\n".join(header + body) + "\n", encoding="utf-8")
    counts = Counter(r[2] for r in rows)
    print(f"{len(rows)} functions: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for name, family, status, note in rows:
        if status == "missing" or note.startswith("no assertion"):
            print(f"  {status:9} {name} ({family}) {note}")


if __name__ == "__main__":
    main()
