"""Real PostgreSQL and Redis servers for tests: Debian's binaries, free loopback ports,
temporary directories, stopped by PID. Missing binaries skip the test with a reason.

PostgreSQL refuses to run as root: as root, the data directory belongs to the
``postgres`` system user (or ``nobody``) and the server runs as that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from server_helpers import free_port

__all__ = ["free_port", "fresh_database", "postgres_server", "redis_cluster", "redis_server"]


def _pg_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    for user in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(user)
            return user
    pytest.skip("running as root and no postgres/nobody user to run PostgreSQL as")


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not listen on {port}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A fresh PostgreSQL; yields ``postgresql+asyncpg://postgres@127.0.0.1:<port>/postgres``."""
    initdb, postgres = _pg_binary("initdb"), _pg_binary("postgres")
    if initdb is None or postgres is None:
        pytest.skip("PostgreSQL not installed (initdb/postgres binary missing; apt-get install postgresql)")
    user = _run_as()
    tmp = Path(tempfile.mkdtemp(prefix="il-pg-"))
    data = tmp / "data"
    data.mkdir()
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (tmp, data):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    kwargs = {"user": user} if user is not None else {}
    try:
        subprocess.run(
            [initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
            check=True, capture_output=True, **kwargs,  # type: ignore[call-overload]
        )
        port = free_port()
        proc = subprocess.Popen(
            [postgres, "-D", str(data), "-p", str(port), "-k", str(tmp), "-c", "listen_addresses=127.0.0.1",
             "-c", "fsync=off", "-c", "max_connections=200"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs,
        )
        try:
            _wait_port(port, proc, "postgres")
            time.sleep(0.2)  # listening precedes accepting logins by a moment
            yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
        finally:
            _stop(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A fresh Redis (no persistence); yields ``redis://127.0.0.1:<port>/0``."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("Redis not installed (redis-server binary missing; apt-get install redis-server)")
    tmp = tempfile.mkdtemp(prefix="il-redis-")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port, proc, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def redis_cluster(nodes: int = 3) -> Iterator[str]:
    """A fresh Redis Cluster of ``nodes`` primaries (no replicas, no persistence), formed by
    ``redis-cli --cluster create``; yields ``redis://127.0.0.1:<port of the first node>/0``."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if server is None or cli is None:
        pytest.skip("Redis not installed (redis-server/redis-cli missing; apt-get install redis-server)")
    tmp = Path(tempfile.mkdtemp(prefix="il-redis-cluster-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        ports = [_cluster_port() for _ in range(nodes)]
        for port in ports:
            node = tmp / str(port)
            node.mkdir()
            procs.append(subprocess.Popen(
                [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(node), "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))
        for port, proc in zip(ports, procs, strict=True):
            _wait_port(port, proc, "redis-server")
        subprocess.run(
            [cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports), "--cluster-replicas", "0", "--cluster-yes"],
            check=True, capture_output=True, timeout=60,
        )
        _wait_cluster_ok(cli, ports)
        yield f"redis://127.0.0.1:{ports[0]}/0"
    finally:
        for proc in procs:
            _stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def _cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free too: an ephemeral port above
    55535 would put the bus beyond 65535, and redis-server would refuse to start."""
    for _ in range(200):
        port = random.randrange(20000, 40000)
        try:
            for candidate in (port, port + 10000):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a Redis Cluster node")


def _wait_cluster_ok(cli: str, ports: list[int]) -> None:
    """Until every node agrees that all slots are served (gossip takes a moment)."""
    deadline = time.monotonic() + 30
    for port in ports:
        while True:
            info = subprocess.run([cli, "-p", str(port), "cluster", "info"], capture_output=True, text=True).stdout
            if "cluster_state:ok" in info:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"redis cluster node {port} never reached cluster_state:ok: {info}")
            time.sleep(0.1)


async def fresh_database(postgres_url: str, name: str) -> str:
    """A new empty database ``name`` on the server of ``postgres_url``; its URL."""
    conn = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"
