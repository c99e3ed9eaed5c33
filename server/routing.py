"""Which upstream targets serve a model name, under which upstream names.

A :class:`Route` holds an *ordered* list of candidate :class:`Target` s (one today per
model entry; balancing and failover order them), so the attempt stage never assumes a
single upstream. ``models[]`` entries are tried in order and the first whose name (or
glob) matches wins. Allow and block lists are globs too. Lookups are memoised: the
set of model names clients send is small, and a hit costs one dict lookup on
the hot path.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from interlingua.errors import InvalidRequest, NotFound
from interlingua.server.config import Config, ProviderConfig
from interlingua.translate import Policy

__all__ = ["Route", "Router", "Target"]

_CACHE_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class Target:
    """One upstream that can serve a route: a provider, the model name it is asked for,
    and the translation policy for its format (dialects differ)."""

    provider: ProviderConfig
    upstream_model: str
    policy: Policy

    @property
    def name(self) -> str:
        """``provider/upstream-model``: how logs, metrics and headers name the target."""
        return f"{self.provider.name}/{self.upstream_model}"


@dataclass(frozen=True, slots=True)
class Route:
    client_model: str
    targets: tuple[Target, ...]


def _glob(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


class Router:
    def __init__(self, config: Config) -> None:
        policies = {p.name: config.translation.to_policy(p.dialect) for p in config.providers}
        self._entries = [
            (re.compile(fnmatch.translate(m.name)), m, config.provider(m.provider), policies[m.provider])
            for m in config.models
        ]
        self._allow = _glob(config.model_access.allow)
        self._block = _glob(config.model_access.block)
        self._cache: dict[str, Route] = {}

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
        for pattern, entry, provider, policy in self._entries:
            if pattern.match(model):
                route = Route(model, (Target(provider, entry.upstream_model or model, policy),))
                if len(self._cache) < _CACHE_LIMIT:
                    self._cache[model] = route
                return route
        raise NotFound(
            f"model {model!r} is not served by this gateway", param="model", code="model_not_found"
        )

    def listed(self) -> list[tuple[str, str]]:
        """(id, display name) of the models GET /v1/models shows: the configured names that are not globs."""
        out: list[tuple[str, str]] = []
        for _, entry, _, _ in self._entries:
            if any(ch in entry.name for ch in "*?[") or entry.name in (i for i, _ in out):
                continue
            try:
                self.route(entry.name)
            except (InvalidRequest, NotFound):
                continue
            out.append((entry.name, entry.display_name or entry.name))
        return out

    def table(self) -> list[tuple[str, str, str]]:
        """(pattern, provider description, upstream model) rows for ``check-config``."""
        return [
            (
                entry.name,
                f"{provider.name} ({provider.format.value}, {provider.url})",
                entry.upstream_model or "<as sent>",
            )
            for _, entry, provider, _ in self._entries
        ]
