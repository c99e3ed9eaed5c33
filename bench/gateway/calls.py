"""Python function calls per gateway request: a noise-free cost measure (CPU time on a
shared machine is not), counted by cProfile in the gateway process.

    python bench/gateway/calls.py                          # s1 and s1-stream, 3,000 requests each
    python bench/gateway/calls.py --baseline 8945d11 --scenarios s1,s2-stream

Per scenario and build, the gateway is started under cProfile twice: once serving
``--requests`` requests at concurrency 16, once serving none; the difference over the
requests is the calls per request (start-up and shutdown cancel out). The profiler is
started by a ``sitecustomize`` module put first on the gateway's ``PYTHONPATH`` and its
stats written at exit (the gateway is stopped by SIGTERM, which it handles).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pstats
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from builds import ALL_SECTIONS, config_sections, install_baseline  # noqa: E402
from fast_upstream import serve  # noqa: E402
from loadgen import run_load  # noqa: E402
from run import SCENARIOS, _config, _request, start_gateway, stop_gateway  # noqa: E402

_SITECUSTOMIZE = """\
import atexit, cProfile, os
_profile = cProfile.Profile()
_profile.enable()
atexit.register(lambda: (_profile.disable(), _profile.dump_stats(os.environ["INTERLINGUA_CALLS_OUT"])))
"""


def _profiled_env(base: dict[str, str] | None, out: Path) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    hook = Path(tempfile.mkdtemp(prefix="interlingua-calls-"))
    (hook / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(hook), env.get("PYTHONPATH", "")) if p)
    env["INTERLINGUA_CALLS_OUT"] = str(out)
    return env


async def _calls(config: str, env: dict[str, str] | None, scenario: str, requests: int) -> int:
    """Total calls of one gateway run that served ``requests`` requests of ``scenario``."""
    out = Path(tempfile.mkdtemp(prefix="interlingua-calls-")) / "stats"
    proc, port, _ = start_gateway(config, 1, [], _profiled_env(env, out))
    try:
        if requests:
            fmt, model = SCENARIOS[scenario.removesuffix("-stream")]
            req = _request(fmt, model, scenario.endswith("-stream"), port)
            res = await run_load("127.0.0.1", port, req, concurrency=16, duration=600, max_requests=requests)
            if res.requests != requests or res.errors or res.non_2xx:
                raise SystemExit(f"{scenario}: {res.requests} answers, {res.errors + res.non_2xx} errors: {res.sample[:300]!r}")
    finally:
        stop_gateway(proc)
    return int(pstats.Stats(str(out)).total_calls)  # type: ignore[attr-defined]


async def measure(args: argparse.Namespace) -> list[tuple[str, str, float]]:
    server = await serve()
    up_port = server.sockets[0].getsockname()[1]
    builds: dict[str, tuple[dict[str, str] | None, frozenset[str]]] = {"current": (None, ALL_SECTIONS)}
    if args.baseline:
        builds = {"baseline": (install_baseline(args.baseline), config_sections(args.baseline)), **builds}
    rows = []
    try:
        for scenario in args.scenarios:
            for build, (env, sections) in builds.items():
                config = _config(up_port, sections=sections)
                idle = await _calls(config, env, scenario, 0)
                busy = await _calls(config, env, scenario, args.requests)
                rows.append((build, scenario, (busy - idle) / args.requests))
    finally:
        server.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", default="s1,s1-stream")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--baseline", help="also count the gateway as of this git revision")
    args = parser.parse_args(argv)
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    print("| build | scenario | calls per request |\n|---|---|---:|")
    for build, scenario, calls in asyncio.run(measure(args)):
        print(f"| {build} | {scenario} | {calls:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
