"""Python function calls per gateway request: a noise-free cost measure (CPU time on a
shared machine is not), counted by cProfile in the gateway process.

    python bench/gateway/calls.py                          # s1 and s1-stream, 3,000 requests each
    python bench/gateway/calls.py --baseline 8945d11 --scenarios s1,s2-stream
    python bench/gateway/calls.py --keys --variants metrics+log,tracing   # features on vs off

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

from builds import Build, add_build_options, issue_key, measured_builds, parse_build_options  # noqa: E402
from clients import SCENARIOS, client_request  # noqa: E402
from fast_upstream import serve  # noqa: E402
from loadgen import run_load  # noqa: E402
from run import _config, start_gateway, stop_gateway  # noqa: E402

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


async def _calls(
    config: str, env: dict[str, str] | None, scenario: str, requests: int, *, with_key: bool = False
) -> int:
    """Total calls of one gateway run that served ``requests`` requests of ``scenario``
    (``with_key``: through an issued key with request and token limits, as run.py --keys)."""
    out = Path(tempfile.mkdtemp(prefix="interlingua-calls-")) / "stats"
    proc, port, cfg = start_gateway(config, 1, [], _profiled_env(env, out))
    try:
        key = issue_key(cfg, env) if with_key else "sk-bench"
        if requests:
            fmt, model = SCENARIOS[scenario.removesuffix("-stream")]
            req = client_request(fmt, model, scenario.endswith("-stream"), port, key)
            res = await run_load("127.0.0.1", port, req, concurrency=16, duration=600, max_requests=requests)
            if res.requests != requests or res.errors or res.non_2xx:
                raise SystemExit(f"{scenario}: {res.requests} answers, {res.errors + res.non_2xx} errors: {res.sample[:300]!r}")
    finally:
        stop_gateway(proc)
    return int(pstats.Stats(str(out)).total_calls)  # type: ignore[attr-defined]


async def measure(args: argparse.Namespace) -> list[tuple[str, str, float]]:
    server = await serve()
    up_port = server.sockets[0].getsockname()[1]
    rows = []
    builds: dict[str, Build] = measured_builds(args)  # a baseline is installed once
    try:
        for scenario in args.scenarios:
            for name, build in builds.items():
                config = _config(up_port, build.variant, sections=build.sections)
                idle = await _calls(config, build.env, scenario, 0, with_key=build.with_key)
                busy = await _calls(config, build.env, scenario, args.requests, with_key=build.with_key)
                rows.append((name, scenario, (busy - idle) / args.requests))
    finally:
        server.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_build_options(parser)
    parser.add_argument("--requests", type=int, default=3000)
    args = parse_build_options(parser, argv)
    print("| build | scenario | calls per request |\n|---|---|---:|")
    for build, scenario, calls in asyncio.run(measure(args)):
        print(f"| {build} | {scenario} | {calls:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
