"""The LLM step after an agent's quant core: call, retry, validate, repair once, or fall back to the quant result."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..models import AgentResult, AgentStatus, TaskContext, Usage
from .base import Completion, LLMConfig, LLMError, LLMProvider, LLMRequest, LLMRetryable, Repair
from .pricing import price_for
from .prompts import repair_prompt, system_prompt, user_prompt
from .reply import InvalidReply, merge, reply_model
from .schema import output_schema

logger = logging.getLogger(__name__)

Emit = Callable[[str, str, dict[str, Any]], None]
"""``emit(level, message, data)``: a ``log`` event in the task's log, written as it happens."""
MIN_CALL_S = 1.0
"""A call with less time than this left is not started: it could not finish."""


class _GiveUp(Exception):
    """The LLM step ends here and the quant result stands; the message says why."""


@dataclass
class _Run:
    """One agent's LLM step: its deadline and the usage of every call, failed ones included."""

    agent_id: str
    deadline: float
    usage: Usage = field(default_factory=Usage)


class Refiner:
    """Runs the LLM step for one agent's result (see ``__call__``); shared by every invocation of a process."""

    def __init__(
        self,
        provider: LLMProvider,
        config: LLMConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.provider = provider
        self.config = config
        self.sleep, self.clock, self.jitter = sleep, clock, jitter
        self.price = price_for(config.model, config.prices)

    def __call__(
        self,
        quant: AgentResult,
        context: TaskContext,
        upstream: Mapping[str, AgentResult],
        emit: Emit,
        deadline: float | None = None,
    ) -> AgentResult:
        """The LLM's version of ``quant``, or ``quant`` with ``fallback: true`` when the LLM could not give a valid one.

        Parameters
        ----------
        quant
            The quant core's result; a failed or skipped one is returned as it is.
        context, upstream
            What the prompt tells the model about the stock and the earlier agents.
        emit
            Writes a ``log`` event: every retry, the repair request, the fallback and the final usage.
        deadline
            ``clock()`` value by which the step must end (e.g. from Lambda's remaining time); the
            configured budget applies when it is earlier.
        """
        if quant.status != AgentStatus.succeeded:
            return quant
        budget_end = self.clock() + self.config.budget_s
        run = _Run(quant.agent_id, min(budget_end, deadline) if deadline is not None else budget_end)
        language = self.config.language
        request = LLMRequest(
            system=system_prompt(quant, language),
            prompt=user_prompt(quant, context, upstream, language),
            schema=output_schema(reply_model(quant.agent_id)),
            schema_name=f"{quant.agent_id}_reply",
            max_tokens=self.config.max_tokens,
            temperature=self.config.temperature,
        )
        try:
            result = self._attempts(quant, request, run, emit)
        except _GiveUp as exc:
            result = quant.model_copy(update={"fallback": True, "usage": run.usage})
            emit(
                "warning",
                f"{quant.agent_id}: {self.config.label} gave no usable answer; the quant result stands: {exc}",
                {"fallback": True, "reason": str(exc), "provider": self.config.label},
            )
        self._report(run, result, emit)
        return result

    def _attempts(self, quant: AgentResult, request: LLMRequest, run: _Run, emit: Emit) -> AgentResult:
        """The first answer and, when it is invalid, one repair: the reply that validates, or ``_GiveUp``."""
        completion = self._call(request, run, emit)
        try:
            return self._merge(quant, completion, run)
        except InvalidReply as exc:
            problems = str(exc)
        emit(
            "warning",
            f"{quant.agent_id}: {self.config.label} answer rejected ({problems}); asking once for a repair",
            {"problems": problems, "provider": self.config.label},
        )
        repair = Repair(previous=completion, problems=repair_prompt(problems, self.config.language))
        completion = self._call(replace(request, repair=repair), run, emit)
        try:
            return self._merge(quant, completion, run)
        except InvalidReply as exc:
            raise _GiveUp(f"invalid again after one repair: {exc}") from exc

    def _merge(self, quant: AgentResult, completion: Completion, run: _Run) -> AgentResult:
        if completion.data is None:
            raise InvalidReply(completion.problem or "no JSON object in the answer")
        merged = merge(quant, completion.data, self.config.language, self.config.label)
        return merged.model_copy(update={"usage": run.usage})

    def _call(self, request: LLMRequest, run: _Run, emit: Emit) -> Completion:
        """One answer, retrying throttling, server errors and timeouts with capped exponential backoff and jitter."""
        attempt = 0
        while True:
            remaining = run.deadline - self.clock()
            if remaining < MIN_CALL_S:
                raise _GiveUp(f"out of time ({self.config.budget_s:g} s budget)")
            attempt += 1
            try:
                completion = self.provider.complete(request, timeout_s=min(self.config.timeout_s, remaining))
            except LLMRetryable as exc:
                run.usage = run.usage + Usage(llm_calls=1)
                if attempt > self.config.max_retries:
                    raise _GiveUp(f"{exc} after {attempt} attempts") from exc
                delay = self._backoff(attempt, exc.retry_after_s)
                if self.clock() + delay + MIN_CALL_S > run.deadline:
                    raise _GiveUp(f"{exc}; no time left to retry") from exc
                emit(
                    "warning",
                    f"{run.agent_id}: {self.config.label} call {attempt} failed ({exc}); "
                    f"retry {attempt}/{self.config.max_retries} in {delay:.2f} s",
                    {"attempt": attempt, "error": str(exc), "delay_s": round(delay, 3), "provider": self.config.label},
                )
                self.sleep(delay)
                continue
            except LLMError as exc:
                run.usage = run.usage + Usage(llm_calls=1)
                raise _GiveUp(str(exc)) from exc
            run.usage = run.usage + self._usage(completion)
            return completion

    def _backoff(self, attempt: int, retry_after_s: float | None) -> float:
        """Equal jitter: half the capped exponential step for sure, the other half at random (so a burst of
        agents throttled together spreads out); never less than the server's Retry-After."""
        step = min(self.config.max_backoff_s, self.config.backoff_s * 2 ** (attempt - 1))
        delay = step / 2 + self.jitter() * step / 2
        return max(delay, retry_after_s or 0.0)

    def _usage(self, completion: Completion) -> Usage:
        cost = self.price.cost(completion.tokens_in, completion.tokens_out) if self.price else 0.0
        return Usage(
            llm_calls=1,
            tokens_in=completion.tokens_in,
            tokens_out=completion.tokens_out,
            latency_ms=completion.latency_ms,
            cost_usd=cost,
        )

    def _report(self, run: _Run, result: AgentResult, emit: Emit) -> None:
        u = run.usage
        priced = "" if self.price else f" (no price for {self.config.model} in prices.json: cost counted as 0)"
        emit(
            "info" if self.price else "warning",
            f"{run.agent_id}: {self.config.label} {u.llm_calls} call(s), {u.tokens_in} in / {u.tokens_out} out "
            f"tokens, ${u.cost_usd:.6f}, {u.latency_ms} ms{priced}",
            {"usage": u.model_dump(mode="json"), "provider": self.config.label, "fallback": result.fallback},
        )
