"""The request history over the admin API.

=============================  ===========================================================
``GET /admin/requests``        a JSON list of records, newest first: ``?limit=`` (1-500,
                               default 100) ``&before=<id>`` (the last page's smallest
                               ``id``), filters ``key``, ``model``, ``status``, ``client_format``
``GET /admin/requests/tail``   ``text/event-stream``: each new record as ``data: {json}``
                               (with ``id:``; a reconnecting ``Last-Event-ID`` resumes),
                               the same filters, a comment line every 15 s when idle;
                               ends when the gateway begins a graceful shutdown
=============================  ===========================================================

A record is the access-log record (:mod:`interlingua.server.observability.record`) plus
``id``, ``cost_usd`` and ``cache``. Admin only (:mod:`.admin_gate`).
"""

from __future__ import annotations

from quart import Blueprint, Response, request
from sqlalchemy.ext.asyncio import AsyncEngine

from interlingua.server.api.admin_gate import admin_gate, json_error, json_response
from interlingua.server.observability.history_query import BadFilter, Filters, int_arg, last_id, older
from interlingua.server.observability.history_tail import TailCursor, tail_events
from interlingua.server.state import StateHolder

__all__ = ["blueprint"]

_SSE = {"content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no"}


def blueprint(holder: StateHolder) -> Blueprint:
    bp = Blueprint("admin_requests", __name__)

    def engine() -> AsyncEngine:
        keys = holder.services.keys
        assert keys is not None  # the gate checked
        return keys.store.engine

    @bp.before_request
    async def gate() -> Response | None:
        return await admin_gate(holder)

    @bp.errorhandler(BadFilter)
    async def bad_filter(exc: BadFilter) -> Response:
        return json_error(400, "invalid_request_error", str(exc), exc.param)

    @bp.get("/admin/requests")
    async def recent() -> Response:
        filters = Filters.parse(request.args)
        limit = int_arg(request.args.get("limit"), "limit", 1, 500) or 100
        before = int_arg(request.args.get("before"), "before", 1, 2**63 - 1)
        return json_response(await older(engine(), filters, before=before, limit=limit))

    @bp.get("/admin/requests/tail")
    async def tail() -> Response:
        filters = Filters.parse(request.args)
        resume = int_arg(request.headers.get("last-event-id"), "Last-Event-ID", 0, 2**63 - 1)
        start = resume if resume is not None else await last_id(engine())
        events = tail_events(engine(), filters, TailCursor(start), stop=holder.draining)
        response = Response(events, headers=_SSE)
        response.timeout = None  # open until the client leaves
        return response

    return bp
