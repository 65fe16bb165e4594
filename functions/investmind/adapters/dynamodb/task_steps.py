"""The tasks' requests: create with the first event, read settled by the log head (invariant 8), list, fold."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ...errors import Conflict, NotFound
from ...models import TERMINAL_STATUSES, Event, EventDraft, Task, TaskStatus
from ...projection import CATCH_UP_EVENTS, caught_up, result_seqs, with_results
from ...store import TaskQuery
from . import codec
from .log_steps import events_at_steps, read_steps
from .steps import (
    MAX_CREATE_ATTEMPTS,
    RETRYABLE_REASONS,
    Call,
    Sleep,
    Steps,
    Tables,
    backoff,
    get_params,
    key,
    put_new,
    reasons,
)

OPEN_STATUSES = frozenset({TaskStatus.QUEUED, TaskStatus.RUNNING})


def create_steps(
    t: Tables, task: Task, first: EventDraft, idempotency_key: str | None, fingerprint: str | None = None
) -> Steps[tuple[Task, bool]]:
    event = codec.number_events(task.task_id, [first], 1)[0]
    task = codec.with_first_event(task, event)
    expires = codec.expires_at(t.ttl_days)
    items = [
        put_new(t.tasks, codec.task_item(task, expires=expires), "task_id"),
        put_new(t.events, codec.event_item(event, expires), "seq"),
        put_new(
            t.tasks, codec.log_head_item(task.task_id, next_seq=2, ended=event.terminal, expires=expires), "task_id"
        ),
    ]
    if idempotency_key is not None:
        idem = codec.idem_item(task.owner, idempotency_key, task.task_id, expires, fingerprint)
        items.append(put_new(t.tasks, idem, "task_id"))
    for attempt in range(MAX_CREATE_ATTEMPTS):
        try:
            yield Call("transact_write_items", {"TransactItems": items})
            return task, True
        except ClientError as exc:
            codes = reasons(exc)
            if codes is None or not RETRYABLE_REASONS & set(codes):
                raise
        failed = [code == "ConditionalCheckFailed" for code in codes] + [False] * len(items)
        if idempotency_key is not None and failed[3]:
            existing = yield from _existing_steps(t, task.owner, idempotency_key, fingerprint)
            return existing, False
        if failed[0]:
            raise Conflict(f"analysis {task.task_id} already exists")
        yield Sleep(backoff(attempt))
    raise Conflict(f"could not create analysis {task.task_id}: concurrent transactions")


def _existing_steps(t: Tables, owner: str, key: str, fingerprint: str | None) -> Steps[Task]:
    reply = yield Call("get_item", get_params(t, codec.idem_id(owner, key)))
    codec.check_same_request(reply.get("Item", {}), key, fingerprint)
    target = codec.from_item(reply.get("Item", {})).get("target")
    try:
        return (yield from get_steps(t, target or "", owner))
    except NotFound as exc:
        raise Conflict("the Idempotency-Key is in use", {"idempotency_key": key}) from exc


def get_projection_steps(t: Tables, task_id: str, owner: str | None = None) -> Steps[Task]:
    reply = yield Call("get_item", get_params(t, task_id))
    return codec.visible_task(task_id, reply.get("Item"), owner)


def get_steps(t: Tables, task_id: str, owner: str | None, results: bool = True) -> Steps[Task]:
    task = yield from get_projection_steps(t, task_id, owner)
    events: dict[int, Event] = {}
    if not task.terminal:  # a terminal projection is final: nothing can settle it further
        # Read after the projection: what the log holds past it is then in the head and the log (invariant 8).
        reply = yield Call("get_item", _head_params(t, task_id))
        head = reply.get("Item")
        # The stream has not folded it all yet: the read does (a status check, results=False, needs only the head).
        if results and codec.last_seq(head) > task.applied_seq:
            behind = yield from read_steps(t, task_id, task.applied_seq, CATCH_UP_EVENTS)
            task = caught_up(task, behind)
            events = {event.seq: event for event in behind}
        task = codec.settled(task, head)
    # The agents' results live in their outcome events, not in the (bounded) task item: read them back.
    seqs = [seq for seq in result_seqs(task) if seq not in events] if results else []
    if seqs:
        events |= yield from events_at_steps(t, task_id, seqs)
    return with_results(task, events) if results else task


def _head_params(t: Tables, task_id: str) -> dict[str, Any]:
    return {
        "TableName": t.tasks,
        "Key": key(codec.log_head_id(task_id)),
        "ConsistentRead": True,
        "ProjectionExpression": "#next, #terminal",
        "ExpressionAttributeNames": {"#next": "next_seq", "#terminal": codec.TERMINAL_FIELD},
    }


def settle_steps(t: Tables, tasks: list[Task]) -> Steps[list[Task]]:
    """``tasks`` settled by their heads' terminal events: one BatchGetItem for the open ones (at most 100)."""
    open_ids = [task.task_id for task in tasks if not task.terminal]
    heads: dict[str, codec.Item] = {}
    keys = [key(codec.log_head_id(task_id)) for task_id in open_ids]
    attempt = 0
    while keys:
        request = {
            t.tasks: {
                "Keys": keys,
                "ConsistentRead": True,
                "ProjectionExpression": "#id, #terminal",
                "ExpressionAttributeNames": {"#id": "task_id", "#terminal": codec.TERMINAL_FIELD},
            }
        }
        reply = yield Call("batch_get_item", {"RequestItems": request})
        for item in reply.get("Responses", {}).get(t.tasks, []):
            heads[item["task_id"]["S"]] = item
        keys = reply.get("UnprocessedKeys", {}).get(t.tasks, {}).get("Keys", [])
        if keys:  # throttled in part: DynamoDB asks for a backoff before the rest
            yield Sleep(backoff(attempt))
            attempt += 1
    return [codec.settled(task, heads.get(codec.log_head_id(task.task_id))) for task in tasks]


def list_steps(t: Tables, query: TaskQuery) -> Steps[tuple[list[Task], str | None]]:
    owner, status, limit, cursor, symbol = query.owner, query.status, query.limit, query.cursor, query.symbol
    codec.check_limit(limit)
    params: dict[str, Any] = {
        "TableName": t.tasks,
        "IndexName": "by_owner",
        "KeyConditionExpression": "#owner = :owner",
        "ExpressionAttributeNames": {"#owner": "owner"},
        "ExpressionAttributeValues": {":owner": {"S": owner}},
        "ScanIndexForward": False,
    }
    filters = []
    if symbol is not None:
        filters.append("#symbol = :symbol")
        params["ExpressionAttributeNames"]["#symbol"] = "symbol"
        params["ExpressionAttributeValues"][":symbol"] = {"S": symbol}
    if status is not None:
        # The filter sees the projection, which may not have folded a terminal event yet: a task settled
        # as ``status`` may still be stored QUEUED or RUNNING, so those are read too and settled below.
        wanted = {TaskStatus(status)} | (OPEN_STATUSES if TaskStatus(status) in TERMINAL_STATUSES else set())
        filters.append("#status IN (" + ", ".join(f":s{i}" for i in range(len(wanted))) + ")")
        params["ExpressionAttributeNames"]["#status"] = "status"
        for i, value in enumerate(sorted(wanted)):
            params["ExpressionAttributeValues"][f":s{i}"] = {"S": value.value}
    if filters:
        params["FilterExpression"] = " AND ".join(filters)
    if cursor is not None:
        params["ExclusiveStartKey"] = codec.to_item(codec.decode_cursor(cursor, owner))
    tasks: list[Task] = []
    # Limit counts items read before the filter, so a page may come back short: read on. Asking only for what
    # is still missing keeps the last item read the last one returned, so the cursor skips nothing.
    while len(tasks) < limit:
        reply = yield Call("query", {**params, "Limit": limit - len(tasks)})
        page = yield from settle_steps(t, [codec.task_from_item(item) for item in reply.get("Items", [])])
        tasks += [task for task in page if status is None or task.status == status]
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
    update = "SET " + ", ".join(assignments)
    if task.terminal:  # out of the sparse open_tasks index: the reconciler has nothing left to do here
        names["#open"] = codec.OPEN_FIELD
        update += " REMOVE #open"
    params = {
        "TableName": t.tasks,
        "Key": key(task.task_id),
        "UpdateExpression": update,
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


def list_open_steps(t: Tables, limit: int, cursor: str | None) -> Steps[tuple[list[str], str | None]]:
    """One page of the sparse ``open_tasks`` index, oldest first: the ids of tasks whose projection is open."""
    params: dict[str, Any] = {
        "TableName": t.tasks,
        "IndexName": codec.OPEN_INDEX,
        "KeyConditionExpression": "#open = :open",
        "ExpressionAttributeNames": {"#open": codec.OPEN_FIELD},
        "ExpressionAttributeValues": {":open": {"S": codec.OPEN_VALUE}},
        "Limit": limit,
    }
    if cursor is not None:
        params["ExclusiveStartKey"] = codec.decode_open_cursor(cursor)
    reply = yield Call("query", params)
    last = reply.get("LastEvaluatedKey")
    return [item["task_id"]["S"] for item in reply.get("Items", [])], codec.encode_open_cursor(last) if last else None
