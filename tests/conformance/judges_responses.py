"""The openai SDK as judge of OpenAI Responses output, and the Responses side of digests/normalisation.

A response must validate as ``openai.types.responses.Response``; a stream must
parse event by event (``ResponseStreamEvent`` through a TypeAdapter) and
accumulate with the SDK's own ``ResponseStreamState`` (what
``client.responses.stream`` uses). On top: ``event:`` names equal the data's
``type``, ``sequence_number`` counts from 0 without gaps, the stream starts with
``response.created`` and ends with a terminal event, every item and content
part added is done once, and deltas address an open item.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import openai.types.responses as rt
import orjson
import pydantic
from openai import omit
from openai._models import construct_type
from openai.lib.streaming.responses import ResponseStreamState

from conformance.sse import parse_sse
from interlingua.convert.envelope import responses_echo

if TYPE_CHECKING:
    from conformance.digest import Digest
    from conformance.judges import StreamVerdict

__all__ = [
    "judge_error",
    "judge_request",
    "judge_response",
    "judge_stream",
    "normalise",
    "request_digest",
    "response_digest",
]

JSON = dict[str, Any]
_EVENT = pydantic.TypeAdapter(rt.ResponseStreamEvent)
_TERMINAL = ("response.completed", "response.incomplete", "response.failed")


# Item types Interlingua writes itself; others (web_search_call, ...) are an upstream's items passed
# through verbatim, and recordings of them predate fields today's SDK types require.
_OWN_ITEMS = frozenset({"message", "function_call", "reasoning"})


def _passthrough(payload: JSON) -> bool:
    item = payload.get("item") or {}
    items = [item, *((payload.get("response") or payload).get("output") or [])]
    return any(isinstance(i, dict) and i.get("type") not in _OWN_ITEMS for i in items if i) or (
        "web_search_call" in str(payload.get("type"))
    )


def judge_response(body: JSON) -> JSON:
    assert body.get("object") == "response", body.get("object")
    try:
        response = rt.Response.model_validate(body)
    except pydantic.ValidationError:
        if not _passthrough(body):
            raise
        response = construct_type(type_=rt.Response, value=body)  # type: ignore[assignment]
    return response.model_dump(exclude_unset=True, warnings=False)


def judge_error(body: JSON) -> None:
    """The error envelope, or the stream's flat ``error`` event."""
    if body.get("type") == "error":
        rt.ResponseErrorEvent.model_validate(body)
        return
    error = body["error"]
    assert isinstance(error, dict), body
    assert isinstance(error.get("message"), str), body
    assert "type" in error, body


def judge_stream(raw: bytes, strict: bool) -> StreamVerdict:
    from conformance.judges import StreamVerdict

    events = parse_sse(raw)
    verdict = StreamVerdict(message=None, events=len(events))
    state: ResponseStreamState[Any] = ResponseStreamState(input_tools=omit, text_format=omit)
    lifecycle = _Lifecycle()
    for n, ev in enumerate(events):
        payload = ev.json()
        assert ev.event == payload.get("type"), f"event name {ev.event!r} != data type {payload.get('type')!r}"
        assert not strict or payload.get("sequence_number") == n, f"sequence_number {payload.get('sequence_number')} at event {n}"
        assert (n == 0) == (ev.event == "response.created"), "response.created must come first, once"
        if ev.event == "error":
            verdict.error = {k: v for k, v in payload.items() if k not in ("type", "sequence_number")}
            if strict:
                rt.ResponseErrorEvent.model_validate(payload)
            continue
        # Converter output must fit today's SDK types; a recorded upstream stream is read the way
        # the SDK reads a live one (construct_type: older servers lack fields the types now require).
        event = _event(payload, strict)
        lifecycle.see(payload)
        if ev.event == "response.failed":
            verdict.error = verdict.error or payload["response"].get("error")
            assert n == len(events) - 1, "nothing may follow response.failed"
            break
        with warnings.catch_warnings():  # the SDK's dump of a passed-through item it cannot type
            if _passthrough(payload):
                warnings.simplefilter("ignore", UserWarning)
            state.handle_event(event)
        if ev.event in _TERMINAL:
            assert not strict or n == len(events) - 1, f"nothing may follow {ev.event}"
            verdict.message = payload["response"]
            if strict:
                judge_response(payload["response"])
    else:
        assert not strict or (events and events[-1].event in _TERMINAL), "a Responses stream ends with a terminal event"
    if strict and verdict.error is None:
        lifecycle.assert_closed()
    snapshot = getattr(state, "_ResponseStreamState__current_snapshot", None)
    if verdict.message is None and snapshot is not None:  # no terminal event: what the SDK accumulated
        verdict.message = snapshot.model_dump(exclude_unset=True, warnings=False)
    return verdict


def _event(payload: JSON, strict: bool) -> Any:
    if strict:
        try:
            return _EVENT.validate_python(payload)
        except pydantic.ValidationError:
            if not _passthrough(payload):
                raise
    return construct_type(type_=rt.ResponseStreamEvent, value=payload)


class _Lifecycle:
    """Items and parts: added before any delta, done once, none left open."""

    def __init__(self) -> None:
        self.items: set[int] = set()
        self.parts: set[tuple[int, int]] = set()
        self.next_item = 0

    def see(self, payload: JSON) -> None:
        kind, out = payload["type"], payload.get("output_index")
        if kind == "response.output_item.added":
            assert out == self.next_item, f"output_index {out}, expected {self.next_item}"
            self.items.add(out)
            self.next_item += 1
        elif kind == "response.output_item.done":
            assert out in self.items, f"item {out} done but not open"
            assert not any(o == out for o, _ in self.parts), f"item {out} done with open parts"
            self.items.discard(out)
        elif kind == "response.content_part.added":
            assert out in self.items, f"part added to item {out} that is not open"
            self.parts.add((out, payload["content_index"]))
        elif kind == "response.content_part.done":
            self.parts.discard((out, payload["content_index"]))
        elif kind.endswith(".delta"):
            assert out in self.items, f"{kind} for item {out} that is not open"
        elif kind in _TERMINAL:
            self.assert_closed()

    def assert_closed(self) -> None:
        assert not self.items, f"items left open: {self.items}"
        assert not self.parts, f"parts left open: {self.parts}"


def judge_request(body: JSON) -> None:
    """What the Responses API requires of an input item list."""
    assert isinstance(body.get("model"), str), "model is required"
    items = body.get("input")
    assert isinstance(items, str) or items, "input must be non-empty"
    calls: set[str] = set()
    for n, item in enumerate(items if isinstance(items, list) else []):
        kind = item.get("type", "message")
        if kind == "message":
            assert item["role"] in ("system", "developer", "user", "assistant"), f"input[{n}].role"
        elif kind == "function_call":
            assert isinstance(item["arguments"], str), item
            assert item["call_id"], item
            calls.add(item["call_id"])
        elif kind == "function_call_output":
            assert item["call_id"] in calls, f"input[{n}]: function_call_output without its function_call"
        elif kind == "reasoning":
            assert item.get("id"), item
            assert isinstance(item.get("summary"), list), item
    for tool in body.get("tools") or []:
        assert tool.get("type") != "function" or tool.get("name"), tool


# -- digests and normalisation (the Responses side of conformance.digest / normalise) --------


def _item_texts(item: JSON) -> list[tuple[str, str]]:
    content = item.get("content")
    if isinstance(content, str):
        return [("text", content)]
    out = []
    for part in content or []:
        if part.get("type") in ("input_text", "output_text"):
            out.append(("text", part["text"]))
        elif part.get("type") == "refusal":
            out.append(("text", part["refusal"]))
        elif part.get("type") in ("input_image",):
            out.append(("image", ""))
    return out


def _items(digest: Digest, items: list[JSON], default_role: str) -> None:
    from conformance.digest import parse_arguments

    for item in items:
        kind = item.get("type", "message")
        if kind == "message":
            role = item.get("role", default_role)
            speaker = "system" if role in ("system", "developer") else role
            for what, text in _item_texts(item):
                if what == "image":
                    digest.images += 1
                else:
                    digest.add_text(speaker, text)
        elif kind == "function_call":
            name = item["name"] if not item.get("namespace") else f"{item['namespace']}__{item['name']}"
            digest.tool_calls.append((item["call_id"], name, parse_arguments(item.get("arguments", ""))))
        elif kind == "function_call_output":
            output = item.get("output")
            texts = [output] if isinstance(output, str) else [t for w, t in _item_texts({"content": output}) if w == "text"]
            digest.images += sum(1 for w, _ in _item_texts({"content": output}) if w == "image") if isinstance(output, list) else 0
            digest.tool_results.setdefault(item["call_id"], []).extend(texts)
        elif kind == "reasoning":
            digest.thinking.append("\n\n".join(s["text"] for s in item.get("summary") or []))


def request_digest(body: JSON) -> Digest:
    from conformance.digest import Digest

    digest = Digest()
    if body.get("instructions"):
        digest.add_text("system", body["instructions"])
    items = body.get("input")
    if isinstance(items, str):
        digest.add_text("user", items)
    else:
        _items(digest, items or [], "user")
    return digest


def response_digest(body: JSON) -> Digest:
    from conformance.digest import Digest, stop_category

    digest = Digest()
    _items(digest, body.get("output") or [], "assistant")
    if body.get("status") == "incomplete":
        reason = (body.get("incomplete_details") or {}).get("reason")
        digest.stop = stop_category({"content_filter": "content_filter"}.get(reason, "max_tokens"))
    elif any(i.get("type") == "function_call" for i in body.get("output") or []):
        digest.stop = stop_category("tool_use")
    elif any(p.get("type") == "refusal" for i in body.get("output") or [] for p in i.get("content") or []):
        digest.stop = stop_category("refusal")
    else:
        digest.stop = stop_category("end_turn")
    usage = body.get("usage")
    if usage:
        digest.usage = {"input": usage["input_tokens"], "output": usage["output_tokens"]}
        cached = (usage.get("input_tokens_details") or {}).get("cached_tokens")
        if cached:
            digest.usage["cache_read"] = cached
    return digest


def normalise(body: JSON) -> JSON:
    """Same-format round trips: string content and input become parts, ``type: message`` explicit,
    ``instructions: ""`` absent; a response's derived defaults (status, ids) are kept."""
    out: JSON = orjson.loads(orjson.dumps(body))
    if isinstance(out.get("input"), str):
        out["input"] = [{"role": "user", "content": out["input"]}]
    for item in out.get("input") or []:
        if "role" in item and item.get("type", "message") == "message":
            item["type"] = "message"
            if isinstance(item.get("content"), str):
                kind = "output_text" if item["role"] == "assistant" else "input_text"
                item["content"] = [{"type": kind, "text": item["content"]}]
            for part in item["content"]:
                if part.get("type") == "output_text":
                    part.setdefault("annotations", [])
    if not out.get("instructions"):
        out.pop("instructions", None)
    _flatten_namespaces(out)
    if out.get("object") == "response":
        _drop_echo_defaults(out)
    return out


def _drop_echo_defaults(body: JSON) -> None:
    """Rule 8 (normalise.py): a Response's request-echo fields at the value OpenAI answers to a
    request that did not set them == absent; ``completed_at`` is the clock of whoever finished it."""
    from conformance.normalise import drop_nulls

    defaults = drop_nulls(responses_echo(None))
    for key, value in defaults.items():
        if body.get(key) == value:
            del body[key]
    body.pop("completed_at", None)
    if body.get("reasoning") in ({"effort": "medium"}, {"effort": "medium", "summary": "detailed"}):
        del body["reasoning"]  # what the gateway says when the output holds reasoning items


def _flatten_namespaces(body: JSON) -> None:
    """Namespace tools are flattened to ``ns__fn`` functions (a documented normalisation)."""
    tools = []
    for tool in body.get("tools") or []:
        if tool.get("type") == "namespace":
            tools.extend({**fn, "name": f"{tool['name']}__{fn['name']}"} for fn in tool.get("tools") or [])
        else:
            tools.append(tool)
    if tools:
        body["tools"] = tools
    for item in body.get("input") or []:
        if item.get("type") == "function_call" and item.get("namespace"):
            item["name"] = f"{item.pop('namespace')}__{item['name']}"
