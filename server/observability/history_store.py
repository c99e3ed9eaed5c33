"""The request history in the store: rows of ``il_requests`` from access-log records, and back.

:class:`StoreHistorySink` is the :class:`~interlingua.server.observability.history.HistorySink`
of the gateway's store (SQLite or PostgreSQL): one multi-row INSERT per batch, pruning by
the indexed arrival time. :func:`public_record` turns a row into what the admin API and
the live tail send: the access-log record plus its ``id`` (the cursor).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import String, delete, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from interlingua.server.store.schema import request_history

__all__ = ["TOKEN_COLUMNS", "StoreHistorySink", "history_row", "public_record"]

TOKEN_COLUMNS = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_creation_tokens",
    "reasoning_tokens",
)
# Record fields stored as they are (strings and numbers; lengths bounded by the columns).
_PLAIN = (
    "request_id",
    "key",
    "client_format",
    "operation",
    "model",
    "target",
    "upstream_model",
    "upstream_format",
    "status",
    "outcome",
    "error_type",
    "attempts",
    "cost_usd",
    "finish_reason",
    "cache",
    "latency_ms",
    "ttfb_ms",
    "gateway_ms",
)
_LIMITS: dict[str, int] = {
    c.name: c.type.length for c in request_history.columns if isinstance(c.type, String) and c.type.length
}


def _clip(name: str, value: Any) -> Any:
    limit = _LIMITS.get(name)
    return value[:limit] if limit is not None and isinstance(value, str) else value


def history_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """The ``il_requests`` row of an access-log record (plus ``ts_ms``, ``cost_usd``, ``cache``)."""
    row = {name: _clip(name, record.get(name)) for name in _PLAIN}
    row["ts_ms"] = int(record["ts_ms"])
    row["stream"] = bool(record.get("stream"))
    row["model"] = row["model"] or ""
    row["attempts"] = int(record.get("attempts") or 0)
    tokens = record.get("tokens")
    for column in TOKEN_COLUMNS:
        row[column] = tokens.get(column) if isinstance(tokens, Mapping) else None
    return row


def iso_ms(ts_ms: int) -> str:
    seconds, ms = divmod(ts_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{ms:03d}Z"


def public_record(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A stored row as the API sends it: the access-log record with ``id`` and ``time``."""
    out: dict[str, Any] = {"id": row["id"], "time": iso_ms(row["ts_ms"])}
    for name in _PLAIN:
        out[name] = row[name]
        if name == "attempts":
            out["stream"] = bool(row["stream"])
            reported = any(row[c] is not None for c in TOKEN_COLUMNS)
            out["tokens"] = {c: row[c] or 0 for c in TOKEN_COLUMNS} if reported else None
    return out


class StoreHistorySink:
    """Writes batches to ``il_requests``; prunes what is older than the retention."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def write(self, records: Sequence[Mapping[str, Any]]) -> None:
        rows = [history_row(record) for record in records]
        async with self._engine.begin() as conn:
            await conn.execute(insert(request_history), rows)

    async def prune(self, before: float) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(request_history).where(request_history.c.ts_ms < int(before * 1000)))
