"""The stored-responses repository against a real SQLite store: retention, owners, items."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from interlingua.server.config.store import StoreConfig
from interlingua.server.responses.repository import ResponseRepository, StoredResponse
from interlingua.server.store import Store

SECRET = "server-secret-for-tests-0123456789"


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[ResponseRepository]:
    store = Store.open(StoreConfig(url=f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", secret=SECRET))  # type: ignore[arg-type]
    await store.migrate()
    try:
        yield ResponseRepository(store)
    finally:
        await store.close()


def _record(rid: str, owner: str = "o") -> StoredResponse:
    item = {"type": "message", "id": f"msg_{rid}", "role": "assistant", "content": []}
    return StoredResponse(rid, owner, {"id": rid, "output": [item]}, [{"role": "user", "content": "hi"}])


async def test_responses_repository_expired_rows_are_invisible_then_swept(repo: ResponseRepository) -> None:
    now = datetime.now(UTC)
    await repo.save(_record("old"), now - timedelta(seconds=1), [("msg_old", {"id": "msg_old"})])
    await repo.save(_record("new"), now + timedelta(days=1), [("msg_new", {"id": "msg_new"})])
    assert await repo.get("o", "old") is None
    assert await repo.items("o", ["msg_old", "msg_new"]) == {"msg_new": {"id": "msg_new"}}
    assert await repo.sweep() == 1
    assert await repo.sweep() == 0
    kept = await repo.get("o", "new")
    assert kept is not None
    assert kept.conversation() == [{"role": "user", "content": "hi"}, kept.response["output"][0]]


async def test_responses_repository_owner_scopes_every_read(repo: ResponseRepository) -> None:
    later = datetime.now(UTC) + timedelta(days=1)
    await repo.save(_record("r1", owner="a"), later, [("msg_r1", {"id": "msg_r1"})])
    assert await repo.get("b", "r1") is None
    assert await repo.items("b", ["msg_r1"]) == {}
    assert not await repo.delete("b", "r1")
    assert await repo.delete("a", "r1")
    assert await repo.items("a", ["msg_r1"]) == {}  # the items went with it


async def test_responses_repository_saving_an_id_again_replaces_it(repo: ResponseRepository) -> None:
    later = datetime.now(UTC) + timedelta(days=1)
    await repo.save(_record("r1"), later, [("msg_1", {"v": 1})])
    await repo.save(_record("r1"), later, [("msg_1", {"v": 2})])
    assert await repo.items("o", ["msg_1"]) == {"msg_1": {"v": 2}}
