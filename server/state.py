"""The runtime state the gateway serves from, as one immutable snapshot behind one reference.

A :class:`GatewayState` holds a config and everything built from it: the router, the
upstream clients and the enabled features' hooks. :class:`StateHolder` keeps the
current one. A request takes the current snapshot once, at ingress, and uses it to the
end (streams included), so a reload never changes a request midway. :meth:`StateHolder.swap`
makes a new snapshot current; the old one is *retired*: once its last request has
finished, its features stop and the upstream clients it alone used close (clients of
providers whose config did not change carry over to the new snapshot, warm pools and all).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from interlingua.errors import Overloaded
from interlingua.server import heap
from interlingua.server.config import Config
from interlingua.server.features import build_hooks
from interlingua.server.features.auth import Authenticator, build_authenticators
from interlingua.server.pipeline.hooks import Feature, Hooks
from interlingua.server.routing import Router
from interlingua.server.services import Services
from interlingua.server.upstream import Upstream, Upstreams

__all__ = ["GatewayState", "StateHolder", "config_digest"]

log = logging.getLogger("interlingua.server")


def config_digest(text: str) -> str:
    """A short, stable id of a config's text (``/readyz`` shows it)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(eq=False)
class GatewayState:
    config: Config
    router: Router
    upstreams: Upstreams
    hooks: Hooks
    authenticators: list[Authenticator]
    config_hash: str
    loaded_at: float = field(default_factory=time.time)
    # Requests using this snapshot, and whether a newer one replaced it.
    active: int = 0
    retired: bool = False


class StateHolder:
    """The one reference to the current snapshot (``app.extensions["interlingua"]``)."""

    def __init__(
        self, config: Config, *, config_hash: str | None = None, extra_features: Sequence[Feature] = ()
    ) -> None:
        self.services = Services(config)
        self._extra_features = tuple(extra_features)
        self.started_at = int(time.time())
        self._initial = (config, config_hash or config_digest(config.model_dump_json()))
        self._current: GatewayState | None = None
        self._live: list[GatewayState] = []  # current and retired snapshots not yet closed
        self._closing: set[asyncio.Task[None]] = set()
        # Set when a graceful shutdown begins (server.run.draining): responses that stay open
        # until the client leaves (the history tail) end, so the shutdown does not wait on them.
        self.draining = asyncio.Event()

    @property
    def ready(self) -> bool:
        return self._current is not None

    def snapshot(self) -> GatewayState | None:
        """The current snapshot, None while starting or stopping (the edge's one read of it)."""
        return self._current

    @property
    def current(self) -> GatewayState:
        if self._current is None:
            raise Overloaded("the gateway is starting or stopping")
        return self._current

    @property
    def config(self) -> Config:
        return self.current.config if self._current is not None else self._initial[0]

    def acquire(self) -> GatewayState:
        state = self._current if self._current is not None else self.current  # (raises while starting)
        state.active += 1
        return state

    def release(self, state: GatewayState) -> None:
        state.active -= 1
        if state.retired and state.active == 0:
            self._close_later(state)

    def build(self, config: Config, config_hash: str) -> GatewayState:
        """A snapshot of ``config`` (clients of unchanged providers taken from the current one)."""
        previous = self._current.upstreams if self._current is not None else None
        return GatewayState(
            config=config,
            router=Router(config, self.services.routing),
            upstreams=Upstreams(config, previous),
            hooks=build_hooks(config, self.services, self._extra_features),
            authenticators=build_authenticators(config, self.services),
            config_hash=config_hash,
        )

    async def start(self) -> None:
        # Clients are made inside the serving event loop: aiohttp sessions are bound to it.
        await self.services.start()
        config, digest = self._initial
        state = self.build(config, digest)
        await state.hooks.start()
        self._current = state
        self._live.append(state)

    async def swap(self, state: GatewayState) -> None:
        """Make ``state`` current; the old snapshot closes once its requests finished."""
        await state.hooks.start()
        old, self._current = self._current, state
        self._live.append(state)
        if old is not None:
            old.retired = True
            if old.active == 0:
                self._close_later(old)

    async def stop(self) -> None:
        """Serving stops (requests drained or cancelled): every snapshot closes."""
        self._current = None
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
        live, self._live = self._live, []
        for state in live:
            await state.hooks.stop()
            await state.upstreams.aclose()
        await self.services.stop()

    def _close_later(self, old: GatewayState) -> None:
        if old not in self._live:
            return  # closed already (serving stopped)
        self._live.remove(old)
        only = old.upstreams.retired(state.upstreams for state in self._live)
        task = asyncio.get_running_loop().create_task(_close(old, only))
        self._closing.add(task)
        task.add_done_callback(self._closed)

    def _closed(self, task: asyncio.Task[None]) -> None:
        self._closing.discard(task)
        heap.refreeze()  # the old snapshot is unreferenced now: let its cycles be collected


async def _close(old: GatewayState, only: list[Upstream]) -> None:
    await old.hooks.stop()
    await old.upstreams.aclose(only)
    log.info("config %s retired: its last request finished", old.config_hash)
