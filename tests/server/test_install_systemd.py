"""``interlingua install --systemd --root DIR``: a default config (kept if present) and a hardened
systemd unit, written into a temporary root; ``systemd-analyze verify`` accepts the unit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from interlingua.server.config import load_config
from interlingua.server.install import install_systemd

INTERLINGUA = Path(sys.executable).with_name("interlingua")
CONFIG = Path("etc/interlingua/config.yaml")
UNIT = Path("etc/systemd/system/interlingua.service")


def _install(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(INTERLINGUA), "install", "--systemd", "--root", str(root)],
        capture_output=True, text=True, timeout=60, check=False,
    )


def _directives(unit: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))
    return dict(pairs)


def test_install_systemd_writes_config_and_unit(tmp_path: Path) -> None:
    done = _install(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"wrote {tmp_path / CONFIG}", f"wrote {tmp_path / UNIT}"]
    config = load_config(tmp_path / CONFIG, env={})  # valid as written, no variable needed
    assert (config.server.host, config.server.port, config.providers) == ("127.0.0.1", 8080, ())
    unit = _directives((tmp_path / UNIT).read_text())
    assert unit["ExecStart"] == f"{INTERLINGUA} serve --config /etc/interlingua/config.yaml"
    assert unit["ExecReload"] == "/bin/kill -HUP $MAINPID"
    for key, value in {
        "DynamicUser": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "NoNewPrivileges": "yes",
        "PrivateTmp": "yes", "StateDirectory": "interlingua", "Restart": "on-failure",
        "EnvironmentFile": "-/etc/interlingua/interlingua.env", "WantedBy": "multi-user.target",
    }.items():
        assert unit[key] == value, key
    assert (tmp_path / CONFIG).stat().st_mode & 0o777 == 0o644


def test_install_systemd_keeps_an_existing_config(tmp_path: Path) -> None:
    config = tmp_path / CONFIG
    config.parent.mkdir(parents=True)
    config.write_text("server: {port: 9999}\n")
    (tmp_path / UNIT).parent.mkdir(parents=True)
    (tmp_path / UNIT).write_text("stale")
    assert install_systemd(tmp_path, Path("/opt/interlingua/bin/interlingua")) == [
        f"kept {config} (already present)",
        f"wrote {tmp_path / UNIT}",
    ]
    assert config.read_text() == "server: {port: 9999}\n"
    assert "ExecStart=/opt/interlingua/bin/interlingua serve" in (tmp_path / UNIT).read_text()


def test_install_requires_a_target(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(INTERLINGUA), "install", "--root", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "--systemd" in done.stderr
    assert not any(tmp_path.iterdir())


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_install_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    assert _install(tmp_path).returncode == 0
    unit = tmp_path / UNIT
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    # Problems with the unit file are reported as "<path>:<line>: ..." or "<unit name>: ...".
    problems = [line for line in done.stderr.splitlines() if str(unit) in line or "interlingua.service" in line]
    assert done.returncode == 0, done.stderr
    assert problems == []
