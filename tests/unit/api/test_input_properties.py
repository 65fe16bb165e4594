"""Property tests: whatever a client puts in a header or query parameter the API reads, the answer is never a
5xx, every error is in the error shape, and a refused request changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from investmind.models import MAX_SEQ

from .served import Served, served

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[Served, TestClient]]:
    world = served()
    with TestClient(world.app, raise_server_exceptions=False) as client:
        yield world, client


def header_bytes() -> st.SearchStrategy[bytes]:
    """Any bytes a header can carry (no CR, LF or NUL: those end it on the wire), latin-1 and UTF-8 digits too."""
    raw = st.binary(max_size=300).filter(lambda b: not set(b) & {0, 10, 13})
    digits = st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=40).map(str.encode)
    return st.one_of(raw, digits, st.integers().map(lambda n: str(n).encode()), st.just(b"9" * 5000))


def param_text() -> st.SearchStrategy[str]:
    """Query values: any text, numbers of every size and sign, and the near-valid."""
    numbers = st.one_of(st.integers(), st.integers(MAX_SEQ - 2, MAX_SEQ + 2), st.floats(allow_nan=True))
    near = st.sampled_from(["", " ", "0", "1", "-0", "1e3", "0x10", "²", "٣", "QUEUED", "queued", "log", "macro"])
    return st.one_of(st.text(max_size=200), numbers.map(str), near, st.just("7" * 5000))


def check(response) -> None:
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and {"code", "message", "details"} == set(body["error"])
        assert isinstance(body["error"]["code"], str) and body["error"]["message"]


def routes(world: Served) -> list[tuple[str, str]]:
    task = world.task_id
    return [
        ("GET", "/v1/analyses"), ("GET", f"/v1/analyses/{task}"), ("GET", f"/v1/analyses/{task}/events"),
        ("GET", f"/v1/analyses/{task}/stream"), ("POST", f"/v1/analyses/{task}/stream-token"),
        ("GET", f"/v1/analyses/{task}/bars"), ("GET", "/v1/keys"), ("GET", "/v1/agents"), ("GET", "/v1/symbols"),
    ]  # fmt: skip


@PROPERTY
@given(authorization=header_bytes(), scheme=st.sampled_from([b"", b"Bearer ", b"bearer ", b"Basic "]), pick=st.data())
def test_any_authorization_is_401_or_served(api, authorization, scheme, pick):
    world, client = api
    method, path = pick.draw(st.sampled_from(routes(world)))
    before = world.task_count()

    response = client.request(method, path, headers={"Authorization": scheme + authorization})

    check(response)
    assert response.status_code == 401  # no forged credential gets in
    assert world.task_count() == before


@PROPERTY
@given(key=header_bytes(), symbol=st.sampled_from(["600519", "000001", "688981", "x"]))
def test_any_idempotency_key_creates_at_most_one_task_or_nothing(api, key, symbol):
    world, client = api
    before = world.task_count()

    first = client.post("/v1/analyses", json={"symbol": symbol}, headers={**world.auth, "Idempotency-Key": key})
    again = client.post("/v1/analyses", json={"symbol": symbol}, headers={**world.auth, "Idempotency-Key": key})

    check(first)
    check(again)
    assert again.status_code == first.status_code
    if first.status_code == 202:
        assert again.json()["task_id"] == first.json()["task_id"]
        assert world.task_count() <= before + 1
    else:
        assert world.task_count() == before


@PROPERTY
@given(last_event_id=header_bytes(), after=st.one_of(st.none(), param_text()))
def test_any_last_event_id_and_after_on_the_stream(api, last_event_id, after):
    world, client = api
    params = {} if after is None else {"after": after}
    before = [e.seq for e in world.log.read(world.task_id)]

    response = client.get(
        f"/v1/analyses/{world.task_id}/stream", params=params, headers={**world.auth, "Last-Event-ID": last_event_id}
    )

    check(response)
    assert response.status_code in (200, 204, 400, 422)
    assert [e.seq for e in world.log.read(world.task_id)] == before


@PROPERTY
@given(
    name=st.sampled_from(["after", "limit", "type", "agent", "level"]), value=param_text(),
    task=st.sampled_from(["task_id", "ended_id"]),
)  # fmt: skip
def test_any_events_query(api, name, value, task):
    world, client = api

    response = client.get(f"/v1/analyses/{getattr(world, task)}/events", params={name: value}, headers=world.auth)

    check(response)
    assert response.status_code in (200, 422)


@PROPERTY
@given(name=st.sampled_from(["status", "limit", "cursor"]), value=param_text())
def test_any_list_query(api, name, value):
    world, client = api

    response = client.get("/v1/analyses", params={name: value}, headers=world.auth)

    check(response)
    assert response.status_code in (200, 400, 422)


@PROPERTY
@given(token=param_text(), task=st.sampled_from(["task_id", "ended_id"]))
def test_any_stream_token_is_refused(api, token, task):
    world, client = api

    response = client.get(f"/v1/analyses/{getattr(world, task)}/stream", params={"token": token})

    check(response)
    assert response.status_code == 401


@settings(PROPERTY, max_examples=25)  # each bars answer reads and averages real market data (~0.2 s)
@given(name=st.sampled_from(["limit", "owner"]), value=param_text())
def test_any_bars_and_keys_query(api, name, value):
    world, client = api
    path = f"/v1/analyses/{world.task_id}/bars" if name == "limit" else "/v1/keys"

    response = client.get(path, params={name: value}, headers=world.auth)

    check(response)
