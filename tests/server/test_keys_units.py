"""Units of issued keys and budgets: key strings, the authenticator's cache and revision
poll, budget periods, pricing, the usage writer."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from interlingua.errors import AuthenticationFailed
from interlingua.server.config.limits import PriceRule
from interlingua.server.keys import authenticator as authenticator_module
from interlingua.server.keys.authenticator import VirtualKeyAuthenticator
from interlingua.server.keys.model import KeyCreate, KeyUpdate
from interlingua.server.keys.periods import period_bounds
from interlingua.server.keys.repository import KeyRepository
from interlingua.server.keys.tokens import display, hash_secret, new_key, parse_key
from interlingua.server.limits.pricing import Pricing
from interlingua.server.limits.usage import UsageRecorder
from interlingua.server.pipeline.context import Usage
from interlingua.server.store import Store
from interlingua.server.store.schema import usage_records


def test_tokens_format_parse_and_hash() -> None:
    public_id, secret = new_key()
    key = f"il-{public_id}-{secret}"
    assert parse_key(key) == (public_id, secret)
    for bad in ("", "sk-abc", key[:-1], key + "x", key.replace("-", "_"), "il-" + "-" * 53):
        assert parse_key(bad) is None
    assert hash_secret(b"a" * 16, secret) != hash_secret(b"b" * 16, secret)
    assert secret not in display(public_id, secret[-4:])


async def test_authenticator_cache_follows_the_revision(repo: KeyRepository) -> None:
    auth = VirtualKeyAuthenticator(repo, poll_s=3600)  # polled by hand below
    await auth.refresh()
    assert not auth.required
    key, secret = await repo.create(KeyCreate(name="a"))
    await auth.refresh()
    assert auth.required
    principal = await auth.authenticate(secret.encode())
    assert principal is not None
    assert (principal.kind, principal.name, principal.key_id) == ("virtual_key", "a", key.id)
    assert await auth.authenticate(b"sk-not-ours") is None  # another authenticator's
    await repo.update(key.id, KeyUpdate(enabled=False))
    assert await auth.authenticate(secret.encode()) is principal  # cached until the poll...
    await auth.refresh()
    with pytest.raises(AuthenticationFailed, match="disabled"):  # ...which drops it
        await auth.authenticate(secret.encode())


async def test_authenticator_verifies_a_presented_key_once_per_revision(
    repo: KeyRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A verified key's next requests skip the HMAC; a wrong secret is checked every time,
    # and a revision change (here a revoke) makes the next request verify from the store.
    auth = VirtualKeyAuthenticator(repo, poll_s=3600)
    key, secret = await repo.create(KeyCreate(name="a"))
    await auth.refresh()
    hmacs = 0
    real = authenticator_module.secret_matches

    def counting(*args: object) -> bool:
        nonlocal hmacs
        hmacs += 1
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(authenticator_module, "secret_matches", counting)
    for _ in range(3):
        assert await auth.authenticate(secret.encode()) is not None
    assert hmacs == 1
    wrong = secret[:-1] + ("a" if secret[-1] != "a" else "b")
    for _ in range(2):
        with pytest.raises(AuthenticationFailed, match="invalid"):
            await auth.authenticate(wrong.encode())
    assert hmacs == 3
    await repo.revoke(key.id)
    await auth.refresh()
    with pytest.raises(AuthenticationFailed, match="revoked"):
        await auth.authenticate(secret.encode())
    assert hmacs == 4


async def test_authenticator_unknown_ids_cached_until_a_change(repo: KeyRepository) -> None:
    auth = VirtualKeyAuthenticator(repo, poll_s=3600)
    await auth.refresh()
    calls = 0
    real_get = repo.get

    async def counting_get(key_id: str):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return await real_get(key_id)

    repo.get = counting_get  # type: ignore[method-assign]
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            await auth.authenticate(b"il-nosuchkey000-" + b"a" * 40)
    assert calls == 1


async def test_authenticator_poll_survives_store_outage(repo: KeyRepository, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    auth = VirtualKeyAuthenticator(repo, poll_s=0.01)
    await auth.start()
    real = repo.store.revision

    async def failing() -> int:
        raise OSError("store down")

    repo.store.revision = failing  # type: ignore[method-assign]
    await asyncio.sleep(0.1)
    repo.store.revision = real  # type: ignore[method-assign]
    await asyncio.sleep(0.05)
    await auth.stop()
    assert caplog.text.count("cannot read the store's key revision") == 1
    assert "store reachable again" in caplog.text


def test_periods() -> None:
    now = datetime(2026, 12, 5, 17, 30, tzinfo=UTC)
    created = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert period_bounds("1h", now, created) == (now.replace(minute=0), now.replace(minute=0) + timedelta(hours=1))
    assert period_bounds("1d", now, created)[0] == datetime(2026, 12, 5, tzinfo=UTC)
    assert period_bounds("month", now, created) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    start, end = period_bounds("7d", now, created)
    assert start == created + timedelta(days=28)
    assert end - start == timedelta(days=7)
    assert start <= now < end


def test_pricing_cost_and_estimate() -> None:
    pricing = Pricing([PriceRule(model="gpt-4o*", input=2.5, output=10, cache_read=1.25), PriceRule(model="*", input=1)])
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=200_000, cache_creation_tokens=10)
    assert pricing.cost("gpt-4o-mini", usage) == pytest.approx(2.5 + 1.0 + 0.25 + 2.5e-5)
    assert pricing.cost("other", usage) == pytest.approx(1.0 + 0.2 + 1e-5)
    assert pricing.estimate("gpt-4o", 1000, 1000) == pytest.approx(0.0125)
    assert Pricing([]).cost("x", usage) == 0


async def _count(store: Store) -> int:
    async with store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(usage_records)) or 0)


async def test_usage_writer_batches_and_flushes_on_stop(repo: KeyRepository) -> None:
    writer = UsageRecorder(repo.store, batch_size=3, flush_s=3600)
    await writer.start()
    for i in range(7):
        writer.record(key_id="k", model="m", request_id=f"r{i}", status=200, tokens=(1, 2, 0, 0), cost=0.5)
    await asyncio.sleep(0.1)  # two full batches were due
    assert await _count(repo.store) == 6
    await writer.stop()
    assert await _count(repo.store) == 7
    sums = await repo.usage("k", None)
    assert (sums["requests"], sums["total_tokens"], sums["spend_usd"]) == (7, 21, 3.5)
