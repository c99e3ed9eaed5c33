"""The fast lane's table: which requests it serves, read once from the app's URL map.

A rule is the lane's when its view was registered with
:func:`interlingua.server.api.route.post` (the view is marked with its handler), it takes
``POST``, and Quart would dispatch it with nothing of its own around the view (no request
hooks, URL value preprocessors or blueprint error handlers). Then:

- a static rule is looked up by its exact path, if no other rule has that path (a path with
  several rules is werkzeug's to choose between);
- a rule with variables (the model in Gemini's and Bedrock's URLs) is matched by one regex
  for all of them, made of the rule's static text and its converters' own regexes, as
  werkzeug's matcher does. Only rules whose request werkzeug could give to no other rule:
  no other rule taking ``POST`` may share both the text before its first variable and the
  text after its last (a path matching both would be werkzeug's to order), and every
  converter takes no arguments and keeps the matched text as it is (``path``, the default),
  so the values are werkzeug's. A path werkzeug would redirect (``//``, merged) matches no
  converter regex (they start with ``[^/]``) and stays Quart's, like every other method,
  404 and 405.

What a match returns is the handler with the rule's values bound, as Quart calls the view.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from quart import Quart
from quart.helpers import _split_blueprint_path
from werkzeug.routing import BaseConverter, Rule

from interlingua.server.api.route import LANE_HANDLER, Handler

__all__ = ["VariableRoutes", "lane_routes", "variable_routes"]

# ``<converter:name>`` or ``<name>`` in a rule; a converter with arguments does not match.
_VARIABLE = re.compile(r"<(?:([A-Za-z_]\w*):)?([A-Za-z_]\w*)>")


def lane_routes(app: Quart) -> dict[tuple[str, str], Handler]:
    """``("POST", path)`` -> handler for the static rules the lane may serve (see the module)."""
    routes: dict[tuple[str, str], Handler] = {}
    claimed: dict[str, int] = {}
    for rule in app.url_map.iter_rules():
        claimed[rule.rule] = claimed.get(rule.rule, 0) + 1
        handler = _lane_handler(app, rule)
        if handler is not None and not rule.arguments:
            routes[("POST", rule.rule)] = handler
    return {key: handler for key, handler in routes.items() if claimed[key[1]] == 1}


class VariableRoutes:
    """The lane's rules with variables: one regex, each rule an alternative group ``r<i>``
    around its variables' groups ``r<i>v<j>``."""

    __slots__ = ("_regex", "_rules")

    def __init__(self, rules: list[tuple[str, Handler, list[tuple[str, str]]]]) -> None:
        """``rules``: each rule's regex (its own alternative's group names), handler and
        (variable, group name) pairs, in the order werkzeug has them."""
        self._rules = {f"r{number}": (handler, groups) for number, (_, handler, groups) in enumerate(rules)}
        alternatives = [f"(?P<r{number}>{pattern})" for number, (pattern, _, _) in enumerate(rules)]
        self._regex = re.compile("|".join(alternatives)) if alternatives else None

    def match(self, path: str) -> Handler | None:
        """The handler for ``path`` with its values bound, if a rule matches it."""
        if self._regex is None or (found := self._regex.match(path)) is None:
            return None
        # The alternative's group closes after its variables' groups: it is the last one.
        handler, groups = self._rules[found.lastgroup]  # type: ignore[index]
        return partial(handler, **{name: found.group(group) for name, group in groups})


def variable_routes(app: Quart) -> VariableRoutes:
    """The lane's rules with variables (see the module)."""
    url_map = app.url_map
    if url_map.host_matching or app.subdomain_matching:
        return VariableRoutes([])
    posting = [rule for rule in url_map.iter_rules() if rule.methods is None or "POST" in rule.methods]
    rules: list[tuple[str, Handler, list[tuple[str, str]]]] = []
    for rule in posting:
        handler = _lane_handler(app, rule) if rule.arguments else None
        pattern = _pattern(app, rule, f"r{len(rules)}v") if handler is not None else None
        if handler is None or pattern is None:
            continue
        if not any(_may_share(rule, other) for other in posting if other is not rule):
            rules.append((pattern[0], handler, pattern[1]))
    return VariableRoutes(rules)


def _pattern(app: Quart, rule: Rule, prefix: str) -> tuple[str, list[tuple[str, str]]] | None:
    """The rule's regex over a whole path, its variables named ``prefix0``, ``prefix1``...,
    and (variable, group name) pairs; None if the lane cannot match it as werkzeug does (a
    converter with arguments, or one that changes the value)."""
    text = rule.rule
    if "//" in text or rule.defaults or rule.redirect_to is not None:
        return None
    regex, end = "", 0
    groups: list[tuple[str, str]] = []
    statics: list[str] = []
    for found in _VARIABLE.finditer(text):
        converter = app.url_map.converters.get(found.group(1) or "default")
        if converter is None or converter.to_python is not BaseConverter.to_python:
            return None
        group = f"{prefix}{len(groups)}"
        statics.append(text[end : found.start()])
        regex += re.escape(statics[-1]) + f"(?P<{group}>{converter(app.url_map).regex})"
        groups.append((found.group(2), group))
        end = found.end()
    statics.append(text[end:])
    if any("<" in static for static in statics):  # a variable _VARIABLE does not read
        return None
    return regex + re.escape(statics[-1]) + r"\Z", groups


def _ends(rule: Rule) -> tuple[str, str]:
    """The rule's static text before its first variable and after its last (a slash at the
    end dropped: werkzeug may match a path with or without it)."""
    text = rule.rule
    if not rule.arguments:
        return text, text.removesuffix("/")
    return text[: text.find("<")], text[text.rfind(">") + 1 :].removesuffix("/")


def _may_share(rule: Rule, other: Rule) -> bool:
    """Whether a path could match both rules: their texts before the first variable, and
    after the last, each the start (end) of the other's."""
    (start, end), (other_start, other_end) = _ends(rule), _ends(other)
    starts = start.startswith(other_start) or other_start.startswith(start)
    return starts and (end.endswith(other_end) or other_end.endswith(end))


def _lane_handler(app: Quart, rule: Rule) -> Handler | None:
    """The handler of a rule the lane may serve by its shape, or None."""
    handler: Handler | None = getattr(app.view_functions.get(rule.endpoint), LANE_HANDLER, None)
    if handler is None or not _shape_fits(rule) or not _bare(app, rule.endpoint):
        return None
    return handler


def _shape_fits(rule: Rule) -> bool:
    methods: Any = rule.methods or set()
    return (
        "POST" in methods
        and not rule.websocket
        and rule.host is None
        and not rule.subdomain
        and not rule.rule.endswith("/")
    )


def _bare(app: Quart, endpoint: str) -> bool:
    """Whether Quart runs nothing of the app's around this endpoint's view."""
    blueprint = endpoint.rpartition(".")[0]
    names: list[str | None] = [None, *(_split_blueprint_path(blueprint) if blueprint else [])]
    hooks = (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
        app.url_value_preprocessors,
    )
    if any(table.get(name) for table in hooks for name in names):
        return False
    return not any(app.error_handler_spec.get(name) for name in names[1:])
