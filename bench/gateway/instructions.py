"""Instructions per gateway request, counted by callgrind: an exact CPU measure (CPU time
on a shared 2-vCPU VM moves +-30 % between identical runs; calls.py counts Python calls
but none of the C work under them: orjson, h11's regexes, hashing, SQLite).

    python bench/gateway/instructions.py                          # s1 and s1-stream
    python bench/gateway/instructions.py --baseline 8945d11 --scenarios s1,s2,s5
    python bench/gateway/instructions.py --keys --variants metrics+log,tracing

Per scenario and build the gateway (one worker, ``PYTHONHASHSEED=0``) runs under
``valgrind --tool=callgrind --instr-atstart=no``: start-up and ``--warmup`` requests run
uninstrumented (fast, and none of them counted). After ``--settle`` seconds (the warm-up's
deferred work), ``callgrind_control -i on`` while the gateway is idle; ``--idle`` seconds
of idle gateway are counted and dumped, then ``--requests`` requests at ``--conc`` and the
settle time again (their deferred work), and a second dump. Per request: (that dump's
instructions (Ir) - the idle instructions per second x its seconds) / requests. The idle
rate (pollers: the key revision poll, flush timers) is subtracted because under valgrind a
request takes ~50x longer, so a per-second cost would weigh ~50x more per request than
natively; it is printed, a cost per second. The key revision poll runs at its slowest
(``store.revision_poll_ms: 1000``): at 250 ms it was 2/3 of the idle rate, delayed more the
busier the loop, and its subtraction was ~2 % off. The fake upstream and the load generator
run outside valgrind. Repeated cells agree within ~0.1-1.5 % (the idle rate's estimate).

Each cell prints instructions per request and its change over its reference: the baseline
build for ``current``; ``current`` for keys and variants (``baseline keys`` and ``baseline
VARIANT`` against ``baseline``); and for s5/s6 (two targets, retries, cooldowns) s1/s2 of the same build.
``--callgrind-out DIR`` keeps each cell's callgrind files for ``callgrind_annotate``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from builds import Build, add_build_options, issue_key, measured_builds, parse_build_options  # noqa: E402
from clients import SCENARIOS, client_request  # noqa: E402
from fast_upstream import serve  # noqa: E402
from loadgen import run_load  # noqa: E402
from run import _config, start_gateway, stop_gateway  # noqa: E402

__all__ = ["Cell", "main", "measure", "missing_tools"]

TOOLS = ("valgrind", "callgrind_control")
_TOTALS = re.compile(rb"^(?:totals|summary):\s+(\d+)", re.MULTILINE)


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


@dataclass(frozen=True)
class Cell:
    build: str
    scenario: str
    requests: int
    busy: int  # instructions from switching instrumentation on to the dump after the requests
    busy_s: float  # wall seconds of that interval
    idle_per_s: float  # instructions per second of the idle gateway

    @property
    def per_request(self) -> float:
        return (self.busy - self.idle_per_s * self.busy_s) / self.requests

    @property
    def raw_per_request(self) -> float:
        return self.busy / self.requests


class _Callgrind:
    """The gateway process under callgrind, driven through ``callgrind_control`` (vgdb: it
    reaches the process even while it waits in epoll, so the switch happens when it is idle)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.pid = 0
        self.dumps = 0

    def prefix(self) -> list[str]:
        return [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={self.out}/callgrind.out",
            f"--log-file={self.out}/valgrind.log",
        ]

    def control(self, *args: str) -> None:
        subprocess.run(
            ["callgrind_control", *args, str(self.pid)], check=True, capture_output=True, timeout=120
        )

    def dump(self, hint: str) -> int:
        """Total instructions since the last dump (or switch on); the counters start again at zero."""
        self.control(f"--dump={hint}")
        self.dumps += 1
        return int(_TOTALS.findall((self.out / f"callgrind.out.{self.dumps}").read_bytes())[-1])


async def _load(port: int, request: bytes, requests: int, conc: int, what: str) -> None:
    res = await run_load("127.0.0.1", port, request, concurrency=conc, duration=3600, max_requests=requests)
    if res.requests != requests or res.errors or res.non_2xx:
        bad = res.errors + res.non_2xx
        raise SystemExit(f"{what}: {res.requests} answers, {bad} errors: {res.sample[:300]!r}")


async def _cell(name: str, build: Build, scenario: str, up_port: int, args: argparse.Namespace) -> Cell:
    out = Path(tempfile.mkdtemp(prefix=f"{name.replace(' ', '-')}-{scenario}-", dir=args.callgrind_out))
    grind = _Callgrind(out)
    env = {**(os.environ if build.env is None else build.env), "PYTHONHASHSEED": "0"}
    config = _config(up_port, build.variant, sections=build.sections)
    if "store" in build.sections:  # the key revision poll at its slowest: a cost per second
        config += "store: {revision_poll_ms: 1000}\n"
    proc, port, cfg = start_gateway(config, 1, grind.prefix(), env, ready_s=300)
    grind.pid = proc.pid
    try:
        key = issue_key(cfg, build.env) if build.with_key else "sk-bench"
        fmt, model = SCENARIOS[scenario.removesuffix("-stream")]
        req = client_request(fmt, model, scenario.endswith("-stream"), port, key)
        busy, busy_s, idle_per_s = await _count(grind, port, req, args, f"{name} {scenario}")
        grind.control("--instr=off")  # shutdown runs at uninstrumented speed
    finally:
        stop_gateway(proc)
        if not args.callgrind_out:
            shutil.rmtree(out, ignore_errors=True)
    return Cell(name, scenario, args.requests, busy, busy_s, idle_per_s)


async def _count(
    grind: _Callgrind, port: int, req: bytes, args: argparse.Namespace, what: str
) -> tuple[int, float, float]:
    """Instructions and seconds of the loaded interval, and the idle gateway's instructions per
    second, measured before it. Work a request leaves for later (batched usage and access-log
    writes, span exports every 5 s) is let finish after the warm-up, so none of it is taken
    for idle, and after the counted requests, so all of theirs is counted."""
    await _load(port, req, args.warmup, args.conc, what)
    await asyncio.sleep(args.settle)
    grind.control("--instr=on")
    start = time.monotonic()
    await asyncio.sleep(args.idle)
    idle = grind.dump("idle")  # callgrind.out.1
    idle_end = time.monotonic()
    await _load(port, req, args.requests, args.conc, what)
    await asyncio.sleep(args.settle)
    busy = grind.dump("busy")  # callgrind.out.2: the one to annotate
    return busy, time.monotonic() - idle_end, idle / (idle_end - start)


async def measure(args: argparse.Namespace) -> list[Cell]:
    server = await serve()
    up_port = server.sockets[0].getsockname()[1]
    builds = measured_builds(args)  # a baseline is installed once
    cells = []
    try:
        for scenario in args.scenarios:
            for name, build in builds.items():
                cells.append(await _cell(name, build, scenario, up_port, args))
                print(_row(cells[-1], cells), file=sys.stderr, flush=True)
    finally:
        server.close()
    return cells


def _reference(cell: Cell, cells: list[Cell]) -> Cell | None:
    """The cell ``cell`` is compared with (see the module's docstring)."""
    by_key = {(c.build, c.scenario): c for c in cells}
    if cell.build == "current":
        return by_key.get(("baseline", cell.scenario))
    if cell.build == "baseline":
        return None
    return by_key.get(("baseline" if cell.build.startswith("baseline ") else "current", cell.scenario))


def _over(cell: Cell, ref: Cell | None, label: str) -> str:
    return f"{(cell.per_request / ref.per_request - 1) * 100:+.1f} % over {label}" if ref else ""


def _row(cell: Cell, cells: list[Cell]) -> str:
    by_key = {(c.build, c.scenario): c for c in cells}
    ref = _reference(cell, cells)
    # s5/s6: s1/s2 on a route with two targets, retries and cooldowns (issue 9's budget).
    unrouted = {"s5": "s1", "s6": "s2"}.get(cell.scenario[:2], "") + cell.scenario[2:]
    over_route = (
        _over(cell, by_key.get((cell.build, unrouted)), unrouted) if unrouted != cell.scenario[2:] else ""
    )
    return (
        f"| {cell.build} | {cell.scenario} | {cell.per_request:,.0f} | {_over(cell, ref, ref.build if ref else '')} "
        f"| {over_route} | {cell.raw_per_request:,.0f} | {cell.idle_per_s:,.0f} |"
    )


HEADER = (
    "| build | scenario | instructions per request | vs reference build | s5/s6 vs s1/s2 "
    "| raw (idle not subtracted) | idle instructions/s |\n|---|---|---:|---|---|---:|---:|"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_build_options(parser)
    parser.add_argument("--requests", type=int, default=300, help="counted requests per cell")
    parser.add_argument("--warmup", type=int, default=100, help="uncounted requests before them")
    parser.add_argument("--conc", type=int, default=1, help="connections (1: the most repeatable)")
    parser.add_argument("--idle", type=float, default=15.0, help="seconds of idle gateway measured first")
    parser.add_argument("--settle", type=float, default=6.0, help="seconds for deferred work after each load")
    parser.add_argument("--callgrind-out", help="keep the callgrind files under this folder")
    args = parse_build_options(parser, argv)
    if missing := missing_tools():
        parser.error(f"needs {' and '.join(missing)} (Debian package valgrind)")
    if args.callgrind_out:
        Path(args.callgrind_out).mkdir(parents=True, exist_ok=True)
    cells = asyncio.run(measure(args))
    print(HEADER)
    for cell in cells:
        print(_row(cell, cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
