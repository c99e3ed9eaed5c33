"""The golden fixtures (``fixtures/<format>/<case>/``), discovered at collection time.

A new case directory (or a new format directory named after a :class:`Format`
value) is picked up by every parametrized test without new code. Each case may
hold ``request.json``, ``response.json``, ``stream.sse`` and ``meta.json``
(``meta.json`` optional: ``{"status": 429, "retry_after": "3", ...}`` for error
cases). A response that is an error envelope marks an *error case*: it goes
through ``parse_error`` / ``render_error`` instead of ``translate_response``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson
import pytest

from interlingua.translate import Format

__all__ = [
    "FIXTURES",
    "FORMATS",
    "KNOWN_BUGS",
    "REPO_ROOT",
    "Case",
    "cases",
    "cross_params",
    "error_status",
    "is_error_body",
    "same_params",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "fixtures"
FORMATS: tuple[Format, ...] = tuple(Format)

# HTTP status per provider error type, for error fixtures without meta.json.
_STATUS_BY_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "insufficient_quota": 429,
    "api_error": 500,
    "server_error": 500,
    "overloaded_error": 529,
}


@dataclass(frozen=True)
class Case:
    """One fixture directory: a named scenario in one wire format."""

    fmt: Format
    name: str
    path: Path

    def __str__(self) -> str:
        return f"{self.fmt.value}/{self.name}"

    def has(self, filename: str) -> bool:
        return (self.path / filename).is_file()

    def raw(self, filename: str) -> bytes:
        return (self.path / filename).read_bytes()

    def json(self, filename: str) -> dict[str, Any]:
        value = orjson.loads(self.raw(filename))
        assert isinstance(value, dict), f"{self}/{filename} is not a JSON object"
        return value

    @cached_property
    def meta(self) -> dict[str, Any]:
        return self.json("meta.json") if self.has("meta.json") else {}

    @property
    def is_error(self) -> bool:
        return self.has("response.json") and is_error_body(self.json("response.json"))


def is_error_body(body: dict[str, Any]) -> bool:
    """OpenAI ``{"error": {...}}``, Anthropic ``{"type": "error", ...}`` or Bedrock ``{"message": ...}``."""
    if body and set(body) <= {"message", "Message", "__type"}:
        return True
    return body.get("type") == "error" or (
        type(body.get("error")) is dict and "choices" not in body and "content" not in body and "output" not in body
    )


def error_status(case: Case) -> int:
    """The HTTP status an error fixture was served with (meta.json, else from its error type)."""
    if "status" in case.meta:
        return int(case.meta["status"])
    error = case.json("response.json")["error"]
    return _STATUS_BY_TYPE.get(str(error.get("type") or error.get("code")), 500)


def cases(filename: str | None = None) -> list[Case]:
    """Every fixture case (of every known format) that holds ``filename``, sorted."""
    found = []
    for fmt in FORMATS:
        folder = FIXTURES / fmt.value
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_dir()):
            case = Case(fmt, path.name, path)
            if filename is None or case.has(filename):
                found.append(case)
    return found


# Converter bugs found by these tests and reported (see the workstream report), by
# (what is judged, source format, case, target format). A fixed bug turns its strict
# xfail into a failure (XPASS), which is the signal to delete the entry.
KNOWN_BUGS: dict[tuple[str, str, str, str], str] = {}


def cross_params(filename: str, *, judged: str | None = None) -> list[Any]:
    """``(case, target)`` for every case holding ``filename`` and every *other* format.

    ``judged`` names what the test checks; a matching :data:`KNOWN_BUGS` entry marks
    the param ``xfail(strict=True)``.
    """
    params = []
    for case in cases(filename):
        for target in FORMATS:
            if target is case.fmt:
                continue
            bug = KNOWN_BUGS.get((judged or "", case.fmt.value, case.name, target.value))
            marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
            params.append(
                pytest.param(case, target, id=f"{case.fmt.value}-to-{target.value}-{case.name}", marks=marks)
            )
    return params


def same_params(filename: str) -> list[Any]:
    """One param per case holding ``filename`` (for same-format round trips)."""
    return [pytest.param(case, id=f"{case.fmt.value}-{case.name}") for case in cases(filename)]
