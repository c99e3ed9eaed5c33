"""docs/config.md documents every config key: each field of the config models appears in its
reference block at the right place, and the block is itself a config the gateway accepts."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from tls_helpers import self_signed

from interlingua.server.config import Config, load_config_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "config.md"
ENV = {"GATEWAY_KEY": "gw-key", "OPENAI_API_KEY": "sk-1", "AZURE_OPENAI_API_KEY": "az-1",
       "MY_KEY_ID": "AKIDEXAMPLE", "MY_SECRET": "secret",
       "INTERLINGUA_SECRET": "s" * 32, "INTERLINGUA_ADMIN_KEY": "a" * 32}

FREE_FORM = ("headers", "thinking_budget_to_effort", "inject_headers")


def _reference() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("```yaml\n") + len("```yaml\n")
    return text[start : text.index("```", start)]


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    """The config models inside a field's type (``X | None``, ``tuple[X, ...]``, ``dict[str, X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    elif typing.get_origin(annotation) in (typing.Union, types.UnionType, tuple, dict):
        for arg in typing.get_args(annotation):
            yield from _models(arg)


def _field_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, field in model.model_fields.items():
        yield (*prefix, name)
        for inner in _models(field.annotation):
            yield from _field_paths(inner, (*prefix, name))


def _documented(value: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Key paths of the reference; list items share their list's path."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, str(key))
            yield from _documented(inner, (*prefix, str(key)))
    elif isinstance(value, list):
        for item in value:
            yield from _documented(item, prefix)


def test_config_reference_documents_every_field() -> None:
    documented = set(_documented(yaml.safe_load(_reference())))
    missing = [".".join(path) for path in _field_paths(Config) if path not in documented]
    assert not missing, f"docs/config.md does not document: {', '.join(missing)}"


def test_config_reference_documents_no_unknown_key() -> None:
    unknown = set(_documented(yaml.safe_load(_reference()))) - set(_field_paths(Config))
    # Free-form mappings hold example keys, not fields.
    assert {path for path in unknown if path[-2] not in FREE_FORM} == set()


def test_config_reference_is_a_valid_config(tmp_path: Path) -> None:
    certfile, keyfile = self_signed(tmp_path)  # the reference's TLS files, made here
    text = _reference().replace("/etc/interlingua/tls/cert.pem", str(certfile))
    config = load_config_text(text.replace("/etc/interlingua/tls/key.pem", str(keyfile)), ENV)
    assert config.deprecations == ()
    assert [p.name for p in config.providers] == ["openai", "openai-pool", "azure", "bedrock"]
