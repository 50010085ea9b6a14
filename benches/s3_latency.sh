#!/usr/bin/env bash
# S3 at real latency (issue 21): lathe over a local S3 server (s3s-fs)
# behind a proxy that holds every request 0, 30 and 80 ms, against lathe on
# local disk and DuckDB's httpfs on the same objects. Writes the "S3 at real
# latency" section of BENCHMARKS.md (benches/s3_latency.py).
#   benches/s3_latency.sh [--reps N] [--delays 0,30,80]
# Builds lathe (`bench-release`, or LATHE_BENCH_PROFILE=release), installs
# DuckDB 1.4.4 with its httpfs extension (PyPI duckdb-ext-httpfs; 1.4.4 is
# the newest DuckDB it exists for) and tpchgen-cli (PyPI) in a venv of its
# own, and s3s-fs (scripts/test-tools), and generates once, under ~/.cache/lathe/bench-data/s3:
#   acme-raw/  the clickstream: gen_sample --scale 300 --days 2, about 380
#              gzipped NDJSON objects of ~110 KB in Firehose's layout
#   tpch/      TPC-H SF1 lineitem split into 100 Parquet files (~2.4 MB each)
# Run by hand, on a quiet machine: about 15 minutes after the builds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cache="$HOME/.cache/lathe"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
profile="${LATHE_BENCH_PROFILE:-bench-release}"
data="${LATHE_BENCH_DATA:-$cache/bench-data}/s3"
mkdir -p "$data"

echo "== building lathe ($profile)" >&2
cargo build --profile "$profile" --bin lathe
cargo build --release --example gen_sample
lathe="$CARGO_TARGET_DIR/$profile/lathe"
s3s="$(scripts/test-tools)"
venv="$cache/httpfs-venv"
if [[ ! -f "$venv/.done-1.4.4" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        duckdb==1.4.4 duckdb-ext-httpfs==1.4.4.20260205 pyarrow==26.0.1 tpchgen-cli==4.0.0
    touch "$venv/.done-1.4.4"
fi
httpfs="$("$venv/bin/python" -c 'import duckdb_ext, pathlib; print(next(pathlib.Path(duckdb_ext.__path__[0]).rglob("httpfs.duckdb_extension")))')"

echo "== data in $data" >&2
if [[ ! -f "$data/.done-click" ]]; then
    rm -rf "$data/gen" "$data/buckets/acme-raw" "$data/catalog/web"
    "$CARGO_TARGET_DIR/release/examples/gen_sample" --out "$data/gen" --scale 300 --days 2 >/dev/null
    mkdir -p "$data/buckets/acme-raw" "$data/catalog/web"
    mv "$data/gen/sample/raw/firehose" "$data/buckets/acme-raw/"
    cp "$data/gen/catalog/web/clickstream.json" "$data/catalog/web/"
    rm -rf "$data/gen"
    touch "$data/.done-click"
fi
if [[ ! -f "$data/.done-tpch" ]]; then
    rm -rf "$data/tpchgen" "$data/buckets/tpch" "$data/catalog/tpch"
    "$venv/bin/tpchgen-cli" parquet --scale-factor 1 --tables lineitem --output-dir "$data/tpchgen"
    "$venv/bin/python" - "$data" <<'EOF'
import json, sys
from pathlib import Path
import pyarrow.parquet as pq
data = Path(sys.argv[1])
table = pq.read_table(next((data / "tpchgen").rglob("lineitem*.parquet")))
out = data / "buckets" / "tpch" / "lineitem"
out.mkdir(parents=True)
step = -(-table.num_rows // 100)
for i in range(100):
    pq.write_table(table.slice(i * step, step), out / f"part-{i:03}.parquet")
def hive(t):
    import pyarrow as pa
    if pa.types.is_int64(t): return "bigint"
    if pa.types.is_int32(t): return "int"
    if pa.types.is_date32(t): return "date"
    if pa.types.is_decimal(t): return f"decimal({t.precision},{t.scale})"
    if pa.types.is_float64(t): return "double"
    return "string"
(data / "catalog" / "tpch").mkdir(parents=True)
(data / "catalog" / "tpch" / "lineitem.json").write_text(json.dumps({"Table": {
    "Name": "lineitem", "DatabaseName": "tpch", "TableType": "EXTERNAL_TABLE",
    "Parameters": {"classification": "parquet"}, "PartitionKeys": [],
    "StorageDescriptor": {
        "Columns": [{"Name": f.name, "Type": hive(f.type)} for f in table.schema],
        "Location": "s3://tpch/lineitem/",
        "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}}}, indent=2))
EOF
    rm -rf "$data/tpchgen"
    touch "$data/.done-tpch"
fi
echo "clickstream: $(find "$data/buckets/acme-raw" -name '*.gz' | wc -l) objects, $(du -sh "$data/buckets/acme-raw" | cut -f1);" \
     "lineitem: $(find "$data/buckets/tpch" -name '*.parquet' | wc -l) objects, $(du -sh "$data/buckets/tpch" | cut -f1)" >&2
# The busiest hour of the first day (the push campaign's).
hour="$(cd "$data/buckets/acme-raw/firehose/clickstream" && du -s */*/*/* | sort -n | tail -1 | cut -f2)"

echo "== timing" >&2
exec "$venv/bin/python" benches/s3_latency.py --lathe "$lathe" --s3s "$s3s" --httpfs "$httpfs" \
    --data "$data/buckets" --catalog "$data/catalog" --hour "$hour" --profile "$profile" "$@"
