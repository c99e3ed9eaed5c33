"""What an issued key is: the admin API's request bodies and the stored record.

Bodies are validated strictly (unknown fields refused) so that a typo such as ``"rmp"``
is a 400 naming the field, not a silently unlimited key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from interlingua.server.config.limits import LimitValues, glob_matches
from interlingua.server.keys.tokens import display

__all__ = ["Budget", "KeyCreate", "KeyLimits", "KeyUpdate", "Period", "VirtualKey"]

Period = Literal["1h", "1d", "7d", "30d", "month"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyLimits(LimitValues):
    """Per key, and per model glob (``per_model``: first matching glob applies)."""

    per_model: dict[str, LimitValues] = Field(default_factory=dict)


class Budget(_Body):
    tokens: int | None = Field(None, ge=1)
    usd: float | None = Field(None, gt=0)
    period: Period = "month"

    @model_validator(mode="after")
    def _something(self) -> Budget:
        if self.tokens is None and self.usd is None:
            raise ValueError("set tokens and/or usd")
        return self


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class KeyCreate(_Body):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:@/+-]+$")
    models: tuple[str, ...] = ()
    limits: KeyLimits = KeyLimits()
    budget: Budget | None = None
    expires_at: datetime | None = None
    enabled: bool = True
    metadata: dict[str, Any] = Field(default_factory=dict)

    _expiry = field_validator("expires_at")(_utc)


class KeyUpdate(_Body):
    """PATCH: only the fields present change (``null`` clears budget and expiry)."""

    name: str | None = Field(None, min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:@/+-]+$")
    models: tuple[str, ...] | None = None
    limits: KeyLimits | None = None
    budget: Budget | None = None
    expires_at: datetime | None = None
    enabled: bool | None = None
    metadata: dict[str, Any] | None = None

    _expiry = field_validator("expires_at")(_utc)

    @model_validator(mode="after")
    def _not_null(self) -> KeyUpdate:
        for name in ("name", "models", "limits", "enabled", "metadata"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name}: may not be null")
        return self


@dataclass(frozen=True, slots=True)
class VirtualKey:
    """A stored key (never the key itself: ``secret_hash`` is an HMAC of its secret)."""

    id: str
    name: str
    secret_hash: str
    last4: str
    models: tuple[str, ...]
    limits: KeyLimits
    budget: Budget | None
    metadata: dict[str, Any]
    enabled: bool
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    revoked_at: datetime | None

    def allows(self, model: str) -> bool:
        return not self.models or any(glob_matches(glob, model) for glob in self.models)

    def usable(self, now: datetime) -> str | None:
        """Why the key cannot be used now (None: it can)."""
        if self.revoked_at is not None:
            return "revoked"
        if not self.enabled:
            return "disabled"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return None

    def public(self) -> dict[str, Any]:
        """The admin API's view (no hash)."""
        return {
            "id": self.id,
            "name": self.name,
            "display": display(self.id, self.last4),
            "models": list(self.models),
            "limits": self.limits.model_dump(exclude_defaults=True),
            "budget": self.budget.model_dump(exclude_none=True) if self.budget else None,
            "metadata": self.metadata,
            "enabled": self.enabled,
            "expires_at": _iso(self.expires_at),
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "revoked_at": _iso(self.revoked_at),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
