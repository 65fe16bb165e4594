"""Narratives without an LLM: every role, several real symbols and dates, both languages, never against the fields."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from investmind.analysts import analyze
from investmind.analysts.narratives import STANCE_WORD
from investmind.errors import AgentError
from investmind.models import AgentResult, AgentStatus
from investmind.roster import AGENT_IDS, STAGE1_IDS, STAGES

D = dt.date
CASES = [
    ("600519.SH", D(2021, 2, 10)),
    ("600519.SH", D(2022, 10, 31)),
    ("300750.SZ", D(2024, 10, 8)),
    ("601318.SH", D(2020, 5, 6)),
    ("000338.SZ", D(2018, 6, 1)),
    ("600036.SH", D(2016, 3, 1)),
]
WINDOWS = {5, 10, 14, 20, 60, 95, 120, 200, 252, 300}
"""Window lengths and names a narrative may spell in digits (60 days, RSI(14), VaR(95%), CSI 300)."""
NUMBER = re.compile(r"(?<![A-Za-z\d.])[+-]?\d[\d,]*(?:\.\d+)?")


def _run(symbol: str, as_of: dt.date, language: str, snapshot) -> dict[str, AgentResult]:
    snap = snapshot(symbol, as_of)
    out: dict[str, AgentResult] = {}
    for specs in STAGES.values():
        upstream = dict(out)
        for spec in specs:
            try:
                out[spec.agent_id] = analyze(spec.agent_id, snap, upstream, STAGE1_IDS, language)
            except Exception as exc:  # an agent without the data it needs fails, as in the pipeline
                out[spec.agent_id] = AgentResult(
                    agent_id=spec.agent_id, stage=spec.stage, status=AgentStatus.failed, error=str(exc)
                )
    return out


def _narrative(result: AgentResult) -> str:
    return result.summary.split("\n\n")[1]


def _values(result: AgentResult) -> list[float]:
    values = [result.score, result.confidence, *(v for v in result.metrics.values() if v is not None)]
    if result.decision is not None:
        values.append(result.decision.position_pct)
    return [float(v) for v in values]


def _matches(token: str, values: list[float]) -> bool:
    number = float(token.replace(",", ""))
    digits = len(token.split(".")[1]) if "." in token else 0
    tolerance = 0.5 * 10**-digits + 1e-9
    if digits == 0 and abs(number) in WINDOWS:
        return True
    # As printed: the value itself, or as a percentage (fractions), to the digits shown; metrics are
    # stored to four decimals, so a percentage may differ by half a unit of that.
    return any(abs(number - v) <= tolerance or abs(number - 100 * v) <= tolerance + 0.005 for v in values)


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize(("symbol", "as_of"), CASES)
def test_every_role_narrates_its_own_stance_and_figures(symbol, as_of, language, snapshot) -> None:
    results = _run(symbol, as_of, language, snapshot)
    succeeded = [r for r in results.values() if r.status == AgentStatus.succeeded]
    assert len(succeeded) >= 6

    for result in succeeded:
        text = _narrative(result)
        sentences = [s for s in re.split(r"(?<=\.)\s+|(?<=。)", text) if s.strip()]
        assert 2 <= len(sentences) <= 4, (result.agent_id, text)
        words = STANCE_WORD[language]
        assert words[result.stance] in text, (result.agent_id, text)
        for other, other_word in words.items():
            if other != result.stance:
                assert other_word not in text, (result.agent_id, other_word, text)
        values = _values(result)
        for token in NUMBER.findall(text):
            assert _matches(token, values), (result.agent_id, token, text)
        if language == "zh":
            assert re.search(r"[\u4e00-\u9fff]", text), text


@pytest.mark.parametrize("language", ["en", "zh"])
def test_manager_narrative_names_its_action_only(language, snapshot) -> None:
    for symbol, as_of in CASES:
        manager = _run(symbol, as_of, language, snapshot)["investment_gm"]
        text = _narrative(manager)
        action = manager.decision.action
        assert action in text
        assert not [a for a in ("BUY", "HOLD", "SELL") if a != action and re.search(rf"\b{a}\b", text)]
        if action == "SELL":
            assert ("Exit the position" if language == "en" else "清仓") in text
        elif manager.decision.tradeable:
            assert f"{manager.decision.position_pct:.1f}%" in text
        else:
            assert all(a in text for a in manager.decision.missing)


def test_unknown_narrative_language_is_refused(snapshot) -> None:
    with pytest.raises(ValueError, match="unknown narrative language 'fr'"):
        analyze("technical", snapshot("600519.SH", D(2022, 10, 31)), {}, STAGE1_IDS, "fr")


IDENTIFIERS = re.compile("|".join(sorted(AGENT_IDS, key=len, reverse=True)))
"""Agent ids, cited as the fields name them (``dissent``, ``missing``)."""
CODES = re.compile(r"BUY|HOLD|SELL|Buy|Overweight|Hold|Underweight|Sell|ATR")
"""The action and rating (the Decision's own values) and indicator names, which stay as they are."""


def _decide(symbol: str, as_of: dt.date, language: str, fail: tuple[str, ...], snapshot) -> AgentResult:
    snap = snapshot(symbol, as_of)
    out: dict[str, AgentResult] = {}
    for specs in STAGES.values():
        upstream = dict(out)
        for spec in specs:
            try:
                if spec.agent_id in fail:
                    raise AgentError("injected")
                out[spec.agent_id] = analyze(spec.agent_id, snap, upstream, STAGE1_IDS, language)
            except AgentError as exc:  # failed as the state machine records a failed agent
                out[spec.agent_id] = AgentResult(
                    agent_id=spec.agent_id, stage=spec.stage, status=AgentStatus.failed, error=str(exc)
                )
    return out["investment_gm"]


def _magnitudes(text: str) -> list[float]:
    return sorted(abs(float(t.replace(",", ""))) for t in NUMBER.findall(text))


@pytest.mark.parametrize(
    ("symbol", "as_of", "fail"),
    [
        ("600519.SH", D(2021, 2, 10), ()),
        ("300750.SZ", D(2024, 10, 8), ("momentum_director",)),  # a stand-in note in the rationale
        ("601318.SH", D(2020, 5, 6), ("technical", "funds")),  # no trade decision
        ("000338.SZ", D(2018, 6, 1), ()),  # adjusted prices only: levels relative to the close
        ("601012.SH", D(2023, 8, 31), ("macro",)),
    ],
)
def test_decision_text_in_chinese_cites_what_the_english_cites(symbol, as_of, fail, snapshot) -> None:
    english = _decide(symbol, as_of, "en", fail, snapshot)
    chinese = _decide(symbol, as_of, "zh", fail, snapshot)

    assert chinese.decision.model_dump(exclude={"rationale"}) == english.decision.model_dump(exclude={"rationale"})
    pairs = [
        (english.decision.rationale, chinese.decision.rationale),
        *zip(english.evidence, chinese.evidence, strict=True),
    ]
    pairs.append((_narrative(english), _narrative(chinese)))
    for en, zh in pairs:
        assert re.search(r"[\u4e00-\u9fff]", zh), zh
        leftover = CODES.sub("", IDENTIFIERS.sub("", zh))
        assert not re.search(r"[A-Za-z]{2,}", leftover), zh  # no English words beyond ids and codes
        assert _magnitudes(zh) == _magnitudes(en), (en, zh)  # the same figures, none added or lost
