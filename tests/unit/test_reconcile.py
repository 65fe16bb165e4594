"""The reconciler's use case (services/reconcile.py) on the memory backend, with Step Functions as a fake."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from investmind.adapters.memory import MemoryEventLog, MemoryTaskStore
from investmind.models import TERMINAL_EVENTS, EventDraft, EventType, Task, TaskStatus
from investmind.projection import fold
from investmind.services.failures import ExecutionEnded, record_execution_ended
from investmind.services.reconcile import Deadlines, reconcile

CREATED = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
DEADLINES = Deadlines(start_s=600, overall_s=2400)


class FakeExecutions:
    """Step Functions as the reconciler sees it (a fake: the adapter's calls are tested against moto elsewhere)."""

    def __init__(self) -> None:
        self.statuses: dict[str, str] = {}
        self.stopped: list[tuple[str, str, str]] = []
        self.broken: set[str] = set()

    def status(self, task_id: str) -> str | None:
        if task_id in self.broken:
            raise RuntimeError("ThrottlingException")
        return self.statuses.get(task_id)

    def stop(self, task_id: str, cause: str, error: str = "Cancelled") -> bool:
        self.stopped.append((task_id, cause, error))
        self.statuses[task_id] = "ABORTED"
        return True


@pytest.fixture
def world():
    tasks = MemoryTaskStore()
    return tasks, MemoryEventLog(tasks), FakeExecutions()


def new_task(tasks: MemoryTaskStore, created: dt.datetime = CREATED) -> str:
    at = created.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    task = Task(task_id=uuid.uuid4().hex, owner="olga", symbol="601012.SH", created_at=at, updated_at=at)
    tasks.create(task, EventDraft(type=EventType.task_queued, data={"symbol": task.symbol}))
    return task.task_id


def started(log: MemoryEventLog, task_id: str) -> None:
    log.append(task_id, [EventDraft(type=EventType.task_started, data={"as_of": "2024-06-28"})])
    log.append(task_id, [EventDraft(type=EventType.stage_started, stage=1, data={"name": "analysts"})])


def at(seconds: float):
    return lambda: CREATED + dt.timedelta(seconds=seconds)


def run(world, seconds: float):
    tasks, log, executions = world
    return reconcile(tasks, log, executions, DEADLINES, now=at(seconds))


def types(log: MemoryEventLog, task_id: str) -> list[str]:
    return [e.type.value for e in log.read(task_id)]


def terminal_events(log: MemoryEventLog, task_id: str) -> list:
    return [e for e in log.read(task_id) if e.type in TERMINAL_EVENTS]


def folded_from_scratch(tasks: MemoryTaskStore, log: MemoryEventLog, task_id: str) -> Task:
    """What the projection is by definition: the fold of the whole log onto the task as created."""
    first = tasks.get_projection(task_id)
    task = first.model_copy(update={"applied_seq": 0, "status": TaskStatus.QUEUED, "agents": {}})
    for event in log.read(task_id):
        task = fold(task, event)
    return task


@pytest.mark.parametrize(("status", "error_type"), [("FAILED", "ExecutionFailed"), ("TIMED_OUT", "ExecutionTimedOut"),
                                                    ("ABORTED", "ExecutionAborted")])  # fmt: skip
def test_an_execution_that_ended_without_its_event_settles_once_as_execution_ended_would(world, status, error_type):
    tasks, log, executions = world
    task_id = new_task(tasks)
    started(log, task_id)
    executions.statuses[task_id] = status  # the rule's event was lost, or its target failed every time

    report = run(world, 120)

    assert [(s.task_id, s.error_type) for s in report.settled] == [(task_id, error_type)]
    [failed] = terminal_events(log, task_id)
    assert failed.seq == log.head(task_id).next_seq - 1 and failed.type == EventType.task_failed
    assert failed.data == {"error_type": error_type, "error": f"the execution ended {status}"}
    projection = tasks.get_projection(task_id)
    assert projection.status == TaskStatus.FAILED and projection.applied_seq == failed.seq
    assert projection == folded_from_scratch(tasks, log, task_id)
    # Exactly once: the late rule's event, and the next pass, write nothing more.
    assert record_execution_ended(ExecutionEnded(name=task_id, status=status), log) is False
    again = run(world, 180)
    assert (again.examined, again.settled) == (0, []) and len(terminal_events(log, task_id)) == 1


def test_a_task_queued_with_no_execution_fails_as_never_started_only_past_the_start_deadline(world):
    tasks, log, executions = world
    task_id = new_task(tasks)  # the API died between creating it and sending its message

    early = run(world, DEADLINES.start_s - 1)
    assert (early.examined, early.settled) == (1, []) and types(log, task_id) == ["task_queued"]

    report = run(world, DEADLINES.start_s + 1)

    assert [s.error_type for s in report.settled] == ["NeverStarted"]
    assert types(log, task_id) == ["task_queued", "task_failed"]
    assert "never started" in log.read(task_id)[-1].data["error"]
    assert tasks.get(task_id).status == TaskStatus.FAILED and tasks.get_projection(task_id).applied_seq == 2
    assert tasks.list_open() == ([], None) and executions.stopped == []


def test_a_running_execution_past_the_overall_deadline_is_failed_first_then_stopped(world):
    tasks, log, executions = world
    task_id = new_task(tasks)
    started(log, task_id)
    executions.statuses[task_id] = "RUNNING"

    assert run(world, DEADLINES.overall_s - 1).settled == []  # still within its time: left to run
    report = run(world, DEADLINES.overall_s + 1)

    [settled] = report.settled
    assert settled.error_type == "DeadlineExceeded" and "2400 s" in settled.reason
    assert types(log, task_id)[-1] == "task_failed" and len(terminal_events(log, task_id)) == 1
    # The reason is in the log before the stop, so the ABORTED the stop causes finds the log ended.
    assert executions.stopped == [(task_id, settled.reason, "DeadlineExceeded")]
    assert record_execution_ended(ExecutionEnded(name=task_id, status="ABORTED"), log) is False
    assert tasks.get_projection(task_id).status == TaskStatus.FAILED


def test_a_lagging_projection_is_rebuilt_from_the_log_to_what_the_stream_would_have_folded(world):
    tasks, log, executions = world
    task_id = new_task(tasks)
    started(log, task_id)
    log.append(task_id, [EventDraft(type=EventType.task_completed, data={"degraded": False})])
    executions.statuses[task_id] = "SUCCEEDED"
    assert tasks.get_projection(task_id).applied_seq == 1  # its first event, folded at creation; no stream ran

    report = run(world, 60)

    assert report.rebuilt == [task_id] and report.settled == []
    projection = tasks.get_projection(task_id)
    assert projection.status == TaskStatus.SUCCEEDED and projection.applied_seq == log.head(task_id).next_seq - 1
    assert projection == folded_from_scratch(tasks, log, task_id)
    assert tasks.list_open() == ([], None) and len(terminal_events(log, task_id)) == 1


def test_a_healthy_running_task_is_left_alone_apart_from_folding_what_it_lacks(world):
    tasks, log, executions = world
    task_id = new_task(tasks)
    started(log, task_id)
    executions.statuses[task_id] = "RUNNING"

    report = run(world, 300)

    assert (report.examined, report.rebuilt, report.settled) == (1, [task_id], [])
    assert tasks.get_projection(task_id).status == TaskStatus.RUNNING and terminal_events(log, task_id) == []
    assert tasks.list_open()[0] == [task_id]
    assert run(world, 301).rebuilt == []  # caught up: nothing more to fold


def test_an_execution_that_succeeded_with_an_open_log_is_settled_rather_than_left_open(world):
    tasks, log, executions = world
    task_id = new_task(tasks)
    started(log, task_id)
    executions.statuses[task_id] = "SUCCEEDED"

    assert [s.error_type for s in run(world, 30).settled] == ["ExecutionSucceeded"]
    assert tasks.get(task_id).status == TaskStatus.FAILED


def test_one_tasks_error_is_reported_and_the_pass_goes_on_with_the_others(world):
    tasks, log, executions = world
    broken, stuck = new_task(tasks), new_task(tasks, CREATED + dt.timedelta(seconds=1))
    executions.broken.add(broken)

    report = run(world, DEADLINES.start_s + 10)

    assert list(report.errors) == [broken] and "ThrottlingException" in report.errors[broken]
    assert [s.task_id for s in report.settled] == [stuck]
    assert types(log, broken) == ["task_queued"]  # untouched: the next pass tries again
    executions.broken.clear()
    assert [s.task_id for s in run(world, DEADLINES.start_s + 20).settled] == [broken]


def test_a_pass_examines_at_most_max_tasks_oldest_first(world):
    tasks, log, executions = world
    ids = [new_task(tasks, CREATED + dt.timedelta(seconds=i)) for i in range(5)]

    report = reconcile(tasks, log, executions, DEADLINES, max_tasks=3, now=at(DEADLINES.start_s + 60))

    assert report.examined == 3 and [s.task_id for s in report.settled] == ids[:3]
    assert tasks.list_open()[0] == ids[3:]
    assert report.next_cursor is not None


def test_a_pass_out_of_time_stops_between_pages_and_its_cursor_goes_on_from_there(world):
    tasks, log, executions = world
    ids = [new_task(tasks, CREATED + dt.timedelta(seconds=i)) for i in range(130)]  # more than a page
    executions.statuses.update(dict.fromkeys(ids, "RUNNING"))  # young and healthy: examined, left alone
    ticks = iter([0.0, 5.0, 50.0])  # the start, after the first page, after the second

    first = reconcile(tasks, log, executions, DEADLINES, now=at(60), budget_s=4, monotonic=lambda: next(ticks))
    rest = reconcile(tasks, log, executions, DEADLINES, now=at(60), cursor=first.next_cursor)

    assert 0 < first.examined < len(ids) and first.next_cursor is not None
    assert first.examined + rest.examined == len(ids) and rest.next_cursor is None
    assert first.settled == rest.settled == [] and first.errors == rest.errors == {}


def test_a_projection_that_cannot_be_folded_is_reported_and_the_task_is_still_settled(world, monkeypatch):
    tasks, log, executions = world
    task_id = new_task(tasks)
    started(log, task_id)
    executions.statuses[task_id] = "TIMED_OUT"

    def wedged(task, expected_applied_seq, before=None):  # the item over DynamoDB's 400 KB, say
        raise RuntimeError("ValidationException: Item size has exceeded the maximum allowed size")

    monkeypatch.setattr(tasks, "save_projection", wedged)
    report = run(world, 60)

    assert [s.error_type for s in report.settled] == ["ExecutionTimedOut"] and "Item size" in report.errors[task_id]
    assert tasks.get(task_id).status == TaskStatus.FAILED  # every read settled by the log head regardless
    assert len(terminal_events(log, task_id)) == 1
