"""Tasks and the event log on DynamoDB (boto3), and the requests both DynamoDB backends share.

Each operation is written once, as a generator of :class:`Call` and :class:`Sleep` steps that receives each
call's reply (or has the call's exception thrown into it). :func:`run` executes the steps with a boto3
client; ``dynamodb_async.arun`` with an aiobotocore one. So the two backends differ only in how they wait.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from ...errors import Conflict, NotFound, SeqConflict
from ...models import Event, EventDraft, Task, TaskStatus
from ...store import notify
from .. import aws
from . import codec

logger = logging.getLogger(__name__)

MAX_APPEND_ATTEMPTS = 20
MAX_CREATE_ATTEMPTS = 3
_CANCELLED = "TransactionCanceledException"
_RETRYABLE_REASONS = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
_OK_REASON = "None"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Call:
    """One client call: ``client.<op>(**params)``."""

    op: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


Steps = Generator[Call | Sleep, Any, T]


@dataclass(frozen=True, slots=True)
class Tables:
    tasks: str
    events: str
    ttl_days: int = 30


def run(client: Any, steps: Steps[T]) -> T:
    """Execute ``steps`` with a boto3 DynamoDB client and return the operation's result."""
    reply: Any = None
    error: Exception | None = None
    while True:
        try:
            step = steps.throw(error) if error is not None else steps.send(reply)
        except StopIteration as stop:
            return stop.value
        reply, error = None, None
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            continue
        try:
            reply = getattr(client, step.op)(**step.params)
        except Exception as exc:  # thrown into the steps, at their yield: they handle what they expect
            error = exc


def backoff(attempt: int) -> float:
    """Full jitter, capped low: a seq race is lost to a writer that has already finished."""
    return random.uniform(0, min(0.1, 0.002 * 2**attempt))


def _key(task_id: str) -> dict[str, Any]:
    return {"task_id": {"S": task_id}}


def _get_params(t: Tables, task_id: str) -> dict[str, Any]:
    return {"TableName": t.tasks, "Key": _key(task_id), "ConsistentRead": True}


def _reasons(exc: ClientError) -> list[str] | None:
    """The reason codes of a cancelled transaction, one per item; None for any other error."""
    if exc.response.get("Error", {}).get("Code") != _CANCELLED:
        return None
    return [r.get("Code", _OK_REASON) for r in exc.response.get("CancellationReasons", [])]


# --- The event log -------------------------------------------------------------------------------------------


def append_steps(t: Tables, task_id: str, drafts: Sequence[EventDraft], once: str | None) -> Steps[list[Event]]:
    drafts = list(drafts)
    codec.check_batch(drafts)
    if not drafts:
        return []
    for attempt in range(MAX_APPEND_ATTEMPTS):
        reply = yield Call("get_item", _log_state_params(t, task_id))
        state = codec.from_item(reply.get("Item", {}))
        if not codec.appendable(task_id, state, once):
            return []
        events = codec.number_events(task_id, drafts, state["next_seq"])
        try:
            yield Call("transact_write_items", _append_params(t, events, once))
            return events
        except ClientError as exc:
            codes = _reasons(exc)
            if codes is None or not _RETRYABLE_REASONS & set(codes):
                raise
            old = exc.response["CancellationReasons"][0].get("Item")
        # The task item as the failed condition saw it tells "ended" and "already done" from a lost seq race.
        # Its next_seq is not reused: after the backoff it is stale under contention, so re-read (measured).
        if old is not None and not codec.appendable(task_id, codec.from_item(old), once):
            return []
        logger.debug("seq race lost", extra={"task_id": task_id, "seq": events[0].seq, "attempt": attempt})
        yield Sleep(backoff(attempt))
    raise SeqConflict(f"could not append to analysis {task_id} after {MAX_APPEND_ATTEMPTS} attempts")


def _log_state_params(t: Tables, task_id: str) -> dict[str, Any]:
    return {
        "TableName": t.tasks,
        "Key": _key(codec.log_head_id(task_id)),
        "ConsistentRead": True,
        "ProjectionExpression": "#next, #ended, #markers",
        "ExpressionAttributeNames": {"#next": "next_seq", "#ended": "ended", "#markers": "markers"},
    }


def _append_params(t: Tables, events: list[Event], once: str | None) -> dict[str, Any]:
    # Why one condition on the task item guards the whole append:
    #   A reads next_seq=5 ─┐              ┌─ A commits: next_seq=5? yes → seq 5 is A's; next_seq := 6
    #   B reads next_seq=5 ─┘ same moment  └─ B commits: next_seq=5? no (6) → cancelled; B re-reads, tries 6
    # So each seq is taken once, in order, and an event item exists only if its transaction committed
    # (invariant 1). The transaction appending the terminal event sets `ended`; every later append then fails
    # this same condition, whatever its writer read before, so nothing lands behind the terminal event
    # (invariant 6). `once` adds its marker under the same condition: of racing writers exactly one wins.
    first = events[0].seq
    names = {"#next": "next_seq", "#ended": "ended"}
    values: dict[str, Any] = {":seq": codec.attr(first), ":next": codec.attr(first + len(events))}
    update = "SET #next = :next"
    condition = "#next = :seq AND attribute_not_exists(#ended)"
    if events[-1].terminal:
        update += ", #ended = :true"
        values[":true"] = codec.attr(True)
    if once is not None:
        names["#markers"] = "markers"
        update += " ADD #markers :marker_set"
        # contains() on a missing attribute is false, and NOT of it would not save us: say it explicitly.
        condition += " AND (attribute_not_exists(#markers) OR NOT contains(#markers, :marker))"
        values[":marker_set"] = codec.attr({once})
        values[":marker"] = codec.attr(once)
    task_update = {
        "TableName": t.tasks,
        "Key": _key(codec.log_head_id(events[0].task_id)),
        "UpdateExpression": update,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    expires = codec.expires_at(t.ttl_days)
    puts = [_put_new(t.events, codec.event_item(e, expires), "seq") for e in events]
    return {"TransactItems": [{"Update": task_update}, *puts]}


def _put_new(table: str, item: codec.Item, key_attr: str) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": item, "ConditionExpression": f"attribute_not_exists({key_attr})"}}


def read_steps(t: Tables, task_id: str, after: int, limit: int) -> Steps[list[Event]]:
    params: dict[str, Any] = {
        "TableName": t.events,
        "KeyConditionExpression": "task_id = :task AND #seq > :after",
        "ExpressionAttributeNames": {"#seq": "seq"},
        "ExpressionAttributeValues": {":task": {"S": task_id}, ":after": codec.attr(after)},
        "ConsistentRead": True,
        "ScanIndexForward": True,
    }
    events: list[Event] = []
    while len(events) < limit:
        reply = yield Call("query", {**params, "Limit": limit - len(events)})
        events += [codec.event_from_item(item) for item in reply.get("Items", [])]
        if "LastEvaluatedKey" not in reply:
            break
        params["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
    # A Query is only read-committed against transactions: it may see some events of a batch still being
    # committed and not others. Cut at the first hole so a reader never gets seq n+1 before n (invariant 1);
    # the rest comes with the next read.
    n = 0
    while n < len(events) and events[n].seq == after + 1 + n:
        n += 1
    return events[:n]


# --- Tasks ---------------------------------------------------------------------------------------------------


def create_steps(t: Tables, task: Task, first: EventDraft, idempotency_key: str | None) -> Steps[tuple[Task, bool]]:
    event = codec.number_events(task.task_id, [first], 1)[0]
    expires = codec.expires_at(t.ttl_days)
    items = [
        _put_new(t.tasks, codec.task_item(task, expires=expires), "task_id"),
        _put_new(t.events, codec.event_item(event, expires), "seq"),
        _put_new(
            t.tasks, codec.log_head_item(task.task_id, next_seq=2, ended=event.terminal, expires=expires), "task_id"
        ),
    ]
    if idempotency_key is not None:
        items.append(_put_new(t.tasks, codec.idem_item(task.owner, idempotency_key, task.task_id, expires), "task_id"))
    for attempt in range(MAX_CREATE_ATTEMPTS):
        try:
            yield Call("transact_write_items", {"TransactItems": items})
            return task, True
        except ClientError as exc:
            codes = _reasons(exc)
            if codes is None or not _RETRYABLE_REASONS & set(codes):
                raise
        failed = [code == "ConditionalCheckFailed" for code in codes] + [False] * len(items)
        if idempotency_key is not None and failed[3]:
            existing = yield from _existing_steps(t, task.owner, idempotency_key)
            return existing, False
        if failed[0]:
            raise Conflict(f"analysis {task.task_id} already exists")
        yield Sleep(backoff(attempt))
    raise Conflict(f"could not create analysis {task.task_id}: concurrent transactions")


def _existing_steps(t: Tables, owner: str, key: str) -> Steps[Task]:
    reply = yield Call("get_item", _get_params(t, codec.idem_id(owner, key)))
    target = codec.from_item(reply.get("Item", {})).get("target")
    try:
        return (yield from get_steps(t, target or "", owner))
    except NotFound as exc:
        raise Conflict("the Idempotency-Key is in use", {"idempotency_key": key}) from exc


def get_steps(t: Tables, task_id: str, owner: str | None) -> Steps[Task]:
    reply = yield Call("get_item", _get_params(t, task_id))
    return codec.visible_task(task_id, reply.get("Item"), owner)


def list_steps(
    t: Tables, owner: str, status: TaskStatus | None, limit: int, cursor: str | None
) -> Steps[tuple[list[Task], str | None]]:
    codec.check_limit(limit)
    params: dict[str, Any] = {
        "TableName": t.tasks,
        "IndexName": "by_owner",
        "KeyConditionExpression": "#owner = :owner",
        "ExpressionAttributeNames": {"#owner": "owner"},
        "ExpressionAttributeValues": {":owner": {"S": owner}},
        "ScanIndexForward": False,
    }
    if status is not None:
        params["FilterExpression"] = "#status = :status"
        params["ExpressionAttributeNames"]["#status"] = "status"
        params["ExpressionAttributeValues"][":status"] = {"S": TaskStatus(status).value}
    if cursor is not None:
        params["ExclusiveStartKey"] = codec.to_item(codec.decode_cursor(cursor, owner))
    tasks: list[Task] = []
    # Limit counts items read before the filter, so a page may come back short: read on. Asking only for what
    # is still missing keeps the last item read the last one returned, so the cursor skips nothing.
    while len(tasks) < limit:
        reply = yield Call("query", {**params, "Limit": limit - len(tasks)})
        tasks += [codec.task_from_item(item) for item in reply.get("Items", [])]
        if "LastEvaluatedKey" not in reply:
            return tasks, None
        params["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
    return tasks, codec.encode_cursor(tasks[-1])


def save_projection_steps(t: Tables, task: Task, expected_applied_seq: int, before: Task | None = None) -> Steps[bool]:
    changes = codec.projection_changes(task, before)
    names: dict[str, str] = {"#applied_seq": "applied_seq"}
    values: dict[str, Any] = {":expected": codec.attr(expected_applied_seq)}
    assignments = []
    for index, (path, value) in enumerate(changes.items()):
        placeholders = []
        for part in path:
            placeholder = "#" + ("".join(c for c in part if c.isalnum()) or "p") + f"_{len(names)}"
            names.setdefault(placeholder, part)
            placeholders.append(placeholder)
        values[f":v{index}"] = codec.attr(value)
        assignments.append(f"{'.'.join(placeholders)} = :v{index}")
    params = {
        "TableName": t.tasks,
        "Key": _key(task.task_id),
        "UpdateExpression": "SET " + ", ".join(assignments),
        # Optimistic: a replayed or concurrent fold that read an older projection must not overwrite a newer one.
        "ConditionExpression": "#applied_seq = :expected",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    try:
        yield Call("update_item", params)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        if "Item" not in exc.response:
            raise NotFound(f"analysis {task.task_id} not found") from exc
        return False
    return True


# --- The boto3 backend ---------------------------------------------------------------------------------------


class DynamoEventLog:
    """:class:`~investmind.store.base.EventLog` on the Events table, with its bookkeeping on the Tasks table.

    ``client`` is a boto3 DynamoDB client (default: :func:`investmind.adapters.aws.client`); ``ttl_days`` sets the
    events' ``expires_at``.
    """

    def __init__(self, events_table: str, tasks_table: str, client: Any = None, ttl_days: int = 30) -> None:
        self._tables = Tables(tasks=tasks_table, events=events_table, ttl_days=ttl_days)
        self._client = client if client is not None else aws.client("dynamodb")

    def append(self, task_id: str, drafts: Sequence[EventDraft], once: str | None = None) -> list[Event]:
        events = run(self._client, append_steps(self._tables, task_id, drafts, once))
        if events:
            notify.appended(task_id)
        return events

    def read(self, task_id: str, after: int = 0, limit: int = 1000) -> list[Event]:
        return run(self._client, read_steps(self._tables, task_id, after, limit))


class DynamoTaskStore:
    """:class:`~investmind.store.base.TaskStore` on the Tasks table.

    Parameters
    ----------
    table_name
        The Tasks table.
    client
        A boto3 DynamoDB client; default: :func:`investmind.adapters.aws.client`.
    ttl_days
        Lifetime of the task items (the ``expires_at`` TTL attribute).
    events_table
        The Events table, where ``create`` writes the first event.
    """

    def __init__(self, table_name: str, events_table: str, client: Any = None, ttl_days: int = 30) -> None:
        self._tables = Tables(tasks=table_name, events=events_table, ttl_days=ttl_days)
        self._client = client if client is not None else aws.client("dynamodb")

    def create(self, task: Task, first: EventDraft, idempotency_key: str | None = None) -> tuple[Task, bool]:
        return run(self._client, create_steps(self._tables, task, first, idempotency_key))

    def get(self, task_id: str, owner: str | None = None) -> Task:
        return run(self._client, get_steps(self._tables, task_id, owner))

    def list(
        self, owner: str, status: TaskStatus | None = None, limit: int = 20, cursor: str | None = None
    ) -> tuple[list[Task], str | None]:
        return run(self._client, list_steps(self._tables, owner, status, limit, cursor))

    def save_projection(self, task: Task, expected_applied_seq: int, before: Task | None = None) -> bool:
        return run(self._client, save_projection_steps(self._tables, task, expected_applied_seq, before))
