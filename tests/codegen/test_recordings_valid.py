"""Every recorded OpenAI Chat / Anthropic Messages body fits the hand-written specs.

The bodies come from ``<repo>/../shared/reference/recordings`` through the
shared loader (``tests/recordings/loader.py``); skipped when the folder is absent.
A body must also survive parse-and-dump unchanged: the models keep unknown
upstream fields, so a passthrough built on them loses nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import orjson
import pytest

from interlingua.validation import model_for, validate

loader = pytest.importorskip(
    "recordings.loader", reason="tests/recordings/loader.py (shared loader) not present"
)
sse = pytest.importorskip(
    "conformance.sse", reason="tests/conformance/sse.py (shared SSE parser) not present"
)

pytestmark = pytest.mark.skipif(
    not loader.RECORDINGS.is_dir(), reason=f"recordings folder absent: {loader.RECORDINGS}"
)


def _bodies() -> list[Any]:
    """``(fmt, kind, body)`` params, one per request, response, error body and stream event."""
    params: list[Any] = []
    for item in loader.load_items():
        fmt = item.fmt.value
        if item.kind in ("request", "response"):
            params.append(pytest.param(fmt, item.kind, item.body, id=item.id))
        elif item.kind == "error" and item.body.lstrip().startswith(b"{"):
            params.append(pytest.param(fmt, "error", orjson.loads(item.body), id=item.id))
        elif item.kind == "stream" and fmt == "bedrock_converse":
            params.append(pytest.param(fmt, "stream_event", _bedrock_events(item.body), id=item.id))
        elif item.kind == "stream":
            events = [ev.json() for ev in sse.parse_sse(item.body) if ev.data != "[DONE]"]
            params.append(pytest.param(fmt, "stream_event", events, id=item.id))
    return params


def _bedrock_events(raw: bytes) -> list[Any]:
    """Binary event-stream frames as ConverseStreamOutput members (``{"<event type>": payload}``)."""
    from botocore.eventstream import EventStreamBuffer

    buffer = EventStreamBuffer()
    buffer.add_data(raw)
    return [
        {str(m.headers.get(":event-type") or m.headers.get(":exception-type")): orjson.loads(m.payload)}
        for m in buffer
    ]


BODIES = _bodies()


def test_recordings_cover_every_kind() -> None:
    seen = {(p.values[0], p.values[1]) for p in BODIES}
    for fmt in ("openai_chat", "anthropic_messages"):
        assert {(fmt, kind) for kind in ("request", "response", "stream_event", "error")} <= seen


@pytest.mark.parametrize(("fmt", "kind", "body"), BODIES)
def test_recordings_validate_and_round_trip(fmt: str, kind: str, body: Any) -> None:
    bodies = body if kind == "stream_event" else [body]
    model = model_for(fmt, kind)
    for one in bodies:
        validate(fmt, kind, one)
        dumped = model.model_validate(one).model_dump(mode="json", exclude_unset=True, by_alias=True)
        assert dumped == one


def _count_tokens_bodies() -> list[Any]:
    """Anthropic count_tokens exchanges (the shared loader keeps /v1/messages only)."""
    import yaml

    index_file = loader.RECORDINGS / "INDEX.json"
    if not index_file.is_file():  # collected before the module's skip applies: no recordings, no params
        return []
    index = orjson.loads(index_file.read_bytes())
    params: list[Any] = []
    for entry in index:
        if "anthropic-count_tokens" not in entry["format"]:
            continue
        path = loader.RECORDINGS.parent / entry["file"]
        for n, step in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]):
            if urlparse(step["request"]["uri"]).path != "/v1/messages/count_tokens":
                continue
            ok = step["response"]["status"]["code"] < 400
            kind = "count_tokens_response" if ok else "error"
            params.append(
                pytest.param(
                    "count_tokens_request", step["request"]["parsed_body"], id=f"{path.name}#{n}-req"
                )
            )
            params.append(pytest.param(kind, step["response"]["parsed_body"], id=f"{path.name}#{n}-resp"))
    return params


@pytest.mark.parametrize(("kind", "body"), _count_tokens_bodies())
def test_recordings_count_tokens_bodies_validate(kind: str, body: Any) -> None:
    validate("anthropic_messages", kind, body)
