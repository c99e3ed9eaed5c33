"""The admin HTTP API for issued keys (served only when ``admin.api_key`` is set).

==========================  ====================================================
``POST /admin/keys``        create; 201 with the key object and ``"key"`` (shown once)
``GET /admin/keys``         list, ``?limit=`` (1-500, default 100) ``&after=<id>``
``GET /admin/keys/{id}``    one key with usage, spend and the headroom of each limit
``PATCH /admin/keys/{id}``  change fields; ``null`` clears ``budget`` / ``expires_at``
``DELETE /admin/keys/{id}`` revoke (the record stays, for its usage history)
==========================  ====================================================

Authenticated by the one admin check (:class:`~interlingua.server.admin_auth.AdminGuard`):
``Authorization: Bearer <admin key>``, or the dashboard's session cookie plus its CSRF token.
Errors: ``{"error": {"type", "message", "param"}}``; 400 names the field, 404 an unknown id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from quart import Blueprint, Response, request

from interlingua.server.keys.model import KeyCreate, KeyUpdate, VirtualKey
from interlingua.server.keys.periods import period_bounds
from interlingua.server.keys.repository import DuplicateName, KeyRepository

__all__ = ["Headroom", "blueprint", "key_report", "validation_problem"]

# The limits feature's view of a key's counters (None until it is enabled).
Headroom = Callable[[VirtualKey], Awaitable[dict[str, Any]]]

_JSON = {"content-type": "application/json"}
_M = TypeVar("_M", bound=BaseModel)


class AdminError(Exception):
    def __init__(self, status: int, kind: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.param = status, kind, message, param


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status=status, headers=_JSON)


def validation_problem(exc: ValidationError) -> tuple[str, str]:
    """``(field, message)`` of the first problem. Cross-field checks raise ``"field: ..."``
    from a model validator (no location of their own), so the field is read from the text."""
    first = exc.errors(include_url=False, include_input=False)[0]
    message = first["msg"].removeprefix("Value error, ")
    param = ".".join(str(part) for part in first["loc"])
    if not param:
        field, sep, rest = message.partition(": ")
        param, message = (field, rest) if sep and field.isidentifier() else ("body", message)
    return param, message


def _parse(model: type[_M], body: object) -> _M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        param, message = validation_problem(exc)
        raise AdminError(400, "invalid_request_error", f"{param}: {message}", param) from None


async def _body() -> object:
    data = await request.get_data()
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise AdminError(400, "invalid_request_error", "the body is not valid JSON", "body") from None


def _not_found(key_id: str) -> AdminError:
    return AdminError(404, "not_found_error", f"no key with id {key_id!r}", "id")


async def key_report(repo: KeyRepository, key: VirtualKey, headroom: Headroom | None) -> dict[str, Any]:
    """A key with its usage (all time and current budget period), spend and headroom."""
    now = datetime.now(UTC)
    report = key.public()
    report["usage"] = {"total": await repo.usage(key.id, None)}
    if key.budget is not None:
        start, end = period_bounds(key.budget.period, now, key.created_at)
        used = await repo.usage(key.id, start)
        report["usage"]["period"] = {"start": start.isoformat(), "reset": end.isoformat(), **used}
        remaining: dict[str, Any] = {}
        if key.budget.tokens is not None:
            remaining["tokens"] = max(0, key.budget.tokens - int(used["total_tokens"]))
        if key.budget.usd is not None:
            remaining["usd"] = round(max(0.0, key.budget.usd - used["spend_usd"]), 6)
        report["budget_remaining"] = remaining
    if headroom is not None:
        report["limits_remaining"] = await headroom(key)
    return report


def _page_args() -> tuple[int, str | None]:
    raw = request.args.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= 500:
        raise AdminError(400, "invalid_request_error", "limit: must be an integer from 1 to 500", "limit")
    return int(raw), request.args.get("after") or None


class _Api:
    """The handlers, over one repository (methods so the blueprint factory stays small)."""

    def __init__(self, repo: KeyRepository, headroom: Callable[[], Headroom | None]) -> None:
        self.repo = repo
        self.headroom = headroom

    async def create(self) -> Response:
        spec = _parse(KeyCreate, await _body())
        try:
            key, secret = await self.repo.create(spec)
        except DuplicateName as exc:
            raise AdminError(400, "invalid_request_error", f"name: {exc}", "name") from None
        return _json({**key.public(), "key": secret}, 201)

    async def list_keys(self) -> Response:
        limit, after = _page_args()
        keys, more = await self.repo.list(limit=limit, after=after)
        next_after = keys[-1].id if more else None
        return _json({"data": [k.public() for k in keys], "has_more": more, "next_after": next_after})

    async def show(self, key_id: str) -> Response:
        key = await self.repo.get(key_id)
        if key is None:
            raise _not_found(key_id)
        return _json(await key_report(self.repo, key, self.headroom()))

    async def patch(self, key_id: str) -> Response:
        change = _parse(KeyUpdate, await _body())
        try:
            key = await self.repo.update(key_id, change)
        except DuplicateName as exc:
            raise AdminError(400, "invalid_request_error", f"name: {exc}", "name") from None
        if key is None:
            raise _not_found(key_id)
        return _json(key.public())

    async def revoke(self, key_id: str) -> Response:
        key = await self.repo.revoke(key_id)
        if key is None:
            raise _not_found(key_id)
        return _json(key.public())


async def _admin_error(err: AdminError) -> Response:
    return _json({"error": {"type": err.kind, "message": err.message, "param": err.param}}, err.status)


def blueprint(
    repo: KeyRepository,
    check: Callable[[], Awaitable[Response | None]],
    headroom: Callable[[], Headroom | None],
    changed: Callable[[], Awaitable[None]],
) -> Blueprint:
    """``check``: the admin check (:func:`~interlingua.server.admin_auth.admin_check`);
    ``headroom``: the limits feature's reader, if any; ``changed``: called after every
    change so this process applies it at once (others follow at their next poll)."""
    bp = Blueprint("admin_keys", __name__)
    api = _Api(repo, headroom)
    bp.before_request(check)

    @bp.after_request
    async def apply(response: Response) -> Response:
        if request.method != "GET" and response.status_code < 300:
            await changed()
        return response

    bp.register_error_handler(AdminError, _admin_error)
    bp.add_url_rule("/admin/keys", view_func=api.create, methods=["POST"])
    bp.add_url_rule("/admin/keys", view_func=api.list_keys, methods=["GET"])
    bp.add_url_rule("/admin/keys/<key_id>", view_func=api.show, methods=["GET"])
    bp.add_url_rule("/admin/keys/<key_id>", view_func=api.patch, methods=["PATCH"])
    bp.add_url_rule("/admin/keys/<key_id>", view_func=api.revoke, methods=["DELETE"])
    return bp
