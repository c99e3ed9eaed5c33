"""``admin:``: the admin HTTP API (``/admin/keys``)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from interlingua.server.config._base import Strict

__all__ = ["AdminConfig"]


class AdminConfig(Strict):
    """The admin HTTP API (``/admin/keys``) and the dashboard (``/ui``) are served only when
    ``api_key`` is set. ``session_hours``: how long a dashboard sign-in lasts."""

    api_key: SecretStr | None = None
    session_hours: int = Field(default=12, ge=1, le=720)

    @field_validator("api_key")
    @classmethod
    def _long_enough(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None and len(key.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters (is its environment variable set?)")
        return key
