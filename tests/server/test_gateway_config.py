"""Config: strict validation naming field and line, ${VAR} interpolation, defaults, check-config."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlingua.server.cli import check_config
from interlingua.server.config import ConfigError, default_config, load_config_text
from interlingua.translate import Format, Policy

GOOD = """\
server: {host: 127.0.0.1, port: 8080, max_body_bytes: 20000000, max_inflight: 512}
providers:
  - name: openai
    format: openai_chat
    base_url: https://api.openai.com/v1
    api_key: ${OPENAI_API_KEY}
    headers: {OpenAI-Organization: org-1}
    timeouts: {connect_ms: 5000, read_ms: 60000}
    dialect: {reasoning_field: reasoning_content}
  - name: anthropic
    format: anthropic_messages
    base_url: ${ANTHROPIC_BASE_URL:-https://api.anthropic.com}
    api_key: ${ANTHROPIC_API_KEY}
models:
  - name: claude-sonnet
    provider: anthropic
    upstream_model: claude-sonnet-4-5
    display_name: Claude Sonnet
  - name: gpt-*
    provider: openai
model_access: {allow: [], block: []}
translation: {allow_images: true, documents: reject, default_max_tokens: 4096,
              thinking_budget_to_effort: {4000: low, 8000: medium, 1000000: high}}
"""
ENV = {"OPENAI_API_KEY": "sk-openai", "ANTHROPIC_API_KEY": "sk-ant"}


def _error(text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config_text(text, ENV if env is None else env)
    return str(info.value)


def test_config_issue_example_loads() -> None:
    config = load_config_text(GOOD, ENV)
    assert [p.name for p in config.providers] == ["openai", "anthropic"]
    assert config.providers[0].format is Format.OPENAI_CHAT
    assert config.providers[0].api_key is not None
    assert config.providers[0].api_key.get_secret_value() == "sk-openai"
    assert config.providers[1].base_url == "https://api.anthropic.com"
    assert config.models[0].upstream_model == "claude-sonnet-4-5"


def test_config_secrets_hidden_in_repr() -> None:
    assert "sk-openai" not in repr(load_config_text(GOOD, ENV))


def test_config_unknown_key_names_field_and_line() -> None:
    message = _error(GOOD.replace("    dialect:", "    colour: red\n    dialect:"))
    assert "line 9" in message
    assert "providers[0].colour" in message
    assert "Extra inputs are not permitted" in message


def test_config_wrong_type_names_field_and_line() -> None:
    message = _error(GOOD.replace("read_ms: 60000", "read_ms: soon"))
    assert "line 8" in message
    assert "providers[0].timeouts.read_ms" in message


def test_config_bad_enum_names_field_and_line() -> None:
    message = _error(GOOD.replace("format: anthropic_messages", "format: gemini_rest"))
    assert "line 11" in message
    assert "providers[1].format" in message


def test_config_every_problem_reported() -> None:
    text = GOOD.replace("read_ms: 60000", "read_ms: soon").replace("documents: reject", "documents: shred")
    message = _error(text)
    assert "providers[0].timeouts.read_ms" in message
    assert "translation.documents" in message


def test_config_unset_variable_without_default_is_named() -> None:
    message = _error(GOOD, {"OPENAI_API_KEY": "x"})
    assert "ANTHROPIC_API_KEY" in message
    assert "line 13" in message


def test_config_variable_default_and_override() -> None:
    assert load_config_text(GOOD, ENV).providers[1].base_url == "https://api.anthropic.com"
    env = {**ENV, "ANTHROPIC_BASE_URL": "http://127.0.0.1:9/"}
    assert load_config_text(GOOD, env).providers[1].base_url == "http://127.0.0.1:9"


def test_config_interpolation_cannot_change_structure() -> None:
    config = load_config_text(GOOD, {**ENV, "OPENAI_API_KEY": "a: b # c\n- d"})
    assert config.providers[0].api_key is not None
    assert config.providers[0].api_key.get_secret_value() == "a: b # c\n- d"


def test_config_dollar_escape_is_literal() -> None:
    config = load_config_text(GOOD.replace("org-1", "'$${NOT_A_VAR}'"), ENV)
    assert config.providers[0].headers == {"OpenAI-Organization": "${NOT_A_VAR}"}


def test_config_interpolated_number_is_coerced() -> None:
    config = load_config_text("server: {port: '${PORT:-9090}'}\n", {})
    assert config.server.port == 9090


def test_config_unknown_provider_reference_names_model() -> None:
    message = _error(GOOD.replace("provider: openai", "provider: opnai"))
    assert "models[1].provider" in message
    assert "opnai" in message
    assert "line 20" in message


def test_config_duplicate_provider_name() -> None:
    message = _error(GOOD.replace("name: anthropic\n", "name: openai\n", 1))
    assert "duplicate provider name" in message
    assert "providers[1].name" in message


def test_config_duplicate_key_is_an_error() -> None:
    assert "duplicate key 'port'" in _error("server: {port: 1, port: 2}\n")


def test_config_yaml_syntax_error_names_line() -> None:
    assert "line 2" in _error("server:\n  port: [1\n")


def test_config_not_a_mapping() -> None:
    assert "must be a mapping" in _error("- 1\n")


def test_config_empty_api_key_rejected() -> None:
    assert "server.api_keys" in _error("server: {api_keys: ['${KEY:-}']}\n", {})


def test_config_translation_becomes_translator_policy() -> None:
    config = load_config_text(GOOD.replace("default_max_tokens: 4096", "default_max_tokens: 100"), ENV)
    policy = config.translation.to_policy(config.providers[0].dialect)
    assert isinstance(policy, Policy)
    assert policy.default_max_tokens == 100
    assert policy.thinking_budget_to_effort == ((4000, "low"), (8000, "medium"), (1_000_000, "high"))
    assert policy.reasoning_field == "reasoning_content"


def test_config_default_from_environment() -> None:
    config = default_config({"OPENAI_API_KEY": "sk-1", "ANTHROPIC_BASE_URL": "http://127.0.0.1:1"})
    assert [(p.name, p.format, p.base_url) for p in config.providers] == [
        ("openai", Format.OPENAI_CHAT, "https://api.openai.com/v1"),
        ("anthropic", Format.ANTHROPIC_MESSAGES, "http://127.0.0.1:1"),
    ]
    assert [(m.name, m.provider) for m in config.models] == [
        ("gpt-*", "openai"),
        ("o1*", "openai"),
        ("o3*", "openai"),
        ("o4*", "openai"),
        ("claude-*", "anthropic"),
    ]
    assert config.server.host == "127.0.0.1"


def test_config_default_without_environment_has_no_routes() -> None:
    config = default_config({})
    assert config.providers == ()
    assert config.models == ()


def test_check_config_prints_routing_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "gateway.yaml"
    path.write_text(GOOD)
    assert check_config(str(path)) == 0
    out = capsys.readouterr().out
    assert "claude-sonnet" in out
    assert "claude-sonnet-4-5" in out
    assert "anthropic (anthropic_messages" in out
    assert "gpt-*" in out
    assert "<as sent>" in out
    assert "sk-openai" not in out


def test_check_config_reports_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gateway.yaml"
    path.write_text("server: {prot: 1}\n")
    assert check_config(str(path)) == 1
    err = capsys.readouterr().err
    assert "line 1" in err
    assert "server.prot" in err
    assert check_config(str(tmp_path / "missing.yaml")) == 1
