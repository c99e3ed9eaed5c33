"""The gateway's configuration: YAML validated once, strictly, with errors that name field and line.

Reference (every key; defaults in brackets)::

    server:
      host: 127.0.0.1            # bind address [127.0.0.1]
      port: 8080                 # [8080]
      workers: 1                 # processes sharing the socket [1]
      max_body_bytes: 20000000   # larger request bodies get 413 [20 MB]
      max_inflight: 512          # concurrent API requests per worker; more get 503 / 529 [512]
      shutdown_grace_ms: 30000   # on SIGTERM/SIGINT, in-flight requests may finish this long [30 s]
      api_keys: []               # when non-empty, clients must send one of these [none]
      log_level: info            # debug | info | warning | error [info]
      upstream_transport: aiohttp  # httpx API over aiohttp, or httpx's own (httpcore; slower) [aiohttp]
    providers:                   # upstreams
      - name: openai             # unique; models refer to it
        format: openai_chat      # openai_chat | anthropic_messages | openai_responses | gemini | bedrock_converse
        base_url: https://api.openai.com/v1   # as in the provider's SDK (OpenAI: with /v1; Anthropic and
                                 # Gemini: without; Bedrock: optional [https://bedrock-runtime.{region}.amazonaws.com])
        api_key: ${OPENAI_API_KEY}            # sent upstream; optional (local servers) [none]
        headers: {OpenAI-Organization: org-1} # injected on every upstream request [none]
        timeouts: {connect_ms: 5000, read_ms: 60000}  # read = longest silence between bytes, streams too
        max_connections: 100     # connection pool size per worker [100]
        dialect: openrouter      # openai_chat only: openai | azure | openrouter | deepseek | kimi | vllm | ollama,
                                 # or {name: vllm, reasoning_field: reasoning_content, max_tokens_field: max_tokens}
                                 # (the name's defaults, overridden) [openai]
        azure: {api_version: 2024-10-21, deployment: null}  # dialect azure only; deployment [the upstream model]
        aws:                     # bedrock_converse only; each key defaults to the standard AWS variable
          region: us-east-1                   # [AWS_REGION, then AWS_DEFAULT_REGION]
          access_key_id: ${MY_KEY_ID}         # [AWS_ACCESS_KEY_ID]     requests are SigV4-signed, unless
          secret_access_key: ${MY_SECRET}     # [AWS_SECRET_ACCESS_KEY] the provider has an api_key (a
          session_token: null                 # [AWS_SESSION_TOKEN]     Bedrock API key, sent as Bearer)
    models:                      # first matching name wins
      - name: claude-*           # exact name or glob (* ? [..])
        provider: anthropic
        upstream_model: null     # the name sent upstream [the client's]
        display_name: null       # shown by GET /v1/models [the name]
    policies:
      allow_images: true
      documents: reject          # reject | drop | text
      default_max_tokens: 4096
      thinking_budget_to_effort: {4000: low, 8000: medium, 1000000: high}
      model_allowlist: []        # globs; when non-empty, other models are refused (400)
      model_blocklist: []        # globs; these models are refused (400)

Strings may use ``${VAR}`` or ``${VAR:-default}``; ``$${`` is a literal ``${``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from interlingua.server._yaml import ConfigSyntaxError, Located, load_located
from interlingua.server.config_providers import AwsConfig, AzureConfig, Dialect
from interlingua.translate import Format, Policy

__all__ = [
    "AwsConfig",
    "AzureConfig",
    "Config",
    "ConfigError",
    "Dialect",
    "ModelRoute",
    "Policies",
    "ProviderConfig",
    "ServerConfig",
    "Timeouts",
    "default_config",
    "load_config",
    "load_config_text",
]

Effort = Literal["minimal", "low", "medium", "high", "xhigh"]
_DEFAULT_EFFORTS: dict[int, Effort] = {4000: "low", 8000: "medium", 1_000_000: "high"}


class ConfigError(ValueError):
    """The config is invalid; ``str()`` lists every problem with its field and line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=256)
    max_body_bytes: int = Field(20_000_000, ge=1)
    max_inflight: int = Field(512, ge=1)
    shutdown_grace_ms: int = Field(30_000, ge=0)
    api_keys: tuple[SecretStr, ...] = ()
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    upstream_transport: Literal["aiohttp", "httpx"] = "aiohttp"

    @field_validator("api_keys")
    @classmethod
    def _no_empty_keys(cls, keys: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        if any(not key.get_secret_value() for key in keys):
            raise ValueError("an API key is empty (is its environment variable set?)")
        return keys


class Timeouts(_Strict):
    connect_ms: int = Field(5_000, gt=0)
    read_ms: int = Field(60_000, gt=0)


class ProviderConfig(_Strict):
    name: str = Field(min_length=1)
    format: Format
    base_url: str = ""  # required except for bedrock_converse (derived from aws.region)
    api_key: SecretStr | None = None
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
        if url and not url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return url.rstrip("/")

    @model_validator(mode="after")
    def _fits_format(self) -> ProviderConfig:
        bedrock = self.format is Format.BEDROCK_CONVERSE
        if not self.base_url and not bedrock:
            raise _LocatedValueError(("base_url",), "required for this format")
        if "dialect" in self.model_fields_set and self.format is not Format.OPENAI_CHAT:
            raise _LocatedValueError(("dialect",), "only for format openai_chat (OpenAI-compatible servers)")
        if self.azure is not None and self.dialect.name != "azure":
            raise _LocatedValueError(("azure",), "only with dialect: azure")
        if self.aws is not None and not bedrock:
            raise _LocatedValueError(("aws",), "only for format bedrock_converse")
        if bedrock and self.api_key is None and not (self.aws and self.aws.has_keys):
            raise _LocatedValueError(
                ("aws",),
                "access_key_id and secret_access_key: not set (config, or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY in the environment), and no api_key (a Bedrock API key)",
            )
        return self

    @property
    def url(self) -> str:
        """The base URL, Bedrock's derived from the region when not configured."""
        if self.base_url or self.aws is None:
            return self.base_url
        return f"https://bedrock-runtime.{self.aws.region}.amazonaws.com"


class ModelRoute(_Strict):
    name: str = Field(min_length=1)
    provider: str
    upstream_model: str | None = None
    display_name: str | None = None


class Policies(_Strict):
    allow_images: bool = True
    documents: Literal["reject", "drop", "text"] = "reject"
    default_max_tokens: int = Field(4096, ge=1)
    thinking_budget_to_effort: dict[int, Effort] = Field(default_factory=lambda: dict(_DEFAULT_EFFORTS))
    model_allowlist: tuple[str, ...] = ()
    model_blocklist: tuple[str, ...] = ()

    def to_policy(self, dialect: Dialect | None = None) -> Policy:
        """The translator's :class:`~interlingua.translate.Policy` (per provider: dialects differ)."""
        return Policy(
            default_max_tokens=self.default_max_tokens,
            thinking_budget_to_effort=tuple(sorted(self.thinking_budget_to_effort.items())),
            documents=self.documents,
            allow_images=self.allow_images,
            reasoning_field=(dialect or Dialect()).reasoning,
            openai_max_tokens_field=(dialect or Dialect()).max_tokens,
        )


class Config(_Strict):
    server: ServerConfig = ServerConfig()
    providers: tuple[ProviderConfig, ...] = ()
    models: tuple[ModelRoute, ...] = ()
    policies: Policies = Policies()

    @model_validator(mode="after")
    def _references(self) -> Config:
        names = [p.name for p in self.providers]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise _LocatedValueError(("providers", i, "name"), f"duplicate provider name {name!r}")
        for i, route in enumerate(self.models):
            if route.provider not in names:
                known = ", ".join(names) or "none configured"
                raise _LocatedValueError(
                    ("models", i, "provider"), f"unknown provider {route.provider!r} (providers: {known})"
                )
        return self

    def provider(self, name: str) -> ProviderConfig:
        return next(p for p in self.providers if p.name == name)


class _LocatedValueError(ValueError):
    """A cross-field error that knows which field it is about."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


def load_config_text(text: str, env: Mapping[str, str], *, source: str = "<config>") -> Config:
    """Parse and validate YAML config text, interpolating ``${VAR}`` from ``env``."""
    try:
        located = load_located(text, env)
    except ConfigSyntaxError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    if not isinstance(located.value, dict):
        raise ConfigError(f"{source}: the config must be a mapping (server, providers, models, policies)")
    try:
        return Config.model_validate(located.value, context={"env": env})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, located, source)) from None


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return load_config_text(text, os.environ if env is None else env, source=str(path))


def _describe(exc: ValidationError, located: Located, source: str) -> str:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = tuple(error["loc"])
        message = error["msg"]
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, _LocatedValueError):
            # The path is relative to the model whose validator raised it (Config: the root).
            loc, message = (*loc, *cause.path), str(cause)
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        line = located.line_of(loc)
        where = f"line {line}: " if line is not None else ""
        problems.append(f"{source}: {where}{_dotted(loc) or '<top level>'}: {message}")
    return "\n".join(problems)


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# Model prefixes of the embedded default config (no --config).
_DEFAULT_ROUTES = (
    ("gpt-*", "openai"),
    ("o1*", "openai"),
    ("o3*", "openai"),
    ("o4*", "openai"),
    ("claude-*", "anthropic"),
    ("gemini-*", "gemini"),
)


def default_config(env: Mapping[str, str] | None = None) -> Config:
    """The embedded config: a provider per API key (or base URL) found in the environment."""
    env = os.environ if env is None else env
    providers: list[ProviderConfig] = []
    for name, fmt, key_var, url_var, url in (
        ("openai", Format.OPENAI_CHAT, "OPENAI_API_KEY", "OPENAI_BASE_URL", "https://api.openai.com/v1"),
        (
            "anthropic",
            Format.ANTHROPIC_MESSAGES,
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_BASE_URL",
            "https://api.anthropic.com",
        ),
        (
            "gemini",
            Format.GEMINI,
            "GEMINI_API_KEY",
            "GEMINI_BASE_URL",
            "https://generativelanguage.googleapis.com",
        ),
    ):
        key, base_url = env.get(key_var) or None, env.get(url_var) or None
        if key or base_url:
            providers.append(
                ProviderConfig(
                    name=name, format=fmt, base_url=base_url or url, api_key=SecretStr(key) if key else None
                )
            )
    present = {p.name for p in providers}
    models = tuple(ModelRoute(name=glob, provider=name) for glob, name in _DEFAULT_ROUTES if name in present)
    return Config(providers=tuple(providers), models=models)
