"""Seeds local AWS servers for tests/aws.rs (boto3 from scripts/python-env).

    seed.py s3 ENDPOINT REPO [BUCKET=DIR ...]
        creates each BUCKET and uploads every file under REPO/DIR into it
    seed.py glue ENDPOINT REPO
        registers REPO/catalog/<db>/<table>.json in Glue, and master.orders'
        order_date=... folders (read from S3) as its partitions
    seed.py deny ENDPOINT
        creates an IAM user without permissions and one who may only read
        Glue; prints each one's key and secret on a line
    seed.py bucket ENDPOINT BUCKET
        creates an empty bucket
    seed.py ls ENDPOINT BUCKET [uploads]
        prints every key in BUCKET, one a line (and with `uploads`, a line
        `upload KEY` for each multipart upload still in progress)
    seed.py get ENDPOINT BUCKET KEY
        writes the object's bytes to stdout

Credentials and region come from the environment the test sets.
"""

import base64
import json
import os
import sys

import boto3
from botocore.config import Config

CONFIG = Config(
    s3={"addressing_style": "path"},
    request_checksum_calculation="when_required",
    response_checksum_validation="when_required",
    retries={"max_attempts": 2},
)

TABLE_INPUT = {
    "Name", "Description", "Owner", "Retention", "StorageDescriptor",
    "PartitionKeys", "TableType", "Parameters", "ViewOriginalText",
    "ViewExpandedText",
}
SD_INPUT = {
    "Columns", "Location", "InputFormat", "OutputFormat", "Compressed",
    "NumberOfBuckets", "SerdeInfo", "BucketColumns", "SortColumns",
    "Parameters", "StoredAsSubDirectories",
}


def client(service, endpoint):
    return boto3.client(service, endpoint_url=endpoint, config=CONFIG)


def seed_s3(endpoint, repo, pairs):
    s3 = client("s3", endpoint)
    for pair in pairs:
        bucket, folder = pair.split("=", 1)
        s3.create_bucket(Bucket=bucket)
        root = os.path.join(repo, folder)
        for dirpath, _, files in os.walk(root):
            for name in sorted(files):
                path = os.path.join(dirpath, name)
                key = os.path.relpath(path, root).replace(os.sep, "/")
                with open(path, "rb") as f:
                    s3.put_object(Bucket=bucket, Key=key, Body=f.read())


def seed_glue(endpoint, repo):
    glue = client("glue", endpoint)
    s3 = client("s3", endpoint)
    catalog = os.path.join(repo, "catalog")
    for database in sorted(os.listdir(catalog)):
        if not os.path.isdir(os.path.join(catalog, database)):
            continue  # .lathe.lock, left by a local write
        glue.create_database(DatabaseInput={"Name": database})
        for file in sorted(os.listdir(os.path.join(catalog, database))):
            if not file.endswith(".json") or file.endswith(".partitions.json"):
                continue
            with open(os.path.join(catalog, database, file)) as f:
                table = json.load(f)["Table"]
            table_input = {k: v for k, v in table.items() if k in TABLE_INPUT}
            sd = {k: v for k, v in table["StorageDescriptor"].items() if k in SD_INPUT}
            table_input["StorageDescriptor"] = sd
            glue.create_table(DatabaseName=database, TableInput=table_input)
    # Register master.orders' folders as partitions, as a crawler would.
    table = glue.get_table(DatabaseName="master", Name="orders")["Table"]
    sd = table["StorageDescriptor"]
    bucket, prefix = sd["Location"][len("s3://"):].split("/", 1)
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, Delimiter="/")
    partitions = []
    for common in listing.get("CommonPrefixes", []):
        folder = common["Prefix"][len(prefix):].strip("/")
        key, value = folder.split("=", 1)
        partition_sd = {k: v for k, v in sd.items() if k in SD_INPUT}
        partition_sd["Location"] = f"s3://{bucket}/{common['Prefix']}"
        partitions.append({"Values": [value], "StorageDescriptor": partition_sd})
    glue.batch_create_partition(
        DatabaseName="master", TableName="orders", PartitionInputList=partitions
    )
    print(len(partitions))


def seed_deny(endpoint):
    iam = client("iam", endpoint)
    iam.create_user(UserName="no-permissions")
    key = iam.create_access_key(UserName="no-permissions")["AccessKey"]
    print(key["AccessKeyId"], key["SecretAccessKey"])
    # A user who may read the Glue catalog but not change it.
    iam.create_user(UserName="glue-reader")
    key = iam.create_access_key(UserName="glue-reader")["AccessKey"]
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["glue:Get*"], "Resource": "*"}]}
    iam.put_user_policy(UserName="glue-reader", PolicyName="read",
                        PolicyDocument=json.dumps(policy))
    print(key["AccessKeyId"], key["SecretAccessKey"])


def seed_ls(endpoint, bucket, uploads):
    s3 = client("s3", endpoint)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            print(item["Key"])
    if uploads:
        for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            print("upload", upload["Key"])


def seed_view(endpoint, database, name):
    """A view's Glue entry as GetTable returns it, with its ViewOriginalText
    decoded here (Python's base64 and json, not lathe's)."""
    table = client("glue", endpoint).get_table(DatabaseName=database, Name=name)["Table"]
    text = table["ViewOriginalText"]
    prefix, suffix = "/* Presto View: ", " */"
    assert text.startswith(prefix) and text.endswith(suffix), text
    decoded = json.loads(base64.b64decode(text[len(prefix):-len(suffix)]))
    table = {k: v for k, v in table.items() if k not in ("CreateTime", "UpdateTime")}
    print(json.dumps({"Table": table, "Decoded": decoded}, default=str))


def main():
    mode, endpoint = sys.argv[1], sys.argv[2]
    if mode == "s3":
        seed_s3(endpoint, sys.argv[3], sys.argv[4:])
    elif mode == "glue":
        seed_glue(endpoint, sys.argv[3])
    elif mode == "view":
        seed_view(endpoint, sys.argv[3], sys.argv[4])
    elif mode == "deny":
        seed_deny(endpoint)
    elif mode == "bucket":
        client("s3", endpoint).create_bucket(Bucket=sys.argv[3])
    elif mode == "ls":
        seed_ls(endpoint, sys.argv[3], sys.argv[4:] == ["uploads"])
    elif mode == "get":
        body = client("s3", endpoint).get_object(Bucket=sys.argv[3], Key=sys.argv[4])["Body"]
        sys.stdout.buffer.write(body.read())
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
