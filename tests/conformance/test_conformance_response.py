"""Response conversion over every (non-error) fixture: snapshots, SDK judges, content kept, round trips."""

from __future__ import annotations

from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from conformance import run
from conformance.corpus import Case, cross_params, same_params
from conformance.digest import assert_kept, response_digest
from conformance.judges import judge_response
from conformance.normalise import assert_same
from interlingua.translate import Format, translate_response


def _successes(params: list[Any]) -> list[Any]:
    return [p for p in params if not p.values[0].is_error]


CROSS = _successes(cross_params("response.json"))
JUDGED = _successes(cross_params("response.json", judged="stop"))  # known stop-reason bugs xfail here
SAME = _successes(same_params("response.json"))


def _converted(case: Case, target: Format) -> dict[str, Any]:
    body: dict[str, Any] = translate_response(case.json("response.json"), source=case.fmt, target=target).body
    return body


@pytest.mark.parametrize(("case", "target"), JUDGED)
def test_response_conversion_matches_snapshot(
    case: Case, target: Format, json_snapshot: SnapshotAssertion
) -> None:
    result = run.response(case.json("response.json"), case.fmt, target)
    assert run.scrub(result, case.fmt, target) == json_snapshot


@pytest.mark.parametrize(("case", "target"), JUDGED)
def test_response_conversion_parses_with_target_sdk(case: Case, target: Format) -> None:
    judge_response(target, _converted(case, target))


@pytest.mark.parametrize(("case", "target"), CROSS)
def test_response_conversion_keeps_content_and_usage(case: Case, target: Format) -> None:
    original = response_digest(case.fmt, case.json("response.json"))
    converted = response_digest(target, _converted(case, target))
    assert_kept(original, converted)
    assert converted.usage == original.usage


@pytest.mark.parametrize(("case", "target"), CROSS)
def test_response_cross_round_trip_keeps_content(case: Case, target: Format) -> None:
    there = _converted(case, target)
    back = translate_response(there, source=target, target=case.fmt).body
    original = response_digest(case.fmt, case.json("response.json"))
    converted = response_digest(case.fmt, back)
    # Thinking cannot come back: its signature has no place in the other format (ir.md, opaque blobs).
    assert_kept(original, converted, thinking=False)
    assert converted.usage == original.usage


@pytest.mark.parametrize("case", SAME)
def test_response_same_format_round_trip_is_identity(case: Case) -> None:
    body = case.json("response.json")
    back = translate_response(body, source=case.fmt, target=case.fmt).body
    assert_same(case.fmt, body, back)


def test_response_model_override_is_what_the_client_sees() -> None:
    """``model=`` replaces the upstream's model name (the gateway's alias is what clients asked for)."""
    params = CROSS[:1]
    if not params:
        pytest.skip("no response fixtures yet")
    case, target = params[0].values
    body = translate_response(
        case.json("response.json"), source=case.fmt, target=target, model="alias-1"
    ).body
    assert body["model"] == "alias-1"
