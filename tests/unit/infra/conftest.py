"""A moto server in this process with every emulator patch applied (undone after the module), and its clients."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from infra import patches

REGION = "us-east-1"
ACCOUNT = "123456789012"
NO_RETRIES = Config(retries={"total_max_attempts": 1})


def _moto_config(endpoint: str, execute_state_machine: bool) -> None:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/config",
        method="POST",
        data=json.dumps({"stepfunctions": {"execute_state_machine": execute_state_machine}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        response.read()


@pytest.fixture(scope="package")
def endpoint() -> Iterator[str]:
    """A moto server in this process with every patch applied, as the embedded runtime runs it."""
    with pytest.MonkeyPatch.context() as patch:
        patches.apply_all(patch.setattr)
        patch.setattr(logging.getLogger("werkzeug"), "level", logging.WARNING)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        _moto_config(url, execute_state_machine=True)
        try:
            yield url
        finally:
            # moto's config is process-wide: other tests start executions they do not want run.
            _moto_config(url, execute_state_machine=False)
            patches.lambda_invoke.attach(None)
            server.stop()


@pytest.fixture
def client(endpoint: str, monkeypatch: pytest.MonkeyPatch):
    # Step Functions' Lambda client (infra/patches/sfn_lambda_client.py) finds the server by MOTO_PORT.
    monkeypatch.setenv("MOTO_PORT", endpoint.rsplit(":", 1)[1])

    def make(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=NO_RETRIES,  # a throttle is the answer under test, not something to retry
        )

    return make
