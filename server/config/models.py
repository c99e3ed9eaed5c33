"""The ``models`` section (which provider serves a model name) and ``model_access`` (which
model names clients may ask for at all). Behaviour: :mod:`interlingua.server.routing`."""

from __future__ import annotations

from pydantic import Field, model_validator

from interlingua.server.config._base import LocatedValueError, Strict
from interlingua.server.config.routing import Balance, RouteCache, TargetConfig

__all__ = ["ModelAccess", "ModelRoute"]


class ModelRoute(Strict):
    name: str = Field(min_length=1)  # exact name or glob (* ? [..]); the first match wins
    provider: str | None = None  # the one-target form (else targets)
    upstream_model: str | None = None  # [the client's]
    display_name: str | None = None  # [the name]
    targets: tuple[TargetConfig, ...] = ()
    balance: Balance = "weighted"
    fallbacks: tuple[str, ...] = ()  # other model routes, tried after every target failed
    context_window_fallbacks: tuple[str, ...] = ()  # tried when the input is too long
    cache: RouteCache | None = None  # the response cache (opt-in)

    @model_validator(mode="after")
    def _one_form(self) -> ModelRoute:
        if (self.provider is None) == (not self.targets):
            raise ValueError("give provider (one target) or targets, exactly one of them")
        if self.targets and self.upstream_model is not None:
            raise LocatedValueError(("upstream_model",), "set it per target when targets are given")
        return self

    @property
    def all_targets(self) -> tuple[TargetConfig, ...]:
        """The targets, the one-provider form read as one target."""
        if self.targets:
            return self.targets
        assert self.provider is not None  # _one_form
        return (TargetConfig(provider=self.provider, upstream_model=self.upstream_model),)


class ModelAccess(Strict):
    """Globs checked before routing: a refused model gets 400 ``model_not_allowed``."""

    allow: tuple[str, ...] = ()  # when non-empty, every other model is refused
    block: tuple[str, ...] = ()  # refused even when allowed
