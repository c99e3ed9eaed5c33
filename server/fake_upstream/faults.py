"""Fault controls of the fake upstream, for tests.

A fault spec is a comma-separated list of ``name:value`` items, given per
request in the ``x-fake-fault`` header or set on :class:`FakeUpstream`
(``fault_next`` for the next requests, ``default_fault`` for all):

==================  ===========================================================
``slow:<ms>``       wait before the response starts (before the first byte)
``pace:<ms>``       wait between stream events
``stall-after:<n>`` send ``n`` stream events (0: nothing, not even headers), then hang
``die-after:<n>``   send ``n`` stream events (0: nothing), then drop the connection
``error-after:<n>`` send ``n`` stream events, then the format's stream error event
``status:<code>``   answer ``code`` with the provider's error envelope
                    (429 and 529/503 carry ``retry-after``)
``retry-after:<s>`` the ``retry-after`` value for ``status`` (default 7)
``message:<text>``  the error message for ``status``/``error-after``
``raw-error:<code>`` answer ``code`` with a plain-text (non-JSON) body
==================  ===========================================================
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Fault", "parse_fault"]


@dataclass(frozen=True, slots=True)
class Fault:
    slow_ms: float = 0.0
    pace_ms: float | None = None
    stall_after: int | None = None
    die_after: int | None = None
    error_after: int | None = None
    status: int | None = None
    raw_error: int | None = None
    retry_after: str = "7"
    message: str | None = None

    def cut_at(self) -> int | None:
        """Index of the first stream event not sent as usual, if any."""
        cuts = [n for n in (self.stall_after, self.die_after, self.error_after) if n is not None]
        return min(cuts) if cuts else None


_INTS = {
    "stall-after": "stall_after",
    "die-after": "die_after",
    "error-after": "error_after",
    "status": "status",
    "raw-error": "raw_error",
}


def parse_fault(spec: str | None) -> Fault:
    """Parse ``spec``; unknown or malformed items raise ``ValueError`` naming them."""
    if not spec:
        return Fault()
    values: dict[str, object] = {}
    for item in spec.split(","):
        name, _, value = item.strip().partition(":")
        try:
            if name in _INTS:
                values[_INTS[name]] = int(value)
            elif name in ("slow", "pace"):
                values[f"{name}_ms"] = float(value)
            elif name == "retry-after":
                values["retry_after"] = value
            elif name == "message":
                values["message"] = value
            else:
                raise ValueError(f"unknown fault {name!r}")
        except ValueError as exc:
            raise ValueError(f"bad x-fake-fault item {item.strip()!r}: {exc}") from None
    return Fault(**values)  # type: ignore[arg-type]
