"""Unit-test fixtures: no network; AWS through moto's in-process ``mock_aws``, tables from template.yaml."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from moto import mock_aws

from infra.template import Template, create_table_request
from investmind.adapters import aws
from investmind.settings import get_settings


@pytest.fixture(autouse=True)
def _isolated_aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A stray endpoint would send boto3 past mock_aws to a real server (docs/architecture.md §7).
    for name in list(os.environ):
        if name.startswith(("INVESTMIND_", "AWS_")) or name in ("AGENT_ID", "MOTO_PORT"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    get_settings.cache_clear()
    aws.client.cache_clear()
    yield
    get_settings.cache_clear()
    aws.client.cache_clear()


@pytest.fixture
def aws_tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Every table of template.yaml, created in moto under its logical id; settings point at them."""
    template = Template.load()
    with mock_aws():
        client = aws.client("dynamodb")
        names = {}
        for logical_id, resource in template.of_type("AWS::DynamoDB::Table").items():
            names[logical_id] = f"test-{logical_id}"
            client.create_table(**create_table_request(names[logical_id], resource["Properties"]))
        monkeypatch.setenv("INVESTMIND_TASKS_TABLE", names["TasksTable"])
        monkeypatch.setenv("INVESTMIND_EVENTS_TABLE", names["EventsTable"])
        get_settings.cache_clear()
        yield names
