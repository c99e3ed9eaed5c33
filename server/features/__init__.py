"""Gateway features: one module each, one config section each, a no-op when disabled.

Two kinds:

- **edge** features wrap the ASGI app and see every HTTP request, before Quart builds a
  request object (request id, authentication). :func:`wrap_edge` applies them in order.
- **pipeline** features are :class:`~interlingua.server.pipeline.hooks.Feature` objects
  hooked into each API request's stages (in-flight limit; keys and limits, routing
  health, metrics, traces and logs as they land). :data:`BUILDERS` lists their builders
  in hook order: each takes the config snapshot and the long-lived services and returns
  the feature, or ``None`` when its config section leaves it off. Adding a feature is one
  module here and one line in :data:`BUILDERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from interlingua.server.config import Config
from interlingua.server.features import access_log, history, inflight, limits, metrics, server_timing
from interlingua.server.pipeline.hooks import Feature, Hooks
from interlingua.server.services import Services

__all__ = ["BUILDERS", "build_hooks"]

Builder = Callable[[Config, Services], Feature | None]


def _tracing(config: Config, services: Services) -> Feature | None:
    # The OpenTelemetry SDK (~4 MB) is imported only by gateways that trace.
    if config.observability.tracing is None:
        return None
    from interlingua.server.features import tracing

    return tracing.build(config, services)


# Tracing first (its SERVER span encloses the other hooks' work), then the in-flight and
# key limits; metrics, the access log and the request history read what the others left on
# the context when it completes.
BUILDERS: tuple[Builder, ...] = (
    _tracing,
    inflight.build,
    limits.build,
    server_timing.build,
    metrics.build,
    access_log.build,
    history.build,
)


def build_hooks(config: Config, services: Services, extra: Sequence[Feature] = ()) -> Hooks:
    """The enabled features of ``config`` (then ``extra``), as the hook lists of one state snapshot."""
    features = [feature for build in BUILDERS if (feature := build(config, services)) is not None]
    return Hooks([*features, *extra])
