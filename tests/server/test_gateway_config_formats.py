"""Config for the issue-4 providers: formats, dialects, the azure and aws sections,
AWS credentials from the standard variables, field+line errors."""

from __future__ import annotations

import pytest

from interlingua.server.adapters import adapter_for
from interlingua.server.config import ConfigError, default_config, load_config_text
from interlingua.translate import Format

PROVIDERS = """\
providers:
  - name: gemini
    format: gemini
    base_url: https://generativelanguage.googleapis.com
    api_key: ${GEMINI_API_KEY}
  - name: responses
    format: openai_responses
    base_url: https://api.openai.com/v1
  - name: bedrock
    format: bedrock_converse
  - name: azure
    format: openai_chat
    base_url: https://res.openai.azure.com
    dialect: azure
    azure: {api_version: 2025-01-01-preview, deployment: gpt4o-prod}
  - name: router
    format: openai_chat
    base_url: https://openrouter.ai/api/v1
    dialect: openrouter
models:
  - {name: "*", provider: gemini}
"""
AWS_ENV = {
    "GEMINI_API_KEY": "g",
    "AWS_REGION": "eu-central-1",
    "AWS_ACCESS_KEY_ID": "AKIA1",
    "AWS_SECRET_ACCESS_KEY": "s",
}


def _error(text: str, env: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as info:
        load_config_text(text, env)
    return str(info.value)


def test_config_new_formats_and_dialects_load() -> None:
    config = load_config_text(PROVIDERS, AWS_ENV)
    gemini, responses, bedrock, azure, router = config.providers
    assert gemini.format is Format.GEMINI
    assert responses.format is Format.OPENAI_RESPONSES
    assert bedrock.aws is not None
    assert (bedrock.aws.region, bedrock.aws.access_key_id) == ("eu-central-1", "AKIA1")
    assert bedrock.aws.session_token is None
    assert bedrock.url == "https://bedrock-runtime.eu-central-1.amazonaws.com"
    assert azure.azure is not None
    assert azure.azure.deployment == "gpt4o-prod"
    assert router.dialect.reasoning == "reasoning"
    assert router.dialect.max_tokens == "max_tokens"
    policy = config.translation.to_policy(router.dialect)
    assert (policy.reasoning_field, policy.openai_max_tokens_field) == ("reasoning", "max_tokens")
    assert "AKIA1" in repr(bedrock.aws)  # the key id is not secret
    assert "'s'" not in repr(bedrock.aws)  # the secret is


def test_config_adapter_urls() -> None:
    config = load_config_text(PROVIDERS, AWS_ENV)
    gemini, responses, bedrock, azure, _ = (adapter_for(p) for p in config.providers)
    assert str(gemini.url("generate", "gemini-2.5-pro", True)) == (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    )
    assert str(gemini.url("count_tokens", "gemini-2.5-pro", False)).endswith("/gemini-2.5-pro:countTokens")
    assert str(responses.url("generate", "gpt-5", True)) == "https://api.openai.com/v1/responses"
    assert str(bedrock.url("generate", "arn:aws:bedrock:us-east-1:1:inference-profile/x", True)) == (
        "https://bedrock-runtime.eu-central-1.amazonaws.com/model/"
        "arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fx/converse-stream"
    )
    assert str(azure.url("generate", "anything", False)) == (
        "https://res.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2025-01-01-preview"
    )


def test_config_aws_keys_in_config_win_over_environment() -> None:
    text = PROVIDERS.replace(
        "    format: bedrock_converse\n",
        "    format: bedrock_converse\n    aws: {region: us-west-2, access_key_id: AKIA2, secret_access_key: x, session_token: t}\n",
    )
    aws = load_config_text(text, AWS_ENV).providers[2].aws
    assert aws is not None
    assert (aws.region, aws.access_key_id) == ("us-west-2", "AKIA2")
    assert aws.session_token is not None


def test_config_aws_missing_credentials_named() -> None:
    message = _error(PROVIDERS, {"GEMINI_API_KEY": "g", "AWS_DEFAULT_REGION": "us-east-1"})
    assert "providers[2].aws" in message
    assert "AWS_ACCESS_KEY_ID" in message
    assert "line 9" in message
    assert "aws: region: not set" in _error(PROVIDERS, {"GEMINI_API_KEY": "g"})
    # A Bedrock API key replaces the SigV4 credentials (the region is still needed).
    text = PROVIDERS.replace(
        "    format: bedrock_converse\n", "    format: bedrock_converse\n    api_key: k\n"
    )
    bedrock = load_config_text(text, {"GEMINI_API_KEY": "g", "AWS_REGION": "us-east-2"}).providers[2]
    assert bedrock.aws is not None
    assert bedrock.aws.access_key_id is None


def test_config_dialect_only_for_openai_chat() -> None:
    text = PROVIDERS.replace(
        "    format: openai_responses\n", "    format: openai_responses\n    dialect: vllm\n"
    )
    message = _error(text, AWS_ENV)
    assert "providers[1].dialect" in message
    assert "line 8" in message


def test_config_unknown_dialect_and_misplaced_sections() -> None:
    assert "providers[4].dialect.name" in _error(
        PROVIDERS.replace("dialect: openrouter", "dialect: groq"), AWS_ENV
    )
    message = _error(PROVIDERS.replace("    dialect: azure\n", ""), AWS_ENV)
    assert "providers[3].azure" in message
    assert "only with dialect: azure" in message
    message = _error(
        PROVIDERS.replace("    format: gemini\n", "    format: gemini\n    aws: {region: x}\n"), AWS_ENV
    )
    assert "providers[0].aws" in message


def test_config_base_url_required_except_bedrock() -> None:
    message = _error(PROVIDERS.replace("    base_url: https://openrouter.ai/api/v1\n", ""), AWS_ENV)
    assert "providers[4].base_url" in message
    assert "required" in message


def test_default_config_serves_gemini_from_its_key() -> None:
    config = default_config({"GEMINI_API_KEY": "g"})
    assert [(p.name, p.format, p.base_url) for p in config.providers] == [
        ("gemini", Format.GEMINI, "https://generativelanguage.googleapis.com")
    ]
    assert [(m.name, m.provider) for m in config.models] == [("gemini-*", "gemini")]
