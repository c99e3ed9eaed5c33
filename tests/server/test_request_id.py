"""Request ids (``features/request_id.py``): the client's when printable, else ``req_<24 hex>``,
the same in the scope (what the pipeline, logs and traces read) and in ``x-request-id``."""

from __future__ import annotations

import re
from typing import Any

from interlingua.server.features.request_id import assign_request_id, request_id_of


def _scope(*headers: tuple[bytes, bytes]) -> dict[str, Any]:
    return {"headers": list(headers)}


def test_request_id_new_format_and_unique() -> None:
    seen = set()
    for _ in range(200):
        scope = _scope((b"host", b"x"))
        sent = assign_request_id(scope)
        assert re.fullmatch(rb"req_[0-9a-f]{24}", sent)
        assert request_id_of(scope) == sent.decode()
        seen.add(sent)
    assert len(seen) == 200


def test_request_id_client_value_kept_or_replaced() -> None:
    scope = _scope((b"x-request-id", b"trace-42"))
    assert assign_request_id(scope) == b"trace-42"
    assert request_id_of(scope) == "trace-42"
    for bad in (b"", b"a" * 129, b"has space", "é".encode()):
        scope = _scope((b"x-request-id", bad))
        assert re.fullmatch(rb"req_[0-9a-f]{24}", assign_request_id(scope))
        assert request_id_of(scope).startswith("req_")
