"""A minimal closed-loop HTTP/1.1 load generator (asyncio, keep-alive), for the benchmark.

``c`` connections each send the same request back to back for ``duration``
seconds (or until ``max_requests``), reading every response to its end
(Content-Length or chunked). Records per-request latency and, for streams,
time to the first body byte. Python cannot out-run wrk, but on uvloop one core
drives several thousand requests/s, well above what the gateway serves.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds
    ttfbs: list[float] = field(default_factory=list)
    errors: int = 0
    non_2xx: int = 0
    reconnects: int = 0
    elapsed: float = 0.0
    sample: bytes = b""

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def rps(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def build_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"host: {host}:{port}",
        "content-type: application/json",
        f"content-length: {len(body)}",
    ]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, float | None, bytes]:
    """(status, time of the first body byte, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    first: float | None = None
    if b"transfer-encoding: chunked" in lower:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n"))[:-2], 16)
            if first is None:
                first = time.perf_counter()
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append((await reader.readexactly(size + 2))[:-2])
        return status, first, b"".join(parts)
    at = lower.find(b"content-length:")
    length = int(lower[at + 15 : lower.find(b"\r\n", at)]) if at >= 0 else 0
    body = await reader.readexactly(length)
    return status, time.perf_counter(), body


async def _worker(
    host: str, port: int, request: bytes, deadline: float, budget: list[int], out: Result
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            start = time.perf_counter()
            writer.write(request)
            try:
                status, first, body = await _read_response(reader)
            except asyncio.IncompleteReadError as exc:
                if exc.partial:
                    out.errors += 1
                    return
                # The server closed an idle keep-alive connection (Hypercorn does
                # after keep_alive_max_requests): reconnect and retry, as wrk does.
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                out.reconnects += 1
                budget[0] += 1
                continue
            except (ConnectionError, ValueError):
                out.errors += 1
                return
            end = time.perf_counter()
            if not 200 <= status < 300:
                out.non_2xx += 1
                out.sample = body[:500]
                continue
            out.latencies.append(end - start)
            if first is not None:
                out.ttfbs.append(first - start)
            if not out.sample:
                out.sample = body
    finally:
        writer.close()


async def run_load(
    host: str, port: int, request: bytes, *, concurrency: int, duration: float, max_requests: int
) -> Result:
    out = Result()
    budget = [max_requests]
    start = time.perf_counter()
    deadline = start + duration
    await asyncio.wait_for(
        asyncio.gather(*(_worker(host, port, request, deadline, budget, out) for _ in range(concurrency))),
        timeout=duration + 30,
    )
    out.elapsed = time.perf_counter() - start
    return out
