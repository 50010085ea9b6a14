"""Delta tables written by the `deltalake` Python package (delta-rs).

    delta_tables.py make DIR   writes DIR/warehouse/events: a partitioned
                               table with two appends, a DELETE (which
                               rewrites a file and leaves the old one on
                               disk), a checkpoint, a schema change (a column
                               added by a later append) and one more commit
                               after the checkpoint. The Glue entry goes to
                               DIR/catalog/dl/events.json as Athena registers
                               a Delta table (table_type = DELTA, a
                               placeholder column), and the rows deltalake
                               itself reads to DIR/expected.json.

Values are compared as text, in Athena's spelling (CAST(x AS varchar)).
"""

import datetime
import json
import os
import sys

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake


def text(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def make(root):
    location = os.path.join(root, "warehouse", "events")
    ts = lambda *a: datetime.datetime(*a)
    first = pa.table({
        "id": pa.array([1, 2, 3], pa.int64()),
        "kind": ["click", "view", None],
        "amount": pa.array([1.5, 2.0, 3.25]),
        "ts": pa.array([ts(2024, 5, 1, 10), ts(2024, 5, 1, 11, 30), ts(2024, 5, 2, 9)],
                       pa.timestamp("us")),
        "day": pa.array([datetime.date(2024, 5, 1)] * 2 + [datetime.date(2024, 5, 2)],
                        pa.date32()),
    })
    write_deltalake(location, first, partition_by=["day"])
    second = pa.table({
        "id": pa.array([4, 5], pa.int64()),
        "kind": ["view", "click"],
        "amount": pa.array([4.0, None]),
        "ts": pa.array([ts(2024, 5, 3, 8), ts(2024, 5, 3, 9)], pa.timestamp("us")),
        "day": pa.array([datetime.date(2024, 5, 3)] * 2, pa.date32()),
    })
    write_deltalake(location, second, mode="append")
    table = DeltaTable(location)
    table.delete("id = 2")
    table.create_checkpoint()
    # A column added after the checkpoint; older files lack it (NULL).
    third = pa.table({
        "id": pa.array([6], pa.int64()),
        "kind": ["buy"],
        "amount": pa.array([6.75]),
        "ts": pa.array([ts(2024, 5, 3, 23, 59, 59)], pa.timestamp("us")),
        "day": pa.array([datetime.date(2024, 5, 3)], pa.date32()),
        "coupon": ["SPRING"],
    })
    write_deltalake(location, third, mode="append", schema_mode="merge")

    catalog = os.path.join(root, "catalog", "dl")
    os.makedirs(catalog, exist_ok=True)
    entry = {"Table": {
        "Name": "events", "DatabaseName": "dl", "TableType": "EXTERNAL_TABLE",
        "Parameters": {"table_type": "DELTA", "EXTERNAL": "TRUE"},
        "StorageDescriptor": {
            # What Spark and Athena leave in Glue: the log has the schema.
            "Columns": [{"Name": "col", "Type": "array<string>"}],
            "Location": "file://" + location,
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {"SerializationLibrary":
                          "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
        },
        "PartitionKeys": [],
    }}
    with open(os.path.join(catalog, "events.json"), "w") as f:
        json.dump(entry, f, indent=2)

    table = DeltaTable(location)
    rows = sorted(table.to_pyarrow_table().to_pylist(), key=lambda r: r["id"])
    expected = {
        "version": table.version(),
        "columns": [f.name for f in table.schema().fields],
        "rows": [[text(r[c]) for c in ("id", "kind", "amount", "ts", "coupon", "day")]
                 for r in rows],
        "files_on_disk": sum(
            1 for _, _, files in os.walk(location) for f in files if f.endswith(".parquet")
            and "_delta_log" not in f),
    }
    with open(os.path.join(root, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2)


if __name__ == "__main__":
    if sys.argv[1] != "make":
        sys.exit(f"unknown command {sys.argv[1]}")
    make(sys.argv[2])
    # deltalake's runtime threads can abort the interpreter's shutdown
    # ("terminate called without an active exception", seen under load);
    # everything is written by now, so leave without tearing them down.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
