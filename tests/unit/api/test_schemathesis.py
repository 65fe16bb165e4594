"""schemathesis against the document the app serves (/openapi.json): no 5xx, and every response conforms to it
(status, content type, headers, body schema), the stream's events included: schemathesis parses a
``text/event-stream`` body as Server-Sent Events and checks each event, its ``data`` too, against the document.

The app is the real one with real authentication (tests/unit/api/served.py): every case carries a real API key,
and its path's task is, as often as not, one the key's owner has (a running one, an ended one).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.testclient import TestClient

from .served import served

WORLD = served(owner="schemathesis-owner")
schema = schemathesis.openapi.from_asgi("/openapi.json", WORLD.app)


REQUEST_TIMEOUT_S = 60
"""The bars route reads and averages real market data: ~1 s a request on a busy machine, more the first time."""


@pytest.fixture(scope="module", autouse=True)
def warm_market_data() -> None:
    """Load the bundled market data once (~20 s cold), before the cases that read it."""
    with TestClient(WORLD.app) as client:
        assert client.get(f"/v1/analyses/{WORLD.task_id}/bars", headers=WORLD.auth).status_code == 200


@schema.auth()
class ApiKey:
    def get(self, case: Any, ctx: Any) -> str:
        return WORLD.key

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.hook
def flatmap_path_parameters(ctx: Any, path_parameters: dict[str, Any]) -> st.SearchStrategy:
    """Half the cases name a task the caller owns, so the 200s are exercised as well as the 404s."""
    if "task_id" not in (path_parameters or {}):
        return st.just(path_parameters)
    owned = [{**path_parameters, "task_id": task} for task in (WORLD.task_id, WORLD.ended_id)]
    return st.sampled_from([path_parameters, *owned])


def refusals_beyond_the_schema(case: Any) -> dict[int, set[str]] | None:
    """(status → error codes) a schema-valid case may still get, on facts no JSON Schema can state; None: none.

    A submission: a well-formed symbol the data does not hold, an ``as_of`` in the future, a symbol whose spelt
    market contradicts ``market``, an ``Idempotency-Key`` an earlier case sent with another body.
    A list page: a cursor in the cursor alphabet that this API did not issue, or a ``symbol`` filter that is no
    stock symbol (its spellings and the markets inferred from a code's first digits are no pattern a schema holds).
    """
    if case.operation.label == "POST /v1/analyses":
        return {422: {"validation_error", "unknown_symbol", "idempotency_key_reused"}}
    if case.operation.label == "GET /v1/analyses" and {"cursor", "symbol"} & set(case.query or {}):
        return {400: {"invalid_request"}}
    return None


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case):
    refusals = refusals_beyond_the_schema(case)
    if refusals is None:
        case.call_and_validate(timeout=REQUEST_TIMEOUT_S)
        return
    # positive_data_acceptance would flag those refusals: it is excluded for these cases only (every other
    # check runs), and the assertion below checks in its place that a refusal is one of them.
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance], timeout=REQUEST_TIMEOUT_S)
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if response.status_code >= 400 and not negative:
        assert response.json()["error"]["code"] in refusals.get(response.status_code, set()), response.text
