"""Models <-> DynamoDB items (low-level attribute format) and the log's bookkeeping rules, shared by every backend."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from ...errors import IdempotencyKeyReused, InvalidRequest, NotFound, TaskEnded
from ...models import TERMINAL_EVENTS, Event, EventDraft, EventType, Task, utc_now_iso
from ...projection import bounded, fold, settle
from ...store import LogHead

Item = dict[str, dict[str, Any]]
"""A DynamoDB item in the low-level format: ``{"name": {"S": "value"}, ...}``."""

PROJECTION_FIELDS: tuple[str, ...] = (
    "as_of",
    "status",
    "degraded",
    "stage",
    "progress",
    "agents",
    "decision",
    "usage",
    "error",
    "updated_at",
    "started_at",
    "ended_at",
    "applied_seq",
    "ended_seq",
)
"""The Task fields ProgressFunction owns; ``save_projection`` writes these and nothing else.

``as_of`` is among them because ``task_started`` resolves it (a request without one means "latest data").
"""

LOG_FIELDS: tuple[str, ...] = ("next_seq", "ended", "markers")
"""The log's bookkeeping on its head item (read before an append, never part of the Task model)."""

OPEN_FIELD = "open"
"""Present on a task item only while its projection is open (QUEUED or RUNNING): the key of the sparse
``open_tasks`` index, so the reconciler finds open tasks with a Query instead of a Scan of every task."""
OPEN_VALUE = "1"
OPEN_INDEX = "open_tasks"

TERMINAL_FIELD = "terminal"
"""The head's copy of the terminal event, written with it: reads settle the task by it (invariant 8)."""

_CURSOR_KEYS = frozenset({"owner", "created_at", "task_id"})
_DAY_S = 86_400
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_dynamo(value: Any) -> Any:
    """A JSON-like value as DynamoDB accepts it: floats become ``Decimal``, tuples lists.

    NaN and infinities have no DynamoDB (or JSON) form and become ``None``; so do magnitudes beyond DynamoDB's
    numbers (1e126), and those below them (1e-130) become 0, rather than failing the whole write.
    """
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= 1e125:
            return None
        return Decimal(repr(value)) if abs(value) >= 1e-120 else Decimal(0)
    if isinstance(value, Mapping):
        return {str(k): to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_dynamo(v) for v in value]
    return value


def from_dynamo(value: Any) -> Any:
    """The inverse of :func:`to_dynamo`: ``Decimal`` becomes int when integral, else float; sets sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_dynamo(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(from_dynamo(v) for v in value)
    return value


def attr(value: Any) -> dict[str, Any]:
    """One attribute value in the low-level format (e.g. ``{"N": "3"}``)."""
    return _serializer.serialize(to_dynamo(value))


def to_item(doc: Mapping[str, Any]) -> Item:
    return {name: attr(value) for name, value in doc.items()}


def from_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return {name: from_dynamo(_deserializer.deserialize(value)) for name, value in item.items()}


def expires_at(ttl_days: int, now: float | None = None) -> int:
    """The TTL attribute: epoch seconds ``ttl_days`` from now."""
    return int(now if now is not None else time.time()) + ttl_days * _DAY_S


def event_item(event: Event, expires: int) -> Item:
    doc = {k: v for k, v in event.model_dump(mode="json").items() if v is not None}
    return to_item({**doc, "expires_at": expires})


def event_from_item(item: Mapping[str, Mapping[str, Any]]) -> Event:
    doc = from_item(item)
    doc.pop("expires_at", None)
    return Event.model_validate(doc)


def task_item(task: Task, *, expires: int) -> Item:
    """The task item: the Task's fields (the projection, bounded: results stay in the log), its TTL, and
    while open the ``open_tasks`` key."""
    doc = {**bounded(task).model_dump(mode="json"), "expires_at": expires}
    if not task.terminal:
        doc[OPEN_FIELD] = OPEN_VALUE
    return to_item(doc)


def log_head_id(task_id: str) -> str:
    """Key of the item holding a task's log bookkeeping (``next_seq``, ``ended``, ``markers``).

    It is a small item of its own, beside the task item rather than inside it: every append updates it,
    and updating the task item instead would rewrite the whole projection (all agents' results, tens of
    KB) on every event — WCUs on AWS, and contention with ProgressFunction's writes everywhere.
    """
    return f"log#{task_id}"


def log_head_item(task_id: str, *, next_seq: int, ended: bool, expires: int) -> Item:
    """The log's head (``markers`` is absent until used); no ``owner``, so it stays out of ``by_owner``."""
    doc: dict[str, Any] = {"task_id": log_head_id(task_id), "next_seq": next_seq, "expires_at": expires}
    if ended:
        doc["ended"] = True
    return to_item(doc)


def log_head(task_id: str, item: Mapping[str, Mapping[str, Any]] | None) -> LogHead:
    """The head item as a ``LogHead``; ``NotFound`` when there is none (an unknown or expired task)."""
    state = from_item({name: item[name] for name in LOG_FIELDS if name in item}) if item else {}
    if "next_seq" not in state:
        raise NotFound(f"analysis {task_id} not found")
    return LogHead(
        next_seq=state["next_seq"], ended=bool(state.get("ended")), markers=frozenset(state.get("markers") or ())
    )


def with_first_event(task: Task, first: Event) -> Task:
    """The new task as stored: its first event (``task_queued``) folded in, since both are written at once.

    A read then has nothing of the log to catch up on, and the stream's fold of seq 1 changes nothing.
    ``updated_at`` stays the task's own (the same moment as the event's).
    """
    if first.type != EventType.task_queued or first.seq != 1:
        raise ValueError(f"a task's log starts with task_queued at seq 1, not {first.type} at {first.seq}")
    return fold(task, first).model_copy(update={"updated_at": task.updated_at})


def last_seq(item: Mapping[str, Mapping[str, Any]] | None) -> int:
    """The seq of the last event the head item counts (0 without a head)."""
    return int(item["next_seq"]["N"]) - 1 if item and "next_seq" in item else 0


def terminal_attr(event: Event) -> dict[str, Any]:
    """The terminal event as the head's ``terminal`` attribute (a map, the event item's own fields)."""
    return attr({k: v for k, v in event.model_dump(mode="json").items() if v is not None})


def terminal_from_head(item: Mapping[str, Mapping[str, Any]] | None) -> Event | None:
    """The terminal event the head keeps, if the log has ended."""
    if not item or TERMINAL_FIELD not in item:
        return None
    return Event.model_validate(from_item({TERMINAL_FIELD: item[TERMINAL_FIELD]})[TERMINAL_FIELD])


def settled(task: Task, head_item: Mapping[str, Mapping[str, Any]] | None) -> Task:
    """``task`` settled by the terminal event its head item keeps (unchanged while the log is open)."""
    return settle(task, terminal_from_head(head_item))


def task_from_item(item: Mapping[str, Mapping[str, Any]]) -> Task:
    doc = from_item(item)
    for name in (*LOG_FIELDS, "expires_at", OPEN_FIELD):
        doc.pop(name, None)
    return Task.model_validate(doc)


def projection_item(task: Task) -> Item:
    """The projection fields of ``task`` as attribute values, for ``save_projection``."""
    return to_item(bounded(task).model_dump(mode="json", include=set(PROJECTION_FIELDS)))


def projection_changes(task: Task, before: Task | None) -> dict[tuple[str, ...], Any]:
    """The attribute paths of ``task``'s projection that differ from ``before`` (all of them without one).

    An agent's view is one path (``agents.<id>``), so a fold that moved one agent rewrites that agent,
    not the whole map. Both sides are compared bounded (``projection.bounded``): the item never holds results.
    """
    now = bounded(task).model_dump(mode="json", include=set(PROJECTION_FIELDS))
    if before is None:
        return {(name,): value for name, value in now.items()}
    old = bounded(before).model_dump(mode="json", include=set(PROJECTION_FIELDS))
    changes: dict[tuple[str, ...], Any] = {}
    for name, value in now.items():
        if name == "agents" and old.get("agents"):
            changes.update({("agents", k): v for k, v in value.items() if old["agents"].get(k) != v})
        elif value != old.get(name) or name == "applied_seq":
            changes[(name,)] = value
    return changes


def is_open_item(item: Mapping[str, Any] | None) -> bool:
    """True for a task item still in the ``open_tasks`` index."""
    return is_task_item(item) and OPEN_FIELD in item  # type: ignore[operator]


def encode_open_cursor(key: Mapping[str, Mapping[str, Any]]) -> str:
    """The ``open_tasks`` query's ``LastEvaluatedKey`` as an opaque cursor."""
    doc = from_item({name: key[name] for name in ("task_id", "created_at") if name in key})
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode()


def decode_open_cursor(cursor: str) -> Item:
    """The ``ExclusiveStartKey`` a cursor of :func:`encode_open_cursor` names; ``InvalidRequest`` if malformed."""
    try:
        doc = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(doc, dict) or set(doc) != {"task_id", "created_at"}:
            raise ValueError(cursor)
    except (ValueError, binascii.Error) as exc:
        raise InvalidRequest("malformed cursor", {"cursor": cursor}) from exc
    return to_item({**doc, OPEN_FIELD: OPEN_VALUE})


def is_task_item(item: Mapping[str, Any] | None) -> bool:
    """True for a task's item; False for nothing or an ``idem#…`` / ``log#…`` item sharing the table."""
    return bool(item) and "owner" in item


def visible_task(task_id: str, item: Mapping[str, Mapping[str, Any]] | None, owner: str | None) -> Task:
    """The task in ``item`` as ``owner`` may see it: another owner's task is "not found" too (invariant 5)."""
    if item is None or not is_task_item(item) or (owner is not None and item["owner"].get("S") != owner):
        raise NotFound(f"analysis {task_id} not found")
    return task_from_item(item)


def idem_item(owner: str, key: str, task_id: str, expires: int, fingerprint: str | None = None) -> Item:
    """The Idempotency-Key item: no ``owner``/``created_at`` attributes, so it stays out of ``by_owner``.

    ``fingerprint`` is the hash of the request the key first came with (``services.analyses``)."""
    fields: dict[str, Any] = {"task_id": idem_id(owner, key), "target": task_id, "expires_at": expires}
    if fingerprint is not None:
        fields["fingerprint"] = fingerprint
    return to_item(fields)


def check_same_request(item: Item, key: str, fingerprint: str | None) -> None:
    """``IdempotencyKeyReused`` when the key's item records another request than ``fingerprint``.

    An item without a fingerprint (written before they were kept) matches any request."""
    stored = from_item(item).get("fingerprint")
    if fingerprint is not None and stored is not None and stored != fingerprint:
        raise IdempotencyKeyReused("the Idempotency-Key was used with a different request", {"idempotency_key": key})


def idem_id(owner: str, key: str) -> str:
    return f"idem#{owner}#{key}"


# --- The log's rules: the same in memory and in DynamoDB -------------------------------------------------


MAX_BATCH = 99
"""Drafts per append: a DynamoDB transaction holds 100 items, one of them the task's update."""


def check_batch(drafts: Sequence[EventDraft]) -> None:
    """A terminal event may only close a batch: nothing can follow it in the log."""
    if len(drafts) > MAX_BATCH:
        raise ValueError(f"at most {MAX_BATCH} events per append, got {len(drafts)}")
    for draft in drafts[:-1]:
        if draft.type in TERMINAL_EVENTS:
            raise ValueError(f"a terminal event ({draft.type}) may only be the last of a batch")


def appendable(task_id: str, state: Mapping[str, Any], once: str | None) -> bool:
    """Whether an append may go ahead, given the task item's log fields (plain values).

    Raises ``NotFound`` for no task and ``TaskEnded`` after its terminal event; False means the ``once``
    marker is already there (the append is a no-op).
    """
    if "next_seq" not in state:
        raise NotFound(f"analysis {task_id} not found")
    if state.get("ended"):
        raise TaskEnded(f"analysis {task_id} has ended; nothing may follow its terminal event")
    return once is None or once not in (state.get("markers") or ())


def number_events(task_id: str, drafts: Sequence[EventDraft], first_seq: int) -> list[Event]:
    """The drafts as events with consecutive seqs from ``first_seq`` and one timestamp."""
    ts = utc_now_iso()
    return [Event(seq=first_seq + i, task_id=task_id, ts=ts, **draft.model_dump()) for i, draft in enumerate(drafts)]


# --- Cursors for list(): the same opaque token from every backend ----------------------------------------


def check_limit(limit: int) -> None:
    if limit < 1:
        raise InvalidRequest("limit must be at least 1", {"limit": limit})


def encode_cursor(task: Task) -> str:
    """The cursor after ``task``: its key in the ``by_owner`` index, as urlsafe base64 JSON."""
    key = {"owner": task.owner, "created_at": task.created_at, "task_id": task.task_id}
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, owner: str) -> dict[str, str]:
    """The key a cursor names; ``InvalidRequest`` if it is malformed or was issued to another owner."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequest("invalid cursor", {"cursor": cursor}) from exc
    valid = (
        isinstance(key, dict)
        and set(key) == _CURSOR_KEYS
        and all(isinstance(v, str) for v in key.values())
        and key["owner"] == owner
        # Keys DynamoDB accepts as ExclusiveStartKey (it refuses an empty key string with a 400 of its own).
        and re.fullmatch(r"[0-9a-f]{32}", key["task_id"]) is not None
        and 0 < len(key["created_at"]) <= 64
    )
    if not valid:
        raise InvalidRequest("invalid cursor", {"cursor": cursor})
    return key
