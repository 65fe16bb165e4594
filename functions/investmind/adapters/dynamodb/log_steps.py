"""The event log's requests (invariants 1 and 6): append under the head's condition, read in seq order, the head."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from ...errors import SeqConflict
from ...models import Event, EventDraft
from ...store import LogHead
from . import codec
from .steps import MAX_APPEND_ATTEMPTS, RETRYABLE_REASONS, Call, Sleep, Steps, Tables, backoff, key, put_new, reasons

logger = logging.getLogger(__name__)


def append_steps(t: Tables, task_id: str, drafts: Sequence[EventDraft], once: str | None) -> Steps[list[Event]]:
    drafts = list(drafts)
    codec.check_batch(drafts)
    if not drafts:
        return []
    for attempt in range(MAX_APPEND_ATTEMPTS):
        reply = yield Call("get_item", log_state_params(t, task_id))
        state = codec.from_item(reply.get("Item", {}))
        if not codec.appendable(task_id, state, once):
            return []
        events = codec.number_events(task_id, drafts, state["next_seq"])
        try:
            yield Call("transact_write_items", _append_params(t, events, once))
            return events
        except ClientError as exc:
            codes = reasons(exc)
            if codes is None or not RETRYABLE_REASONS & set(codes):
                raise
            old = exc.response["CancellationReasons"][0].get("Item")
        # The task item as the failed condition saw it tells "ended" and "already done" from a lost seq race.
        # Its next_seq is not reused: after the backoff it is stale under contention, so re-read (measured).
        if old is not None and not codec.appendable(task_id, codec.from_item(old), once):
            return []
        logger.debug("seq race lost", extra={"task_id": task_id, "seq": events[0].seq, "attempt": attempt})
        yield Sleep(backoff(attempt))
    raise SeqConflict(f"could not append to analysis {task_id} after {MAX_APPEND_ATTEMPTS} attempts")


def log_state_params(t: Tables, task_id: str) -> dict[str, Any]:
    return {
        "TableName": t.tasks,
        "Key": key(codec.log_head_id(task_id)),
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
        # The head keeps a copy of the terminal event, so that every read settles the task by it at once
        # (invariant 8); an event item is far below the 400 KB an item may hold, so the small head stays so.
        update += ", #ended = :true, #terminal = :terminal"
        names["#terminal"] = codec.TERMINAL_FIELD
        values[":true"] = codec.attr(True)
        values[":terminal"] = codec.terminal_attr(events[-1])
    if once is not None:
        names["#markers"] = "markers"
        update += " ADD #markers :marker_set"
        # contains() on a missing attribute is false, and NOT of it would not save us: say it explicitly.
        condition += " AND (attribute_not_exists(#markers) OR NOT contains(#markers, :marker))"
        values[":marker_set"] = codec.attr({once})
        values[":marker"] = codec.attr(once)
    task_update = {
        "TableName": t.tasks,
        "Key": key(codec.log_head_id(events[0].task_id)),
        "UpdateExpression": update,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    expires = codec.expires_at(t.ttl_days)
    puts = [put_new(t.events, codec.event_item(e, expires), "seq") for e in events]
    return {"TransactItems": [{"Update": task_update}, *puts]}


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


def head_steps(t: Tables, task_id: str) -> Steps[LogHead]:
    reply = yield Call("get_item", log_state_params(t, task_id))
    return codec.log_head(task_id, reply.get("Item"))


MAX_BATCH_GET = 100
"""Keys per BatchGetItem (DynamoDB's limit)."""


def events_at_steps(t: Tables, task_id: str, seqs: Sequence[int]) -> Steps[dict[int, Event]]:
    """The events of ``task_id`` at ``seqs`` (those that exist), strongly consistent: BatchGetItem by key.

    How the agents' results are read back (they live in their outcome events): exactly the items needed,
    whatever the length of the log around them.
    """
    found: dict[int, Event] = {}
    wanted = sorted(set(seqs))
    for start in range(0, len(wanted), MAX_BATCH_GET):
        keys = [{"task_id": {"S": task_id}, "seq": codec.attr(seq)} for seq in wanted[start : start + MAX_BATCH_GET]]
        attempt = 0
        while keys:
            reply = yield Call("batch_get_item", {"RequestItems": {t.events: {"Keys": keys, "ConsistentRead": True}}})
            for item in reply.get("Responses", {}).get(t.events, []):
                event = codec.event_from_item(item)
                found[event.seq] = event
            # Unprocessed: throttled, or past the 16 MB a reply holds; DynamoDB asks for a backoff before the rest.
            keys = reply.get("UnprocessedKeys", {}).get(t.events, {}).get("Keys", [])
            if keys:
                yield Sleep(backoff(attempt))
                attempt += 1
    return found
