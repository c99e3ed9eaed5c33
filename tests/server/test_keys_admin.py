"""The admin API (``/admin/keys``) on the real gateway: create, list, show, update, revoke;
validation errors name the field; the key is shown once and never stored."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from keys_helpers import ADMIN_KEY, admin_client, keys_config
from server_helpers import make_config

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway


@pytest.fixture
async def admin(upstream: FakeUpstream, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with running_gateway(keys_config(upstream, tmp_path / "keys.db")) as url, admin_client(url) as c:
        yield c


async def test_admin_create_shows_key_once_and_stores_only_hmac(admin: httpx.AsyncClient, tmp_path: Path) -> None:
    r = await admin.post("/admin/keys", json={"name": "team-a", "models": ["gpt-*"], "limits": {"rpm": 5}})
    assert r.status_code == 201, r.text
    created = r.json()
    key = created["key"]
    assert key.startswith(f"il-{created['id']}-")
    assert created["display"] == f"il-{created['id']}-…{key[-4:]}"
    assert created["limits"] == {"rpm": 5}
    shown = (await admin.get(f"/admin/keys/{created['id']}")).text
    listed = (await admin.get("/admin/keys")).text
    secret = key.rsplit("-", 1)[1]
    for text in (shown, listed):
        assert secret not in text
        assert "secret_hash" not in text
    rows = sqlite3.connect(tmp_path / "keys.db").execute("SELECT * FROM il_api_keys").fetchall()
    assert secret not in repr(rows)


async def test_admin_list_is_paginated(admin: httpx.AsyncClient) -> None:
    ids = sorted([(await admin.post("/admin/keys", json={"name": f"k{i}"})).json()["id"] for i in range(5)])
    first = (await admin.get("/admin/keys", params={"limit": 2})).json()
    assert [k["id"] for k in first["data"]] == ids[:2]
    assert first["has_more"]
    rest = (await admin.get("/admin/keys", params={"limit": 10, "after": first["next_after"]})).json()
    assert [k["id"] for k in rest["data"]] == ids[2:]
    assert not rest["has_more"]
    bad = await admin.get("/admin/keys", params={"limit": 0})
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "limit"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"name": "x", "limits": {"rmp": 5}}, "limits.rmp"),
        ({"name": "x", "limits": {"rpm": 0}}, "limits.rpm"),
        ({"name": "x", "budget": {"usd": 5, "period": "2w"}}, "budget.period"),
        ({"name": "x", "budget": {"period": "1d"}}, "budget"),
        ({"name": ""}, "name"),
        ({"models": []}, "name"),
        ({"name": "x", "expires_at": "tomorrow"}, "expires_at"),
        ({"name": "x", "limits": {"per_model": {"gpt-*": {"tpm": -1}}}}, "limits.per_model.gpt-*.tpm"),
    ],
)
async def test_admin_create_invalid_names_the_field(admin: httpx.AsyncClient, body: dict[str, object], param: str) -> None:
    r = await admin.post("/admin/keys", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param
    assert r.json()["error"]["message"].startswith(param)


async def test_admin_duplicate_name_and_bad_json_are_400(admin: httpx.AsyncClient) -> None:
    assert (await admin.post("/admin/keys", json={"name": "dup"})).status_code == 201
    r = await admin.post("/admin/keys", json={"name": "dup"})
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "name"
    r = await admin.post("/admin/keys", content=b"{not json")
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "body"


async def test_admin_update_and_revoke(admin: httpx.AsyncClient) -> None:
    key_id = (await admin.post("/admin/keys", json={"name": "u", "budget": {"usd": 10}})).json()["id"]
    r = await admin.patch(f"/admin/keys/{key_id}", json={"limits": {"tpm": 1000}, "budget": None, "enabled": False})
    assert r.status_code == 200, r.text
    assert r.json()["limits"] == {"tpm": 1000}
    assert r.json()["budget"] is None
    assert r.json()["enabled"] is False
    r = await admin.patch(f"/admin/keys/{key_id}", json={"name": None})
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "name"
    r = await admin.delete(f"/admin/keys/{key_id}")
    assert r.status_code == 200
    assert r.json()["revoked_at"]


async def test_admin_unknown_id_is_404(admin: httpx.AsyncClient) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        r = await admin.request(method, "/admin/keys/nope", json={} if method == "PATCH" else None)
        assert r.status_code == 404, method
        assert r.json()["error"]["param"] == "id"


async def test_admin_show_reports_usage_and_budget(admin: httpx.AsyncClient) -> None:
    key_id = (await admin.post("/admin/keys", json={"name": "b", "budget": {"usd": 2, "tokens": 100, "period": "1d"}})).json()["id"]
    report = (await admin.get(f"/admin/keys/{key_id}")).json()
    assert report["usage"]["total"]["requests"] == 0
    assert report["usage"]["period"]["spend_usd"] == 0
    assert report["budget_remaining"] == {"tokens": 100, "usd": 2}


async def test_admin_needs_the_admin_key(admin: httpx.AsyncClient) -> None:
    url = str(admin.base_url)
    async with httpx.AsyncClient(base_url=url) as anon:
        assert (await anon.get("/admin/keys")).status_code == 401
        r = await anon.get("/admin/keys", headers={"authorization": "Bearer wrong-admin-key-000000"})
        assert r.status_code == 401
        assert r.json()["error"]["type"] == "authentication_error"
        assert ADMIN_KEY not in r.text


async def test_admin_api_absent_without_admin_key(upstream: FakeUpstream, tmp_path: Path) -> None:
    store = {"url": f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", "secret": "s" * 32}
    async with running_gateway(make_config(upstream, store=store)) as url, admin_client(url) as c:
        assert (await c.get("/admin/keys")).status_code == 404
