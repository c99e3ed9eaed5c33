"""The server secret: the HMAC key under which issued keys are stored.

Order: ``store.secret`` in config, ``INTERLINGUA_SECRET`` in the environment, else the file
``<data_dir>/secret`` (32 random bytes, hex), made on first start with mode 0600. Workers
starting together agree on one file: it is written under a temporary name and linked into
place, so exactly one writer wins and the others read the winner's value.

Several instances on one PostgreSQL store must share the secret (config or environment):
a key issued on one instance is checked on all of them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

__all__ = ["SecretUnavailable", "load_secret"]

ENV_VAR = "INTERLINGUA_SECRET"


class SecretUnavailable(RuntimeError):
    """No secret configured and no data directory to keep a generated one in."""


def load_secret(configured: str | None, data_dir: Path | None, env: Mapping[str, str]) -> bytes:
    value = configured or env.get(ENV_VAR)
    if value:
        if len(value) < 16:
            raise SecretUnavailable("the server secret must be at least 16 characters")
        return value.encode()
    if data_dir is None:
        raise SecretUnavailable(
            f"no server secret: set store.secret or {ENV_VAR} (or store.data_dir to keep a generated one)"
        )
    return _file_secret(data_dir / "secret")


def _file_secret(path: Path) -> bytes:
    if path.exists():
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".secret.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # atomic: fails if another process got there first
    finally:
        tmp.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> bytes:
    value = path.read_text(encoding="ascii").strip()
    if len(value) < 16:
        raise SecretUnavailable(f"{path}: the server secret is too short (delete it to make a new one)")
    return value.encode()
