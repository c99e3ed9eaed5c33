"""Quart's request class with its blueprint lookups read straight from the matched rule.

Quart asks ``request.blueprints`` three times per request (before-request functions,
after-request functions, teardown), and its properties chain: ``blueprints`` reads
``blueprint`` twice, which reads ``endpoint`` three times. For an API route
(``openai.chat_completions``) that was 27 Python calls per request for one string split.
These give the same answers from ``url_rule`` in two calls per lookup.
"""

from __future__ import annotations

from quart import Request
from quart.helpers import _split_blueprint_path

__all__ = ["GatewayRequest"]


class GatewayRequest(Request):
    @property
    def blueprint(self) -> str | None:
        """As Quart's: the matched endpoint's blueprint, None when unmatched or not in one."""
        rule = self.url_rule
        endpoint: str | None = rule.endpoint if rule is not None else None
        if endpoint is None or "." not in endpoint:
            return None
        return endpoint.rpartition(".")[0]

    @property
    def blueprints(self) -> list[str]:
        """As Quart's: the blueprint and its parents, innermost first (cached per name)."""
        blueprint = self.blueprint
        return _split_blueprint_path(blueprint) if blueprint is not None else []
