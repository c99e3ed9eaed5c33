"""Dashboard pieces without a server: session tokens, sign-in attempt limiting, and the
page files shipped as package data."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

from interlingua.server.dashboard.attempts import FailedAttempts
from interlingua.server.dashboard.session import SessionCodec

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"s" * 32


def test_session_token_round_trips_and_carries_a_csrf_token() -> None:
    codec = SessionCodec(SECRET, "admin-key-0123456789", ttl_s=60)
    token, session = codec.issue(now=1000)
    assert codec.verify(token, now=1059) == session
    assert session.expires_at == 1060
    assert session.csrf
    assert session.csrf not in token
    _other_token, other = codec.issue(now=1000)
    assert other.id != session.id
    assert other.csrf != session.csrf


def test_session_token_expires() -> None:
    codec = SessionCodec(SECRET, "admin-key-0123456789", ttl_s=60)
    token, _ = codec.issue(now=1000)
    assert codec.verify(token, now=1060) is None


def _flip(text: str) -> str:
    """``text`` with its last character changed."""
    return text[:-1] + ("B" if text.endswith("A") else "A")


def test_session_token_forgeries_are_refused() -> None:
    codec = SessionCodec(SECRET, "admin-key-0123456789", ttl_s=60)
    token, _session = codec.issue(now=1000)
    sid, expires, signature = token.split(".")
    for forged in (
        f"{sid}.{int(expires) + 3600}.{signature}",  # a longer life
        f"{_flip(sid)}.{expires}.{signature}",
        f"{sid}.{expires}.{_flip(signature)}",
        f"{sid}.{expires}",
        "",
        "...",
    ):
        assert codec.verify(forged, now=1000) is None, forged
    # Another admin key or server secret: every session ends.
    assert SessionCodec(SECRET, "another-admin-key-0123", ttl_s=60).verify(token, now=1000) is None
    assert SessionCodec(b"t" * 32, "admin-key-0123456789", ttl_s=60).verify(token, now=1000) is None


def test_failed_attempts_block_after_the_allowance_then_slide() -> None:
    attempts = FailedAttempts(allowed=3, window_s=60)
    for t in (0, 10, 20):
        assert attempts.retry_after("a", now=t) == 0
        attempts.failed("a", now=t)
    assert attempts.retry_after("a", now=21) == 39
    assert attempts.retry_after("b", now=21) == 0  # per address
    assert attempts.retry_after("a", now=60) == 0  # the first failure left the window
    attempts.succeeded("a")
    assert attempts.retry_after("a", now=21) == 0


def test_failed_attempts_memory_is_bounded() -> None:
    attempts = FailedAttempts(allowed=1, window_s=60)
    for i in range(10_050):
        attempts.failed(f"10.0.{i // 256}.{i % 256}", now=0)
    assert len(attempts._failures) <= 10_000


def test_dashboard_files_are_package_data() -> None:
    """Every file under server/dashboard/static is matched by a package-data glob, so
    ``pip install .`` ships it (a wheel built from this tree lists them all)."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    globs = data["interlingua.server.dashboard"]
    static = ROOT / "server" / "dashboard" / "static"
    files = [p.relative_to(static.parent).as_posix() for p in static.iterdir()]
    assert {"static/index.html", "static/signin.html", "static/app.js", "static/style.css"} <= set(files)
    unmatched = [f for f in files if not any(fnmatch(f, g) for g in globs)]
    assert not unmatched, f"add a package-data glob for {unmatched}"


def test_dashboard_pages_load_nothing_from_elsewhere() -> None:
    """No CDN, no external fonts: every reference in the pages is the gateway's own."""
    static = ROOT / "server" / "dashboard" / "static"
    for path in static.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", ""), path.name
        assert "https://" not in text, path.name
        assert "@import" not in text, path.name
        assert "url(" not in text, path.name
