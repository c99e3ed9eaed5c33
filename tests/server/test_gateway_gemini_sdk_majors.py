"""google-genai's request serialiser across its major versions, through the gateway to other upstreams.

The installed SDK always runs; other majors run when installed side by side with
``pip install --target`` (``nox -s genai-majors`` puts 1.x and 2.x in ``.nox/genai/<major>``,
or name folders in ``INTERLINGUA_GENAI_TARGETS``, separated by ``os.pathsep``). Each
version builds its bodies in a subprocess (tests/server/genai_bodies.py); 1.x spells
``inlineData.mimeType``, 2.x and 3.x ``inlineData.mime_type``: both must reach the upstream.
"""

from __future__ import annotations

import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from interlingua.server.fake_upstream import FakeUpstream

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TRANSLATED = ["gemini-via-openai", "gemini-via-anthropic", "gpt-5", "claude-via-bedrock"]


def _targets() -> list[Path]:
    named = os.environ.get("INTERLINGUA_GENAI_TARGETS")
    found = [Path(p) for p in named.split(os.pathsep) if p] if named else sorted((ROOT / ".nox" / "genai").glob("*"))
    return [p for p in found if (p / "google" / "genai").is_dir()]


TARGETS = [pytest.param(None, id="installed")] + [pytest.param(p, id=p.name) for p in _targets()]


@cache
def _bodies(target: Path | None) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(target)} if target else dict(os.environ)
    out = subprocess.run(
        [sys.executable, str(HERE / "genai_bodies.py")], env=env, capture_output=True, check=True, timeout=120
    )
    result: dict[str, Any] = orjson.loads(out.stdout)
    return result


@pytest.fixture
def client(formats_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return formats_client


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("model", TRANSLATED)
async def test_genai_major_bodies_reach_other_upstreams(
    client: httpx.AsyncClient, upstream: FakeUpstream, target: Path | None, model: str
) -> None:
    built = _bodies(target)
    generate = built["bodies"]["generateContent"]
    for method in ("generateContent", "streamGenerateContent?alt=sse"):
        resp = await client.post(f"/v1beta/models/{model}:{method}", json=generate)
        assert resp.status_code == 200, (built["version"], resp.text)
        seen = orjson.dumps(upstream.requests[-1].body).decode()
        assert generate["contents"][0]["parts"][1]["inlineData"]["data"] in seen  # the image got there
        assert "colour_name" in seen  # tool schema property names are user data
    resp = await client.post(f"/v1beta/models/{model}:countTokens", json=built["bodies"]["countTokens"])
    assert resp.status_code == 200, (built["version"], resp.text)
    assert resp.json()["totalTokens"] > 0


def test_genai_other_majors_are_installed_or_skipped_with_a_reason() -> None:
    if not _targets():
        pytest.skip("only the installed google-genai major runs: `nox -s genai-majors` adds 1.x and 2.x side by side")
    versions = {_bodies(t)["version"].split(".")[0] for t in [None, *_targets()]}
    assert len(versions) == 1 + len(_targets()), f"expected distinct majors, got {sorted(versions)}"
