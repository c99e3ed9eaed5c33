"""``/ui``: the dashboard's pages, its sign-in and sign-out, and ``/metrics/ui`` (a redirect).

===========================  ===========================================================
``GET /ui``                  the dashboard (signed in) or a redirect to the sign-in page
``GET /ui/signin``           the sign-in form
``POST /ui/signin``          form field ``key`` (the admin key): sets the session cookie
``POST /ui/signout``         ends the session everywhere (CSRF token required)
``GET /ui/session``          ``{"csrf", "expires_at"}`` for the page's scripts
``GET /ui/static/<file>``    the page's files (the sign-in page's without a session)
===========================  ===========================================================

While the admin API is not served (no ``admin.api_key`` or no store), every ``/ui`` path
answers 404 with a page saying the dashboard is disabled and why.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from functools import wraps

import orjson
from quart import Blueprint, Response, redirect, request

from interlingua.server.admin_auth import AdminGuard, same_origin
from interlingua.server.dashboard.assets import PUBLIC_ASSETS, asset, page, security_headers
from interlingua.server.dashboard.attempts import FailedAttempts
from interlingua.server.dashboard.session import COOKIE
from interlingua.server.state import StateHolder

__all__ = ["PREFIX", "blueprint"]

PREFIX = "/ui"

_View = Callable[..., Awaitable[Response]]


def _redirect(location: str) -> Response:
    response: Response = redirect(location, 303)  # type: ignore[assignment]
    response.headers.update(security_headers())
    return response


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status=status,
                    headers={"content-type": "application/json", **security_headers()})


def _disabled(holder: StateHolder) -> str:
    if holder.config.admin.api_key is None:
        return "admin.api_key is not set."
    return "there is no store (store.url or store.data_dir)."


def _set_cookie(response: Response, token: str, max_age: int) -> None:
    response.set_cookie(COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="Strict",
                        secure=request.scheme == "https")


class _Views:
    def __init__(self, holder: StateHolder, attempts: FailedAttempts) -> None:
        self.holder = holder
        self.attempts = attempts

    def guarded(self, view: Callable[[AdminGuard], Awaitable[Response]]) -> _View:
        """``view`` with the request's guard; the disabled page while there is no admin API."""

        @wraps(view)
        async def run(*_args: object, **_kwargs: object) -> Response:
            guard = AdminGuard(self.holder)
            if not guard.sessions:
                return page("disabled.html", 404, _disabled(self.holder))
            return await view(guard)

        return run

    async def index(self, guard: AdminGuard) -> Response:
        if await guard.session() is None:
            return _redirect(f"{PREFIX}/signin")
        return page("index.html")

    async def form(self, guard: AdminGuard) -> Response:
        if await guard.session() is not None:
            return _redirect(PREFIX)
        return page("signin.html")

    async def submit(self, guard: AdminGuard) -> Response:
        if not same_origin():
            return page("signin.html", 403, "Sign-in refused: the form was not sent from this gateway.")
        address = request.remote_addr or "unknown"
        wait = self.attempts.retry_after(address)
        if wait:
            response = page("signin.html", 429, f"Too many failed attempts: try again in {wait} s.")
            response.headers["retry-after"] = str(wait)
            return response
        form = await request.form
        if not guard.key_matches(form.get("key", "")):
            self.attempts.failed(address)
            return page("signin.html", 401, "Wrong admin key.")
        self.attempts.succeeded(address)
        token, _ = guard.codec.issue()
        response = _redirect(PREFIX)
        _set_cookie(response, token, guard.codec.ttl_s)
        return response

    async def signout(self, guard: AdminGuard) -> Response:
        refused = await guard.check()
        session = await guard.session()
        if refused is not None or session is None:  # signed in with the Bearer key: no session
            return refused or _json({"error": {"type": "invalid_request_error", "message": "no session"}}, 400)
        await guard.deny.revoke(session)
        response = Response(b"", status=204, headers=security_headers())
        _set_cookie(response, "", 0)
        return response

    async def session(self, guard: AdminGuard) -> Response:
        session = await guard.session()
        if session is None:
            return _json({"error": {"type": "authentication_error", "message": "not signed in"}}, 401)
        return _json({"csrf": session.csrf, "expires_at": session.expires_at, "now": int(time.time())})

    async def static_file(self, guard: AdminGuard) -> Response:
        name = request.view_args["name"] if request.view_args else ""
        if name not in PUBLIC_ASSETS and await guard.session() is None:
            return Response(b"sign in first", status=401, headers=security_headers())
        return asset(name) or _json({"error": {"type": "not_found_error", "message": "no such file"}}, 404)


def blueprint(holder: StateHolder, attempts: FailedAttempts | None = None) -> Blueprint:
    bp = Blueprint("dashboard", __name__)
    views = _Views(holder, attempts or FailedAttempts())
    routes = [
        (PREFIX, views.index, "GET", "index"),
        (f"{PREFIX}/", views.index, "GET", "index_slash"),
        (f"{PREFIX}/signin", views.form, "GET", "signin_form"),
        (f"{PREFIX}/signin", views.submit, "POST", "signin"),
        (f"{PREFIX}/signout", views.signout, "POST", "signout"),
        (f"{PREFIX}/session", views.session, "GET", "session"),
        (f"{PREFIX}/static/<name>", views.static_file, "GET", "static"),
    ]
    for rule, view, method, endpoint in routes:
        bp.add_url_rule(rule, endpoint, views.guarded(view), methods=[method])

    async def to_dashboard(_guard: AdminGuard) -> Response:
        return _redirect(PREFIX)

    bp.add_url_rule("/metrics/ui", "metrics_ui", views.guarded(to_dashboard), methods=["GET"])
    return bp
