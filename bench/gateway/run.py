"""Gateway benchmark: Interlingua in front of a fast canned upstream, on loopback.

Measures, per scenario and concurrency (1, 16, 64): requests/s, latency p50/p99,
latency added over calling the upstream directly (p50 at the same concurrency),
time to first byte for streams, the gateway's CPU time per request (utime+stime
of its process tree from /proc, over the requests completed) and its RSS after
load. Every load is bounded (``--duration`` per cell and ``--max-requests``),
everything listens on 127.0.0.1, and the gateway is stopped by its PID.

    python bench/gateway/run.py                       # ~2 minutes
    python bench/gateway/run.py --duration 1 --conc 1,16 --scenarios s1,s2
    python bench/gateway/run.py --baseline main~3     # before and after, in one run
    python bench/gateway/run.py --variants metrics+log,tracing   # observability off vs on

``--baseline REV``: the gateway as of git revision REV is installed into a temporary
folder and measured side by side with the working tree's, cell by cell (same machine,
same minute, the two alternating), so a change's cost is read from one run.

Scenarios (client -> gateway -> upstream):
  s1  OpenAI chat      -> OpenAI upstream      (passthrough)
  s2  Anthropic        -> OpenAI upstream      (translated)
  s3  OpenAI chat      -> Anthropic upstream   (translated)
  s4  Anthropic        -> Anthropic upstream   (passthrough)
  s5  s1, s6  s2, on a route with two targets (weighted), retries and cooldowns
      (a baseline without routing serves their model as a one-target route)
  s7  Gemini           -> OpenAI upstream      (translated; the model in the URL)
each also streamed (``-stream``). With two or more CPUs the gateway is pinned to
the last one and the load generator plus upstream to CPU 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from builds import ALL_SECTIONS, config_sections, install_baseline, issue_key  # noqa: E402
from clients import SCENARIOS, check_answer, client_request  # noqa: E402
from fast_upstream import serve  # noqa: E402
from loadgen import Result, pct, run_load  # noqa: E402
from procstat import busy_percent, cpu_busy, cpu_seconds, rss_mb  # noqa: E402
from variants import VARIANTS, build_cost  # noqa: E402

UPSTREAM_OF = {"mock-openai": "openai", "mock-anthropic": "anthropic", "mock-openai-ha": "openai"}
# Issue 3's targets; LiteLLM's ~45 req/s on this machine (shared harness) x 20.
TARGETS = {"rps_c16": 900.0, "added_p50_c1_ms": 1.5, "cpu_ms_nonstream": 1.0, "rss_mb": 120.0}


def _config(upstream_port: int, variant: str | None = None, *, sections: frozenset[str] = ALL_SECTIONS) -> str:
    """``sections``: the optional config sections the build knows (a baseline revision may
    predate observability or routing). The plain gateway leaves even the server-timing
    header off: it is part of what is measured. Without routing, s5/s6's model is a plain
    one-target route, so a baseline answers them as s1/s2 (the routing budget's before)."""
    extra = ""
    if variant:
        extra = VARIANTS[variant].format(port=upstream_port, dir=tempfile.mkdtemp(prefix="interlingua-bench-"))
    elif "observability" in sections:
        extra = "observability: {server_timing: false}"
    text = (
        extra
        + f"""
server: {{host: 127.0.0.1, log_level: warning, max_inflight: 4096}}
providers:
  - {{name: openai, format: openai_chat, base_url: "http://127.0.0.1:{upstream_port}/v1", api_key: sk-up}}
  - {{name: anthropic, format: anthropic_messages, base_url: "http://127.0.0.1:{upstream_port}", api_key: sk-up}}
models:
  - {{name: mock-openai, provider: openai}}
  - {{name: mock-anthropic, provider: anthropic}}
"""
    )
    if "routing" not in sections:
        return text + "  - {name: mock-openai-ha, provider: openai}\n"
    return text.replace("\nmodels:", f"""
  - {{name: openai-b, format: openai_chat, base_url: "http://127.0.0.1:{upstream_port}/v1", api_keys: [sk-1, sk-2]}}
models:""") + """  - name: mock-openai-ha
    targets: [{provider: openai, upstream_model: mock-openai}, {provider: openai-b, upstream_model: mock-openai}]
routing:
  retries: {attempts: 3, backoff_ms: 250, max_backoff_ms: 8000}
  cooldown: {failures: 3, window_s: 30, cooldown_s: 30}
  timeouts: {first_byte_ms: 30000}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pinning() -> tuple[list[str], set[int] | None]:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or shutil.which("taskset") is None:
        return [], None
    return ["taskset", "-c", str(cpus[-1])], {cpus[0]}


def start_gateway(
    config_text: str, workers: int, pin: list[str], env: dict[str, str] | None = None, *, ready_s: float = 30
) -> tuple[subprocess.Popen[bytes], int, Path]:
    port = _free_port()
    cfg = Path(tempfile.mkdtemp(prefix="interlingua-bench-")) / "config.yaml"
    cfg.write_text(config_text)
    cmd = [*pin, sys.executable, "-m", "interlingua", "serve", "--config", str(cfg), "--port", str(port)]
    cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + ready_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gateway exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc, port, cfg
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"gateway did not become ready in {ready_s:.0f} s")


def stop_gateway(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def _cell(port: int, request: bytes, conc: int, args: argparse.Namespace) -> Result:
    return await run_load(
        "127.0.0.1", port, request, concurrency=conc, duration=args.duration, max_requests=args.max_requests
    )


def _row(name: str, conc: int, res: Result, cpu: float | None, floor: float | None) -> dict[str, Any]:
    p50 = pct(res.latencies, 50) * 1000
    row: dict[str, Any] = {
        "scenario": name,
        "conc": conc,
        "requests": res.requests,
        "rps": round(res.rps(), 1),
        "p50_ms": round(p50, 3),
        "p99_ms": round(pct(res.latencies, 99) * 1000, 3),
        "errors": res.errors + res.non_2xx,
    }
    if res.ttfbs and name.endswith("stream"):
        row["ttfb_p50_ms"] = round(pct(res.ttfbs, 50) * 1000, 3)
        row["ttfb_p99_ms"] = round(pct(res.ttfbs, 99) * 1000, 3)
    if cpu is not None and res.requests:
        row["cpu_ms_per_req"] = round(cpu * 1000 / res.requests, 3)
    if floor is not None:
        row["added_p50_ms"] = round(p50 - floor, 3)
    return row


def _start_builds(
    args: argparse.Namespace, up_port: int, pin: list[str]
) -> dict[str, tuple[subprocess.Popen[bytes], int, str]]:
    """The gateways measured side by side: the working tree's, a baseline, keys, variants."""
    envs: dict[str, dict[str, str] | None] = {"current": None}
    sections = {"current": ALL_SECTIONS}
    if args.baseline:
        envs = {"baseline": install_baseline(args.baseline), **envs}
        sections["baseline"] = config_sections(args.baseline)
    gateways = {
        build: (*start_gateway(_config(up_port, sections=sections[build]), args.workers, pin, env)[:2], "sk-bench")
        for build, env in envs.items()
    }
    if args.keys:  # the same build with an issued key and limits, cell by cell beside it
        proc, port, cfg = start_gateway(_config(up_port), args.workers, pin)
        gateways["keys"] = (proc, port, issue_key(cfg, None))
    builds = [b for b in envs if "observability" in sections[b]]  # a baseline may predate it
    for variant, build in ((v, b) for v in args.variants for b in builds):  # --baseline: before, after
        config = _config(up_port, variant, sections=sections[build])
        name = variant if build == "current" else f"{build} {variant}"
        gateways[name] = (*start_gateway(config, args.workers, pin, envs[build])[:2], "sk-bench")
    return gateways


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    pin, own_cpus = _pinning()
    if own_cpus:
        os.sched_setaffinity(0, own_cpus)
    server = await serve()
    up_port = server.sockets[0].getsockname()[1]
    gateways = _start_builds(args, up_port, pin)
    rows: list[dict[str, Any]] = []
    floors: dict[tuple[str, bool, int], float] = {}
    try:
        for upstream in ("openai", "anthropic"):
            for stream in (False, True):
                model = f"mock-{upstream}"
                req = client_request(upstream, model, stream, up_port)
                for conc in args.conc:
                    res = await _cell(up_port, req, conc, args)
                    floors[(upstream, stream, conc)] = pct(res.latencies, 50) * 1000
                    rows.append(
                        _row(f"direct-{upstream}{'-stream' if stream else ''}", conc, res, None, None)
                    )
        for name in args.scenarios:
            base, stream = name.removesuffix("-stream"), name.endswith("-stream")
            fmt, model = SCENARIOS[base]
            for _, gw_port, key in gateways.values():
                req = client_request(fmt, model, stream, gw_port, key)
                await _checked_warmup(name, fmt, stream, gw_port, req, args)
            for conc in args.conc:
                # The builds alternate cell by cell, so machine noise hits both alike.
                for build, (proc, gw_port, key) in gateways.items():
                    req = client_request(fmt, model, stream, gw_port, key)
                    before, busy = cpu_seconds(proc.pid), cpu_busy()
                    res = await _cell(gw_port, req, conc, args)
                    cpu = cpu_seconds(proc.pid) - before
                    floor = floors[(UPSTREAM_OF[model], stream, conc)]
                    rows.append({"build": build, **_row(name, conc, res, cpu, floor)})
                    rows[-1]["cpu_busy_pct"] = busy_percent(busy, cpu_busy())
                    print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        rss = {build: round(rss_mb(proc.pid), 1) for build, (proc, _, _) in gateways.items()}
    finally:
        for proc, _, _ in gateways.values():
            stop_gateway(proc)
        server.close()
    return {
        "rows": rows,
        "rss_after_load_mb": rss["current"],
        "rss_mb": rss,
        "workers": args.workers,
        "pinned": bool(pin),
    }


async def _checked_warmup(
    name: str, fmt: str, stream: bool, port: int, req: bytes, args: argparse.Namespace
) -> None:
    check = await _cell(port, req, 1, argparse.Namespace(duration=5, max_requests=1))
    problem = check_answer(fmt, stream, check.sample) if check.requests else f"no answer: {check.sample[:300]!r}"
    if problem:
        raise SystemExit(f"{name}: {problem}")
    await run_load("127.0.0.1", port, req, concurrency=16, duration=args.warmup, max_requests=10**6)


def table(result: dict[str, Any]) -> str:
    cols = [
        "build",
        "scenario",
        "conc",
        "rps",
        "p50_ms",
        "p99_ms",
        "added_p50_ms",
        "ttfb_p50_ms",
        "cpu_ms_per_req",
        "cpu_busy_pct",
        "errors",
    ]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in result["rows"]:
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in cols) + " |")
    lines.append(f"\nRSS after load (MB): {result['rss_mb']} (workers: {result['workers']})")
    return "\n".join(lines)


def verdict(result: dict[str, Any]) -> list[str]:
    rows = [r for r in result["rows"] if r.get("build") == "current"]
    out = []
    for r in rows:
        if r["conc"] == 16 and r["rps"] < TARGETS["rps_c16"]:
            out.append(f"MISS {r['scenario']} c=16: {r['rps']} req/s < {TARGETS['rps_c16']}")
        if r["conc"] == 1 and r.get("added_p50_ms", 0) > TARGETS["added_p50_c1_ms"]:
            out.append(
                f"MISS {r['scenario']} c=1: added p50 {r['added_p50_ms']} ms > {TARGETS['added_p50_c1_ms']}"
            )
        if not r["scenario"].endswith("stream") and r.get("cpu_ms_per_req", 0) > TARGETS["cpu_ms_nonstream"]:
            out.append(f"MISS {r['scenario']} c={r['conc']}: {r['cpu_ms_per_req']} CPU ms/req > 1")
    if result["rss_after_load_mb"] > TARGETS["rss_mb"]:
        out.append(f"MISS RSS {result['rss_after_load_mb']} MB > {TARGETS['rss_mb']}")
    return out or ["all targets met"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    all_scenarios = [s + x for s in SCENARIOS for x in ("", "-stream")]
    parser.add_argument("--scenarios", default=",".join(all_scenarios))
    parser.add_argument("--conc", default="1,16,64")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per cell")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds at c=16 before each scenario")
    parser.add_argument("--max-requests", type=int, default=100_000, help="per cell")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--keys", action="store_true", help="also measure an issued key with request and token limits")
    parser.add_argument("--out", help="write the results JSON here")
    parser.add_argument("--baseline", help="also measure the gateway as of this git revision, side by side")
    parser.add_argument(
        "--variants",
        default="",
        help=f"also the current gateway with observability on: {', '.join(VARIANTS)}",
    )
    args = parser.parse_args(argv)
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    args.conc = [int(c) for c in args.conc.split(",")]
    args.variants = [v for v in args.variants.split(",") if v]
    if any(v not in VARIANTS for v in args.variants):
        parser.error(f"unknown variants: {args.variants} (known: {', '.join(VARIANTS)})")
    unknown = [s for s in args.scenarios if s.removesuffix("-stream") not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios: {unknown}")
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        runner = asyncio.Runner()
    with runner:
        result = runner.run(measure(args))
    result["meta"] = {"argv": sys.argv, "date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count()}
    print(table(result) + build_cost(result))
    for line in verdict(result):
        print(line)
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
