"""Passthrough request bodies: change the model name and nothing else.

When client and upstream speak the same format the gateway forwards the
client's bytes. Only ``model`` may differ (``models[].upstream_model``), and
re-serialising would change whitespace, escapes and number spellings the
client chose, and cost a full ``orjson.dumps``. So the top-level ``"model"``
value is spliced in place when it can be found unambiguously; otherwise (the
key appears more than once in the text, e.g. a tool schema with a ``model``
property) the body is re-serialised, which is equivalent JSON.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

__all__ = ["replace_model"]

_KEY = re.compile(rb'"model"\s*:\s*')
_STRING = re.compile(rb'"((?:[^"\\]|\\.)*)"')


def replace_model(raw: bytes, body: dict[str, Any], new_model: str) -> bytes:
    """``raw`` (which parsed to ``body``) with the top-level model set to ``new_model``."""
    old = body.get("model")
    if old == new_model:
        return raw
    keys = list(_KEY.finditer(raw))
    if len(keys) == 1:
        key = keys[0]
        # A key found inside a string would follow a backslash-escaped quote.
        if key.start() == 0 or raw[key.start() - 1] != 0x5C:
            value = _STRING.match(raw, key.end())
            if value is not None and orjson.loads(value.group(0)) == old:
                return raw[: value.start()] + orjson.dumps(new_model) + raw[value.end() :]
    return orjson.dumps({**body, "model": new_model})
