"""Request conversion over every fixture: snapshots, content kept, provider rules, round trips."""

from __future__ import annotations

from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from conformance import run
from conformance.corpus import Case, cross_params, same_params
from conformance.digest import assert_kept, request_digest
from conformance.judges import judge_request
from conformance.normalise import assert_same
from interlingua.translate import Format, translate_request

CROSS = cross_params("request.json")
SAME = same_params("request.json")


def _converted(case: Case, target: Format) -> dict[str, Any]:
    """The converted body, or ``pytest.skip`` when policy refuses the case (the snapshot records the refusal)."""
    return run.body_or_skip(run.request(case.json("request.json"), case.fmt, target))


@pytest.mark.parametrize(("case", "target"), CROSS)
def test_request_conversion_matches_snapshot(
    case: Case, target: Format, json_snapshot: SnapshotAssertion
) -> None:
    assert run.request(case.json("request.json"), case.fmt, target) == json_snapshot


@pytest.mark.parametrize(("case", "target"), CROSS)
def test_request_conversion_keeps_content(case: Case, target: Format) -> None:
    result = run.request(case.json("request.json"), case.fmt, target)
    converted = run.body_or_skip(result)
    original = request_digest(case.fmt, case.json("request.json"))
    # Only Anthropic thinking has a counterpart on the other side (reasoning_content); OpenAI
    # reasoning_content has no signature, so Anthropic upstreams cannot take it back.
    # A documented drop (signed thinking toward a format that did not sign it) is announced.
    thinking = case.fmt is Format.ANTHROPIC_MESSAGES and not run.announced(result, "thinking")
    images = not run.announced(result, "image")  # a documented drop (with its warning) is not a silent loss
    assert_kept(original, request_digest(target, converted), thinking=thinking, images=images)


@pytest.mark.parametrize(("case", "target"), CROSS)
def test_request_conversion_follows_target_rules(case: Case, target: Format) -> None:
    judge_request(target, _converted(case, target))


@pytest.mark.parametrize(("case", "target"), CROSS)
def test_request_cross_round_trip_keeps_content(case: Case, target: Format) -> None:
    """A -> B -> A keeps text, tool calls (ids, names, parsed arguments) and tool results."""
    there = _converted(case, target)
    back = translate_request(there, source=target, target=case.fmt).body
    original = request_digest(case.fmt, case.json("request.json"))
    images = not run.announced(run.request(case.json("request.json"), case.fmt, target), "image")
    assert_kept(original, request_digest(case.fmt, back), thinking=False, images=images)


@pytest.mark.parametrize("case", SAME)
def test_request_same_format_round_trip_is_identity(case: Case) -> None:
    """format -> IR -> same format == original, up to :mod:`conformance.normalise`."""
    body = case.json("request.json")
    back = translate_request(body, source=case.fmt, target=case.fmt).body
    assert_same(case.fmt, body, back)
