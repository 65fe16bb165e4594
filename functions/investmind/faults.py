"""Fault injection for tests and benchmarks (``INVESTMIND_FAULTS``, docs/architecture.md §9); inert when unset.

The plan is a JSON list of rules, e.g.::

    [{"target": "technical", "error": "permanent"},
     {"target": "funds", "error": "transient", "times": 1, "symbol": "000858.SZ"}]

``target`` is an agent id or ``prepare`` / ``finalize``; ``error`` is ``transient`` (retried by the
state machine) or ``permanent``; ``times`` (default: always) counts per task; ``symbol`` scopes a
rule to analyses of one symbol so that one running system can serve faulty and healthy tasks.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from functools import lru_cache

from pydantic import BaseModel, TypeAdapter

from .errors import AgentError, TransientAgentError


class FaultRule(BaseModel):
    target: str
    error: str = "permanent"
    times: int | None = None
    symbol: str | None = None


_RULES = TypeAdapter(list[FaultRule])
_fired: Counter[tuple[int, str]] = Counter()
_lock = threading.Lock()


@lru_cache(maxsize=8)
def parse_plan(plan: str) -> tuple[FaultRule, ...]:
    return tuple(_RULES.validate_python(json.loads(plan))) if plan.strip() else ()


def inject(plan: str, target: str, symbol: str, task_id: str) -> None:
    """Raise the planned fault for ``target`` in this task, if the plan has one left."""
    for index, rule in enumerate(parse_plan(plan)):
        if rule.target != target or (rule.symbol and rule.symbol != symbol):
            continue
        with _lock:
            if rule.times is not None and _fired[(index, task_id)] >= rule.times:
                continue
            _fired[(index, task_id)] += 1
        error = TransientAgentError if rule.error == "transient" else AgentError
        raise error(f"injected {rule.error} fault in {target}")
