#!/usr/bin/env bash
# Peak memory and throughput of large exports (run by hand, not in CI):
# ROWS generated rows (default 20,000,000) of five columns (bigint, bigint,
# string, double, timestamp), exported with `-o big.csv` and `-o big.parquet`,
# each measured with /usr/bin/time -v. Prints peak RSS, wall time, rows/s
# and MB/s (of the file written).
#   scripts/export_memory.sh [ROWS]
#   LATHE_BIN  the binary (default: $CARGO_TARGET_DIR or target, release/lathe)
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-20000000}"
bin="${LATHE_BIN:-${CARGO_TARGET_DIR:-target}/release/lathe}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
sql="SELECT value AS id, value % 1000 AS bucket, 'user-' || CAST(value % 100000 AS VARCHAR) AS name,
     CAST(value AS DOUBLE) / 7 AS score, to_timestamp_millis(1714521600000 + value * 1000) AS ts
     FROM range(0, $rows)"
printf '%-8s %12s %10s %12s %10s %12s %9s\n' format rows peak_MB seconds file_MB rows_per_s MB_per_s
for ext in csv csv.gz parquet; do
    /usr/bin/time -v "$bin" -c "$sql" -o "$out/big.$ext" 2>"$out/time.$ext"
    peak_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time.$ext")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time.$ext")
    seconds=$(echo "$wall" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    bytes=$(stat -c %s "$out/big.$ext")
    awk -v f="$ext" -v r="$rows" -v kb="$peak_kb" -v s="$seconds" -v b="$bytes" 'BEGIN {
        printf "%-8s %12d %10.0f %12.2f %10.0f %12.0f %9.1f\n", f, r, kb / 1024, s, b / 1e6, r / s, b / 1e6 / s }'
    rm -f "$out/big.$ext"
done
