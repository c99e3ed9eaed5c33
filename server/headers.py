"""Which headers cross the gateway, in each direction.

Both directions use allowlists, so hop-by-hop headers (``connection``,
``keep-alive``, ``transfer-encoding``, ``te``, ``upgrade``, ``proxy-*``) and
sensitive ones (``authorization``, ``x-api-key``, ``x-goog-api-key``, ``cookie``,
``set-cookie``, ``openai-organization``, ...) are stripped by construction, not
by a list that must keep up.

Client -> upstream (the per-format parts come from :mod:`interlingua.server.adapters`):
  - The provider's key is injected: ``Authorization: Bearer`` (OpenAI chat and
    Responses, OpenAI-compatible dialects), ``x-api-key`` (Anthropic),
    ``x-goog-api-key`` (Gemini), ``api-key`` (Azure OpenAI); Bedrock requests
    are SigV4-signed instead. The client's own credentials never go upstream
    (nor does a Gemini client's ``?key=``: upstream URLs are built, not copied).
  - Same format only: ``anthropic-version`` and ``anthropic-beta`` (Anthropic),
    ``openai-beta`` (OpenAI chat and Responses), ``x-goog-api-client`` (Gemini).
    Toward another format they are dropped by policy: their features arrive as
    body fields, which the translator maps.
  - Anthropic upstreams always get an ``anthropic-version`` (client's when same
    format, else ``2023-06-01``).
  - The provider's configured ``headers`` are added last and win.

Upstream -> client (passthrough responses): ``content-type``, ``retry-after``,
``retry-after-ms``, ``x-should-retry`` and rate-limit headers
(``x-ratelimit-*``, ``anthropic-ratelimit-*``). Translated responses carry only
the gateway's own headers plus ``retry-after``. When the gateway shows a limited key's
own rate-limit headers (:mod:`interlingua.server.limits.headers`), the upstream's are
dropped: they describe the shared upstream account, and a client would otherwise get two
values per name (which SDKs cannot read as a number).
"""

from __future__ import annotations

from collections.abc import Iterable

from interlingua.server.adapters import ANTHROPIC_VERSION, Adapter, adapter_for
from interlingua.server.config import ProviderConfig

__all__ = ["ANTHROPIC_VERSION", "OWN_RATE_LIMITS_KEY", "UpstreamHeaders", "response_headers", "without_rate_limits"]

# ctx.extras: set by the limits feature when it shows the key's own rate-limit headers.
OWN_RATE_LIMITS_KEY = "limits.own_headers"

_RESPONSE_EXACT = frozenset({"content-type", "retry-after", "retry-after-ms", "x-should-retry"})
_RESPONSE_PREFIXES = ("x-ratelimit-", "anthropic-ratelimit-")
_RESPONSE_EXACT_BYTES = frozenset(name.encode() for name in _RESPONSE_EXACT)
_RESPONSE_PREFIXES_BYTES = tuple(prefix.encode() for prefix in _RESPONSE_PREFIXES)


class UpstreamHeaders:
    """Precomputed per provider: the per-request work is copying a small dict."""

    __slots__ = ("_bases", "_configured", "_forward")

    def __init__(self, provider: ProviderConfig, adapter: Adapter | None = None) -> None:
        adapter = adapter or adapter_for(provider)
        base = {"content-type": "application/json", "accept-encoding": "identity", **adapter.static_headers}
        # One template per key of the provider's pool (routing picks the key per attempt).
        self._bases = [_with_key(base, adapter.key_header, key.get_secret_value()) for key in provider.keys]
        self._bases = self._bases or [base]
        self._forward = adapter.forward
        self._configured = {name.lower(): value for name, value in provider.headers.items()}

    def build(
        self, client_headers: Iterable[tuple[bytes, bytes]], same_format: bool, pool_index: int = 0
    ) -> dict[str, str]:
        """The upstream request's headers, with the pool's key ``pool_index`` (-1: the first)."""
        headers = self._bases[max(pool_index, 0)].copy()
        if same_format:
            forwarded: dict[str, str] = {}
            for name, value in client_headers:
                if name in self._forward:
                    key, text = name.decode("latin-1"), value.decode("latin-1")
                    # A repeated header (several anthropic-beta lines) is one comma list upstream.
                    forwarded[key] = f"{forwarded[key]},{text}" if key in forwarded else text
            headers.update(forwarded)
        if self._configured:
            headers.update(self._configured)
        return headers


def _with_key(base: dict[str, str], header: str | None, key: str) -> dict[str, str]:
    if header == "authorization":
        return {**base, "authorization": f"Bearer {key}"}
    return {**base, header: key} if header else dict(base)


def response_headers(upstream: Iterable[tuple[bytes, bytes]], rate_limits: bool = True) -> list[tuple[str, str]]:
    """The upstream's headers a client gets; ``rate_limits``: with its rate-limit headers
    (False when the gateway shows the key's own)."""
    prefixes = _RESPONSE_PREFIXES_BYTES if rate_limits else ()
    out = []
    for raw_name, raw_value in upstream:
        # Judged as bytes: only the kept ones are decoded (most of a provider's are dropped).
        name = raw_name.lower()
        if name in _RESPONSE_EXACT_BYTES or (prefixes and name.startswith(prefixes)):
            out.append((name.decode("latin-1"), raw_value.decode("latin-1")))
    return out


def without_rate_limits(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` (from :func:`response_headers`) minus the upstream's rate-limit headers."""
    return [(name, value) for name, value in headers if not name.startswith(_RESPONSE_PREFIXES)]
