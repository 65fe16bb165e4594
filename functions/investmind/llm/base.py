"""The LLM port: what a provider is asked, what it answers, how it fails, and how it is configured."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import SecretStr

ProviderName = Literal["bedrock", "openai"]


@dataclass(frozen=True, slots=True)
class LLMConfig:
    """One agent's LLM settings, as plain values (built from ``Settings`` by ``llm.config_for``)."""

    provider: ProviderName
    model: str
    base_url: str = ""
    api_key: SecretStr = field(default=SecretStr(""), repr=False)
    response_format: Literal["json_schema", "json_object"] = "json_schema"
    language: Literal["en", "zh"] = "en"
    timeout_s: float = 30.0
    max_retries: int = 2
    backoff_s: float = 1.0
    max_backoff_s: float = 8.0
    budget_s: float = 90.0
    """The whole LLM step (calls, retries, the repair) ends by then, whatever is left of it."""
    max_tokens: int = 1500
    temperature: float = 0.2
    region: str = ""
    prices: tuple[tuple[str, float, float], ...] = ()
    """(model, USD per million input tokens, per million output tokens): overrides of ``prices.json``."""

    @property
    def label(self) -> str:
        """What ``AgentResult.provider`` says, e.g. ``openai:deepseek-chat``."""
        return f"{self.provider}:{self.model}"


@dataclass(frozen=True, slots=True)
class Repair:
    """The previous, invalid reply and what was wrong with it: the provider turns it into a follow-up turn."""

    previous: Completion
    problems: str


@dataclass(frozen=True, slots=True)
class LLMRequest:
    system: str
    prompt: str
    schema: dict[str, Any]
    """JSON Schema of the reply (the output format for ``openai``, the tool's input for ``bedrock``)."""
    schema_name: str
    max_tokens: int
    temperature: float
    repair: Repair | None = None


@dataclass(frozen=True, slots=True)
class Completion:
    """One provider answer: the parsed object (None when it was not a JSON object) and the provider's usage."""

    data: dict[str, Any] | None
    text: str
    tokens_in: int
    tokens_out: int
    latency_ms: int
    problem: str | None = None
    """Why ``data`` is None (not JSON, no tool call…)."""
    call_id: str | None = None
    """Bedrock's toolUseId, echoed back in a repair turn."""


class LLMProvider(Protocol):
    """A chat model that answers a request with a JSON object matching ``request.schema``."""

    name: ProviderName
    model: str

    def complete(self, request: LLMRequest, timeout_s: float) -> Completion: ...


class LLMError(Exception):
    """A provider call failed in a way a retry will not fix (bad request, auth, unknown model)."""


class LLMRetryable(LLMError):
    """Throttled (429), a server error (5xx) or a dropped connection: worth a retry after a pause."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class LLMTimeout(LLMRetryable):
    """No answer within the call's timeout."""


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse_object(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """The JSON object in ``text`` (a Markdown code fence around it is tolerated), or the reason there is none."""
    fenced = _FENCE.match(text or "")
    body = fenced.group(1) if fenced else (text or "")
    try:
        value = json.loads(body)
    except ValueError as exc:
        return None, f"the reply is not valid JSON ({exc})"
    if not isinstance(value, dict):
        return None, f"the reply is JSON but not an object ({type(value).__name__})"
    return value, None


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds (an HTTP date is ignored)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
