"""The ``routes`` config section: prefix routes, a raw reverse proxy for upstream APIs the
translator does not model (embeddings, files, batches). Behaviour:
:mod:`interlingua.server.prefix_routes`."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from interlingua.server.config._base import Strict

__all__ = ["PrefixRoute", "RouteTimeouts"]

_SEGMENT = re.compile(r"^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$")



class RouteTimeouts(Strict):
    connect_ms: int = Field(5_000, gt=0)
    read_ms: int = Field(60_000, gt=0)  # longest silence between bytes, streams too


class PrefixRoute(Strict):
    prefix: str  # /openai-files: this path and everything under it (on segment boundaries)
    base_url: str  # the rest of the path (and the query) is appended to it
    inject_headers: dict[str, str] = Field(default_factory=dict)  # set or override upstream headers
    timeouts: RouteTimeouts = RouteTimeouts()
    max_connections: int = Field(100, ge=1)

    @field_validator("prefix")
    @classmethod
    def _path(cls, prefix: str) -> str:
        prefix = prefix.rstrip("/")
        if not _SEGMENT.match(prefix):
            raise ValueError("must be a path such as /openai-files (starting with /, not only /)")
        return prefix

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return url.rstrip("/")

    @field_validator("inject_headers")
    @classmethod
    def _lower(cls, headers: dict[str, str]) -> dict[str, str]:
        return {name.lower(): value for name, value in headers.items()}
