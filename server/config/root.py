"""``Config``: the document, one attribute per top-level section, and the checks across sections."""

from __future__ import annotations

from typing import Any

from pydantic import ModelWrapValidatorHandler, PrivateAttr, model_validator

from interlingua.server.config._base import LocatedValueError, Strict
from interlingua.server.config._migrate import migrate
from interlingua.server.config.admin import AdminConfig
from interlingua.server.config.limits import LimitRule, PriceRule
from interlingua.server.config.models import ModelAccess, ModelRoute
from interlingua.server.config.observability import ObservabilityConfig
from interlingua.server.config.providers import ProviderConfig
from interlingua.server.config.redis import RedisConfig
from interlingua.server.config.responses import ResponsesConfig
from interlingua.server.config.routes import PrefixRoute
from interlingua.server.config.routing import RoutingConfig
from interlingua.server.config.server import ServerConfig
from interlingua.server.config.store import StoreConfig
from interlingua.server.config.translation import TranslationConfig

__all__ = ["Config"]


class Config(Strict):
    # The sections, in the order docs/config.md documents them. A new section is one line
    # here (name: its model = its default) plus its module; see the package docstring.
    server: ServerConfig = ServerConfig()
    providers: tuple[ProviderConfig, ...] = ()
    models: tuple[ModelRoute, ...] = ()
    model_access: ModelAccess = ModelAccess()
    translation: TranslationConfig = TranslationConfig()
    store: StoreConfig = StoreConfig()
    responses: ResponsesConfig = ResponsesConfig()
    admin: AdminConfig = AdminConfig()
    redis: RedisConfig = RedisConfig()
    limits: tuple[LimitRule, ...] = ()
    pricing: tuple[PriceRule, ...] = ()
    observability: ObservabilityConfig = ObservabilityConfig()
    routing: RoutingConfig = RoutingConfig()
    routes: tuple[PrefixRoute, ...] = ()

    _deprecations: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _renamed_keys(cls, data: Any, handler: ModelWrapValidatorHandler[Config]) -> Config:
        notes: list[str] = []
        if isinstance(data, dict):
            data, notes = migrate(data)
        config = handler(data)
        config._deprecations = tuple(notes)
        return config

    @model_validator(mode="after")
    def _references(self) -> Config:
        names = [p.name for p in self.providers]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise LocatedValueError(("providers", i, "name"), f"duplicate provider name {name!r}")
        known = ", ".join(names) or "none configured"
        routes = {route.name for route in self.models}
        for i, route in enumerate(self.models):
            if route.provider is not None and route.provider not in names:
                raise LocatedValueError(
                    ("models", i, "provider"), f"unknown provider {route.provider!r} (providers: {known})"
                )
            for j, target in enumerate(route.targets):
                if target.provider not in names:
                    raise LocatedValueError(
                        ("models", i, "targets", j, "provider"),
                        f"unknown provider {target.provider!r} (providers: {known})",
                    )
            for key in ("fallbacks", "context_window_fallbacks"):
                for j, name in enumerate(getattr(route, key)):
                    if name not in routes or name == route.name:
                        raise LocatedValueError(("models", i, key, j), f"{name!r} is not another model route's name")
        return self

    @property
    def deprecations(self) -> tuple[str, ...]:
        """One message per deprecated key the document used (it loaded; the key should be renamed)."""
        return self._deprecations

    def provider(self, name: str) -> ProviderConfig:
        return next(p for p in self.providers if p.name == name)
