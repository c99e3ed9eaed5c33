"""Issued keys in one process: the store, the repository and the authenticator, made with
the app and started/stopped with serving (``store`` config section)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from interlingua.server.config_keys import StoreConfig
from interlingua.server.keys.authenticator import VirtualKeyAuthenticator
from interlingua.server.keys.repository import KeyRepository
from interlingua.server.store import Store

__all__ = ["KeyService"]

log = logging.getLogger("interlingua.keys")


class KeyService:
    def __init__(self, config: StoreConfig, env: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.store = Store.open(config, env)
        self.repo = KeyRepository(self.store)
        self.authenticator = VirtualKeyAuthenticator(self.repo, poll_s=config.revision_poll_ms / 1000)

    async def start(self) -> None:
        if self.config.migrate_on_start:
            await self.store.migrate()
        await self.authenticator.start()

    async def stop(self) -> None:
        await self.authenticator.stop()
        await self.store.close()
