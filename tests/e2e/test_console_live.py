"""Submit from the form and watch the analysis live; the agent's full view; validation; the phone layout."""

from __future__ import annotations

import pytest

from .helpers import FINAL_CARD_STATES, card_states, log_seqs, open_analysis, outcome, wait_status

# One worker runs every browser test (make test runs two: --dist loadgroup): they share one runtime and browser.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.mark.usefixtures("finished")  # started now, so that they run while this one does
def test_submit_from_the_form_and_every_card_the_chart_and_the_decision_reach_their_final_state(page, base_url, api):
    page.goto(base_url)
    suggestion = page.locator('#symbol-list option[value="601318.SH"]')
    assert "中国平安" in suggestion.get_attribute("label")  # suggested with name and code
    page.fill('input[name="symbol"]', "601318")
    page.fill('input[name="as_of"]', "2024-03-15")
    page.click('#submit-form button[type="submit"]')

    page.wait_for_url("**#/analyses/*")
    task_id = page.url.rsplit("/", 1)[-1]
    page.wait_for_selector('.card[data-state="running"]')  # seen live, not only at the end
    assert wait_status(page, "SUCCEEDED") == "SUCCEEDED"

    results, decision, events = outcome(api, task_id)
    states = card_states(page)
    assert set(states.values()) <= FINAL_CARD_STATES
    assert states == {agent: result["status"] for agent, result in results.items()}
    for agent, result in results.items():
        assert page.locator(f'.card[data-agent="{agent}"] .line b').inner_text() == result["stance"], agent
    assert page.inner_text('#decision [data-field="action"]') == decision["action"]
    assert page.inner_text('#decision [data-field="rating"]') == decision["rating"]
    assert page.inner_text("#run-title") == "601318.SH 中国平安"
    bars = api.get(f"v1/analyses/{task_id}/bars").json()
    technical = results["technical"]["metrics"]
    levels = [technical["support"], technical["resistance"], *(decision["entry_range"] or []), decision["stop_loss"],
              decision["take_profit"]]  # fmt: skip
    page.wait_for_selector(f'#chart[data-levels="{sum(level is not None for level in levels)}"]')
    assert page.get_attribute("#chart", "data-bars") == str(len(bars["bars"]))
    assert page.get_attribute("#chart", "data-as-of") == bars["as_of"] == "2024-03-15"
    assert page.locator("#chart canvas").count() > 0
    log = [e["seq"] for e in events if e["type"] == "log"]
    assert log_seqs(page) == log
    assert page.inner_text("#conn") == "ended"
    assert page.locator("#progress-bar").evaluate("bar => bar.style.width") == "100%"


def test_a_card_opens_the_agents_full_view_by_keyboard(page, base_url, api, finished):
    task_id = finished["done"]
    open_analysis(page, base_url, task_id)
    wait_status(page, "SUCCEEDED")
    result = outcome(api, task_id)[0]["technical"]

    page.focus('.card[data-agent="technical"]')
    page.keyboard.press("Enter")

    drawer = page.locator("#drawer")
    assert drawer.is_visible()
    body = drawer.inner_text()
    assert "Technical analyst" in body and "RSI(14)" in body and "Support" in body
    for line in result["evidence"]:
        assert line in body
    assert f"{result['metrics']['rsi14']:.2f}" in body
    assert f"trend: {result['signals']['trend']}" in body
    assert "quant" in body
    page.keyboard.press("Escape")
    assert not drawer.is_visible()


def test_submit_errors_show_beside_the_field_and_nothing_is_created(page, base_url, api):
    before = len(api.get("v1/analyses", params={"limit": 100}).json()["items"])
    page.goto(base_url)
    page.wait_for_selector("#stage1 input")

    page.fill('input[name="symbol"]', "688999")  # well-formed, but no data source holds it
    page.click('#submit-form button[type="submit"]')
    page.wait_for_selector('.field-error[data-for="symbol"]:not(:empty)')
    assert "688999" in page.inner_text('.field-error[data-for="symbol"]')
    assert page.get_attribute('input[name="symbol"]', "aria-invalid") == "true"

    page.fill('input[name="symbol"]', "601318")
    page.fill('input[name="as_of"]', "2099-01-04")
    page.click('#submit-form button[type="submit"]')
    page.wait_for_selector('.field-error[data-for="as_of"]:not(:empty)')
    assert "future" in page.inner_text('.field-error[data-for="as_of"]')

    assert "#/analyses/" not in page.url
    assert len(api.get("v1/analyses", params={"limit": 100}).json()["items"]) == before


@pytest.mark.locale("zh-CN")
def test_a_phone_sees_the_stages_stacked_in_chinese(page, base_url, finished):
    page.set_viewport_size({"width": 390, "height": 844})
    task_id = finished["done"]
    open_analysis(page, base_url, task_id)
    wait_status(page, "SUCCEEDED")
    page.wait_for_function("document.querySelector('#conn').textContent === '已结束'")  # the last render is in

    # One snapshot, in a frame of its own: four separate reads could straddle a reflow.
    boxes = page.evaluate(
        """() => new Promise(resolve => requestAnimationFrame(() => resolve(
            [1, 2, 3, 4].map(n => document.querySelector(`.stage[data-stage="${n}"]`).getBoundingClientRect())
                .map(r => ({x: r.x, y: r.y, width: r.width})))))"""
    )
    assert len({round(box["x"]) for box in boxes}) == 1  # one column
    assert [box["y"] for box in boxes] == sorted(box["y"] for box in boxes)
    assert max(box["x"] + box["width"] for box in boxes) <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    assert "分析师" in page.inner_text('.stage[data-stage="1"] .stage-head')
    assert page.inner_text("#conn") == "已结束"


def test_sign_in_keeps_the_key_and_sends_it_as_bearer(page, base_url):
    page.goto(base_url)
    page.wait_for_selector("#history-panel")
    page.click("#signin-open")
    page.fill('#signin-form input[name="key"]', "im-local-test-key")

    with page.expect_request(lambda request: "/v1/analyses" in request.url) as listed:
        page.click('#signin-form button[value="save"]')  # saving re-reads the page's data with the key

    assert listed.value.all_headers().get("authorization") == "Bearer im-local-test-key"
    assert page.inner_text("#signin-open") == "Key set"
    page.reload()
    with page.expect_request(lambda request: "/v1/agents" in request.url or "/v1/analyses" in request.url) as again:
        page.click('a[href="#/analyses"]')
    assert again.value.all_headers().get("authorization") == "Bearer im-local-test-key"
    page.click("#signin-open")
    page.click('#signin-form button[value="clear"]')
    assert page.inner_text("#signin-open") == "Sign in"
