"""The Quart application: ``create_app(config)``.

Blueprints per client surface (:mod:`interlingua.server.api`), the edge (request ids,
inbound authentication, prefix routes: :mod:`interlingua.server.edge`) wrapped around the ASGI app, and error handlers so that
*every* failure, including Quart's own 404/405/413 and bugs, reaches the client as a JSON
error in its own format: never an HTML page or a stack trace. The runtime state (config,
router, upstream clients, feature hooks) is one swappable snapshot in a
:class:`~interlingua.server.state.StateHolder` (``app.extensions["interlingua"]``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from quart import Quart, Response, request
from werkzeug.exceptions import HTTPException

from interlingua.errors import GatewayError
from interlingua.server.admin_auth import ADMIN_PREFIX, admin_check
from interlingua.server.api import (
    admin_requests,
    admin_targets,
    anthropic,
    bedrock,
    gemini,
    health,
    metrics,
    models,
    openai,
    responses,
    summary,
)
from interlingua.server.config import Config
from interlingua.server.dashboard import routes as dashboard
from interlingua.server.edge import Edge
from interlingua.server.errors import answer_error
from interlingua.server.fast_lane import FastLane
from interlingua.server.keys import admin
from interlingua.server.limits.feature import key_headroom
from interlingua.server.pipeline.hooks import Feature
from interlingua.server.quart_request import GatewayRequest
from interlingua.server.reload import ConfigReloader
from interlingua.server.state import StateHolder, config_digest

__all__ = ["create_app"]

log = logging.getLogger("interlingua.server")


def create_app(
    config: Config, *, config_path: str | Path | None = None, features: Sequence[Feature] = ()
) -> Quart:
    """The gateway app for ``config`` (serve it with Hypercorn: :mod:`interlingua.server.run`).

    ``config_path``: the file ``config`` was loaded from; it is then watched and reloaded
    on change or SIGHUP (:mod:`interlingua.server.reload`). ``features``: more pipeline
    features, after the configured ones (tests use it to observe request contexts).
    """
    app = Quart("interlingua")
    app.request_class = GatewayRequest
    app.config.update(
        MAX_CONTENT_LENGTH=config.server.max_body_bytes,
        BODY_TIMEOUT=config.server.body_timeout_ms / 1000,
        PROVIDE_AUTOMATIC_OPTIONS=False,
    )
    digest = config_digest(Path(config_path).read_text(encoding="utf-8")) if config_path else None
    holder = StateHolder(config, config_hash=digest, extra_features=features)
    app.extensions["interlingua"] = holder
    app.before_serving(holder.start)
    if config_path is not None:
        reloader = ConfigReloader(holder, config_path)
        app.extensions["interlingua.reloader"] = reloader
        app.before_serving(reloader.start)
        app.after_serving(reloader.stop)
    app.after_serving(holder.stop)
    for module in (openai, anthropic, responses, gemini, bedrock, models, health, metrics, summary, admin_requests):
        app.register_blueprint(module.blueprint(holder))
    app.register_blueprint(admin_targets.blueprint(holder))  # 404s without admin.api_key
    app.register_blueprint(dashboard.blueprint(holder))  # says "disabled" without it
    _admin_api(app, holder)
    _register_error_handlers(app)
    # The admin endpoints and the dashboard check the admin key or a dashboard session, never a
    # client key; /metrics has its own credential (observability.metrics.token): scrapers hold
    # no client key.
    edge = Edge(app.asgi_app, holder, (ADMIN_PREFIX, dashboard.PREFIX, metrics.PATH), FastLane(app))
    app.after_serving(edge.prefix_routes.aclose)
    app.asgi_app = edge  # type: ignore[method-assign]
    return app


def _admin_api(app: Quart, holder: StateHolder) -> None:
    """The keys admin API when ``admin.api_key`` is set and there is a store. It, like every
    admin surface and the dashboard, checks the admin key or a dashboard session itself
    (:mod:`interlingua.server.admin_auth`), so client authentication leaves its paths alone."""
    config, services = holder.config, holder.services
    if config.admin.api_key is None:
        return
    keys = services.keys
    if keys is None:
        log.warning("admin.api_key is set but there is no store (store.url or store.data_dir): no /admin/keys")
        return
    counters = services.counters
    blueprint = admin.blueprint(
        keys.repo, admin_check(holder), lambda: partial(key_headroom, counters), keys.authenticator.refresh
    )
    app.register_blueprint(blueprint)


def _register_error_handlers(app: Quart) -> None:
    # Quart finds the handler by the exception's class; answer_error does the same by isinstance.
    @app.errorhandler(GatewayError)
    @app.errorhandler(HTTPException)
    @app.errorhandler(Exception)
    async def handled(err: Exception) -> Response:
        return answer_error(err, request.scope, request.path)
