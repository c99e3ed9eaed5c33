"""The fast lane: the hot API routes served straight from the edge, without Quart's machinery.

For a plain API call Quart and werkzeug ran about 158 Python calls of the gateway's ~2,000
(a request object and its ``Headers``, app and request contexts pushed and popped, URL
matching, before/after/teardown dispatch, a response made from the view's answer, its
headers encoded): about 8 % of the CPU of a request, all of it for routes whose handler
needs none of it (``docs/design/pipeline.md``, "The fast lane", has the measurements).

The lane's table is built once from the app's URL map (:mod:`~interlingua.server.lane_rules`):
every ``POST`` rule whose view was registered with :func:`interlingua.server.api.route.post`
and which Quart would dispatch with nothing of its own around the view (no request hooks,
no blueprint error handlers), static ones by their exact path, ones with variables (the
model in Gemini's and Bedrock's URLs) by one regex made from the rules, where werkzeug
could choose no other rule. A request matching such a rule runs the same handler with an
:class:`~interlingua.server.pipeline.inbound.Inbound` read from ASGI and the rule's values;
everything else (other methods, HEAD, 404, 405, redirects) stays Quart's. What the lane
does for the handler is what Quart does, and no more:

- the body: ``MAX_CONTENT_LENGTH`` (a declared length over it, or a body growing past
  it) -> werkzeug's 413, ``BODY_TIMEOUT`` -> 408, raised in the handler as Quart does;
- errors: the app's error answer (:func:`~interlingua.server.errors.answer_error`);
- the response: status, ``encode_headers`` of its headers, then its body (a stream chunk
  by chunk, its generator closed however the send ends), within the response's
  ``timeout`` (``RESPONSE_TIMEOUT`` unless the response sets one; a stream sets None);
- a client disconnect cancels the handler, and thus the upstream call: once the body is
  read a watcher waits for ``http.disconnect`` (Quart's receiver task), and the request
  then ends quietly as Quart's does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable
from quart import Quart, Response
from quart.utils import encode_headers
from quart.wrappers.response import DataBody
from werkzeug.exceptions import RequestEntityTooLarge, RequestTimeout
from werkzeug.sansio.utils import get_content_length

from interlingua.server.api.route import Handler
from interlingua.server.errors import answer_error
from interlingua.server.lane_rules import lane_routes, variable_routes
from interlingua.server.pipeline.inbound import Inbound

__all__ = ["FastLane", "lane_routes"]  # lane_routes: lane_rules's, for the tests


class FastLane:
    """The lane's routes and the serving of one request on it."""

    def __init__(self, app: Quart) -> None:
        self._config: Mapping[str, Any] = app.config  # read per request, as Quart does
        self.routes = lane_routes(app)
        self._variable = variable_routes(app)

    def match(self, scope: Any) -> Handler | None:
        """The handler of this request (its values bound), if the lane serves it."""
        method, path = scope["method"], scope["path"]
        handler = self.routes.get((method, path))
        if handler is None and method == "POST":
            return self._variable.match(path)
        return handler

    async def serve(
        self,
        handler: Handler,
        scope: Any,
        receive: ASGIReceiveCallable,
        send: ASGISendCallable,
        send_body: ASGISendCallable | None = None,
    ) -> None:
        """Serve one request. ``send`` sends the response's start (the edge's, adding its
        headers); ``send_body`` its body (the server's own: a stream's every chunk skips the
        edge's wrapper), by default ``send``."""
        client = _Client(scope, receive, self._config)
        path: str = scope["path"]
        try:
            try:
                response = await handler(Inbound(scope, client.read_body, path))
            except Exception as err:  # the app's error handlers' answer, logged as there
                response = answer_error(err, scope, path)
            client.watch()
            await _send_response((send, send_body or send), response, self._config)
        except asyncio.CancelledError:
            if not client.left():
                raise  # not the client's leaving: the server's, say
        finally:
            client.stop()


def _declared_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    """The body length the client declared, read as werkzeug reads it for Quart."""
    length = encoding = None
    for name, value in headers:
        if name == b"content-length" and length is None:
            length = value.decode("latin-1")
        elif name == b"transfer-encoding" and encoding is None:
            encoding = value.decode("latin-1")
    return get_content_length(length, encoding)


class _Client:
    """One request's ASGI receive side: its body, then the watch for the client leaving."""

    __slots__ = ("_chunks", "_config", "_gone", "_receive", "_scope", "_size", "_task", "_watcher")

    def __init__(self, scope: Any, receive: ASGIReceiveCallable, config: Mapping[str, Any]) -> None:
        self._scope, self._receive, self._config = scope, receive, config
        self._gone = False
        self._chunks: list[bytes] = []
        self._size = 0
        self._task: asyncio.Task[Any] | None = None
        self._watcher: asyncio.Task[None] | None = None

    async def read_body(self) -> bytes:
        """The whole body, as Quart's ``get_data``: 413 over ``MAX_CONTENT_LENGTH`` (as
        declared, or as received), 408 after ``BODY_TIMEOUT`` seconds."""
        limit: int | None = self._config["MAX_CONTENT_LENGTH"]
        try:
            if limit is not None:
                declared = _declared_length(self._scope["headers"])
                if declared is not None and declared > limit:
                    raise RequestEntityTooLarge()
            if self._take_queued(limit):
                return self._body()
            try:
                async with asyncio.timeout(self._config["BODY_TIMEOUT"]):
                    while not self._take(await self._receive(), limit):
                        pass
                    return self._body()
            except TimeoutError as exc:
                raise RequestTimeout() from exc
        finally:
            if not self._gone:
                self.watch()

    def _take_queued(self, limit: int | None) -> bool:
        """Take the messages already received; whether they complete the body. Hypercorn's
        ``receive`` is its app queue's ``get``, which returns these at once: taken here, a
        body that came with its request costs no coroutine and no timer (any other server's
        ``receive`` is awaited)."""
        queue = getattr(self._receive, "__self__", None)
        if type(queue) is not asyncio.Queue:
            return False
        for _ in range(queue.qsize()):  # noqa: SIM110 (any() over a generator: a call a message)
            if self._take(queue.get_nowait(), limit):
                return True
        return False

    def _take(self, message: Any, limit: int | None) -> bool:
        """Add a received message to the body; whether the body is complete."""
        kind = message["type"]
        if kind == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                self._chunks.append(chunk)
                self._size += len(chunk)
                if limit is not None and self._size > limit:
                    raise RequestEntityTooLarge()
            return not message.get("more_body", False)
        if kind == "http.disconnect":
            # Quart cancels the handler here: the same exception, the same way out.
            self._gone = True
            raise asyncio.CancelledError
        return False

    def _body(self) -> bytes:
        chunks = self._chunks
        return chunks[0] if len(chunks) == 1 and type(chunks[0]) is bytes else b"".join(chunks)

    def watch(self) -> None:
        """From now on, a client that leaves cancels the handler (once)."""
        if self._watcher is None:
            self._task = asyncio.current_task()
            self._watcher = asyncio.get_running_loop().create_task(self._until_disconnect())

    async def _until_disconnect(self) -> None:
        receive = self._receive
        while (await receive())["type"] != "http.disconnect":
            pass  # the rest of a refused body
        self._gone = True
        assert self._task is not None
        self._task.cancel()

    def left(self) -> bool:
        """Whether the cancellation being handled is the client's leaving; if the watcher
        cancelled the task, that cancellation is taken back (the request ends normally)."""
        if not self._gone:
            return False
        if self._watcher is not None and self._watcher.done() and self._task is not None:
            self._task.uncancel()
        return True

    def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()


async def _send_response(
    sends: tuple[ASGISendCallable, ASGISendCallable], response: Response, config: Mapping[str, Any]
) -> None:
    """Send ``response`` within its timeout; a timeout ends the answer silently, as in Quart."""
    timeout = response.timeout
    if timeout is Ellipsis:
        timeout = config["RESPONSE_TIMEOUT"]
    try:
        if timeout is None:
            await _send(sends, response)
        else:
            async with asyncio.timeout(timeout):
                await _send(sends, response)
    except TimeoutError:
        pass


async def _send(sends: tuple[ASGISendCallable, ASGISendCallable], response: Response) -> None:
    start, send = sends
    headers = encode_headers(response.headers)
    await start({"type": "http.response.start", "status": response.status_code, "headers": headers})  # type: ignore[typeddict-item]
    body = response.response
    if type(body) is DataBody:
        # Quart sends the bytes, then an empty last chunk: to the server one event with
        # more_body False is the same (a body, then the end of the body).
        data = body.data[body.begin : body.end]
        await send({"type": "http.response.body", "body": data, "more_body": False})
        return
    async with body as chunks:  # closes a stream's generator however the send ends
        async for chunk in chunks:
            if type(chunk) is not bytes and isinstance(chunk, str):
                chunk = chunk.encode()
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
