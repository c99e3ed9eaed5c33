"""``interlingua specs diff``: a provider's published spec against ours, and docs/coverage/ kept current."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from interlingua.cli import main
from interlingua.codegen.models import bundle_folder
from interlingua.codegen.specs_diff import coverage, reports

ROOT = Path(__file__).resolve().parents[2]
# The published specs live beside the repository (../shared), never at an absolute path.
PUBLISHED = ROOT.parent / "shared" / "reference" / "specs"
PUBLISHED_FILES = sorted(p for p in PUBLISHED.glob("*/*") if p.suffix in (".json", ".yaml", ".yml"))


def _published_gemini(tmp_path: Path, change: Any) -> Path:
    """Our own Gemini spec as a provider would publish it (OpenAPI), after ``change``."""
    schema, _ = bundle_folder(ROOT / "specs" / "gemini")
    text = json.dumps(schema["$defs"]).replace('"#/$defs/', '"#/components/schemas/')
    schemas = json.loads(text)
    change(schemas)
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps({"openapi": "3.0.3", "components": {"schemas": schemas}}))
    return path


def _new_knob(schemas: dict[str, Any]) -> None:
    schemas["GenerationConfig"]["properties"]["newKnob"] = {"type": "boolean"}
    schemas["GenerationConfig"]["properties"]["candidateCount"] = {"type": "string"}
    schemas["FinishReason"]["enum"].append("NEW_REASON")


def test_specs_diff_same_spec_reports_nothing(tmp_path: Path) -> None:
    report = {r.kind: r for r in reports(ROOT, _published_gemini(tmp_path, lambda s: None))["gemini"]}
    assert set(report) == {"request", "response", "stream_event"}
    assert not report["request"].missing
    assert not report["request"].changed


def test_specs_diff_finds_new_field_type_change_and_enum_value(tmp_path: Path) -> None:
    report = {r.kind: r for r in reports(ROOT, _published_gemini(tmp_path, _new_knob))["gemini"]}
    assert report["request"].missing == ["`generationConfig.newKnob`"]
    assert any("generationConfig.candidateCount`: type number in ours, string published" in c for c in report["request"].changed)
    assert any("finishReason`: enum values we lack: NEW_REASON" in c for c in report["response"].changed)


def test_specs_diff_says_what_the_rules_do_with_each_field(tmp_path: Path) -> None:
    report = {r.kind: r for r in reports(ROOT, _published_gemini(tmp_path, lambda s: None))["gemini"]}
    status = dict(report["request"].fields)
    assert status["generationConfig.maxOutputTokens"] == "mapped"
    assert status["generationConfig"] == "mapped (in part)"
    assert status["safetySettings"].startswith("extra")


def test_specs_diff_cli_prints_markdown_and_refuses_unknown_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _published_gemini(tmp_path, _new_knob)
    assert main(["specs", "diff", str(path), "--root", str(ROOT)]) == 0
    assert "`generationConfig.newKnob`" in capsys.readouterr().out
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"openapi": "3.0.3", "components": {"schemas": {}}}))
    assert main(["specs", "diff", str(other), "--root", str(ROOT)]) == 2


@pytest.mark.skipif(not PUBLISHED_FILES, reason=f"published specs absent: {PUBLISHED} (../shared beside the repository)")
@pytest.mark.parametrize("published", PUBLISHED_FILES, ids=lambda p: p.parent.name)
def test_coverage_docs_are_current(published: Path) -> None:
    texts = coverage(ROOT, published)
    assert texts, f"{published}: no format's schemas found"
    for fmt, text in texts.items():
        doc = ROOT / "docs" / "coverage" / f"{fmt}.md"
        assert doc.is_file(), f"{doc} is missing: run `nox -s specs-diff`"
        assert doc.read_text(encoding="utf-8") == text, f"{doc} is stale: run `nox -s specs-diff` and review the diff"
