"""The ``server`` section: how the gateway listens and protects itself."""

from __future__ import annotations

import ssl
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from interlingua.server.config._base import LocatedValueError, Strict

__all__ = ["ServerConfig", "TlsConfig"]


class TlsConfig(Strict):
    """Inbound TLS. Both files are read when the config loads, so a wrong path, a key that does
    not match its certificate or an encrypted key is a config error, not a failed start."""

    certfile: str = Field(min_length=1)  # PEM: the certificate, then its intermediates
    keyfile: str = Field(min_length=1)  # PEM, unencrypted (readable by the service only)

    @model_validator(mode="after")
    def _loadable(self) -> TlsConfig:
        for field in ("certfile", "keyfile"):
            path = getattr(self, field)
            try:
                with open(path, "rb"):
                    pass
            except OSError as exc:
                raise LocatedValueError((field,), f"cannot read {path}: {exc.strerror}") from None
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
                self.certfile, self.keyfile, password=_no_password
            )
        except _EncryptedKey:
            raise LocatedValueError(("keyfile",), "is encrypted; give an unencrypted key") from None
        except ssl.SSLError as exc:
            raise LocatedValueError(
                (), f"certfile and keyfile do not load as a certificate and its key ({exc.reason})"
            ) from None
        return self


class _EncryptedKey(Exception):
    pass


def _no_password() -> str:
    # Called only for an encrypted key; without it, OpenSSL would prompt on the terminal.
    raise _EncryptedKey


class ServerConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=256)
    max_body_bytes: int = Field(20_000_000, ge=1)
    max_inflight: int = Field(512, ge=1)
    shutdown_grace_ms: int = Field(30_000, ge=0)
    # An idle keep-alive connection is closed after this long. Hypercorn's 5 s default is
    # shorter than client pools keep connections (a user thinking between turns), and a
    # client POSTing on a connection the server just closed fails (POSTs are not retried).
    keep_alive_timeout_s: float = Field(75.0, gt=0)
    # The whole request body must arrive within this long, else 408 (a trickling body holds
    # a connection and, with the in-flight limit, a slot).
    body_timeout_ms: int = Field(60_000, gt=0)
    api_keys: tuple[SecretStr, ...] = ()
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    upstream_transport: Literal["aiohttp", "httpx"] = "aiohttp"
    tls: TlsConfig | None = None  # [plain HTTP]

    @field_validator("api_keys")
    @classmethod
    def _no_empty_keys(cls, keys: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        if any(not key.get_secret_value() for key in keys):
            raise ValueError("an API key is empty (is its environment variable set?)")
        return keys
