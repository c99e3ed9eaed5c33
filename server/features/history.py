"""``observability.history_days``: each API request's record kept in the store.

The ``complete`` hook builds the access-log record
(:func:`~interlingua.server.observability.record.request_record`) with the arrival time,
the cost at the ``pricing:`` table's prices and the key's name (None for an anonymous
request), and hands it to the process's :class:`~interlingua.server.observability.history.HistoryWriter`
(:attr:`Services.history <interlingua.server.services.Services.history>`): an append to an
in-memory queue, written in batches by a background task. ``/metrics/summary`` and
``/admin/requests`` read it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from interlingua.server.limits.pricing import Pricing
from interlingua.server.observability.record import request_record
from interlingua.server.pipeline.hooks import Feature

if TYPE_CHECKING:
    from interlingua.server.config import Config
    from interlingua.server.observability.history import HistoryWriter
    from interlingua.server.pipeline.context import RequestContext
    from interlingua.server.services import Services

__all__ = ["History", "build"]


class History(Feature):
    name: ClassVar[str] = "history"

    def __init__(self, writer: HistoryWriter, pricing: Pricing) -> None:
        self._writer = writer
        self._pricing = pricing

    async def complete(self, ctx: RequestContext) -> None:
        record = request_record(ctx, self._pricing)
        record["ts_ms"] = int(ctx.timings.received_at * 1000)
        if ctx.principal.kind == "anonymous":
            record["key"] = None
        self._writer.add(record)


def build(config: Config, services: Services) -> Feature | None:
    """On while the admin API is (``admin.api_key``): only it reads the history back (the
    summary, /admin/requests, the dashboard), so a gateway without it pays nothing per
    request. A reload that sets the key turns it on."""
    writer = services.history
    if writer is None or config.admin.api_key is None:
        return None
    return History(writer, Pricing(config.pricing))
