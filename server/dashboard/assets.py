"""The dashboard's files, shipped as package data in ``static/`` (no build step, no CDN).

Every response carries a strict Content-Security-Policy: the pages load only their own
scripts and styles, connect only to the gateway and cannot be framed.
"""

from __future__ import annotations

import html
import re
from functools import cache
from importlib.resources import files

from quart import Response

__all__ = ["PUBLIC_ASSETS", "asset", "page", "security_headers"]

# What the sign-in page needs; everything else is served to a signed-in admin only.
PUBLIC_ASSETS = frozenset({"style.css", "signin.js"})

_NAME = re.compile(r"^[a-z0-9_-]+\.(js|css|html|svg)$")
_TYPES = {
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "svg": "image/svg+xml",
}
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def security_headers() -> dict[str, str]:
    return {
        "content-security-policy": _CSP,
        "x-content-type-options": "nosniff",
        # Not no-referrer: under it Chrome sends ``Origin: null`` on form posts, and the
        # sign-in's Origin check would refuse the gateway's own form.
        "referrer-policy": "same-origin",
        "cache-control": "no-store",
        "x-frame-options": "DENY",
    }


@cache
def _read(name: str) -> bytes | None:
    if not _NAME.match(name):
        return None
    path = files("interlingua.server.dashboard").joinpath("static", name)
    return path.read_bytes() if path.is_file() else None


def asset(name: str) -> Response | None:
    """The file ``static/<name>`` as a response, or None if there is no such file."""
    body = _read(name)
    if body is None:
        return None
    content_type = _TYPES[name.rsplit(".", 1)[1]]
    return Response(body, headers={"content-type": content_type, **security_headers()})


def page(name: str, status: int = 200, message: str = "") -> Response:
    """An HTML page; ``message`` (escaped) replaces its ``<!--MESSAGE-->`` marker."""
    body = _read(name)
    assert body is not None, f"dashboard page {name} is not packaged"
    text = body.decode().replace("<!--MESSAGE-->", html.escape(message))
    return Response(text, status=status, headers={"content-type": _TYPES["html"], **security_headers()})
