"""The one error root of Interlingua.

Every failure a client can see is a :class:`GatewayError`. It carries what is
needed to render it in *any* client format (the server picks the client's
envelope: OpenAI ``{"error": {...}}``, Anthropic ``{"type": "error", ...}``).

=========================  ======  ========  =====================================
class                      status  fault     when
=========================  ======  ========  =====================================
InvalidRequest             400     client    malformed JSON, schema violation, unconvertible feature
AuthenticationFailed       401     client    missing or wrong gateway key
PermissionDenied           403     client    key not allowed to use a model
NotFound                   404     client    unknown model or route
RequestTooLarge            413     client    body over ``server.max_body_bytes``
RateLimited                429     client    limits (and upstream 429s)
UpstreamError              any     upstream  upstream answered 4xx/5xx (status kept)
UpstreamUnavailable        502     upstream  upstream connect failure
UpstreamTimeout            504     upstream  upstream connect/read timeout
Overloaded                 503     gateway   ``server.max_inflight`` exceeded (529 for Anthropic clients)
InternalError              500     gateway   a bug; never carries a stack trace to the client
=========================  ======  ========  =====================================

``kind`` is the IR error kind (see ``ErrorKind``); each client format maps it to
its own error type name through the tables in the generated converters.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "AuthenticationFailed",
    "ConversionError",
    "ErrorKind",
    "Fault",
    "GatewayError",
    "InternalError",
    "InvalidRequest",
    "NotFound",
    "Overloaded",
    "PermissionDenied",
    "RateLimited",
    "RequestTooLarge",
    "UpstreamError",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]

Fault = Literal["client", "upstream", "gateway"]

# The IR's error kinds: a superset of what each provider distinguishes.
ErrorKind = Literal[
    "invalid_request",
    "authentication",
    "permission",
    "not_found",
    "request_too_large",
    "rate_limit",
    "api_error",
    "overloaded",
    "timeout",
    "upstream_unavailable",
]


class GatewayError(Exception):
    """Root of every error a client may see."""

    status: int = 500
    kind: ErrorKind = "api_error"
    fault: Fault = "gateway"
    retryable: bool = False

    def __init__(  # noqa: PLR0913 -- keyword-only fields of the error envelope, not a parameter list
        self,
        message: str,
        *,
        status: int | None = None,
        kind: ErrorKind | None = None,
        param: str | None = None,
        code: str | None = None,
        retry_after: str | None = None,
        provider: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if kind is not None:
            self.kind = kind
        self.param = param
        self.code = code
        self.retry_after = retry_after
        self.provider = provider


class InvalidRequest(GatewayError):
    status = 400
    kind: ErrorKind = "invalid_request"
    fault: Fault = "client"


class ConversionError(InvalidRequest):
    """A request uses a feature the target format cannot express and policy says reject."""


class AuthenticationFailed(GatewayError):
    status = 401
    kind: ErrorKind = "authentication"
    fault: Fault = "client"


class PermissionDenied(GatewayError):
    status = 403
    kind: ErrorKind = "permission"
    fault: Fault = "client"


class NotFound(GatewayError):
    status = 404
    kind: ErrorKind = "not_found"
    fault: Fault = "client"


class RequestTooLarge(GatewayError):
    status = 413
    kind: ErrorKind = "request_too_large"
    fault: Fault = "client"


class RateLimited(GatewayError):
    status = 429
    kind: ErrorKind = "rate_limit"
    fault: Fault = "client"
    retryable = True


class UpstreamError(GatewayError):
    """The upstream answered with an error; status and message are the upstream's."""

    fault: Fault = "upstream"


class UpstreamUnavailable(GatewayError):
    status = 502
    kind: ErrorKind = "upstream_unavailable"
    fault: Fault = "upstream"
    retryable = True


class UpstreamTimeout(GatewayError):
    status = 504
    kind: ErrorKind = "timeout"
    fault: Fault = "upstream"
    retryable = True


class Overloaded(GatewayError):
    status = 503
    kind: ErrorKind = "overloaded"
    fault: Fault = "gateway"
    retryable = True


class InternalError(GatewayError):
    status = 500
    kind: ErrorKind = "api_error"
    fault: Fault = "gateway"
