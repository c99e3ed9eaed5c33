"""Per-format answers of the fake upstream that are not model output: the HTTP
error envelope (with the provider's request-id and retry headers), the
mid-stream error event, and the OpenAI / Anthropic model lists.

Formats: ``openai`` (Chat Completions), ``anthropic``, ``gemini``,
``responses`` (OpenAI Responses; same HTTP envelope as Chat), ``bedrock``.
"""

from __future__ import annotations

from typing import Any

import orjson

from interlingua.server.fake_upstream.anthropic_messages import anthropic_error, anthropic_stream_error
from interlingua.server.fake_upstream.bedrock_converse import bedrock_error, bedrock_exception_frame
from interlingua.server.fake_upstream.gemini import gemini_error
from interlingua.server.fake_upstream.openai_chat import openai_error
from interlingua.server.fake_upstream.openai_responses import responses_stream_error

__all__ = ["STREAM_CONTENT_TYPES", "error_envelope", "model_list", "stream_error"]

JSON = dict[str, Any]
_RETRY_STATUSES = frozenset({429, 503, 529})
STREAM_CONTENT_TYPES = {"bedrock": "application/vnd.amazon.eventstream"}
_REQUEST_ID = {"anthropic": "request-id", "bedrock": "x-amzn-RequestId"}


def error_envelope(
    fmt: str, status: int, message: str, param: str | None, retry_after: str
) -> tuple[bytes, dict[str, str]]:
    """(JSON body, headers) of an error answer in format ``fmt``."""
    headers: dict[str, str] = {}
    body: JSON
    if fmt == "anthropic":
        body = anthropic_error(status, message)
    elif fmt == "gemini":
        body = gemini_error(status, message)
    elif fmt == "bedrock":
        body, headers = bedrock_error(status, message)
    else:
        body = openai_error(status, message, param)
    if status in _RETRY_STATUSES:
        headers["retry-after"] = retry_after
    headers[_REQUEST_ID.get(fmt, "x-request-id")] = "req_demo"
    return orjson.dumps(body), headers


def stream_error(fmt: str, message: str, events_sent: int) -> bytes:
    """The error event a provider sends in place of the rest of a stream."""
    if fmt == "anthropic":
        return anthropic_stream_error(529, message)
    if fmt == "gemini":
        return b"data: " + orjson.dumps(gemini_error(503, message)) + b"\r\n\r\n"
    if fmt == "responses":
        return responses_stream_error(message, events_sent)
    if fmt == "bedrock":
        return bedrock_exception_frame(503, message)
    return b"data: " + orjson.dumps(openai_error(500, message)) + b"\n\n"


def model_list(models: tuple[str, ...], anthropic: bool) -> JSON:
    """``GET /v1/models`` in Anthropic's shape (``anthropic-version`` sent) or OpenAI's."""
    if anthropic:
        data = [
            {"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"}
            for m in models
        ]
        return {"data": data, "has_more": False, "first_id": models[0], "last_id": models[-1]}
    return {
        "object": "list",
        "data": [{"id": m, "object": "model", "created": 1_700_000_000, "owned_by": "demo"} for m in models],
    }
