"""Reading a config: YAML text or file to a validated :class:`Config`, or a :class:`ConfigError`
listing every problem with its field and line."""

from __future__ import annotations

import logging
import os
import pathlib
from collections.abc import Mapping

from pydantic import ValidationError

from interlingua.server.config._base import LocatedValueError, Path
from interlingua.server.config._migrate import RENAMED, deprecation, dotted, renamed_in
from interlingua.server.config._secrets import scrub, secret_values
from interlingua.server.config._yaml import ConfigSyntaxError, Located, load_located
from interlingua.server.config.root import Config

__all__ = ["ConfigError", "load_config", "load_config_text"]

log = logging.getLogger("interlingua.config")


class ConfigError(ValueError):
    """The config is invalid; ``str()`` lists every problem with its field and line."""


def load_config_text(text: str, env: Mapping[str, str], *, source: str = "<config>") -> Config:
    """Parse and validate YAML config text, interpolating ``${VAR}`` from ``env``.

    Deprecated keys still load; each is logged (``interlingua.config``, warning) and listed,
    with its line, in :attr:`Config.deprecations`.
    """
    try:
        located = load_located(text, env)
    except ConfigSyntaxError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    if not isinstance(located.value, dict):
        raise ConfigError(f"{source}: the config must be a mapping (server, providers, models, ...)")
    for old, new in RENAMED:
        located.alias(old, new)  # an error under the new name points at the old key's line
    try:
        config = Config.model_validate(located.value, context={"env": env})
    except ValidationError as exc:
        raise ConfigError(scrub(_describe(exc, located, source), secret_values(located.value))) from None
    config._deprecations = tuple(
        f"{source}: {_where(located, old)}{deprecation(old, new)}" for old, new in renamed_in(located.value)
    )
    for message in config.deprecations:
        log.warning("%s", message)
    return config


def load_config(path: str | pathlib.Path, env: Mapping[str, str] | None = None) -> Config:
    try:
        text = pathlib.Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    config = load_config_text(text, os.environ if env is None else env, source=str(path))
    if config.store.data_dir is None:
        # The store's default home: a `data` folder beside the config file.
        data_dir = str(pathlib.Path(path).resolve().parent / "data")
        config = config.model_copy(update={"store": config.store.model_copy(update={"data_dir": data_dir})})
    return config


def _describe(exc: ValidationError, located: Located, source: str) -> str:
    problems = []
    renamed = renamed_in(located.value)
    for error in exc.errors(include_url=False, include_input=False):
        loc = tuple(error["loc"])
        message = error["msg"]
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, LocatedValueError):
            # The path is relative to the model whose validator raised it (Config: the root).
            loc, message = (*loc, *cause.path), str(cause)
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        loc = _as_written(loc, renamed)
        problems.append(f"{source}: {_where(located, loc)}{dotted(loc) or '<top level>'}: {message}")
    return "\n".join(problems)


def _as_written(loc: Path, renamed: list[tuple[Path, Path]]) -> Path:
    """``loc`` spelt as the document spells it (a renamed key by its old name)."""
    for old, new in renamed:
        if loc[: len(new)] == new:
            return (*old, *loc[len(new) :])
    return loc


def _where(located: Located, path: Path) -> str:
    line = located.line_of(path)
    return f"line {line}: " if line is not None else ""
