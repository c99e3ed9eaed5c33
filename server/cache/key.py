"""The cache key of a request: a hash of its canonical IR, partitioned by caller.

The request is read into the IR (the same representation the translators use), so a Chat
Completions client and a Messages client asking the same thing, under the same client
model name, get the same key. Fields that do not change the answer are left out:
``stream`` and ``stream_include_usage`` (a cached answer is replayed streamed or not, as
asked), ``metadata`` and ``user`` (labels). Everything else counts, format-specific ``extras`` included: a field the
IR carries only for one format (OpenAI's legacy ``max_tokens`` is such a field) makes that
request's key differ from other formats' rather than risk a wrong answer.

The partition is the caller: an HMAC of the key it presented (``Authorization``,
``x-api-key``, ``x-goog-api-key`` or a Gemini ``?key=``) under a secret (the server secret
when entries live in Redis, a random one per process in memory), ``anonymous`` without one,
or ``shared`` when the route says ``shared: true``. One caller never sees another's
answers, and the store never holds a key or a plain hash of one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

import orjson

from interlingua.translate import Format, Policy, converter

__all__ = ["cache_key", "partition"]

_IGNORED = ("stream", "stream_include_usage", "metadata", "user", "model")
_KEY_HEADERS = (b"authorization", b"x-api-key", b"x-goog-api-key")


def cache_key(fmt: Format, body: dict[str, Any], model: str, policy: Policy, part: str) -> str | None:
    """The key, or None when the request cannot be read into the IR (it is then not cached:
    the normal path reports the problem)."""
    try:
        ir = converter(fmt).request_to_ir(body, policy, [])
    except Exception:
        return None
    canonical = {k: v for k, v in ir.items() if k not in _IGNORED}
    digest = hashlib.sha256(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f"{part}:{model}:{digest}"


def partition(headers: Iterable[tuple[bytes, bytes]], query: bytes, shared: bool, secret: bytes) -> str:
    """Whose entries a request may see."""
    if shared:
        return "shared"
    presented = next((value for name, value in headers if name in _KEY_HEADERS), None)
    if presented is None and b"key=" in query:
        found = [v for n, v in parse_qsl(query.decode("latin-1")) if n == "key"]
        presented = found[0].encode("latin-1") if found else None
    if presented is None:
        return "anonymous"
    return hmac.new(secret, presented, hashlib.sha256).hexdigest()[:32]
