"""h11 validates a streamed response's headers once, not three times.

h11 checks every header of a response against its name and value grammars (two regex
matches per header) when Hypercorn builds the ``h11.Response``. For a response of unknown
length (every stream: chunked) ``Connection.send`` then rewrites the framing headers with
``set_comma_header`` twice (drop ``content-length``, set ``transfer-encoding: chunked``),
and each call re-validates every header of the already validated list from scratch: a
streamed answer's headers were matched three times, the issued-key rate-limit headers
(six per answer) included. Measured per s1-stream request: 36 of the key's extra regex
matches and ~250 of its ~360 extra Python calls.

:func:`install` replaces the name ``h11._connection`` calls with one that keeps the
already validated entries as they are and validates only the entries it adds. The result
is the same ``Headers`` (same entries, same order): the kept entries were normalised by
the first validation (lower-cased names, one ``content-length`` value, a lower-case
``transfer-encoding``), the removed name takes every entry of it out, so the added values
can only conflict among themselves, which validating them checks. Headers that are not
h11's own (never the case inside ``Connection.send``) take the original path. h11 is
pinned below 0.17 in pyproject.toml and ``install`` fails loudly if the patch point is
gone. Tests: ``tests/server/test_h11_headers.py``.
"""

from __future__ import annotations

from typing import Any

import h11._connection as h11_connection
from h11._headers import Headers, normalize_and_validate, set_comma_header

__all__ = ["install", "set_comma_header_once"]

_ORIGINAL = set_comma_header


def set_comma_header_once(headers: Any, name: bytes, new_values: list[bytes]) -> Headers:
    """``h11._headers.set_comma_header``, without re-validating what ``headers`` holds."""
    if type(headers) is not Headers:
        return _ORIGINAL(headers, name, new_values)
    kept = [item for item in headers._full_items if item[1] != name]
    if new_values:
        title = name.title()
        kept += normalize_and_validate([(title, value) for value in new_values])._full_items
    return Headers(kept)


def install() -> None:
    """Patch ``h11._connection`` (idempotent)."""
    current = getattr(h11_connection, "set_comma_header", None)
    if current is set_comma_header_once:
        return
    if current is not _ORIGINAL or not hasattr(Headers, "__slots__") or "_full_items" not in Headers.__slots__:
        raise RuntimeError("h11 changed: _connection.set_comma_header or Headers._full_items is gone")
    h11_connection.set_comma_header = set_comma_header_once  # type: ignore[attr-defined]
