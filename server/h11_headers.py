"""h11 validates each distinct header name and value once per process, and a streamed
response's headers once, not three times.

h11 checks every header of a response against the name and value grammars (two regex
matches and a dozen Python calls per header) when Hypercorn builds the ``h11.Response``.
Two patches, both exact (the same ``Headers`` come out, the same errors are raised):

- :func:`normalize_and_validate_once`: the two grammar checks are pure functions of the
  bytes, so names and values that passed are remembered (bounded sets, cleared when full)
  and not matched again. Almost every header of an answer repeats (its names always; most
  values: ``content-type``, the rate-limit headers' limits and resets, the routing
  headers). What the checks did not cover is unchanged: the framing headers
  (``content-length``: one value, digits; ``transfer-encoding``: ``chunked`` only) go
  through h11's own function, and an entry that was never seen is checked as before.
- :func:`set_comma_header_once`: for a response of unknown length (every stream: chunked)
  ``Connection.send`` rewrites the framing headers with ``set_comma_header`` twice (drop
  ``content-length``, set ``transfer-encoding: chunked``), and each call re-validated
  every header of the already validated list from scratch. The replacement keeps the
  validated entries as they are and validates only the entries it adds: the removed name
  takes every entry of it out, so the added values can only conflict among themselves.

Measured per request: an issued key's six rate-limit headers (which issue 8 requires)
were 36 regex matches and ~250 Python calls of a streamed answer, 12 and ~100 of a plain
one. h11 is pinned below 0.17 in pyproject.toml and :func:`install` fails loudly if a
patch point is gone. Tests: ``tests/server/test_h11_headers.py`` (against h11's own
functions, valid and invalid headers).
"""

from __future__ import annotations

from typing import Any

import h11._connection as h11_connection
import h11._events as h11_events
import h11._headers as h11_headers
from h11._headers import Headers
from h11._util import bytesify, validate

__all__ = ["install", "normalize_and_validate_once", "set_comma_header_once"]

_NORMALIZE = h11_headers.normalize_and_validate
_SET_COMMA = h11_headers.set_comma_header
_NAME_RE = h11_headers._field_name_re
_VALUE_RE = h11_headers._field_value_re
_FRAMING = (b"content-length", b"transfer-encoding")
_REMEMBERED = 4096  # per set: names and values seen (request ids make values churn)
_NAMES: set[bytes] = set()
_VALUES: set[bytes] = set()


def _checked(seen: set[bytes], regex: Any, data: Any, message: str) -> bytes:
    checked = bytesify(data)
    validate(regex, checked, message, checked)
    if len(seen) >= _REMEMBERED:
        seen.clear()
    seen.add(checked)
    return checked


def normalize_and_validate_once(headers: Any, _parsed: bool = False) -> Headers:
    """``h11._headers.normalize_and_validate``, matching each distinct name and value once."""
    if _parsed:
        return _NORMALIZE(headers, _parsed=True)
    items: list[Any] = []
    framing: list[tuple[bytes, bytes]] = []
    slots: dict[bytes, int] = {}  # framing name -> its first entry's place in items
    for name, value in headers:
        if type(name) is not bytes or name not in _NAMES:
            name = _checked(_NAMES, _NAME_RE, name, "Illegal header name {!r}")
        if type(value) is not bytes or value not in _VALUES:
            value = _checked(_VALUES, _VALUE_RE, value, "Illegal header value {!r}")
        lower = name.lower()
        if lower in _FRAMING:
            framing.append((name, value))
            if lower not in slots:
                slots[lower] = len(items)
                items.append(None)
            continue
        items.append((name, lower, value))
    if framing:
        # h11's own rules, on entries already checked: it keeps one entry per framing name
        # (repeated equal lengths collapse), at its first place, in first-seen order.
        for at, item in zip(slots.values(), _NORMALIZE(framing, _parsed=True)._full_items, strict=True):
            items[at] = item
    return Headers(items)


def set_comma_header_once(headers: Any, name: bytes, new_values: list[bytes]) -> Headers:
    """``h11._headers.set_comma_header``, without re-validating what ``headers`` holds."""
    if type(headers) is not Headers:
        return _SET_COMMA(headers, name, new_values)
    kept = [item for item in headers._full_items if item[1] != name]
    if new_values:
        title = name.title()
        kept += normalize_and_validate_once([(title, value) for value in new_values])._full_items
    return Headers(kept)


def install() -> None:
    """Patch h11's ``_events`` and ``_connection`` (idempotent)."""
    # Through the modules' namespaces: h11 does not export these names.
    events, connection = vars(h11_events), vars(h11_connection)
    if events.get("normalize_and_validate") is normalize_and_validate_once:
        return
    if (
        events.get("normalize_and_validate") is not _NORMALIZE
        or connection.get("set_comma_header") is not _SET_COMMA
        or "_full_items" not in getattr(Headers, "__slots__", ())
    ):
        raise RuntimeError("h11 changed: normalize_and_validate, set_comma_header or Headers._full_items moved")
    events["normalize_and_validate"] = normalize_and_validate_once
    connection["set_comma_header"] = set_comma_header_once
