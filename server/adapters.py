"""Upstream adapters: per upstream format (and OpenAI-compatible dialect), the few things
that differ between providers once the body is in their format.

An adapter answers: which URL an operation goes to (some formats put the model and the
stream flag in the URL), how the provider's key is sent, which client headers may be
forwarded to a same-format upstream, what a translated body still needs (model, stream
flags), whether requests are signed, and where the error type lives. Everything else
(pooling, timeouts, relaying) is shared in :mod:`interlingua.server.upstream`.

==================  ====================================================  ==================
adapter             URL (``{base}`` = provider base URL)                  key
==================  ====================================================  ==================
openai_chat         ``{base}/chat/completions``                           Bearer
  dialect azure     ``{base}/openai/deployments/{deployment}/chat/         ``api-key``
                    completions?api-version={azure.api_version}``
anthropic_messages  ``{base}/v1/messages``, ``/v1/messages/count_tokens``  ``x-api-key``
openai_responses    ``{base}/responses``, ``/responses/input_tokens``      Bearer
gemini              ``{base}/v1beta/models/{model}:generateContent``,     ``x-goog-api-key``
                    ``:streamGenerateContent?alt=sse``, ``:countTokens``
bedrock_converse    ``{base}/model/{modelId}/converse``,                  SigV4 (``aws``)
                    ``/converse-stream``, ``/count-tokens``
==================  ====================================================  ==================

URLs are built once per (operation, model, stream mode) and cached: the hot path is a
dict lookup. A model name in a URL is one percent-encoded path segment (every reserved
character escaped) and never a dot segment: see :func:`path_segment`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import httpx
import orjson

from interlingua.errors import InvalidRequest
from interlingua.server.config import ProviderConfig
from interlingua.translate import Format

if TYPE_CHECKING:
    from botocore.credentials import ReadOnlyCredentials

__all__ = ["ANTHROPIC_VERSION", "Adapter", "adapter_for", "path_segment", "refuse_dot_segment"]

ANTHROPIC_VERSION = "2023-06-01"
_URL_CACHE_LIMIT = 1024


def path_segment(name: str) -> str:
    """``name`` (a client-chosen model name) as one URL path segment that cannot move the path.

    Every character outside RFC 3986's unreserved set is escaped (``/``, ``?``, ``#``, ``:``,
    ``%``...), so the name stays inside its segment. Unreserved characters are never
    escaped, so ``.`` and ``..`` would still be dot segments, which URL libraries resolve
    (httpx turns ``/model/../converse`` into ``/converse``): such names are refused (and
    the empty name, which would leave an empty segment).
    """
    refuse_dot_segment(name)
    return quote(name, safe="")


def refuse_dot_segment(name: str) -> None:
    """Raises 400 (``param: model``) for a model name that is empty, ``.`` or ``..``."""
    if name in ("", ".", ".."):
        raise InvalidRequest(
            f"model name {name!r} is not valid here (an empty or dot path segment)",
            param="model",
            code="invalid_model",
        )


class Adapter:
    """Defaults: model and stream flag in the body, one fixed URL per operation, Bearer key."""

    format: ClassVar[Format]
    paths: ClassVar[Mapping[str, str]] = {}
    # Header carrying the provider's key ("authorization" means "Bearer <key>"; None: signed).
    key_header: str | None = "authorization"
    # Client headers forwarded only to an upstream of the client's own format.
    forward: ClassVar[tuple[bytes, ...]] = ()
    static_headers: ClassVar[Mapping[str, str]] = {}
    # The URL depends on the model (Gemini, Bedrock; Azure's deployment may follow it).
    url_per_model: ClassVar[bool] = False
    signed: bool = False

    def __init__(self, provider: ProviderConfig) -> None:
        self.provider = provider
        self.base = provider.url
        self._urls: dict[tuple[str, str, bool, bool], httpx.URL] = {}

    def url(self, op: str, model: str, stream: bool, sse: bool = True) -> httpx.URL:
        key = (op, model if self.url_per_model else "", stream, sse)
        found = self._urls.get(key)
        if found is None:
            found = httpx.URL(self.build_url(op, model, stream, sse))
            if len(self._urls) < _URL_CACHE_LIMIT:
                self._urls[key] = found
        return found

    def build_url(self, op: str, model: str, stream: bool, sse: bool) -> str:
        return self.base + self.paths[op]

    def prepare(self, body: dict[str, Any], model: str, stream: bool) -> dict[str, Any]:
        """A translated body made ready to send: the upstream model and stream flag set."""
        body["model"] = model
        if stream:
            body["stream"] = True
        else:
            body.pop("stream", None)
        return body

    def sign(self, url: httpx.URL, headers: dict[str, str], body: bytes) -> None:
        """Signed formats add their signature headers here."""

    def error_body(self, data: bytes, headers: httpx.Headers) -> bytes:
        """The error body :func:`~interlingua.translate.parse_error` should read."""
        return data


class OpenAIChat(Adapter):
    format = Format.OPENAI_CHAT
    paths = {"generate": "/chat/completions"}
    forward = (b"openai-beta",)

    def prepare(self, body: dict[str, Any], model: str, stream: bool) -> dict[str, Any]:
        body = super().prepare(body, model, stream)
        if stream:
            # Usage arrives in OpenAI streams only when asked for; other clients always get it.
            options = body.get("stream_options")
            body["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}
        return body


class AzureOpenAI(OpenAIChat):
    """Azure OpenAI: the deployment is in the path, the API version in the query."""

    key_header = "api-key"
    url_per_model = True

    def build_url(self, op: str, model: str, stream: bool, sse: bool) -> str:
        azure = self.provider.azure
        deployment = (azure.deployment if azure else None) or model
        version = azure.api_version if azure else "2024-10-21"
        return (
            f"{self.base}/openai/deployments/{path_segment(deployment)}/chat/completions"
            f"?api-version={quote(version, safe='')}"
        )


class AnthropicMessages(Adapter):
    format = Format.ANTHROPIC_MESSAGES
    paths = {"generate": "/v1/messages", "count_tokens": "/v1/messages/count_tokens"}
    key_header = "x-api-key"
    forward = (b"anthropic-version", b"anthropic-beta")
    static_headers = {"anthropic-version": ANTHROPIC_VERSION}


class OpenAIResponses(Adapter):
    format = Format.OPENAI_RESPONSES
    paths = {"generate": "/responses", "count_tokens": "/responses/input_tokens"}
    forward = (b"openai-beta",)


class Gemini(Adapter):
    """Gemini: model and stream mode in the URL; the body has neither."""

    format = Format.GEMINI
    paths = {"generate": "", "count_tokens": ""}
    key_header = "x-goog-api-key"
    forward = (b"x-goog-api-client",)
    url_per_model = True

    def build_url(self, op: str, model: str, stream: bool, sse: bool) -> str:
        prefix = f"{self.base}/v1beta/models/{path_segment(model)}"
        if op == "count_tokens":
            return f"{prefix}:countTokens"
        if not stream:
            return f"{prefix}:generateContent"
        # Without alt=sse Gemini streams one JSON array (only same-format clients ask for that).
        return f"{prefix}:streamGenerateContent" + ("?alt=sse" if sse else "")

    def prepare(self, body: dict[str, Any], model: str, stream: bool) -> dict[str, Any]:
        body.pop("model", None)
        body.pop("stream", None)
        return body


class BedrockConverse(Adapter):
    """Bedrock Converse: model id in the path (URL-encoded: ids contain ':' and ARNs '/'),
    requests signed with SigV4 (:func:`interlingua.aws_sigv4.sign`, botocore's signer) or
    sent with a Bedrock API key, the error type in the ``x-amzn-ErrorType`` header."""

    format = Format.BEDROCK_CONVERSE
    paths = {"generate": ""}
    key_header = None
    url_per_model = True
    signed = True

    def __init__(self, provider: ProviderConfig) -> None:
        super().__init__(provider)
        aws = provider.aws
        assert aws is not None  # the config gives every Bedrock provider one
        self._region = aws.region
        self._credentials: ReadOnlyCredentials | None = None
        if provider.keys:
            # A Bedrock API key is a Bearer token, and then requests are not signed.
            self.key_header, self.signed = "authorization", False
        elif aws.access_key_id and aws.secret_access_key:
            token = aws.session_token.get_secret_value() if aws.session_token else None
            secret = aws.secret_access_key.get_secret_value()
            # botocore (~5 MB) is imported only by gateways with a signed Bedrock upstream.
            from botocore.credentials import ReadOnlyCredentials

            self._credentials = ReadOnlyCredentials(aws.access_key_id, secret, token)

    def build_url(self, op: str, model: str, stream: bool, sse: bool) -> str:
        if op == "count_tokens":
            return f"{self.base}/model/{path_segment(model)}/count-tokens"
        return f"{self.base}/model/{path_segment(model)}/" + ("converse-stream" if stream else "converse")

    def prepare(self, body: dict[str, Any], model: str, stream: bool) -> dict[str, Any]:
        for key in ("modelId", "model", "stream"):
            body.pop(key, None)
        return body

    def sign(self, url: httpx.URL, headers: dict[str, str], body: bytes) -> None:
        assert self._credentials is not None  # signed only when the config had credentials
        from interlingua.aws_sigv4 import sign

        headers.update(sign("POST", str(url), headers, body, self._region, self._credentials))

    def error_body(self, data: bytes, headers: httpx.Headers) -> bytes:
        # "ThrottlingException:http://internal.amazon.com/..." -> "ThrottlingException", as __type.
        kind = headers.get("x-amzn-errortype", "").split(":", 1)[0]
        if not kind:
            return data
        try:
            parsed = orjson.loads(data) if data else {}
        except orjson.JSONDecodeError:
            parsed = {"message": data.decode("utf-8", "replace")[:500]}
        if isinstance(parsed, dict) and "__type" not in parsed:
            return orjson.dumps({"__type": kind, **parsed})
        return data


_ADAPTERS: dict[Format, type[Adapter]] = {
    cls.format: cls for cls in (OpenAIChat, AnthropicMessages, OpenAIResponses, Gemini, BedrockConverse)
}
_DIALECTS: dict[str, type[Adapter]] = {"azure": AzureOpenAI}


def adapter_for(provider: ProviderConfig) -> Adapter:
    """The adapter of a provider's format (OpenAI chat: of its dialect)."""
    if provider.format is Format.OPENAI_CHAT and provider.dialect.name in _DIALECTS:
        return _DIALECTS[provider.dialect.name](provider)
    return _ADAPTERS[provider.format](provider)
