"""A raw HTTP/1.1 upstream on 127.0.0.1 that records each request target exactly as it
arrived on the wire (no URL library between the socket and the record) and answers 404
with a JSON error. Used where what matters is the path the gateway sent, not the answer, and
as the base of raw upstreams that write an answer of their own (:meth:`WireRecorder.answer`)."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

__all__ = ["WireRecorder"]

_BODY = b'{"error": {"message": "recorded", "type": "not_found_error"}}'
_ANSWER = (
    b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\n"
    b"content-length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY
)


class WireRecorder:
    def __init__(self) -> None:
        self.targets: list[str] = []
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                self.targets.append(lines[0].split(b" ")[1].decode("latin-1"))
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in lines
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                await reader.readexactly(length)
                await self.answer(writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def answer(self, writer: asyncio.StreamWriter) -> None:
        """Each request's answer (a subclass may write another)."""
        writer.write(_ANSWER)
        await writer.drain()
