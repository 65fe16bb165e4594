"""The agents' LLM configuration: the settings, plus the OpenAI-compatible endpoint's key from SSM on AWS.

The key never travels in an environment variable on AWS (docs/security.md): the agent functions get the name of
its SSM parameter (``INVESTMIND_LLM_API_KEY_PARAMETER``) and read it once per process, on the first analysis
that needs it. ``INVESTMIND_LLM_API_KEY`` (local runs and tests) wins over the parameter when set.
"""

from __future__ import annotations

import dataclasses
import logging
from functools import lru_cache
from typing import TYPE_CHECKING

from pydantic import SecretStr

from .. import llm

if TYPE_CHECKING:
    from ..llm.base import LLMConfig
    from ..settings import Settings

logger = logging.getLogger(__name__)


def config_for(settings: Settings, agent_id: str) -> LLMConfig | None:
    """``llm.config_for``, with the endpoint's key read from its parameter when the settings hold none."""
    config = llm.config_for(settings, agent_id)
    if config is None or config.provider != "openai" or config.api_key.get_secret_value():
        return config
    if not settings.llm_api_key_parameter:
        return config
    return dataclasses.replace(config, api_key=api_key_from(settings.llm_api_key_parameter))


@lru_cache(maxsize=4)
def api_key_from(parameter: str) -> SecretStr:
    """The key stored under ``parameter`` (SSM SecureString, or a Secrets Manager secret), read once per process.

    A missing parameter gives an empty key and a warning: an endpoint that needs a key then answers 401 and the
    LLM step falls back to the quant core, saying why (a local server may need no key at all).
    """
    from ..adapters import aws  # deferred: boto3 loads only when an agent uses the openai provider
    from ..adapters.secrets import read_secret

    try:
        return SecretStr(read_secret(parameter, aws.client))
    except LookupError as exc:
        logger.warning("no LLM API key: %s; calling the endpoint without one", exc)
        return SecretStr("")
