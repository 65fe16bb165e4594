"""Every agent's headline, detailed body and evidence in Chinese: no English left, the same figures, the same labels.

Each case runs the four stages twice on real data, in English and in Chinese, and compares each
agent's text piece by piece (headline, body, every evidence line):

- *No English left*: once the closed vocabulary that stays as it is has been taken out (agent ids,
  tickers, the Decision's action and rating codes, indicator and series names such as MACD, PE or
  Shibor), no word of two Latin letters or more may remain. That is stricter than forbidding runs of
  English words: a single stray ``vs`` or ``days`` fails.
- *The same figures*: the numbers of the Chinese are the numbers of the English (as a multiset of
  magnitudes: the order of clauses differs between the languages, a sign may be read as 较…-2.4%),
  so the Chinese cites no figure the English does not and drops none. Two English spellings are read
  as numbers first: ``x1.23`` (a multiplier, 1.23倍) and ``SMA60`` / ``MA200`` (a window, 60日均线).
- *The same labels*: the bold labels of the English body are the result's own signal values, and
  the Chinese body's bold labels are, one for one and in the same order, Chinese words for them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest

from investmind.analysts import (
    texts_directors,
    texts_fundamental,
    texts_funds,
    texts_macro,
    texts_risk,
    texts_technical,
)
from investmind.analysts.wording import STANCE_WORD, ZH
from investmind.models import AgentResult, AgentStatus
from investmind.roster import AGENT_IDS, STAGE1_IDS, STAGES

from .conftest import run_pipeline

D = dt.date
CASES = [
    ("600519.SH", D(2023, 3, 15), (), STAGE1_IDS),
    ("000858.SZ", D(2021, 7, 20), (), STAGE1_IDS),
    ("601012.SH", D(2024, 11, 29), (), STAGE1_IDS),
    ("000338.SZ", D(2017, 4, 5), (), STAGE1_IDS),  # adjusted prices only: levels relative to the close
    ("600036.SH", D(2018, 3, 1), (), STAGE1_IDS),  # Shibor still published; a pre-2020 index gap
    ("300750.SZ", D(2022, 6, 1), ("funds",), STAGE1_IDS),  # a director with a failed input
    ("601318.SH", D(2021, 9, 1), ("technical",), STAGE1_IDS),  # no trade decision
    ("002415.SZ", D(2020, 8, 3), (), ("macro", "industry", "fundamental")),  # momentum director skipped
]
KEPT = re.compile(
    "|".join(sorted(AGENT_IDS, key=len, reverse=True))
    + r"|\d{6}\.(?:SH|SZ)|BUY|HOLD|SELL|Buy|Overweight|Hold|Underweight|Sell"
    + r"|MACD|RSI|ADX|ATR|OBV|A/D|MFI|PE|PB|PS|PCF|TTM|ROE|CVaR|VaR|PMI|CPI|PPI|Shibor|M1|M2|%b"
)
"""What a Chinese text writes as the English does: ids, tickers, the Decision's codes, indicator names."""
NUMBER = re.compile(r"(?<![A-Za-z\d.])[+-]?\d[\d,]*(?:\.\d+)?")
MULTIPLIER = re.compile(r"(?<![A-Za-z])x(?=\d)")
WINDOW = re.compile(r"(?<![A-Za-z])(S?MA)(?=\d)")
BOLD = re.compile(r"\*\*(.+?)\*\*")
TABLES = [
    ZH,
    texts_macro.WORDS,
    texts_technical.MACD_WORDS,
    texts_technical.ALIGNMENT_WORDS,
    texts_technical.STRENGTH_WORDS,
    texts_technical.RSI_WORDS,
    texts_technical.BOLLINGER_WORDS,
    texts_technical.SOURCE_WORDS,
    texts_funds.SHORT_TERM_WORDS,
    texts_fundamental.LEVERAGE_WORDS,
    texts_directors.STATE_WORDS,
    texts_risk.VOL_WORDS,
    texts_risk.CRASH_WORDS,
    {"neutral": ZH["balanced"]},
]


def _chinese(value: str) -> set[str]:
    """Every Chinese word the texts may write for the English ``value``."""
    return {table[value] for table in TABLES if value in table}


def _run(symbol: str, as_of: dt.date, fail: tuple[str, ...], selected, language: str, snapshot):
    return run_pipeline(snapshot(symbol, as_of), selected, fail, language)


def _parts(result: AgentResult) -> tuple[str, str]:
    """(headline, body): the summary without its narrative (tested in test_analysts_narratives)."""
    if result.status == AgentStatus.skipped:
        return result.summary, ""
    headline, _, body = result.summary.split("\n\n", 2)
    return headline, body


def _magnitudes(text: str, english: bool) -> list[float]:
    if english:
        text = WINDOW.sub(r"\1 ", MULTIPLIER.sub("x ", text))
    return sorted(abs(float(t.replace(",", ""))) for t in NUMBER.findall(text))


def _labels(text: str) -> list[str]:
    """The bold labels (a word or two: not a sentence in bold), full-width parentheses read as ASCII."""
    marks = [b.replace("（", " (").replace("）", ")") for b in BOLD.findall(text)]
    return [b for b in marks if len(b.split()) <= 3 and "：" not in b and ":" not in b]


def _signal_values(result: AgentResult) -> set[str]:
    values = {str(v) for v in result.signals.values() if isinstance(v, str)}
    if result.decision is not None:
        values.add(f"{result.decision.action} ({result.decision.rating})")
    return values


@pytest.mark.parametrize(("symbol", "as_of", "fail", "selected"), CASES, ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_every_agents_text_in_chinese_cites_what_the_english_cites(symbol, as_of, fail, selected, snapshot) -> None:
    english = _run(symbol, as_of, fail, selected, "en", snapshot)
    chinese = _run(symbol, as_of, fail, selected, "zh", snapshot)

    written = [a for a, r in english.items() if r.summary and r.status != AgentStatus.failed]
    assert len(written) >= 7
    for agent_id in written:
        en, zh = english[agent_id], chinese[agent_id]
        assert (zh.score, zh.signals, zh.metrics) == (en.score, en.signals, en.metrics)  # text only
        pairs = [*zip(_parts(en), _parts(zh), strict=True), *zip(en.evidence, zh.evidence, strict=True)]
        for en_text, zh_text in pairs:
            if not en_text:
                continue
            assert re.search(r"[\u4e00-\u9fff]", zh_text), (agent_id, zh_text)
            assert "n/a" not in zh_text, (agent_id, zh_text)
            leftover = KEPT.sub(" ", zh_text)
            assert not re.search(r"[A-Za-z]{2,}", leftover), (agent_id, re.findall(r"[A-Za-z]{2,}", leftover), zh_text)
            assert _magnitudes(zh_text, False) == _magnitudes(en_text, True), (agent_id, en_text, zh_text)
        en_labels, zh_labels = _labels(_parts(en)[1]), _labels(_parts(zh)[1])
        assert len(en_labels) == len(zh_labels), (agent_id, en_labels, zh_labels)
        for en_label, zh_label in zip(en_labels, zh_labels, strict=True):
            if re.search(r"\d", en_label) or len(en_label) == 1:  # a size, a stop, a grade: as it is
                assert zh_label == en_label, (agent_id, en_label, zh_label)
            else:
                assert en_label in _signal_values(en), (agent_id, en_label, en.signals)
                assert zh_label == en_label or zh_label in _chinese(en_label), (agent_id, en_label, zh_label)


def test_the_headline_names_the_role_and_stance_in_chinese(snapshot) -> None:
    results = _run("600519.SH", D(2023, 3, 15), (), STAGE1_IDS, "zh", snapshot)

    for spec in itertools.chain.from_iterable(STAGES.values()):
        result = results[spec.agent_id]
        words = STANCE_WORD["zh"][result.stance]
        assert result.summary.startswith(
            f"**{spec.title_zh}：{words}**（评分{result.score:+.1f}，置信度{result.confidence:.2f}）"
        )
