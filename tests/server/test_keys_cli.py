"""``interlingua keys ...`` and ``interlingua db upgrade`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

INTERLINGUA = Path(sys.executable).with_name("interlingua")


def _run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(INTERLINGUA), "keys", "--config", str(config), *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "gateway.yaml"
    path.write_text("server: {port: 0}\n")
    return path


def test_keys_cli_lifecycle(config: Path) -> None:
    created = _run(config, "--json", "create", "--name", "ci", "--model", "gpt-*", "--rpm", "10", "--budget-usd", "5")
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    assert key["key"].startswith(f"il-{key['id']}-")
    assert key["limits"] == {"rpm": 10}
    assert key["budget"] == {"usd": 5.0, "period": "month"}
    # The store went where the default says: a data folder beside the config.
    assert (config.parent / "data" / "interlingua.db").exists()
    listed = _run(config, "list")
    assert key["id"] in listed.stdout
    assert key["key"] not in listed.stdout
    shown = json.loads(_run(config, "--json", "show", key["id"]).stdout)
    assert shown["usage"]["total"]["requests"] == 0
    assert "key" not in shown
    updated = json.loads(_run(config, "--json", "update", key["id"], "--tpm", "100", "--disable").stdout)
    assert updated["limits"] == {"tpm": 100}
    assert updated["enabled"] is False
    revoked = json.loads(_run(config, "--json", "revoke", key["id"]).stdout)
    assert revoked["revoked_at"]


def test_keys_cli_human_create_prints_key_once(config: Path) -> None:
    out = _run(config, "create", "--name", "human")
    assert out.returncode == 0
    assert out.stdout.count("key: il-") == 1
    assert "shown only now" in out.stderr


def test_keys_cli_errors(config: Path) -> None:
    bad = _run(config, "create", "--name", "x", "--rpm", "0")
    assert bad.returncode != 0
    assert "limits.rpm" in bad.stderr
    missing = _run(config, "show", "nope")
    assert missing.returncode == 1
    assert "no key with id" in missing.stderr
    assert _run(config, "create", "--name", "dup").returncode == 0
    assert "exists" in _run(config, "create", "--name", "dup").stderr


def test_db_upgrade(config: Path) -> None:
    out = subprocess.run(
        [str(INTERLINGUA), "db", "--config", str(config), "upgrade"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "at head" in out.stdout
