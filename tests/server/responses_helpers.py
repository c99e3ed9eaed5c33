"""Helpers of the stored-responses tests (imported by name): a gateway with a store on
SQLite or PostgreSQL, two static keys, and an OpenAI SDK client per key."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
from keys_helpers import admin_client
from realservers import fresh_database
from server_helpers import formats_config

from interlingua.server.config import Config
from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway

__all__ = [
    "KEY_A",
    "KEY_B",
    "TRANSLATED",
    "fresh_postgres",
    "issue_key",
    "issued_clients",
    "sdk",
    "stateful_config",
    "two_clients",
]

KEY_A = "key-a-0123456789abcdef"
KEY_B = "key-b-0123456789abcdef"
SECRET = "server-secret-for-tests-0123456789"
# Responses clients' model names routed to each non-Responses upstream format (formats_config).
TRANSLATED = {
    "openai_chat": "gemini-via-openai",
    "anthropic_messages": "responses-via-anthropic",
    "gemini": "gpt-via-gemini",
    "bedrock_converse": "claude-via-bedrock",
}
_names = itertools.count()


async def fresh_postgres(postgres_url: str) -> str:
    """A new empty database on the session's PostgreSQL; its URL."""
    return await fresh_database(postgres_url, f"responses_{next(_names)}")


def stateful_config(upstream: FakeUpstream, url: str, **sections: Any) -> Config:
    """``formats_config`` with a store at ``url``, keys A and B, and ``sections`` over it."""
    return formats_config(
        upstream, **{"store": {"url": url, "secret": SECRET}, "server": {"api_keys": [KEY_A, KEY_B]}, **sections}
    )


def sdk(http: httpx.AsyncClient, key: str) -> openai.AsyncOpenAI:
    base = str(http.base_url).rstrip("/") + "/v1"
    return openai.AsyncOpenAI(base_url=base, api_key=key, http_client=http, max_retries=0)


@asynccontextmanager
async def two_clients(config: Config) -> AsyncIterator[tuple[openai.AsyncOpenAI, openai.AsyncOpenAI]]:
    """A gateway serving ``config``; SDK clients of key A and key B."""
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url, timeout=20) as http:
        yield sdk(http, KEY_A), sdk(http, KEY_B)


async def issue_key(url: str, name: str) -> str:
    """A new key issued through the admin API of the gateway at ``url``; the key."""
    async with admin_client(url) as admin:
        r = await admin.post("/admin/keys", json={"name": name})
        assert r.status_code == 201, r.text
        return str(r.json()["key"])


@asynccontextmanager
async def issued_clients(config: Config) -> AsyncIterator[tuple[openai.AsyncOpenAI, openai.AsyncOpenAI]]:
    """A gateway serving ``config``; SDK clients of two keys issued by its admin API."""
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield sdk(http, await issue_key(url, "alice")), sdk(http, await issue_key(url, "bob"))


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
