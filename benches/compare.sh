#!/usr/bin/env bash
# One command: lathe side by side with the DuckDB CLI and datafusion-cli.
#   benches/compare.sh [--reps N] [--only tpch|clickstream|startup]...
# Builds lathe (the `bench-release` profile), installs the peers from the
# registries (cached under ~/.cache/lathe), generates the data once (TPC-H SF1
# Parquet with tpchgen-cli; ~1 GB of clickstream NDJSON with
# examples/gen_sample.rs), then runs benches/compare.py, which writes
# BENCHMARKS.md. Run by hand, on a quiet machine; it takes about an hour the
# first time (building datafusion-cli and lathe's LTO build), 15-25 minutes
# after that.
#   LATHE_BENCH_DATA  where the data goes (default ~/.cache/lathe/bench-data)
#   LATHE_BENCH_SCALE clickstream scale (default 260: ~1 GB uncompressed)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cache="$HOME/.cache/lathe"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
data="${LATHE_BENCH_DATA:-$cache/bench-data}"
scale="${LATHE_BENCH_SCALE:-260}"
tools="$cache/tools"
mkdir -p "$data" "$tools"

echo "== building lathe" >&2
# lathe as it ships: the `bench-release` profile (thin LTO, one codegen unit).
cargo build --profile bench-release --bin lathe
cargo build --release --example gen_sample
lathe="$CARGO_TARGET_DIR/bench-release/lathe"

echo "== peers" >&2
# The peers build in a target folder of their own, not lathe's.
if [[ ! -x "$tools/bin/datafusion-cli" ]]; then
    CARGO_TARGET_DIR="$cache/bench-build" cargo install datafusion-cli --version 55.2.0 --locked --root "$tools"
fi
if [[ ! -x "$tools/bin/tpchgen-cli" ]]; then
    CARGO_TARGET_DIR="$cache/bench-build" cargo install tpchgen-cli --version 4.0.0 --locked --root "$tools"
fi
python="$(scripts/python-env)"   # pyarrow and duckdb, for the catalog and checks
bench_venv="$cache/bench-venv"
if [[ ! -x "$bench_venv/bin/duckdb" ]]; then
    python3 -m venv "$bench_venv"
    "$bench_venv/bin/pip" install --quiet --disable-pip-version-check duckdb-cli==1.5.6
fi

echo "== data in $data" >&2
if [[ ! -f "$data/tpch-sf1/.done" ]]; then
    rm -rf "$data/tpch-sf1"
    "$tools/bin/tpchgen-cli" parquet --scale-factor 1 --output-dir "$data/tpch-sf1"
    # One folder per table: a Glue location is a prefix, not a file.
    for f in "$data"/tpch-sf1/*.parquet; do
        t="$(basename "$f" .parquet)"; mkdir -p "$data/tpch-sf1/$t"; mv "$f" "$data/tpch-sf1/$t/"
    done
    touch "$data/tpch-sf1/.done"
fi
if [[ ! -f "$data/click/.done-$scale" ]]; then
    rm -rf "$data/click" "$data/click-datafusion"
    "$CARGO_TARGET_DIR/release/examples/gen_sample" --out "$data/click" --scale "$scale" --days 7
    touch "$data/click/.done-$scale"
fi
if [[ ! -d "$data/click-datafusion" ]]; then
    # datafusion-cli picks JSON files by extension (.json.gz): the same files, linked under that name.
    raw="$data/click/sample/raw/firehose/clickstream"
    (cd "$raw" && find . -name '*.gz' -print0) | while IFS= read -r -d '' f; do
        mkdir -p "$data/click-datafusion/$(dirname "$f")"
        ln -s "$raw/$f" "$data/click-datafusion/${f%.gz}.json.gz"
    done
fi

echo "== timing" >&2
exec "$python" benches/compare.py --lathe "$lathe" --duckdb "$bench_venv/bin/duckdb" \
    --datafusion-cli "$tools/bin/datafusion-cli" --data "$data" "$@"
