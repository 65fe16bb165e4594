"""The largest replies an LLM may give, in Chinese, and an OpenAI-compatible fake that gives them.

Invariant 9 (docs/architecture.md §4) is about what an LLM *may* write, so the sizes come from the reply
models' own bounds (``llm.reply``: ``Opinion``, ``DecisionDraft``, ``Line``), never from picked numbers,
and the text is the worst case in bytes: Chinese characters of CJK Extension B, 4 bytes each in UTF-8
(the common ones are 3). No real LLM is reachable here; the fake reads the prompt as a model would (the
quant stance, score, confidence and the computed decision) and answers with the longest valid reply, so
the agents' own validation (``llm.reply.merge``) accepts it and the narratives reach the log.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from investmind.llm.reply import DecisionDraft, Line, Opinion

WIDE = "𠮷𡈼𠀋𪚥𠜎𡃁𢫊𣲷"
"""Chinese characters outside the BMP: 4 bytes each in UTF-8, the most a character can take."""
STANCE_ZH = {"bullish": "看多", "neutral": "中性", "bearish": "看空"}


def max_length(model: Any, field: str) -> int:
    return next(m.max_length for m in model.model_fields[field].metadata if getattr(m, "max_length", None))


LINE_MAX = next(m.max_length for m in Line.__metadata__[0].metadata if getattr(m, "max_length", None))
NARRATIVE_MAX = max_length(Opinion, "narrative")
EVIDENCE_MAX = max_length(Opinion, "evidence")
RATIONALE_MAX = max_length(DecisionDraft, "rationale")


def chinese(lead: str, length: int) -> str:
    """``lead`` then 4-byte Chinese characters, ``length`` characters in all (pydantic counts characters)."""
    fill = length - len(lead)
    return lead + (WIDE * (fill // len(WIDE) + 1))[:fill]


def maximal_reply(stance: str, score: float, confidence: float, decision: dict[str, Any] | None) -> dict[str, Any]:
    """The longest reply ``llm.reply`` accepts for a quant result with these labels (and decision, for the manager)."""
    lead = f"立场{STANCE_ZH[stance]}。" + (f"决策 {decision['action']}。" if decision else "")
    reply: dict[str, Any] = {
        "stance": stance,
        "score": score,
        "confidence": confidence,
        "narrative": chinese(lead, NARRATIVE_MAX),
        "evidence": [chinese(f"证据{i}：", LINE_MAX) for i in range(EVIDENCE_MAX)],
    }
    if decision is not None:
        reply["decision"] = {
            "action": decision["action"],
            "rating": decision["rating"],
            "position_pct": decision["position_pct"],
            "horizon_days": decision["horizon_days"],
            "rationale": chinese(f"**{decision['action']} ({decision['rating']})** ", RATIONALE_MAX),
        }
    return reply


_QUANT = re.compile(r"(?:stance|立场) (\w+)[,，] ?(?:score|评分) ([+-][\d.]+)[,，] ?(?:confidence|置信度) ([\d.]+)")
_DECISION = re.compile(r"^(?:Computed decision|量化决策): (\{.*\})$", re.MULTILINE)


def reply_to_prompt(prompt: str) -> dict[str, Any]:
    """What the fake model answers to an agent's user prompt (``llm.prompts.user_prompt``)."""
    stance, score, confidence = _QUANT.search(prompt).groups()
    found = _DECISION.search(prompt)
    decision = json.loads(found.group(1)) if found else None
    return maximal_reply(stance, float(score), float(confidence), decision)


class MaximalLLM:
    """An OpenAI-compatible ``/chat/completions`` on loopback that answers every agent with its longest reply."""

    def __init__(self) -> None:
        self.answered: Counter[str] = Counter()
        """Replies given, by the reply schema's name (``<agent_id>_reply``)."""
        llm = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
                prompt = next(m["content"] for m in body["messages"] if m["role"] == "user")
                llm.answered[body["response_format"]["json_schema"]["name"]] += 1
                content = json.dumps(reply_to_prompt(prompt), ensure_ascii=False)
                usage = {"prompt_tokens": 2000, "completion_tokens": 9000, "total_tokens": 11000}
                choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                payload = json.dumps({"id": "fake", "object": "chat.completion", "model": body["model"],
                                      "choices": [choice], "usage": usage}).encode()  # fmt: skip
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def __enter__(self) -> MaximalLLM:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def environment(self) -> dict[str, str]:
        """The functions' settings that send every agent's LLM step here, writing Chinese."""
        from investmind.roster import AGENT_IDS

        return {
            "INVESTMIND_LLM_PROVIDER": "none",
            "INVESTMIND_LLM_AGENTS": ",".join(f"{a}=openai" for a in AGENT_IDS),
            "INVESTMIND_LLM_MODEL": "gpt-4o-mini",
            "INVESTMIND_LLM_BASE_URL": self.url,
            "INVESTMIND_LLM_LANGUAGE": "zh",
        }


def maximal_results(symbol: str, as_of: Any) -> dict[str, Any]:
    """Every agent's result as the pipeline records it when the LLM gives its longest reply: the quant core on the
    bundled data, stage by stage, each merged with that reply by ``llm.reply.merge`` (the agents' own validation)."""
    from investmind.analysts import analyze
    from investmind.llm.prompts import user_prompt
    from investmind.llm.reply import merge
    from investmind.market import load_snapshot
    from investmind.models import TaskContext
    from investmind.roster import STAGE1_IDS, STAGES

    snapshot = load_snapshot(symbol, as_of)
    context = TaskContext(task_id="maximal", owner="tests", symbol=snapshot.symbol, as_of=snapshot.as_of,
                          agents=list(STAGE1_IDS), started_at="2026-01-01T00:00:00.000Z")  # fmt: skip
    out: dict[str, Any] = {}
    for specs in STAGES.values():
        upstream = dict(out)
        for spec in specs:
            quant = analyze(spec.agent_id, snapshot, upstream, STAGE1_IDS, language="zh")
            reply = reply_to_prompt(user_prompt(quant, context, upstream, "zh"))
            out[spec.agent_id] = merge(quant, reply, "zh", "openai:gpt-4o-mini")
    return out
