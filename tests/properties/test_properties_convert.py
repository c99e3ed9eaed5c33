"""Property-based: valid bodies of either format convert without crashing and without losing content.

Budgets come from the hypothesis profile in ``tests/conftest.py`` (``ci`` is
derandomized); each property here keeps ``max_examples`` modest so the whole
translator suite stays well under a minute.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from conformance import run
from conformance.digest import assert_kept, request_digest, response_digest
from conformance.judges import judge_request, judge_response, judge_stream
from conformance.normalise import assert_same
from hypothesis import given, settings
from hypothesis import strategies as st

from interlingua.errors import InvalidRequest
from interlingua.translate import Format, StreamTranslator, translate_request, translate_response
from properties.encode import anthropic_stream, openai_stream
from properties.strategies import (
    anthropic_requests,
    anthropic_responses,
    json_values,
    openai_requests,
    openai_responses,
)

OA, AN = Format.OPENAI_CHAT, Format.ANTHROPIC_MESSAGES
JSON = dict[str, Any]
REQUESTS = {OA: openai_requests(), AN: anthropic_requests()}
RESPONSES = {OA: openai_responses(), AN: anthropic_responses()}
PAIRS = [pytest.param(OA, AN, id="openai-to-anthropic"), pytest.param(AN, OA, id="anthropic-to-openai")]
FAST = settings(max_examples=40)


@pytest.mark.parametrize(("source", "target"), PAIRS)
@FAST
@given(data=st.data())
def test_property_request_conversion_keeps_content(
    source: Format, target: Format, data: st.DataObject
) -> None:
    body = data.draw(REQUESTS[source])
    result = run.request(body, source, target)
    converted = result["body"]
    judge_request(target, converted)
    original, digest = request_digest(source, body), request_digest(target, converted)
    assert_kept(original, digest, thinking=source is AN, images=not run.announced(result, "image"))


@pytest.mark.parametrize(("source", "target"), PAIRS)
@FAST
@given(data=st.data())
def test_property_request_cross_round_trip_keeps_content(
    source: Format, target: Format, data: st.DataObject
) -> None:
    body = data.draw(REQUESTS[source])
    there = translate_request(body, source=source, target=target).body
    back = translate_request(there, source=target, target=source).body
    assert_kept(request_digest(source, body), request_digest(source, back), thinking=False)


@pytest.mark.parametrize("fmt", [OA, AN], ids=["openai", "anthropic"])
@FAST
@given(data=st.data())
def test_property_request_same_format_round_trip_is_identity(fmt: Format, data: st.DataObject) -> None:
    body = data.draw(REQUESTS[fmt])
    back = translate_request(body, source=fmt, target=fmt).body
    assert_same(fmt, body, back)


@pytest.mark.parametrize(("source", "target"), PAIRS)
@FAST
@given(data=st.data())
def test_property_response_conversion_keeps_content(
    source: Format, target: Format, data: st.DataObject
) -> None:
    body = data.draw(RESPONSES[source])
    converted = translate_response(body, source=source, target=target).body
    judge_response(target, converted)
    original, result = response_digest(source, body), response_digest(target, converted)
    assert_kept(original, result)
    assert result.usage == original.usage


def _splitter(data: st.DataObject) -> Callable[[str], list[str]]:
    def split(text: str) -> list[str]:
        if not text:
            return []
        cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=4)))
        bounds = [0, *(c for c in cuts if c < len(text)), len(text)]
        return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]

    return split


@pytest.mark.parametrize(
    ("source", "target"),
    [*PAIRS, pytest.param(OA, OA, id="openai-same"), pytest.param(AN, AN, id="anthropic-same")],
)
@FAST
@given(data=st.data())
def test_property_stream_conversion_keeps_content(
    source: Format, target: Format, data: st.DataObject
) -> None:
    """Arguments split anywhere, bytes split anywhere: the target SDK accumulates the same message."""
    body = data.draw(RESPONSES[source])
    raw = (openai_stream if source is OA else anthropic_stream)(body, _splitter(data))
    size = data.draw(st.integers(1, 200), label="piece size")
    translator = StreamTranslator(source=source, target=target)
    out = b"".join(translator.feed(raw[i : i + size]) for i in range(0, len(raw), size)) + translator.finish()
    verdict = judge_stream(target, out)
    assert verdict.error is None, verdict.error
    assert verdict.message is not None
    original, result = response_digest(source, body), response_digest(target, verdict.message)
    assert_kept(original, result)
    assert result.usage == original.usage


def _mutations() -> st.SearchStrategy[Callable[[JSON], None]]:
    """Ways a client body can be wrong: a missing or mistyped field anywhere near the top."""

    def drop(key: str) -> Callable[[JSON], None]:
        return lambda body: body.pop(key, None)

    def put(path: tuple[Any, ...], value: Any) -> Callable[[JSON], None]:
        def apply(body: JSON) -> None:
            node: Any = body
            for step in path[:-1]:
                node = node[step]
            node[path[-1]] = value

        return apply

    return st.one_of(
        st.sampled_from([drop("messages"), drop("model")]),
        st.builds(put, st.just(("messages",)), json_values.filter(lambda v: not isinstance(v, list))),
        st.builds(put, st.just(("messages", 0, "role")), st.sampled_from(["wizard", 3, None])),
        st.builds(
            put, st.just(("messages", 0, "content")), st.sampled_from([42, {"a": 1}, [{"type": "nope"}], [7]])
        ),
        st.builds(put, st.just(("messages", -1)), json_values),
        st.builds(put, st.just(("tools",)), st.sampled_from([{}, "x", [1], [{"type": "function"}]])),
    )


@pytest.mark.parametrize(
    ("source", "target"),
    [*PAIRS, pytest.param(OA, OA, id="openai-same"), pytest.param(AN, AN, id="anthropic-same")],
)
@FAST
@given(data=st.data())
def test_property_invalid_request_is_a_clear_400(source: Format, target: Format, data: st.DataObject) -> None:
    """Broken client bodies raise InvalidRequest (a 400 in the client's envelope), never a crash."""
    body = data.draw(REQUESTS[source])
    data.draw(_mutations())(body)
    result = run.request(body, source, target)
    if "raises" in result:
        assert result["raises"] in ("InvalidRequest", "ConversionError"), result
        assert result["status"] == 400, result


@pytest.mark.parametrize(("source", "target"), PAIRS)
@settings(max_examples=60)
@given(
    body=st.dictionaries(
        st.sampled_from(["model", "messages", "max_tokens", "tools", "system", "stream"]), json_values
    )
)
def test_property_arbitrary_json_never_crashes(source: Format, target: Format, body: JSON) -> None:
    with contextlib.suppress(InvalidRequest):
        translate_request(body, source=source, target=target)
