"""Industry analyst: the stock's relative strength against the CSI 300 and its same-industry peers."""

from __future__ import annotations

import math
import statistics

import pandas as pd

from ..market import Snapshot
from ..market.adjust import adjusted_close
from ..models import AgentResult
from . import narratives
from . import texts_industry as T
from .common import clip, data_confidence, make_result, pct, require, settle, stance_for
from .quant import period_return
from .signals import IndustrySignals
from .wording import listing, term

AGENT_ID = "industry"
HORIZONS: dict[int, float] = {20: 0.2, 60: 0.35, 120: 0.45}
"""Trading-day horizon → weight: the longer trend counts most, the last month still counts."""
LEAD_MARGIN = 0.02


def _aligned(series: pd.Series, dates: pd.DatetimeIndex) -> pd.Series:
    """``series`` on the stock's trading dates, carrying the last value over a day it did not trade."""
    return series.reindex(series.index.union(dates)).ffill().reindex(dates)


def _returns(close: pd.Series) -> dict[int, float | None]:
    out = {}
    for days in HORIZONS:
        value = period_return(close, days)
        out[days] = value if value is not None and math.isfinite(value) else None
    return out


def _composite(rs: dict[int, float | None]) -> float | None:
    pairs = [(HORIZONS[d], v) for d, v in rs.items() if v is not None]
    if not pairs:
        return None
    return sum(w * v for w, v in pairs) / sum(w for w, _ in pairs)


def _label(composite: float | None, up: str, down: str) -> str:
    if composite is None:
        return "n/a"
    return up if composite > LEAD_MARGIN else down if composite < -LEAD_MARGIN else "in line"


def _peer_returns(snapshot: Snapshot, dates: pd.DatetimeIndex) -> dict[str, dict[int, float | None]]:
    return {symbol: _returns(_aligned(close, dates)) for symbol, close in snapshot.peers.items()}


def _measure(snapshot: Snapshot) -> dict[str, object]:
    stock = adjusted_close(snapshot.bars)
    own = _returns(stock)
    idx = _returns(_aligned(snapshot.index_bars["close"], stock.index)) if snapshot.index_bars is not None else {}
    peers = _peer_returns(snapshot, stock.index)
    peer_median = {}
    for days in HORIZONS:
        values = [r[days] for r in peers.values() if r[days] is not None]
        peer_median[days] = statistics.median(values) if values else None
    rs_idx = {d: own[d] - idx[d] for d in HORIZONS if own[d] is not None and idx.get(d) is not None}
    rs_peer = {d: own[d] - peer_median[d] for d in HORIZONS if own[d] is not None and peer_median[d] is not None}
    ranked = sorted([own[60], *[r[60] for r in peers.values()]], key=lambda v: -math.inf if v is None else v)
    return {
        "own": own,
        "idx": idx,
        "peer_median": peer_median,
        "rs_idx": rs_idx,
        "rs_peer": rs_peer,
        "n_peers": len(peers),
        "rank": len(ranked) - ranked.index(own[60]) if own[60] is not None and peers else None,
    }


def _metrics(m: dict, comp_idx: float | None, comp_peer: float | None) -> dict[str, float | None]:
    out: dict[str, float | None] = {
        "n_peers": m["n_peers"],
        "peer_rank_60": m["rank"],
        "rs_index": comp_idx,
        "rs_peers": comp_peer,
    }
    for d in HORIZONS:
        out[f"ret_{d}"] = m["own"][d]
        out[f"index_ret_{d}"] = m["idx"].get(d)
        out[f"peer_ret_{d}"] = m["peer_median"][d]
        out[f"rs_index_{d}"] = m["rs_idx"].get(d)
        out[f"rs_peers_{d}"] = m["rs_peer"].get(d)
    return out


def analyze(snapshot: Snapshot, upstream: object = None, selected: object = None) -> AgentResult:
    require(len(snapshot.bars) > 20, f"industry: {len(snapshot.bars)} bars up to {snapshot.as_of}, need 21")
    require(
        snapshot.index_bars is not None or bool(snapshot.peers),
        f"industry: neither the CSI 300 nor same-industry peers of {snapshot.symbol} are in the market data "
        f"at {snapshot.as_of}",
    )
    m = _measure(snapshot)
    comp_idx, comp_peer = _composite(m["rs_idx"]), _composite(m["rs_peer"])
    sources = [c for c in (comp_idx, comp_peer) if c is not None]
    require(bool(sources), f"industry: too little overlapping history at {snapshot.as_of} to compare returns")
    score = clip(sum(sources) / len(sources) * 200, -80, 80)
    sector = None
    if m["peer_median"][60] is not None and m["idx"].get(60) is not None:
        sector = m["peer_median"][60] - m["idx"][60]  # the sector's own rotation vs the market
        score += clip(sector * 100, -10, 10)
    score = settle(score)
    confidence = 0.7 * data_confidence(snapshot, ("bars", "index_bars", "peers"))
    confidence *= (1.0 if m["n_peers"] else 0.8) * (1.0 if comp_idx is not None else 0.75)
    confidence *= 0.7 + 0.1 * len(m["rs_idx"] or m["rs_peer"])
    signals = IndustrySignals(
        rs_vs_index=_label(comp_idx, "leading", "lagging"),
        rs_vs_peers=_label(comp_peer, "leading", "lagging"),
        sector=_label(sector, "in favour", "out of favour"),
        peer_rank_60=f"{m['rank']} of {m['n_peers'] + 1}" if m["rank"] else "n/a",
        industry=snapshot.industry or "unclassified",
    )
    body = _body(snapshot, m, signals, comp_idx, comp_peer)
    metrics = _metrics(m, comp_idx, comp_peer)
    return make_result(
        AGENT_ID,
        score,
        confidence,
        body,
        signals=signals,
        metrics=metrics,
        evidence=_evidence(m, signals),
        narrative=narratives.industry(stance_for(score), metrics, signals.model_dump()),
    )


def _body(
    snapshot: Snapshot, m: dict, signals: IndustrySignals, comp_idx: float | None, comp_peer: float | None
) -> str:
    rows = "\n".join(
        T.ROW(days=d, own=pct(m["own"][d], sign=True), index=pct(m["idx"].get(d), sign=True),
              peers=pct(m["peer_median"][d], sign=True))
        for d in HORIZONS
    )  # fmt: skip
    peers = listing(snapshot.peers) or T.NO_PEERS()
    head = T.HEAD(symbol=snapshot.symbol, industry=snapshot.industry or T.NO_INDUSTRY(), peers=peers)
    strength = T.STRENGTH(
        rs_index=pct(comp_idx, sign=True), vs_index=term(signals.rs_vs_index), rs_peers=pct(comp_peer, sign=True),
        vs_peers=term(signals.rs_vs_peers), sector=term(signals.sector),
    )  # fmt: skip
    return f"{head}\n\n{T.TABLE()}{rows}\n\n{strength}"


def _evidence(m: dict, signals: IndustrySignals) -> list[str]:
    out = [T.EVIDENCE_RETURN(days=d, ret=pct(m["own"][d], sign=True)) for d in (60, 120) if m["own"][d] is not None]
    out += [T.EVIDENCE_VS_INDEX(days=d, rs=pct(v, sign=True)) for d, v in m["rs_idx"].items() if d in (20, 120)]
    out += [T.EVIDENCE_VS_PEERS(days=d, rs=pct(v, sign=True)) for d, v in m["rs_peer"].items() if d in (20, 120)]
    if signals.peer_rank_60 != "n/a":
        out.append(T.EVIDENCE_RANK(rank=m["rank"], total=m["n_peers"] + 1))
    return out
