"""Real traffic through the translator: nothing of what a client or upstream said may be lost.

Every OpenAI Chat and Anthropic Messages body recorded under
``<repo>/../shared/reference/recordings`` (see ``loader``) is converted to the
other format and judged: requests by the target's documented rules, responses
and streams by the target's official SDK, and all of them by their digest
(text, tool calls with ids/names/parsed arguments, tool results, thinking where
the target can carry it, stop reason, usage). Skipped when the folder is absent.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from conformance import run
from conformance.corpus import FORMATS
from conformance.digest import Digest, assert_kept, assert_usage_kept, request_digest, response_digest
from conformance.judges import judge_error, judge_request, judge_response, judge_stream
from conformance.normalise import assert_same

from interlingua.convert.blobs import original_call_id
from interlingua.convert.ids import unwrap
from interlingua.translate import Format, parse_error, render_error, translate_request
from recordings.loader import RECORDINGS, Item, load_items

ITEMS = load_items()
pytestmark = pytest.mark.skipif(not RECORDINGS.is_dir(), reason=f"recordings folder absent: {RECORDINGS}")


def _params(kind: str, *, both_targets: bool = False) -> list[Any]:
    out = []
    for item in ITEMS:
        if item.kind != kind:
            continue
        for target in FORMATS:
            if target is not item.fmt or both_targets:
                out.append(pytest.param(item, target, id=f"{item.id}-to-{target.value}"))
    return out


def _convert_request(item: Item, target: Format) -> dict[str, Any]:
    result = run.request(item.body, item.fmt, target)
    return run.body_or_skip(result)


@pytest.mark.parametrize(("item", "target"), _params("request"))
def test_recording_request_converts_without_loss(item: Item, target: Format) -> None:
    result = run.request(item.body, item.fmt, target)
    converted = run.body_or_skip(result)
    judge_request(target, converted)
    original = request_digest(item.fmt, item.body)
    # a documented drop (URL images toward Bedrock, foreign-signed thinking) is announced, not silent
    thinking = item.fmt is Format.ANTHROPIC_MESSAGES and not run.announced(result, "thinking")
    images = not run.announced(result, "image")
    assert_kept(original, request_digest(target, converted), thinking=thinking, images=images)


@pytest.mark.parametrize(("item", "target"), _params("request"))
def test_recording_request_cross_round_trip_keeps_content(item: Item, target: Format) -> None:
    back = translate_request(_convert_request(item, target), source=target, target=item.fmt).body
    images = not run.announced(run.request(item.body, item.fmt, target), "image")
    assert_kept(request_digest(item.fmt, item.body), request_digest(item.fmt, back), thinking=False, images=images)


@pytest.mark.parametrize("item", [pytest.param(i, id=i.id) for i in ITEMS if i.kind == "request"])
def test_recording_request_same_format_round_trip_is_identity(item: Item) -> None:
    back = translate_request(item.body, source=item.fmt, target=item.fmt).body
    assert_same(item.fmt, item.body, back)


@pytest.mark.parametrize(("item", "target"), _params("response", both_targets=True))
def test_recording_response_converts_without_loss(item: Item, target: Format) -> None:
    result = run.response(item.body, item.fmt, target)
    assert "body" in result, result
    judge_response(target, result["body"])
    original, converted = response_digest(item.fmt, item.body), response_digest(target, result["body"])
    assert_kept(original, converted)
    assert converted.usage == original.usage


def _stream_digest(fmt: Format, raw: bytes, *, strict: bool) -> tuple[Digest | None, Any]:
    verdict = judge_stream(fmt, raw, strict=strict)
    return (response_digest(fmt, verdict.message) if verdict.message else None), verdict


def _complete(fmt: Format, raw: bytes) -> bool:
    """Did the recorded upstream stream end with its terminal event?"""
    if fmt is Format.BEDROCK_CONVERSE:  # binary frames: usage (metadata) is the last event
        return b"metadata" in raw[-400:]
    if fmt is Format.GEMINI:  # no terminal event: the last chunk carries the finishReason
        return b'"finishReason"' in raw[-2000:]
    if fmt is Format.OPENAI_RESPONSES:  # the terminal event holds the whole response: search further back
        return any(f'"type":"response.{end}"'.encode() in raw for end in ("completed", "incomplete"))
    return (b"[DONE]" if fmt is Format.OPENAI_CHAT else b'"message_stop"') in raw[-200:]


@pytest.mark.parametrize(("item", "target"), _params("stream", both_targets=True))
def test_recording_stream_converts_without_loss(item: Item, target: Format) -> None:
    out = run.stream([item.body], item.fmt, target)
    converted, verdict = _stream_digest(target, out, strict=True)
    original, _ = _stream_digest(item.fmt, item.body, strict=False)
    assert original is not None
    if converted is None:  # an error before any content: a Gemini client gets the error alone, as from Gemini
        assert verdict.error is not None
        assert not any(original.texts.values())
        assert not original.tool_calls
        return
    if not _complete(item.fmt, item.body):
        assert verdict.error is not None, "an upstream stream that never finished must end in a client error"
        assert_kept(Digest(texts=original.texts), Digest(texts=converted.texts), thinking=False, images=False)
        return
    assert verdict.error is None, verdict.error
    if original.stop == "length" and any("<invalid JSON>" in str(c[2]) for c in converted.tool_calls):
        # cut off by max_tokens inside a tool call: the arguments are a JSON prefix on both sides
        assert [(unwrap(original_call_id(c[0])), c[1]) for c in converted.tool_calls] == [c[:2] for c in original.tool_calls]
        original.tool_calls, converted.tool_calls = [], []
    assert_kept(original, converted)
    assert_usage_kept(original.usage, converted.usage)


def _message(body: dict[str, Any]) -> Any:
    """An error envelope's message (Bedrock's is ``{"message": ...}``)."""
    return body["error"]["message"] if "error" in body else body["message"]


@pytest.mark.parametrize(("item", "target"), _params("error", both_targets=True))
def test_recording_error_keeps_status_and_message(item: Item, target: Format) -> None:
    err = parse_error(item.status, item.body, source=item.fmt)
    assert err.status == item.status
    body = render_error(err, target)
    judge_error(target, body)
    assert _message(body) == err.message
    assert err.message == _message(orjson.loads(item.body)), (
        "the upstream's message must reach the client"
    )


def test_recording_folder_is_decoded() -> None:
    """The loader finds the traffic the README lists (guards against a silent empty parametrization)."""
    kinds = {(i.fmt, i.kind) for i in ITEMS}
    for fmt in FORMATS:
        assert {(fmt, "request"), (fmt, "response"), (fmt, "stream")} <= kinds, fmt
