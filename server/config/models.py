"""The ``models`` section (which provider serves a model name) and ``model_access`` (which
model names clients may ask for at all). Behaviour: :mod:`interlingua.server.routing`."""

from __future__ import annotations

from pydantic import Field

from interlingua.server.config._base import Strict

__all__ = ["ModelAccess", "ModelRoute"]


class ModelRoute(Strict):
    name: str = Field(min_length=1)  # exact name or glob (* ? [..]); the first match wins
    provider: str
    upstream_model: str | None = None  # [the client's]
    display_name: str | None = None  # [the name]


class ModelAccess(Strict):
    """Globs checked before routing: a refused model gets 400 ``model_not_allowed``."""

    allow: tuple[str, ...] = ()  # when non-empty, every other model is refused
    block: tuple[str, ...] = ()  # refused even when allowed
