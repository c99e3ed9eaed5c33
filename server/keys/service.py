"""Issued keys in one process: the store, the repository, the authenticator and the usage
writer (``store`` config section). Long-lived: made once per process, started and stopped
with serving, shared by every config snapshot (a reload does not reopen the store)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from interlingua.server.config.store import StoreConfig
from interlingua.server.keys.authenticator import VirtualKeyAuthenticator
from interlingua.server.keys.repository import KeyRepository
from interlingua.server.limits.usage import UsageRecorder
from interlingua.server.store import Store

__all__ = ["KeyService"]

log = logging.getLogger("interlingua.keys")


class KeyService:
    def __init__(self, config: StoreConfig, env: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.store = Store.open(config, env)
        self.repo = KeyRepository(self.store)
        self.authenticator = VirtualKeyAuthenticator(self.repo, poll_s=config.revision_poll_ms / 1000)
        self.usage = UsageRecorder(
            self.store, batch_size=config.usage_batch_size, flush_s=config.usage_flush_ms / 1000
        )

    async def start(self) -> None:
        if self.config.migrate_on_start:
            await self.store.migrate()
        await self.authenticator.start()
        await self.usage.start()

    async def stop(self) -> None:
        await self.usage.stop()  # after requests drained: every record is written
        await self.authenticator.stop()
        await self.store.close()
