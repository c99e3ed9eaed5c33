"""``GET /metrics``: the Prometheus text exposition (``observability.metrics``).

Open to scrapers without a client key (Prometheus carries no LLM key), guarded instead by
``observability.metrics.token`` when set (``Authorization: Bearer <token>``, compared in
constant time). 404 while metrics are off, so a scraper learns the config, not a stack.
With ``--workers N`` any worker answers for all (multiprocess files,
:mod:`interlingua.server.observability.prom`).
"""

from __future__ import annotations

import hmac

from quart import Blueprint, Response, request

from interlingua.server.api.admin_targets import targets_report
from interlingua.server.observability.prom import CONTENT_TYPE, GatewayMetrics
from interlingua.server.state import StateHolder

__all__ = ["PATH", "blueprint"]

PATH = "/metrics"
_JSON = {"content-type": "application/json"}


def _authorized(token: str) -> bool:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode())


_STATES = ("up", "cooling", "probing", "probe_due")


def _target_states(holder: StateHolder, metrics: GatewayMetrics) -> None:
    """Routing target health as gauges, read at scrape time (as ``GET /admin/targets``)."""
    for target in targets_report(holder)["targets"]:
        name = target["target"]
        for state in _STATES:
            metrics.target_state.labels(name, state).set(1 if target["state"] == state else 0)
        metrics.target_failures.labels(name).set(target["recent_failures"])


def blueprint(holder: StateHolder) -> Blueprint:
    bp = Blueprint("metrics", __name__)

    @bp.get(PATH)
    async def metrics() -> Response:
        section = holder.config.observability.metrics
        if section is None:
            return Response(b'{"error":"metrics are off (observability.metrics)"}', status=404, headers=_JSON)
        if section.token is not None and not _authorized(section.token.get_secret_value()):
            return Response(
                b'{"error":"a metrics token is required (Authorization: Bearer)"}',
                status=401,
                headers={**_JSON, "www-authenticate": "Bearer"},
            )
        metrics = holder.services.metrics
        _target_states(holder, metrics)
        return Response(metrics.render(), headers={"content-type": CONTENT_TYPE})

    return bp
