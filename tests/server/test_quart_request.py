"""GatewayRequest's blueprint lookups answer exactly as Quart's own properties."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from quart import Request

from interlingua.server.quart_request import GatewayRequest


@pytest.mark.parametrize(
    "endpoint", [None, "openai.chat_completions", "outer.inner.view", "plain", ".leading", "trailing."]
)
def test_same_answers_as_quart(endpoint: str | None) -> None:
    request = object.__new__(GatewayRequest)
    request.url_rule = None if endpoint is None else SimpleNamespace(endpoint=endpoint)  # type: ignore[assignment]
    assert request.blueprint == Request.blueprint.fget(request)  # type: ignore[attr-defined]
    assert request.blueprints == Request.blueprints.fget(request)  # type: ignore[attr-defined]
