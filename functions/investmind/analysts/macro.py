"""Macro analyst: the market regime (CSI 300, breadth) and the policy setting read from the macro series.

Liquidity is read from money, credit and rates (``liquidity``), never from the score; activity and
prices from the PMI, CPI and PPI. Either half may be missing (no index before 2020 in the bundled
data, no monthly series from a network provider): the analyst works with what there is and says so.
"""

from __future__ import annotations

import math

import pandas as pd

from ..market import Snapshot
from ..models import AgentResult
from . import liquidity, narratives
from . import texts_macro as T
from .common import clip, data_confidence, fmt, make_result, pct, rank, require, settle, signed, span, stance_for
from .quant import TRADING_DAYS, ann_vol, percentile_rank, period_return, vol_regime
from .signals import MacroSignals
from .wording import listing, term

AGENT_ID = "macro"
MIN_INDEX_BARS = 61
TREND_MA = 200
BREADTH_MA = 60
BREADTH_MIN_STOCKS = 20
"""Breadth over fewer stocks says little about the market: it is reported but not scored."""
VOL_WINDOW = 20
VOL_HISTORY = 3 * TRADING_DAYS
LIQUIDITY_POINTS = 6.0
"""Per channel (money, credit, rates) loosening (+) or tightening (-)."""


def _index_measures(close: pd.Series) -> dict[str, float | None]:
    rets = close.pct_change().dropna()
    vol_now = ann_vol(rets.iloc[-VOL_WINDOW:])
    rolling = rets.rolling(VOL_WINDOW).std().dropna().iloc[-VOL_HISTORY:] * math.sqrt(TRADING_DAYS)
    ma = float(close.iloc[-TREND_MA:].mean()) if len(close) >= TREND_MA else None
    year = close.iloc[-TRADING_DAYS:]
    ranked = vol_now is not None and len(rolling) >= 120
    return {
        "index_close": float(close.iloc[-1]),
        "ma200": ma,
        "trend_gap_200": float(close.iloc[-1] / ma - 1.0) if ma else None,
        "ret_60": period_return(close, 60),
        "vol_20": vol_now,
        "vol_pct": percentile_rank(rolling, vol_now) if ranked else None,
        "vol_days": len(rolling) if ranked else None,
        "drawdown_1y": float(close.iloc[-1] / year.max() - 1.0),
        "drawdown_days": len(year),
    }


def _breadth(universe: dict[str, pd.Series]) -> tuple[float | None, int]:
    """Share of stocks closing above their 60-day average, and how many stocks had the history."""
    above = [float(s.iloc[-1] > s.iloc[-BREADTH_MA:].mean()) for s in universe.values() if len(s) >= BREADTH_MA]
    return (sum(above) / len(above) if above else None), len(above)


def _market_score(m: dict[str, float | None]) -> float:
    if m.get("index_close") is None:
        return 0.0
    parts = [clip((m["ret_60"] or 0.0) * 150, -25, 25)]
    if m["trend_gap_200"] is not None:
        parts.append(clip(m["trend_gap_200"] * 250, -30, 30))
    if m["vol_pct"] is not None:  # calm markets carry risk appetite; stressed ones drain it
        parts.append((50.0 - m["vol_pct"]) * 0.3)
    parts.append(clip((m["drawdown_1y"] + 0.10) * 100, -20, 10))
    return sum(parts)


def _score(m: dict[str, float | None], votes: dict[str, int]) -> float:
    score = _market_score(m)
    if m["breadth_60"] is not None and m["breadth_n"] >= BREADTH_MIN_STOCKS:
        score += (m["breadth_60"] - 0.5) * 40
    score += LIQUIDITY_POINTS * sum(votes.values())
    if m["pmi_mfg_3m"] is not None:
        score += clip((m["pmi_mfg_3m"] - 50.0) * 4, -12, 12)
    return score


def _regime(m: dict[str, float | None]) -> str:
    if m.get("index_close") is None:
        return "n/a"
    ret = m["ret_60"] or 0.0
    gap = m["trend_gap_200"]
    if gap is None:
        return "bull" if ret > 0.05 else "bear" if ret < -0.05 else "range"
    if gap > 0 and ret > 0:
        return "bull"
    if gap < 0 and ret < 0:
        return "bear"
    return "range"


def analyze(snapshot: Snapshot, upstream: object = None, selected: object = None) -> AgentResult:
    index = snapshot.index_bars
    enough_index = index is not None and len(index) >= MIN_INDEX_BARS
    series = liquidity.measures(snapshot.macro, pd.Timestamp(snapshot.as_of))
    votes = liquidity.votes(series)
    require(
        enough_index or bool(votes),
        f"macro: neither {MIN_INDEX_BARS} CSI 300 bars nor macro series up to {snapshot.as_of}",
    )
    m: dict[str, float | None] = {**(_index_measures(index["close"]) if enough_index else {}), **series}
    m["breadth_60"], m["breadth_n"] = _breadth(snapshot.universe)
    m.update({f"vote_{k}": float(v) for k, v in votes.items()})
    score = settle(_score(m, votes))
    signals = MacroSignals(
        regime=_regime(m),
        liquidity=liquidity.liquidity(votes),
        growth=liquidity.growth(series),
        inflation=liquidity.inflation(series),
        vol_regime=vol_regime(m.get("vol_pct")),
        source=", ".join(
            ["CSI 300"] * enough_index + ["macro series"] * bool(votes) + ["bundled universe"] * bool(m["breadth_n"])
        ),
    )
    confidence = 0.75 * data_confidence(snapshot, ("index_bars", "universe", "macro"))
    confidence *= (1.0 if enough_index and m["ma200"] is not None else 0.8) * (1.0 if votes else 0.8)
    confidence *= 1.0 if m["breadth_n"] >= BREADTH_MIN_STOCKS else 0.9
    narrative = narratives.macro(stance_for(score), m, signals.model_dump())
    return make_result(
        AGENT_ID,
        score,
        confidence,
        _body(m, signals, votes),
        signals=signals,
        metrics=m,
        evidence=_evidence(m, signals),
        narrative=narrative,
    )


def _body(m: dict, s: MacroSignals, votes: dict[str, int]) -> str:
    lines = []
    if m.get("index_close") is not None:
        vol = "n/a" if m["vol_pct"] is None else T.VOL_RANK(ordinal=rank(m["vol_pct"]), days=span(int(m["vol_days"])))
        lines.append(T.INDEX(
            close=fmt(m["index_close"]), gap=pct(m["trend_gap_200"], sign=True), ma200=fmt(m["ma200"]),
            ret=pct(m["ret_60"], sign=True), drawdown=pct(m["drawdown_1y"]), days=span(int(m["drawdown_days"])),
            vol=pct(m["vol_20"]), rank=vol, vol_regime=term(s.vol_regime, T.WORDS), regime=term(s.regime, T.WORDS),
        ))  # fmt: skip
    else:
        lines.append(T.NO_INDEX())
    scored = "" if m["breadth_n"] >= BREADTH_MIN_STOCKS else T.NOT_SCORED(least=BREADTH_MIN_STOCKS)
    lines.append(T.BREADTH(share=pct(m["breadth_60"], 0), n=m["breadth_n"], scored=scored))
    channels = listing(T.CHANNEL(channel=term(k, T.WORDS), vote=signed(v)) for k, v in votes.items()) or T.NO_SERIES()
    credit = term("total social financing" if m["credit_from_tsf"] else "new loans", T.WORDS)
    rates = (
        T.RATES(rate=fmt(m["shibor_3m"]), change=signed(m["shibor_3m_change_6m"] or 0.0, 2))
        if m["shibor_3m"] is not None
        else T.NO_RATES()
    )
    lines.append(T.MONEY(
        m2=fmt(m["m2_yoy"], 1), m2_change=signed(m["m2_change_6m"] or 0.0, 1), m1=fmt(m["m1_yoy"], 1),
        gap=fmt(m["m1_m2_gap"], 1), credit=credit, credit_growth=fmt(m["credit_growth"], 1),
        credit_change=signed(m["credit_change_6m"] or 0.0, 1), rates=rates, channels=channels,
        liquidity=term(s.liquidity, T.WORDS),
    ))  # fmt: skip
    lines.append(T.ACTIVITY(
        pmi=fmt(m["pmi_mfg"], 1), pmi3=fmt(m["pmi_mfg_3m"], 1), growth=term(s.growth, T.WORDS),
        nonmfg=fmt(m["pmi_nonmfg"], 1), cpi=fmt(m["cpi_yoy"], 1), ppi=fmt(m["ppi_yoy"], 1),
        inflation=term(s.inflation, T.WORDS),
    ))  # fmt: skip
    return "\n\n".join(lines)


def _evidence(m: dict, s: MacroSignals) -> list[str]:
    out = []
    if m.get("index_close") is not None:
        out.append(T.EVIDENCE_INDEX(gap=pct(m["trend_gap_200"], sign=True), ret=pct(m["ret_60"], sign=True)))
        out.append(T.EVIDENCE_VOL(vol=pct(m["vol_20"]), vol_regime=term(s.vol_regime, T.WORDS)))
    out.append(T.EVIDENCE_BREADTH(share=pct(m["breadth_60"], 0), n=m["breadth_n"]))
    out.append(T.EVIDENCE_M2(
        m2=fmt(m["m2_yoy"], 1), change=signed(m["m2_change_6m"] or 0.0, 1), liquidity=term(s.liquidity, T.WORDS)
    ))  # fmt: skip
    out.append(T.EVIDENCE_CREDIT(growth=fmt(m["credit_growth"], 1), change=signed(m["credit_change_6m"] or 0.0, 1)))
    out.append(T.EVIDENCE_ACTIVITY(
        pmi=fmt(m["pmi_mfg_3m"], 1), growth=term(s.growth, T.WORDS), cpi=fmt(m["cpi_yoy"], 1),
        inflation=term(s.inflation, T.WORDS),
    ))  # fmt: skip
    return out
