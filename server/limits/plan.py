"""Which buckets a request is charged to: its key's limits (and the first ``per_model``
glob that matches), the ``limits:`` rules of the config that match its model and key,
and its key's budget.

Counter names carry a key's public id, never a secret. A rule without ``per_key`` is one
counter for every matching request (a global limit per model route); with ``per_key``
each key (or static key) gets its own. A rule's counters are named by the rule's identity
(:func:`rule_ids`), not its position in the config.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from interlingua.server.config.limits import LimitRule, LimitValues, glob_matches
from interlingua.server.keys.model import VirtualKey
from interlingua.server.keys.periods import period_bounds
from interlingua.server.limits.buckets import Charge
from interlingua.server.limits.headers import ShownKind, shown_kinds
from interlingua.server.pipeline.context import Principal

__all__ = ["Kind", "Need", "Planned", "Slot", "SlotPlan", "key_slots", "plan_charges", "plan_slots", "realize", "rule_ids"]

Kind = str  # "requests" | "tokens" | "parallel" | "budget_tokens" | "budget_usd"


@dataclass(slots=True)
class Need:
    tokens: int  # input estimate + output cap
    usd: float  # the same at the model's prices
    spent: tuple[int, float] | None = None  # this budget period's tokens and USD so far (seed)
    output_cap: int = 0  # the output part of ``tokens``


@dataclass(slots=True)
class Planned:
    charges: list[Charge]
    kinds: list[Kind]  # shared with the SlotPlan unless a budget was added: never mutate
    labels: list[str]  # where each charge comes from, for logs ("key", "key model=gpt-*", a rule)
    budget_reset: datetime | None = None
    shown: tuple[ShownKind, ...] = ()  # the rate-limit headers' kinds (the SlotPlan's)

    def add(self, charge: Charge, kind: Kind, label: str) -> None:
        self.charges.append(charge)
        self.kinds.append(kind)
        self.labels.append(label)


@dataclass(frozen=True, slots=True)
class Slot:
    """A bucket a request is charged to, before the request's need is known: the same for
    every request of one key, model and config, so it is planned once and cached."""

    key: str
    kind: Kind
    capacity: float
    rate: float
    enforce: bool
    window_s: float
    label: str

    def charge(self, need: Need) -> Charge:
        amount = need.tokens if self.kind == "tokens" else 1
        return Charge(self.key, amount, self.capacity, self.rate, self.enforce, None, self.window_s)


_ONE = Need(1, 0.0)


class SlotPlan:
    """The slots of one key version, principal and model, with what all their requests
    share worked out once: kinds and labels, the rate-limit headers' kinds, and the charges
    whose amount does not depend on the request (requests, concurrency: one each), built
    once and shared (never mutated)."""

    __slots__ = ("_fixed", "kinds", "labels", "shown", "slots", "tokens")

    def __init__(self, slots: Sequence[Slot]) -> None:
        self.slots = tuple(slots)
        self.kinds = [s.kind for s in self.slots]
        self.labels = [s.label for s in self.slots]
        self.tokens = "tokens" in self.kinds
        self.shown = shown_kinds([(s.kind, s.capacity, s.enforce) for s in self.slots])
        self._fixed = [None if s.kind == "tokens" else s.charge(_ONE) for s in self.slots]

    def charges(self, need: Need) -> list[Charge]:
        if not self.tokens:
            return list(self._fixed)  # type: ignore[arg-type]  # no None without a token slot
        return [f if f is not None else s.charge(need) for f, s in zip(self._fixed, self.slots, strict=True)]


def _values(prefix: str, limits: LimitValues, enforce: bool, label: str) -> list[Slot]:
    out = []
    if limits.rpm is not None:
        out.append(Slot(f"{prefix}:rpm", "requests", limits.rpm, limits.rpm / 60, enforce, 60.0, label))
    if limits.tpm is not None:
        out.append(Slot(f"{prefix}:tpm", "tokens", limits.tpm, limits.tpm / 60, enforce, 60.0, label))
    if limits.max_parallel is not None:
        out.append(Slot(f"{prefix}:par", "parallel", limits.max_parallel, 0, enforce, 3600.0, label))
    return out


def _rule_applies(rule: LimitRule, model: str, principal: Principal) -> bool:
    if not glob_matches(rule.model, model):
        return False
    return rule.key is None or (principal.kind != "anonymous" and glob_matches(rule.key, principal.name))


def _budget(key: VirtualKey, need: Need, now: datetime, out: Planned) -> datetime | None:
    budget = key.budget
    if budget is None:
        return None
    start, end = period_bounds(budget.period, now, key.created_at)
    window = max(1.0, (end - now).total_seconds())
    spent_tokens, spent_usd = need.spent or (0, 0.0)
    stamp = int(start.timestamp())
    if budget.tokens is not None:
        initial = budget.tokens - spent_tokens
        charge = Charge(f"b:{key.id}:{stamp}:tok", need.tokens, budget.tokens, 0, True, initial, window)
        out.add(charge, "budget_tokens", "key budget")
    if budget.usd is not None:
        initial_usd = budget.usd - spent_usd
        charge = Charge(f"b:{key.id}:{stamp}:usd", need.usd, budget.usd, 0, True, initial_usd, window)
        out.add(charge, "budget_usd", "key budget")
    return end


def plan_slots(
    principal: Principal, key: VirtualKey | None, model: str, rules: Sequence[LimitRule]
) -> tuple[Slot, ...]:
    """The key's limits, its first matching ``per_model`` glob, and the matching rules."""
    out: list[Slot] = []
    if key is not None:
        out += _values(f"k:{key.id}", key.limits, True, "key")
        glob = next((g for g in key.limits.per_model if glob_matches(g, model)), None)
        if glob is not None:
            out += _values(f"k:{key.id}:m:{glob}", key.limits.per_model[glob], True, f"key model={glob}")
    ids = rule_ids(rules) if rules else []
    for index, (rule, rule_id) in enumerate(zip(rules, ids, strict=True)):
        if _rule_applies(rule, model, principal):
            who = f":{principal.key_id or principal.name}" if rule.per_key else ""
            out += _values(f"r:{rule_id}{who}", rule, not rule.shadow, f"limits[{index}] {rule.label}")
    return tuple(out)


def rule_ids(rules: Sequence[LimitRule]) -> list[str]:
    """Each rule's counter identity: its ``name``, else what it matches (model and key globs,
    ``per_key``), never its position, so a reload that reorders, inserts or removes rules
    leaves every rule its own counter (and changing a rule's limits or shadow mode keeps
    it). Rules with the same identity are told apart by their order among themselves."""
    seen: dict[str, int] = {}
    out = []
    for rule in rules:
        if rule.name:
            base = f"n:{rule.name}"
        else:  # a digest: globs may hold any character, and counter names stay short
            what = orjson.dumps([rule.model, rule.key, rule.per_key])
            base = "h:" + hashlib.blake2s(what, digest_size=8).hexdigest()
        seen[base] = count = seen.get(base, 0) + 1
        out.append(base if count == 1 else f"{base}#{count}")
    return out


def key_slots(key: VirtualKey) -> list[tuple[str | None, Slot]]:
    """Every limit of ``key``: key-wide (None) and per model glob, for headroom reports."""
    out: list[tuple[str | None, Slot]] = [(None, s) for s in _values(f"k:{key.id}", key.limits, True, "key")]
    for glob, values in key.limits.per_model.items():
        out += [(glob, s) for s in _values(f"k:{key.id}:m:{glob}", values, True, f"key model={glob}")]
    return out


def realize(slots: SlotPlan | Sequence[Slot], key: VirtualKey | None, need: Need) -> Planned:
    """The charges of one request: its slots with its need, and its key's budget."""
    plan = slots if isinstance(slots, SlotPlan) else SlotPlan(slots)
    if key is None or key.budget is None:
        return Planned(plan.charges(need), plan.kinds, plan.labels, None, plan.shown)
    out = Planned(plan.charges(need), list(plan.kinds), list(plan.labels), None, plan.shown)
    out.budget_reset = _budget(key, need, datetime.now(UTC), out)
    return out


def plan_charges(
    principal: Principal, key: VirtualKey | None, model: str, rules: Sequence[LimitRule], need: Need
) -> Planned:
    return realize(plan_slots(principal, key, model, rules), key, need)
