"""Real Athena clients against `lathe serve`: what they see, as JSON.

Run by tests/serve.rs with AWS_ENDPOINT_URL pointing at the server; each
scenario drives one client exactly as its users do and prints what the
client returned, for the Rust test to compare with lathe's own answers.
"""

import json
import subprocess
import sys
import time

import boto3


def athena():
    return boto3.client("athena")


def wait(client, query_id, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        execution = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return execution
        time.sleep(0.05)
    raise SystemExit(f"query {query_id} did not finish in {timeout} s")


def all_rows(client, query_id, page_size):
    """Every row through GetQueryResults' paging, and the pages it took."""
    rows, pages, token = [], 0, None
    column_info = None
    while True:
        args = {"QueryExecutionId": query_id, "MaxResults": page_size}
        if token:
            args["NextToken"] = token
        page = client.get_query_results(**args)
        pages += 1
        column_info = page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
        for row in page["ResultSet"]["Rows"]:
            rows.append([d.get("VarCharValue") for d in row["Data"]])
        token = page.get("NextToken")
        if not token:
            return rows, pages, column_info, page.get("UpdateCount")


def boto3_athena(sql, database):
    """StartQueryExecution → GetQueryExecution → paged GetQueryResults, and
    the result file fetched back over S3."""
    client = athena()
    query_id = client.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": database}
    )["QueryExecutionId"]
    execution = wait(client, query_id)
    rows, pages, column_info, update_count = all_rows(client, query_id, 3)
    location = execution["ResultConfiguration"]["OutputLocation"]
    bucket, key = location[len("s3://"):].split("/", 1)
    s3 = boto3.client("s3")
    csv = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    ranged = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-3")["Body"].read().decode()
    listed = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket=bucket, Prefix=query_id)["Contents"]
    ]
    ids = client.list_query_executions()["QueryExecutionIds"]
    return {
        "state": execution["Status"]["State"],
        "statement_type": execution["StatementType"],
        "scanned": execution["Statistics"]["DataScannedInBytes"],
        "output": location,
        "rows": rows,
        "pages": pages,
        "types": [(c["Name"], c["Type"], c["Precision"], c["Scale"]) for c in column_info],
        "update_count": update_count,
        "csv": csv,
        "ranged": ranged,
        "listed": sorted(listed),
        "listed_in_executions": query_id in ids,
    }


def failure(sql):
    client = athena()
    query_id = client.start_query_execution(QueryString=sql)["QueryExecutionId"]
    execution = wait(client, query_id)
    try:
        client.get_query_results(QueryExecutionId=query_id)
        results_error = None
    except client.exceptions.InvalidRequestException as e:
        results_error = str(e)
    return {
        "state": execution["Status"]["State"],
        "reason": execution["Status"].get("StateChangeReason"),
        "error": execution["Status"].get("AthenaError"),
        "results_error": results_error,
    }


def stop(sql):
    """A long query stopped while it runs."""
    client = athena()
    query_id = client.start_query_execution(QueryString=sql)["QueryExecutionId"]
    while client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"] == "QUEUED":
        time.sleep(0.02)
    running = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"]
    # Another query runs to the end meanwhile.
    quick = client.start_query_execution(QueryString="SELECT 1 AS one")["QueryExecutionId"]
    quick_state = wait(client, quick)["Status"]["State"]
    still = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"]
    client.stop_query_execution(QueryExecutionId=query_id)
    execution = wait(client, query_id)
    return {"before": running, "quick": quick_state, "still": still, "after": execution["Status"]["State"]}


def metadata():
    client = athena()
    workgroup = client.get_work_group(WorkGroup="primary")["WorkGroup"]
    catalogs = client.list_data_catalogs()["DataCatalogsSummary"]
    databases = [d["Name"] for d in client.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]]
    tables = client.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="web")["TableMetadataList"]
    table = client.get_table_metadata(
        CatalogName="AwsDataCatalog", DatabaseName="web", TableName="clickstream"
    )["TableMetadata"]
    try:
        client.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="web", TableName="nope")
        missing = None
    except client.exceptions.MetadataException as e:
        missing = str(e)
    named = client.list_named_queries()["NamedQueryIds"]
    created = client.create_named_query(
        Name="judge_query", Database="web", QueryString="SELECT 42 AS answer", Description="made by the judge"
    )["NamedQueryId"]
    got = client.get_named_query(NamedQueryId=created)["NamedQuery"]
    client.delete_named_query(NamedQueryId=created)
    client.create_prepared_statement(
        StatementName="events_on", WorkGroup="primary",
        QueryStatement="SELECT count(*) AS n FROM web.clickstream WHERE CAST(event_time AS DATE) = CAST(? AS DATE)",
    )
    statements = [s["StatementName"] for s in client.list_prepared_statements(WorkGroup="primary")["PreparedStatements"]]
    query_id = client.start_query_execution(
        QueryString="EXECUTE events_on USING '2024-05-01'"
    )["QueryExecutionId"]
    executed = wait(client, query_id)
    executed_rows, _, _, _ = all_rows(client, query_id, 10)
    query_id = client.start_query_execution(
        QueryString="SELECT ? + 1 AS next, ? AS word", ExecutionParameters=["41", "'w'"]
    )["QueryExecutionId"]
    wait(client, query_id)
    parameter_rows, _, _, _ = all_rows(client, query_id, 10)
    client.delete_prepared_statement(StatementName="events_on", WorkGroup="primary")
    return {
        "output_location": workgroup["Configuration"]["ResultConfiguration"]["OutputLocation"],
        "catalogs": [c["CatalogName"] for c in catalogs],
        "databases": databases,
        "tables": [t["Name"] for t in tables],
        "columns": [(c["Name"], c["Type"]) for c in table["Columns"]],
        "partition_keys": [(c["Name"], c["Type"]) for c in table["PartitionKeys"]],
        "location": table["Parameters"].get("location"),
        "missing": missing,
        "named": named,
        "created": [got["Name"], got["QueryString"].strip(), got.get("Description")],
        "statements": statements,
        "executed": [executed["Status"]["State"], executed_rows],
        "parameters": parameter_rows,
    }


def pyathena_cursor(sql, database):
    from pyathena import connect

    cursor = connect(
        s3_staging_dir="s3://lathe-query-results/pyathena/", region_name="us-east-1", schema_name=database
    ).cursor()
    cursor.execute(sql)
    return {
        "description": [(d[0], d[1]) for d in cursor.description],
        "rows": [[str(v) if v is not None else None for v in row] for row in cursor.fetchall()],
        "scanned": cursor.data_scanned_in_bytes,
    }


def pandas_cursor(sql, database):
    """PyAthena's PandasCursor reads the result CSV over S3."""
    from pyathena import connect
    from pyathena.pandas.cursor import PandasCursor

    cursor = connect(
        s3_staging_dir="s3://lathe-query-results/pandas/", region_name="us-east-1",
        schema_name=database, cursor_class=PandasCursor,
    ).cursor()
    frame = cursor.execute(sql).as_pandas()
    return {
        "columns": list(frame.columns),
        "rows": [[str(v) for v in row] for row in frame.itertuples(index=False)],
    }


def wrangler(sql, database):
    import awswrangler as wr

    frame = wr.athena.read_sql_query(sql, database=database, ctas_approach=False)
    return {
        "columns": list(frame.columns),
        "rows": [[str(v) for v in row] for row in frame.itertuples(index=False)],
        "databases": sorted(wr.catalog.databases()["Database"].tolist()),
        "tables": sorted(wr.catalog.tables(database="web")["Table"].tolist()),
    }


def glue(location):
    """Glue's catalog calls, as dbt-athena and awswrangler make them."""
    client = boto3.client("glue")
    client.create_database(DatabaseInput={"Name": "judge"})
    try:
        client.create_database(DatabaseInput={"Name": "judge"})
        duplicate = None
    except client.exceptions.AlreadyExistsException as e:
        duplicate = type(e).__name__
    client.create_table(
        DatabaseName="judge",
        TableInput={
            "Name": "events",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "name", "Type": "string"}],
                "Location": location,
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
            },
            "PartitionKeys": [{"Name": "year", "Type": "int"}, {"Name": "month", "Type": "string"}],
        },
    )
    client.batch_create_partition(
        DatabaseName="judge",
        TableName="events",
        PartitionInputList=[
            {"Values": [y, m], "StorageDescriptor": {"Location": f"{location}year={y}/month={m}/"}}
            for y, m in [("2023", "12"), ("2024", "01"), ("2024", "02")]
        ],
    )
    again = client.batch_create_partition(
        DatabaseName="judge", TableName="events",
        PartitionInputList=[{"Values": ["2024", "01"], "StorageDescriptor": {"Location": f"{location}x/"}}],
    )["Errors"]
    selected = client.get_partitions(
        DatabaseName="judge", TableName="events", Expression="year = 2024 AND month > '01'"
    )["Partitions"]
    table = client.get_table(DatabaseName="judge", Name="events")["Table"]
    tables = [t["Name"] for t in client.get_tables(DatabaseName="judge")["TableList"]]
    athena_rows = run_sql("SELECT year, month, count(*) AS n FROM judge.events GROUP BY 1, 2 ORDER BY 1, 2")
    client.batch_delete_partition(
        DatabaseName="judge", TableName="events", PartitionsToDelete=[{"Values": ["2023", "12"]}]
    )
    remaining = [p["Values"] for p in client.get_partitions(DatabaseName="judge", TableName="events")["Partitions"]]
    client.delete_table(DatabaseName="judge", Name="events")
    try:
        client.get_table(DatabaseName="judge", Name="events")
        gone = None
    except client.exceptions.EntityNotFoundException as e:
        gone = type(e).__name__
    client.delete_database(Name="judge")
    identity = boto3.client("sts").get_caller_identity()["Account"]
    return {
        "duplicate": duplicate,
        "again": [e["ErrorDetail"]["ErrorCode"] for e in again],
        "selected": sorted(p["Values"] for p in selected),
        "columns": [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]],
        "tables": tables,
        "athena_rows": athena_rows,
        "remaining": sorted(remaining),
        "gone": gone,
        "account": identity,
    }


def run_sql(sql):
    """Rows of one query, the label row first."""
    client = athena()
    query_id = client.start_query_execution(QueryString=sql)["QueryExecutionId"]
    execution = wait(client, query_id)
    if execution["Status"]["State"] != "SUCCEEDED":
        raise SystemExit(f"{sql}: {execution['Status']}")
    return all_rows(client, query_id, 1000)[0]


def s3_round_trip(bucket, prefix):
    """Objects written, listed, read and deleted with boto3 and the AWS CLI;
    a multipart upload (boto3 switches to one above its threshold)."""
    from boto3.s3.transfer import TransferConfig

    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key=f"{prefix}a/one.json", Body=b'{"id": 1}\n')
    s3.put_object(Bucket=bucket, Key=f"{prefix}a/two.json", Body=b'{"id": 2}\n')
    big = bytes(range(256)) * (6 * 1024 * 1024 // 256 * 2)  # 12 MiB
    s3.upload_fileobj(
        __import__("io").BytesIO(big), bucket, f"{prefix}big.bin",
        Config=TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024),
    )
    back = s3.get_object(Bucket=bucket, Key=f"{prefix}big.bin")["Body"].read()
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, Delimiter="/")
    paged = s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}a/", MaxKeys=1)
    cli = subprocess.run(
        [sys.executable, "-m", "awscli", "s3", "ls", f"s3://{bucket}/{prefix}a/"],
        capture_output=True, text=True, check=True,
    ).stdout
    try:
        s3.get_object(Bucket=bucket, Key=f"{prefix}../../etc/passwd")
        escaped = "read"
    except s3.exceptions.ClientError as e:
        escaped = e.response["Error"]["Code"]
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"{prefix}a/one.json"}]})
    after = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
    return {
        "big_intact": back == big,
        "prefixes": [p["Prefix"] for p in listed.get("CommonPrefixes", [])],
        "keys": [o["Key"] for o in listed.get("Contents", [])],
        "paged": [[o["Key"] for o in paged["Contents"]], paged["IsTruncated"]],
        "cli": sorted(line.split()[-1] for line in cli.splitlines()),
        "escaped": escaped,
        "after": sorted(after),
    }


def write():
    """dbt-athena's first statements: CREATE SCHEMA in the context of the
    schema it creates, then a CTAS naming the catalog, as dbt writes them."""
    client = athena()
    created = client.start_query_execution(
        QueryString="create schema if not exists `judge_dbt`",
        QueryExecutionContext={"Database": "judge_dbt", "Catalog": "awsdatacatalog"},
    )["QueryExecutionId"]
    created_state = wait(client, created)["Status"]["State"]
    query_id = client.start_query_execution(
        QueryString="""create table "awsdatacatalog"."judge_dbt"."daily"
    with (table_type='hive', is_external=true,
          external_location='s3://judge-bucket/ctas/daily/', format='parquet')
    as select cast(event_time as date) as day, count(*) as events from web.clickstream group by 1""",
        QueryExecutionContext={"Database": "judge_dbt"},
    )["QueryExecutionId"]
    execution = wait(client, query_id)
    rows, _, column_info, update_count = all_rows(client, query_id, 100)
    manifest = execution["Statistics"]["DataManifestLocation"]
    bucket, key = manifest[len("s3://"):].split("/", 1)
    listed = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode().split()
    return {
        "created": created_state,
        "state": execution["Status"]["State"],
        "statement_type": execution["StatementType"],
        "rows": rows,
        "types": [(c["Name"], c["Type"]) for c in column_info],
        "update_count": update_count,
        "manifest": manifest,
        "files": listed,
        "read_back": run_sql("SELECT sum(events) FROM judge_dbt.daily"),
    }


def credentials():
    """One call per API; each answer or the error code it got."""
    calls = {
        "athena": lambda: boto3.client("athena").list_work_groups(),
        "glue": lambda: boto3.client("glue").get_databases(),
        "s3": lambda: boto3.client("s3").list_objects_v2(Bucket="lathe-query-results"),
        "s3_put": lambda: boto3.client("s3").put_object(Bucket="judge-bucket", Key="signed.txt", Body=b"x" * 100),
        "sts": lambda: boto3.client("sts").get_caller_identity(),
    }
    outcome = {}
    for name, call in calls.items():
        try:
            call()
            outcome[name] = "ok"
        except boto3.exceptions.botocore.exceptions.ClientError as e:
            outcome[name] = e.response["Error"]["Code"]
    return outcome


if __name__ == "__main__":
    scenario, *args = sys.argv[1:]
    print(json.dumps(globals()[scenario](*args), default=str))
