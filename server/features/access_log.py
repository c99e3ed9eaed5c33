"""``observability.access_log``: one structured line per API request.

Fields (:func:`~interlingua.server.observability.record.request_record`): time, request
id, key name, client format, model, target, upstream model and format, status, outcome,
error type, attempts, tokens by type, finish reason, latency, time to first byte, the
gateway's own time, cost (at the ``pricing:`` table's prices) and the response cache's
verdict. Never a key, a header or message content.

``format: json`` writes one JSON object per line; ``text`` writes ``key=value`` pairs
after the time and request id. ``path: stdout`` or a file: a file is reopened when
logrotate moved it away (``WatchedFileHandler`` checks the inode before each batch), so no
``copytruncate`` and no signal is needed. Lines are written in batches at least every 0.2 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from logging.handlers import WatchedFileHandler
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from interlingua.server.limits.pricing import Pricing
from interlingua.server.observability.record import request_record
from interlingua.server.pipeline.hooks import Feature

if TYPE_CHECKING:
    from interlingua.server.config import Config
    from interlingua.server.config.observability import AccessLogConfig
    from interlingua.server.pipeline.context import RequestContext
    from interlingua.server.services import Services

__all__ = ["AccessLog", "build", "text_line"]

log = logging.getLogger("interlingua.server")


def text_line(record: dict[str, Any]) -> str:
    """``time request_id key=value ...`` (None fields left out; tokens as ``tokens.input=...``)."""
    parts = [str(record["time"]), str(record["request_id"])]
    for name, value in record.items():
        if name in ("time", "request_id") or value is None:
            continue
        if isinstance(value, dict):
            parts.extend(f"tokens.{k.removesuffix('_tokens')}={v}" for k, v in value.items())
        else:
            parts.append(f"{name}={_quoted(value)}")
    return " ".join(parts)


def _quoted(value: object) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return orjson.dumps(text).decode() if (" " in text or '"' in text or not text) else text


# Lines are written in batches: a write system call per request cost ~50-75 us on the
# machines measured, more than everything else the access log does.
_FLUSH_LINES = 256
_FLUSH_S = 0.2


class _Sink:
    """Where lines go: stdout, or a file reopened when logrotate moved it (the inode check of
    :class:`WatchedFileHandler`, once per batch). Lines are written directly, not through
    ``logging``: the root logging config must neither drop nor duplicate them."""

    def __init__(self, path: str) -> None:
        self._file = WatchedFileHandler(path, encoding="utf-8") if path != "stdout" else None
        self._lines: list[str] = []

    def add(self, line: str) -> None:
        self._lines.append(line)
        if len(self._lines) >= _FLUSH_LINES:
            self.flush()

    def flush(self) -> None:
        if not self._lines:
            return
        text, self._lines = "".join(self._lines), []
        if self._file is None:
            sys.stdout.write(text)
            sys.stdout.flush()
            return
        self._file.reopenIfNeeded()
        stream = self._file.stream
        assert stream is not None  # open since construction (delay=False)
        stream.write(text)
        stream.flush()

    def close(self) -> None:
        self.flush()
        if self._file is not None:
            self._file.close()


class AccessLog(Feature):
    """Lines reach the file within ``_FLUSH_S`` (a background flush), and on shutdown."""

    name: ClassVar[str] = "access_log"

    def __init__(self, section: AccessLogConfig, pricing: Pricing | None = None) -> None:
        self._json = section.format == "json"
        self._pricing = pricing
        self._sink = _Sink(section.path)
        self._flusher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._flusher = asyncio.get_running_loop().create_task(self._flush_often())

    async def stop(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        self._sink.close()

    def flush(self) -> None:
        """Write the lines buffered so far."""
        self._sink.flush()

    async def _flush_often(self) -> None:
        while True:
            await asyncio.sleep(_FLUSH_S)
            try:
                self._sink.flush()
            except OSError:
                log.exception("access log: writing failed")

    async def complete(self, ctx: RequestContext) -> None:
        record = request_record(ctx, self._pricing)
        if self._json:
            self._sink.add(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE).decode())
        else:
            self._sink.add(text_line(record) + "\n")


def build(config: Config, services: Services) -> Feature | None:
    section = config.observability.access_log
    return AccessLog(section, Pricing(config.pricing)) if section is not None else None
