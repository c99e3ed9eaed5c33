"""Gateway tests: the real app on Hypercorn, the fake upstream (a real aiohttp server), loopback only.

``make_config(upstream, server=..., translation=..., providers=...)`` is the demo
config (see :mod:`interlingua.server.fake_upstream.config`) with sections overridden;
``gateway`` serves the plain demo config and yields its base URL; ``formats_client`` is an
httpx client of a gateway serving ``formats_config`` (every upstream format, one fake upstream);
``repo`` is a key repository on a fresh SQLite store; ``store_url`` a store's URL, once SQLite
and once a fresh PostgreSQL database (the stored-responses tests); ``issued_pair`` two SDK
clients of keys issued on a gateway with that store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import openai
import pytest
from keys_helpers import keys_config
from realservers import postgres_server, redis_cluster, redis_server
from responses_helpers import fresh_postgres, issued_clients, sqlite_url
from server_helpers import formats_config, make_config

from interlingua.server.config.store import StoreConfig
from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.keys.repository import KeyRepository
from interlingua.server.store import Store
from interlingua.server.testing import running_gateway


@pytest.fixture(params=["sqlite", "postgres"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return await fresh_postgres(request.getfixturevalue("postgres_url"))


@pytest.fixture
def up(upstream: FakeUpstream) -> FakeUpstream:
    """The suite's fake upstream (tests/conftest.py) under the short name its own tests use."""
    return upstream


@pytest.fixture
async def gateway(upstream: FakeUpstream) -> AsyncIterator[str]:
    async with running_gateway(make_config(upstream)) as url:
        yield url


@pytest.fixture
async def formats_client(upstream: FakeUpstream) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running_gateway(formats_config(upstream)) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as c,
    ):
        yield c


@pytest.fixture
async def client(gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as c:
        yield c


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL for the session (skips when not installed)."""
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis for the session (skips when not installed)."""
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_cluster_url() -> Iterator[str]:
    """A real three-node Redis Cluster for the session (skips when not installed)."""
    with redis_cluster() as url:
        yield url


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[KeyRepository]:
    store = Store.open(StoreConfig(data_dir=str(tmp_path)), env={})
    await store.migrate()
    yield KeyRepository(store)
    await store.close()


@pytest.fixture
async def issued_pair(
    upstream: FakeUpstream, store_url: str, tmp_path: Path
) -> AsyncIterator[tuple[openai.AsyncOpenAI, openai.AsyncOpenAI]]:
    """A gateway with a store at ``store_url`` (SQLite, then PostgreSQL); SDK clients of two
    keys issued by its admin API."""
    async with issued_clients(keys_config(upstream, tmp_path / "unused.db", store={"url": store_url})) as both:
        yield both
