"""Everything the converters produce as IR validates against the IR spec (specs/ir/*.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from interlingua.generated.models import ir
from interlingua.translate import DEFAULT_POLICY, Format, converter

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CASES = sorted((fmt, case) for fmt in Format for case in (FIXTURES / fmt.value).glob("*/") if case.is_dir())


def _load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


@pytest.mark.parametrize(("fmt", "case"), CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_ir_request_from_every_fixture_validates(fmt: Format, case: Path) -> None:
    body = _load(case / "request.json")
    if body is None:
        pytest.skip("no request.json")
    ir.ROOTS["request"].model_validate(converter(fmt).request_to_ir(body, DEFAULT_POLICY, []))


@pytest.mark.parametrize(("fmt", "case"), CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_ir_response_from_every_fixture_validates(fmt: Format, case: Path) -> None:
    body = _load(case / "response.json")
    if body is None:
        pytest.skip("no response.json")
    mod = converter(fmt)
    if "error" in body or set(body) <= {"message", "__type"}:  # an error fixture (Bedrock's: {"message"})
        ir.ROOTS["error"].model_validate(mod.error_to_ir(400, body))
        return
    ir.ROOTS["response"].model_validate(mod.response_to_ir(body, DEFAULT_POLICY, []))


@pytest.mark.parametrize("fmt", list(Format))
def test_ir_error_from_a_non_json_body_validates(fmt: Format) -> None:
    ir.ROOTS["error"].model_validate(converter(fmt).error_to_ir(502, None))
