"""Helpers of the issued-key, limit and budget tests (imported by name)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml
from server_helpers import free_port, make_config, wait_ready

from interlingua.server.config import Config
from interlingua.server.fake_upstream import FakeUpstream, demo_config

__all__ = ["ADMIN_KEY", "SECRET", "admin_client", "keys_config", "keys_raw_config", "serve_process"]

ADMIN_KEY = "admin-key-for-tests-0123456789"
SECRET = "server-secret-for-tests-0123456789"
INTERLINGUA = Path(sys.executable).with_name("interlingua")


def keys_raw_config(upstream: FakeUpstream, db: Path, **sections: Any) -> dict[str, Any]:
    raw = demo_config(upstream)
    raw["store"] = {"url": f"sqlite+aiosqlite:///{db}", "secret": SECRET, "revision_poll_ms": 100}
    raw["admin"] = {"api_key": ADMIN_KEY}
    raw.update(sections)
    return raw


def keys_config(upstream: FakeUpstream, db: Path, **sections: Any) -> Config:
    store = {"url": f"sqlite+aiosqlite:///{db}", "secret": SECRET, "revision_poll_ms": 100, **sections.pop("store", {})}
    return make_config(upstream, store=store, admin={"api_key": ADMIN_KEY}, **sections)


def admin_client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, headers={"authorization": f"Bearer {ADMIN_KEY}"}, timeout=10)


@asynccontextmanager
async def serve_process(config: dict[str, Any], tmp_path: Path, *args: str) -> AsyncIterator[str]:
    """``interlingua serve --config <config>`` as a real process on a free port; its URL."""
    port = free_port()
    config = {**config, "server": {**config.get("server", {}), "port": port}}
    path = tmp_path / f"gateway-{port}.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = await asyncio.create_subprocess_exec(
        str(INTERLINGUA), "serve", "--config", str(path), *args,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(url)
        yield url
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
