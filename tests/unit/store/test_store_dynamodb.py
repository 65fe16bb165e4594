"""DynamoDB specifics: each way the append transaction can be cancelled, read-committed holes, the codec."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from investmind.adapters.dynamodb import DynamoEventLog, DynamoTaskStore, codec
from investmind.errors import InvalidRequest, TaskEnded
from investmind.models import AgentState, AgentView, EventDraft, EventType, Task


class RacingClient:
    """A boto3 client that lets a rival write land just before our first transaction."""

    def __init__(self, client: Any, rival: Callable[[], Any]) -> None:
        self._client = client
        self._rival = rival
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**params: Any) -> Any:
            self.calls.append(name)
            if name == "transact_write_items" and self.calls.count(name) == 1:
                self._rival()
            return method(**params)

        return call


@pytest.fixture
def task_id(moto_dynamodb) -> str:
    task = Task(task_id=uuid.uuid4().hex, owner="caller", symbol="600519.SH", created_at="t", updated_at="t")
    DynamoTaskStore("tasks", "events", moto_dynamodb).create(task, EventDraft(type=EventType.task_queued))
    return task.task_id


def racing_log(client: Any, rival: Callable[[DynamoEventLog], Any]) -> tuple[DynamoEventLog, RacingClient]:
    plain = DynamoEventLog("events", "tasks", client)
    racing = RacingClient(client, lambda: rival(plain))
    return DynamoEventLog("events", "tasks", racing), racing


def log_draft() -> EventDraft:
    return EventDraft(type=EventType.log, data={"level": "info", "message": "m"})


def test_append_lost_seq_race_retries_with_next_seq(moto_dynamodb, task_id):
    log, client = racing_log(moto_dynamodb, lambda rival: rival.append(task_id, [log_draft()]))

    [event] = log.append(task_id, [log_draft()])

    assert event.seq == 3
    assert client.calls == ["get_item", "transact_write_items", "get_item", "transact_write_items"]


def test_append_terminal_event_lands_first_raises_task_ended_without_retry(moto_dynamodb, task_id):
    log, client = racing_log(
        moto_dynamodb, lambda rival: rival.append(task_id, [EventDraft(type=EventType.task_failed)])
    )

    with pytest.raises(TaskEnded):
        log.append(task_id, [log_draft()])
    assert client.calls == ["get_item", "transact_write_items"]


def test_append_same_marker_lands_first_returns_empty_without_retry(moto_dynamodb, task_id):
    log, client = racing_log(moto_dynamodb, lambda rival: rival.append(task_id, [log_draft()], once="stage:2"))

    assert log.append(task_id, [log_draft()], once="stage:2") == []
    assert client.calls == ["get_item", "transact_write_items"]
    assert [e.seq for e in log.read(task_id)] == [1, 2]


def test_read_event_beyond_hole_not_returned(moto_dynamodb, task_id):
    # GIVEN seq 4 visible while 3 is not (a Query is only read-committed against a committing batch)
    log = DynamoEventLog("events", "tasks", moto_dynamodb)
    [second] = log.append(task_id, [log_draft()])
    fourth = second.model_copy(update={"seq": 4})
    moto_dynamodb.put_item(TableName="events", Item=codec.event_item(fourth, codec.expires_at(1)))

    assert [e.seq for e in log.read(task_id)] == [1, 2]
    assert log.read(task_id, after=2) == []


def test_event_task_and_log_head_items_carry_ttl(moto_dynamodb, task_id):
    item = moto_dynamodb.get_item(TableName="tasks", Key={"task_id": {"S": task_id}})["Item"]
    head = moto_dynamodb.get_item(TableName="tasks", Key={"task_id": {"S": f"log#{task_id}"}})["Item"]
    event = moto_dynamodb.get_item(TableName="events", Key={"task_id": {"S": task_id}, "seq": {"N": "1"}})["Item"]

    for stored in (item, head, event):
        assert int(stored["expires_at"]["N"]) == pytest.approx(codec.expires_at(30), abs=60)
    assert head["next_seq"] == {"N": "2"}
    assert "next_seq" not in item and "owner" not in head  # the head stays out of the by_owner index


# --- codec ---------------------------------------------------------------------------------------------------


def test_codec_numbers_round_trip_and_unrepresentable_become_null_or_zero():
    value = {"f": 0.1, "i": 7, "whole": 2.0, "nan": math.nan, "inf": -math.inf, "xs": (1.5, None, True), "tiny": 1e-300}

    item = codec.to_item(value)

    assert item["f"] == {"N": "0.1"} and item["nan"] == {"NULL": True}
    assert codec.to_dynamo(0.1) == Decimal("0.1")
    expected = {"f": 0.1, "i": 7, "whole": 2, "nan": None, "inf": None, "xs": [1.5, None, True], "tiny": 0}
    assert codec.from_item(item) == expected


def test_codec_cursor_round_trip_for_its_owner_only():
    task_id = "0123456789abcdef0123456789abcdef"
    task = Task(task_id=task_id, owner="me", symbol="600519.SH", created_at="c", updated_at="c")

    cursor = codec.encode_cursor(task)

    assert codec.decode_cursor(cursor, "me") == {"owner": "me", "created_at": "c", "task_id": task_id}
    assert "=" not in cursor
    with pytest.raises(InvalidRequest):
        codec.decode_cursor(cursor, "you")


def test_codec_batch_over_transaction_size_raises_value_error():
    with pytest.raises(ValueError):
        codec.check_batch([log_draft()] * (codec.MAX_BATCH + 1))


def test_save_projection_with_before_writes_only_what_changed_and_reads_back_whole(moto_dynamodb, task_id):
    tasks = DynamoTaskStore("tasks", "events", moto_dynamodb)
    before = tasks.get(task_id)
    view = before.agents.get("macro")
    agents = {
        **before.agents,
        "macro": (view or AgentView(agent_id="macro", stage=1)).model_copy(update={"state": AgentState.running}),
    }
    after = before.model_copy(update={"agents": agents, "applied_seq": before.applied_seq + 1, "stage": 1})

    assert tasks.save_projection(after, expected_applied_seq=before.applied_seq, before=before)
    assert tasks.get(task_id) == after
    assert not tasks.save_projection(after, expected_applied_seq=before.applied_seq, before=before)
