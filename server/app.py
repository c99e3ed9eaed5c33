"""The Quart application: ``create_app(config)``.

Blueprints per client surface (:mod:`interlingua.server.api`), the ASGI
middleware for request ids, inbound keys and the in-flight limit, and error
handlers so that *every* failure, including Quart's own 404/405/413 and bugs,
reaches the client as a JSON error in its own format: never an HTML page or a
stack trace.
"""

from __future__ import annotations

import logging

from quart import Quart, Response, request
from werkzeug.exceptions import HTTPException

from interlingua.errors import GatewayError, InternalError
from interlingua.server.api import anthropic, bedrock, gemini, health, models, openai, responses
from interlingua.server.config import Config
from interlingua.server.errors import client_format, from_http_status
from interlingua.server.gateway import Gateway
from interlingua.server.middleware import GatewayMiddleware
from interlingua.server.proxy import error_response

__all__ = ["create_app"]

log = logging.getLogger("interlingua.server")


def create_app(config: Config) -> Quart:
    """The gateway app for ``config`` (serve it with Hypercorn: :mod:`interlingua.server.run`)."""
    app = Quart("interlingua")
    app.config.update(
        MAX_CONTENT_LENGTH=config.server.max_body_bytes,
        PROVIDE_AUTOMATIC_OPTIONS=False,
    )
    gw = Gateway(config)
    app.extensions["interlingua"] = gw
    app.before_serving(gw.start)
    app.after_serving(gw.stop)
    for module in (openai, anthropic, responses, gemini, bedrock, models, health):
        app.register_blueprint(module.blueprint(gw))
    _register_error_handlers(app)
    app.asgi_app = GatewayMiddleware(  # type: ignore[method-assign]
        app.asgi_app,
        api_keys=[key.get_secret_value() for key in config.server.api_keys],
        max_inflight=config.server.max_inflight,
    )
    return app


def _register_error_handlers(app: Quart) -> None:
    @app.errorhandler(GatewayError)
    async def gateway_error(err: GatewayError) -> Response:
        if err.fault != "client":
            log.warning(
                "request %s failed: %s %s (%s)",
                request.scope.get("interlingua.request_id"),
                err.status,
                err.message,
                err.provider or "gateway",
            )
        return error_response(err, client_format(request.path, _names()))

    @app.errorhandler(HTTPException)
    async def http_error(err: HTTPException) -> Response:
        return error_response(
            from_http_status(err.code or 500, err.description), client_format(request.path, _names())
        )

    @app.errorhandler(Exception)
    async def unexpected(err: Exception) -> Response:
        log.exception("request %s: unhandled error", request.scope.get("interlingua.request_id"))
        return error_response(InternalError("internal gateway error"), client_format(request.path, _names()))


def _names() -> list[bytes]:
    return [name for name, _ in request.scope["headers"]]
