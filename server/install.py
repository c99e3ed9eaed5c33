"""``interlingua install --systemd [--root DIR]``: a default config and a hardened systemd unit.

Writes, under ``DIR`` (``/`` by default; another root stages the files, as ``DESTDIR`` does):

- ``etc/interlingua/config.yaml``: a valid config with no routes yet and commented examples;
  an existing file is kept (it is the operator's);
- ``etc/systemd/system/interlingua.service``: runs ``interlingua serve --config
  /etc/interlingua/config.yaml`` as a throwaway system user (``DynamicUser``) that can write
  only its state directory (``/var/lib/interlingua``); secrets come from the optional
  ``/etc/interlingua/interlingua.env`` (read by systemd as root, so it can be mode 0600);
  ``systemctl reload`` sends SIGHUP, which reloads the config. Rewritten on every install.

The unit names the ``interlingua`` executable of the running installation (an absolute
path, as systemd requires).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

__all__ = ["CONFIG_PATH", "UNIT_PATH", "default_config_text", "executable", "install_systemd", "unit_text"]

CONFIG_PATH = Path("/etc/interlingua/config.yaml")
ENV_PATH = Path("/etc/interlingua/interlingua.env")
UNIT_PATH = Path("/etc/systemd/system/interlingua.service")


def default_config_text() -> str:
    return f"""\
# Interlingua gateway. Every key, with its default: docs/config.md in the project.
# Check after editing: interlingua check-config {CONFIG_PATH}
# Saving this file (or systemctl reload interlingua) reloads it; an invalid edit is refused.
# Keep keys out of this file: put them in {ENV_PATH} (mode 0600), e.g.
#   OPENAI_API_KEY=sk-...
# and write ${{OPENAI_API_KEY}} here (changing that file needs systemctl restart interlingua).
server:
  host: 127.0.0.1
  port: 8080
  # api_keys: ["${{INTERLINGUA_API_KEY}}"]    # clients must send one of these
  # TLS: give the unit LoadCredential=tls.key:/etc/interlingua/tls/key.pem (the service
  # user cannot read root's files), then:
  # tls: {{certfile: /etc/interlingua/tls/cert.pem, keyfile: "${{CREDENTIALS_DIRECTORY}}/tls.key"}}
providers: []
#  - name: openai
#    format: openai_chat
#    base_url: https://api.openai.com/v1
#    api_key: ${{OPENAI_API_KEY}}
#  - name: anthropic
#    format: anthropic_messages
#    base_url: https://api.anthropic.com
#    api_key: ${{ANTHROPIC_API_KEY}}
models: []
#  - {{name: "gpt-*", provider: openai}}
#  - {{name: "claude-*", provider: anthropic}}
"""


def unit_text(exe: Path) -> str:
    return f"""\
[Unit]
Description=Interlingua LLM API gateway
After=network-online.target
Wants=network-online.target

[Service]
Type=exec
ExecStart={exe} serve --config {CONFIG_PATH}
# SIGHUP reloads the config (in every worker); invalid changes are refused and logged.
ExecReload=/bin/kill -HUP $MAINPID
EnvironmentFile=-{ENV_PATH}
Restart=on-failure
RestartSec=2
# Above server.shutdown_grace_ms (30 s): streams in flight may finish on stop.
TimeoutStopSec=45
LimitNOFILE=65536

# A throwaway user per start; it can write only its state directory (/var/lib/interlingua).
DynamicUser=yes
StateDirectory=interlingua
WorkingDirectory=%S/interlingua
UMask=0077
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
NoNewPrivileges=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
# To listen on a port below 1024 (443 with server.tls), uncomment:
# AmbientCapabilities=CAP_NET_BIND_SERVICE
# For server.tls, hand the key to the service user (see the config file):
# LoadCredential=tls.key:/etc/interlingua/tls/key.pem

[Install]
WantedBy=multi-user.target
"""


def executable() -> Path:
    """This installation's ``interlingua`` script (absolute): next to the interpreter, else on PATH."""
    beside = Path(sys.executable).with_name("interlingua")
    if beside.is_file():
        return beside.absolute()
    found = shutil.which("interlingua")
    if found is None:
        raise FileNotFoundError("cannot find the interlingua executable (is the package installed?)")
    return Path(found).absolute()


def install_systemd(root: Path, exe: Path | None = None) -> list[str]:
    """Write the config (unless present) and the unit under ``root``; one line per file, for the user."""
    config, unit = root / CONFIG_PATH.relative_to("/"), root / UNIT_PATH.relative_to("/")
    done = []
    if config.exists():
        done.append(f"kept {config} (already present)")
    else:
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(default_config_text(), encoding="utf-8")
        config.chmod(0o644)  # the service's dynamic user reads it; keys belong in the env file
        done.append(f"wrote {config}")
    unit.parent.mkdir(parents=True, exist_ok=True)
    unit.write_text(unit_text(exe or executable()), encoding="utf-8")
    unit.chmod(0o644)
    done.append(f"wrote {unit}")
    return done
