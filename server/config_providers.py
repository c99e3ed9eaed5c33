"""Provider options of the config: OpenAI-compatible dialects, Azure OpenAI, AWS (Bedrock).

Split from :mod:`interlingua.server.config` (which documents every key) to keep modules small.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, model_validator

__all__ = ["AwsConfig", "AzureConfig", "Dialect", "DialectName", "MaxTokensField"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class Dialect(_Strict):
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


class AzureConfig(_Strict):
    api_version: str = Field("2024-10-21", min_length=1)
    deployment: str | None = None  # [the route's upstream model]


def _env(info: ValidationInfo) -> Mapping[str, str]:
    context = info.context
    env = context.get("env") if isinstance(context, dict) else None
    return env if isinstance(env, Mapping) else os.environ


class AwsConfig(_Strict):
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
