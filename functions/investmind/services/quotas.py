"""Per-owner quotas on submit (docs/security.md): analyses queued or running at once, and per 24 hours."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..errors import TooManyRequests
from ..models import Task, TaskStatus
from .ports import AsyncTaskStore, TaskQuery

_DAY = dt.timedelta(days=1)
_ACTIVE_RETRY_S = 60
"""An analysis takes minutes: when the active quota is full, a minute later one has likely ended."""


@dataclass(frozen=True, slots=True)
class Quota:
    """Per owner: analyses queued or running at once, and submitted in any 24 hours."""

    active: int = 5
    daily: int = 200


async def check_quota(tasks: AsyncTaskStore, owner: str, quota: Quota) -> None:
    """Raise ``TooManyRequests`` if ``owner`` may not submit now.

    Reads the owner's analyses of the last 24 hours, newest first (at most ``daily`` of them). A soft
    limit: two submissions racing may both pass. An analysis still active after a day has ended by
    invariant 4, so the window holds every active one.
    """
    now = dt.datetime.now(dt.UTC)
    since = (now - _DAY).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    recent: list[Task] = []
    cursor: str | None = None
    while len(recent) < quota.daily:
        page, cursor = await tasks.list(TaskQuery(owner, limit=min(100, quota.daily - len(recent) + 1), cursor=cursor))
        recent += [task for task in page if task.created_at >= since]
        if cursor is None or (page and page[-1].created_at < since):
            break
    active = sum(task.status in (TaskStatus.QUEUED, TaskStatus.RUNNING) for task in recent)
    if active >= quota.active:
        raise TooManyRequests(
            f"{active} analyses are queued or running; at most {quota.active} at once", _ACTIVE_RETRY_S,
            {"quota": "active", "limit": quota.active},
        )  # fmt: skip
    if len(recent) >= quota.daily:
        oldest = dt.datetime.fromisoformat(recent[quota.daily - 1].created_at)
        retry = int((oldest + _DAY - now).total_seconds()) + 1
        raise TooManyRequests(
            f"at most {quota.daily} analyses in 24 hours", retry, {"quota": "daily", "limit": quota.daily}
        )
