"""In-memory task store and event log with DynamoDB's semantics, for tests and the fakes of other parts.

They keep the very items the DynamoDB backends write (built by ``codec``), under one lock that plays the
part of DynamoDB's conditional writes, so both pass the same contract tests.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import Conflict, NotFound
from ..models import AgentResult, Event, EventDraft, ResultRef, Task
from ..projection import CATCH_UP_EVENTS, caught_up, result_seqs, results_of, with_results
from ..store import LogHead, TaskQuery, notify
from .dynamodb import codec


@dataclass
class _Tables:
    tasks: dict[str, codec.Item] = field(default_factory=dict)
    """The Tasks table: task items and ``idem#…`` items, by ``task_id``."""
    events: dict[str, dict[int, codec.Item]] = field(default_factory=dict)
    """The Events table: by ``task_id``, then ``seq``."""
    lock: threading.RLock = field(default_factory=threading.RLock)


class MemoryTaskStore:
    """:class:`~investmind.store.base.TaskStore` in memory; pass it to :class:`MemoryEventLog` to share the log."""

    def __init__(self, ttl_days: int = 30) -> None:
        self.tables = _Tables()
        self.ttl_days = ttl_days

    def create(
        self, task: Task, first: EventDraft, idempotency_key: str | None = None, fingerprint: str | None = None
    ) -> tuple[Task, bool]:
        t = self.tables
        with t.lock:
            idem = codec.idem_id(task.owner, idempotency_key) if idempotency_key is not None else None
            if idem is not None and idem in t.tasks:
                codec.check_same_request(t.tasks[idem], idempotency_key, fingerprint)
                return self._existing(task.owner, idempotency_key), False
            if task.task_id in t.tasks:
                raise Conflict(f"analysis {task.task_id} already exists")
            event = codec.number_events(task.task_id, [first], 1)[0]
            task = codec.with_first_event(task, event)
            expires = codec.expires_at(self.ttl_days)
            t.tasks[task.task_id] = codec.task_item(task, expires=expires)
            t.tasks[codec.log_head_id(task.task_id)] = codec.log_head_item(
                task.task_id, next_seq=2, ended=event.terminal, expires=expires
            )
            t.events[task.task_id] = {1: codec.event_item(event, expires)}
            if idempotency_key is not None:
                item = codec.idem_item(task.owner, idempotency_key, task.task_id, expires, fingerprint)
                t.tasks[item["task_id"]["S"]] = item
            return task, True

    def _existing(self, owner: str, key: str) -> Task:
        target = codec.from_item(self.tables.tasks[codec.idem_id(owner, key)])["target"]
        try:
            return self.get(target, owner)
        except NotFound as exc:
            raise Conflict("the Idempotency-Key is in use", {"idempotency_key": key}) from exc

    def get(self, task_id: str, owner: str | None = None, *, results: bool = True) -> Task:
        with self.tables.lock:
            task = codec.visible_task(task_id, self.tables.tasks.get(task_id), owner)
            log = self.tables.events.get(task_id, {})
            behind = [seq for seq in sorted(log) if seq > task.applied_seq][:CATCH_UP_EVENTS] if results else []
            task = caught_up(task, [codec.event_from_item(log[seq]) for seq in behind])
            task = codec.settled(task, self.tables.tasks.get(codec.log_head_id(task_id)))
            return with_results(task, _events_at(self.tables, task_id, result_seqs(task))) if results else task

    def get_projection(self, task_id: str) -> Task:
        with self.tables.lock:
            return codec.visible_task(task_id, self.tables.tasks.get(task_id), None)

    def list(self, query: TaskQuery) -> tuple[list[Task], str | None]:
        owner, status, limit, cursor, symbol = query.owner, query.status, query.limit, query.cursor, query.symbol
        codec.check_limit(limit)
        start = codec.decode_cursor(cursor, owner) if cursor is not None else None
        with self.tables.lock:
            items = self.tables.tasks
            mine = [
                codec.settled(codec.task_from_item(i), items.get(codec.log_head_id(i["task_id"]["S"])))
                for i in items.values()
                if _owned_by(i, owner)
            ]
        # The by_owner index, newest first; a cursor resumes strictly after the task it names.
        mine.sort(key=lambda task: (task.created_at, task.task_id), reverse=True)
        if start is not None:
            mine = [task for task in mine if (task.created_at, task.task_id) < (start["created_at"], start["task_id"])]
        wanted = [t for t in mine if (status is None or t.status == status) and (symbol in (None, t.symbol))]
        page = wanted[:limit]
        return page, codec.encode_cursor(page[-1]) if len(page) == limit else None

    def save_projection(self, task: Task, expected_applied_seq: int, before: Task | None = None) -> bool:
        # ``before`` only lets DynamoDB write less; the stored result is the same without it.
        with self.tables.lock:
            item = self.tables.tasks.get(task.task_id)
            if item is None or not codec.is_task_item(item):
                raise NotFound(f"analysis {task.task_id} not found")
            if codec.from_item({"applied_seq": item["applied_seq"]})["applied_seq"] != expected_applied_seq:
                return False
            item.update(codec.projection_item(task))
            if task.terminal:
                item.pop(codec.OPEN_FIELD, None)
            return True

    def list_open(self, limit: int = 100, cursor: str | None = None) -> tuple[list[str], str | None]:
        # The open_tasks index: only items carrying the open key, by created_at (then task_id, as DynamoDB
        # orders equal sort keys by the base table's key).
        start = codec.from_item(codec.decode_open_cursor(cursor)) if cursor is not None else None
        with self.tables.lock:
            keys = sorted(
                (codec.from_item({"c": i["created_at"]})["c"], i["task_id"]["S"])
                for i in self.tables.tasks.values()
                if codec.is_open_item(i)
            )
        if start is not None:
            keys = [k for k in keys if k > (start["created_at"], start["task_id"])]
        page = keys[:limit]
        more = len(keys) > limit
        last = {"created_at": codec.attr(page[-1][0]), "task_id": codec.attr(page[-1][1])} if more else None
        return [task_id for _, task_id in page], codec.encode_open_cursor(last) if last else None


def _events_at(tables: _Tables, task_id: str, seqs: Sequence[int]) -> dict[int, Event]:
    log = tables.events.get(task_id, {})
    return {seq: codec.event_from_item(log[seq]) for seq in seqs if seq in log}


def _owned_by(item: codec.Item, owner: str) -> bool:
    return codec.is_task_item(item) and item["owner"].get("S") == owner


class MemoryEventLog:
    """:class:`~investmind.store.base.EventLog` in memory, over the tasks (and their bookkeeping) of ``tasks``."""

    def __init__(self, tasks: MemoryTaskStore) -> None:
        self.tables = tasks.tables
        self.ttl_days = tasks.ttl_days

    def append(self, task_id: str, drafts: Sequence[EventDraft], once: str | None = None) -> list[Event]:
        drafts = list(drafts)
        codec.check_batch(drafts)
        if not drafts:
            return []
        t = self.tables
        with t.lock:
            item = t.tasks.get(codec.log_head_id(task_id), {})
            state = codec.from_item({name: item[name] for name in codec.LOG_FIELDS if name in item})
            if not codec.appendable(task_id, state, once):
                return []
            events = codec.number_events(task_id, drafts, state["next_seq"])
            item["next_seq"] = codec.attr(events[-1].seq + 1)
            if events[-1].terminal:
                item["ended"] = codec.attr(True)
                item[codec.TERMINAL_FIELD] = codec.terminal_attr(events[-1])
            if once is not None:
                item["markers"] = codec.attr({*state.get("markers", ()), once})
            expires = codec.expires_at(self.ttl_days)
            t.events.setdefault(task_id, {}).update({e.seq: codec.event_item(e, expires) for e in events})
        notify.appended(task_id)
        return events

    def read(self, task_id: str, after: int = 0, limit: int = 1000) -> list[Event]:
        with self.tables.lock:
            log = self.tables.events.get(task_id, {})
            seqs = sorted(seq for seq in log if seq > after)[: max(limit, 0)]
            return [codec.event_from_item(log[seq]) for seq in seqs]

    def head(self, task_id: str) -> LogHead:
        with self.tables.lock:
            return codec.log_head(task_id, self.tables.tasks.get(codec.log_head_id(task_id)))


class MemoryResultStore:
    """:class:`~investmind.services.ports.ResultStore` over a :class:`MemoryEventLog`: results from their events."""

    def __init__(self, log: MemoryEventLog) -> None:
        self.tables = log.tables

    def load(self, task_id: str, refs: Sequence[ResultRef]) -> dict[str, AgentResult]:
        with self.tables.lock:
            events = _events_at(self.tables, task_id, [ref.seq for ref in refs if ref.seq is not None])
        return results_of(refs, events)


class AsyncMemoryTaskStore:
    """The async face of a :class:`MemoryTaskStore` (its calls never block for long: one lock, no I/O)."""

    def __init__(self, store: MemoryTaskStore | None = None) -> None:
        self.sync = store if store is not None else MemoryTaskStore()

    async def create(
        self, task: Task, first: EventDraft, idempotency_key: str | None = None, fingerprint: str | None = None
    ) -> tuple[Task, bool]:
        return self.sync.create(task, first, idempotency_key, fingerprint)

    async def get(self, task_id: str, owner: str | None = None, *, results: bool = True) -> Task:
        return self.sync.get(task_id, owner, results=results)

    async def get_projection(self, task_id: str) -> Task:
        return self.sync.get_projection(task_id)

    async def list(self, query: TaskQuery) -> tuple[list[Task], str | None]:
        return self.sync.list(query)

    async def save_projection(self, task: Task, expected_applied_seq: int, before: Task | None = None) -> bool:
        return self.sync.save_projection(task, expected_applied_seq, before)


class AsyncMemoryEventLog:
    """The async face of a :class:`MemoryEventLog`."""

    def __init__(self, log: MemoryEventLog) -> None:
        self.sync = log

    async def append(self, task_id: str, drafts: Sequence[EventDraft], once: str | None = None) -> list[Event]:
        return self.sync.append(task_id, drafts, once)

    async def read(self, task_id: str, after: int = 0, limit: int = 1000) -> list[Event]:
        return self.sync.read(task_id, after, limit)

    async def head(self, task_id: str) -> LogHead:
        return self.sync.head(task_id)
