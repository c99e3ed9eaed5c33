"""Shared helpers of the gateway tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from typing import Any

from interlingua.server.config import Config
from interlingua.server.demo import FakeUpstream, demo_config


def make_config(upstream: FakeUpstream, *, read_ms: int = 5_000, **sections: Any) -> Config:
    raw = demo_config(upstream, read_ms=read_ms)
    for name, value in sections.items():
        if isinstance(value, dict) and isinstance(raw.get(name), dict):
            raw[name] = {**raw[name], **value}
        else:
            raw[name] = value
    return Config.model_validate(raw)


OPENAI_BODY: dict[str, Any] = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
ANTHROPIC_BODY: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "hi"}],
}
