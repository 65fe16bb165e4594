"""The API contract as the app itself documents it (``app.openapi()``, no server), against docs/architecture.md §3."""

from __future__ import annotations

import pytest

from investmind.composition.api import create_aws_app

CONTRACT_OPERATIONS = {
    ("post", "/v1/analyses"),
    ("get", "/v1/analyses"),
    ("get", "/v1/analyses/{task_id}"),
    ("post", "/v1/analyses/{task_id}/cancel"),
    ("get", "/v1/analyses/{task_id}/events"),
    ("get", "/v1/analyses/{task_id}/stream"),
    ("post", "/v1/analyses/{task_id}/stream-token"),
    ("post", "/v1/keys"),
    ("get", "/v1/keys"),
    ("delete", "/v1/keys/{key_id}"),
    ("post", "/v1/admin/reconcile"),
    ("get", "/v1/agents"),
    ("get", "/healthz"),
}
CONSOLE_OPERATIONS = {("get", "/v1/analyses/{task_id}/bars"), ("get", "/v1/symbols"), ("get", "/auth/config")}
"""Beyond docs/architecture.md §3: what the console reads (the chart's bars, the symbol suggestions, its sign-in)."""


@pytest.fixture(scope="module")
def doc() -> dict:
    return create_aws_app().openapi()  # the AWS-backed app: building its document opens nothing


def _operations(doc: dict) -> dict[tuple[str, str], dict]:
    return {(method, path): op for path, ops in doc["paths"].items() for method, op in ops.items()}


def _resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_openapi_lists_every_design_operation(doc):
    assert set(_operations(doc)) == CONTRACT_OPERATIONS | CONSOLE_OPERATIONS


def test_openapi_documents_the_bars_and_symbols_models(doc):
    ops = _operations(doc)
    bars = ops[("get", "/v1/analyses/{task_id}/bars")]
    page = _resolve(doc, bars["responses"]["200"]["content"]["application/json"]["schema"])
    bar = _resolve(doc, page["properties"]["bars"]["items"])
    symbols = _resolve(doc, ops[("get", "/v1/symbols")]["responses"]["200"]["content"]["application/json"]["schema"])

    assert {"task_id", "symbol", "as_of", "source", "bars"} <= set(page["properties"])
    assert {"date", "open", "high", "low", "close", "volume", "sma20", "sma60", "sma120"} == set(bar["properties"])
    assert {"409", "404"} <= set(bars["responses"]) and "limit" in {p["name"] for p in bars["parameters"]}
    assert set(symbols["properties"]) == {"items", "open"}


def test_openapi_operation_ids_are_tag_and_function_name(doc):
    ids = {key: op["operationId"] for key, op in _operations(doc).items()}

    assert ids[("post", "/v1/analyses")] == "analyses-create_analysis"
    assert ids[("get", "/v1/analyses/{task_id}/stream")] == "analyses-stream_analysis_events"
    assert ids[("get", "/healthz")] == "health-healthz"
    assert len(set(ids.values())) == len(ids)


def test_openapi_error_responses_use_the_error_shape(doc):
    for key, op in _operations(doc).items():
        if key in {("get", "/healthz"), ("get", "/auth/config")}:  # no input, no lookup: nothing to refuse
            continue
        for status in ("404", "422"):
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            error = _resolve(doc, _resolve(doc, schema)["properties"]["error"])
            assert set(error["properties"]) == {"code", "message", "details"}, key
            assert set(error["required"]) == {"code", "message"}, key


def test_openapi_documents_request_and_response_models(doc):
    ops = _operations(doc)
    post = ops[("post", "/v1/analyses")]
    body = _resolve(doc, post["requestBody"]["content"]["application/json"]["schema"])
    accepted = _resolve(doc, post["responses"]["202"]["content"]["application/json"]["schema"])
    events = _resolve(doc, ops[("get", "/v1/analyses/{task_id}/events")]["responses"]["200"]["content"][
        "application/json"
    ]["schema"])  # fmt: skip

    assert {"symbol", "market", "as_of", "priority", "agents"} <= set(body["properties"])
    assert set(accepted["properties"]) == {"task_id", "status", "links"}
    assert set(events["properties"]) == {"events", "next_after"}
    assert {"413", "503"} <= set(post["responses"])
    assert "idempotency-key" in {p["name"].lower() for p in post["parameters"]}


def test_openapi_stream_is_documented_as_event_stream(doc):
    stream = _operations(doc)[("get", "/v1/analyses/{task_id}/stream")]

    assert "text/event-stream" in stream["responses"]["200"]["content"]
    assert {"after", "last-event-id"} <= {p["name"].lower() for p in stream["parameters"]}
    assert doc["components"]["securitySchemes"]["stream_token"]["in"] == "query"


def test_openapi_every_v1_operation_declares_bearer_auth_and_401(doc):
    scheme = doc["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for (method, path), op in _operations(doc).items():
        if path.startswith("/v1/"):
            alternatives = [{"bearer": []}, {"stream_token": []}] if path.endswith("/stream") else [{"bearer": []}]
            assert sorted(op["security"], key=str) == alternatives, (method, path)
            assert "401" in op["responses"], (method, path)
