"""Fault controls of the fake upstream: how a broken provider behaves, for tests.

A fault spec is a comma-separated list of items, ``name:value`` or a bare flag. It is
given per request in the ``x-fake-fault`` header (when calling the fake directly: the
gateway does not forward that header), or set on :class:`FakeUpstream`: ``fault_next``
for the next requests in order, ``default_fault`` for every request (``faulty(spec)``
sets it for a ``with`` block). One spec language, whichever way it arrives.

Timing and cuts (``n`` counts stream events; 0 means before the status line and headers):

======================  =======================================================================
``slow:<ms>``           wait before the response starts (before the first byte)
``pace:<ms>``           wait between stream events
``stall-after:<n>``     send ``n`` events, then hang until the client goes away
                        (``stall-after:0`` also stalls a non-stream answer before its headers)
``die-after:<n>``       send ``n`` events, then reset the connection (``die-after:0``: no answer)
``error-after:<n>``     send ``n`` events, then the format's stream error event
``truncate-after:<n>``  send ``n`` events, then the first half of the next one (cut mid-line
                        or mid-frame), then end the body cleanly
``garbage-after:<n>``   send ``n`` events, then one that is not valid (SSE: a ``data:`` line
                        that is not JSON; Bedrock: a frame with a bad checksum), then end
``burst``               the events before the cut and the cut's own bytes go out in one write
                        (as a buffering proxy delivers them), so a relay gets good and bad
                        bytes in one chunk
======================  =======================================================================

Answers instead of the model's (checked after the API key, before the body):

======================  =======================================================================
``status:<code>``       ``code`` with the provider's error envelope (429/503/529 carry
                        ``retry-after``)
``retry-after:<s>``     the ``retry-after`` value for ``status`` (default 7)
``message:<text>``      the error message for ``status``/``error-after``
``raw-error:<code>``    ``code`` with a plain-text (non-JSON) body
``html-error:<code>``   ``code`` with an HTML page, as a load balancer in front answers
``huge-error:<code>``   ``code`` with the provider's envelope whose message is 1.5 MiB
``redirect:<code>``     a 3xx pointing elsewhere on the fake (``location`` header, empty body)
``bad-json``            200 ``application/json`` whose body is not JSON (stream or not)
``echo-key``            the error (``status``, ``raw-error``, ``html-error``) quotes the
                        credential the request carried, in its message and in an
                        ``x-ratelimit-limit-requests`` header, as careless providers do
======================  =======================================================================

Changes to the model's answer:

======================  =======================================================================
``json-to-stream``      a stream request gets the plain JSON answer (``application/json``)
``huge-body:<bytes>``   a plain JSON answer gains a ``padding`` string of that many bytes
                        (stream answers are unchanged)
======================  =======================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HUGE_ERROR_BYTES", "Fault", "parse_fault"]

HUGE_ERROR_BYTES = 3 << 19  # 1.5 MiB: over the 1 MiB where relays are tempted to cut


@dataclass(frozen=True, slots=True)
class Fault:
    slow_ms: float = 0.0
    pace_ms: float | None = None
    stall_after: int | None = None
    die_after: int | None = None
    error_after: int | None = None
    truncate_after: int | None = None
    garbage_after: int | None = None
    status: int | None = None
    raw_error: int | None = None
    html_error: int | None = None
    huge_error: int | None = None
    redirect: int | None = None
    huge_body: int | None = None
    bad_json: bool = False
    json_to_stream: bool = False
    echo_key: bool = False
    burst: bool = False
    retry_after: str = "7"
    message: str | None = None

    def cut_at(self) -> int | None:
        """Index of the first stream event not sent as usual, if any."""
        cuts = (self.stall_after, self.die_after, self.error_after, self.truncate_after, self.garbage_after)
        found = [n for n in cuts if n is not None]
        return min(found) if found else None


_INTS = frozenset(
    {
        "stall-after",
        "die-after",
        "error-after",
        "truncate-after",
        "garbage-after",
        "status",
        "raw-error",
        "html-error",
        "huge-error",
        "redirect",
        "huge-body",
    }
)
_FLAGS = frozenset({"bad-json", "json-to-stream", "echo-key", "burst"})
_TEXTS = frozenset({"retry-after", "message"})


def _item(name: str, value: str) -> tuple[str, object]:
    field = name.replace("-", "_")
    if name in _INTS:
        return field, int(value)
    if name in ("slow", "pace"):
        return f"{field}_ms", float(value)
    if name in _TEXTS:
        return field, value
    if name in _FLAGS and not value:
        return field, True
    raise ValueError(f"unknown fault {name!r}" if name not in _FLAGS else f"{name!r} takes no value")


def parse_fault(spec: str | None) -> Fault:
    """Parse ``spec``; unknown or malformed items raise ``ValueError`` naming them."""
    if not spec:
        return Fault()
    values: dict[str, object] = {}
    for item in spec.split(","):
        name, _, value = item.strip().partition(":")
        try:
            key, parsed = _item(name, value)
        except ValueError as exc:
            raise ValueError(f"bad x-fake-fault item {item.strip()!r}: {exc}") from None
        values[key] = parsed
    return Fault(**values)  # type: ignore[arg-type]
