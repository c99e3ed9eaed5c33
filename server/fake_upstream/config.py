"""The gateway config of demo mode: every demo model name routed to a FakeUpstream.

``interlingua serve --demo`` starts a :class:`FakeUpstream` and loads
``demo_config_yaml(upstream)``. The routes (first match wins):

=====================  ===========================  ==========================
client sends model     upstream (format)            upstream model
=====================  ===========================  ==========================
``gpt-4o-mini``        demo-openai (openai_chat)    same (passthrough for OpenAI clients)
``demo-gpt``           demo-openai                  ``gpt-4o-mini``
``claude-via-openai``  demo-openai                  ``gpt-4o-mini`` (Anthropic clients: translated)
``claude-sonnet-4-6``  demo-anthropic (anthropic)   same (passthrough for Anthropic clients)
``demo-claude``        demo-anthropic               ``claude-sonnet-4-6``
``gpt-via-anthropic``  demo-anthropic               ``claude-sonnet-4-6`` (OpenAI clients: translated)
``gpt-*``, ``o1*`` ..  demo-openai                  same
``gemini-2.5-flash``   demo-gemini (gemini)         same (passthrough for Gemini clients)
``demo-gemini``        demo-gemini                  ``gemini-2.5-flash``
``demo-responses``     demo-responses (responses)   ``gpt-5`` (openai_responses)
``demo-bedrock``       demo-bedrock (bedrock)       ``anthropic.claude-sonnet-4-5-v1:0``
``demo-azure``         demo-azure (openai_chat,     deployment ``gpt-4o-mini-prod``
                       dialect azure)
``anthropic.*``        demo-bedrock                 same (Bedrock model ids)
``gemini-*``           demo-gemini                  same
``gpt-*``, ``o1*`` ..  demo-openai                  same
``claude-*``           demo-anthropic               same
=====================  ===========================  ==========================

So any client format reaches any upstream format: ``demo-gpt`` (OpenAI chat),
``demo-claude`` (Anthropic), ``demo-gemini``, ``demo-responses``, ``demo-bedrock``.

The providers carry ``DEMO_UPSTREAM_KEY`` (Bedrock: the demo AWS credentials,
which the fake checks as a SigV4 signature); the fake upstream started by demo
mode requires it, so the demo also shows the gateway injecting upstream keys.
"""

from __future__ import annotations

from typing import Any

import yaml

from interlingua.server.fake_upstream.server import FakeUpstream
from interlingua.server.fake_upstream.sigv4 import DEMO_AWS_ACCESS_KEY_ID, DEMO_AWS_SECRET_ACCESS_KEY

__all__ = ["DEMO_ROUTES", "DEMO_UPSTREAM_KEY", "demo_config", "demo_config_yaml", "demo_provider"]

DEMO_UPSTREAM_KEY = "demo-upstream-key"

# (client model name, provider, upstream model or None, display name)
DEMO_ROUTES: tuple[tuple[str, str, str | None, str], ...] = (
    ("gpt-4o-mini", "demo-openai", None, "GPT-4o mini (demo)"),
    ("demo-gpt", "demo-openai", "gpt-4o-mini", "Demo GPT"),
    ("claude-via-openai", "demo-openai", "gpt-4o-mini", "Claude name served by the OpenAI-format demo"),
    ("claude-sonnet-4-6", "demo-anthropic", None, "Claude Sonnet 4.6 (demo)"),
    ("demo-claude", "demo-anthropic", "claude-sonnet-4-6", "Demo Claude"),
    (
        "gpt-via-anthropic",
        "demo-anthropic",
        "claude-sonnet-4-6",
        "GPT name served by the Anthropic-format demo",
    ),
    ("gemini-2.5-flash", "demo-gemini", None, "Gemini 2.5 Flash (demo)"),
    ("demo-gemini", "demo-gemini", "gemini-2.5-flash", "Demo Gemini"),
    ("demo-responses", "demo-responses", "gpt-5", "Demo model behind the OpenAI Responses API"),
    (
        "demo-bedrock",
        "demo-bedrock",
        "anthropic.claude-sonnet-4-5-v1:0",
        "Demo model behind Bedrock Converse",
    ),
    ("demo-azure", "demo-azure", "gpt-4o-mini-prod", "Demo Azure OpenAI deployment"),
    ("anthropic.*", "demo-bedrock", None, "Any Bedrock model id (demo)"),
    ("gemini-*", "demo-gemini", None, "Any Gemini name (demo)"),
    ("gpt-*", "demo-openai", None, "Any GPT name (demo)"),
    ("o[134]*", "demo-openai", None, "Any o-series name (demo)"),
    ("claude-*", "demo-anthropic", None, "Any Claude name (demo)"),
)


# (provider name, format, base URL property of FakeUpstream, extra settings)
_PROVIDERS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("demo-openai", "openai_chat", "openai_base_url", {}),
    ("demo-anthropic", "anthropic_messages", "anthropic_base_url", {}),
    ("demo-gemini", "gemini", "gemini_base_url", {}),
    ("demo-responses", "openai_responses", "responses_base_url", {}),
    ("demo-azure", "openai_chat", "base_url", {"dialect": "azure", "azure": {"api_version": "2024-10-21"}}),
    ("demo-bedrock", "bedrock_converse", "bedrock_base_url", {}),
)


def demo_provider(name: str, fmt: str, base_url: str, *, read_ms: int = 30_000) -> dict[str, Any]:
    """One provider of the fake upstream with its credentials: the demo key, or for Bedrock
    the demo AWS pair (the fake checks its SigV4 signature)."""
    provider: dict[str, Any] = {"name": name, "format": fmt, "base_url": base_url}
    if fmt == "bedrock_converse":
        provider["aws"] = {
            "region": "us-east-1",
            "access_key_id": DEMO_AWS_ACCESS_KEY_ID,
            "secret_access_key": DEMO_AWS_SECRET_ACCESS_KEY,
        }
    else:
        provider["api_key"] = DEMO_UPSTREAM_KEY
    # Generous: on loopback a connect never takes long, but a loaded test machine can keep the
    # event loop (shared with an in-process fake upstream) away for a second or two.
    provider["timeouts"] = {"connect_ms": 10_000, "read_ms": read_ms}
    return provider


def demo_config(
    upstream: FakeUpstream, *, host: str = "127.0.0.1", port: int = 8080, read_ms: int = 30_000
) -> dict[str, Any]:
    """The demo gateway config as a plain dict (the shape of docs/config.md)."""
    providers = [
        demo_provider(name, fmt, getattr(upstream, url), read_ms=read_ms) | extra
        for name, fmt, url, extra in _PROVIDERS
    ]
    models = [
        {"name": name, "provider": provider, "display_name": display}
        | ({"upstream_model": target} if target else {})
        for name, provider, target, display in DEMO_ROUTES
    ]
    return {"server": {"host": host, "port": port}, "providers": providers, "models": models}


def demo_config_yaml(
    upstream: FakeUpstream, *, host: str = "127.0.0.1", port: int = 8080, read_ms: int = 30_000
) -> str:
    """:func:`demo_config` as YAML text, for ``load_config_text(text, env)``."""
    config = demo_config(upstream, host=host, port=port, read_ms=read_ms)
    header = "# Interlingua demo mode: every model routes to the built-in fake upstream.\n"
    return header + yaml.safe_dump(config, sort_keys=False)
