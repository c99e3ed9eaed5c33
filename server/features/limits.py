"""Issued keys' allowed models, rate, token and concurrency limits, and budgets
(``limits``, ``pricing`` and the keys in the store): :mod:`interlingua.server.limits`."""

from __future__ import annotations

from interlingua.server.config import Config
from interlingua.server.limits.build import build_feature
from interlingua.server.pipeline.hooks import Feature
from interlingua.server.services import Services

__all__ = ["build"]


def build(config: Config, services: Services) -> Feature | None:
    return build_feature(config, services.counters, services.keys)
