"""Dashboard sign-in, sessions and CSRF over HTTP on the real gateway (the browser tests
are tests/server/test_dashboard_browser.py): the one admin check accepts the Bearer key or
a session cookie, and a session cookie only with the CSRF token and the gateway's origin."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from keys_helpers import ADMIN_KEY, SECRET, keys_config
from server_helpers import make_config, serving
from tls_helpers import self_signed

from interlingua.server.config.store import StoreConfig
from interlingua.server.dashboard.session import COOKIE, SessionCodec, SessionDenyList
from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.store import Store
from interlingua.server.testing import running_gateway


@pytest.fixture
async def gateway_url(upstream: FakeUpstream, tmp_path: Path) -> AsyncIterator[str]:
    async with running_gateway(keys_config(upstream, tmp_path / "keys.db")) as url:
        yield url


def _browser(url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, headers={"origin": url}, timeout=10)


@asynccontextmanager
async def _signed_in(url: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A client holding a session cookie, and the session's CSRF token."""
    async with _browser(url) as client:
        r = await client.post("/ui/signin", data={"key": ADMIN_KEY})
        assert r.status_code == 303, r.text
        assert r.headers["location"] == "/ui"
        yield client, (await client.get("/ui/session")).json()["csrf"]


async def test_dashboard_needs_a_session(gateway_url: str) -> None:
    async with _browser(gateway_url) as client:
        r = await client.get("/ui")
        assert (r.status_code, r.headers["location"]) == (303, "/ui/signin")
        assert (await client.get("/ui/signin")).status_code == 200
        assert (await client.get("/ui/static/style.css")).status_code == 200
        assert (await client.get("/ui/static/app.js")).status_code == 401
        assert (await client.get("/ui/session")).status_code == 401
        assert (await client.get("/admin/keys")).status_code == 401
        assert (await client.get("/ui/static/..%2Fsession.py")).status_code in (401, 404)


async def test_dashboard_signin_cookie_is_httponly_strict(gateway_url: str) -> None:
    async with _browser(gateway_url) as client:
        r = await client.post("/ui/signin", data={"key": ADMIN_KEY})
        cookie = r.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=")
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        assert "Secure" not in cookie  # plain HTTP here; over TLS it is set
        page = await client.get("/ui")
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert ADMIN_KEY not in page.text


async def test_dashboard_wrong_key_is_refused_with_a_message(gateway_url: str) -> None:
    async with _browser(gateway_url) as client:
        r = await client.post("/ui/signin", data={"key": "not-the-admin-key-at-all"})
        assert r.status_code == 401
        assert "Wrong admin key." in r.text
        assert "set-cookie" not in r.headers
        assert (await client.get("/admin/keys")).status_code == 401


async def test_dashboard_signin_from_another_origin_is_refused(gateway_url: str) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, headers={"origin": "http://evil.example"}) as client:
        r = await client.post("/ui/signin", data={"key": ADMIN_KEY})
        assert r.status_code == 403
        assert "set-cookie" not in r.headers


async def test_dashboard_signin_attempts_are_limited(gateway_url: str) -> None:
    async with _browser(gateway_url) as client:
        statuses = [(await client.post("/ui/signin", data={"key": f"wrong-{i}"})).status_code for i in range(11)]
        assert statuses == [401] * 10 + [429]
        r = await client.post("/ui/signin", data={"key": ADMIN_KEY})  # even the right key waits
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) > 0
        assert "Too many failed attempts" in r.text


async def test_dashboard_session_reads_admin_api_and_changes_need_csrf(gateway_url: str) -> None:
    async with _signed_in(gateway_url) as (client, csrf):
        assert (await client.get("/admin/keys")).status_code == 200
        assert (await client.get("/admin/targets")).status_code == 200  # every admin surface
        no_token = await client.post("/admin/keys", json={"name": "a"})
        assert no_token.status_code == 403
        assert "CSRF" in no_token.json()["error"]["message"]
        wrong = await client.post("/admin/keys", json={"name": "a"}, headers={"x-csrf-token": csrf[:-1] + "x"})
        assert wrong.status_code == 403
        foreign = await client.post(
            "/admin/keys", json={"name": "a"}, headers={"x-csrf-token": csrf, "origin": "http://evil.example"}
        )
        assert foreign.status_code == 403
        ok = await client.post("/admin/keys", json={"name": "a"}, headers={"x-csrf-token": csrf})
        assert ok.status_code == 201, ok.text


async def test_dashboard_bearer_key_still_works_and_wrong_bearer_beats_cookie(gateway_url: str) -> None:
    async with _signed_in(gateway_url) as (client, _):
        r = await client.post("/admin/keys", json={"name": "b"}, headers={"authorization": f"Bearer {ADMIN_KEY}"})
        assert r.status_code == 201
        r = await client.get("/admin/keys", headers={"authorization": "Bearer wrong"})
        assert r.status_code == 401


async def test_dashboard_signout_ends_the_session_in_every_process(upstream: FakeUpstream, tmp_path: Path) -> None:
    """Two gateways on one store stand for two workers: a session made on one is valid on
    the other, and signing out on one ends it on both."""
    config = keys_config(upstream, tmp_path / "keys.db")
    async with (
        running_gateway(config) as a,
        running_gateway(config) as b,
        _signed_in(a) as (client, csrf),
        _browser(b) as other,
    ):
        cookie = client.cookies[COOKIE]
        other.cookies.set(COOKIE, cookie)
        assert (await other.get("/admin/keys")).status_code == 200
        assert (await client.post("/ui/signout")).status_code == 403  # CSRF required
        r = await client.post("/ui/signout", headers={"x-csrf-token": csrf})
        assert r.status_code == 204
        assert (await other.get("/admin/keys")).status_code == 401
        other.cookies.set(COOKIE, cookie)
        assert (await other.get("/ui")).status_code == 303


async def test_dashboard_disabled_without_admin_key(upstream: FakeUpstream) -> None:
    async with running_gateway(make_config(upstream)) as url, httpx.AsyncClient(base_url=url) as client:
        for path in ("/ui", "/ui/signin", "/metrics/ui"):
            r = await client.get(path)
            assert r.status_code == 404
            assert "Dashboard disabled" in r.text
            assert "admin.api_key is not set" in r.text


async def test_dashboard_metrics_ui_redirects(gateway_url: str) -> None:
    async with _browser(gateway_url) as client:
        r = await client.get("/metrics/ui")
        assert (r.status_code, r.headers["location"]) == (303, "/ui")


async def test_dashboard_session_over_tls_with_two_workers(upstream: FakeUpstream, tmp_path: Path) -> None:
    """``interlingua serve --workers 2`` over TLS: the cookie is Secure, every worker accepts
    the session, and after sign-out none does."""
    certfile, keyfile = self_signed(tmp_path)
    verify = ssl.create_default_context(cafile=str(certfile))
    tls = {"tls": {"certfile": str(certfile), "keyfile": str(keyfile)}}
    store = {"url": f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}", "secret": SECRET}
    async with (
        serving(upstream, tmp_path, "--workers", "2", server=tls, verify=verify,
                store=store, admin={"api_key": ADMIN_KEY}) as (url, _),
        httpx.AsyncClient(base_url=url, verify=verify, headers={"origin": url}) as client,
    ):
        r = await client.post("/ui/signin", data={"key": ADMIN_KEY})
        assert r.status_code == 303
        assert "Secure" in r.headers["set-cookie"]
        csrf = (await client.get("/ui/session")).json()["csrf"]
        cookie = client.cookies[COOKIE]
        # Fresh connections, so both workers get some of them.
        for _ in range(8):
            async with httpx.AsyncClient(base_url=url, verify=verify, cookies={COOKIE: cookie}) as fresh:
                assert (await fresh.get("/admin/keys")).status_code == 200
        assert (await client.post("/ui/signout", headers={"x-csrf-token": csrf})).status_code == 204
        for _ in range(8):
            async with httpx.AsyncClient(base_url=url, verify=verify, cookies={COOKIE: cookie}) as fresh:
                assert (await fresh.get("/admin/keys")).status_code == 401


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
async def test_dashboard_deny_list_in_the_store(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Signed-out sessions on both store dialects: idempotent, and pruned once expired."""
    if dialect == "postgresql":
        from realservers import fresh_database

        url = await fresh_database(request.getfixturevalue("postgres_url"), "dashboard_deny")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'deny.db'}"
    store = Store.open(StoreConfig(url=url, secret=SECRET), env={})
    try:
        await store.migrate()
        deny = SessionDenyList(store)
        codec = SessionCodec(store.secret, ADMIN_KEY, ttl_s=60)
        _, old = codec.issue(now=1000)
        _, live = codec.issue()
        await deny.revoke(old, now=1000)
        await deny.revoke(old, now=1000)  # twice: no error
        assert await deny.revoked(old)
        assert not await deny.revoked(live)
        await deny.revoke(live)  # later: prunes ``old``, expired long ago
        assert await deny.revoked(live)
        assert not await deny.revoked(old)
    finally:
        await store.close()
