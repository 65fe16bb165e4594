"""Account sign-in in the console: the OAuth code flow with PKCE, as the template's Cognito hosted UI runs it.

Cognito cannot run here, so the browser's requests to its hosted UI (OAUTH_DOMAIN) are answered by this
test's routes, which play the authorization server: /oauth2/authorize redirects back with a code, and
/oauth2/token hands out a token only for the verifier whose S256 challenge the authorize request carried.
The token is a real JWT of the runtime's local issuer, verified by the real API (the bounded server,
configured as a Cognito deployment is: tests/e2e/conftest.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from .conftest import OAUTH_CLIENT_ID, OAUTH_DOMAIN, OUTPUT

# One worker runs every browser test (make test runs two: --dist loadgroup): they share one runtime and browser.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class AuthorizationServer:
    """The hosted UI's two endpoints, recording what the console sent."""

    def __init__(self, issuer, sub: str) -> None:
        self.issuer, self.sub = issuer, sub
        self.authorize: dict[str, str] = {}
        self.token_forms: list[dict[str, str]] = []

    def install(self, context) -> None:
        context.route(f"{OAUTH_DOMAIN}/oauth2/authorize?**", self._authorize)
        context.route(f"{OAUTH_DOMAIN}/oauth2/token", self._token)

    def _authorize(self, route, request) -> None:
        self.authorize = {k: v[0] for k, v in parse_qs(urlparse(request.url).query).items()}
        back = f"{self.authorize['redirect_uri']}?code=code-{uuid.uuid4().hex}&state={self.authorize['state']}"
        route.fulfill(status=302, headers={"Location": back})

    def _token(self, route, request) -> None:
        form = {k: v[0] for k, v in parse_qs(request.post_data or "").items()}
        self.token_forms.append(form)
        cors = {"Access-Control-Allow-Origin": request.headers.get("origin", "*")}
        if _s256(form.get("code_verifier", "")) != self.authorize.get("code_challenge"):
            route.fulfill(status=400, headers=cors, json={"error": "invalid_grant"})
            return
        tokens = {"access_token": self.issuer.issue(self.sub), "refresh_token": "refresh", "expires_in": 3600,
                  "token_type": "Bearer"}  # fmt: skip
        route.fulfill(status=200, headers=cors, json=tokens)


def test_account_sign_in_by_code_flow_with_pkce_and_the_analyses_are_the_accounts(
    browser, bounded_url, issuer, api_key
):
    sub = f"analyst-{uuid.uuid4().hex[:8]}"
    server = AuthorizationServer(issuer, sub)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    server.install(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{bounded_url}#/analyses")
        page.click("#signin-open")
        page.click("#signin-oauth")  # to the hosted UI, and back with ?code=…&state=…
        page.wait_for_selector('#signin-open[data-state="account"]')

        assert (server.authorize["response_type"], server.authorize["code_challenge_method"]) == ("code", "S256")
        assert server.authorize["client_id"] == OAUTH_CLIENT_ID
        assert server.authorize["redirect_uri"] == bounded_url
        assert [form["grant_type"] for form in server.token_forms] == ["authorization_code"]
        assert "code=" not in page.url and page.url.endswith("#/analyses"), "the answer left the address bar"

        page.fill('input[name="symbol"]', "600036")
        page.fill('input[name="as_of"]', "2022-09-30")
        page.click('#submit-form button[type="submit"]')
        page.wait_for_url("**/#/analyses/*")
        task_id = page.url.rsplit("/", 1)[1]
        page.wait_for_selector("#pipeline .card")
        storage = json.loads(page.evaluate("localStorage.getItem('investmind.oauth.tokens')"))
    finally:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=OUTPUT / "test_account_sign_in.png", full_page=True)
        context.close()
    assert not errors, f"the page threw: {errors}"

    with httpx.Client(base_url=bounded_url, timeout=30) as http:
        as_account = http.get(f"v1/analyses/{task_id}", headers={"Authorization": f"Bearer {storage['access_token']}"})
        as_admin = http.get(f"v1/analyses/{task_id}", headers={"Authorization": f"Bearer {api_key}"})
    assert as_account.status_code == 200 and as_account.json()["owner"] == sub, "the token's sub owns what it submitted"
    assert as_admin.status_code == 404, "another owner (even the admin key's) does not see it"


def test_a_forged_sign_in_answer_is_refused_and_signs_no_one_in(browser, bounded_url, issuer):
    server = AuthorizationServer(issuer, "nobody")
    context = browser.new_context(locale="en-US")
    server.install(context)
    page = context.new_page()
    try:
        page.goto(bounded_url)
        page.click("#signin-open")
        page.click("#signin-oauth")
        page.wait_for_selector('#signin-open[data-state="account"]')
        # An attacker's link carries a code for a sign-in this browser never started.
        page.goto(f"{bounded_url}?code=attacker&state=not-issued-here#/analyses")
        page.wait_for_selector("#banner:not([hidden])")
        banner = page.inner_text("#banner")
    finally:
        context.close()
    assert "does not match" in banner
    assert len(server.token_forms) == 1, "no token request for the forged answer"
