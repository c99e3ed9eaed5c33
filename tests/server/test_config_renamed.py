"""Renamed config keys: ``policies:`` is now ``translation:`` and its model lists ``model_access:``;
the old spelling still loads, with a deprecation (logged, and on ``Config.deprecations``)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from interlingua.server.cli import check_config
from interlingua.server.config import Config, ConfigError, Policies, TranslationConfig, load_config_text

PROVIDERS = """\
providers:
  - {name: openai, format: openai_chat, base_url: "http://127.0.0.1:9/v1"}
models:
  - {name: "gpt-*", provider: openai}
"""
OLD = PROVIDERS + """\
policies:
  default_max_tokens: 100
  model_allowlist: ["gpt-*"]
  model_blocklist: [gpt-4o]
"""


def test_config_policies_still_loads_as_translation_and_model_access(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="interlingua.config"):
        config = load_config_text(OLD, {}, source="gw.yaml")
    assert config.translation.default_max_tokens == 100
    assert config.model_access.allow == ("gpt-*",)
    assert config.model_access.block == ("gpt-4o",)
    assert config.deprecations == (
        "gw.yaml: line 7: policies.model_allowlist is deprecated: it is now model_access.allow"
        " (the old name still loads; rename it)",
        "gw.yaml: line 8: policies.model_blocklist is deprecated: it is now model_access.block"
        " (the old name still loads; rename it)",
        "gw.yaml: line 5: policies is deprecated: it is now translation (the old name still loads; rename it)",
    )
    assert [r.getMessage() for r in caplog.records] == list(config.deprecations)


def test_config_new_names_have_no_deprecations() -> None:
    text = PROVIDERS + "translation: {default_max_tokens: 100}\nmodel_access: {block: [gpt-4o]}\n"
    config = load_config_text(text, {})
    assert config.deprecations == ()
    assert config.model_access.block == ("gpt-4o",)


def test_config_error_under_old_name_is_named_as_written() -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(OLD.replace("default_max_tokens: 100", "default_max_tokens: lots"), {})
    assert "line 6: policies.default_max_tokens:" in str(info.value)


def test_config_old_and_new_name_together_is_an_error() -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(OLD + "translation: {allow_images: false}\n", {})
    assert "line 5: policies: the old name of translation, which is given too: keep one" in str(info.value)


def test_config_model_validate_migrates_without_touching_the_input() -> None:
    raw = {"policies": {"model_blocklist": ["x"], "documents": "drop"}}
    config = Config.model_validate(raw)
    assert config.model_access.block == ("x",)
    assert config.translation.documents == "drop"
    assert raw == {"policies": {"model_blocklist": ["x"], "documents": "drop"}}
    assert len(config.deprecations) == 2


def test_config_policies_class_name_still_imports() -> None:
    assert Policies is TranslationConfig


def test_check_config_prints_deprecations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text(OLD)
    assert check_config(str(path)) == 0
    captured = capsys.readouterr()
    assert "blocked models: gpt-4o" in captured.out
    assert f"warning: {path}: line 5: policies is deprecated: it is now translation" in captured.err
