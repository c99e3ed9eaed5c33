"""The gateway's one ASGI layer around Quart: request id, inbound authentication, prefix
routes, the pipeline's response headers and the accounting safety net.

These were four nested ASGI apps, each an awaited call per request and one a wrapped
``send``: measured, the layers cost the plain request path about as much as routing.
One class does them in order, and an API request crosses one extra coroutine and one
``send`` wrapper on its way to Quart:

1. ``x-request-id``: the client's (printable ASCII, at most 128 characters) or a new one
   (:mod:`~interlingua.server.features.request_id`), on every response.
2. authentication (:mod:`~interlingua.server.features.auth`): a request without a
   recognised key gets 401 before its body is read; open paths and surfaces with their own
   credentials (admin, dashboard, metrics: ``open_prefixes``) skip it.
3. prefix routes (:mod:`~interlingua.server.prefix_routes`): forwarded untouched.
4. the hot API routes (``POST /v1/chat/completions``, ``/v1/messages``, ...) run their
   handler on the fast lane (:mod:`~interlingua.server.fast_lane`), without Quart's
   request, context and dispatch machinery; everything else goes to Quart. The pipeline
   hands the headers it adds to its response (routing's ``x-interlingua-target`` and
   ``-attempts``, warnings, features' headers) to :func:`add_response_headers`; they are
   appended here as bytes with the request id, which skips building them into the
   framework's header object and encoding them again.
5. when the lane or Quart is done (normally or cancelled), any request context nobody
   accounted is accounted as cancelled (:func:`~interlingua.server.pipeline.account.abandon`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypercorn.typing import ASGIFramework, ASGIReceiveCallable, ASGISendCallable, ASGISendEvent, Scope

from interlingua.errors import Overloaded
from interlingua.server.errors import send_asgi_error
from interlingua.server.fast_lane import FastLane
from interlingua.server.features.auth import authenticate_scope, is_open
from interlingua.server.features.request_id import assign_request_id
from interlingua.server.pipeline.account import abandon, unaccounted
from interlingua.server.prefix_routes import PrefixRoutes
from interlingua.server.state import StateHolder

__all__ = ["Edge", "add_response_headers", "latin1"]

_HEADERS_KEY = "interlingua.response_headers"


def add_response_headers(scope: Any, headers: list[tuple[bytes, bytes]]) -> None:
    """Headers for the response this request's handler returns (replacing any given before),
    encoded (:func:`latin1`); h11 still validates each one."""
    scope[_HEADERS_KEY] = headers


def latin1(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """Headers encoded as the framework would."""
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]


class Edge:
    """The ASGI app Hypercorn calls: the edge concerns above, then ``app`` (Quart's)."""

    def __init__(
        self,
        app: ASGIFramework,
        holder: StateHolder,
        open_prefixes: Iterable[str] = (),
        lane: FastLane | None = None,
    ) -> None:
        """``lane``: the fast lane's routes (none: every request goes to ``app``)."""
        self.app = app
        self._lane = lane
        self.prefix_routes = PrefixRoutes(holder)
        self._holder = holder
        self._open_prefixes = tuple(open_prefixes)

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = assign_request_id(scope)
        raw: Any = scope

        async def send_with_headers(event: ASGISendEvent) -> None:
            if event["type"] == "http.response.start":
                extra = raw.get(_HEADERS_KEY)
                if extra:
                    event["headers"] = [*event["headers"], *extra, (b"x-request-id", request_id)]
                else:
                    event["headers"] = [*event["headers"], (b"x-request-id", request_id)]
            await send(event)

        state = self._holder.snapshot()
        if not is_open(scope["path"], self._open_prefixes):
            if state is None:
                await send_asgi_error(Overloaded("the gateway is starting or stopping"), scope, send_with_headers)
                return
            chain = state.authenticators
            if chain and (refusal := await authenticate_scope(chain, scope)) is not None:
                await send_asgi_error(refusal, scope, send_with_headers)
                return
        routes = (state.config if state is not None else self._holder.config).routes
        route = self.prefix_routes.match(scope, routes) if routes else None
        if route is not None:
            await self.prefix_routes.serve(route, scope, receive, send_with_headers)
            return
        lane = self._lane
        handler = lane.match(scope) if lane is not None else None
        try:
            if handler is not None:
                assert lane is not None
                await lane.serve(handler, scope, receive, send_with_headers, send)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            for ctx in unaccounted(scope):
                await abandon(ctx)
