"""The ``providers`` section: upstreams, with their OpenAI-compatible dialects, Azure
OpenAI and AWS (Bedrock) options. Every key is documented in ``docs/config.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator

from interlingua.server.config._base import LocatedValueError, Strict
from interlingua.translate import Format

__all__ = [
    "AwsConfig",
    "AzureConfig",
    "Dialect",
    "DialectName",
    "MaxTokensField",
    "ProviderConfig",
    "Timeouts",
    "check_base_url",
]

DialectName = Literal["openai", "azure", "openrouter", "deepseek", "kimi", "vllm", "ollama"]
MaxTokensField = Literal["max_completion_tokens", "max_tokens"]

# Per OpenAI-compatible dialect: (reasoning text field, output limit field). OpenAI and
# Azure take max_completion_tokens (reasoning models refuse max_tokens); the others read
# the legacy max_tokens. OpenRouter and Ollama's /v1 stream reasoning as `reasoning`.
_DIALECTS: dict[str, tuple[str, MaxTokensField]] = {
    "openai": ("reasoning_content", "max_completion_tokens"),
    "azure": ("reasoning_content", "max_completion_tokens"),
    "openrouter": ("reasoning", "max_tokens"),
    "deepseek": ("reasoning_content", "max_tokens"),
    "kimi": ("reasoning_content", "max_tokens"),
    "vllm": ("reasoning_content", "max_tokens"),
    "ollama": ("reasoning", "max_tokens"),
}


class Dialect(Strict):
    """An OpenAI-compatible server's quirks (``dialect: NAME`` is short for ``{name: NAME}``)."""

    name: DialectName = "openai"
    reasoning_field: str | None = None  # [the dialect's]
    max_tokens_field: MaxTokensField | None = None  # [the dialect's]

    @property
    def reasoning(self) -> str:
        return self.reasoning_field if self.reasoning_field is not None else _DIALECTS[self.name][0]

    @property
    def max_tokens(self) -> MaxTokensField:
        return self.max_tokens_field or _DIALECTS[self.name][1]


class AzureConfig(Strict):
    api_version: str = Field("2024-10-21", min_length=1)
    deployment: str | None = None  # [the route's upstream model]


def _env(info: ValidationInfo) -> Mapping[str, str]:
    context = info.context
    env = context.get("env") if isinstance(context, dict) else None
    return env if isinstance(env, Mapping) else os.environ


class AwsConfig(Strict):
    """Region and SigV4 credentials; unset keys come from the standard AWS variables, then
    the shared credentials/config files (``AWS_PROFILE``; never instance metadata). The
    credentials may be absent when the provider has an ``api_key`` (a Bedrock API key)."""

    region: str = Field(min_length=1)
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    session_token: SecretStr | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_env(cls, data: object, info: ValidationInfo) -> object:
        if not isinstance(data, dict):
            return data
        env = _env(info)
        out = dict(data)
        for key, names in _AWS_ENV.items():
            if out.get(key) in (None, ""):
                found = next((env[n] for n in names if env.get(n)), None)
                if found is not None:
                    out[key] = found
                elif key == "region":
                    raise ValueError(f"region: not set (config, or {' / '.join(names)} in the environment)")
        if not (out.get("access_key_id") and out.get("secret_access_key")):
            # As the AWS SDKs do, minus the network: the shared files (AWS_PROFILE) come next.
            from interlingua.aws_sigv4 import resolve_credentials

            found_creds = resolve_credentials(environ=env)
            if found_creds is not None:
                out["access_key_id"], out["secret_access_key"] = (
                    found_creds.access_key,
                    found_creds.secret_key,
                )
                out["session_token"] = found_creds.token
        return out

    @property
    def has_keys(self) -> bool:
        return bool(
            self.access_key_id and self.secret_access_key and self.secret_access_key.get_secret_value()
        )


_AWS_ENV = {
    "region": ("AWS_REGION", "AWS_DEFAULT_REGION"),
    "access_key_id": ("AWS_ACCESS_KEY_ID",),
    "secret_access_key": ("AWS_SECRET_ACCESS_KEY",),
    "session_token": ("AWS_SESSION_TOKEN",),
}


class Timeouts(Strict):
    connect_ms: int = Field(5_000, gt=0)
    read_ms: int = Field(60_000, gt=0)  # the longest silence between bytes, streams too


class ProviderConfig(Strict):
    name: str = Field(min_length=1)
    format: Format
    base_url: str = ""  # required except for bedrock_converse (derived from aws.region)
    api_key: SecretStr | None = None
    api_keys: tuple[SecretStr, ...] = ()  # a pool, taken in turn (routing.keys)
    headers: dict[str, str] = Field(default_factory=dict)
    timeouts: Timeouts = Timeouts()
    max_connections: int = Field(100, ge=1)
    dialect: Dialect = Dialect()
    azure: AzureConfig | None = None
    aws: AwsConfig | None = None

    @field_validator("dialect", mode="before")
    @classmethod
    def _dialect_name(cls, value: object) -> object:
        return {"name": value} if isinstance(value, str) else value

    @model_validator(mode="before")
    @classmethod
    def _aws_default(cls, data: object) -> object:
        # A Bedrock provider without an aws section still gets one (from the environment).
        if isinstance(data, dict) and data.get("format") == "bedrock_converse" and data.get("aws") is None:
            return {**data, "aws": {}}
        return data

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        return check_base_url(url)

    @model_validator(mode="after")
    def _fits_format(self) -> ProviderConfig:
        bedrock = self.format is Format.BEDROCK_CONVERSE
        if not self.base_url and not bedrock:
            raise LocatedValueError(("base_url",), "required for this format")
        if "dialect" in self.model_fields_set and self.format is not Format.OPENAI_CHAT:
            raise LocatedValueError(("dialect",), "only for format openai_chat (OpenAI-compatible servers)")
        if self.azure is not None and self.dialect.name != "azure":
            raise LocatedValueError(("azure",), "only with dialect: azure")
        if self.aws is not None and not bedrock:
            raise LocatedValueError(("aws",), "only for format bedrock_converse")
        if self.api_key is not None and self.api_keys:
            raise LocatedValueError(("api_keys",), "give api_key or api_keys, not both")
        if any(not key.get_secret_value() for key in self.api_keys):
            raise LocatedValueError(("api_keys",), "a key is empty (is its environment variable set?)")
        if bedrock and not self.keys and not (self.aws and self.aws.has_keys):
            raise LocatedValueError(
                ("aws",),
                "access_key_id and secret_access_key: not set (config, or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY in the environment), and no api_key (a Bedrock API key)",
            )
        return self

    @property
    def keys(self) -> tuple[SecretStr, ...]:
        """The key pool: ``api_keys``, or the one ``api_key`` (empty: no key is sent)."""
        return self.api_keys or ((self.api_key,) if self.api_key is not None else ())

    @property
    def url(self) -> str:
        """The base URL, Bedrock's derived from the region when not configured."""
        if self.base_url or self.aws is None:
            return self.base_url
        return f"https://bedrock-runtime.{self.aws.region}.amazonaws.com"


def check_base_url(url: str) -> str:
    """``url`` without a trailing slash, or a ``ValueError`` that never quotes it (it may hold a secret).

    Credentials in the URL (``user:password@``) are refused: the gateway sends keys in the
    format's own header, and such a URL would be printed and logged as the provider's address.
    A query or fragment is refused too: the API path is appended to the base URL.
    """
    if not url:
        return url
    if not url.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (parsing the port validates it)
    except ValueError:
        raise ValueError("is not a valid URL") from None
    if "@" in parts.netloc:
        raise ValueError(
            "must not contain credentials (user:password@...); put the key in api_key or headers"
        )
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValueError("must not have a query or fragment (the API path is appended to it)")
    if not parts.hostname:
        raise ValueError("has no host")
    return url.rstrip("/")
