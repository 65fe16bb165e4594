"""The store contract (docs/contracts.md, invariants 1, 3, 5 and 6), run against every backend."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from investmind.errors import Conflict, IdempotencyKeyReused, InvalidRequest, NotFound, TaskEnded
from investmind.models import EventDraft, EventType, Progress, Task, TaskStatus
from investmind.projection import initial_agents
from investmind.store import TaskQuery


def new_task(owner: str | None = None, created_at: str = "2025-01-02T03:04:05.000Z") -> Task:
    return Task(
        task_id=uuid.uuid4().hex,
        owner=owner or f"caller-{uuid.uuid4().hex[:8]}",
        symbol="600519.SH",
        created_at=created_at,
        updated_at=created_at,
    )


def queued(task: Task) -> EventDraft:
    return EventDraft(type=EventType.task_queued, data={"symbol": task.symbol, "as_of": None, "priority": "normal"})


def log_draft(message: str = "working") -> EventDraft:
    return EventDraft(type=EventType.log, data={"level": "info", "message": message})


def stored(task: Task) -> Task:
    """``task`` as a store keeps it on create: its first event (seq 1, ``task_queued``) folded in."""
    agents = initial_agents(task.agents_requested)
    return task.model_copy(update={"applied_seq": 1, "agents": agents, "progress": Progress(total=len(agents))})


def created(backend, owner: str | None = None, created_at: str = "2025-01-02T03:04:05.000Z") -> Task:
    task, _ = backend.tasks.create(new_task(owner, created_at), queued(new_task()))
    return task


# --- create / get ------------------------------------------------------------------------------------------


def test_create_new_task_writes_task_and_first_event(backend):
    task = new_task()

    got, is_new = backend.tasks.create(task, queued(task))

    assert (got, is_new) == (stored(task), True)
    assert backend.tasks.get(task.task_id, task.owner) == stored(task)
    [first] = backend.log.read(task.task_id)
    assert (first.seq, first.type, first.task_id, first.data["symbol"]) == (1, "task_queued", task.task_id, "600519.SH")
    assert first.ts.endswith("Z")


def test_create_same_idempotency_key_returns_existing_task(backend):
    first = new_task()
    second = new_task(owner=first.owner)
    backend.tasks.create(first, queued(first), idempotency_key="k-1")

    got, is_new = backend.tasks.create(second, queued(second), idempotency_key="k-1")

    assert (got, is_new) == (stored(first), False)
    with pytest.raises(NotFound):
        backend.tasks.get(second.task_id)
    assert backend.log.read(second.task_id) == []
    assert [t.task_id for t in backend.tasks.list(TaskQuery(first.owner))[0]] == [first.task_id]


def test_create_same_idempotency_key_other_fingerprint_raises_and_writes_nothing(backend):
    first = new_task()
    second = new_task(owner=first.owner)
    backend.tasks.create(first, queued(first), idempotency_key="k-fp", fingerprint="a" * 64)

    with pytest.raises(IdempotencyKeyReused):
        backend.tasks.create(second, queued(second), idempotency_key="k-fp", fingerprint="b" * 64)

    again = backend.tasks.create(second, queued(second), idempotency_key="k-fp", fingerprint="a" * 64)
    assert again == (stored(first), False)
    with pytest.raises(NotFound):
        backend.tasks.get(second.task_id)
    assert [t.task_id for t in backend.tasks.list(TaskQuery(first.owner))[0]] == [first.task_id]


def test_create_same_idempotency_key_other_owner_creates_new_task(backend):
    mine, theirs = new_task(), new_task()
    backend.tasks.create(mine, queued(mine), idempotency_key="shared")

    got, is_new = backend.tasks.create(theirs, queued(theirs), idempotency_key="shared")

    assert (got, is_new) == (stored(theirs), True)


def test_create_existing_task_id_raises_conflict(backend):
    task = created(backend)

    with pytest.raises(Conflict):
        backend.tasks.create(task, queued(task))


def test_get_other_owner_raises_not_found(backend):
    task = created(backend)

    with pytest.raises(NotFound):
        backend.tasks.get(task.task_id, owner="someone-else")
    assert backend.tasks.get(task.task_id) == task


def test_get_unknown_or_idempotency_item_raises_not_found(backend):
    task = new_task()
    backend.tasks.create(task, queued(task), idempotency_key="k")

    for task_id in (uuid.uuid4().hex, f"idem#{task.owner}#k"):
        with pytest.raises(NotFound):
            backend.tasks.get(task_id)


# --- append / read -----------------------------------------------------------------------------------------


def test_append_batches_consecutive_seqs_in_order(backend):
    task = created(backend)

    first = backend.log.append(task.task_id, [log_draft("a"), log_draft("b"), log_draft("c")])
    second = backend.log.append(task.task_id, [log_draft("d"), log_draft("e")])

    assert [e.seq for e in first + second] == [2, 3, 4, 5, 6]
    events = backend.log.read(task.task_id)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    assert [e.data.get("message") for e in events[1:]] == ["a", "b", "c", "d", "e"]
    assert events[1:] == first + second


def test_read_after_and_limit_returns_that_window(backend):
    task = created(backend)
    backend.log.append(task.task_id, [log_draft(str(i)) for i in range(30)])

    assert [e.seq for e in backend.log.read(task.task_id, after=3, limit=4)] == [4, 5, 6, 7]
    assert [e.seq for e in backend.log.read(task.task_id, after=29)] == [30, 31]
    assert backend.log.read(task.task_id, after=31) == []
    assert backend.log.read(uuid.uuid4().hex) == []


def test_append_nested_numbers_round_trip_as_plain_json(backend):
    task = created(backend)
    data = {"score": 12.5, "ratio": 0.1, "count": 3, "flag": True, "none": None, "nested": {"xs": [1.25, -2, "s"]}}

    [appended] = backend.log.append(
        task.task_id, [EventDraft(type=EventType.log, stage=2, agent_id="macro", data=data)]
    )

    [read] = backend.log.read(task.task_id, after=1)
    assert read == appended
    assert (read.data, read.stage, read.agent_id) == (data, 2, "macro")
    assert isinstance(read.data["count"], int) and isinstance(read.data["ratio"], float)


def test_append_unknown_task_raises_not_found(backend):
    with pytest.raises(NotFound):
        backend.log.append(uuid.uuid4().hex, [log_draft()])


def test_append_after_terminal_event_raises_task_ended(backend):
    task = created(backend)
    backend.log.append(task.task_id, [log_draft(), EventDraft(type=EventType.task_cancelled, data={"reason": "x"})])

    with pytest.raises(TaskEnded):
        backend.log.append(task.task_id, [EventDraft(type=EventType.progress, data={"percent": 50})])
    with pytest.raises(TaskEnded):
        backend.log.append(task.task_id, [log_draft()], once="stage:2")
    assert [e.type for e in backend.log.read(task.task_id)][-1] == EventType.task_cancelled


def test_append_terminal_event_not_last_of_batch_raises_value_error(backend):
    task = created(backend)

    with pytest.raises(ValueError):
        backend.log.append(task.task_id, [EventDraft(type=EventType.task_failed), log_draft()])
    assert len(backend.log.read(task.task_id)) == 1


def test_append_same_once_marker_twice_writes_once(backend):
    task = created(backend)
    drafts = [
        EventDraft(type=EventType.stage_completed, stage=1, data={"name": "Analysts"}),
        EventDraft(type=EventType.stage_started, stage=2, data={"name": "Research directors"}),
    ]

    first = backend.log.append(task.task_id, drafts, once="stage:2")
    again = backend.log.append(task.task_id, drafts, once="stage:2")
    other = backend.log.append(task.task_id, [log_draft()], once="stage:3")

    assert ([e.seq for e in first], again, [e.seq for e in other]) == ([2, 3], [], [4])
    assert len(backend.log.read(task.task_id)) == 4


def test_append_empty_batch_writes_nothing(backend):
    task = created(backend)

    assert backend.log.append(task.task_id, []) == []
    assert backend.log.append(task.task_id, [log_draft()])[0].seq == 2


# --- list --------------------------------------------------------------------------------------------------


def _created_at(i: int) -> str:
    return f"2025-01-02T03:04:{i:02d}.000Z"


def test_list_pages_newest_first_until_no_cursor(backend):
    owner = f"caller-{uuid.uuid4().hex[:8]}"
    ids = [created(backend, owner, _created_at(i)).task_id for i in range(5)]
    created(backend)  # another caller's task stays out

    seen, cursor, pages = [], None, 0
    while True:
        page, cursor = backend.tasks.list(TaskQuery(owner, limit=2, cursor=cursor))
        seen += [t.task_id for t in page]
        pages += 1
        if cursor is None:
            break

    assert seen == ids[::-1]
    assert pages == 3


def test_list_status_filter_fills_short_pages(backend):
    owner = f"caller-{uuid.uuid4().hex[:8]}"
    tasks = [created(backend, owner, _created_at(i)) for i in range(7)]
    running = [t for i, t in enumerate(tasks) if i % 3 == 0]  # 0, 3, 6: two non-matching between each
    for task in running:
        assert backend.tasks.save_projection(task.model_copy(update={"status": TaskStatus.RUNNING}), 1)

    page, cursor = backend.tasks.list(TaskQuery(owner, status=TaskStatus.RUNNING, limit=2))
    rest, end = backend.tasks.list(TaskQuery(owner, status=TaskStatus.RUNNING, limit=2, cursor=cursor))

    assert [t.task_id for t in page + rest] == [t.task_id for t in running[::-1]]
    assert all(t.status == TaskStatus.RUNNING for t in page + rest)
    assert end is None


def test_list_symbol_filter_pages_through_other_symbols_and_combines_with_status(backend):
    owner = f"caller-{uuid.uuid4().hex[:8]}"
    symbols = ["600036.SH", "000858.SZ", "000858.SZ", "600036.SH", "300750.SZ", "600036.SH", "000858.SZ"]
    tasks = []
    for i, symbol in enumerate(symbols):
        task = new_task(owner, _created_at(i)).model_copy(update={"symbol": symbol})
        tasks.append(backend.tasks.create(task, queued(task))[0])
    assert backend.tasks.save_projection(tasks[3].model_copy(update={"status": TaskStatus.RUNNING}), 1)

    seen, cursor = [], None
    while True:
        page, cursor = backend.tasks.list(TaskQuery(owner, symbol="600036.SH", limit=2, cursor=cursor))
        seen += page
        if cursor is None:
            break
    running, _ = backend.tasks.list(TaskQuery(owner, status=TaskStatus.RUNNING, symbol="600036.SH"))
    none, end = backend.tasks.list(TaskQuery(owner, symbol="601318.SH"))

    assert [t.task_id for t in seen] == [t.task_id for t in tasks[::-1] if t.symbol == "600036.SH"]
    assert [t.task_id for t in running] == [tasks[3].task_id]
    assert (none, end) == ([], None)


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 !",
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(json.dumps({"owner": "x", "created_at": "t"}).encode()).decode(),
    ],
)
def test_list_malformed_cursor_raises_invalid_request(backend, cursor):
    with pytest.raises(InvalidRequest):
        backend.tasks.list(TaskQuery("caller", cursor=cursor))


def test_list_cursor_of_other_owner_raises_invalid_request(backend):
    owner = f"caller-{uuid.uuid4().hex[:8]}"
    for i in range(3):
        created(backend, owner, _created_at(i))
    _, cursor = backend.tasks.list(TaskQuery(owner, limit=1))

    with pytest.raises(InvalidRequest):
        backend.tasks.list(TaskQuery("intruder", cursor=cursor))


# --- save_projection ---------------------------------------------------------------------------------------


def test_save_projection_stale_expected_seq_returns_false(backend):
    task = created(backend)
    first = task.model_copy(update={"status": TaskStatus.RUNNING, "applied_seq": 2, "progress": Progress(percent=10)})
    second = task.model_copy(update={"status": TaskStatus.FAILED, "applied_seq": 2})

    assert backend.tasks.save_projection(first, expected_applied_seq=1) is True
    assert backend.tasks.save_projection(second, expected_applied_seq=1) is False
    assert backend.tasks.get(task.task_id) == first


def test_save_projection_keeps_log_bookkeeping(backend):
    task = created(backend)
    backend.log.append(task.task_id, [log_draft()], once="stage:2")
    backend.log.append(task.task_id, [EventDraft(type=EventType.task_failed, data={"error": "boom"})])

    assert backend.tasks.save_projection(task.model_copy(update={"applied_seq": 3}), expected_applied_seq=1)

    with pytest.raises(TaskEnded):
        backend.log.append(task.task_id, [log_draft()])
    assert [e.seq for e in backend.log.read(task.task_id)] == [1, 2, 3]


def test_save_projection_unknown_task_raises_not_found(backend):
    with pytest.raises(NotFound):
        backend.tasks.save_projection(new_task(), expected_applied_seq=1)
