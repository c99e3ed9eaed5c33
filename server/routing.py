"""Which targets serve a model name, in which order, under which upstream names.

``models[]`` entries are tried in order and the first whose name (or glob)
matches wins. Allow and block lists are globs too. A route holds its targets and
the legs the attempt stage walks (:mod:`interlingua.server.resilience.plan`): the
route's own targets, then each ``fallbacks`` route's, with ``context_window_fallbacks``
apart. Lookups are memoised: the set of model names clients send is small, and a hit
costs one dict lookup on the hot path; the memo also keeps each route's balancer state.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from interlingua.errors import InvalidRequest, NotFound
from interlingua.server.cache.serve import ResponseCache
from interlingua.server.config import Config, ModelRoute, ProviderConfig
from interlingua.server.config.routing import RouteCache
from interlingua.server.resilience.balance import Balancer, Slot
from interlingua.server.resilience.health import HealthBook
from interlingua.server.resilience.memory import RoutingMemory
from interlingua.server.resilience.plan import Leg
from interlingua.translate import Policy

__all__ = ["Resilience", "Route", "Router", "Target"]

_CACHE_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class Target:
    """One upstream that can serve a route: a provider, the model name it is asked for,
    and the translation policy for its format (dialects differ)."""

    provider: ProviderConfig
    upstream_model: str
    policy: Policy
    # ``provider/upstream-model``: how logs, metrics and headers name the target (every
    # answer's x-interlingua-target; built once, since a route's targets are memoised).
    name: str = field(init=False, compare=False, repr=False)
    # ``name`` as the header value (a character latin-1 lacks becomes "?", not a failed answer).
    name_header: bytes = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"{self.provider.name}/{self.upstream_model}")
        object.__setattr__(self, "name_header", self.name.encode("latin-1", "replace"))


@dataclass(frozen=True, slots=True)
class Route:
    client_model: str
    targets: tuple[Target, ...]
    legs: tuple[Leg[Target], ...]  # this route's targets, then each fallback route's
    context_legs: tuple[Leg[Target], ...] = ()
    cache: RouteCache | None = None

    # The first target's fields, for the calls that go to one target (count_tokens).
    @property
    def provider(self) -> ProviderConfig:
        return self.targets[0].provider

    @property
    def upstream_model(self) -> str:
        return self.targets[0].upstream_model

    @property
    def policy(self) -> Policy:
        return self.targets[0].policy


class Resilience:
    """A snapshot's view of the routing state that outlives requests and reloads (target
    health and key pools live in ``memory``, one per process, in the services)."""

    def __init__(self, config: Config, memory: RoutingMemory | None = None) -> None:
        memory = memory or RoutingMemory()
        self.config = config.routing
        self.health = HealthBook(config.routing.cooldown, targets=memory.targets, fleet=memory.fleet)
        self.pools = {p.name: memory.pool(p.name, p.keys, config.routing.keys) for p in config.providers}


def _glob(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


class Router:
    def __init__(self, config: Config, memory: RoutingMemory | None = None) -> None:
        self._config = config
        self._policies = {p.name: config.translation.to_policy(p.dialect) for p in config.providers}
        memory = memory or RoutingMemory()
        self.resilience = Resilience(config, memory)
        # The response cache of this snapshot (a reload empties it), when a route wants one.
        cached = any(route.cache is not None for route in config.models)
        self.cache = ResponseCache(config.routing.cache, memory.cache_store) if cached else None
        self._entries = [(re.compile(fnmatch.translate(m.name)), m) for m in config.models]
        self._by_name = {m.name: m for m in reversed(config.models)}
        self._allow = _glob(config.model_access.allow)
        self._block = _glob(config.model_access.block)
        self._cache: dict[str, Route] = {}

    def target(self, provider: str, upstream_model: str = "") -> Target:
        """A target outside every route: ``provider`` itself, for a call that must go to the
        provider that holds something (the response a Responses upstream stored); raises
        KeyError when the config has no such provider."""
        policy = self._policies[provider]  # first: the KeyError the doc promises
        return Target(self._config.provider(provider), upstream_model, policy)

    def route(self, model: str) -> Route:
        """The route for ``model``; raises 400 (not allowed) or 404 (no provider serves it)."""
        found = self._cache.get(model)
        if found is not None:
            return found
        if (self._allow is not None and not self._allow.match(model)) or (
            self._block is not None and self._block.match(model)
        ):
            raise InvalidRequest(
                f"model {model!r} is not allowed on this gateway", param="model", code="model_not_allowed"
            )
        for pattern, entry in self._entries:
            if pattern.match(model):
                route = self._route(entry, model)
                if len(self._cache) < _CACHE_LIMIT:
                    self._cache[model] = route
                return route
        raise NotFound(
            f"model {model!r} is not served by this gateway", param="model", code="model_not_found"
        )

    def _route(self, entry: ModelRoute, model: str) -> Route:
        own = self._leg(entry, model)
        fallbacks = tuple(self._leg(self._by_name[name], name) for name in entry.fallbacks)
        context = tuple(self._leg(self._by_name[name], name) for name in entry.context_window_fallbacks)
        return Route(model, own.targets, (own, *fallbacks), context, entry.cache)

    def _leg(self, entry: ModelRoute, model: str) -> Leg[Target]:
        """One route's targets for client model ``model``, with a balancer of their own."""
        health = self.resilience.health
        configured = entry.all_targets
        targets = tuple(
            Target(self._config.provider(t.provider), t.upstream_model or model, self._policies[t.provider])
            for t in configured
        )
        pools = self.resilience.pools
        slots = [
            Slot(i, t.weight, t.priority, health[targets[i].name], pools[t.provider])
            for i, t in enumerate(configured)
        ]
        return Leg(model, Balancer(slots, entry.balance), targets)

    def listed(self) -> list[tuple[str, str]]:
        """(id, display name) of the models GET /v1/models shows: the configured names that are not globs."""
        out: list[tuple[str, str]] = []
        for _, entry in self._entries:
            if any(ch in entry.name for ch in "*?[") or entry.name in (i for i, _ in out):
                continue
            try:
                self.route(entry.name)
            except (InvalidRequest, NotFound):
                continue
            out.append((entry.name, entry.display_name or entry.name))
        return out

    def table(self) -> list[tuple[str, str, str]]:
        """(pattern, provider description, upstream model) rows for ``check-config``, one per target."""
        rows = []
        for _, entry in self._entries:
            for target in entry.all_targets:
                provider = self._config.provider(target.provider)
                described = f"{provider.name} ({provider.format.value}, {provider.url})"
                rows.append((entry.name, described, target.upstream_model or "<as sent>"))
        return rows
