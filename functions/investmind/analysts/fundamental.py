"""Fundamental analyst: valuation against the stock's own history, profitability, growth and leverage."""

from __future__ import annotations

import pandas as pd

from ..market import Snapshot
from ..models import AgentResult
from . import narratives
from . import texts_fundamental as T
from .common import clip, data_confidence, finite, fmt, make_result, pct, rank, require, settle, stance_for
from .quant import percentile_rank
from .signals import FundamentalSignals
from .wording import term

AGENT_ID = "fundamental"
RATIOS = ("pe_ttm", "pb_mrq", "ps_ttm", "pcf_ttm")
SCORED_RATIOS = ("pe_ttm", "pb_mrq", "ps_ttm")
"""The ratios behind cheap/fair/expensive. PCF is reported against its own history but not scored: the
source's is price over *net* cash flow, whose sign flips with financing and investing years (600519:
+566 at the end of 2023, -496 nine months later), so its percentile says little about value."""
HISTORY_YEARS = 3
MIN_HISTORY = 60
"""Daily valuations needed before a percentile means anything."""
ANNUALISE = {"season1": 4.0, "half_year": 2.0, "season3": 4.0 / 3.0, "year": 1.0}
"""Reported ROE is year-to-date; scale it to a year."""
FINANCIAL_WORDS = ("银行", "金融", "保险", "证券")


def _valuation(frame: pd.DataFrame | None) -> dict[str, float | None]:
    rows = frame.dropna(how="all") if frame is not None else None
    if rows is None or rows.empty:
        return {}
    current, date = rows.iloc[-1], rows.index[-1]
    history = rows[rows.index > date - pd.DateOffset(years=HISTORY_YEARS)]
    out: dict[str, float | None] = {
        "valuation_history_years": (date - history.index[0]).days / 365.25,
        "valuation_age_days": (frame.index[-1] - date).days,  # > 0 when the latest rows lack values
    }
    for ratio in RATIOS:
        if ratio not in rows:  # a source without this ratio: report it as unknown, score the others
            out[ratio] = out[f"{ratio}_pct"] = None
            continue
        value = float(current[ratio])
        past = history[ratio][history[ratio] > 0]
        out[ratio] = value if finite(value) else None
        usable = finite(value) and value > 0 and len(past) >= MIN_HISTORY
        out[f"{ratio}_pct"] = percentile_rank(past, value) if usable else None
    pe, pb = out["pe_ttm"], out["pb_mrq"]
    positive = pe is not None and pb is not None and pe > 0 and pb > 0
    out["roe_ttm"] = pb / pe if positive else None  # ROE = (P/E_ttm)^-1 * P/B = E_ttm / B
    out["earnings_yield"] = 1.0 / pe if pe is not None and pe > 0 else None
    percentiles = [out[f"{r}_pct"] for r in SCORED_RATIOS if out[f"{r}_pct"] is not None]
    out["valuation_pct"] = sum(percentiles) / len(percentiles) if percentiles else None
    return out


def _quarterly(reports: pd.DataFrame | None) -> dict[str, float | None]:
    if reports is None:
        return {}
    row = reports.iloc[-1]

    def value(column: str) -> float | None:
        return float(row[column]) if finite(float(row[column])) else None

    roe = value("roe")
    return {
        "profit_growth_yoy": value("net_profit_growth_yoy"),
        "revenue_growth_yoy": value("op_income_growth_yoy"),
        "roe_reported_annualised": roe * ANNUALISE.get(row["report_period"], 1.0) if roe is not None else None,
        "gross_margin": value("gross_profit_margin"),
        "net_margin": value("net_margin"),
        "debt_asset_ratio": value("debt_asset_ratio"),
        "npl_ratio": value("fi_npl_ratio"),
    }


def _is_financial(snapshot: Snapshot, q: dict[str, float | None]) -> bool:
    return q.get("npl_ratio") is not None or any(w in (snapshot.industry or "") for w in FINANCIAL_WORDS)


def _score(v: dict, q: dict, financial: bool) -> float:
    score = 0.0
    if v.get("valuation_pct") is not None:
        score += (50.0 - v["valuation_pct"]) * 0.8  # cheap against its own past scores up to +40
    roe = v.get("roe_ttm") if v.get("roe_ttm") is not None else q.get("roe_reported_annualised")
    if roe is not None:
        score += clip((roe - 0.10) * 150, -15, 15)
    if q.get("profit_growth_yoy") is not None:
        score += clip(q["profit_growth_yoy"] * 40, -20, 20)
    if q.get("revenue_growth_yoy") is not None:
        score += clip(q["revenue_growth_yoy"] * 30, -10, 10)
    debt = q.get("debt_asset_ratio")
    if debt is not None and not financial:
        score += -10 if debt > 0.7 else 3 if debt < 0.4 else 0
    if (q.get("npl_ratio") or 0.0) > 0.02:
        score -= 10
    return score


def _labels(v: dict, q: dict, financial: bool) -> dict[str, str]:
    """Cheap/fair/expensive from the mean of the ratios' own-history percentiles; quality, growth, leverage."""
    val = v.get("valuation_pct")
    roe = v.get("roe_ttm") if v.get("roe_ttm") is not None else q.get("roe_reported_annualised")
    growth = q.get("profit_growth_yoy")
    debt = q.get("debt_asset_ratio")
    return {
        "valuation": "n/a" if val is None else "cheap" if val < 30 else "expensive" if val > 70 else "fair",
        "quality": "n/a" if roe is None else "high" if roe >= 0.15 else "low" if roe < 0.08 else "average",
        "growth": "n/a"
        if growth is None
        else "growing"
        if growth > 0.05
        else "shrinking"
        if growth < -0.05
        else "flat",
        "leverage": "n/a" if debt is None or financial else _leverage(debt),
    }


def _leverage(debt_asset_ratio: float) -> str:
    return "high" if debt_asset_ratio > 0.7 else "low" if debt_asset_ratio < 0.4 else "moderate"


def analyze(snapshot: Snapshot, upstream: object = None, selected: object = None) -> AgentResult:
    v = _valuation(snapshot.valuation)
    fresh = snapshot.fundamentals is not None and not snapshot.stale("fundamentals")
    q = _quarterly(snapshot.fundamentals if fresh else None)
    require(
        bool(v) or bool(q),
        f"fundamental: no valuation and no recent financial report for {snapshot.symbol} at {snapshot.as_of}",
    )
    financial = _is_financial(snapshot, q)
    labels = _labels(v, q, financial)
    reports = snapshot.fundamentals
    signals = FundamentalSignals(
        **labels, latest_report=str(reports.index[-1].date()) if reports is not None else "n/a"
    )
    score = settle(_score(v, q, financial))
    confidence = 0.7 * data_confidence(snapshot, ("valuation",))
    confidence *= (1.0 if v else 0.6) * (1.0 if q else 0.85)
    if v and (v["valuation_history_years"] or 0) < 1:
        confidence *= 0.75  # percentiles over less than a year of history
    metrics = {**v, **q}
    body = _body(snapshot, v, q, labels, fresh)
    evidence = _evidence(v, q, labels)
    narrative = narratives.fundamental(stance_for(score), metrics, signals.model_dump())
    return make_result(
        AGENT_ID, score, confidence, body, signals=signals, metrics=metrics, evidence=evidence, narrative=narrative
    )


def _body(snapshot: Snapshot, v: dict, q: dict, labels: dict, fresh: bool) -> str:
    lines = []
    if v:
        lines.append(T.VALUATION(
            pe=fmt(v["pe_ttm"]), pb=fmt(v["pb_mrq"]), ps=fmt(v["ps_ttm"]), pcf=fmt(v["pcf_ttm"]), age=_age(v),
            pe_pct=fmt(v["pe_ttm_pct"], 0), pb_pct=fmt(v["pb_mrq_pct"], 0), ps_pct=fmt(v["ps_ttm_pct"], 0),
            pcf_pct=fmt(v["pcf_ttm_pct"], 0), years=fmt(v["valuation_history_years"], 1),
            mean=fmt(v["valuation_pct"], 0),
            valuation=term(labels["valuation"]), roe=pct(v["roe_ttm"]), earnings_yield=pct(v["earnings_yield"]),
        ))  # fmt: skip
    else:
        lines.append(T.NO_VALUATION())
    if q:
        lines.append(T.REPORT(
            as_of=snapshot.as_of, period=snapshot.fundamentals.index[-1].date(),
            profit=pct(q["profit_growth_yoy"], sign=True), revenue=pct(q["revenue_growth_yoy"], sign=True),
            roe=pct(q["roe_reported_annualised"]), net_margin=pct(q["net_margin"]), debt=pct(q["debt_asset_ratio"]),
        ))  # fmt: skip
    elif snapshot.fundamentals is not None and not fresh:
        lines.append(T.STALE(period=snapshot.fundamentals.index[-1].date(), as_of=snapshot.as_of))
    else:
        lines.append(T.NO_REPORTS())
    lines.append(T.LABELS(
        quality=term(labels["quality"]), growth=term(labels["growth"]),
        leverage=term(labels["leverage"], T.LEVERAGE_WORDS),
    ))  # fmt: skip
    return "\n\n".join(lines)


def _age(v: dict) -> str:
    days = v["valuation_age_days"]
    return T.AGE(days=f"{days:.0f}") if days else ""


def _evidence(v: dict, q: dict, labels: dict) -> list[str]:
    out = []
    if v:
        years = fmt(v["valuation_history_years"], 1)
        out.append(T.EVIDENCE_PE(pe=fmt(v["pe_ttm"]), rank=rank(v["pe_ttm_pct"]), years=years))
        out.append(T.EVIDENCE_PB(pb=fmt(v["pb_mrq"]), rank=rank(v["pb_mrq_pct"])))
        out.append(T.EVIDENCE_PS(ps=fmt(v["ps_ttm"]), mean=fmt(v["valuation_pct"], 0)))
        out.append(T.EVIDENCE_ROE(roe=pct(v["roe_ttm"])))
    if q:
        out.append(T.EVIDENCE_GROWTH(growth=pct(q["profit_growth_yoy"], sign=True)))
        out.append(T.EVIDENCE_REPORTED_ROE(roe=pct(q["roe_reported_annualised"])))
        if q["debt_asset_ratio"] is not None:
            out.append(T.EVIDENCE_DEBT(debt=pct(q["debt_asset_ratio"])))
    out.append(T.EVIDENCE_LABELS(valuation=term(labels["valuation"]), quality=term(labels["quality"])))
    return out
