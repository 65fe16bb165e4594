"""``/v1/analyses/{id}/bars``: the daily bars an analysis read, for the console's chart.

The bars come from the same snapshot the analysts read: the task's symbol at the date PrepareData
resolved (``task_started``'s ``as_of``), through the deployment's market loader and its cache, and
adjusted as the analysts adjust them (``market.adjust.adjusted_bars``: split- and dividend-adjusted
back from the as-of close), so the technical analyst's support, resistance and the decision's levels
sit on them. The moving averages are computed over the snapshot's whole history, so the first bar
shown already has its SMA 120 when the data reaches that far back.

An analysis's bars do not change once it has resolved its date, so the answer is cacheable by the
caller alone (``Cache-Control: private``) and carries an ``ETag``: the console's chart, opened
again, revalidates with ``If-None-Match`` and gets ``304 Not Modified`` without the body.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel

from ...composition.market import loader
from ...errors import Conflict
from ...models import EventType, Task
from ...services.analyses import Analyses, EventFilter
from ...settings import Settings
from ..deps import AnalysesDep, OwnedTaskDep, SettingsDep
from ..errors import ERROR_RESPONSES, described

router = APIRouter(prefix="/v1/analyses", tags=["bars"], responses=ERROR_RESPONSES)

SMA_WINDOWS = (20, 60, 120)
BARS_MAX_AGE_S = 3600
"""How long a browser reuses the bars without asking: a provider may still correct a recent session."""
_STARTED_WITHIN = 50  # task_started follows task_queued at once; a few early logs at most come between


class Bar(BaseModel):
    date: dt.date
    open: float
    high: float
    low: float
    close: float
    volume: float | None
    sma20: float | None
    sma60: float | None
    sma120: float | None


class BarsPage(BaseModel):
    task_id: str
    price_basis: Literal["traded", "adjusted"]
    """``traded``: the last close is as traded (earlier bars adjusted back to it); ``adjusted``: the
    source had adjusted every price, so none was traded (the decision's levels are then relative)."""
    symbol: str
    name: str | None
    as_of: dt.date
    """The trading day the analysis resolved to: the last bar."""
    source: dict[str, Any]
    """The bars part's provenance: ``source, as_of, fetched_at, first, last, rows, stale, missing, note``."""
    bars: list[Bar]
    """Oldest first; at most ``limit`` sessions up to ``as_of``."""


async def resolved_as_of(analyses: Analyses, task: Task) -> dt.date:
    """The date PrepareData resolved for ``task`` (from its ``task_started``); 409 before it started."""
    started, _ = await analyses.page(task, 0, _STARTED_WITHIN, EventFilter(types=(EventType.task_started,)))
    if started:
        return dt.date.fromisoformat(started[0].data["as_of"])
    raise Conflict(
        f"analysis {task.task_id} has not resolved its data (status {task.status.value})",
        {"status": task.status.value},
    )


def load_bars(settings: Settings, symbol: str, as_of: dt.date, limit: int) -> tuple[Any, list[Bar]]:
    """The snapshot's bars part provenance and its last ``limit`` bars with their SMAs (sync: pandas)."""
    from ...market.adjust import adjusted_bars  # pandas: loaded with the first chart, not with the app

    snapshot = loader(settings)(symbol, as_of)
    frame = adjusted_bars(snapshot.bars)
    close = frame["close"]
    smas = {window: close.rolling(window, min_periods=window).mean() for window in SMA_WINDOWS}
    tail = frame.iloc[-limit:]
    bars = []
    for position, (date, row) in enumerate(tail.iterrows(), start=len(frame) - len(tail)):
        prices = [row["open"], row["high"], row["low"], row["close"]]
        if not all(_finite(value) for value in prices):
            continue  # a session the source left incomplete is left out, never filled in
        bars.append(
            Bar(
                date=date.date(),
                open=float(row["open"]),
                high=float(row["high"]),
                low=float(row["low"]),
                close=float(row["close"]),
                volume=float(row["volume"]) if _finite(row["volume"]) else None,
                **{f"sma{w}": _rounded(smas[w].iloc[position]) for w in SMA_WINDOWS},
            )
        )
    return snapshot, bars


def _finite(value: Any) -> bool:
    return value is not None and math.isfinite(float(value))


def _rounded(value: Any) -> float | None:
    return round(float(value), 4) if _finite(value) else None


@router.get(
    "/{task_id}/bars",
    responses={
        304: {"description": "`If-None-Match` named the current `ETag`: the caller's copy is still right"},
        409: described("The analysis has not resolved its data yet (`conflict`): no bars to show"),
    },
)
async def get_analysis_bars(
    task: OwnedTaskDep,
    analyses: AnalysesDep,
    settings: SettingsDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=1500, description="sessions up to the as-of date")] = 250,
    if_none_match: Annotated[str | None, Header(description="an `ETag` of an earlier answer")] = None,
) -> BarsPage:
    as_of = await resolved_as_of(analyses, task)
    snapshot, bars = await asyncio.to_thread(load_bars, settings, task.symbol, as_of, limit)
    source_adjusted = "source_adjusted" in snapshot.bars and snapshot.bars["source_adjusted"].iloc[-1] == 1
    page = BarsPage(
        task_id=task.task_id,
        price_basis="adjusted" if source_adjusted else "traded",
        symbol=snapshot.symbol,
        name=snapshot.name,
        as_of=snapshot.as_of,
        source=dict(snapshot.parts.get("bars", {})),
        bars=bars,
    )
    etag = f'"{hashlib.sha256(page.model_dump_json().encode()).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": f"private, max-age={BARS_MAX_AGE_S}"}
    if if_none_match and etag in (tag.strip().removeprefix("W/") for tag in if_none_match.split(",")):
        return Response(status_code=304, headers=headers)  # type: ignore[return-value] - FastAPI passes a Response through
    response.headers.update(headers)
    return page
