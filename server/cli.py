"""``interlingua serve``, ``check-config`` and ``install``, called from :mod:`interlingua.cli`."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from interlingua.server.config import Config, ConfigError, default_config, load_config
from interlingua.server.routing import Router

__all__ = ["check_config", "install_systemd", "serve"]


def _load(path: str | None) -> Config:
    return default_config() if path is None else load_config(path)


def check_config(path: str) -> int:
    """Validate ``path`` and print what each model name routes to; 0 if valid, 1 otherwise."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    for message in config.deprecations:
        print(f"warning: {message}", file=sys.stderr)
    print(f"{path}: OK ({len(config.providers)} providers, {len(config.models)} model routes)")
    print(routing_table(config))
    return 0


def routing_table(config: Config) -> str:
    rows = [("MODEL (first match wins)", "PROVIDER", "UPSTREAM MODEL")]
    rows += Router(config).table()
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in rows]
    access = config.model_access
    if access.allow:
        lines.append(f"allowed models: {', '.join(access.allow)}")
    if access.block:
        lines.append(f"blocked models: {', '.join(access.block)}")
    if not config.models:
        lines.append("(no model routes: every model name gets 404)")
    return "\n".join(lines)


def serve(*, config: str | None, host: str | None, port: int | None, workers: int | None, demo: bool) -> int:
    """Run the gateway until SIGINT/SIGTERM; the exit code."""
    try:
        cfg = _load(config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    overrides = {k: v for k, v in (("host", host), ("port", port), ("workers", workers)) if v is not None}
    if overrides:
        cfg = cfg.model_copy(update={"server": cfg.server.model_copy(update=overrides)})
    from interlingua.server.run import configure_logging

    configure_logging(cfg)
    if demo:
        from interlingua.server.demo_mode import serve_demo

        return serve_demo(cfg)
    from interlingua.server.run import hypercorn_config, loop_factory, run_workers, serve_app

    hc = hypercorn_config(cfg)
    if cfg.server.workers > 1:
        return run_workers(cfg, hc, config)
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(serve_app(cfg, hc, config_path=config))
    return 0


def install_systemd(root: str) -> int:
    """``interlingua install --systemd``: the config and unit files, then what to run next."""
    from interlingua.server import install

    try:
        for line in install.install_systemd(Path(root)):
            print(line)
    except OSError as exc:
        print(f"interlingua install: {exc}", file=sys.stderr)
        return 1
    if Path(root).resolve() == Path("/"):
        print("next: systemctl daemon-reload && systemctl enable --now interlingua")
    return 0
