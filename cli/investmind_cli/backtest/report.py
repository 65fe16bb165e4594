"""The backtest's report: ``docs/backtest.md`` and its two pictures."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from .engine import HELD_OUT, HORIZONS, MOMENTUM_DAYS, Run
from .figures import cumulative_figure, scatter_figure
from .measures import PERIODS, STRATEGY_TITLES, Measures
from .stats import Estimate, block_length


def pct(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value * 100:+.2f}%"


def rho(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:+.3f}"


def interval(e: Estimate, fmt=pct) -> str:
    if math.isnan(e.low):
        return fmt(e.value)
    return f"{fmt(e.value)} [{fmt(e.low)}, {fmt(e.high)}]"


def share(e: Estimate | None) -> str:
    if e is None:
        return "—"
    if math.isnan(e.value):
        return "n/a"
    if math.isnan(e.low):
        return f"{e.value:.0%}"
    return f"{e.value:.0%} [{e.low:.0%}, {e.high:.0%}]"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in rows)]


AGAINST = {
    "excess": ("the CSI 300", "the stock's return over the next {h} sessions minus the CSI 300's"),
    "rel": (
        "the run's stocks on average",
        "the stock's return over the next {h} sessions minus the mean of the run's stocks on the same date "
        "(at least 3 known); defined where the CSI 300 is not, and free of what the stocks share",
    ),
}


def excess_section(measures: Measures, horizon: int, against: str = "excess") -> list[str]:
    figures = measures.by_action(horizon, against)
    header = ["strategy", "action"] + [f"{p}: {c}" for p in PERIODS for c in ("n (dates)", "mean [95%]", "hit")]
    rows = []
    keys = sorted({(f.strategy, f.action) for f in figures}, key=lambda k: (list(STRATEGY_TITLES).index(k[0]), k[1]))
    for strategy, action in keys:
        row = [STRATEGY_TITLES[strategy], action]
        for period in PERIODS:
            found = [f for f in figures if (f.strategy, f.action, f.period) == (strategy, action, period)]
            if found:
                f = found[0]
                row += [f"{f.mean.n} ({f.mean.dates})", interval(f.mean), share(f.hit)]
            else:
                row += ["0", "n/a", "—"]
        rows.append(row)
    block = block_length(horizon, measures.run.step_sessions)
    name, meaning = AGAINST[against]
    return [
        f"### Over {name}, {horizon} sessions ahead",
        "",
        *_table(header, rows),
        "",
        f"Mean: {meaning.format(h=horizon)}. Hit: a BUY that then beat the benchmark, a SELL that then lagged it "
        f"(a HOLD makes no such call). Intervals: circular block bootstrap over rebalance dates, blocks of {block} "
        f"dates, {measures.reps} resamples.",
        "",
    ]


def _rho_table(measures: Measures, against: str) -> list[str]:
    found = measures.correlations(against)
    header = ["score", "horizon"] + [f"{p}: ρ [95%] (n)" for p in PERIODS]
    rows = []
    for strategy in ("pipeline", "momentum"):
        for horizon in HORIZONS:
            row = ["pipeline score" if strategy == "pipeline" else "120-day momentum", str(horizon)]
            for period in PERIODS:
                c = [x for x in found if (x.strategy, x.horizon, x.period) == (strategy, horizon, period)]
                row.append(f"{interval(c[0].rho, rho)} ({c[0].rho.n})" if c else "n/a")
            rows.append(row)
    return _table(header, rows)


def correlation_section(measures: Measures) -> list[str]:
    columns = [(h, s, a) for h in HORIZONS for a in AGAINST for s in ("pipeline", "momentum")]
    years = {a: measures.by_year(a) for a in AGAINST}
    year_rows = []
    for position, year in enumerate(years["excess"]["year"]):
        cells = [rho(years[a].iloc[position][f"{s}_{h}"]) for h, s, a in columns]
        pairs = [str(int(years[a].iloc[position][f"n_{h}"])) for h in HORIZONS for a in AGAINST]
        year_rows.append([str(year), *cells, *pairs])
    short = {"excess": "CSI 300", "rel": "stocks"}
    year_header = ["year", *(f"{s} {h} / {short[a]}" for h, s, a in columns)]
    year_header += [f"pairs {h} / {short[a]}" for h in HORIZONS for a in AGAINST]
    return [
        "## Rank correlation of the score with the forward return",
        "",
        "Over the CSI 300:",
        "",
        *_rho_table(measures, "excess"),
        "",
        "Over the run's stocks on average:",
        "",
        *_rho_table(measures, "rel"),
        "",
        "Spearman over all (stock, date) pairs of the period pooled. By calendar year (no intervals: few dates):",
        "",
        *_table(year_header, year_rows),
        "",
    ]


def headline_section(measures: Measures) -> list[str]:
    """The figures a change of weights or thresholds is judged by, in-sample against held out."""
    periods = ("in-sample", "held-out")
    figures = {(f.strategy, f.action, f.horizon, f.period): f for h in HORIZONS for f in measures.by_action(h)}
    rows = []
    for against, name in (("excess", "excess over the CSI 300"), ("rel", "return over the stocks' mean")):
        found = {(c.strategy, c.horizon, c.period): c.rho for c in measures.correlations(against)}
        for horizon in HORIZONS:
            for strategy, label in (("pipeline", "pipeline score"), ("momentum", "120-day momentum")):
                cells = [interval(found[k], rho) if (k := (strategy, horizon, p)) in found else "n/a" for p in periods]
                rows.append([f"Spearman, {label} vs {horizon}-session {name}", *cells])
    for horizon in HORIZONS:
        for action in ("BUY", "SELL"):
            cells = []
            for period in periods:
                f = figures.get(("pipeline", action, horizon, period))
                cells.append(f"{interval(f.mean)}, hit {share(f.hit)} (n {f.mean.n})" if f else "n/a")
            rows.append([f"pipeline {action}: mean {horizon}-session excess, hit rate", *cells])
    momentum = {p: (s, n) for p, s, _, n in measures.score_vs_momentum()}
    cells = [f"{rho(momentum[p][0])} (n {momentum[p][1]})" for p in periods]
    rows.append(["Spearman, score vs 120-day momentum", *cells])
    return [
        "## Headline",
        "",
        *_table(["figure", "in-sample", f"held-out ({HELD_OUT[0]} .. {HELD_OUT[1]})"], rows),
        "",
    ]


def momentum_section(measures: Measures) -> list[str]:
    rows = [[p, rho(s), rho(r), str(n)] for p, s, r, n in measures.score_vs_momentum()]
    return [
        f"## How much of the score is {MOMENTUM_DAYS}-day momentum",
        "",
        *_table(["period", "Spearman", "Pearson", "pairs"], rows),
        "",
    ]


def plans_section(measures: Measures) -> list[str]:
    table = measures.plan_outcomes()
    rows = []
    for _, r in table.iterrows():
        n = r["plans"]
        cells = [r["period"], str(n)]
        for outcome in ("target", "stop", "horizon", "open"):
            cells.append(f"{r[outcome]} ({r[outcome] / n:.0%}), {pct(r[f'{outcome}_return'])}" if n else "0")
        cells += [pct(r["mean_return"]), "n/a" if math.isnan(r["mean_days"]) else f"{r['mean_days']:.1f}"]
        cells.append(str(r["same_day"]))
        rows.append(cells)
    header = [
        "period",
        "BUY plans",
        "target first",
        "stop first",
        "horizon expiry",
        "data ends",
        "mean exit",
        "sessions",
    ]
    return [
        "## The BUY trade plans",
        "",
        *_table(header + ["stop and target same day"], rows),
        "",
        "Each BUY entered at the close of its date and walked forward over the daily bars up to its horizon "
        "(calendar days): the first day whose low reaches the stop or whose high reaches the target ends it, at "
        "the level (at the open when the day opens beyond it); a day whose range holds both is counted as the "
        "stop, since the bars do not say which came first. Later bars are put on the price basis of the "
        "decision's day, so a dividend is not a stop. Cells: count (share), mean exit return. The baselines "
        "make no trade plans.",
        "",
    ]


def coverage_section(run: Run, measures: Measures) -> list[str]:
    rows = run.rows
    decided = measures.rows
    lines = [
        "## Coverage",
        "",
        f"- {len(run.dates)} rebalance dates ({run.dates[0].date()} .. {run.dates[-1].date()}), "
        f"{len(run.plan.symbols)} stocks, {len(rows)} analyses run, {len(decided)} with a decision"
        if run.dates
        else "- no rebalance date in the range",
    ]
    if len(rows):
        lines.append(f"- degraded (an agent failed): {int(decided['degraded'].sum())} of {len(decided)}")
        untradeable = int((~rows["tradeable"].astype(bool) & rows["error"].isna()).sum())
        if untradeable:
            lines.append(f"- no trade decision (too few agents succeeded): {untradeable}")
        no_index = int(decided["excess_20"].isna().sum())
        lines.append(f"- without a 20-session excess return (no CSI 300 data yet, or the data ends): {no_index}")
    for reason, count in sorted(run.skipped.items(), key=lambda kv: -kv[1]):
        lines.append(f"- not analysed, {reason}: {count}")
    for agent, count in sorted(run.agent_failures.items(), key=lambda kv: -kv[1]):
        lines.append(f"- {agent} failed in {count} analyses")
    return [*lines, ""]


def write(run: Run, measures: Measures, out: Path, command: str) -> Path:
    """Write the markdown report to ``out`` and its pictures beside it; returns ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    cumulative_png, scatter_png = f"{out.stem}-cumulative.png", f"{out.stem}-score.png"
    cumulative_figure(measures, out.parent / cumulative_png)
    scatter_figure(measures, out.parent / scatter_png)
    lines = [
        "# Walk-forward backtest",
        "",
        f"Written by `{command}` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. At every rebalance date (the last "
        f"session of each {run.plan.every}) each stock that traded that day is analysed by the real pipeline "
        "(the quant core of all ten agents, stage by stage as the state machine runs them) on the bundled data "
        "cut at that date; only afterwards are the bars after the date read, to score the decision. Returns use "
        f"adjusted closes. Baselines: the sign of the {MOMENTUM_DAYS}-session return (BUY above 0, SELL below), "
        f"and HOLD throughout. Held out from any choice of weights or thresholds: {HELD_OUT[0]} .. {HELD_OUT[1]} "
        "(`held-out`); `in-sample` is everything before it, less the dates whose forward window (or trade plan) "
        "reaches into the held-out period. Survivorship: the stocks are today's index members.",
        "",
        *headline_section(measures),
        *coverage_section(run, measures),
        "## Forward return over the benchmark, by action",
        "",
    ]
    for against in AGAINST:
        for horizon in HORIZONS:
            lines += excess_section(measures, horizon, against)
    lines += correlation_section(measures) + momentum_section(measures) + plans_section(measures)
    lines += [
        "## Pictures",
        "",
        f"![cumulative excess return by action]({cumulative_png})",
        "",
        f"![score against forward excess return]({scatter_png})",
        "",
    ]
    out.write_text("\n".join(lines))
    return out
