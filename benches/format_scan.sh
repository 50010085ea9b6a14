#!/usr/bin/env bash
# Scan speed of ORC, Avro and Delta tables against Parquet holding the same
# rows.
#   benches/format_scan.sh [--scale N] [--reps N] [--lathe PATH]
# Generates the sample's clickstream at scale N (examples/gen_sample.rs),
# writes the same rows three ways with lathe's own CTAS (zstd Parquet, zlib
# ORC, deflate Avro: each format's usual codec) and once as a Delta table
# (the `deltalake` package, zstd Parquet, one commit, registered with
# Athena's column-less Delta DDL), then runs each query REPS
# times per table as whole `lathe -c` processes, interleaved, and prints the
# median wall time of each. Run by hand on a quiet machine.
set -euo pipefail
source "$(dirname "$0")/scan_common.sh" "$@"
echo "== writing the tables" >&2
run "CREATE DATABASE bench"
run "CREATE TABLE bench.parquet WITH (format = 'PARQUET', write_compression = 'ZSTD', external_location = '$work/tables/parquet/') AS SELECT $columns FROM web.clickstream"
run "CREATE TABLE bench.orc WITH (format = 'ORC', write_compression = 'ZLIB', external_location = '$work/tables/orc/') AS SELECT $columns FROM web.clickstream"
run "CREATE TABLE bench.avro WITH (format = 'AVRO', write_compression = 'DEFLATE', external_location = '$work/tables/avro/') AS SELECT $columns FROM web.clickstream"
"$("$root/scripts/python-env")" - "$work/tables/parquet" "$work/tables/delta" <<'EOF'
import sys
import pyarrow.dataset as ds
from deltalake import WriterProperties, write_deltalake
rows = ds.dataset(sys.argv[1], format="parquet").to_table()
write_deltalake(sys.argv[2], rows, writer_properties=WriterProperties(compression="ZSTD"))
EOF
run "CREATE EXTERNAL TABLE bench.delta LOCATION '$work/tables/delta/' TBLPROPERTIES ('table_type' = 'DELTA')"
"$lathe" --format csv -c "SELECT (SELECT count(*) FROM bench.parquet) AS parquet_rows, (SELECT count(*) FROM bench.orc) AS orc_rows, (SELECT count(*) FROM bench.avro) AS avro_rows, (SELECT count(*) FROM bench.delta) AS delta_rows" >&2
du -sh tables/* >&2

time_tables parquet orc avro delta
