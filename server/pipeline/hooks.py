"""Gateway features and the named points where they hook into a request.

A feature is one module plus one config section: a :class:`Feature` subclass that
overrides only the hooks it needs. :class:`Hooks` keeps, per point, the bound methods of
the enabled features that override it, so a point no feature uses costs one empty loop,
and a disabled feature costs nothing at all (it is not in the list).

=================  =====================================  ===================================
point              when                                   typical use
=================  =====================================  ===================================
request_start      the context exists (body not yet read) start a span, count requests
admit              body read, before routing; may raise   in-flight and rate limits, the key's
                   GatewayError                           model allow list
before_attempt     before each upstream call              pick a key, reserve, inject headers
after_attempt      after each call's status/failure       cooldowns, attempt metrics
response_headers   when the response starts               rate-limit headers, server-timing
first_byte         first answer bytes reach the relay     time to first token (sync: hot path)
complete           the answer ended (streams: last byte,  settle usage, metrics, access log
                   client gone or upstream cut)
=================  =====================================  ===================================

``complete`` runs exactly once per request that had a ``request_start``, whatever the
outcome (errors and cancelled streams included), with ``ctx.outcome`` set. A hook that raises in
``admit`` rejects the request with that error; exceptions elsewhere are logged and never
reach the client (observability must not break requests).

A feature with nothing to do yet (the limits feature before any key is issued or rule
configured) says so with ``dormant``: it stays out of every list, so it costs nothing per
request, until it calls the ``wake`` it was given in ``attach``; then the lists are rebuilt
(before the request that woke it reaches ``admit``, so no request skips a hook it needs).

Features may also run background work (a batch writer, a cache sweeper): ``start`` when
serving starts (inside the event loop), ``stop`` when it stops, after requests drained.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from interlingua.server.pipeline.context import Attempt, RequestContext

__all__ = ["Feature", "Hooks"]

log = logging.getLogger("interlingua.server")

class Feature:
    """Base class: every hook is a no-op; override what the feature needs."""

    name: ClassVar[str] = "feature"

    async def start(self) -> None:
        """Serving started (in the serving event loop)."""

    async def stop(self) -> None:
        """Serving stops (requests have drained); flush what is buffered."""

    def dormant(self) -> bool:
        """Whether no request can need this feature's hooks yet (then they are not run)."""
        return False

    def attach(self, wake: Callable[[], None]) -> None:
        """Given by the :class:`Hooks` holding this feature: a dormant feature calls
        ``wake`` (synchronously, before its first needed hook) when it has work."""

    async def request_start(self, ctx: RequestContext) -> None:
        pass

    async def admit(self, ctx: RequestContext) -> None:
        """Raise a :class:`~interlingua.errors.GatewayError` to refuse the request."""

    async def before_attempt(self, ctx: RequestContext, attempt: Attempt) -> None:
        pass

    async def after_attempt(self, ctx: RequestContext, attempt: Attempt) -> None:
        pass

    def response_headers(self, ctx: RequestContext) -> Iterable[tuple[bytes, bytes]]:
        """Headers to add to the response, as sent (latin-1 bytes: h11 takes bytes, and the
        rate-limit headers of every limited answer are cheaper built so than encoded)."""
        return ()

    def first_byte(self, ctx: RequestContext) -> None:
        pass

    async def complete(self, ctx: RequestContext) -> None:
        pass


def _overrides(feature: Feature, point: str) -> bool:
    return getattr(type(feature), point) is not getattr(Feature, point)


class Hooks:
    """The enabled features' hooks, per point, in the order the features were given.

    ``<point>_hooks`` is the point's list; the stages test it before awaiting the point, so
    a point no feature uses costs the hot path an attribute test, not a coroutine."""

    __slots__ = (
        "__weakref__",  # dormant features hold Hooks.wake weakly
        "admit_hooks",
        "after_attempt_hooks",
        "before_attempt_hooks",
        "complete_hooks",
        "features",
        "first_byte_hooks",
        "request_start_hooks",
        "response_headers_hooks",
    )

    def __init__(self, features: Sequence[Feature] = ()) -> None:
        self.features = tuple(features)
        self.wake()
        for feature in self.features:
            feature.attach(self.wake)

    def wake(self) -> None:
        """(Re)build the lists from the features that are not dormant."""
        awake = [f for f in self.features if not f.dormant()]

        def bound(point: str) -> list[Callable[..., object]]:
            return [getattr(f, point) for f in awake if _overrides(f, point)]

        self.request_start_hooks = bound("request_start")
        self.admit_hooks: list[Callable[[RequestContext], Awaitable[None]]] = bound("admit")  # type: ignore[assignment]
        self.before_attempt_hooks = bound("before_attempt")
        self.after_attempt_hooks = bound("after_attempt")
        self.response_headers_hooks = bound("response_headers")
        self.first_byte_hooks = bound("first_byte")
        self.complete_hooks = bound("complete")

    def feature(self, name: str) -> Feature | None:
        return next((f for f in self.features if f.name == name), None)

    async def start(self) -> None:
        for feature in self.features:
            await feature.start()

    async def stop(self) -> None:
        for feature in reversed(self.features):
            try:
                await feature.stop()
            except Exception:
                log.exception("feature %s failed to stop cleanly", feature.name)

    async def request_start(self, ctx: RequestContext) -> None:
        for hook in self.request_start_hooks:
            await _quietly(hook, ctx)

    async def admit(self, ctx: RequestContext) -> None:
        for hook in self.admit_hooks:
            await hook(ctx)  # a GatewayError here refuses the request

    async def before_attempt(self, ctx: RequestContext, attempt: Attempt) -> None:
        for hook in self.before_attempt_hooks:
            await _quietly(hook, ctx, attempt)

    async def after_attempt(self, ctx: RequestContext, attempt: Attempt) -> None:
        for hook in self.after_attempt_hooks:
            await _quietly(hook, ctx, attempt)

    def response_headers(self, ctx: RequestContext) -> list[tuple[bytes, bytes]]:
        out: list[tuple[bytes, bytes]] = []
        for hook in self.response_headers_hooks:
            try:
                out.extend(hook(ctx))  # type: ignore[arg-type]
            except Exception:
                log.exception("response_headers hook failed (request %s)", ctx.request_id)
        return out

    def first_byte(self, ctx: RequestContext) -> None:
        for hook in self.first_byte_hooks:
            try:
                hook(ctx)
            except Exception:
                log.exception("first_byte hook failed (request %s)", ctx.request_id)

    async def complete(self, ctx: RequestContext) -> None:
        # _quietly written out: every request runs this, and its coroutine would be one more per hook.
        for hook in self.complete_hooks:
            try:
                result = hook(ctx)
                if result is not None:
                    await result  # type: ignore[misc]
            except Exception:
                _failed(hook, ctx)


async def _quietly(hook: Callable[..., object], *args: object) -> None:
    try:
        result = hook(*args)
        if result is not None:
            await result  # type: ignore[misc]
    except Exception:
        _failed(hook, args[0] if args else None)


def _failed(hook: Callable[..., object], ctx: object) -> None:
    log.exception("%s hook failed (request %s)", getattr(hook, "__qualname__", hook), getattr(ctx, "request_id", "-"))

