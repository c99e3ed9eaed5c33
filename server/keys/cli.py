"""``interlingua keys create|list|show|update|revoke`` and ``interlingua db upgrade``: the
admin API's operations from a shell, on the same code (store, repository, validation).

Human output by default; ``--json`` prints the admin API's JSON for scripts. The new key
is printed once, by ``create``; nothing else ever shows it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from interlingua.server.config import Config, ConfigError, default_config, load_config
from interlingua.server.keys.admin import key_report, validation_problem
from interlingua.server.keys.model import KeyCreate, KeyUpdate
from interlingua.server.keys.repository import DuplicateName, KeyRepository
from interlingua.server.store import Store

__all__ = ["add_parsers", "run_db", "run_keys"]


def _limit_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", action="append", dest="models", help="allowed model glob (repeatable)")
    parser.add_argument("--rpm", type=int, help="requests per minute")
    parser.add_argument("--tpm", type=int, help="tokens per minute")
    parser.add_argument("--max-parallel", type=int, help="concurrent requests")
    parser.add_argument("--budget-usd", type=float)
    parser.add_argument("--budget-tokens", type=int)
    parser.add_argument("--budget-period", choices=("1h", "1d", "7d", "30d", "month"))
    parser.add_argument("--expires-at", help="ISO 8601 time (UTC unless an offset is given)")
    parser.add_argument("--metadata", help="JSON object")


def add_parsers(sub: Any) -> None:
    keys = sub.add_parser("keys", help="issue and manage keys (the store of --config)")
    keys.add_argument("--config", default=None, help="YAML config (default: embedded)")
    keys.add_argument("--json", action="store_true", help="print JSON")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="issue a key (printed once)")
    create.add_argument("--name", required=True)
    create.add_argument("--disabled", action="store_true")
    _limit_flags(create)
    listing = actions.add_parser("list", help="list keys")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--after", default=None)
    actions.add_parser("show", help="one key with usage, spend and headroom").add_argument("id")
    update = actions.add_parser("update", help="change a key")
    update.add_argument("id")
    update.add_argument("--name")
    update.add_argument("--enable", dest="enabled", action="store_const", const=True)
    update.add_argument("--disable", dest="enabled", action="store_const", const=False)
    update.add_argument("--clear-budget", action="store_true")
    update.add_argument("--clear-expiry", action="store_true")
    _limit_flags(update)
    actions.add_parser("revoke", help="revoke a key (stops working everywhere within a second)").add_argument(
        "id"
    )
    db = sub.add_parser("db", help="the store's schema")
    db.add_argument("--config", default=None, help="YAML config (default: embedded)")
    db.add_subparsers(dest="action", required=True).add_parser("upgrade", help="apply migrations")


def _fields(args: argparse.Namespace) -> dict[str, Any]:
    """The API body the flags describe (only the flags given)."""
    body: dict[str, Any] = {}
    if getattr(args, "name", None) is not None:
        body["name"] = args.name
    if args.models is not None:
        body["models"] = args.models
    limits = {k: v for k in ("rpm", "tpm", "max_parallel") if (v := getattr(args, k)) is not None}
    if limits:
        body["limits"] = limits
    budget = {"usd": args.budget_usd, "tokens": args.budget_tokens, "period": args.budget_period}
    if any(v is not None for v in budget.values()):
        body["budget"] = {k: v for k, v in budget.items() if v is not None}
    if args.expires_at is not None:
        body["expires_at"] = args.expires_at
    if args.metadata is not None:
        body["metadata"] = orjson.loads(args.metadata)
    return body


def _print_key(key: dict[str, Any], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(orjson.dumps(key, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    for name in ("id", "name", "display", "models", "limits", "budget", "enabled", "expires_at", "revoked_at"):
        value = key.get(name)
        if value not in (None, [], {}):
            print(f"{name}: {value if isinstance(value, str | bool) else orjson.dumps(value).decode()}")
    for name in ("usage", "budget_remaining", "limits_remaining"):
        if name in key:
            print(f"{name}: {orjson.dumps(key[name]).decode()}")
    if "key" in key:
        print(f"key: {key['key']}")


def _validated(model: type[BaseModel], body: dict[str, Any]) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        field, message = validation_problem(exc)
        raise SystemExit(f"interlingua keys: {field}: {message}") from None


async def _create(repo: KeyRepository, args: argparse.Namespace) -> int:
    spec = _validated(KeyCreate, {**_fields(args), "enabled": not args.disabled})
    key, secret = await repo.create(spec)
    _print_key({**key.public(), "key": secret}, args.json)
    if not args.json:
        print("(the key is shown only now: store it safely)", file=sys.stderr)
    return 0


async def _list(repo: KeyRepository, args: argparse.Namespace) -> int:
    keys, more = await repo.list(limit=args.limit, after=args.after)
    if args.json:
        page = {"data": [k.public() for k in keys], "has_more": more}
        sys.stdout.write(orjson.dumps(page, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    for k in keys:
        state = "revoked" if k.revoked_at else ("enabled" if k.enabled else "disabled")
        print(f"{k.id}  {k.name}  {k.public()['display']}  {state}")
    return 0


async def _one(repo: KeyRepository, args: argparse.Namespace) -> int:
    """show, update, revoke: one key by id."""
    if args.action == "update":
        body = _fields(args)
        body.update({"enabled": args.enabled} if args.enabled is not None else {})
        body.update({"budget": None} if args.clear_budget else {})
        body.update({"expires_at": None} if args.clear_expiry else {})
        found = await repo.update(args.id, _validated(KeyUpdate, body))
    elif args.action == "show":
        found = await repo.get(args.id)
    else:
        found = await repo.revoke(args.id)
    if found is None:
        print(f"interlingua keys: no key with id {args.id!r}", file=sys.stderr)
        return 1
    _print_key(await key_report(repo, found, None) if args.action == "show" else found.public(), args.json)
    return 0


async def _keys(repo: KeyRepository, args: argparse.Namespace) -> int:
    action = {"create": _create, "list": _list}.get(args.action, _one)
    return await action(repo, args)


def _config(path: str | None) -> Config:
    return default_config() if path is None else load_config(path)


async def _with_store(config: Config, job: Callable[[Store], Awaitable[int]]) -> int:
    store = Store.open(config.store)
    try:
        await store.migrate()
        return await job(store)
    finally:
        await store.close()


def run_keys(args: argparse.Namespace) -> int:
    try:
        config = _config(args.config)
        return asyncio.run(_with_store(config, lambda store: _keys(KeyRepository(store), args)))
    except (ConfigError, DuplicateName, ValueError) as exc:
        print(f"interlingua keys: {exc}", file=sys.stderr)
        return 2


def run_db(args: argparse.Namespace) -> int:
    try:
        config = _config(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2

    async def done(_store: Store) -> int:
        print("store schema at head")
        return 0

    return asyncio.run(_with_store(config, done))
