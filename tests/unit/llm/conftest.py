"""Real quant results to refine, a scripted OpenAI-compatible server on loopback, and reply builders."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr

from investmind.analysts import analyze
from investmind.llm.base import LLMConfig
from investmind.market import load_snapshot
from investmind.models import AgentResult, Stance, TaskContext
from investmind.roster import STAGE1_IDS, STAGES

AS_OF = ("600519.SH", dt.date(2021, 2, 10))
STANCE_WORD = {Stance.bullish: "bullish", Stance.neutral: "neutral", Stance.bearish: "bearish"}


@pytest.fixture(scope="session")
def results() -> dict[str, AgentResult]:
    """Every agent's quant result for 600519 near its February 2021 top, stage by stage."""
    snapshot = load_snapshot(*AS_OF)
    out: dict[str, AgentResult] = {}
    for specs in STAGES.values():
        upstream = dict(out)
        for spec in specs:
            out[spec.agent_id] = analyze(spec.agent_id, snapshot, upstream, STAGE1_IDS)
    return out


@pytest.fixture(scope="session")
def context() -> TaskContext:
    snapshot = load_snapshot(*AS_OF)
    return TaskContext(
        task_id="t-llm",
        owner="tester",
        symbol=snapshot.symbol,
        name=snapshot.name,
        industry=snapshot.industry,
        as_of=snapshot.as_of,
        agents=list(STAGE1_IDS),
        started_at="2026-01-01T00:00:00.000Z",
    )


def opinion(result: AgentResult, shift: float = 0.0, **changes: Any) -> dict[str, Any]:
    """A valid reply for ``result``: same stance, the score moved by ``shift``, a narrative naming the stance."""
    reply: dict[str, Any] = {
        "stance": result.stance.value,
        "score": max(-100.0, min(100.0, result.score + shift)),
        "confidence": result.confidence,
        "narrative": f"The view stays {STANCE_WORD[result.stance]}: the numbers computed above support it.",
        "evidence": list(result.evidence[:3]) or ["computed metrics"],
    }
    if result.decision is not None:
        d = result.decision
        reply["decision"] = {
            "action": d.action,
            "rating": d.rating,
            "position_pct": round(d.position_pct * 0.8, 1),
            "horizon_days": d.horizon_days,
            "rationale": f"**{d.action} ({d.rating})**: the weighted score {result.score:+.1f} decides it.",
        }
        reply["narrative"] += f" Decision: {d.action}."
    reply.update(changes)
    return reply


def chat_completion(content: str, tokens_in: int = 1200, tokens_out: int = 300, model: str = "gpt-4o-mini") -> dict:
    """A chat-completions response body as OpenAI-compatible servers send it."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1764300000,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": tokens_in, "completion_tokens": tokens_out, "total_tokens": tokens_in + tokens_out},
    }


@dataclass
class Scripted:
    status: int = 200
    body: Any = None
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class OpenAIServer:
    """An OpenAI-compatible ``/chat/completions`` on loopback answering from a script, one entry per request."""

    def __init__(self) -> None:
        self.script: deque[Scripted] = deque()
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()
        """Set at teardown, so a reply held back to provoke a timeout does not hold up the test run."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length") or 0)
                server.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": json.loads(self.rfile.read(length))}
                )
                step = server.script.popleft() if server.script else Scripted(500, {"error": "script exhausted"})
                if step.delay_s:
                    server.release.wait(step.delay_s)
                payload = json.dumps(step.body).encode()
                try:
                    self.send_response(step.status)
                    for name, value in {"content-type": "application/json", **step.headers}.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        # A short poll interval: shutdown() waits for the serving loop to notice, once per test.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def reply(self, content: Any = None, *, status: int = 200, delay_s: float = 0.0, **kwargs: Any) -> None:
        """Queue an answer: ``content`` (a dict becomes its JSON text) inside a chat completion, or an error status."""
        if status == 200:
            text = content if isinstance(content, str) else json.dumps(content)
            body = chat_completion(text, **kwargs)
        else:
            body = {"error": {"message": f"status {status}", "type": "test"}}
        headers = {"retry-after": "0"} if status == 429 else {}
        self.script.append(Scripted(status, body, delay_s, headers))


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    server = OpenAIServer()
    server.thread.start()
    yield server
    server.release.set()
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def openai_config(openai_server: OpenAIServer) -> LLMConfig:
    """Fast retries (real ones, with jitter) and a short timeout, against the scripted server."""
    return LLMConfig(
        provider="openai",
        model="gpt-4o-mini",
        base_url=openai_server.url,
        api_key=SecretStr("sk-test"),
        timeout_s=5.0,
        max_retries=2,
        backoff_s=0.01,
        max_backoff_s=0.05,
        budget_s=30.0,
    )


class Events:
    """Collects what the LLM step emits, as ``pipeline`` would append it to the log."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, level: str, message: str, data: dict[str, Any]) -> None:
        self.lines.append((level, message, data))

    def messages(self, level: str | None = None) -> list[str]:
        return [m for lv, m, _ in self.lines if level is None or lv == level]


@pytest.fixture
def events() -> Events:
    return Events()
