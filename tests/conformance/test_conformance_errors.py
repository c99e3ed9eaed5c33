"""Errors: upstream error bodies parsed (``parse_error``) and rendered in every client format."""

from __future__ import annotations

from typing import Any, get_args

import orjson
import pytest
from syrupy.assertion import SnapshotAssertion

from conformance import judges_bedrock, run
from conformance.corpus import FORMATS, Case, cases, error_status
from conformance.judges import judge_error
from conformance.sse import parse_sse
from interlingua.errors import ErrorKind, GatewayError, InvalidRequest, RateLimited, UpstreamError
from interlingua.translate import Format, parse_error, render_error, render_stream_error

ERROR_CASES = [pytest.param(c, id=f"{c.fmt.value}-{c.name}") for c in cases("response.json") if c.is_error]


def _message(body: dict[str, Any]) -> Any:
    """The error message of an envelope (Bedrock's is ``{"message": ...}``, the others nest it in ``error``)."""
    return body["error"]["message"] if "error" in body else body["message"]


def _parsed(case: Case) -> GatewayError:
    retry_after = case.meta.get("retry_after")
    return parse_error(
        error_status(case), case.raw("response.json"), source=case.fmt, retry_after=retry_after
    )


@pytest.mark.parametrize("case", ERROR_CASES)
def test_error_parse_and_render_match_snapshot(case: Case, json_snapshot: SnapshotAssertion) -> None:
    err = _parsed(case)
    rendered = {fmt.value: render_error(err, fmt) for fmt in FORMATS}
    assert {"parsed": run.error_outcome(err), "rendered": rendered} == json_snapshot


@pytest.mark.parametrize("case", ERROR_CASES)
def test_error_parse_keeps_status_message_and_retry_after(case: Case) -> None:
    err = _parsed(case)
    assert isinstance(err, GatewayError)
    assert err.status == error_status(case)
    assert err.message == _message(case.json("response.json"))
    assert err.retry_after == case.meta.get("retry_after")


@pytest.mark.parametrize("case", ERROR_CASES)
@pytest.mark.parametrize("target", FORMATS)
def test_error_render_is_the_client_envelope(case: Case, target: Format) -> None:
    err = _parsed(case)
    body = render_error(err, target)
    judge_error(target, body)
    assert _message(body) == err.message
    upstream = case.json("response.json").get("error")
    if target is case.fmt is Format.ANTHROPIC_MESSAGES:  # a closed set of types: the upstream's survives
        assert body["error"]["type"] == upstream["type"]
    if (
        target is case.fmt is Format.OPENAI_CHAT
    ):  # OpenAI's `type` varies (tokens, requests...); code/param are the API
        for key in ("code", "param"):
            assert body["error"].get(key) == upstream.get(key), key


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (502, b"<html><body>Bad Gateway</body></html>"),
        (500, b""),
        (503, b'{"error": {"message": "trunc'),
        (429, b"[1, 2, 3]"),
        (400, b'{"error": "a bare string"}'),
    ],
    ids=["html", "empty", "truncated-json", "json-array", "string-error"],
)
@pytest.mark.parametrize("source", FORMATS)
def test_error_parse_survives_non_json_and_odd_bodies(status: int, body: bytes, source: Format) -> None:
    err = parse_error(status, body, source=source)
    assert isinstance(err, GatewayError)
    assert err.status == status
    assert isinstance(err.message, str)
    assert err.message
    for target in FORMATS:
        judge_error(target, render_error(err, target))


def test_error_parse_of_rate_limit_keeps_retry_after() -> None:
    body = orjson.dumps({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}})
    err = parse_error(429, body, source=Format.ANTHROPIC_MESSAGES, retry_after="7")
    assert (err.status, err.kind, err.retry_after) == (429, "rate_limit", "7")


@pytest.mark.parametrize("kind", get_args(ErrorKind))
@pytest.mark.parametrize("target", FORMATS)
def test_error_render_every_kind(kind: Any, target: Format) -> None:
    err = UpstreamError("something specific went wrong", status=418, kind=kind)
    body = render_error(err, target)
    judge_error(target, body)
    assert _message(body) == "something specific went wrong"


@pytest.mark.parametrize(
    "err",
    [InvalidRequest("bad field", param="messages[0].content"), RateLimited("slow down", retry_after="3")],
    ids=["invalid", "rate-limited"],
)
@pytest.mark.parametrize("target", FORMATS)
def test_error_render_stream_error_is_one_client_error_event(err: GatewayError, target: Format) -> None:
    if target is Format.BEDROCK_CONVERSE:  # a binary exception frame, raised by boto3
        _, error = judges_bedrock.judge_stream(render_stream_error(err, target))
        assert error is not None
        assert error["message"] == err.message
        return
    events = parse_sse(render_stream_error(err, target))
    assert len(events) >= 1
    payload = events[0].json()
    judge_error(target, payload)
    if target is Format.ANTHROPIC_MESSAGES:
        assert events[0].event == "error"
    assert payload.get("error", payload)["message"] == err.message
