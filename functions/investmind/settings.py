"""Configuration from the environment (template ``Globals`` on AWS, the embedded runtime locally)."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .market.base import PROVIDER_NAMES
from .roster import AGENT_IDS


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

    keys_table: str = ""
    """The API keys (``KeysTable``); read by the API function only."""
    jwt_issuer: str = ""
    """The ``iss`` of callers' JWTs (Cognito's user pool, another OIDC issuer, the embedded runtime's); empty: none."""
    jwt_audience: str = ""
    """The ``aud`` (or Cognito access tokens' ``client_id``) callers' JWTs must carry."""
    jwks_url: str = ""
    """The issuer's JWKS; by default ``<issuer>/.well-known/jwks.json``."""
    jwt_algorithms: str = "RS256,ES256"
    oauth_domain: str = ""
    """The console's sign-in (OAuth 2 code flow with PKCE): the authorization server's base URL, e.g. a
    Cognito hosted UI ``https://<prefix>.auth.<region>.amazoncognito.com``; empty: sign-in by API key only."""
    oauth_client_id: str = ""
    """The console's public app client (no secret: PKCE proves the code's requester)."""
    oauth_scopes: str = "openid email profile"
    admin_owners: str = ""
    """Comma-separated owners (a JWT's ``sub``, a key's owner) who administer every owner's API keys."""
    stream_token_ttl_s: int = Field(default=300, ge=30, le=3600)
    max_active_per_owner: int = Field(default=5, ge=1)
    """Quota: one owner's analyses queued or running at once (429 beyond)."""
    max_daily_per_owner: int = Field(default=200, ge=1)
    """Quota: one owner's analyses submitted in any 24 hours (429 beyond)."""

    # The reconciler (services/reconcile.py, docs/reliability.md). Its deadlines count from the task's creation and
    # sit beyond what the normal paths settle by: a failing start message reaches its DLQ after 3 receives of
    # 180 s (540 s), and the state machine times itself out 1800 s after its start (its TimeoutSeconds).
    reconcile_start_deadline_s: int = Field(default=900, ge=1)
    """A task still QUEUED with no execution this long after its creation never started: it ends FAILED."""
    reconcile_deadline_s: int = Field(default=3600, ge=1)
    """No task stays open longer: past it the execution is stopped and the task ends FAILED."""
    reconcile_max_tasks: int = Field(default=1000, ge=1)
    """Open tasks one reconciler run examines at most, oldest first: a bound on one run's work."""

    @property
    def admins(self) -> frozenset[str]:
        return frozenset(name.strip() for name in self.admin_owners.split(",") if name.strip())

    host: str = "127.0.0.1"
    """The address ``make run`` binds; a non-loopback one needs a configured key (``INVESTMIND_API_KEY``)."""
    port: int = 8000
    url: str = "http://127.0.0.1:8000"
    api_key: str = ""

    simulated_llm_ms: int = Field(default=0, ge=0)
    """Tests and benchmarks only: each agent waits this long after its computation, as an LLM call would."""

    data_providers: str = "bundled"
    """The market-data chain, tried in order for every part: ``bundled``, ``akshare``, ``tushare``."""
    data_timeout_s: float = Field(default=8.0, gt=0)
    """The longest one provider may take over one part of a snapshot before the next is tried."""
    market_cache_table: str = ""
    """The shared part cache (``MarketCacheTable``); used when the chain has a network provider."""
    market_cache_fresh_s: float = Field(default=900.0, gt=0)
    """How long a cached part of today's data is used before the providers are asked again."""
    market_cache_keep_days: float = Field(default=7.0, gt=0)
    """How long a cached part can still be served, marked stale, when every provider fails."""
    tushare_token: SecretStr = Field(default=SecretStr(""), repr=False)
    tushare_token_parameter: str = ""
    """On AWS: the SSM parameter (or ``secretsmanager:<id>`` / a secret's ARN) holding the token."""
    simulated_data_ms: int = Field(default=0, ge=0)
    """Benchmarks only: every market-data provider answers each part this much later."""

    @field_validator("data_providers")
    @classmethod
    def _known_providers(cls, value: str) -> str:
        names = [name.strip().lower() for name in value.split(",") if name.strip()]
        unknown = [name for name in names if name not in PROVIDER_NAMES]
        if not names or unknown or len(set(names)) != len(names):
            raise ValueError(f"INVESTMIND_DATA_PROVIDERS {value!r}: list some of {', '.join(PROVIDER_NAMES)} once each")
        return ",".join(names)

    @property
    def data_chain(self) -> tuple[str, ...]:
        return tuple(self.data_providers.split(","))

    llm_provider: Literal["none", "bedrock", "openai"] = "none"
    """The LLM step after each agent's quant core (``none``: the quant core alone)."""
    llm_model: str = ""
    llm_agents: str = ""
    """Per-agent overrides, ``agent=provider[:model]`` comma-separated: ``investment_gm=openai:gpt-4o,macro=none``."""
    llm_base_url: str = ""
    """The OpenAI-compatible endpoint, e.g. ``https://api.deepseek.com/v1``."""
    llm_api_key: SecretStr = Field(default=SecretStr(""), repr=False)
    """The OpenAI-compatible endpoint's key; a secret, so it never prints in a repr, a log line or an error."""
    llm_response_format: Literal["json_schema", "json_object"] = "json_schema"
    """``json_object`` for OpenAI-compatible servers without structured outputs (DeepSeek)."""
    llm_language: Literal["en", "zh"] = "en"
    llm_timeout_s: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=6)
    llm_backoff_s: float = Field(default=1.0, ge=0)
    llm_budget_s: float = Field(default=90.0, gt=0)
    """The whole LLM step of one agent (retries and the repair included) ends within this."""
    llm_max_tokens: int = Field(default=1500, ge=64)
    llm_temperature: float = Field(default=0.2, ge=0, le=2)
    llm_region: str = ""
    """Bedrock's region when it differs from the function's."""
    llm_prices: str = ""
    """JSON ``{"model": {"input": usd_per_mtok, "output": usd_per_mtok}}`` over ``llm/prices.json``."""

    @model_validator(mode="after")
    def _llm_complete(self) -> Settings:
        for agent_id in AGENT_IDS:
            provider, model = self.llm_choice(agent_id)
            if provider != "none" and not model:
                raise ValueError(f"{agent_id}: LLM provider {provider} needs a model (INVESTMIND_LLM_MODEL)")
            if provider == "openai" and not self.llm_base_url:
                raise ValueError(f"{agent_id}: the openai provider needs INVESTMIND_LLM_BASE_URL")
        return self

    def llm_choice(self, agent_id: str) -> tuple[str, str]:
        """(provider, model) of one agent: its ``llm_agents`` override, else the defaults."""
        for item in filter(None, (part.strip() for part in self.llm_agents.split(","))):
            name, _, spec = item.partition("=")
            provider, _, model = spec.strip().partition(":")
            if name.strip() not in AGENT_IDS or provider not in ("none", "bedrock", "openai"):
                raise ValueError(f"INVESTMIND_LLM_AGENTS: {item!r} is not agent=none|bedrock|openai[:model]")
            if name.strip() == agent_id:
                return provider, model or self.llm_model
        return self.llm_provider, self.llm_model

    @property
    def queue_urls(self) -> dict[str, str]:
        """The start queue of each priority (an unset one is empty: sending to it fails)."""
        return {"high": self.queue_high_url, "normal": self.queue_normal_url, "low": self.queue_low_url}


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
