"""Iceberg tables written by PyIceberg (the third party), and PyIceberg's
reading of tables lathe wrote.

    make DIR         writes DIR/warehouse (PyIceberg's SqlCatalog over sqlite
                     in DIR) and DIR/expected.json: each snapshot's rows as
                     PyIceberg scans them, and the table's snapshots
    read METADATA [FILTER]
                     prints {"rows": [...], "snapshots": [...], "schema",
                     "spec"}: PyIceberg's scan of the table whose metadata
                     file is METADATA (with a row filter, PyIceberg prunes
                     by the partition values lathe wrote)

Table `ice.events` (format version 2), partitioned by day(ts), bucket(2, id)
and truncate(3, category):
  1. append 60 rows over three days                       (snapshot 1)
  2. rename note -> comment, add qty int                  (schema 1)
  3. append 8 rows with qty                               (snapshot 2)
  4. position deletes of 2 rows of one data file          (snapshot 3)
  5. an equality delete (id) in one partition             (snapshot 4)
PyIceberg writes no delete files itself, so steps 4 and 5 write the delete
files with pyarrow and commit them with PyIceberg's own manifest and
snapshot writers. PyIceberg reads position deletes but refuses equality
deletes, so snapshot 4's rows are snapshot 3's minus the deleted key,
computed here with pyarrow. Rows are lists in column order, sorted by id;
timestamps are epoch microseconds.
"""

import json
import sys
import uuid
from datetime import date, datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.io.pyarrow import PyArrowFileIO
from pyiceberg.manifest import (
    DataFile,
    DataFileContent,
    FileFormat,
    ManifestContent,
    ManifestEntry,
    ManifestEntryStatus,
    ManifestWriterV2,
)
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.table import StaticTable
from pyiceberg.table.snapshots import Operation
from pyiceberg.table.update.snapshot import _FastAppendFiles
from pyiceberg.transforms import BucketTransform, DayTransform, TruncateTransform
from pyiceberg.types import (
    DoubleType,
    IntegerType,
    LongType,
    NestedField,
    StringType,
    TimestampType,
)

BASE = datetime(2024, 5, 3, 6, 0, 0)


def micros(ts):
    return int(ts.replace(tzinfo=timezone.utc).timestamp() * 1_000_000)


def rows_of(table, snapshot_id=None, row_filter=None):
    """PyIceberg's scan as sorted rows of plain values."""
    scan = table.scan(snapshot_id=snapshot_id) if row_filter is None else table.scan(row_filter=row_filter)
    arrow = scan.to_arrow()
    out = []
    for row in arrow.to_pylist():
        values = []
        for name in arrow.column_names:
            v = row[name]
            if isinstance(v, datetime):
                v = micros(v)
            elif isinstance(v, date):
                v = v.isoformat()
            values.append(v)
        out.append(values)
    return {"columns": arrow.column_names, "rows": sorted(out, key=lambda r: r[0])}


class DeleteManifestWriter(ManifestWriterV2):
    """PyIceberg's v2 manifest writer, for a manifest of delete files."""

    def content(self):
        return ManifestContent.DELETES

    @property
    def _meta(self):
        return {**super()._meta, "content": "deletes"}


class AddDeletes(_FastAppendFiles):
    """A snapshot that adds delete files (PyIceberg's fast append, whose new
    manifest is a delete manifest)."""

    def __init__(self, transaction, io, delete_files):
        super().__init__(operation=Operation.DELETE, transaction=transaction, io=io)
        self._delete_files = delete_files

    def _manifests(self):
        writer = DeleteManifestWriter(
            spec=self._transaction.table_metadata.spec(),
            schema=self.schema(),
            output_file=self.new_manifest_output(),
            snapshot_id=self._snapshot_id,
            avro_compression="deflate",
        )
        with writer:
            for f in self._delete_files:
                writer.add(
                    ManifestEntry.from_args(
                        status=ManifestEntryStatus.ADDED,
                        snapshot_id=self._snapshot_id,
                        sequence_number=None,
                        file_sequence_number=None,
                        data_file=f,
                    )
                )
        return [writer.to_manifest_file()] + self._existing_manifests()


def commit_deletes(table, delete_files):
    with table.transaction() as tx:
        producer = AddDeletes(tx, table.io, delete_files)
        producer.commit()


def delete_file(table, path, arrow, content, partition, spec_id, equality_ids=None):
    pq.write_table(arrow, path.removeprefix("file://"))
    size = len(open(path.removeprefix("file://"), "rb").read())
    return DataFile.from_args(
        content=content,
        file_path=path,
        file_format=FileFormat.PARQUET,
        partition=partition,
        record_count=arrow.num_rows,
        file_size_in_bytes=size,
        equality_ids=equality_ids,
        spec_id=spec_id,
        _table_format_version=2,
    )


def make(folder):
    warehouse = f"{folder}/warehouse"
    catalog = SqlCatalog(
        "fixtures",
        uri=f"sqlite:///{folder}/catalog.db",
        warehouse=f"file://{warehouse}",
    )
    catalog.create_namespace("ice")
    schema = Schema(
        NestedField(1, "id", LongType(), required=False),
        NestedField(2, "ts", TimestampType(), required=False),
        NestedField(3, "category", StringType(), required=False),
        NestedField(4, "amount", DoubleType(), required=False),
        NestedField(5, "note", StringType(), required=False),
    )
    spec = PartitionSpec(
        PartitionField(2, 1000, DayTransform(), "ts_day"),
        PartitionField(1, 1001, BucketTransform(2), "id_bucket"),
        PartitionField(3, 1002, TruncateTransform(3), "category_trunc"),
    )
    table = catalog.create_table("ice.events", schema=schema, partition_spec=spec)

    categories = ["books", "garden", "bookends"]
    first = pa.table(
        {
            "id": pa.array(range(1, 61), pa.int64()),
            "ts": pa.array([BASE + timedelta(hours=i) for i in range(60)], pa.timestamp("us")),
            "category": pa.array([categories[i % 3] for i in range(60)]),
            "amount": pa.array([round(1.25 * i, 2) for i in range(60)], pa.float64()),
            "note": pa.array([None if i % 5 == 0 else f"n{i}" for i in range(60)]),
        }
    )
    table.append(first)
    s1 = table.current_snapshot().snapshot_id

    with table.update_schema() as update:
        update.rename_column("note", "comment")
        update.add_column("qty", IntegerType())
    second = pa.table(
        {
            "id": pa.array(range(61, 69), pa.int64()),
            "ts": pa.array([BASE + timedelta(days=1, hours=5 * i) for i in range(8)], pa.timestamp("us")),
            "category": pa.array([categories[i % 3] for i in range(8)]),
            "amount": pa.array([100.0 + i for i in range(8)], pa.float64()),
            "comment": pa.array([f"c{i}" for i in range(8)]),
            "qty": pa.array([i * 10 for i in range(8)], pa.int32()),
        }
    )
    table.append(second)
    s2 = table.current_snapshot().snapshot_id

    # Position deletes: the first and third rows of the largest data file.
    tasks = sorted(table.scan().plan_files(), key=lambda t: (-t.file.record_count, t.file.file_path))
    target = tasks[0].file
    target_rows = pq.read_table(target.file_path.removeprefix("file://"))
    deleted_ids = [target_rows.column("id")[0].as_py(), target_rows.column("id")[2].as_py()]
    pos_schema = pa.schema(
        [
            pa.field("file_path", pa.string(), nullable=False, metadata={"PARQUET:field_id": "2147483546"}),
            pa.field("pos", pa.int64(), nullable=False, metadata={"PARQUET:field_id": "2147483545"}),
        ]
    )
    positions = pa.table({"file_path": [target.file_path] * 2, "pos": [0, 2]}, schema=pos_schema)
    pos_file = delete_file(
        table,
        f"file://{warehouse}/ice/events/data/pos-deletes-{uuid.uuid4()}.parquet",
        positions,
        DataFileContent.POSITION_DELETES,
        target.partition,
        target.spec_id,
    )
    commit_deletes(table, [pos_file])
    table = catalog.load_table("ice.events")
    s3 = table.current_snapshot().snapshot_id

    # An equality delete by id, in the partition of a file with one of the
    # second append's rows.
    tasks = [t for t in table.scan().plan_files() if t.file.file_path != target.file_path]
    victim_task = next(t for t in tasks if pq.read_table(t.file.file_path.removeprefix("file://")).column("id")[0].as_py() >= 61)
    victim = pq.read_table(victim_task.file.file_path.removeprefix("file://")).column("id")[0].as_py()
    eq_schema = pa.schema([pa.field("id", pa.int64(), metadata={"PARQUET:field_id": "1"})])
    eq_file = delete_file(
        table,
        f"file://{warehouse}/ice/events/data/eq-deletes-{uuid.uuid4()}.parquet",
        pa.table({"id": [victim]}, schema=eq_schema),
        DataFileContent.EQUALITY_DELETES,
        victim_task.file.partition,
        victim_task.file.spec_id,
        equality_ids=[1],
    )
    commit_deletes(table, [eq_file])
    table = catalog.load_table("ice.events")
    s4 = table.current_snapshot().snapshot_id

    snap3 = rows_of(table, s3)
    snap4 = {"columns": snap3["columns"], "rows": [r for r in snap3["rows"] if r[0] != victim]}
    expected = {
        "metadata_location": table.metadata_location,
        "snapshots": [
            {"id": s.snapshot_id, "parent": s.parent_snapshot_id, "timestamp_ms": s.timestamp_ms,
             "operation": s.summary.operation.value if s.summary else None}
            for s in table.snapshots()
        ],
        "rows": {"s1": rows_of(table, s1), "s2": rows_of(table, s2), "s3": snap3, "s4": snap4},
        "position_deleted_ids": deleted_ids,
        "equality_deleted_id": victim,
        "files": {
            "s2": len(list(table.scan(snapshot_id=s2).plan_files())),
        },
    }
    with open(f"{folder}/expected.json", "w") as out:
        json.dump(expected, out, indent=1)


def read(metadata, row_filter=None):
    table = StaticTable.from_metadata(metadata)
    snapshots = [
        {"id": s.snapshot_id, "parent": s.parent_snapshot_id,
         "operation": s.summary.operation.value if s.summary else None,
         "sequence_number": s.sequence_number}
        for s in table.snapshots()
    ]
    out = rows_of(table, row_filter=row_filter) if table.current_snapshot() else {"columns": [], "rows": []}
    out["snapshots"] = snapshots
    out["schema"] = [[f.field_id, f.name, str(f.field_type)] for f in table.schema().fields]
    out["spec"] = [[f.source_id, f.name, str(f.transform)] for f in table.spec().fields]
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "read":
        read(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
