"""The README's compatibility matrix is the rendering of the committed results (no suite rerun)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from conformance import matrix, matrix_render
from interlingua.translate import Format


def _cell(passed: int = 0, failed: int = 0, refused: int = 0, notes: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"passed": passed, "failed": failed, "refused": refused, "notes": list(notes)}


def test_matrix_readme_section_is_the_rendering_of_the_committed_results() -> None:
    readme = matrix.README.read_text(encoding="utf-8")
    assert matrix_render.section(readme) == matrix_render.render(matrix.load()), (
        "README's compatibility matrix is stale: run `python tests/conformance/matrix.py --render` "
        "(or `nox -s matrix` to rerun the conformance tests too)"
    )


def test_matrix_results_hold_every_pair_and_feature() -> None:
    results = matrix.load()
    formats, features = results["formats"], [f["name"] for f in results["features"]]
    cells = {(c["client"], c["upstream"], c["feature"]) for c in results["cells"]}
    assert cells == {(a, b, f) for a in formats for b in formats for f in features}


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        (_cell(), "—"),
        (_cell(passed=4), "yes"),
        (_cell(passed=3, failed=1), "partial (3/4)"),
        (_cell(passed=2, failed=1, refused=1), "partial (2/4, 1 refused)"),
        (_cell(failed=2), "no (0/2)"),
        (_cell(refused=2), "refused"),
        (_cell(passed=1, notes=("top_k dropped: the target format has no counterpart",)), "yes†"),
    ],
)
def test_matrix_cell_text_says_how_many_tests_passed(cell: dict[str, Any], text: str) -> None:
    assert matrix_render.cell_text(cell) == text


def test_matrix_stream_tests_of_tool_cases_count_as_streaming_tools_not_tools() -> None:
    features = {f.name: f for f in matrix.FEATURES}
    assert features["streaming tools"].matches("test_stream_conversion_matches_snapshot", "tools_parallel")
    assert not features["tools"].matches("test_stream_conversion_matches_snapshot", "tools_parallel")
    assert features["tools"].matches("test_request_conversion_keeps_content", "tool_choice_named")
    assert not features["tools"].matches("test_request_conversion_keeps_content", "text_basic")


def test_matrix_usage_counts_the_usage_checks_of_every_case() -> None:
    usage = next(f for f in matrix.FEATURES if f.name == "usage")
    assert usage.matches("test_response_conversion_keeps_content_and_usage", "text_basic")
    assert usage.matches("test_request_conversion_matches_snapshot", "cache_usage")
    assert not usage.matches("test_request_conversion_matches_snapshot", "text_basic")


def test_matrix_replace_section_round_trips() -> None:
    readme = f"# x\n\n{matrix_render.START}\nold\n{matrix_render.END}\n\n## after\n"
    updated = matrix_render.replace_section(readme, "new table\n")
    assert matrix_render.section(updated) == "new table\n"
    assert updated.endswith(f"{matrix_render.END}\n\n## after\n")


def _item(test: str, case: Any, target: Any = None, module: str = "test_conformance_x.py") -> Any:
    params = {"case": case} if target is None else {"case": case, "target": target}
    return SimpleNamespace(
        callspec=SimpleNamespace(params=params),
        fspath=f"tests/conformance/{module}",
        originalname=test,
        name=test,
    )


def test_matrix_places_requests_client_to_upstream_and_the_rest_upstream_to_client() -> None:
    case = SimpleNamespace(fmt=Format.GEMINI, name="tools_single")
    request = matrix.place(_item("test_request_conversion_keeps_content", case, Format.OPENAI_CHAT))
    stream = matrix.place(_item("test_stream_conversion_is_incremental", case, Format.OPENAI_CHAT))
    same = matrix.place(_item("test_request_same_format_round_trip_is_identity", case))
    assert request == matrix.Placed(
        "test_request_conversion_keeps_content", "gemini", "openai_chat", "tools_single"
    )
    assert stream == matrix.Placed(
        "test_stream_conversion_is_incremental", "openai_chat", "gemini", "tools_single"
    )
    assert same is not None
    assert (same.client, same.upstream) == ("gemini", "gemini")
    assert matrix.place(_item("test_fixture_is_valid", case, module="test_fixtures_valid.py")) is None


def test_matrix_a_passing_snapshot_of_a_refusal_counts_as_refused() -> None:
    notes = matrix.Notes(by_cell={}, refused={("openai_chat", "gemini", "document")})
    refused = matrix.Placed("test_request_conversion_matches_snapshot", "openai_chat", "gemini", "document")
    other = matrix.Placed("test_request_conversion_matches_snapshot", "openai_chat", "gemini", "text_basic")
    assert matrix._outcome(refused, "passed", notes) == "refused"
    assert matrix._outcome(refused, "failed", notes) == "failed"
    assert matrix._outcome(other, "passed", notes) == "passed"


def test_matrix_legend_explains_the_translator_only_mark_only_when_used() -> None:
    results = {"formats": ["a", "b"], "client_surfaces": ["a"]}
    assert "‡" in matrix_render._legend(results)
    assert "‡" not in matrix_render._legend({**results, "client_surfaces": ["a", "b"]})
