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
    delta_tables.py features DIR
                               writes DIR/warehouse/mapped, a table with
                               column mapping (mode name) and
                               DIR/warehouse/mapped_id (mode id), both by
                               deltalake, and DIR/warehouse/vectors, a table
                               with deletion vectors, made by hand (deltalake
                               deletes by rewriting files) as the Delta
                               protocol lays them out: in a file beside the
                               data (u), inline (i), at an absolute path (p),
                               one changed by a later commit, a checkpoint
                               by deltalake between. Their Glue entries go to
                               DIR/catalog/dl/, and the rows deltalake reads
                               from each (its DataFusion reader, the judge)
                               to DIR/features.json.

Values are compared as text, in Athena's spelling (CAST(x AS varchar)).
"""

import datetime
import json
import os
import struct
import sys
import uuid
import zlib

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable, QueryBuilder, write_deltalake
from pyroaring import BitMap


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

    register(root, "events", location)

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


def register(root, name, location):
    """The Glue entry of a Delta table, as Athena registers one."""
    catalog = os.path.join(root, "catalog", "dl")
    os.makedirs(catalog, exist_ok=True)
    entry = {"Table": {
        "Name": name, "DatabaseName": "dl", "TableType": "EXTERNAL_TABLE",
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
    with open(os.path.join(catalog, name + ".json"), "w") as f:
        json.dump(entry, f, indent=2)


def judged(location, columns):
    """The rows deltalake reads, through its DataFusion reader (its
    `to_pyarrow_table` reads column-mapped files as NULLs in 1.6.6), as
    text, sorted."""
    result = QueryBuilder().register("t", DeltaTable(location)).execute(
        "SELECT " + ", ".join(f'"{c}"' for c in columns) + " FROM t").read_all()
    rows = pa.table(result).to_pylist()
    return sorted([[text(r[c]) for c in columns] for r in rows],
                  key=lambda r: [(v is None, v) for v in r])


def mapped(root, mode):
    """A partitioned table with column mapping, by deltalake: an append, a
    DELETE (which rewrites a file) and a checkpoint."""
    name = "mapped" if mode == "name" else "mapped_id"
    location = os.path.join(root, "warehouse", name)
    first = pa.table({
        "id": pa.array([1, 2, 3, 4], pa.int64()),
        "Kind": ["click", "view", None, "buy"],
        "day": pa.array([datetime.date(2024, 5, 1)] * 2 + [datetime.date(2024, 5, 2)] * 2,
                        pa.date32()),
    })
    write_deltalake(location, first, partition_by=["day"],
                    configuration={"delta.columnMapping.mode": mode})
    second = pa.table({
        "id": pa.array([5, 6], pa.int64()),
        "Kind": ["view", "click"],
        "day": pa.array([datetime.date(2024, 5, 3)] * 2, pa.date32()),
    })
    write_deltalake(location, second, mode="append")
    table = DeltaTable(location)
    table.delete("id = 2")
    table.create_checkpoint()
    register(root, name, location)
    # The files really name their columns by physical name.
    data = [os.path.join(d, f) for d, _, fs in os.walk(location) for f in fs
            if f.endswith(".parquet") and "_delta_log" not in d]
    assert all(n.startswith("col-") for p in data for n in pq.read_schema(p).names)
    return judged(location, ["id", "Kind", "day"])


def bitmap_array(rows):
    """A RoaringBitmapArray: magic 1681511377, the number of 32-bit bitmaps,
    then each one's high 32 bits and portable 32-bit Roaring bitmap."""
    high = sorted({r >> 32 for r in rows})
    out = struct.pack("<IQ", 1681511377, len(high))
    for key in high:
        out += struct.pack("<I", key)
        out += BitMap([r & 0xFFFFFFFF for r in rows if r >> 32 == key]).serialize()
    return out


Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"


def z85(data):
    data = data + b"\0" * (-len(data) % 4)
    out = ""
    for i in range(0, len(data), 4):
        value = int.from_bytes(data[i:i + 4], "big")
        out += "".join(Z85[value // 85 ** k % 85] for k in range(4, -1, -1))
    return out


def dv_file(path, arrays):
    """Writes the bitmaps of `arrays` into one deletion vector file; their
    offsets."""
    out, offsets = b"\1", []
    for array in arrays:
        offsets.append(len(out))
        out += struct.pack(">I", len(array)) + array + struct.pack(">I", zlib.crc32(array))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(out)
    return offsets


def vectors(root):
    """Deletion vectors of every storage type, by hand, as the protocol
    lays them out; deltalake checkpoints the table in between."""
    location = os.path.join(root, "warehouse", "vectors")
    log = os.path.join(location, "_delta_log")
    os.makedirs(log)
    files = {}
    for region, ids in (("eu", range(0, 5000)), ("us", range(5000, 5010))):
        path = f"region={region}/part-0.parquet"
        os.makedirs(os.path.join(location, f"region={region}"))
        batch = pa.table({"id": pa.array(ids, pa.int64()),
                          "amount": pa.array([i / 4 for i in ids], pa.float64())})
        # Several row groups, so positions cross them.
        pq.write_table(batch, os.path.join(location, path), row_group_size=1000)
        files[region] = (path, os.path.getsize(os.path.join(location, path)))
    schema = {"type": "struct", "fields": [
        {"name": n, "type": t, "nullable": True, "metadata": {}}
        for n, t in (("id", "long"), ("amount", "double"), ("region", "string"))]}

    def add(region, dv=None):
        path, size = files[region]
        action = {"path": path, "partitionValues": {"region": region}, "size": size,
                  "modificationTime": 1714558530000, "dataChange": True}
        if dv:
            action["deletionVector"] = dv
        return action

    def commit(version, actions):
        with open(os.path.join(log, f"{version:020}.json"), "w") as f:
            f.write("\n".join(json.dumps(a) for a in actions) + "\n")

    commit(0, [
        {"protocol": {"minReaderVersion": 3, "minWriterVersion": 7,
                      "readerFeatures": ["deletionVectors"],
                      "writerFeatures": ["deletionVectors"]}},
        {"metaData": {"id": "v1", "format": {"provider": "parquet", "options": {}},
                      "schemaString": json.dumps(schema), "partitionColumns": ["region"],
                      "configuration": {"delta.enableDeletionVectors": "true"},
                      "createdTime": 1714558530000}},
        {"add": add("eu")}, {"add": add("us")},
    ])
    # v1: a vector file beside the data (u, with a random prefix) for eu,
    # an inline vector for us.
    eu_first = [0, 999, 1000, 4999] + list(range(2500, 2600))
    array = bitmap_array(eu_first)
    uid = uuid.uuid4()
    dv_file(os.path.join(location, "q7", f"deletion_vector_{uid}.bin"), [array])
    eu_dv = {"storageType": "u", "pathOrInlineDv": "q7" + z85(uid.bytes), "offset": 1,
             "sizeInBytes": len(array), "cardinality": len(eu_first)}
    us_deleted = [1, 3]
    inline = bitmap_array(us_deleted)
    us_dv = {"storageType": "i", "pathOrInlineDv": z85(inline),
             "sizeInBytes": len(inline), "cardinality": len(us_deleted)}
    commit(1, [
        {"commitInfo": {"operation": "DELETE"}},
        {"remove": add("eu")}, {"add": add("eu", eu_dv)},
        {"remove": add("us")}, {"add": add("us", us_dv)},
    ])
    DeltaTable(location).create_checkpoint()
    # v2: eu's vector replaced by one at an absolute path (p), the second
    # bitmap of its file; the add before the remove of the old pair.
    eu_second = sorted(set(eu_first) | {3000, 3001})
    elsewhere = os.path.join(root, "elsewhere", "vectors.bin")
    offsets = dv_file(elsewhere, [bitmap_array([7]), bitmap_array(eu_second)])
    eu_dv2 = {"storageType": "p", "pathOrInlineDv": "file://" + elsewhere,
              "offset": offsets[1], "sizeInBytes": len(bitmap_array(eu_second)),
              "cardinality": len(eu_second)}
    commit(2, [
        {"commitInfo": {"operation": "DELETE"}},
        {"add": add("eu", eu_dv2)}, {"remove": add("eu", eu_dv)},
    ])
    register(root, "vectors", location)
    rows = judged(location, ["id", "amount", "region"])
    # What the deletes leave, worked out apart from any reader.
    kept = [i for i in range(5000) if i not in eu_second] + \
        [5000 + i for i in range(10) if i not in us_deleted]
    assert sorted(int(r[0]) for r in rows) == kept, "deltalake disagrees with the fixture"
    return rows


def features(root):
    expected = {"mapped": mapped(root, "name"), "mapped_id": mapped(root, "id"),
                "vectors": vectors(root)}
    with open(os.path.join(root, "features.json"), "w") as f:
        json.dump(expected, f, indent=2)


if __name__ == "__main__":
    commands = {"make": make, "features": features}
    if sys.argv[1] not in commands:
        sys.exit(f"unknown command {sys.argv[1]}")
    commands[sys.argv[1]](sys.argv[2])
    # deltalake's runtime threads can abort the interpreter's shutdown
    # ("terminate called without an active exception", seen under load);
    # everything is written by now, so leave without tearing them down.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
