"""API routes served by the same handler from Quart and from the edge's fast lane.

A handler takes the request as an :class:`~interlingua.server.pipeline.inbound.Inbound`,
and the rule's variables as keyword arguments (``model=...``, as Quart passes them to a
view), and returns the pipeline's coroutine. :func:`post` registers it as the Quart view of
its rules (Quart stays the route table: 404, 405, HEAD and every other method are Quart's)
and marks the view with the handler; :mod:`interlingua.server.lane_rules` builds the fast
lane's table from those marks in the app's URL map, so the paths are written once, here in
the blueprints.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from quart import Blueprint, Request, Response, request

from interlingua.server.pipeline.inbound import Inbound

__all__ = ["LANE_HANDLER", "Handler", "post", "quart_inbound"]

# Called as handler(inbound, **the rule's variables).
Handler = Callable[..., Coroutine[Any, Any, Response]]

# The attribute of a Quart view that holds its lane handler.
LANE_HANDLER = "interlingua_lane_handler"


def post(bp: Blueprint, *rules: str) -> Callable[[Handler], Handler]:
    """Register the decorated handler as ``POST`` on each of ``rules`` on ``bp``, one
    endpoint named after it."""

    def register(handler: Handler) -> Handler:
        async def view(**values: str) -> Response:
            return await handler(quart_inbound(), **values)

        view.__name__ = view.__qualname__ = handler.__name__
        setattr(view, LANE_HANDLER, handler)
        for rule in rules:
            bp.post(rule)(view)
        return handler

    return register


def quart_inbound() -> Inbound:
    """The request Quart is dispatching, as the pipeline reads it."""
    # The request itself, not the context-local proxy: every read through it costs calls.
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    return Inbound(req.scope, partial(_body, req), req.path)  # type: ignore[arg-type]


async def _body(req: Request) -> bytes:
    raw = await req.get_data(cache=False)
    assert isinstance(raw, bytes)
    return raw
