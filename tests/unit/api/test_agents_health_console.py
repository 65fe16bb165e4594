"""GET /v1/agents, /healthz, /auth/config, and the web console's static files."""

from __future__ import annotations

import pytest

from investmind.roster import AGENTS, STAGES

pytestmark = pytest.mark.anyio


async def test_agents_returns_roster_grouped_by_stage(client):
    response = await client.get("/v1/agents")

    assert response.status_code == 200
    stages = response.json()["stages"]
    assert [s["stage"] for s in stages] == sorted(STAGES)
    assert [a["agent_id"] for s in stages for a in s["agents"]] == [a.agent_id for a in AGENTS]
    gm = stages[-1]["agents"][0]
    assert gm["agent_id"] == "investment_gm" and "macro" in gm["reads"]


async def test_healthz_returns_ok(client):
    response = await client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_auth_config_offers_no_account_sign_in_without_an_authorization_server(client):
    response = await client.get("/auth/config")

    assert (response.status_code, response.json()) == (200, {"api_keys": True, "oauth": None})


async def test_auth_config_names_the_hosted_ui_endpoints_and_the_public_client(world, client):
    world.settings.update(oauth_domain="https://im-prod.auth.eu-west-1.amazoncognito.com/", oauth_client_id="abc123")

    oauth = (await client.get("/auth/config")).json()["oauth"]

    base = "https://im-prod.auth.eu-west-1.amazoncognito.com"
    assert oauth == {
        "authorize_url": f"{base}/oauth2/authorize",
        "token_url": f"{base}/oauth2/token",
        "logout_url": f"{base}/logout",
        "client_id": "abc123",
        "scopes": ["openid", "email", "profile"],
    }


async def test_auth_config_is_read_before_sign_in(world):
    operation = world.app.openapi()["paths"]["/auth/config"]["get"]

    assert "security" not in operation, "the console reads it before anyone has a token"


async def test_console_index_served_at_root_imports_console_module(client):
    response = await client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'type="module" src="static/console.js"' in response.text


@pytest.mark.parametrize(
    ("name", "snippet"),
    [
        ("sseClient.js", "export function connect"),
        ("analysisClient.js", "export function createClient"),
        ("console.js", 'from "./analysisClient.js"'),
        ("vendor/lightweight-charts.standalone.production.mjs", "TradingView Lightweight Charts"),
    ],
)
async def test_static_js_modules_served_with_javascript_type(client, name, snippet):
    response = await client.get(f"/static/{name}")

    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert snippet in response.text


async def test_static_missing_file_returns_404_error_shape(client, expect_error):
    expect_error(await client.get("/static/nope.js"), 404, "not_found")
