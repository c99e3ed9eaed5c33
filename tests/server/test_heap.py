"""``interlingua serve`` freezes its start-up heap; a reload's retired snapshot is still collected."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import gc, weakref
from interlingua.server import heap

class Snapshot:  # stands for a retired config snapshot: objects in a reference cycle
    pass

old = Snapshot(); old.me = old
alive = weakref.ref(old)
heap.refreeze()  # never frozen: nothing happens
assert gc.get_freeze_count() == 0
heap.freeze()
assert gc.get_freeze_count() > 0
del old
gc.collect()
assert alive() is not None  # frozen: the collector does not see it
heap.refreeze()
assert alive() is None  # thawed, collected
assert gc.get_freeze_count() > 0  # and the rest frozen again
print("ok")
"""


def test_heap_freeze_and_refreeze_collects_what_a_reload_retired() -> None:
    # A child process: freezing the test process would keep its garbage for good.
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
