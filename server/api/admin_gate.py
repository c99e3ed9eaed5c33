"""The gate in front of the request-history endpoints (``/metrics/summary``, ``/admin/requests``).

Like the rest of the admin API: not served (404) while ``admin.api_key`` is unset or the
gateway has no store, and otherwise only to the admin, checked by
:class:`~interlingua.server.admin_auth.AdminGuard` (the one admin check every admin surface
shares: the Bearer admin key, or a dashboard session with its CSRF token for changes). The
key is read from the current config, so a reload applies.
"""

from __future__ import annotations

from typing import Any

import orjson
from quart import Response

from interlingua.server.admin_auth import AdminGuard
from interlingua.server.state import StateHolder

__all__ = ["admin_gate", "json_error", "json_response"]

_JSON = {"content-type": "application/json"}


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status=status, headers=_JSON)


def json_error(status: int, kind: str, message: str, param: str | None = None) -> Response:
    return json_response({"error": {"type": kind, "message": message, "param": param}}, status)


async def admin_gate(holder: StateHolder) -> Response | None:
    """The refusal to send instead of the endpoint's answer; None: go ahead."""
    if holder.services.keys is None:
        return json_error(
            404, "not_found_error", "no such endpoint (the admin API needs admin.api_key and a store)"
        )
    return await AdminGuard(holder).check()
