"""What every fault test asserts of a task's log, its projection and the runtime's record of the fault."""

from __future__ import annotations

import json
import re

import httpx

from tests.conftest import wait_until

AGENT_OUTCOMES = ("agent_started", "agent_completed", "agent_failed")


def assert_gap_free(events: list[dict]) -> None:
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


def assert_each_agent_once(events: list[dict]) -> dict[str, list[int]]:
    """Each agent: ``agent_started`` at most once, then exactly one ``agent_completed`` or ``agent_failed``
    (an agent that never ran has only the failure). Returns each agent's retries: the attempt numbers
    of its warning ``log`` events, in order."""
    agents = {e["agent_id"] for e in events if e["type"] in AGENT_OUTCOMES}
    for agent in agents:
        mine = [e["type"] for e in events if e.get("agent_id") == agent and e["type"] in AGENT_OUTCOMES]
        assert mine in (["agent_started", "agent_completed"], ["agent_started", "agent_failed"], ["agent_failed"]), (
            agent,
            mine,
        )
    retries = {
        agent: [
            e["data"]["attempt"]
            for e in events
            if e["type"] == "log" and e.get("agent_id") == agent and e["data"].get("level") == "warning"
        ]
        for agent in agents
    }
    return {agent: attempts for agent, attempts in retries.items() if attempts}


def folded(api: httpx.Client, task_id: str, last_seq: int, timeout: float = 30) -> dict:
    """The task once ProgressFunction has folded its whole log (``applied_seq`` at the last event)."""
    return wait_until(
        lambda: (t := api.get(f"/v1/analyses/{task_id}").json())["applied_seq"] == last_seq and t,
        timeout=timeout, what=f"the projection of {task_id} to fold up to seq {last_seq}",
    )  # fmt: skip


def injected(log: str, target: str, task_id: str) -> list[str]:
    """The ids of the records (or ``None`` per invocation outside a batch) of each fault injected into the
    function the plan calls ``target`` for ``task_id``, from its log (``runtime_log``: one line per fault,
    ``investmind_emulation.faults.fired_line``)."""
    pattern = re.compile(rf"{target}: injected \w+ fault \(task {task_id}(?:, record \d+ of \d+, id (\S+))?\)")
    return [m[1] for m in pattern.finditer(log)]


def logged(log: str, message: str, **fields: str) -> list[dict]:
    """The functions' JSON log lines with that message and those fields."""
    lines = []
    for line in log.splitlines():
        if line.startswith("{") and f'"{message}"' in line:
            record = json.loads(line)
            if record.get("message") == message and all(record.get(k) == v for k, v in fields.items()):
                lines.append(record)
    return lines
