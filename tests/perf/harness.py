"""Benchmark measures, each run in a fresh process with its own embedded runtime.

``python -m tests.perf.harness <measure> '<json kwargs>'`` prints one line ``RESULT <json>``; the
pytest side (``test_benchmarks.py``) runs it, so each measure starts from a cold, clean system
and its CPU time and peak memory are its own.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import resource
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import aconnect_sse, connect_sse

TERMINAL = {"task_completed", "task_failed", "task_cancelled"}


def _runtime(simulated_llm_ms: int, event_sources: bool = True):
    from infra.emulator import free_port
    from infra.runtime import EmbeddedRuntime

    log = Path(tempfile.mkdtemp()) / "runtime.log"
    # The benchmarks submit many analyses as the one admin: the per-owner quotas would refuse them.
    env = {"INVESTMIND_SIMULATED_LLM_MS": str(simulated_llm_ms), "INVESTMIND_MAX_ACTIVE_PER_OWNER": "100000",
           "INVESTMIND_MAX_DAILY_PER_OWNER": "100000"}  # fmt: skip
    return EmbeddedRuntime(api_port=free_port(), log_path=log, extra_env=env).start(event_sources=event_sources)


def _auth(runtime) -> dict[str, str]:
    """The runtime's admin key, as every request sends it."""
    return {"Authorization": f"Bearer {runtime.admin_key}"}


def _follow(client: httpx.Client, task_id: str) -> list[dict]:
    events = []
    with connect_sse(client, "GET", f"/v1/analyses/{task_id}/stream") as source:
        for sse in source.iter_sse():
            if sse.data:
                events.append(json.loads(sse.data))
                if sse.event in TERMINAL:
                    break
    return events


def _one_analysis(client: httpx.Client, symbol: str = "600519") -> tuple[float, str, list[dict]]:
    began = time.perf_counter()
    task_id = client.post("/v1/analyses", json={"symbol": symbol}).json()["task_id"]
    events = _follow(client, task_id)
    return time.perf_counter() - began, task_id, events


def parallel(simulated_llm_ms: int, runs: int) -> dict[str, Any]:
    """Submit → terminal event over the whole pipeline, one analysis at a time."""
    runtime = _runtime(simulated_llm_ms)
    try:
        with httpx.Client(base_url=runtime.api_url, headers=_auth(runtime), timeout=300) as client:
            _one_analysis(client)  # warm-up: the first analysis of a process pays the data load
            times = [_one_analysis(client)[0] for _ in range(runs)]
    finally:
        runtime.stop()
    return {"times": times}


def serial(simulated_llm_ms: int, runs: int) -> dict[str, Any]:
    """The same ten agents one after another in one process, as the serial frameworks run them."""
    from investmind import analysts, market
    from investmind.adapters.memory import MemoryEventLog, MemoryResultStore, MemoryTaskStore
    from investmind.models import AgentInput, EventDraft, EventType, StartRequest, Task, utc_now_iso
    from investmind.roster import STAGES
    from investmind.services.pipeline import finalize, prepare, run_agent

    def once() -> float:
        tasks = MemoryTaskStore()
        log = MemoryEventLog(tasks)
        start = StartRequest(task_id=uuid.uuid4().hex, owner="bench", symbol="600519.SH")
        now = utc_now_iso()
        tasks.create(
            Task(task_id=start.task_id, owner="bench", symbol=start.symbol, created_at=now, updated_at=now),
            EventDraft(type=EventType.task_queued),
        )
        began = time.perf_counter()
        state = AgentInput(context=prepare(start, log, market.load_snapshot))
        for stage, agents in STAGES.items():
            refs = [
                run_agent(
                    a.agent_id,
                    state,
                    log,
                    MemoryResultStore(log),
                    load_snapshot=market.load_snapshot,
                    analyze=analysts.analyze,
                    simulated_llm_ms=simulated_llm_ms,
                ).ref
                for a in agents
            ]
            state = state.model_copy(update={f"stage{stage}": refs})
        finalize(state, log, MemoryResultStore(log))
        return time.perf_counter() - began

    once()
    return {"times": [once() for _ in range(runs)]}


async def _submit_many(url: str, auth: dict[str, str], clients: int, requests_per_client: int) -> list[float]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=auth, timeout=60, limits=limits) as http:

        async def client_loop() -> None:
            for _ in range(requests_per_client):
                began = time.perf_counter()
                response = await http.post("/v1/analyses", json={"symbol": "600519", "priority": "low"})
                latencies.append(time.perf_counter() - began)
                assert response.status_code == 202, response.text

        await asyncio.gather(*(client_loop() for _ in range(clients)))
    return latencies


def submit_latency(levels: list[int], requests: int) -> dict[str, Any]:
    """POST /v1/analyses latency with N concurrent clients: validation, the task's create transaction and
    the queue send, against the emulated services. Nothing consumes the queues meanwhile: in one Python
    process the analyses the requests start would take the CPU the API needs, which measures the
    emulator's saturation, not the API (on AWS they run in other Lambdas)."""
    runtime = _runtime(0, event_sources=False)
    try:
        return {
            str(n): asyncio.run(_submit_many(runtime.api_url, _auth(runtime), n, max(1, requests // n))) for n in levels
        }
    finally:
        runtime.stop()


def event_latency(subscribers: int, events: int, rate_per_s: float) -> dict[str, Any]:
    """From an event's append to its arrival at each of ``subscribers`` SSE clients."""
    from infra.local_identity import ADMIN_OWNER
    from investmind.composition.lambdas import stores
    from investmind.models import EventDraft, EventType, Task, utc_now_iso
    from investmind.settings import get_settings

    runtime = _runtime(0)
    try:
        tasks, log = stores(get_settings())
        task_id, now = uuid.uuid4().hex, utc_now_iso()
        tasks.create(
            Task(task_id=task_id, owner=ADMIN_OWNER, symbol="600519.SH", created_at=now, updated_at=now),
            EventDraft(type=EventType.task_queued),
        )
        appended: dict[int, float] = {}
        latencies: list[float] = []
        lock = threading.Lock()

        async def subscriber(http: httpx.AsyncClient, connected: asyncio.Event) -> None:
            async with aconnect_sse(
                http, "GET", f"/v1/analyses/{task_id}/stream", headers={"Last-Event-ID": "1"}
            ) as source:
                connected.set()
                async for sse in source.aiter_sse():
                    if not sse.data:
                        continue
                    arrived = time.perf_counter()
                    seq = int(sse.id)
                    with lock:
                        latencies.append(arrived - appended[seq])
                    if sse.event in TERMINAL:
                        return

        def appender() -> None:
            for index in range(events):
                last = index == events - 1
                draft = EventDraft(
                    type=EventType.task_completed if last else EventType.log,
                    data={"level": "info", "message": f"bench {index}"},
                )
                with lock:
                    began = time.perf_counter()
                    [event] = log.append(task_id, [draft])
                    appended[event.seq] = began
                time.sleep(1 / rate_per_s)

        async def main() -> None:
            async with httpx.AsyncClient(base_url=runtime.api_url, headers=_auth(runtime), timeout=None) as http:
                flags = [asyncio.Event() for _ in range(subscribers)]
                readers = [asyncio.create_task(subscriber(http, flag)) for flag in flags]
                await asyncio.gather(*(flag.wait() for flag in flags))
                await asyncio.to_thread(appender)
                await asyncio.gather(*readers)

        asyncio.run(main())
        return {"latencies": latencies}
    finally:
        runtime.stop()


async def _concurrent(url: str, auth: dict[str, str], count: int) -> list[float]:
    limits = httpx.Limits(max_connections=count + 10)
    async with httpx.AsyncClient(base_url=url, headers=auth, timeout=None, limits=limits) as http:
        began = time.perf_counter()

        async def one() -> float:
            task_id = (await http.post("/v1/analyses", json={"symbol": "600519"})).json()["task_id"]
            async with aconnect_sse(http, "GET", f"/v1/analyses/{task_id}/stream") as source:
                async for sse in source.aiter_sse():
                    if sse.event in TERMINAL:
                        return time.perf_counter() - began
            raise RuntimeError(f"{task_id}: the stream ended without a terminal event")

        return list(await asyncio.gather(*(one() for _ in range(count))))


def concurrency(count: int, simulated_llm_ms: int) -> dict[str, Any]:
    """``count`` analyses submitted at once: time until all end, CPU seconds, peak memory."""
    runtime = _runtime(simulated_llm_ms)
    try:
        with httpx.Client(base_url=runtime.api_url, headers=_auth(runtime), timeout=300) as client:
            _one_analysis(client)
        before = resource.getrusage(resource.RUSAGE_SELF)
        ends = asyncio.run(_concurrent(runtime.api_url, _auth(runtime), count))
        after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        runtime.stop()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"all_done_s": max(ends), "cpu_s": cpu, "peak_rss_mb": after.ru_maxrss / 1024}


def load(analyses: int, readers: int, simulated_llm_ms: int) -> dict[str, Any]:
    """``analyses`` at once with ``readers`` SSE readers each, half resuming mid-run (``tests/load.py``).

    The runtime serves from a process of its own (``python -m infra serve``), as in the integration
    suite: two hundred readers' threads in its process would take the GIL from the system they measure.
    """
    import os
    import shutil
    import subprocess

    from infra.emulator import free_port
    from tests.load import QUOTAS, run_load

    port, log = free_port(), Path(tempfile.mkdtemp()) / "runtime.log"
    env = {**os.environ, **QUOTAS, "INVESTMIND_SIMULATED_LLM_MS": str(simulated_llm_ms), "PYTHONUNBUFFERED": "1"}
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "infra", "serve", "--port", str(port)], env=env,
                                   stdout=subprocess.PIPE, stderr=out, text=True)  # fmt: skip
        try:
            key = ""
            for line in process.stdout:  # its admin key, then its URL once everything is up
                key = line.strip().partition("=")[2] if line.startswith("INVESTMIND_API_KEY=") else key
                if "serving on" in line:
                    break
            else:
                raise RuntimeError(f"the runtime did not start: {log}")
            threading.Thread(target=shutil.copyfileobj, args=(process.stdout, out), daemon=True).start()
            headers = {"Authorization": f"Bearer {key}"}
            return run_load(f"http://127.0.0.1:{port}", headers, analyses, readers, timeout=1800).as_dict()
        finally:
            process.terminate()
            process.wait(timeout=30)


def cost() -> dict[str, Any]:
    """The billable usage of one analysis (L = 0), priced by ``infra/cost.py``."""
    import boto3

    from infra import cost as cost_model
    from infra.emulator import meter

    runtime = _runtime(0)
    try:
        with httpx.Client(base_url=runtime.api_url, headers=_auth(runtime), timeout=300) as client:
            _one_analysis(client)
            meter.start()
            log_size = runtime.log_path.stat().st_size
            elapsed, task_id, events = _one_analysis(client)
            deadline = time.monotonic() + 30
            while client.get(f"/v1/analyses/{task_id}").json()["status"] != "SUCCEEDED":
                if time.monotonic() > deadline:
                    raise RuntimeError("the projection did not catch up")
                time.sleep(0.1)
            time.sleep(1.0)  # let the last stream batch and its progress fold finish being metered
            task_bytes = len(
                json.dumps(
                    boto3.client("dynamodb").get_item(
                        TableName=runtime.outputs["TasksTableName"], Key={"task_id": {"S": task_id}}
                    )["Item"]
                )
            )
            requests, durations = meter.stop()
            sfn = boto3.client("stepfunctions")
            arn = runtime.outputs["AnalysisStateMachineArn"].replace(":stateMachine:", ":execution:") + f":{task_id}"
            history = [
                e
                for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
                for e in page["events"]
            ]
            bursts = _bursts(events, linger_s=0.3)
            usage = cost_model.measure(
                runtime.template,
                requests,
                durations,
                cost_model.state_transitions(history),
                api_requests=2 + bursts,
                api_seconds=elapsed,
                log_bytes=runtime.log_path.stat().st_size - log_size,
                task_item_bytes=task_bytes,
            )
            lines = cost_model.price(runtime.template, usage)
    finally:
        runtime.stop()
    return {
        "lines": lines,
        "usage": {
            "lambda_invocations": usage.lambda_invocations,
            "lambda_seconds": usage.lambda_seconds,
            "state_transitions": usage.state_transitions,
            "write_units": usage.write_units,
            "read_units": usage.read_units,
            "sqs_requests": usage.sqs_requests,
            "api_requests": usage.api_requests,
            "log_bytes": usage.log_bytes,
            "events": len(events),
            "requests": dict(usage.requests),
        },
    }


def _bursts(events: list[dict], linger_s: float) -> int:
    """How many bounded SSE responses a Lambda-hosted stream would need for these events."""
    stamps = sorted(dt.datetime.fromisoformat(e["ts"].replace("Z", "+00:00")).timestamp() for e in events)
    bursts, last = 0, None
    for stamp in stamps:
        if last is None or stamp - last > linger_s:
            bursts += 1
        last = stamp
    return bursts


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]

    return {
        "n": len(ordered),
        "median": statistics.median(ordered),
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "min": ordered[0],
        "max": ordered[-1],
    }


if __name__ == "__main__":
    measure, kwargs = sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    result = globals()[measure](**kwargs)
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")
