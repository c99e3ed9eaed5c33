"""Hot reload: a new config is parsed, validated and swapped in without a restart.

Triggers: ``SIGHUP`` (``systemctl reload``; with ``--workers N`` the parent forwards it
to every worker) and changes to the config file (watched with ``watchfiles``; the
folder is watched, since editors and config managers replace files by renaming). A
valid new config becomes a new :class:`~interlingua.server.state.GatewayState`;
requests and streams in flight finish on the snapshot they started with. An invalid
one is refused: every error is logged with field and line, and the running config
stays. Changes to ``server.host``, ``port``, ``workers`` and ``tls`` (and to the
environment variables ``${VAR}`` refers to) need a restart; the log says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any

import watchfiles

from interlingua.server.config import Config, ConfigError, load_config_text
from interlingua.server.state import StateHolder, config_digest

__all__ = ["ConfigReloader"]

log = logging.getLogger("interlingua.server")
# watchfiles logs every batch of changes at INFO; our own reload lines say what matters.
logging.getLogger("watchfiles.main").setLevel(logging.WARNING)

# Settings the running listener was made with; a reload cannot change them.
_RESTART_ONLY = ("host", "port", "workers", "tls", "keep_alive_timeout_s", "body_timeout_ms")


class ConfigReloader:
    def __init__(self, holder: StateHolder, path: str | Path, env: Mapping[str, str] | None = None) -> None:
        self._holder = holder
        self._path = Path(path).resolve()
        self._env = os.environ if env is None else env
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task[object]] = set()
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._stop.clear()
        self._spawn(self._watch())
        # A change made between loading the config and watching it (a worker that was
        # still starting when the file changed, say) would otherwise be missed.
        self._spawn(self.reload("changed while starting"))
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGHUP, lambda: self._spawn(self.reload("SIGHUP")))

    async def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def reload(self, reason: str) -> bool:
        """Load the file and swap it in if it is valid and changed; whether a new config is in force."""
        async with self._lock:
            try:
                text = self._path.read_text(encoding="utf-8")
            except OSError as exc:
                log.error("config reload (%s) refused: cannot read %s: %s", reason, self._path, exc.strerror)
                return False
            digest = config_digest(text)
            current = self._holder.current
            if digest == current.config_hash:
                return False
            try:
                config = load_config_text(text, self._env, source=str(self._path))
            except ConfigError as exc:
                log.error(
                    "config reload (%s) refused; still serving config %s:\n%s", reason, current.config_hash, exc
                )
                return False
            _warn_restart_only(current.config, config)
            await self._holder.swap(self._holder.build(config, digest))
            log.info("config reloaded (%s): now serving config %s", reason, digest)
            return True

    async def _watch(self) -> None:
        name = self._path.name

        def ours(_: watchfiles.Change, changed: str) -> bool:
            # Only the config file: a log file written into the same folder must not
            # wake the watcher (each reload logs, which would be a change, ...).
            return Path(changed).name == name

        async for _ in watchfiles.awatch(
            self._path.parent, watch_filter=ours, stop_event=self._stop, debounce=100, step=50
        ):
            await self.reload("file changed")

    def _spawn(self, job: Coroutine[Any, Any, object]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _warn_restart_only(old: Config, new: Config) -> None:
    changed = [
        key
        for key in _RESTART_ONLY
        if getattr(old.server, key, None) != getattr(new.server, key, None)
    ]
    if changed:
        log.warning("config reload: server.%s changed; that takes effect on restart", ", server.".join(changed))
