"""My analyses (filters), Compare two analyses of one symbol, and the Markdown and PDF exports."""

from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata

import pytest
from pypdf import PdfReader

from .helpers import open_analysis, outcome, wait_status

# One worker runs every browser test (make test runs two: --dist loadgroup): they share one runtime and browser.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _flat(text: str) -> str:
    """Text as the PDF's reader extracts it, compared without layout: NFKC (CJK radicals) and no whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _score(value: float) -> str:
    return f"{'+' if value >= 0 else ''}{value:.1f}"


def test_my_analyses_filters_by_symbol_and_status(page, base_url, api, finished):
    for task_id in finished.values():
        outcome(api, task_id)
    page.goto(base_url)
    page.wait_for_selector("#history tr")

    page.select_option("#symbol-filter", "000001.SZ")
    page.wait_for_function("[...document.querySelectorAll('#history tr')].every(r => r.dataset.symbol === '000001.SZ')")
    shown = page.eval_on_selector_all("#history tr", "rows => rows.map(r => r.dataset.task)")
    listed = [t for t in api.get("v1/analyses", params={"limit": 100}).json()["items"] if t["symbol"] == "000001.SZ"]
    assert shown == [t["task_id"] for t in listed] and {finished["older"], finished["done"]} <= set(shown)
    assert "平安银行" in page.inner_text("#history")

    page.select_option("#status-filter", "FAILED")  # both ended SUCCEEDED: the status filter reaches the API
    page.wait_for_selector("#history-empty", state="visible")
    assert page.locator("#history tr").count() == 0
    page.select_option("#status-filter", "SUCCEEDED")
    page.wait_for_selector(f'#history tr[data-task="{finished["older"]}"]')
    shown = page.eval_on_selector_all("#history tr", "rows => rows.map(r => r.dataset.task)")
    assert {finished["older"], finished["done"]} <= set(shown)


def test_compare_two_dates_of_one_symbol_side_by_side(page, base_url, api, finished):
    older, newer = finished["older"], finished["done"]
    (a, decision_a, _), (b, decision_b, _) = outcome(api, older), outcome(api, newer)
    page.goto(f"{base_url}#/compare/{newer}")
    page.click(f'a[href="#/compare/{newer}/{older}"]')  # the picker lists the symbol's other analyses

    page.wait_for_selector("table.compare")
    for agent in a:
        cells = page.locator(f'tr[data-agent="{agent}"] td').all_inner_texts()
        assert cells[1] == f"{a[agent]['stance']} {_score(a[agent]['score'])}", agent  # older first
        assert cells[2] == f"{b[agent]['stance']} {_score(b[agent]['score'])}", agent
        assert cells[3] == _score(b[agent]["score"] - a[agent]["score"])
        changed = "changed" in (page.get_attribute(f'tr[data-agent="{agent}"]', "class") or "")
        assert changed == (a[agent]["stance"] != b[agent]["stance"])
    action = page.locator('tr[data-field="action"] td').all_inner_texts()
    assert action[1:3] == [decision_a["action"], decision_b["action"]]
    changes = page.inner_text("ul.changes")
    for key in ("action", "rating"):
        if decision_a[key] != decision_b[key]:
            assert f"{decision_a[key]} → {decision_b[key]}" in changes


def test_export_markdown_with_every_agent_the_decision_and_the_data(page, base_url, api, finished):
    task_id = finished["done"]
    results, decision, events = outcome(api, task_id)
    bars = next(e for e in events if e["type"] == "task_started")["data"]["data"]["bars"]
    open_analysis(page, base_url, task_id)
    wait_status(page, "SUCCEEDED")
    page.wait_for_selector("#chart[data-levels]")

    with page.expect_download() as download:
        page.click("#export-md")
    text = download.value.path().read_text(encoding="utf-8")

    assert download.value.suggested_filename == "investmind-000001.SZ-2023-06-30.md"
    assert text.startswith("# InvestMind analysis: 000001.SZ 平安银行")
    assert "![Price](data:image/png;base64," in text  # the chart
    assert f"| Action | {decision['action']} ({decision['rating']}) |" in text or not decision["tradeable"]
    for agent, result in results.items():
        assert result["summary"].splitlines()[0] in text, agent
    assert f"| bars | {bars['source']} | {bars['first']} → {bars['last']} | {bars['rows']} |" in text
    assert f"`rsi14` | {results['technical']['metrics']['rsi14']:.2f} |" in text


def _has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    return bool(subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout.strip())


@pytest.mark.skipif(not _has_cjk_font(), reason="no Chinese font installed: `make e2e-setup` (fonts-noto-cjk)")
@pytest.mark.locale("zh-CN")
def test_export_pdf_renders_chinese_every_agent_and_the_decision(page, base_url, api, finished):
    task_id = finished["done"]
    results, decision, _ = outcome(api, task_id)
    open_analysis(page, base_url, task_id)
    wait_status(page, "SUCCEEDED")
    page.wait_for_selector("#chart[data-levels]")

    page.evaluate("investmindConsole.view.prepareReport()")  # what the PDF button does before printing
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))

    text = _flat("".join(p.extract_text() for p in pdf.pages))
    assert _flat("InvestMind 分析报告: 000001.SZ 平安银行") in text
    for title in ("宏观分析师", "技术分析师", "投资决策经理", "数据来源", "决策", "正常"):
        assert title in text, title
    assert _flat(f"{decision['action']} ({decision['rating']})") in text
    for result in results.values():
        assert _flat(result["summary"].splitlines()[0].replace("*", "")) in text
        # the PDF carries what the Markdown does: each agent's evidence and its metric table
        assert all(_flat(line) in text for line in result["evidence"][:2]), result["evidence"][:2]
    assert _flat(f"RSI(14)rsi14{results['technical']['metrics']['rsi14']:.2f}") in text
    assert _flat("市盈率(TTM)pe_ttm") in text or "pe_ttm" not in results["fundamental"]["metrics"]
    assert any(page_.images for page_ in pdf.pages), "the chart is in the PDF"
    fonts = {str(f) for p in pdf.pages for f in p.get("/Resources", {}).get("/Font", {}).values()}
    assert fonts, "text is set in embedded fonts"
