"""The fast lane (``server/fast_lane.py``): the hot API routes served from the edge without
Quart's machinery, answering exactly as Quart did.

The parity test sends each request twice to one real gateway, once on the lane and once with
the lane switched off (Quart serves the same handler), and compares status, headers in order,
and body. The rest pins what the lane does itself: its table (derived from the blueprints),
its body reading and a client leaving in the middle of it, and its error answer.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Coroutine
from functools import partial
from typing import Any

import httpx
import pytest
from quart import Blueprint, Quart, Response
from server_helpers import ANTHROPIC_BODY, GEMINI_BODY, OPENAI_BODY, Recorder, formats_config
from werkzeug.exceptions import HTTPException

from interlingua.server.api.route import LANE_HANDLER, post
from interlingua.server.app import create_app
from interlingua.server.errors import error_body, from_http_status
from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.fast_lane import FastLane, lane_routes
from interlingua.server.pipeline import execute
from interlingua.server.pipeline.context import Outcome
from interlingua.server.pipeline.inbound import Inbound
from interlingua.server.testing import running_app
from interlingua.translate import Format

ANTHROPIC = {"anthropic-version": "2023-06-01"}
USER = [{"role": "user", "content": "hi"}]
# Headers whose value differs between any two requests.
_VARYING = {"date", "x-request-id", "server-timing"}
_IDS = re.compile(rb'"(id|created|created_at|response_id|item_id|responseId)":\s*("[^"]*"|\d+)')


@pytest.fixture
async def gateway(upstream: FakeUpstream) -> AsyncIterator[tuple[str, Recorder, Quart]]:
    recorder = Recorder()
    config = formats_config(upstream, server={"max_body_bytes": 4000})
    app = create_app(config, features=[recorder])
    async with running_app(app, config) as url:
        yield url, recorder, app


def _served_by_quart(app: Quart) -> list[str]:
    """The paths Quart dispatches from now on (its request handling, counted)."""
    seen: list[str] = []
    handle = app.handle_request

    async def counting(request: Any) -> Any:
        seen.append(request.path)
        return await handle(request)

    app.handle_request = counting  # type: ignore[method-assign]
    return seen


CASES: list[tuple[str, str, dict[str, str], Any]] = [
    ("POST", "/v1/chat/completions", {}, OPENAI_BODY),
    ("POST", "/v1/chat/completions", {}, {**OPENAI_BODY, "stream": True}),
    ("POST", "/v1/chat/completions", {}, {**OPENAI_BODY, "model": "claude-sonnet-4-6", "stream": True}),
    ("POST", "/v1/messages?beta=true", ANTHROPIC, ANTHROPIC_BODY),
    ("POST", "/v1/messages", ANTHROPIC, {**ANTHROPIC_BODY, "stream": True}),
    ("POST", "/v1/messages/count_tokens", ANTHROPIC, {"model": "claude-sonnet-4-6", "messages": USER}),
    ("POST", "/v1/responses", {}, {"model": "gpt-5", "input": "hi", "store": False}),
    ("POST", "/v1/responses/input_tokens", {}, {"model": "gpt-5", "input": "hi"}),
    ("POST", "/v1/chat/completions", {}, b"{not json"),
    ("POST", "/v1/chat/completions", {}, {"model": "nope", "messages": USER}),
    ("POST", "/v1/messages", ANTHROPIC, {**ANTHROPIC_BODY, "pad": "x" * 5000}),  # 413
    ("HEAD", "/v1/chat/completions", {}, None),
    ("GET", "/v1/messages", ANTHROPIC, None),
    ("OPTIONS", "/v1/responses", {}, None),
    ("POST", "/v1/chat/completions/", {}, OPENAI_BODY),
]


GEMINI = "/v1beta/models/gemini-2.5-flash"
CONVERSE = {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}
ARN = "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-v1%3A0"
# Routes with the model in the URL: (method, path, body, served on the lane).
VARIABLE_CASES: list[tuple[str, str, Any, bool]] = [
    ("POST", f"{GEMINI}:generateContent", GEMINI_BODY, True),
    ("POST", f"{GEMINI}:streamGenerateContent?alt=sse", GEMINI_BODY, True),
    ("POST", f"{GEMINI}:streamGenerateContent", GEMINI_BODY, True),  # one JSON array
    ("POST", f"{GEMINI}:streamGenerateContent?%61lt=sse&key=k-1", GEMINI_BODY, True),
    ("POST", f"{GEMINI}:streamGenerateContent?alt=sse%ZZ&alt=sse", GEMINI_BODY, True),
    ("POST", "/v1/models/gemini-via-openai:generateContent?key=k-1", GEMINI_BODY, True),
    ("POST", "/v1beta/models/gemini-via-anthropic:streamGenerateContent?alt=sse", GEMINI_BODY, True),
    ("POST", f"{GEMINI}:countTokens", GEMINI_BODY, True),
    ("POST", "/v1beta/models/gemini-via-openai:countTokens", GEMINI_BODY, True),  # the local estimate
    ("POST", "/v1beta/models/models/gemini-2.5-flash:generateContent", GEMINI_BODY, True),
    ("POST", f"{GEMINI}:embedContent", GEMINI_BODY, True),  # not a method served: 404
    ("POST", "/v1beta/models/nope:generateContent", GEMINI_BODY, True),
    ("POST", "/v1beta/models/:generateContent", GEMINI_BODY, True),
    ("POST", "/v1beta/models/gemini-2.5-flash", GEMINI_BODY, True),
    ("POST", "/v1beta/models/x%2F..%2Fy:generateContent", GEMINI_BODY, True),  # a dot segment
    ("POST", f"{GEMINI}:generateContent", b"{not json", True),
    ("POST", "/v1beta/models//gemini-2.5-flash:generateContent", GEMINI_BODY, False),  # werkzeug's redirect
    ("POST", "/v1beta/models/gemini%0A:generateContent", GEMINI_BODY, False),  # no converter matches
    ("POST", "/v1beta/models/", GEMINI_BODY, False),
    ("HEAD", f"{GEMINI}:generateContent", None, False),
    ("GET", f"{GEMINI}:generateContent", None, False),
    ("POST", "/model/claude-via-bedrock/converse", CONVERSE, True),
    ("POST", "/model/claude-via-bedrock/converse-stream", CONVERSE, True),
    ("POST", "/model/claude-sonnet-4-6/converse-stream", CONVERSE, True),  # to Anthropic, event-stream frames
    ("POST", "/model/gpt-4o-mini/converse", CONVERSE, True),
    ("POST", f"/model/{ARN}/converse", CONVERSE, True),  # an unknown inference profile
    ("POST", "/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse", CONVERSE, True),
    ("POST", "/model/a%2F..%2Fb/converse", CONVERSE, True),  # a dot segment
    ("POST", "/model/claude-via-bedrock/converse-stream/converse", CONVERSE, True),
    ("POST", "/model/claude-via-bedrock/converse", {"messages": "no"}, True),
    ("POST", "/model/claude-via-bedrock/converse/", CONVERSE, False),
    ("POST", "/model//claude-via-bedrock/converse", CONVERSE, False),
    ("POST", "/model/claude-via-bedrock/invoke", CONVERSE, False),
    ("GET", "/model/claude-via-bedrock/converse", None, False),
    ("HEAD", "/model/claude-via-bedrock/converse-stream", None, False),
]


async def _answer(url: str, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[Any, ...]:
    content = body if isinstance(body, bytes) else None
    payload = None if isinstance(body, bytes) else body
    async with httpx.AsyncClient(base_url=url, timeout=20) as client:
        resp = await client.request(method, path, headers=headers, json=payload, content=content)
    kept = [(k, v) for k, v in resp.headers.raw if k.decode().lower() not in _VARYING]
    return resp.status_code, kept, _IDS.sub(rb'"\1": "-"', resp.content)


# Every case: (method, path, headers, body, served on the lane).
ALL_CASES = [(*case, case[0] == "POST" and not case[1].endswith("/")) for case in CASES] + [
    (method, path, {}, body, lane) for method, path, body, lane in VARIABLE_CASES
]


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: f"{case[0]} {case[1]}")
async def test_lane_answers_as_quart_did(
    gateway: tuple[str, Recorder, Quart], monkeypatch: pytest.MonkeyPatch, case: tuple[Any, ...]
) -> None:
    method, path, headers, body, lane = case
    url, _, app = gateway
    by_quart = _served_by_quart(app)
    on_lane = await _answer(url, method, path, headers, body)
    laned = not by_quart
    monkeypatch.setattr(FastLane, "match", lambda self, scope: None)
    on_quart = await _answer(url, method, path, headers, body)
    assert on_lane == on_quart
    assert by_quart  # Quart served the second
    assert laned == lane


async def test_lane_table_is_the_blueprints_static_post_routes(upstream: FakeUpstream) -> None:
    routes = lane_routes(create_app(formats_config(upstream)))
    assert set(routes) == {
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/messages"),
        ("POST", "/v1/messages/count_tokens"),
        ("POST", "/v1/responses"),
        ("POST", "/v1/responses/input_tokens"),
    }


def _handler(name: str) -> Any:
    def handler(inbound: Inbound) -> Coroutine[Any, Any, Response]:
        async def answer() -> Response:
            return Response(await inbound.read_body())

        return answer()

    handler.__name__ = name
    return handler


def test_lane_leaves_routes_quart_wraps_in_hooks_or_shares_to_quart() -> None:
    app = Quart(__name__)
    plain, hooked, shared = Blueprint("plain", __name__), Blueprint("hooked", __name__), Blueprint("shared", __name__)
    post(plain, "/plain")(_handler("plain"))
    post(hooked, "/hooked")(_handler("hooked"))
    hooked.before_request(lambda: None)
    post(shared, "/shared")(_handler("shared"))
    shared.route("/shared", methods=["PUT"])(_handler("put"))
    post(shared, "/shared/<name>")(_handler("named"))
    for bp in (plain, hooked, shared):
        app.register_blueprint(bp)
    assert set(lane_routes(app)) == {("POST", "/plain")}
    app.before_request(lambda: None)  # runs around every view: nothing is the lane's
    assert lane_routes(app) == {}


async def test_lane_client_leaving_mid_body_is_accounted_once_and_never_sent(
    gateway: tuple[str, Recorder, Quart], upstream: FakeUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, recorder, _ = gateway
    host, port = url.removeprefix("http://").split(":")
    paths = ("/v1/chat/completions", "/model/claude-via-bedrock/converse", f"{GEMINI}:generateContent")
    for number, path in enumerate(paths, 1):
        if number == len(paths):
            monkeypatch.setattr(FastLane, "match", lambda self, scope: None)  # the last: Quart's
        _, writer = await asyncio.open_connection(host, int(port))
        writer.write(f"POST {path} HTTP/1.1\r\nhost: x\r\ncontent-length: 3000\r\n\r\n{{".encode())
        await writer.drain()
        await recorder.next_started(number)  # the handler is reading the body
        writer.close()
        await writer.wait_closed()
    await recorder.next_completed(3)
    await asyncio.sleep(0.2)  # nothing else is accounted (no timing decides the assertion above)
    assert [(ctx.outcome, ctx.status) for ctx in recorder.completed] == [(Outcome.CANCELLED, 499)] * 3
    assert not upstream.requests


async def test_lane_unexpected_error_is_logged_never_shown(
    gateway: tuple[str, Recorder, Quart], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    url, _, _ = gateway

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(execute, "read_call", broken)
    async with httpx.AsyncClient(base_url=url, timeout=20) as client:
        resp = await client.post("/v1/messages", json=ANTHROPIC_BODY, headers={**ANTHROPIC, "x-request-id": "req-1"})
    assert resp.status_code == 500
    assert resp.json()["error"] == {"type": "api_error", "message": "internal gateway error"}
    assert "secret" not in resp.text
    logged = [r for r in caplog.records if r.getMessage() == "request req-1: unhandled error"]
    assert logged
    assert logged[0].levelno == logging.ERROR
    assert logged[0].exc_info is not None


# The lane at the ASGI level, with receives other than Hypercorn's queue.


def _lane_app(handler: Any, max_body: int = 4000) -> tuple[FastLane, Any]:
    app = Quart(__name__)
    app.config["MAX_CONTENT_LENGTH"] = max_body
    bp = Blueprint("plain", __name__)
    post(bp, "/plain")(handler)
    app.register_blueprint(bp)
    lane = FastLane(app)
    return lane, lane.match({"method": "POST", "path": "/plain"})


def _scope(**headers: str) -> dict[str, Any]:
    encoded = [(k.encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "method": "POST", "path": "/plain", "headers": encoded, "query_string": b""}


def _receiving(*messages: dict[str, Any]) -> Any:
    pending = list(messages)

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0)
        return pending.pop(0) if pending else await asyncio.Event().wait()  # type: ignore[func-returns-value]

    return receive


def _part(body: bytes, more: bool = True) -> dict[str, Any]:
    return {"type": "http.request", "body": body, "more_body": more}


async def test_lane_reads_a_body_in_parts_from_any_receive() -> None:
    lane, handler = _lane_app(_handler("echo"))
    sent: list[dict[str, Any]] = []

    async def send(event: Any) -> None:
        sent.append(event)

    await lane.serve(handler, _scope(), _receiving(_part(b"ab"), _part(b""), _part(b"c", more=False)), send)
    assert sent[0]["status"] == 200
    assert sent[1:] == [{"type": "http.response.body", "body": b"abc", "more_body": False}]


async def test_lane_body_partly_queued_then_awaited() -> None:
    lane, handler = _lane_app(_handler("echo"))
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    queue.put_nowait(_part(b"ab"))
    sent: list[dict[str, Any]] = []

    async def send(event: Any) -> None:
        sent.append(event)

    serving = asyncio.create_task(lane.serve(handler, _scope(), queue.get, send))
    await asyncio.sleep(0.01)
    assert not sent  # waiting for the rest of the body
    queue.put_nowait(_part(b"c", more=False))
    await serving
    assert sent[-1]["body"] == b"abc"


@pytest.mark.parametrize("declared", [None, "5000"])
async def test_lane_body_past_the_limit_is_413_in_the_clients_envelope(declared: str | None) -> None:
    lane, handler = _lane_app(_handler("echo"), max_body=3)
    sent: list[dict[str, Any]] = []

    async def send(event: Any) -> None:
        sent.append(event)

    scope = _scope(**{"content-length": declared}) if declared else _scope(**{"transfer-encoding": "chunked"})
    await lane.serve(handler, scope, _receiving(_part(b"ab"), _part(b"cd"), _part(b"", more=False)), send)
    assert sent[0]["status"] == 413
    assert sent[1]["body"] == error_body(from_http_status(413), Format.OPENAI_CHAT)


async def test_lane_client_leaving_mid_body_ends_the_request_quietly() -> None:
    lane, handler = _lane_app(_handler("echo"))
    sent: list[dict[str, Any]] = []

    async def send(event: Any) -> None:
        sent.append(event)

    await lane.serve(handler, _scope(), _receiving(_part(b"ab"), {"type": "http.disconnect"}), send)
    assert sent == []


def _endless(closed: list[bool]) -> Any:
    async def chunks() -> AsyncIterator[bytes]:
        try:
            yield b"data: 1\n\n"
            await asyncio.Event().wait()  # an upstream that never ends
            yield b"never"
        finally:
            closed.append(True)

    def handler(inbound: Inbound) -> Coroutine[Any, Any, Response]:
        async def answer() -> Response:
            await inbound.read_body()
            response = Response(chunks(), content_type="text/event-stream")
            response.timeout = None
            return response

        return answer()

    handler.__name__ = "endless"
    return handler


async def _streaming(closed: list[bool]) -> tuple[asyncio.Task[None], asyncio.Queue[dict[str, Any]]]:
    """The lane serving an endless stream, once its first chunk was sent; and its receive queue."""
    lane, handler = _lane_app(_endless(closed))
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    queue.put_nowait(_part(b"{}", more=False))
    first = asyncio.Event()

    async def send(event: Any) -> None:
        if event.get("body"):
            first.set()

    serving = asyncio.create_task(lane.serve(handler, _scope(), queue.get, send))
    await first.wait()
    return serving, queue


async def test_lane_client_leaving_mid_stream_cancels_it_quietly() -> None:
    closed: list[bool] = []
    serving, queue = await _streaming(closed)
    queue.put_nowait({"type": "http.disconnect"})
    await serving  # returns normally, as Quart's connection does
    assert closed == [True]
    assert not serving.cancelled()


async def test_lane_cancelled_from_outside_stays_cancelled() -> None:
    closed: list[bool] = []
    serving, _ = await _streaming(closed)
    serving.cancel()  # the server stopping, say: not the client's leaving
    with pytest.raises(asyncio.CancelledError):
        await serving
    assert closed == [True]


MATCHED_PATHS = [
    "/v1beta/models/gemini-2.5-flash:generateContent",
    "/v1/models/gemini-2.5-flash:streamGenerateContent",
    "/v1beta/models/models/x/y:countTokens",
    "/v1beta/models/x/",
    "/v1beta/models/x//y:generateContent",
    "/v1beta/models/ :generateContent",
    "/model/arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-v1:0/converse",
    "/model/a/converse-stream/converse",
    "/model/a/converse/converse-stream",
    "/model/a//b/converse",
    "/model/a\tb/converse-stream",
]
UNMATCHED_PATHS = [
    "/v1beta/models/",
    "/v1beta/models//x:generateContent",
    "/v1beta/models/x\n:generateContent",
    "/v1beta/models",
    "/v1beta/modelsx:generateContent",
    "/model//a/converse",
    "/model/a/converse/",
    "/model/a/Converse",
    "/model/a\n/converse",
    "/models/a/converse",
    "/model/converse",
]


async def test_lane_matches_as_werkzeug_does(upstream: FakeUpstream) -> None:
    app = create_app(formats_config(upstream))
    lane, adapter = FastLane(app), app.url_map.bind("localhost")
    for path in MATCHED_PATHS:
        found = lane.match({"method": "POST", "path": path})
        endpoint, values = adapter.match(path, "POST")
        assert isinstance(found, partial), path
        assert found.func is getattr(app.view_functions[endpoint], LANE_HANDLER)
        assert found.keywords == values
    for path in UNMATCHED_PATHS:
        assert lane.match({"method": "POST", "path": path}) is None, path
        with pytest.raises(HTTPException):  # werkzeug's 404, 405 or redirect: Quart's to answer
            adapter.match(path, "POST")
    # werkzeug strips leading slashes; the lane leaves such a path to Quart, which does.
    assert lane.match({"method": "POST", "path": "//v1beta/models/x:generateContent"}) is None
    for method in ("GET", "HEAD", "PUT"):
        assert lane.match({"method": method, "path": MATCHED_PATHS[0]}) is None


def test_lane_leaves_rules_werkzeug_could_match_otherwise() -> None:
    app = Quart(__name__)
    bp = Blueprint("bp", __name__)
    post(bp, "/a/<path:x>/do")(_handler("a_do"))
    post(bp, "/a/<path:x>/do-more")(_handler("a_do_more"))
    post(bp, "/b/<path:x>")(_handler("b_any"))
    post(bp, "/b/<name>/fixed")(_handler("b_fixed"))  # a path of it is b_any's too
    post(bp, "/c/<int:n>")(_handler("c_int"))  # its value is not the matched text
    post(bp, "/d/<string(length=2):s>")(_handler("d_args"))
    bp.route("/e/<path:x>", methods=["GET"])(_handler("e_get"))
    post(bp, "/e/<path:x>")(_handler("e_post"))  # GET shares it: no matter for a POST
    app.register_blueprint(bp)
    lane = FastLane(app)
    served = {
        path: getattr(lane.match({"method": "POST", "path": path}), "func", None)
        for path in ("/a/1/do", "/a/1/do-more", "/b/1/fixed", "/b/1", "/c/1", "/d/ab", "/e/1")
    }
    assert {path: handler.__name__ for path, handler in served.items() if handler} == {
        "/a/1/do": "a_do",
        "/a/1/do-more": "a_do_more",
        "/e/1": "e_post",
    }
