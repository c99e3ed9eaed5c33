"""Keeping long-lived objects out of the cyclic garbage collector's way (``gc.freeze``).

A serving process holds hundreds of thousands of objects made at start (modules, the
libraries', the config and the app), and they live as long as it does. Every full
collection walks them all again, a cost that grows with each library imported and is
paid by whichever request happens to trigger it. Frozen, they are skipped.

Frozen objects are never collected, so a config reload, which retires a whole snapshot
(router, upstream clients: cycles among them), thaws the heap once the old snapshot
closed, collects it, and freezes what is left. Only ``interlingua serve`` freezes
(:func:`freeze`); in a process that never did (tests, embedding), :func:`refreeze` does
nothing.
"""

from __future__ import annotations

import gc

__all__ = ["freeze", "refreeze"]

_frozen = False


def freeze() -> None:
    """Serving started: collect what start-up left, freeze the rest."""
    global _frozen
    gc.collect()
    gc.freeze()
    _frozen = True


def refreeze() -> None:
    """A retired config snapshot closed: make it collectable, collect, freeze again."""
    if not _frozen:
        return
    gc.unfreeze()
    gc.collect()
    gc.freeze()
