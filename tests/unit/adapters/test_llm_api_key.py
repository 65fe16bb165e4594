"""The LLM endpoint's key on AWS: read from its SSM SecureString once per process, by the agents' composition."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from moto import mock_aws

from investmind.adapters import aws
from investmind.composition import llm
from investmind.settings import Settings

PARAMETER = "team-llm-key"
OPENAI = {"llm_provider": "openai", "llm_model": "deepseek-chat", "llm_base_url": "https://llm.example/v1"}


@pytest.fixture
def ssm() -> Iterator[object]:
    llm.api_key_from.cache_clear()
    with mock_aws():
        yield aws.client("ssm")
    llm.api_key_from.cache_clear()


def test_the_key_comes_from_its_secure_string_once_per_process(ssm):
    ssm.put_parameter(Name=PARAMETER, Type="SecureString", Value="sk-first-value")
    settings = Settings(**OPENAI, llm_api_key_parameter=PARAMETER)
    config = llm.config_for(settings, "macro")
    assert config is not None and config.api_key.get_secret_value() == "sk-first-value"
    assert "sk-first-value" not in repr(config)
    # a rotated parameter is read by the next cold start, not by every invocation
    ssm.put_parameter(Name=PARAMETER, Type="SecureString", Value="sk-rotated", Overwrite=True)
    assert llm.config_for(settings, "investment_gm").api_key.get_secret_value() == "sk-first-value"


def test_a_key_in_the_settings_wins_and_other_providers_read_nothing(ssm):
    # no parameter exists: reading it would warn and give an empty key
    local = llm.config_for(Settings(**OPENAI, llm_api_key="sk-local", llm_api_key_parameter=PARAMETER), "macro")
    assert local.api_key.get_secret_value() == "sk-local"
    bedrock = Settings(llm_provider="bedrock", llm_model="m", llm_api_key_parameter=PARAMETER)
    assert llm.config_for(bedrock, "macro").api_key.get_secret_value() == ""
    assert llm.config_for(Settings(llm_api_key_parameter=PARAMETER), "macro") is None
    assert llm.api_key_from.cache_info().currsize == 0


def test_a_missing_parameter_gives_no_key_and_says_which(ssm, caplog):
    with caplog.at_level(logging.WARNING, logger="investmind.composition.llm"):
        config = llm.config_for(Settings(**OPENAI, llm_api_key_parameter="nobody-made-this"), "macro")
    assert config.api_key.get_secret_value() == ""
    assert "no SSM parameter 'nobody-made-this'" in caplog.text
