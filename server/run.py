"""Serving the app on Hypercorn: one process, or N worker processes sharing one socket.

Graceful shutdown: on SIGTERM or SIGINT the listening socket closes at once,
idle keep-alive connections close, and requests and streams in flight may
finish for ``server.shutdown_grace_ms``; whatever is still running then is
cancelled (closing its upstream connections), and the upstream clients close.

Workers: the parent binds the socket (and, with metrics on, makes the directory where the
workers' metrics meet: :mod:`interlingua.server.observability.prom`), starts N ``spawn`` processes that each run
their own event loop (uvloop where available) and app over it, and forwards
SIGTERM/SIGINT to them through a shared event, as Hypercorn's own runner does. The
parent also serves the workers' shared limit counters
(:mod:`interlingua.server.limits.shared`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from collections.abc import Awaitable, Callable
from functools import partial
from multiprocessing import get_context
from multiprocessing.connection import wait
from multiprocessing.synchronize import Event as EventType
from typing import Any

from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config as HypercornConfig
from hypercorn.config import Sockets
from hypercorn.utils import check_multiprocess_shutdown_event, wrap_app

from interlingua.server import h11_headers, heap, hypercorn_errors
from interlingua.server.config import Config
from interlingua.server.limits.shared import ENV_VAR as COUNTERS_ENV
from interlingua.server.limits.shared import CounterServer
from interlingua.server.observability.prom import cleanup_multiprocess, prepare_multiprocess, worker_died
from interlingua.server.state import StateHolder

__all__ = [
    "bound_socket",
    "configure_logging",
    "draining",
    "hypercorn_config",
    "loop_factory",
    "run_workers",
    "serve_app",
]


def configure_logging(config: Config) -> None:
    logging.basicConfig(
        level=config.server.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def hypercorn_config(config: Config) -> HypercornConfig:
    hypercorn_errors.install()  # Hypercorn's own 400/431 answers get a JSON body
    h11_headers.install()  # each header name and value validated once, not per answer (and stream)
    hc = HypercornConfig()
    hc.bind = [f"{config.server.host}:{config.server.port}"]
    hc.graceful_timeout = config.server.shutdown_grace_ms / 1000
    hc.workers = config.server.workers
    hc.include_server_header = False
    hc.accesslog = None
    # Hypercorn's own lines go through the root logging config (one format, no duplicates).
    hc.errorlog = logging.getLogger("hypercorn.error")
    hc.loglevel = config.server.log_level.upper()
    # Hypercorn closes a keep-alive connection after 1,000 requests by default; LLM
    # clients and load balancers keep long-lived pools, and the reconnect is wasted work.
    hc.keep_alive_max_requests = 1_000_000
    hc.keep_alive_timeout = config.server.keep_alive_timeout_s
    if config.server.tls is not None:
        # Hypercorn's context: TLS 1.2+, ECDHE+AESGCM, ALPN h2 and http/1.1.
        hc.certfile, hc.keyfile = config.server.tls.certfile, config.server.tls.keyfile
    return hc


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # uvloop is not available on Windows
        return None
    return uvloop.new_event_loop


async def serve_app(
    config: Config,
    hc: HypercornConfig,
    *,
    sockets: Sockets | None = None,
    shutdown_trigger: Callable[..., Awaitable[Any]] | None = None,
    config_path: str | None = None,
) -> None:
    """Serve in the current event loop until ``shutdown_trigger`` returns (default: SIGINT/SIGTERM).

    ``config_path``: reload the config from there on change and on SIGHUP."""
    from interlingua.server.app import create_app

    app = create_app(config, config_path=config_path)
    app.before_serving(_freeze_startup_objects)  # registered last: runs after the state started
    trigger = draining(app.extensions["interlingua"], shutdown_trigger or _signalled)
    await worker_serve(
        wrap_app(app, hc.wsgi_max_body_size, "asgi"), hc, sockets=sockets, shutdown_trigger=trigger
    )


def draining(holder: StateHolder, trigger: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
    """``trigger``, then the app told that the graceful shutdown began (``holder.draining``):
    Hypercorn waits for open responses before the app's ``after_serving``, so an endless
    response (the history tail) must learn of the shutdown sooner."""

    async def wait() -> None:
        await trigger()
        holder.draining.set()

    return wait


async def _signalled() -> None:
    """Until SIGINT or SIGTERM (Hypercorn's own trigger when it is given none)."""
    loop = asyncio.get_running_loop()
    event = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, event.set)
    await event.wait()


async def _freeze_startup_objects() -> None:
    heap.freeze()


def _worker(
    config: Config, hc: HypercornConfig, sockets: Sockets, shutdown_event: EventType, config_path: str | None
) -> None:
    # Spawned processes start with logging unconfigured: the parent's setup is not inherited.
    configure_logging(config)
    trigger = partial(check_multiprocess_shutdown_event, shutdown_event, asyncio.sleep)
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(serve_app(config, hc, sockets=sockets, shutdown_trigger=trigger, config_path=config_path))


def run_workers(config: Config, hc: HypercornConfig, config_path: str | None = None) -> int:
    """Run ``config.server.workers`` processes on one socket until SIGINT/SIGTERM; the worst exit code."""
    # Metrics: the workers write to one directory per run, made before they start.
    metrics_dir = prepare_multiprocess() if config.observability.metrics is not None else None
    sockets = hc.create_sockets()
    # Limit counters shared by the workers (exact limits without Redis): served by this
    # process, whose socket path the workers find in their environment.
    counters = CounterServer()
    counters.start()
    os.environ[COUNTERS_ENV] = counters.path
    try:
        return _supervise(config, hc, sockets, config_path)
    finally:
        counters.stop()
        if metrics_dir is not None:
            cleanup_multiprocess(metrics_dir)


def _supervise(config: Config, hc: HypercornConfig, sockets: Sockets, config_path: str | None) -> int:
    ctx = get_context("spawn")
    shutdown_event = ctx.Event()
    # Children inherit "ignore SIGINT": a terminal's Ctrl+C reaches the whole
    # process group, and only the parent should decide how to shut down.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A SIGHUP (reload) during a worker's start must not kill it: ignored until its
    # reloader installs a handler.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    processes = [
        ctx.Process(
            target=_worker,
            args=(config, hc, sockets, shutdown_event, config_path),
            name=f"interlingua-worker-{i}",
        )
        for i in range(config.server.workers)
    ]
    for process in processes:
        process.start()
    signal.signal(signal.SIGINT, previous)

    def stop(*_: Any) -> None:
        shutdown_event.set()

    def reload(*_: Any) -> None:
        # Every worker reloads (each also watches the file itself).
        for process in processes:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signal.SIGHUP)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    signal.signal(signal.SIGHUP, reload)
    # The first worker to exit (on shutdown, or by crashing) takes the others
    # down too: a half-sized gateway would hide the failure.
    wait([process.sentinel for process in processes])
    shutdown_event.set()
    code = 0
    for process in processes:
        process.join()
        code = code or (process.exitcode or 0)
        if process.pid is not None:
            worker_died(process.pid)
    for sock in (*sockets.secure_sockets, *sockets.insecure_sockets):
        sock.close()
    return code


def bound_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0: a free one), ready for Hypercorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    sock.set_inheritable(True)
    return sock
