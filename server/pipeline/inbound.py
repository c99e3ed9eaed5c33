"""What the pipeline reads of a client's HTTP request: its ASGI scope and a body reader.

Two servers hand requests to the same pipeline code (``execute.py``): Quart, for routes it
dispatches (:func:`interlingua.server.api.route.quart_inbound`), and the edge's fast lane
(:mod:`interlingua.server.fast_lane`), which serves the hot API routes without Quart's request,
context and dispatch machinery. Both supply an :class:`Inbound`; both body readers keep
Quart's semantics (``MAX_CONTENT_LENGTH`` -> 413, ``BODY_TIMEOUT`` -> 408, raised as
werkzeug's ``HTTPException`` for the app's error answer).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Inbound"]


@dataclass(slots=True)
class Inbound:
    """One client request as the pipeline reads it."""

    # The ASGI scope (headers, path, query string; the edge's request id and principal).
    scope: dict[str, Any]
    # The whole body, read once.
    read_body: Callable[[], Awaitable[bytes]]
    # The path the request was routed by (Quart's ``request.path``; the scope's on the lane).
    path: str
