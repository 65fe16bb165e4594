"""The ``investmind`` CLI: the renderer on a recorded run, and the commands against a real local server."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import socket
import sys
import threading
import time
import types
import uuid
from collections.abc import Callable
from functools import partial

import httpx
import pytest
import uvicorn
from rich.console import Console

from investmind.adapters.memory import AsyncMemoryEventLog, AsyncMemoryTaskStore, MemoryEventLog, MemoryTaskStore
from investmind.adapters.memory_keys import AsyncMemoryKeyStore
from investmind.api import create_app
from investmind.auth import ApiKeys, Caller
from investmind.composition.api import create_aws_app
from investmind.models import AgentResult, Decision, EventDraft, EventType, Task, Usage, utc_now_iso
from investmind.roster import STAGE_NAMES, STAGES
from investmind.services.reconcile import Deadlines, reconcile
from investmind.settings import Settings, get_settings
from investmind_cli import main as cli

DECISION = Decision(
    action="BUY", rating="Overweight", position_pct=20, entry_range=(1500.0, 1550.0), stop_loss=1420.0,
    take_profit=1800.0, horizon_days=60, confidence=0.7, rationale="BUY on momentum", dissent=["macro"],
)  # fmt: skip


def _ev(kind: str, stage: int | None = None, agent_id: str | None = None, **data) -> EventDraft:
    return EventDraft(type=EventType(kind), stage=stage, agent_id=agent_id, data=data)


def scripted_run(outcome: str = "completed") -> list[EventDraft]:
    """The events of a whole analysis after task_queued: four stages, ten agents, logs, progress, the end."""
    drafts = [_ev("task_started", symbol="600519.SH", name="贵州茅台", as_of="2025-04-07")]
    for stage, specs in STAGES.items():
        drafts.append(_ev("stage_started", stage, name=STAGE_NAMES[stage]))
        for spec in specs:
            drafts.append(_ev("agent_started", stage, spec.agent_id, attempt=1))
            drafts.append(_ev("log", stage, spec.agent_id, level="info", message=f"{spec.agent_id} computing"))
            if outcome == "failed" and spec.agent_id == "funds":
                result = AgentResult(agent_id="funds", stage=1, status="failed", error="no turnover data")
                drafts.append(_ev("agent_failed", stage, "funds", error="no turnover data", result=result))
                continue
            done = len([d for d in drafts if d.type == EventType.agent_completed])
            result = AgentResult(
                agent_id=spec.agent_id, stage=stage, status="succeeded", stance="bearish" if done % 3 else "bullish",
                score=42.0 - done * 7, confidence=0.6, summary=f"{spec.title} says so\nmore detail",
                decision=DECISION if spec.agent_id == "investment_gm" else None,
            )  # fmt: skip
            drafts.append(_ev("agent_completed", stage, spec.agent_id, result=result))
        drafts.append(_ev("stage_completed", stage, succeeded=len(specs), failed=0))
        drafts.append(_ev("progress", percent=stage * 25, stage=stage))
        if outcome == "failed":
            drafts.append(_ev("task_failed", error="funds broke", error_type="AgentError"))
            break
    else:
        drafts.append(_ev("task_completed", decision=DECISION, degraded=False, usage=Usage(), duration_ms=1234))
    # As the log stores them: plain JSON.
    return [EventDraft.model_validate(d.model_dump(mode="json")) for d in drafts]


class World:
    """Memory stores, a queue whose ``send`` plays a scripted run into the log, and an app on them."""

    def __init__(self, settings: Settings) -> None:
        self.tasks = MemoryTaskStore()
        self.log = MemoryEventLog(self.tasks)
        self.outcome = "completed"
        self.producers: list[threading.Thread] = []
        self.keys = AsyncMemoryKeyStore()
        self.app = create_app(tasks=AsyncMemoryTaskStore(self.tasks), events=AsyncMemoryEventLog(self.log),
                              queue=self, executions=self, keys=self.keys)  # fmt: skip
        bootstrap = Caller(owner="local", admin=True, via="api_key")
        self.key = asyncio.run(ApiKeys(self.keys).create(bootstrap, "local", "cli tests", role="admin")).key
        """An admin key of ``local``, the owner of every task here: the CLI sends it (INVESTMIND_API_KEY)."""
        self.app.dependency_overrides[get_settings] = lambda: settings

    async def send(self, start) -> str:
        producer = threading.Thread(target=self.play, args=(start.task_id, scripted_run(self.outcome), 0.002))
        producer.start()
        self.producers.append(producer)
        return "m"

    async def stop(self, task_id: str, cause: str) -> bool:
        return True

    def play(self, task_id: str, drafts: list[EventDraft], pause_s: float = 0.0) -> None:
        for draft in drafts:
            time.sleep(pause_s)
            self.log.append(task_id, [draft])

    def recorded(self, outcome: str = "completed") -> tuple[str, list[dict]]:
        """A finished task in the log, and its events as the API serves them."""
        now = utc_now_iso()
        task = Task(task_id=uuid.uuid4().hex, owner="local", symbol="600519.SH", created_at=now, updated_at=now)
        self.tasks.create(task, EventDraft(type=EventType.task_queued, data={"symbol": "600519.SH"}))
        self.play(task.task_id, scripted_run(outcome))
        return task.task_id, [e.model_dump(mode="json") for e in self.log.read(task.task_id, 0, 10_000)]


class Switch:
    """The server's ASGI app: forwards to the current test's app; can cut stream responses midway."""

    def __init__(self) -> None:
        self.target: Callable | None = None
        self.drops = 0
        self.frames_before_drop = 3
        self.seen_headers: list[dict[str, str]] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":  # the test apps use memory stores: nothing to start
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.seen_headers.append({"path": scope["path"], **headers})
        if scope["path"].endswith("/stream") and self.drops > 0:
            self.drops -= 1
            send = self._dropping(send)
        await self.target(scope, receive, send)

    def _dropping(self, send):
        frames = 0

        async def dropping_send(message):
            nonlocal frames
            if message["type"] == "http.response.body" and message.get("body", b"").startswith(b"id: "):
                frames += 1
                if frames > self.frames_before_drop:
                    raise ConnectionResetError("the proxy dropped the connection")  # uvicorn aborts the response
            await send(message)

        return dropping_send


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(interval)


@pytest.fixture(scope="module")
def server():
    switch = Switch()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(switch, log_level="critical", timeout_graceful_shutdown=1)
    app_server = uvicorn.Server(config)
    thread = threading.Thread(target=app_server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()

    def healthy() -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    switch.target = create_aws_app()  # until a test sets its own: only /healthz is asked, which opens nothing
    wait_until(healthy, timeout=10)
    yield types.SimpleNamespace(url=url, switch=switch)
    app_server.should_exit = True
    thread.join(10)


def _settings(**overrides) -> Settings:
    return Settings(**{"sse_poll_ms": 10, "sse_heartbeat_s": 1.0, "sse_linger_s": 0.02, **overrides})


@pytest.fixture
def world(server, monkeypatch) -> World:
    w = World(_settings())
    monkeypatch.setenv("INVESTMIND_API_KEY", w.key)
    get_settings.cache_clear()
    server.switch.target, server.switch.drops, server.switch.seen_headers = w.app, 0, []
    yield w
    for producer in w.producers:
        producer.join(5)
    get_settings.cache_clear()


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- the renderer, on a recorded run ---------------------------------------------------------------


def test_live_view_recorded_run_folds_agent_states_and_decision():
    _, events = World(_settings()).recorded()
    view = cli.LiveView()

    printed = [line for event in events for line in view.apply(event)]

    assert view.status == "SUCCEEDED" and view.percent == 100
    assert {row["state"] for row in view.rows.values()} == {"succeeded"}
    assert view.rows["macro"]["stance"] == "bullish" and view.rows["macro"]["score"] == 42.0
    assert view.rows["industry"]["summary"] == "Industry analyst says so"
    assert sum("computing" in line for line in printed) == 10
    assert printed[-1] == "analysis SUCCEEDED"


def test_render_terminal_mode_shows_rows_logs_and_decision_table():
    _, events = World(_settings()).recorded()
    out = io.StringIO()

    view = cli.render(events, Console(file=out, width=160, color_system=None))

    text = out.getvalue()
    assert view.status == "SUCCEEDED"
    assert "SUCCEEDED · 10/10 agents · 100%" in text
    assert "Stage 4 · Decision" in text and "Investment decision manager" in text
    assert "bullish" in text and "+42.0" in text and "investment_gm computing" in text
    assert "Decision" in text and "BUY (Overweight)" in text and "1500 – 1550" in text


def test_render_failed_run_marks_failed_agent_and_status():
    _, events = World(_settings()).recorded("failed")
    out = io.StringIO()

    view = cli.render(events, Console(file=out, width=160, color_system=None))

    assert view.status == "FAILED" and view.rows["funds"]["state"] == "failed"
    assert "funds failed: no turnover data" in out.getvalue()
    assert "analysis FAILED: funds broke" in out.getvalue()


def test_render_plain_mode_prints_one_line_per_event():
    _, events = World(_settings()).recorded()
    out = io.StringIO()

    cli.render(events, Console(file=out), plain=True)

    lines = out.getvalue().splitlines()
    assert len(lines) == len(events)
    assert lines[0] == "#1 task_queued symbol=600519.SH"
    assert lines[-1].startswith(f"#{len(events)} task_completed BUY Overweight position=20%")
    assert any(line.startswith("#") and "agent=technical" in line and "succeeded" in line for line in lines)


# --- follow: reconnects and exactly-once delivery against a real server ---------------------------


def test_follow_stream_dropped_midway_reconnects_without_duplicates(server, world):
    task_id, events = world.recorded()
    server.switch.drops, server.switch.frames_before_drop = 2, 3
    seen: list[int] = []

    final = cli.follow(cli.Api(server.url, world.key), task_id, lambda e: seen.append(e["seq"]), retry_s=0.05)

    assert final == "SUCCEEDED"
    assert seen == [e["seq"] for e in events]
    resumes = [h.get("last-event-id") for h in server.switch.seen_headers if h["path"].endswith("/stream")]
    assert resumes == ["0", "3", "6"]


def test_follow_bounded_mode_reconnects_until_terminal(server, world):
    bounded = World(_settings(sse_mode="bounded", sse_bounded_wait_s=0.3))
    server.switch.target = bounded.app
    now = utc_now_iso()
    task = Task(task_id=uuid.uuid4().hex, owner="local", symbol="600519.SH", created_at=now, updated_at=now)
    bounded.tasks.create(task, EventDraft(type=EventType.task_queued))
    run = scripted_run()

    def produce() -> None:  # live, while we follow: from the first stream request on, even on a loaded machine
        wait_until(lambda: any(h["path"].endswith("/stream") for h in server.switch.seen_headers), timeout=30)
        bounded.play(task.task_id, run, 0.005)

    producer = threading.Thread(target=produce)
    producer.start()
    seen: list[int] = []

    final = cli.follow(cli.Api(server.url, bounded.key), task.task_id, lambda e: seen.append(e["seq"]), retry_s=0.05)
    producer.join(5)

    assert final == "SUCCEEDED"
    assert seen == list(range(1, len(run) + 2))
    streams = [h for h in server.switch.seen_headers if h["path"].endswith("/stream")]
    assert len(streams) > 1  # bounded responses end early; the client came back for the rest


def test_server_stream_client_disconnect_releases_feed(server, world):
    now = utc_now_iso()
    task = Task(task_id=uuid.uuid4().hex, owner="local", symbol="600519.SH", created_at=now, updated_at=now)
    world.tasks.create(task, EventDraft(type=EventType.task_queued))
    hub = world.app.state.backend.opened.hub

    auth = {"Authorization": f"Bearer {world.key}"}
    with httpx.stream("GET", f"{server.url}/v1/analyses/{task.task_id}/stream", headers=auth, timeout=5) as response:
        lines = response.iter_lines()
        assert [next(lines) for _ in range(4)] == ["retry: 2000", "", "id: 1", "event: task_queued"]
        assert hub.active_feeds == 1
    wait_until(lambda: hub.active_feeds == 0, timeout=5)  # the client went away: the poller stops


# --- the commands -------------------------------------------------------------------------------


def test_main_analyze_follow_plain_succeeded_exits_0(server, world, capsys):
    code, out, err = run_main(capsys, "--url", server.url, "--plain", "analyze", "600519", "--follow")

    lines = out.splitlines()
    assert code == 0, err
    task_id, status = lines[0].split()
    assert len(task_id) == 32 and status == "QUEUED"
    assert lines[1].startswith("#1 task_queued")
    assert lines[-1].startswith("#") and " task_completed BUY " in lines[-1]
    assert [int(line.split()[0][1:]) for line in lines[1:]] == list(range(1, len(lines)))


def test_main_analyze_follow_failed_exits_1(server, world, capsys):
    world.outcome = "failed"

    code, out, _ = run_main(capsys, "--url", server.url, "--plain", "analyze", "000001.SZ", "--follow")

    assert code == 1
    assert " task_failed " in out.splitlines()[-1]


def test_main_analyze_rejected_prints_api_error(server, world, capsys):
    code, out, err = run_main(capsys, "--url", server.url, "analyze", "60051X")

    assert (code, out) == (1, "")
    assert err.startswith("error validation_error: ")


def test_main_status_events_cancel_list_round_trip(server, world, capsys):
    task_id, events = world.recorded()

    assert run_main(capsys, "--url", server.url, "status", task_id)[1].count("succeeded") >= 10
    code, out, _ = run_main(capsys, "--url", server.url, "events", task_id, "--type", "progress", "--after", "2")
    assert code == 0 and [line.split()[1] for line in out.splitlines()] == ["progress"] * 4
    assert run_main(capsys, "--url", server.url, "cancel", task_id)[1] == f"{task_id} SUCCEEDED\n"
    listed = run_main(capsys, "--url", server.url, "list")[1]
    assert listed.startswith(task_id)
    symbol = listed.split()[2]
    assert run_main(capsys, "--url", server.url, "list", "--symbol", symbol.split(".")[0])[1].startswith(task_id)
    other = "601318.SH" if symbol != "601318.SH" else "600519.SH"
    assert run_main(capsys, "--url", server.url, "list", "--symbol", other)[1] == ""


def test_main_status_unknown_task_prints_not_found(server, world, capsys):
    code, _, err = run_main(capsys, "--url", server.url, "status", uuid.uuid4().hex)

    assert code == 1
    assert err.startswith("error not_found: analysis ")


def test_main_api_key_from_env_sent_as_bearer(server, world, capsys, monkeypatch):
    monkeypatch.setenv("INVESTMIND_API_KEY", world.key)
    monkeypatch.setenv("INVESTMIND_URL", server.url)
    get_settings.cache_clear()
    try:
        code, _, _ = run_main(capsys, "list")
    finally:
        get_settings.cache_clear()

    assert code == 0
    assert server.switch.seen_headers[-1]["authorization"] == f"Bearer {world.key}"


def test_main_unreachable_server_prints_error(capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused

        code, _, err = run_main(capsys, "--url", f"http://127.0.0.1:{port}", "list")

    assert code == 1 and err.startswith("error unreachable: ")


def test_main_local_serves_embedded_runtime_on_port(monkeypatch):
    calls: list[int] = []
    monkeypatch.setitem(sys.modules, "infra.runtime", types.SimpleNamespace(serve=calls.append))

    assert cli.main(["local", "--port", "8123"]) == 0
    assert calls == [8123]


def test_keys_create_prints_the_key_alone_on_the_last_line_and_it_works(server, world, capsys):
    code, out, err = run_main(capsys, "--url", server.url, "keys", "create", "--owner", "dana", "--name", "laptop")

    assert code == 0, err
    key = out.splitlines()[-1]
    assert key.startswith("imk_") and " " not in key
    assert httpx.get(f"{server.url}/v1/analyses", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    listed = run_main(capsys, "--url", server.url, "keys", "list", "--owner", "dana")[1]
    key_id = listed.split()[0]
    assert "dana" in listed and "laptop" in listed and key not in listed
    assert run_main(capsys, "--url", server.url, "keys", "revoke", key_id)[0] == 0
    assert httpx.get(f"{server.url}/v1/analyses", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_commands_without_a_key_fail_with_the_servers_reason(server, world, capsys, monkeypatch):
    monkeypatch.setenv("INVESTMIND_API_KEY", "")
    get_settings.cache_clear()

    code, _, err = run_main(capsys, "--url", server.url, "list")

    assert code == 1 and err.startswith("error unauthorized:")


def test_reconcile_goes_on_pass_after_pass_until_every_open_task_was_examined(server, world, capsys):
    long_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    stuck = []
    for _ in range(5):  # queued two hours ago, never started: each pass of two settles two
        task = Task(task_id=uuid.uuid4().hex, owner="dana", symbol="600036.SH", created_at=long_ago,
                    updated_at=long_ago)  # fmt: skip
        world.tasks.create(task, EventDraft(type=EventType.task_queued, data={"symbol": task.symbol}))
        stuck.append(task.task_id)
    never_started = types.SimpleNamespace(status=lambda task_id: None, stop=lambda *args, **kwargs: False)
    reconciler = partial(reconcile, world.tasks, world.log, never_started, Deadlines(start_s=900), 2)
    app = create_app(tasks=AsyncMemoryTaskStore(world.tasks), events=AsyncMemoryEventLog(world.log), queue=world,
                     executions=world, keys=world.keys, reconciler=reconciler)  # fmt: skip
    server.switch.target = app

    code, out, err = run_main(capsys, "--url", server.url, "reconcile")

    assert code == 0, err
    assert out.count("more open tasks: going on") == 2 and out.count("examined ") == 3
    assert sorted(line.split()[0] for line in out.splitlines() if " FAILED NeverStarted" in line) == sorted(stuck)
    assert all(world.log.head(task_id).ended for task_id in stuck)
