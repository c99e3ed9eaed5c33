"""Regression tests for what the spec-driven fuzz suite (test_fuzz_gateway.py) found."""

from __future__ import annotations

import httpx
import pytest
from server_helpers import formats_config

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1beta/models/gpt-5:streamGenerateContent?alt=sse", {"contents": []}, "contents"),
        ("/v1beta/models/gpt-4o-mini:generateContent", {"contents": []}, "contents"),
        ("/v1/messages", {"model": "gpt-4o-mini", "max_tokens": 8, "messages": []}, "messages"),
        ("/v1/chat/completions", {"model": "claude-sonnet-4-6", "messages": []}, "messages"),
        ("/v1/responses", {"model": "claude-sonnet-4-6", "input": ""}, "input"),
        ("/model/gpt-4o-mini/converse", {"messages": []}, "messages"),
    ],
)
async def test_empty_conversation_translated_is_400_naming_the_clients_field(
    upstream: FakeUpstream, path: str, body: dict[str, object], field: str
) -> None:
    """Translated, an empty conversation reached the upstream as an empty one of its own
    format, and the client read an error naming a field it never sent ('input')."""
    async with running_gateway(formats_config(upstream)) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.post(path, json=body)
    assert response.status_code == 400, response.text
    assert field in response.text
    assert upstream.requests == []


async def test_contentless_gemini_turns_to_anthropic_name_a_field(upstream: FakeUpstream) -> None:
    """Fuzz finding: {"contents": [{}, {}]} toward an Anthropic upstream answered 400
    "the request could not be converted (KeyError: 'content')", naming no field. Gemini
    requires a turn's parts (its own API answers 400 without them): the error names them."""
    async with running_gateway(formats_config(upstream)) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.post("/v1beta/models/claude-sonnet-4-6:generateContent", json={"contents": [{}, {}]})
    assert response.status_code == 400
    assert "KeyError" not in response.text
    assert "contents[0].parts" in response.text
    assert upstream.requests == []
