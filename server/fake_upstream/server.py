"""FakeUpstream: a real HTTP server on 127.0.0.1 speaking OpenAI Chat
Completions, Anthropic Messages, Gemini, OpenAI Responses and Bedrock
Converse, for demo mode, tests and benchmarks.

Routes: ``POST /v1/chat/completions``, ``GET /v1/models`` (OpenAI list, or
Anthropic's shape when the request carries ``anthropic-version``),
``POST /v1/messages``, ``POST /v1/messages/count_tokens``, ``GET /health``;
Gemini ``POST /v1beta/models/{model}:generateContent``,
``:streamGenerateContent`` (``?alt=sse``: SSE, else a JSON array),
``:countTokens``, ``GET /v1beta/models`` (key: ``x-goog-api-key`` or ``?key=``);
``POST /v1/responses``, ``/v1/responses/input_tokens``, ``GET``/``DELETE /v1/responses/{id}``
(and ``/input_items``: ``responses_stored.py``); Azure OpenAI
``POST /openai/deployments/{deployment}/chat/completions?api-version=...``
(key: ``api-key``); Bedrock ``POST /model/{modelId}/converse`` and
``/converse-stream`` (binary event stream) and ``/count-tokens``, which require a SigV4 signature
by :data:`~interlingua.server.fake_upstream.sigv4.DEMO_AWS_ACCESS_KEY_ID`.
The answers are deterministic (see :mod:`interlingua.server.fake_upstream.plan`), the
fault controls are in :mod:`interlingua.server.fake_upstream.faults` (what they send: ``respond.py``).

Every request is recorded in :attr:`FakeUpstream.requests` (headers, body,
what was sent, whether the client went away) so tests can assert what the
gateway forwarded and that a client disconnect closed the upstream request.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from aiohttp import web

from interlingua.server.fake_upstream.anthropic_messages import messages_answer
from interlingua.server.fake_upstream.bedrock_converse import bedrock_answer
from interlingua.server.fake_upstream.counting import (
    anthropic_count,
    bedrock_count,
    gemini_count,
    responses_count,
)
from interlingua.server.fake_upstream.faults import Fault, parse_fault
from interlingua.server.fake_upstream.gemini import gemini_answer, gemini_models
from interlingua.server.fake_upstream.openai_chat import azure_body, chat_answer
from interlingua.server.fake_upstream.openai_responses import responses_answer
from interlingua.server.fake_upstream.plan import BadRequest
from interlingua.server.fake_upstream.record import ReceivedRequest
from interlingua.server.fake_upstream.respond import (
    cut_before_headers,
    error_response,
    plain_response,
    replaced_answer,
    stream_response,
)
from interlingua.server.fake_upstream.responses_stored import stored_answer
from interlingua.server.fake_upstream.sigv4 import check_sigv4
from interlingua.server.fake_upstream.wire import model_list

__all__ = ["DEMO_MODELS", "FakeUpstream", "ReceivedRequest"]

JSON = dict[str, Any]
DEMO_MODELS = ("gpt-4o-mini", "gpt-4o", "claude-sonnet-4-6", "claude-haiku-4-5")
# A route's answer to a request body; ``plain``: as if no stream was asked (json-to-stream).
Answer = Callable[[JSON, bool], Any]


def _plain(body: JSON, plain: bool) -> JSON:
    return {**body, "stream": False} if plain else body


class FakeUpstream:
    """``up = FakeUpstream(); await up.start(); ...; await up.stop()``.

    ``api_key``: when set, requests without it (``Authorization: Bearer`` or
    ``x-api-key``) get a 401 in the provider's format. ``pace_ms``: default
    delay between stream events (demo mode uses a few ms so streams are visible).
    """

    def __init__(self, *, api_key: str | None = None, pace_ms: float = 0.0, record: bool = True) -> None:
        self.api_key = api_key
        self.pace_ms = pace_ms
        self.record = record
        self.requests: list[ReceivedRequest] = []
        self.default_fault: str | None = None
        self._next_faults: list[str] = []
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.active = 0  # handlers running right now (open upstream requests)

    # -- lifecycle --------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/messages", self._messages)
        app.router.add_post("/v1/messages/count_tokens", self._count_tokens)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/health", self._health)
        app.router.add_post("/v1beta/models/{model}:{method}", self._gemini)
        app.router.add_post("/v1/models/{model}:{method}", self._gemini)  # google-genai 3.x default
        app.router.add_get("/v1beta/models", self._gemini_models)
        app.router.add_post("/v1/responses", self._responses)
        app.router.add_post("/v1/responses/input_tokens", self._input_tokens)
        app.router.add_get("/v1/responses/{rid}", self._stored)
        app.router.add_delete("/v1/responses/{rid}", self._stored)
        app.router.add_get("/v1/responses/{rid}/input_items", self._stored)
        app.router.add_post("/openai/deployments/{deployment}/chat/completions", self._azure)
        app.router.add_post("/model/{model}/{method}", self._bedrock)
        # handler_cancellation: a client that goes away cancels the handler,
        # which is how disconnects are seen even while a stream is stalled.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, port, reuse_address=True)
        await self._site.start()
        self.host, self.port = host, int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeUpstream:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """The OpenAI SDK convention: the base URL includes ``/v1``."""
        return f"{self.base_url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """The Anthropic SDK convention: the base URL without ``/v1``."""
        return self.base_url

    @property
    def gemini_base_url(self) -> str:
        """The google-genai convention: the root (the SDK appends ``/v1beta/models/...``)."""
        return self.base_url

    @property
    def responses_base_url(self) -> str:
        """The OpenAI SDK convention (``/v1``); the SDK appends ``/responses``."""
        return f"{self.base_url}/v1"

    @property
    def bedrock_base_url(self) -> str:
        """boto3's ``endpoint_url``: the root (it appends ``/model/{modelId}/converse``)."""
        return self.base_url

    @property
    def open_connections(self) -> int:
        """TCP connections currently open to this server (idle keep-alive included)."""
        server = self._runner.server if self._runner else None
        return len(server.connections) if server is not None else 0

    # -- test controls ----------------------------------------------------
    def fault_next(self, spec: str, times: int = 1) -> None:
        """Apply fault ``spec`` to the next ``times`` requests (queued in order)."""
        parse_fault(spec)
        self._next_faults.extend([spec] * times)

    @contextmanager
    def faulty(self, spec: str) -> Iterator[None]:
        """Apply fault ``spec`` to every request inside the block (retries included)."""
        parse_fault(spec)
        self.default_fault = spec
        try:
            yield
        finally:
            self.default_fault = None

    def reset(self) -> None:
        self.requests.clear()
        self._next_faults.clear()
        self.default_fault = None

    async def wait_idle(self, seconds: float = 5.0) -> None:
        """Wait until every recorded request has finished (completed or disconnected)."""
        async with asyncio.timeout(seconds):
            for req in list(self.requests):
                await req.done.wait()

    # -- plumbing -----------------------------------------------------------
    async def _begin(self, request: web.Request) -> tuple[ReceivedRequest, Fault]:
        raw = await request.read()
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = None
        spec = request.headers.get("x-fake-fault") or (
            self._next_faults.pop(0) if self._next_faults else None
        )
        spec = spec or self.default_fault
        rec = ReceivedRequest(
            request.method,
            request.path,
            request.query_string,
            {k.lower(): v for k, v in request.headers.items()},
            body,
            raw,
            fault=spec,
            raw_path=request.raw_path,
        )
        if self.record:
            self.requests.append(rec)
        return rec, parse_fault(spec)

    def _authorized(self, request: web.Request, rec: ReceivedRequest, fmt: str) -> str | None:
        """None when the request may pass, else the provider's complaint."""
        if fmt == "bedrock":
            return check_sigv4(request.method, request.raw_path, rec.headers, rec.raw)
        if self.api_key is None:
            return None
        bearer = request.headers.get("authorization", "")
        keys: tuple[str | None, ...] = (request.headers.get("x-api-key"), bearer.removeprefix("Bearer "))
        if fmt == "gemini":
            keys = (request.headers.get("x-goog-api-key"), request.query.get("key"))
        elif fmt == "azure":
            keys = (request.headers.get("api-key"),)
        return None if self.api_key in keys else "Invalid API key (fake upstream)."

    async def _serve(
        self, request: web.Request, fmt: str, answer: Answer, need_body: bool = True
    ) -> web.StreamResponse:
        self.active += 1
        rec: ReceivedRequest | None = None
        try:
            rec, fault = await self._begin(request)
            if not need_body and rec.body is None:
                rec.body = {}
            response = await self._answer(request, rec, fault, fmt, answer)
            rec.completed = True
            return response
        except (asyncio.CancelledError, ConnectionResetError):
            if rec is not None and not rec.dropped:
                rec.disconnected = True
            raise
        finally:
            self.active -= 1
            if rec is not None:
                rec.done.set()

    async def _answer(
        self, request: web.Request, rec: ReceivedRequest, fault: Fault, fmt: str, answer: Answer
    ) -> web.StreamResponse:
        if fault.slow_ms:
            await asyncio.sleep(fault.slow_ms / 1000)
        complaint = self._authorized(request, rec, fmt)
        if complaint is not None:
            return error_response(rec, fmt, 403 if fmt == "bedrock" else 401, complaint, fault)
        replaced = replaced_answer(rec, fault, fmt, self.base_url)
        if replaced is not None:
            return replaced
        if rec.body is None or not isinstance(rec.body, dict):
            return error_response(rec, fmt, 400, "We could not parse the JSON body of your request.", fault)
        try:
            result = answer(rec.body, False)
            if fault.json_to_stream and isinstance(result, list):
                result = answer(rec.body, True)
        except BadRequest as exc:
            return error_response(rec, fmt, exc.status, exc.message, fault, exc.param)
        if isinstance(result, list):
            pace = fault.pace_ms if fault.pace_ms is not None else self.pace_ms
            return await stream_response(request, rec, fault, fmt, result, pace / 1000)
        if fault.die_after == 0 or fault.stall_after == 0:
            await cut_before_headers(request, rec, fault)
        return plain_response(rec, fault, result)

    # -- routes -----------------------------------------------------------
    def _rid(self) -> str:
        return f"demo{next(self._ids):06d}"

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(
            request, "openai", lambda b, plain: chat_answer(_plain(b, plain), self._rid())
        )

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(
            request, "anthropic", lambda b, plain: messages_answer(_plain(b, plain), self._rid())
        )

    async def _count_tokens(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "anthropic", lambda b, _: anthropic_count(b))

    async def _models(self, request: web.Request) -> web.Response:
        anthropic = "anthropic-version" in request.headers
        body = model_list(DEMO_MODELS, anthropic)
        return web.Response(body=orjson.dumps(body), content_type="application/json")

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    # -- Gemini, Responses, Azure, Bedrock ------------------------------------
    async def _gemini(self, request: web.Request) -> web.StreamResponse:
        model, method = request.match_info["model"], request.match_info["method"]
        sse = request.query.get("alt") == "sse"
        return await self._serve(
            request,
            "gemini",
            lambda b, plain: (
                gemini_count(b, model)
                if method == "countTokens"
                else gemini_answer(b, model, "generateContent" if plain else method, sse, self._rid())
            ),
        )

    async def _gemini_models(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "gemini", lambda _b, _: gemini_models(), need_body=False)

    async def _responses(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(
            request, "responses", lambda b, plain: responses_answer(_plain(b, plain), self._rid())
        )

    async def _input_tokens(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "responses", lambda b, _: responses_count(b))

    async def _stored(self, request: web.Request) -> web.StreamResponse:
        rid, items = request.match_info["rid"], request.path.endswith("/input_items")
        return await self._serve(
            request,
            "responses",
            lambda _b, _: stored_answer(request.method, rid, items, request.query),
            need_body=False,
        )

    async def _azure(self, request: web.Request) -> web.StreamResponse:
        """Azure OpenAI: the deployment names the model; ``api-version`` is required."""
        deployment, version = request.match_info["deployment"], request.query.get("api-version")
        return await self._serve(
            request,
            "azure",
            lambda b, plain: chat_answer(azure_body(_plain(b, plain), deployment, version), self._rid()),
        )

    async def _bedrock(self, request: web.Request) -> web.StreamResponse:
        model, method = request.match_info["model"], request.match_info["method"]
        return await self._serve(
            request,
            "bedrock",
            lambda b, plain: (
                bedrock_count(b, model)
                if method == "count-tokens"
                else bedrock_answer(b, model, "converse" if plain else method, self._rid())
            ),
        )
