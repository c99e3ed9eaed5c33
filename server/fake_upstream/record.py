"""What the fake upstream saw of each request, and what became of it (tests assert on it)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ReceivedRequest"]

JSON = dict[str, Any]


@dataclass(slots=True)
class ReceivedRequest:
    """One request as the fake upstream saw it, and what became of it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: JSON | None
    raw: bytes
    status: int | None = None
    events_sent: int = 0
    completed: bool = False
    disconnected: bool = False
    fault: str | None = None
    dropped: bool = False  # the fake upstream cut the connection (die-after)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    raw_path: str = ""  # as on the wire (percent-encoding kept), for SigV4 and URL tests
