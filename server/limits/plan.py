"""Which buckets a request is charged to: its key's limits (and the first ``per_model``
glob that matches), the ``limits:`` rules of the config that match its model and key,
and its key's budget.

Counter names carry a key's public id, never a secret. A rule without ``per_key`` is one
counter for every matching request (a global limit per model route); with ``per_key``
each key (or static key) gets its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from interlingua.server.config.limits import LimitRule, LimitValues, glob_matches
from interlingua.server.keys.model import VirtualKey
from interlingua.server.keys.periods import period_bounds
from interlingua.server.limits.buckets import Charge
from interlingua.server.pipeline.context import Principal

__all__ = ["Kind", "Need", "Planned", "Slot", "key_slots", "plan_charges", "plan_slots", "realize"]

Kind = str  # "requests" | "tokens" | "parallel" | "budget_tokens" | "budget_usd"


@dataclass(frozen=True, slots=True)
class Need:
    tokens: int  # input estimate + output cap
    usd: float  # the same at the model's prices
    spent: tuple[int, float] | None = None  # this budget period's tokens and USD so far (seed)
    output_cap: int = 0  # the output part of ``tokens``


@dataclass(frozen=True, slots=True)
class Planned:
    charges: list[Charge]
    kinds: list[Kind]
    labels: list[str]  # where each charge comes from, for logs ("key", "key model=gpt-*", a rule)
    budget_reset: datetime | None = None

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
    for index, rule in enumerate(rules):
        if _rule_applies(rule, model, principal):
            who = f":{principal.key_id or principal.name}" if rule.per_key else ""
            out += _values(f"r{index}{who}", rule, not rule.shadow, f"limits[{index}] {rule.label}")
    return tuple(out)


def key_slots(key: VirtualKey) -> list[tuple[str | None, Slot]]:
    """Every limit of ``key``: key-wide (None) and per model glob, for headroom reports."""
    out: list[tuple[str | None, Slot]] = [(None, s) for s in _values(f"k:{key.id}", key.limits, True, "key")]
    for glob, values in key.limits.per_model.items():
        out += [(glob, s) for s in _values(f"k:{key.id}:m:{glob}", values, True, f"key model={glob}")]
    return out


def realize(slots: Sequence[Slot], key: VirtualKey | None, need: Need) -> Planned:
    """The charges of one request: its slots with its need, and its key's budget."""
    out = Planned([slot.charge(need) for slot in slots], [s.kind for s in slots], [s.label for s in slots])
    if key is not None and key.budget is not None:
        reset = _budget(key, need, datetime.now(UTC), out)
        return Planned(out.charges, out.kinds, out.labels, reset)
    return out


def plan_charges(
    principal: Principal, key: VirtualKey | None, model: str, rules: Sequence[LimitRule], need: Need
) -> Planned:
    return realize(plan_slots(principal, key, model, rules), key, need)
