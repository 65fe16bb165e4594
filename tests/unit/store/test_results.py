"""The agents' results stay in their outcome events (invariant 9): the task item keeps a bounded view, reads put the
results back, and ``ResultStore`` loads them by the references the state machine carries; memory and DynamoDB alike."""

from __future__ import annotations

import uuid

import pytest

from investmind.adapters.dynamodb import DynamoEventLog, DynamoResultStore, DynamoTaskStore
from investmind.adapters.dynamodb.log_steps import events_at_steps
from investmind.adapters.dynamodb.sizes import item_size
from investmind.adapters.dynamodb.steps import Tables
from investmind.adapters.dynamodb.store import run
from investmind.adapters.memory import MemoryEventLog, MemoryResultStore, MemoryTaskStore
from investmind.models import AgentResult, AgentStatus, EventDraft, EventType, ResultRef, Task
from investmind.services.progress import apply_events


@pytest.fixture(params=["memory", "dynamodb"])
def stores(request):
    if request.param == "memory":
        tasks = MemoryTaskStore()
        log = MemoryEventLog(tasks)
        raw = lambda task_id: tasks.tables.tasks[task_id]  # noqa: E731
        yield tasks, log, MemoryResultStore(log), raw
        return
    client = request.getfixturevalue("moto_dynamodb")
    raw = lambda task_id: client.get_item(TableName="tasks", Key={"task_id": {"S": task_id}})["Item"]  # noqa: E731
    yield (
        DynamoTaskStore("tasks", "events", client=client),
        DynamoEventLog("events", "tasks", client=client),
        DynamoResultStore("events", client=client),
        raw,
    )


def new_task(tasks) -> Task:
    now = "2025-03-04T05:06:07.000Z"
    task = Task(task_id=uuid.uuid4().hex, owner="tester", symbol="000001.SZ", created_at=now, updated_at=now)
    return tasks.create(task, EventDraft(type=EventType.task_queued))[0]


def completed(log, task_id: str, agent_id: str, stage: int, summary: str) -> ResultRef:
    result = AgentResult(agent_id=agent_id, stage=stage, status=AgentStatus.succeeded, score=21.5, summary=summary)
    draft = EventDraft(type=EventType.agent_completed, stage=stage, agent_id=agent_id,
                       data={"result": result.model_dump(mode="json")})  # fmt: skip
    return ResultRef.of(result, log.append(task_id, [draft])[-1].seq)


def test_results_load_by_reference_and_reads_put_them_back(stores):
    tasks, log, results, raw = stores
    task = new_task(tasks)
    macro = completed(log, task.task_id, "macro", 1, "宏观：流动性偏松，立场看多。" * 50)
    log.append(task.task_id, [EventDraft(type=EventType.log, data={"level": "info", "message": "between"})])
    funds = completed(log, task.task_id, "funds", 1, "资金：北向资金净流入，立场看多。" * 50)
    apply_events(tasks, log, log.read(task.task_id))

    loaded = results.load(task.task_id, [macro, funds, ResultRef(agent_id="technical", stage=1, status="skipped")])

    assert {a: r.summary[:5] for a, r in loaded.items()} == {"macro": "宏观：流动", "funds": "资金：北向"}
    assert ResultRef.of(loaded["macro"], macro.seq) == macro
    # The item keeps neither the results nor their summaries; a read of the task has both, from the log.
    item = raw(task.task_id)
    stored = item["agents"]["M"]["macro"]["M"]
    assert stored["result"] == stored["summary"] == {"NULL": True} and stored["result_seq"] == {"N": str(macro.seq)}
    read = tasks.get(task.task_id)
    assert read.agents["funds"].result == loaded["funds"] and read.agents["funds"].summary == loaded["funds"].summary
    assert read.agents["funds"].result_seq == funds.seq and read.agents["technical"].result is None
    assert tasks.get_projection(task.task_id).agents["macro"].result is None  # the fold's own read stays small
    light = tasks.get(task.task_id, results=False)  # a check of status or ownership reads no results
    assert light.agents["macro"].result is None and light.agents["macro"].result_seq == macro.seq


def test_a_reference_to_an_event_that_is_not_that_agents_outcome_is_refused(stores):
    tasks, log, results, _ = stores
    task = new_task(tasks)
    macro = completed(log, task.task_id, "macro", 1, "看多")

    with pytest.raises(LookupError, match="funds"):
        results.load(task.task_id, [macro.model_copy(update={"agent_id": "funds"})])
    with pytest.raises(LookupError, match="seq 99"):
        results.load(task.task_id, [macro.model_copy(update={"seq": 99})])


def test_events_are_read_by_key_in_batches_of_at_most_a_hundred(moto_dynamodb):
    tasks = DynamoTaskStore("tasks", "events", client=moto_dynamodb)
    log = DynamoEventLog("events", "tasks", client=moto_dynamodb)
    task = new_task(tasks)
    for _ in range(3):
        drafts = [EventDraft(type=EventType.log, data={"level": "info", "message": f"{n}"}) for n in range(80)]
        log.append(task.task_id, drafts)

    wanted = list(range(2, 242, 2)) + [500]  # 120 events and one that is not there
    found = run(moto_dynamodb, events_at_steps(Tables(tasks="tasks", events="events"), task.task_id, wanted))

    assert sorted(found) == wanted[:-1] and all(found[seq].seq == seq for seq in found)


@pytest.mark.parametrize(
    ("item", "size"),
    [
        ({"名字": {"S": "看多"}}, 6 + 6),  # UTF-8 bytes of the name and the value
        ({"n": {"N": "-123.450"}}, 1 + 3 + 1),  # 5 significant digits: 3 bytes, plus 1
        (
            {"m": {"M": {"k": {"BOOL": True}, "l": {"L": [{"NULL": True}, {"S": "ab"}]}}}},
            1 + 3 + (1 + 1 + 1) + (1 + 3 + 2 + 3 + 1),
        ),
        ({"s": {"SS": ["a", "bc"]}, "b": {"B": b"\x00\x01"}}, 1 + 3 + 1 + 2),
    ],
)
def test_item_size_counts_as_dynamodb_does(item, size):
    assert item_size(item) == size
