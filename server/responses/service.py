"""The stored responses of one process: the repository, retention and the writes in flight.

Writes happen off the request's hot path but before its end: a translated answer is
saved when the upstream finished it, and the client's last bytes (the plain body, or
the stream's ``response.completed`` event) leave only once the row is committed. A
client that sends its next turn the moment its stream ends, to this process or to any
other worker or instance on the same store, therefore always finds it. The write runs
as a task of its own: a client that disconnects in that moment does not cancel it, and
``stop()`` waits for writes still running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from interlingua.server.background import cancel_and_wait
from interlingua.server.config.responses import ResponsesConfig
from interlingua.server.pipeline.context import Principal
from interlingua.server.responses.claims import Issuer, UpstreamIds
from interlingua.server.responses.repository import ResponseRepository, StoredResponse
from interlingua.server.store import Store

__all__ = ["ResponseService", "owner_of"]

log = logging.getLogger("interlingua.responses")

# Longest a client's last bytes wait for the write; past it the answer goes out anyway
# (and the failure is logged): the answer itself must never be lost to a slow store.
_SAVE_WAIT_S = 10.0


def owner_of(principal: Principal) -> str:
    """Whose stored responses a request may see: an issued key's id, a static key's name,
    or everybody's anonymous requests on a gateway without keys."""
    if principal.kind == "virtual_key" and principal.key_id:
        return f"virtual_key:{principal.key_id}"
    if principal.kind == "static_key":
        return f"static_key:{principal.name}"
    return "anonymous"


class ResponseService:
    def __init__(self, store: Store, config: ResponsesConfig) -> None:
        self.repo = ResponseRepository(store)
        self.upstream_ids = UpstreamIds(store)
        self.retention = timedelta(days=config.retention_days)
        self._sweep_s = config.sweep_interval_s
        self._writes: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="interlingua-responses-sweeper")

    async def stop(self) -> None:
        await cancel_and_wait(self._sweeper)
        self._sweeper = None
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    async def save(
        self, owner: str, response: dict[str, Any], conversation: list[Any], own: Sequence[tuple[str, Any]]
    ) -> None:
        """Keep ``response`` (its output items addressable, and ``own``: the request's own input
        items that carry an id); returns once it is committed, or after :data:`_SAVE_WAIT_S`."""
        record = StoredResponse(str(response.get("id")), owner, response, conversation)
        items = [*own, *_output_items(response)]
        await self._write(record.id, self.repo.save(record, self._expiry(), items))

    async def claim(self, owner: str, response: dict[str, Any], issuer: Issuer) -> None:
        """Record ``owner`` and ``issuer`` for the ids of ``response``, a Responses upstream's
        answer passed through (``claims.py``); returns once committed, or after :data:`_SAVE_WAIT_S`."""
        await self._write(str(response.get("id")), self.upstream_ids.claim(owner, response, issuer, self._expiry()))

    def _expiry(self) -> datetime:
        return datetime.now(UTC) + self.retention

    async def _write(self, what: str, write: Coroutine[Any, Any, None]) -> None:
        """Run ``write`` as a task of its own (a client leaving does not cancel it; ``stop``
        waits for it) and wait for it, at most :data:`_SAVE_WAIT_S`."""
        task = asyncio.create_task(_logged(what, write))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), _SAVE_WAIT_S)

    async def _sweep_forever(self) -> None:
        while True:
            try:
                gone = await self.repo.sweep()
                await self.upstream_ids.sweep()
            except Exception as exc:
                log.warning("responses: deleting expired responses failed: %s", exc)
            else:
                if gone:
                    log.info("responses: %d expired responses deleted", gone)
            await asyncio.sleep(self._sweep_s)


async def _logged(what: str, write: Coroutine[Any, Any, None]) -> None:
    try:
        await write
    except Exception as exc:
        log.warning("responses: keeping %s failed: %s", what, exc)


def _output_items(response: dict[str, Any]) -> list[tuple[str, Any]]:
    output = response.get("output")
    items = output if isinstance(output, list) else []
    return [(item["id"], item) for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)]
