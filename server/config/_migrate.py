"""Renamed config keys: the old spelling still loads, with a deprecation naming the new one.

One table, :data:`RENAMED`, drives both the rewrite of the raw document and the
line numbers of errors (a value under an old key is reported at its own line).
To rename a key, add a row; the old name keeps working until the row is removed.
"""

from __future__ import annotations

import copy
from typing import Any

from interlingua.server.config._base import LocatedValueError, Path

__all__ = ["RENAMED", "deprecation", "dotted", "migrate", "renamed_in"]

# (old path, new path), most specific first: a key moved out of a renamed section
# is moved before the section itself is renamed.
RENAMED: tuple[tuple[Path, Path], ...] = (
    (("policies", "model_allowlist"), ("model_access", "allow")),
    (("policies", "model_blocklist"), ("model_access", "block")),
    (("policies",), ("translation",)),
)


def renamed_in(data: dict[str, Any]) -> list[tuple[Path, Path]]:
    """The (old, new) rows of :data:`RENAMED` whose old key ``data`` uses."""
    return [(old, new) for old, new in RENAMED if _pop(data, old, remove=False)[0]]


def deprecation(old: Path, new: Path) -> str:
    return f"{dotted(old)} is deprecated: it is now {dotted(new)} (the old name still loads; rename it)"


def migrate(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A copy of ``data`` with every old key moved to its new place, and a message per moved key."""
    renamed = renamed_in(data)
    if not renamed:
        return data, []
    data = copy.deepcopy(data)  # the caller's document stays as it was
    for old, new in renamed:
        if _pop(data, new, remove=False)[0]:
            raise LocatedValueError(old, f"the old name of {dotted(new)}, which is given too: keep one")
        _put(data, new, _pop(data, old)[1])
    return data, [deprecation(old, new) for old, new in renamed]


def _pop(data: dict[str, Any], path: Path, *, remove: bool = True) -> tuple[bool, Any]:
    parent: Any = data
    for key in path[:-1]:
        parent = parent.get(key) if isinstance(parent, dict) else None
    if not isinstance(parent, dict) or path[-1] not in parent:
        return False, None
    return True, (parent.pop(path[-1]) if remove else parent[path[-1]])


def _put(data: dict[Any, Any], path: Path, value: Any) -> None:
    parent = data
    for key in path[:-1]:
        child = parent.get(key)
        parent[key] = child = dict(child) if isinstance(child, dict) else {}
        parent = child
    parent[path[-1]] = value


def dotted(path: Path) -> str:
    """``("providers", 0, "base_url")`` as ``providers[0].base_url``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
