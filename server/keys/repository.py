"""Issued keys in the store: create, list, get, update, revoke, and usage sums.

Every change bumps the store's key revision in the same transaction, which is how other
workers and instances learn to drop their cached copy (see ``authenticator``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from interlingua.server.keys.model import Budget, KeyCreate, KeyLimits, KeyUpdate, VirtualKey
from interlingua.server.keys.tokens import full_key, hash_secret, new_key
from interlingua.server.store import Store, bump_revision
from interlingua.server.store.schema import api_keys, usage_records

__all__ = ["DuplicateName", "KeyRepository", "UsageSums"]


class DuplicateName(ValueError):
    """Another key already has this name."""


UsageSums = dict[str, float]


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes: everything is stored in UTC.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _record(row: Row[Any]) -> VirtualKey:
    m = row._mapping
    return VirtualKey(
        id=m["id"],
        name=m["name"],
        secret_hash=m["secret_hash"],
        last4=m["last4"],
        models=tuple(m["models"]),
        limits=KeyLimits.model_validate(m["limits"]),
        budget=Budget.model_validate(m["budget"]) if m["budget"] else None,
        metadata=dict(m["metadata"]),
        enabled=bool(m["enabled"]),
        expires_at=_aware(m["expires_at"]),
        created_at=_aware(m["created_at"]),  # type: ignore[arg-type]
        updated_at=_aware(m["updated_at"]),  # type: ignore[arg-type]
        revoked_at=_aware(m["revoked_at"]),
    )


class KeyRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def create(self, spec: KeyCreate) -> tuple[VirtualKey, str]:
        """The new record and the full key (shown once, never stored)."""
        public_id, secret = new_key()
        now = _now()
        values = {
            "id": public_id,
            "name": spec.name,
            "secret_hash": hash_secret(self.store.secret, secret),
            "last4": secret[-4:],
            "models": list(spec.models),
            "limits": spec.limits.model_dump(exclude_defaults=True),
            "budget": spec.budget.model_dump(exclude_none=True) if spec.budget else None,
            "metadata": spec.metadata,
            "enabled": spec.enabled,
            "expires_at": spec.expires_at,
            "created_at": now,
            "updated_at": now,
            "revoked_at": None,
        }
        try:
            async with self.store.engine.begin() as conn:
                await conn.execute(insert(api_keys).values(**values))
                await bump_revision(conn)
        except IntegrityError:
            raise DuplicateName(f"a key named {spec.name!r} exists") from None
        key = await self.get(public_id)
        assert key is not None
        return key, full_key(public_id, secret)

    async def get(self, key_id: str) -> VirtualKey | None:
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(select(api_keys).where(api_keys.c.id == key_id))).first()
        return _record(row) if row is not None else None

    async def list(self, *, limit: int, after: str | None = None) -> tuple[list[VirtualKey], bool]:
        """Up to ``limit`` keys ordered by id, after the cursor; and whether more follow."""
        query = select(api_keys).order_by(api_keys.c.id).limit(limit + 1)
        if after:
            query = query.where(api_keys.c.id > after)
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_record(row) for row in rows[:limit]], len(rows) > limit

    async def count(self) -> int:
        async with self.store.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(api_keys)) or 0)

    async def update(self, key_id: str, patch: KeyUpdate) -> VirtualKey | None:
        values: dict[str, Any] = {"updated_at": _now()}
        for name in patch.model_fields_set:
            value = getattr(patch, name)
            if name == "limits":
                value = value.model_dump(exclude_defaults=True)
            elif name == "budget":
                value = value.model_dump(exclude_none=True) if value else None
            elif name == "models":
                value = list(value)
            values[name] = value
        return await self._change(key_id, values, name=patch.name)

    async def revoke(self, key_id: str) -> VirtualKey | None:
        now = _now()
        return await self._change(key_id, {"revoked_at": now, "enabled": False, "updated_at": now})

    async def _change(self, key_id: str, values: dict[str, Any], name: str | None = None) -> VirtualKey | None:
        try:
            async with self.store.engine.begin() as conn:
                result = await conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(**values))
                if result.rowcount == 0:
                    return None
                await bump_revision(conn)
        except IntegrityError:
            raise DuplicateName(f"a key named {name!r} exists") from None
        return await self.get(key_id)

    async def usage(self, key_id: str, since: datetime | None) -> UsageSums:
        """Sums of the settled usage records since ``since`` (None: all time)."""
        u = usage_records.c
        query = select(
            func.count(),
            func.coalesce(func.sum(u.input_tokens), 0),
            func.coalesce(func.sum(u.output_tokens), 0),
            func.coalesce(func.sum(u.cache_read_tokens), 0),
            func.coalesce(func.sum(u.cache_creation_tokens), 0),
            func.coalesce(func.sum(u.cost_usd), 0.0),
        ).where(u.key_id == key_id)
        if since is not None:
            query = query.where(u.ts >= since)
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(query)).one()
        names = ("requests", "input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens")
        sums: UsageSums = {name: int(value) for name, value in zip(names, row[:5], strict=True)}
        sums["total_tokens"] = sum(sums[n] for n in names[1:])
        sums["spend_usd"] = round(float(row[5]), 6)
        return sums
