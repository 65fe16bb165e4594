"""``/v1/analyses/{id}/bars``: the daily bars an analysis read, for the console's chart.

The bars come from the same snapshot the analysts read: the task's symbol at the date PrepareData
resolved (``task_started``'s ``as_of``), through the deployment's market loader and its cache. The
moving averages are computed over the snapshot's whole history, as the technical analyst computes
them, so the first bar shown already has its SMA 120 when the data reaches that far back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from ... import market
from ...errors import Conflict
from ...models import EventType, Task
from ...settings import Settings
from ...store import AsyncEventLog
from ..deps import EventsDep, OwnedTaskDep, SettingsDep
from ..errors import ERROR_RESPONSES, described

router = APIRouter(prefix="/v1/analyses", tags=["bars"], responses=ERROR_RESPONSES)

SMA_WINDOWS = (20, 60, 120)
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
    symbol: str
    name: str | None
    as_of: dt.date
    """The trading day the analysis resolved to: the last bar."""
    source: dict[str, Any]
    """The bars part's provenance: ``source, as_of, fetched_at, first, last, rows, stale, missing, note``."""
    bars: list[Bar]
    """Oldest first; at most ``limit`` sessions up to ``as_of``."""


async def resolved_as_of(events: AsyncEventLog, task: Task) -> dt.date:
    """The date PrepareData resolved for ``task`` (from its ``task_started``); 409 before it started."""
    for event in await events.read(task.task_id, after=0, limit=_STARTED_WITHIN):
        if event.type == EventType.task_started:
            return dt.date.fromisoformat(event.data["as_of"])
    raise Conflict(
        f"analysis {task.task_id} has not resolved its data (status {task.status.value})",
        {"status": task.status.value},
    )


def load_bars(settings: Settings, symbol: str, as_of: dt.date, limit: int) -> tuple[Any, list[Bar]]:
    """The snapshot's bars part provenance and its last ``limit`` bars with their SMAs (sync: pandas)."""
    snapshot = market.loader(settings)(symbol, as_of)
    frame = snapshot.bars
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
    responses={409: described("The analysis has not resolved its data yet (`conflict`): no bars to show")},
)
async def get_analysis_bars(
    task: OwnedTaskDep,
    events: EventsDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=1500, description="sessions up to the as-of date")] = 250,
) -> BarsPage:
    as_of = await resolved_as_of(events, task)
    snapshot, bars = await asyncio.to_thread(load_bars, settings, task.symbol, as_of, limit)
    return BarsPage(
        task_id=task.task_id,
        symbol=snapshot.symbol,
        name=snapshot.name,
        as_of=snapshot.as_of,
        source=dict(snapshot.parts.get("bars", {})),
        bars=bars,
    )
