"""YAML to plain values, keeping the line of every value and expanding ``${VAR}``.

PyYAML's ``safe_load`` forgets where each value came from, so config errors
could only name a field. Here the document is composed into nodes first; each
value is built from its node and its location (a tuple path such as
``("providers", 0, "base_url")``) is recorded with its 1-based line, so
:mod:`interlingua.server.config` can say "line 7: providers[0].base_url".

Interpolation happens on string scalars *after* parsing, so a secret containing
``:`` or ``#`` can never change the document's structure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from interlingua.server.config._base import Path

__all__ = ["ConfigSyntaxError", "Located", "load_located"]

# ${NAME} or ${NAME:-default}; $${ escapes a literal "${".
_VAR = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigSyntaxError(ValueError):
    """The text is not valid YAML, or interpolation failed; the message names the line."""


class Located:
    """The parsed value and a map from value path to its 1-based line."""

    __slots__ = ("lines", "value")

    def __init__(self, value: Any, lines: dict[Path, int]) -> None:
        self.value = value
        self.lines = lines

    def line_of(self, path: Path) -> int | None:
        """The line of ``path`` or, failing that, of its nearest located parent."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]

    def alias(self, old: Path, new: Path) -> None:
        """Values under ``old`` are also found under ``new`` (a renamed key keeps its lines)."""
        for path, line in list(self.lines.items()):
            if path[: len(old)] == old:
                self.lines.setdefault((*new, *path[len(old) :]), line)


def load_located(text: str, env: Mapping[str, str]) -> Located:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ConfigSyntaxError(_syntax_message(exc)) from None
    lines: dict[Path, int] = {}
    if node is None:
        return Located({}, lines)
    builder = _Builder(env, lines)
    return Located(builder.build(node, ()), lines)


def _syntax_message(exc: yaml.YAMLError) -> str:
    """Where and what, never the text: PyYAML's own message quotes the offending line, which
    may hold a key. Its ``problem`` and ``context`` phrases name token kinds and single
    characters, but also tags and alias names, which are a value's text when a key starts
    with ``!``, ``&`` or ``*``: quoted words are masked."""
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return "invalid YAML"
    mark = exc.problem_mark
    message = f"line {mark.line + 1}, column {mark.column + 1}: invalid YAML: {_masked(exc.problem)}"
    if exc.context and exc.context_mark is not None:
        message += f" ({_masked(exc.context)} at line {exc.context_mark.line + 1})"
    return message


# A quoted word in PyYAML's phrases: kept when it is a character ('\t') or a token kind ('<scalar>').
_QUOTED = re.compile(r"'([^']*)'")


def _masked(phrase: str | None) -> str:
    def mask(match: re.Match[str]) -> str:
        word = match.group(1)
        return match.group(0) if len(word) <= 2 or (word[:1], word[-1:]) == ("<", ">") else "'...'"

    return _QUOTED.sub(mask, phrase or "")


class _Builder:
    def __init__(self, env: Mapping[str, str], lines: dict[Path, int]) -> None:
        self._env = env
        self._lines = lines
        self._constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path) -> Any:
        self._lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        value = self._scalar(node)
        if isinstance(value, str) and "$" in value:
            return self._interpolate(value, node.start_mark.line + 1)
        return value

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigSyntaxError(f"line {line}: mapping keys must be plain scalars")
            key = self._scalar(key_node)
            if isinstance(key, str) and "$" in key:
                key = self._interpolate(key, line)
            if key in result:
                raise ConfigSyntaxError(f"line {line}: duplicate key {key!r}")
            result[key] = self.build(value_node, (*path, key))
            # The key's own line is where a reader looks for an unknown or misspelt field.
            self._lines[(*path, key)] = line
        return result

    def _scalar(self, node: yaml.Node) -> Any:
        try:
            return self._constructor.construct_object(node)  # type: ignore[no-untyped-call]
        except yaml.YAMLError as exc:  # an unknown tag
            raise ConfigSyntaxError(_syntax_message(exc)) from None
        except (ValueError, TypeError, AttributeError):  # e.g. an impossible date, !!timestamp abc
            mark = node.start_mark
            raise ConfigSyntaxError(
                f"line {mark.line + 1}, column {mark.column + 1}: invalid YAML value (quote it to make it a string)"
            ) from None

    def _interpolate(self, text: str, line: int) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$${":
                return "${"
            name, default = match.group(1), match.group(2)
            value = self._env.get(name)
            if value is None or (value == "" and default is not None):
                if default is None:
                    raise ConfigSyntaxError(
                        f"line {line}: environment variable {name} is not set (and ${{{name}}} has no default;"
                        f" write ${{{name}:-default}} to give one)"
                    )
                return default
            return value

        return _VAR.sub(replace, text)
