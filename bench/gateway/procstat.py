"""What the benchmark reads from /proc: CPU seconds and RSS of a process tree (the gateway
and its workers), and per-CPU busy time (to see whether the load generator was the limit)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["busy_percent", "cpu_busy", "cpu_seconds", "rss_mb"]


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                todo += [int(c) for c in Path(f"/proc/{p}/task/{task}/children").read_text().split()]
        except OSError:
            pass
    return pids


def cpu_seconds(pid: int) -> float:
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    kb = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    kb += int(line.split()[1])
        except OSError:
            continue
    return kb / 1024


def cpu_busy() -> list[tuple[int, int]]:
    """(busy, total) jiffies per CPU, from /proc/stat."""
    out = []
    for line in Path("/proc/stat").read_text().splitlines()[1:]:
        if not line.startswith("cpu"):
            break
        v = [int(x) for x in line.split()[1:]]
        idle = v[3] + v[4]
        out.append((sum(v) - idle, sum(v)))
    return out


def busy_percent(before: list[tuple[int, int]], after: list[tuple[int, int]]) -> list[int]:
    return [round(100 * (a[0] - b[0]) / max(1, a[1] - b[1])) for b, a in zip(before, after, strict=True)]
