"""GET /v1/analyses/{id}/events: paging by seq, filters, and pages that advance past filtered-out events."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio


@pytest.fixture
def task_id(world) -> str:
    # seq 1 task_queued, 2 task_started, 3 agent_started(macro), 4 log(macro), 5 agent_completed(macro),
    # 6 log(technical, warning), 7 progress
    task = world.new_task()
    world.append(task.task_id, "task_started")
    world.append(task.task_id, "agent_started", "log", "agent_completed", agent_id="macro", stage=1)
    world.log.append(task.task_id, [_warning("technical")])
    world.append(task.task_id, "progress")
    return task.task_id


def _warning(agent_id: str):
    from investmind.models import EventDraft, EventType

    return EventDraft(type=EventType.log, agent_id=agent_id, stage=1, data={"level": "warning", "message": "w"})


async def _page(client, task_id: str, **params) -> dict:
    response = await client.get(f"/v1/analyses/{task_id}/events", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_list_events_default_returns_all_in_order_and_null_next(client, task_id):
    page = await _page(client, task_id)

    assert [e["seq"] for e in page["events"]] == [1, 2, 3, 4, 5, 6, 7]
    assert page["next_after"] is None
    assert set(page["events"][0]) == {"seq", "task_id", "type", "ts", "stage", "agent_id", "data"}


async def test_list_events_pages_by_after_and_limit_without_gaps(client, task_id):
    seen, after = [], 0
    while after is not None:
        page = await _page(client, task_id, after=after, limit=3)
        seen += [e["seq"] for e in page["events"]]
        after = page["next_after"]

    assert seen == [1, 2, 3, 4, 5, 6, 7]


async def test_list_events_filtered_page_advances_past_scanned_events(client, task_id):
    page = await _page(client, task_id, type="progress", limit=3)

    assert page == {"events": [], "next_after": 3}
    page = await _page(client, task_id, type="progress", after=page["next_after"], limit=3)
    assert (page["events"], page["next_after"]) == ([], 6)
    page = await _page(client, task_id, type="progress", after=6, limit=3)
    assert ([e["seq"] for e in page["events"]], page["next_after"]) == ([7], None)


@pytest.mark.parametrize(
    ("params", "seqs"),
    [
        ({"type": "log"}, [4, 6]),
        ({"type": ["agent_started", "agent_completed"]}, [3, 5]),
        ({"agent": "macro"}, [3, 4, 5]),
        ({"level": "warning"}, [6]),
        ({"agent": "macro", "type": "log"}, [4]),
        ({"after": 5}, [6, 7]),
    ],
)
async def test_list_events_filters_keep_matching_events(client, task_id, params, seqs):
    page = await _page(client, task_id, **params)

    assert [e["seq"] for e in page["events"]] == seqs


@pytest.mark.parametrize(
    "params",
    [{"type": "nonsense"}, {"agent": "astrologer"}, {"level": "loud"}, {"limit": 0}, {"limit": 1001}, {"after": -1}],
)
async def test_list_events_bad_query_returns_422(client, task_id, expect_error, params):
    response = await client.get(f"/v1/analyses/{task_id}/events", params=params)

    expect_error(response, 422, "validation_error")
