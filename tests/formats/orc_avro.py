"""ORC and Avro files from third parties, and their verdict on lathe's.

    orc_avro.py make DIR     pyarrow writes ORC tables (Hive's positional
                                `_colN` names, and named columns in another
                                order), fastavro writes an Avro table; the
                                Glue entries go to DIR/catalog/tp/ and the
                                rows each writer reads back to DIR/expected.json
    orc_avro.py read FORMAT FILE...
                                prints, as JSON, the rows pyarrow (ORC) or
                                fastavro (Avro) reads from files lathe wrote

Values are compared as text, in Athena's spelling (CAST(x AS varchar)).
"""

import datetime
import decimal
import json
import os
import sys

import fastavro
import pyarrow as pa
import pyarrow.orc as orc


def glue(name, columns, location, serde, inputformat, outputformat,
         partition_keys=(), serde_parameters=None):
    return {"Table": {
        "Name": name, "DatabaseName": "tp", "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE"},
        "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": t} for n, t in columns],
            "Location": location,
            "InputFormat": inputformat, "OutputFormat": outputformat,
            "SerdeInfo": {"SerializationLibrary": serde,
                          "Parameters": serde_parameters or {}},
        },
        "PartitionKeys": [{"Name": n, "Type": t} for n, t in partition_keys],
    }}


ORC = ("org.apache.hadoop.hive.ql.io.orc.OrcSerde",
       "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
       "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat")
AVRO = ("org.apache.hadoop.hive.serde2.avro.AvroSerDe",
        "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
        "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat")


def text(value):
    """A value as Athena's CAST(... AS varchar) spells it; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return "|".join(text(v) for v in value)
    return str(value)


def make(root):
    warehouse = os.path.join(root, "warehouse")
    catalog = os.path.join(root, "catalog", "tp")
    os.makedirs(catalog, exist_ok=True)
    expected = {}

    # Hive's ORC writer names columns _col0.._colN: Athena reads by position.
    # Two partitions; the second file has a column the first lacks (added
    # at the end, as positional schema evolution allows).
    hive = os.path.join(warehouse, "orc_hive")
    first = pa.table({
        "_col0": pa.array([1, 2, 3], pa.int32()),
        "_col1": pa.array(["apple", None, "cherry"]),
        "_col2": pa.array([1.5, 2.25, None], pa.float64()),
        "_col3": pa.array([datetime.date(2024, 5, 1)] * 3, pa.date32()),
        "_col4": pa.array([datetime.datetime(2024, 5, 1, 10, 0, 0, 123000),
                           datetime.datetime(1969, 12, 31, 23, 59, 59),
                           None], pa.timestamp("us")),
        "_col5": pa.array([["a", "b"], [], None], pa.list_(pa.string())),
    })
    second = pa.table({
        "_col0": pa.array([4], pa.int64()),
        "_col1": pa.array(["date"]),
        "_col2": pa.array([4.0]),
        "_col3": pa.array([datetime.date(2024, 5, 2)], pa.date32()),
        "_col4": pa.array([datetime.datetime(2024, 5, 2, 0, 0)], pa.timestamp("us")),
        "_col5": pa.array([["z"]], pa.list_(pa.string())),
        "_col6": pa.array([True]),
    })
    for day, table in (("2024-05-01", first), ("2024-05-02", second)):
        folder = os.path.join(hive, f"dt={day}")
        os.makedirs(folder)
        orc.write_table(table, os.path.join(folder, "000000_0"), compression="zlib")
    columns = [("id", "bigint"), ("name", "string"), ("amount", "double"),
               ("day", "date"), ("ts", "timestamp"), ("tags", "array<string>"),
               ("late", "boolean")]
    with open(os.path.join(catalog, "orc_hive.json"), "w") as f:
        json.dump(glue("orc_hive", columns, "file://" + hive, *ORC,
                       partition_keys=[("dt", "string")]), f, indent=2)
    rows = []
    for day, table in (("2024-05-01", first), ("2024-05-02", second)):
        back = orc.read_table(os.path.join(hive, f"dt={day}", "000000_0")).to_pylist()
        for row in back:
            values = list(row.values())
            values += [None] * (len(columns) - len(values))
            rows.append([text(v) for v in values] + [day])
    expected["orc_hive"] = sorted(rows, key=lambda r: int(r[0]))

    # Named ORC columns in another order, read by name as the table asks.
    named = os.path.join(warehouse, "orc_named")
    os.makedirs(named)
    table = pa.table({
        "Amount": pa.array([10.25, 20.5]),
        "ID": pa.array([10, 20], pa.int64()),
        "unused": pa.array(["x", "y"]),
    })
    orc.write_table(table, os.path.join(named, "part-0.orc"), compression="snappy")
    with open(os.path.join(catalog, "orc_named.json"), "w") as f:
        json.dump(glue("orc_named", [("id", "bigint"), ("amount", "double"), ("note", "string")],
                       "file://" + named, *ORC,
                       serde_parameters={"orc.column.index.access": "false"}), f, indent=2)
    back = orc.read_table(os.path.join(named, "part-0.orc")).to_pylist()
    expected["orc_named"] = sorted(
        ([text(r["ID"]), text(r["Amount"]), None] for r in back), key=lambda r: int(r[0]))

    # One ORC file of ten stripes of 1000 rows (Apache ORC's writer keeps
    # each stripe's column statistics): filters skip stripes.
    stripes = os.path.join(warehouse, "orc_stripes")
    os.makedirs(stripes)
    table = pa.table({
        "id": pa.array(range(10000), pa.int64()),
        "name": pa.array([f"n{i:05d}" for i in range(10000)]),
        "price": pa.array([decimal.Decimal(i) / 100 for i in range(10000)],
                          pa.decimal128(10, 2)),
    })
    orc.write_table(table, os.path.join(stripes, "part-0.orc"), stripe_size=4096,
                    batch_size=1000)
    assert orc.ORCFile(os.path.join(stripes, "part-0.orc")).nstripes == 10
    with open(os.path.join(catalog, "orc_stripes.json"), "w") as f:
        json.dump(glue("orc_stripes", [("id", "bigint"), ("name", "string"),
                                       ("price", "decimal(10,2)")],
                       "file://" + stripes, *ORC), f, indent=2)

    # Avro as Hive's AvroSerDe and Glue crawlers meet it: nullable unions,
    # logical types, an enum, an array; read by name.
    avro_dir = os.path.join(warehouse, "avro_events")
    os.makedirs(avro_dir)
    schema = fastavro.parse_schema({
        "type": "record", "name": "event", "namespace": "lathe.test",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "name", "type": ["null", "string"], "default": None},
            {"name": "price", "type": {"type": "bytes", "logicalType": "decimal",
                                       "precision": 10, "scale": 2}},
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "ts", "type": ["null", {"type": "long",
                                             "logicalType": "timestamp-millis"}]},
            {"name": "kind", "type": {"type": "enum", "name": "kind",
                                      "symbols": ["CLICK", "VIEW"]}},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "score", "type": "float"},
        ],
    })
    utc = datetime.timezone.utc
    records = [
        {"id": 1, "name": "first", "price": decimal.Decimal("12.50"),
         "day": datetime.date(2024, 5, 1),
         "ts": datetime.datetime(2024, 5, 1, 8, 30, 0, 250000, tzinfo=utc),
         "kind": "CLICK", "tags": ["x", "y"], "score": 0.5},
        {"id": 2, "name": None, "price": decimal.Decimal("-3.05"),
         "day": datetime.date(1999, 12, 31), "ts": None,
         "kind": "VIEW", "tags": [], "score": 2.25},
    ]
    for i, chunk in enumerate((records[:1], records[1:])):
        with open(os.path.join(avro_dir, f"part-{i}.avro"), "wb") as f:
            fastavro.writer(f, schema, chunk, codec="deflate" if i == 0 else "null")
    with open(os.path.join(catalog, "avro_events.json"), "w") as f:
        json.dump(glue("avro_events", [
            ("id", "bigint"), ("name", "string"), ("price", "decimal(10,2)"),
            ("day", "date"), ("ts", "timestamp"), ("kind", "string"),
            ("tags", "array<string>"), ("score", "double"), ("missing", "int"),
        ], "file://" + avro_dir, *AVRO), f, indent=2)
    rows = []
    for i in range(2):
        with open(os.path.join(avro_dir, f"part-{i}.avro"), "rb") as f:
            for r in fastavro.reader(f):
                ts = r["ts"].replace(tzinfo=None) if r["ts"] else None
                rows.append([text(r["id"]), text(r["name"]), text(r["price"]), text(r["day"]),
                             text(ts), r["kind"], text(r["tags"]), text(float(r["score"])),
                             None])
    expected["avro_events"] = rows

    # Tables whose columns come from an Avro schema, as Hive's AvroSerDe
    # takes them (the catalog's columns are ignored): a reader schema with
    # a field the files lack, as a literal and as a file the table names.
    reader_schema = {
        "type": "record", "name": "event", "namespace": "lathe.test",
        "fields": [
            {"name": "id", "type": "long", "doc": "event id"},
            {"name": "name", "type": ["null", "string"], "default": None},
            {"name": "score", "type": "float"},
            {"name": "added", "type": ["null", "int"], "default": None},
        ],
    }
    placeholder = [("col", "array<string>")]
    with open(os.path.join(catalog, "avro_literal.json"), "w") as f:
        json.dump(glue("avro_literal", placeholder, "file://" + avro_dir, *AVRO,
                       serde_parameters={"avro.schema.literal": json.dumps(reader_schema)}),
                  f, indent=2)
    avsc = os.path.join(root, "schemas", "event.avsc")
    os.makedirs(os.path.dirname(avsc))
    with open(avsc, "w") as f:
        json.dump(reader_schema, f)
    with open(os.path.join(catalog, "avro_url.json"), "w") as f:
        table = glue("avro_url", [], "file://" + avro_dir, *AVRO)
        table["Table"]["Parameters"]["avro.schema.url"] = "file://" + avsc
        json.dump(table, f, indent=2)
    expected["avro_reader_schema"] = [
        [text(r[0]), r[1], text(r[7]), None] for r in rows]

    with open(os.path.join(root, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2)


def read(fmt, files):
    rows = []
    for path in files:
        if fmt == "orc":
            records = orc.read_table(path).to_pylist()
        else:
            with open(path, "rb") as f:
                records = list(fastavro.reader(f))
        for r in records:
            row = {}
            for k, v in r.items():
                if isinstance(v, datetime.datetime) and v.tzinfo is not None:
                    v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
                row[k] = text(v)
            rows.append(row)
    print(json.dumps(rows))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "read":
        read(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
