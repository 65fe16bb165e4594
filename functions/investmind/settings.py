"""Configuration from the environment (template ``Globals`` on AWS, the embedded runtime locally)."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every ``INVESTMIND_*`` variable, read once per process through :func:`get_settings`."""

    model_config = SettingsConfigDict(env_prefix="INVESTMIND_", extra="ignore", populate_by_name=True)

    tasks_table: str = ""
    events_table: str = ""
    queue_high_url: str = ""
    queue_normal_url: str = ""
    queue_low_url: str = ""
    state_machine_arn: str = ""
    agent_id: str = Field(default="", validation_alias=AliasChoices("AGENT_ID", "INVESTMIND_AGENT_ID"))
    """Set on each agent function: which roster entry this Lambda runs."""

    task_ttl_days: int = Field(default=30, ge=1)
    sse_mode: Literal["stream", "bounded"] = "stream"
    """``bounded`` under Mangum (Lambda buffers responses; API Gateway cuts at ~30 s)."""
    sse_poll_ms: int = Field(default=100, ge=10)
    sse_heartbeat_s: float = Field(default=15.0, gt=0)
    sse_bounded_wait_s: float = Field(default=20.0, gt=0)
    sse_linger_s: float = Field(default=0.3, ge=0)

    port: int = 8000
    url: str = "http://127.0.0.1:8000"
    api_key: str = ""

    simulated_llm_ms: int = Field(default=0, ge=0)
    """Tests and benchmarks only: each agent waits this long after its computation, as an LLM call would."""
    faults: str = ""
    """Tests and benchmarks only: a JSON fault plan (see ``investmind.faults``)."""

    def queue_url(self, priority: str) -> str:
        url = {"high": self.queue_high_url, "normal": self.queue_normal_url, "low": self.queue_low_url}[priority]
        if not url:
            raise RuntimeError(f"INVESTMIND_QUEUE_{priority.upper()}_URL is not set")
        return url


# The embedded runtime runs every function in one process, so a function's own environment
# (AGENT_ID differs per agent function) cannot live in os.environ: it sets this overlay around
# each in-process invocation instead. On Lambda it is never set.
function_environment: ContextVar[Mapping[str, str] | None] = ContextVar("function_environment", default=None)


def get_settings() -> Settings:
    overlay = function_environment.get()
    return _settings(tuple(sorted(overlay.items())) if overlay else ())


@lru_cache(maxsize=64)
def _settings(overlay: tuple[tuple[str, str], ...]) -> Settings:
    fields: dict[str, str] = {}
    for name, value in overlay:
        key = "agent_id" if name == "AGENT_ID" else name.removeprefix("INVESTMIND_").lower()
        if name.startswith("INVESTMIND_") or name == "AGENT_ID":
            fields[key] = value
    return Settings(**fields)


get_settings.cache_clear = _settings.cache_clear  # type: ignore[attr-defined]
