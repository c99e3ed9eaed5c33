"""The request context: everything one request's stages and hooks know about it.

One :class:`RequestContext` is made per API request by the ingress stage and carried
through every stage (``docs/design/pipeline.md``). Features read it in their hooks: the
principal (who asks), the route and attempts (where it went), usage and finish reason
(what it cost), timings (how long it took) and the outcome. Nothing here is a secret:
a principal holds a key's *name* and public id, never the key.

Timings are ``time.perf_counter()`` readings (monotonic, sub-microsecond); ``received_at``
is the wall clock for logs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from interlingua.errors import GatewayError
from interlingua.translate import Format

if TYPE_CHECKING:
    from interlingua.server.pipeline.inbound import Inbound
    from interlingua.server.routing import Route, Target
    from interlingua.server.state import GatewayState
    from interlingua.server.surfaces import ClientSurface

__all__ = [
    "RESPONSE_OPERATIONS",
    "Attempt",
    "AttemptOutcome",
    "Operation",
    "Outcome",
    "Principal",
    "PrincipalKind",
    "RequestContext",
    "Timings",
    "Usage",
]

Operation = Literal["generate", "count_tokens", "retrieve", "input_items", "delete"]
# The calls on one stored response (``GET``/``DELETE /v1/responses/{id}``, ``/input_items``):
# no model and no tokens; admitted, attempted (when forwarded) and accounted like any other.
RESPONSE_OPERATIONS: frozenset[Operation] = frozenset({"retrieve", "input_items", "delete"})
PrincipalKind = Literal["anonymous", "static_key", "virtual_key"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who sent the request, as authentication found it.

    ``name`` is what logs, metrics and traces may show (``static-key-2``, a virtual key's
    name); ``key_id`` a virtual key's public id. ``attributes`` carries what a feature
    attached at authentication (a virtual key's allowed models, limits, metadata).
    """

    kind: PrincipalKind
    name: str
    key_id: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


ANONYMOUS = Principal("anonymous", "anonymous")


# IR usage keys (specs/ir) -> Usage fields.
_IR_USAGE = {
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cache_read_tokens": "cache_read_tokens",
    "cache_creation_tokens": "cache_creation_tokens",
    "reasoning_tokens": "reasoning_tokens",
}


@dataclass(slots=True)
class Usage:
    """Tokens the upstream reported (IR meaning: ``input_tokens`` excludes cache reads and
    writes, as Anthropic counts them; ``reasoning_tokens`` are part of ``output_tokens``)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    reasoning_tokens: int = 0
    reported: bool = False

    def update(self, ir_usage: Mapping[str, Any]) -> None:
        """Take the IR usage object's values (later reports replace earlier ones, as streams
        report cumulative counts)."""
        for key, value in ir_usage.items():
            if key in _IR_USAGE and type(value) is int:
                setattr(self, _IR_USAGE[key], value)
                self.reported = True

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_tokens + self.cache_creation_tokens

    def as_dict(self) -> dict[str, int]:
        return {attr: getattr(self, attr) for attr in _IR_USAGE.values()}


class AttemptOutcome(StrEnum):
    OK = "ok"  # the upstream answered 2xx and the answer is being (or was) relayed
    ERROR = "error"  # an answer or failure that goes to the client as is
    RETRY = "retry"  # failed before the first byte; the same target is tried again
    FAILOVER = "failover"  # failed before the first byte; the next target is tried


@dataclass(slots=True)
class Attempt:
    """One call to one upstream target."""

    target: Target
    number: int  # 1-based across the request
    key: int = 0  # which key of the provider's pool it sent
    started: float = field(default_factory=time.perf_counter)
    status: int | None = None  # the upstream's HTTP status, when it answered
    error: GatewayError | None = None
    outcome: AttemptOutcome | None = None
    ended: float | None = None


class Outcome(StrEnum):
    OK = "ok"
    CLIENT_ERROR = "client_error"  # 4xx caused by the request (bad input, auth, limits)
    UPSTREAM_ERROR = "upstream_error"  # the upstream failed or refused
    GATEWAY_ERROR = "gateway_error"  # our fault (a bug, overload)
    INCOMPLETE = "incomplete"  # a stream that ended early (upstream cut it mid-way)
    CANCELLED = "cancelled"  # the client went away


@dataclass(slots=True)
class Timings:
    received: float = field(default_factory=time.perf_counter)
    received_at: float = field(default_factory=time.time)
    upstream_sent: float | None = None  # the last attempt's request went out
    first_byte: float | None = None  # the first byte of the answer reached the relay
    last_byte: float | None = None  # the answer (or stream) ended


@dataclass(slots=True, eq=False)
class RequestContext:
    """One request's state, from ingress to account."""

    request_id: str
    surface: ClientSurface
    operation: Operation
    state: GatewayState
    principal: Principal = ANONYMOUS
    client_model: str = ""
    stream: bool = False
    # The client's parsed JSON body (ingress), for features that describe the request
    # (trace attributes such as max_tokens; message content where capture is opted in).
    body: dict[str, Any] | None = None
    route: Route | None = None
    attempts: list[Attempt] = field(default_factory=list)
    upstream_format: Format | None = None
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None
    timings: Timings = field(default_factory=Timings)
    warnings: list[str] = field(default_factory=list)
    outcome: Outcome | None = None
    status: int | None = None
    error: GatewayError | None = None
    # Per-feature scratch space, keyed by feature name (a reservation id, a span, ...).
    extras: dict[str, Any] = field(default_factory=dict)
    # The client's HTTP request (scope, routed path), for features that describe it (tracing).
    inbound: Inbound | None = None

    @property
    def client_format(self) -> Format:
        return self.surface.format

    @property
    def attempt(self) -> Attempt | None:
        """The current (last) attempt."""
        return self.attempts[-1] if self.attempts else None

    @property
    def target(self) -> Target | None:
        attempt = self.attempt
        return attempt.target if attempt is not None else None
