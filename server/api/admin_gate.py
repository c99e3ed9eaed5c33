"""The gate in front of the request-history endpoints (``/metrics/summary``, ``/admin/requests``).

Like the rest of the admin API: not served (404) while ``admin.api_key`` is unset or the
gateway has no store, and otherwise only to the admin key, checked by
:func:`~interlingua.server.admin_auth.admin_authorized` (the one admin check every admin
surface shares). The key is read from the current config, so a reload applies.
"""

from __future__ import annotations

from typing import Any

import orjson
from quart import Response, request

from interlingua.server.admin_auth import admin_authorized
from interlingua.server.state import StateHolder

__all__ = ["admin_gate", "json_error", "json_response"]

_JSON = {"content-type": "application/json"}


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status=status, headers=_JSON)


def json_error(status: int, kind: str, message: str, param: str | None = None) -> Response:
    return json_response({"error": {"type": kind, "message": message, "param": param}}, status)


def admin_gate(holder: StateHolder) -> Response | None:
    """The refusal to send instead of the endpoint's answer; None: go ahead."""
    key = holder.config.admin.api_key
    if key is None or holder.services.keys is None:
        return json_error(
            404, "not_found_error", "no such endpoint (the admin API needs admin.api_key and a store)"
        )
    if not admin_authorized(request.scope["headers"], key):
        response = json_error(401, "authentication_error", "invalid or missing admin key")
        response.headers["www-authenticate"] = "Bearer"
        return response
    return None
