"""LLM providers (Bedrock Converse, OpenAI-compatible) and the LLM step that follows each agent's quant core.

Importing this package is light: a provider's client library (boto3, httpx) loads only when an
agent is configured to use it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from .base import LLMConfig, LLMProvider
from .pricing import parse_overrides

if TYPE_CHECKING:
    from ..settings import Settings
    from .refine import Refiner

__all__ = ["LLMConfig", "LLMProvider", "config_for", "provider_for", "refiner"]


def config_for(settings: Settings, agent_id: str) -> LLMConfig | None:
    """The LLM configuration of ``agent_id``, or None when it runs its quant core alone."""
    provider, model = settings.llm_choice(agent_id)
    if provider == "none":
        return None
    return LLMConfig(
        provider=provider,
        model=model,
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key,
        response_format=settings.llm_response_format,
        language=settings.llm_language,
        timeout_s=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        backoff_s=settings.llm_backoff_s,
        budget_s=settings.llm_budget_s,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        region=settings.llm_region,
        prices=parse_overrides(settings.llm_prices),
    )


def provider_for(config: LLMConfig) -> LLMProvider:
    if config.provider == "bedrock":
        from ..adapters.bedrock import BedrockConverse

        return BedrockConverse(config.model, region=config.region, timeout_s=config.timeout_s)
    from .openai import OpenAICompatible

    return OpenAICompatible(config.base_url, config.model, config.api_key.get_secret_value(), config.response_format)


@lru_cache(maxsize=16)
def refiner(config: LLMConfig) -> Refiner:
    """The LLM step for ``config``, built once per process so its HTTP connections are reused."""
    from .refine import Refiner

    return Refiner(provider_for(config), config)
