"""``python -m infra keys bootstrap``: a deployed stack's first admin key, made with AWS credentials (the
stack, its KeysTable and CloudFormation on a moto server), which the API's own ``ApiKeys`` then accepts."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest

from infra.template import Template
from investmind.adapters import aws
from investmind.adapters.dynamodb.keys import AsyncDynamoKeyStore
from investmind.auth import ApiKeys
from investmind.auth.api_keys import parse_api_key

from .conftest import REGION

ROOT = Path(__file__).resolve().parents[3]


def _stack(endpoint: str, with_output: bool) -> tuple[str, str]:
    """A stack holding template.yaml's own KeysTable (with or without its output); (stack, table name)."""
    name = f"bootstrap-{uuid.uuid4().hex[:8]}"
    body = {"Resources": {"KeysTable": Template.load().resources["KeysTable"]}}
    if with_output:
        body["Outputs"] = {"KeysTableName": {"Value": {"Ref": "KeysTable"}}}
    cloudformation = boto3.client("cloudformation", endpoint_url=endpoint, region_name=REGION)
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(body))
    resource = cloudformation.describe_stack_resource(StackName=name, LogicalResourceId="KeysTable")
    return name, resource["StackResourceDetail"]["PhysicalResourceId"]


def _bootstrap(endpoint: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVESTMIND_")}
    env |= {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    return subprocess.run(
        [sys.executable, "-m", "infra", "keys", "bootstrap", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _caller(endpoint: str, table: str, key: str, monkeypatch: pytest.MonkeyPatch):
    """Who the API would take ``key`` for (its own ApiKeys on the table), and the table's items."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)

    async def authenticate():
        clients = aws.AsyncClients()
        await clients.start("dynamodb")
        try:
            return await ApiKeys(AsyncDynamoKeyStore(table, clients["dynamodb"])).authenticate(key)
        finally:
            await clients.close()

    items = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION).scan(TableName=table)["Items"]
    return asyncio.run(authenticate()), items


@pytest.mark.parametrize("with_output", [True, False], ids=["output", "resource"])
def test_bootstrap_prints_one_admin_key_that_the_api_accepts(endpoint, client, monkeypatch, with_output):
    stack, table = _stack(endpoint, with_output)

    run = _bootstrap(endpoint, "--stack", stack, "--owner", "ops-lead", "--region", REGION)

    assert run.returncode == 0, run.stderr
    key = run.stdout.strip().splitlines()[-1]
    assert run.stdout.strip() == key and parse_api_key(key) is not None  # alone, once
    assert table in run.stderr and key not in run.stderr
    caller, items = _caller(endpoint, table, key, monkeypatch)
    assert (caller.owner, caller.admin) == ("ops-lead", True)
    assert len(items) == 1 and items[0]["role"]["S"] == "admin"
    assert key.split("_", 2)[2] not in json.dumps(items)  # the table holds a digest, never the secret


def test_bootstrap_of_a_missing_stack_or_a_blank_owner_fails_clearly_and_writes_nothing(endpoint, client):
    stack, table = _stack(endpoint, with_output=True)

    missing = _bootstrap(endpoint, "--stack", "no-such-stack", "--region", REGION)
    blank = _bootstrap(endpoint, "--stack", stack, "--owner", " ", "--region", REGION)

    assert missing.returncode != 0 and "no-such-stack" in missing.stderr and "Traceback" not in missing.stderr
    assert blank.returncode != 0 and "owner" in blank.stderr and "Traceback" not in blank.stderr
    assert missing.stdout == blank.stdout == ""
    assert boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION).scan(TableName=table)["Items"] == []
