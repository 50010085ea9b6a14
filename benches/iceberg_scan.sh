#!/usr/bin/env bash
# Scan speed of an Iceberg table against plain Parquet holding the same rows.
#   benches/iceberg_scan.sh [--scale N] [--reps N] [--lathe PATH]
# Generates the sample's clickstream at scale N (examples/gen_sample.rs),
# writes the same rows three ways with lathe's own CTAS (zstd Parquet both):
# a Parquet table, an Iceberg table, and a copy of the Iceberg table with a
# merge-on-read DELETE of ~1% of the rows; then runs each query REPS times
# per table as whole `lathe -c` processes, interleaved, and prints the
# median wall time of each. Run by hand on a quiet machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
scale=20
reps=5
lathe="${CARGO_TARGET_DIR:-$root/target}/release/lathe"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --scale) scale="$2"; shift 2 ;;
        --reps) reps="$2"; shift 2 ;;
        --lathe) lathe="$2"; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
gen="${CARGO_TARGET_DIR:-$root/target}/release/examples/gen_sample"
[[ -x "$gen" ]] || (cd "$root" && cargo build --release --example gen_sample)
[[ -x "$lathe" ]] || (cd "$root" && cargo build --release --bin lathe)
"$gen" --out "$work" --scale "$scale" --days 7 >&2
cd "$work"
run() { "$lathe" --database web -c "$1" >/dev/null; }
columns="event_id, event_time, user_id, session_id, event_type, product_id, quantity, referrer, page_url"
echo "== writing the tables" >&2
run "CREATE DATABASE bench"
run "CREATE TABLE bench.parquet WITH (format = 'PARQUET', write_compression = 'ZSTD', external_location = '$work/tables/parquet/') AS SELECT $columns FROM web.clickstream"
run "CREATE TABLE bench.iceberg WITH (table_type = 'ICEBERG', location = '$work/tables/iceberg/', is_external = false, format = 'PARQUET', write_compression = 'ZSTD') AS SELECT $columns FROM web.clickstream"
run "CREATE TABLE bench.iceberg_deleted WITH (table_type = 'ICEBERG', location = '$work/tables/iceberg_deleted/', is_external = false, format = 'PARQUET', write_compression = 'ZSTD') AS SELECT $columns FROM web.clickstream"
run "DELETE FROM bench.iceberg_deleted WHERE user_id % 100 = 7"
"$lathe" --format csv -c "SELECT (SELECT count(*) FROM bench.parquet) AS parquet_rows, (SELECT count(*) FROM bench.iceberg) AS iceberg_rows, (SELECT count(*) FROM bench.iceberg_deleted) AS after_delete" >&2
du -sh tables/* >&2

queries=(
    "SELECT count(*) FROM TABLE"
    "SELECT event_type, count(*), sum(quantity) FROM TABLE GROUP BY event_type"
    "SELECT count(DISTINCT session_id) FROM TABLE WHERE referrer = 'google.com'"
    "SELECT * FROM TABLE WHERE user_id = 4242 ORDER BY event_time LIMIT 10"
)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-72s %10s %10s %14s\n' query parquet iceberg "iceberg+del" 
for q in "${queries[@]}"; do
    declare -A times=()
    for ((i = 0; i < reps; i++)); do
        for t in parquet iceberg iceberg_deleted; do
            sql="${q//TABLE/bench.$t}"
            start=$(date +%s.%N)
            run "$sql"
            end=$(date +%s.%N)
            times[$t]+="$(echo "$end - $start" | bc) "
        done
    done
    printf '%-72s' "${q//TABLE/t}"
    for t in parquet iceberg iceberg_deleted; do
        printf ' %10.3f' "$(tr ' ' '\n' <<<"${times[$t]}" | grep . | median)"
    done
    printf '\n'
    unset times
done
