"""CORS: only the configured origins, exactly, never with credentials; none configured (the console is same-origin)."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from investmind.adapters.memory import AsyncMemoryEventLog, AsyncMemoryTaskStore, MemoryEventLog, MemoryTaskStore
from investmind.api import create_app
from investmind.api.deps import get_caller
from investmind.settings import Settings, get_settings

from .conftest import FakeExecutions, FakeQueue

pytestmark = pytest.mark.anyio
FRONTEND = "https://desk.example.org"


def _app(monkeypatch: pytest.MonkeyPatch, origins: str):
    monkeypatch.setenv("INVESTMIND_CORS_ALLOW_ORIGINS", origins)
    get_settings.cache_clear()
    tasks = MemoryTaskStore()
    app = create_app(
        tasks=AsyncMemoryTaskStore(tasks),
        events=AsyncMemoryEventLog(MemoryEventLog(tasks)),
        queue=FakeQueue(),
        executions=FakeExecutions(),
    )
    app.dependency_overrides[get_caller] = lambda: "cors-caller"
    get_settings.cache_clear()
    return app


async def _send(app, method: str, path: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        return await client.request(method, path, headers=headers)


async def test_a_listed_origin_gets_its_preflight_and_responses_without_credentials(monkeypatch):
    app = _app(monkeypatch, f"{FRONTEND}, http://localhost:5173/")
    preflight = await _send(
        app,
        "OPTIONS",
        "/v1/analyses",
        Origin=FRONTEND,
        **{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == FRONTEND
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers
    listed = await _send(app, "GET", "/v1/analyses", Origin="http://localhost:5173")
    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "access-control-allow-credentials" not in listed.headers
    # an error answer carries it too, so the frontend can read the error shape
    missing = await _send(app, "GET", "/v1/analyses/" + "0" * 32, Origin=FRONTEND)
    assert missing.status_code == 404 and missing.headers["access-control-allow-origin"] == FRONTEND


async def test_an_unlisted_origin_gets_no_cors_headers(monkeypatch):
    app = _app(monkeypatch, FRONTEND)
    for origin in ("https://evil.example", "https://desk.example.org.evil.example", "http://desk.example.org"):
        response = await _send(app, "GET", "/v1/analyses", Origin=origin)
        assert "access-control-allow-origin" not in response.headers, origin
        preflight = await _send(
            app, "OPTIONS", "/v1/analyses", Origin=origin, **{"Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in preflight.headers, origin


async def test_by_default_no_origin_is_allowed(monkeypatch):
    app = _app(monkeypatch, "")
    response = await _send(app, "GET", "/v1/analyses", Origin=FRONTEND)
    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("origins", ["*", "https://a.example,*", "https://a.example/app", "desk.example.org"])
def test_a_wildcard_or_anything_but_an_exact_origin_is_refused(origins):
    with pytest.raises(ValidationError, match="exact origins"):
        Settings(cors_allow_origins=origins)
