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
source "$(dirname "$0")/scan_common.sh" "$@"
echo "== writing the tables" >&2
run "CREATE DATABASE bench"
run "CREATE TABLE bench.parquet WITH (format = 'PARQUET', write_compression = 'ZSTD', external_location = '$work/tables/parquet/') AS SELECT $columns FROM web.clickstream"
run "CREATE TABLE bench.iceberg WITH (table_type = 'ICEBERG', location = '$work/tables/iceberg/', is_external = false, format = 'PARQUET', write_compression = 'ZSTD') AS SELECT $columns FROM web.clickstream"
run "CREATE TABLE bench.iceberg_deleted WITH (table_type = 'ICEBERG', location = '$work/tables/iceberg_deleted/', is_external = false, format = 'PARQUET', write_compression = 'ZSTD') AS SELECT $columns FROM web.clickstream"
run "DELETE FROM bench.iceberg_deleted WHERE user_id % 100 = 7"
"$lathe" --format csv -c "SELECT (SELECT count(*) FROM bench.parquet) AS parquet_rows, (SELECT count(*) FROM bench.iceberg) AS iceberg_rows, (SELECT count(*) FROM bench.iceberg_deleted) AS after_delete" >&2
du -sh tables/* >&2

time_tables parquet iceberg iceberg_deleted
