"""What one analysis costs on AWS, from a measured run on the embedded runtime and the template.

Inputs: the metered AWS requests of the run (``infra/meter.py``), the functions' measured
durations and memory sizes (``template.yaml``), the state transitions of the execution's history,
and the published prices in ``infra/prices.json`` (one file). DynamoDB request units are estimated
from payload sizes (1 KB per write unit, 4 KB per read unit, doubled inside transactions); an
UpdateItem is billed on the size of the item it rewrites, which for the task's projection is the
final task item. Durations measured in-process on a shared 2-core machine are an upper bound of
what Lambda would bill for the same work.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .template import Template

PRICES_PATH = Path(__file__).with_name("prices.json")


def load_prices(path: Path = PRICES_PATH) -> dict[str, Any]:
    return json.loads(path.read_text())


@dataclass
class Usage:
    """The billable quantities of one analysis."""

    lambda_seconds: dict[str, float] = field(default_factory=dict)
    """Logical id → billed seconds (summed over its invocations)."""
    lambda_invocations: int = 0
    state_transitions: int = 0
    write_units: float = 0.0
    read_units: float = 0.0
    sqs_requests: int = 0
    api_requests: int = 0
    log_bytes: int = 0
    llm_cost_usd: float = 0.0
    requests: Counter = field(default_factory=Counter)


def _ceil_kb(size: int, unit: int) -> int:
    return max(1, math.ceil(size / unit))


def dynamodb_units(
    requests: list[tuple[str, str, int, int, bytes]], tasks_table: str, task_item_bytes: int
) -> tuple[float, float]:
    """(write units, read units) of the metered DynamoDB requests."""
    writes = reads = 0.0
    for service, action, _, response_bytes, body in requests:
        if service != "dynamodb":
            continue
        params = json.loads(body or b"{}")
        if action == "TransactWriteItems":
            for item in params.get("TransactItems", []):
                ((kind, op),) = item.items()
                size = len(json.dumps(op.get("Item") or op.get("Key") or {}))
                writes += 2 * _ceil_kb(size, 1024)
        elif action == "PutItem":
            writes += _ceil_kb(len(json.dumps(params.get("Item", {}))), 1024)
        elif action == "UpdateItem":
            key = params.get("Key", {}).get("task_id", {}).get("S", "")
            rewrites_projection = params.get("TableName") == tasks_table and "#" not in key
            writes += _ceil_kb(task_item_bytes if rewrites_projection else len(body), 1024)
        elif action in ("GetItem", "Query"):
            units = _ceil_kb(response_bytes, 4096)
            reads += units if params.get("ConsistentRead") else units / 2
    return writes, reads


def measure(
    template: Template,
    requests: list[tuple[str, str, int, int, bytes]],
    durations: list[tuple[str, float]],
    state_transitions: int,
    api_requests: int,
    api_seconds: float,
    log_bytes: int,
    task_item_bytes: int,
    llm_cost_usd: float = 0.0,
) -> Usage:
    usage = Usage(
        state_transitions=state_transitions, api_requests=api_requests, log_bytes=log_bytes, llm_cost_usd=llm_cost_usd
    )
    for logical_id, seconds in durations:
        usage.lambda_seconds[logical_id] = usage.lambda_seconds.get(logical_id, 0.0) + math.ceil(seconds * 1000) / 1000
        usage.lambda_invocations += 1
    # The API function on Lambda: the follower's SSE requests hold it for the analysis's whole duration.
    usage.lambda_seconds["ApiFunction"] = usage.lambda_seconds.get("ApiFunction", 0.0) + api_seconds
    usage.lambda_invocations += api_requests
    usage.requests = Counter(f"{service}:{action}" for service, action, *_ in requests)
    # Each submission costs SendMessage, the ReceiveMessage that delivers it and its delete; the event
    # source mapping's empty long polls are a fixed cost per queue, not per analysis.
    usage.sqs_requests = 3 * sum(1 for service, action, *_ in requests if (service, action) == ("sqs", "SendMessage"))
    usage.write_units, usage.read_units = dynamodb_units(requests, template.refs.get("TasksTable", ""), task_item_bytes)
    return usage


def price(template: Template, usage: Usage, prices: dict[str, Any] | None = None) -> dict[str, float]:
    """Dollars per line item and in total (``total_before_llm`` and ``total``)."""
    prices = prices or load_prices()
    glob = template.doc.get("Globals", {}).get("Function", {})
    architecture = glob.get("Architectures", ["x86_64"])[0]
    gb_second = prices["lambda"][f"{architecture}_gb_second"]
    lambda_compute = 0.0
    for logical_id, seconds in usage.lambda_seconds.items():
        memory_mb = int(template.function_properties(logical_id).get("MemorySize", 128))
        lambda_compute += seconds * memory_mb / 1024 * gb_second
    lines = {
        "lambda_compute": lambda_compute,
        "lambda_requests": usage.lambda_invocations * prices["lambda"]["request"],
        "step_functions": usage.state_transitions * prices["stepfunctions_standard"]["state_transition"],
        "dynamodb_writes": usage.write_units * prices["dynamodb_on_demand"]["write_request_unit"],
        "dynamodb_reads": usage.read_units * prices["dynamodb_on_demand"]["read_request_unit"],
        "sqs": usage.sqs_requests * prices["sqs_standard"]["request_64kb"],
        "api_gateway": usage.api_requests * prices["apigateway_http"]["request"],
        "cloudwatch_logs": usage.log_bytes / 1e9 * prices["cloudwatch_logs"]["ingested_gb"],
    }
    lines["total_before_llm"] = sum(lines.values())
    lines["llm"] = usage.llm_cost_usd
    lines["total"] = lines["total_before_llm"] + usage.llm_cost_usd
    return lines


def state_transitions(history: list[dict[str, Any]]) -> int:
    """Standard workflows bill every state entered (branch states included)."""
    return sum(1 for event in history if event["type"].endswith("StateEntered"))
