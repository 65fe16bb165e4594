"""``python -m infra keys bootstrap --stack NAME``: the first admin key of a deployed stack (AWS or LocalStack).

A new stack has no key, and every ``/v1`` route needs a caller, so the API cannot make the first one. The
operator makes it with AWS credentials instead: the stack's ``KeysTable`` (its output ``KeysTableName``,
else the resource itself) gets an ``admin`` key through the API's own ``ApiKeys`` (a digest only), and the
key is printed once, alone on the last line, as ``investmind keys create`` prints one (docs/security.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from .local_identity import ADMIN_OWNER, create_admin_key

KEYS_OUTPUT, KEYS_RESOURCE = "KeysTableName", "KeysTable"


def keys_table_of(cloudformation: Any, stack: str) -> str:
    """The physical name of ``stack``'s KeysTable: its output, else its resource (a template without the output)."""
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    for output in described.get("Outputs") or []:
        if output["OutputKey"] == KEYS_OUTPUT:
            return output["OutputValue"]
    resources = cloudformation.describe_stack_resources(StackName=stack, LogicalResourceId=KEYS_RESOURCE)
    for resource in resources["StackResources"]:
        if resource.get("PhysicalResourceId"):
            return resource["PhysicalResourceId"]
    raise SystemExit(f"stack {stack} has no {KEYS_RESOURCE} (neither the output {KEYS_OUTPUT} nor the resource)")


def bootstrap(stack: str, owner: str, name: str, region: str | None) -> str:
    """Register a new admin key for ``owner`` in ``stack``'s KeysTable and return it.

    AWS_ENDPOINT_URL (LocalStack) reaches both CloudFormation and DynamoDB, as it does for every client here.
    """
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    if region:
        os.environ["AWS_REGION"] = region
    session = boto3.session.Session(region_name=region)
    try:
        table = keys_table_of(session.client("cloudformation"), stack)
    except ClientError as exc:
        raise SystemExit(f"cannot read stack {stack}: {exc}") from None
    except BotoCoreError as exc:
        raise SystemExit(f"cannot reach CloudFormation for stack {stack}: {exc}") from None
    key = create_admin_key(table, None, owner=owner, name=name)
    print(f"admin key for {owner!r} registered in {table} (stack {stack}); it is shown once:", file=sys.stderr)
    return key


def add_parser(sub: Any) -> None:
    keys = sub.add_parser("keys", help="API keys of a deployed stack, with AWS credentials (docs/security.md)")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    boot = keys_sub.add_parser("bootstrap", help="register the first admin key of a deployed stack and print it")
    boot.add_argument("--stack", required=True, help="the CloudFormation stack (samconfig.toml's stack_name)")
    boot.add_argument("--owner", default=ADMIN_OWNER, help=f"the admin key's owner (default: {ADMIN_OWNER})")
    boot.add_argument("--name", default="bootstrap", help="the key's name, as `investmind keys list` shows it")
    boot.add_argument("--region", default=None, help="default: AWS_REGION / AWS_DEFAULT_REGION / the profile's")


def run(args: argparse.Namespace) -> int:
    print(bootstrap(args.stack, args.owner, args.name, args.region))
    return 0
