"""The embedded config (``interlingua serve`` without ``--config``): a provider per API key
(or base URL) found in the environment, and routes by model-name prefix."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr

from interlingua.server.config.models import ModelRoute
from interlingua.server.config.providers import ProviderConfig
from interlingua.server.config.root import Config
from interlingua.server.config.store import StoreConfig
from interlingua.translate import Format

__all__ = ["default_config", "default_data_dir"]

# (provider, format, key variable, base URL variable, default base URL)
_PROVIDERS = (
    ("openai", Format.OPENAI_CHAT, "OPENAI_API_KEY", "OPENAI_BASE_URL", "https://api.openai.com/v1"),
    ("anthropic", Format.ANTHROPIC_MESSAGES, "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "https://api.anthropic.com"),
    ("gemini", Format.GEMINI, "GEMINI_API_KEY", "GEMINI_BASE_URL", "https://generativelanguage.googleapis.com"),
)
_ROUTES = (
    ("gpt-*", "openai"),
    ("o1*", "openai"),
    ("o3*", "openai"),
    ("o4*", "openai"),
    ("claude-*", "anthropic"),
    ("gemini-*", "gemini"),
)


def default_config(env: Mapping[str, str] | None = None) -> Config:
    """The embedded config for ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    providers: list[ProviderConfig] = []
    for name, fmt, key_var, url_var, url in _PROVIDERS:
        key, base_url = env.get(key_var) or None, env.get(url_var) or None
        if key or base_url:
            providers.append(
                ProviderConfig(
                    name=name, format=fmt, base_url=base_url or url, api_key=SecretStr(key) if key else None
                )
            )
    present = {p.name for p in providers}
    models = tuple(ModelRoute(name=glob, provider=name) for glob, name in _ROUTES if name in present)
    return Config(providers=tuple(providers), models=models, store=StoreConfig(data_dir=default_data_dir(env)))


def default_data_dir(env: Mapping[str, str]) -> str:
    """Where the store lives without a config file: ``$XDG_DATA_HOME/interlingua``."""
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "interlingua")
