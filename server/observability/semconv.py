"""OpenTelemetry GenAI semantic-convention names in one table (metrics and span attributes).

The GenAI conventions are still *Development* (``open-telemetry/semantic-conventions-genai``);
an unreleased change replaces ``gen_ai.client.token.usage`` with counters. Every name the
gateway emits is here, so following the convention is an edit of this module only.

Prometheus names are the OTel names with dots as underscores and the unit appended
(``gen_ai.server.request.duration`` in ``s`` -> ``gen_ai_server_request_duration_seconds``),
as the OTel Prometheus exporter writes them; labels are the attribute names the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interlingua.translate import Format

__all__ = [
    "ATTR",
    "DURATION_BUCKETS",
    "INSTRUMENTS",
    "TOKEN_BUCKETS",
    "TPOT_BUCKETS",
    "TTFT_BUCKETS",
    "Instrument",
    "label",
    "operation_name",
    "provider_name",
    "request_params",
]

TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
TPOT_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5)

# Span and metric attributes (semconv keys).
ATTR = {
    "operation": "gen_ai.operation.name",
    "provider": "gen_ai.provider.name",
    "request_model": "gen_ai.request.model",
    "response_model": "gen_ai.response.model",
    "response_id": "gen_ai.response.id",
    "finish_reasons": "gen_ai.response.finish_reasons",
    "max_tokens": "gen_ai.request.max_tokens",
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "stream": "gen_ai.request.stream",
    "token_type": "gen_ai.token.type",
    "input_tokens": "gen_ai.usage.input_tokens",
    "output_tokens": "gen_ai.usage.output_tokens",
    "cache_read_tokens": "gen_ai.usage.cache_read.input_tokens",
    "cache_creation_tokens": "gen_ai.usage.cache_creation.input_tokens",
    "reasoning_tokens": "gen_ai.usage.reasoning.output_tokens",
    "ttfc": "gen_ai.response.time_to_first_chunk",
    "input_messages": "gen_ai.input.messages",
    "output_messages": "gen_ai.output.messages",
    "error_type": "error.type",
    "server_address": "server.address",
    "server_port": "server.port",
}


def label(attribute: str) -> str:
    """The Prometheus label name of a semconv attribute (``gen_ai.token.type`` -> ``gen_ai_token_type``)."""
    return attribute.replace(".", "_")


@dataclass(frozen=True, slots=True)
class Instrument:
    name: str  # Prometheus name (OTel name, dots to underscores, unit suffix)
    otel_name: str
    description: str
    buckets: tuple[float, ...]
    labels: tuple[str, ...]


_OP_LABELS = (ATTR["operation"], ATTR["provider"], ATTR["request_model"], ATTR["response_model"])

INSTRUMENTS = {
    "token_usage": Instrument(
        "gen_ai_client_token_usage",
        "gen_ai.client.token.usage",
        "Tokens per upstream call, as the upstream reported them (input includes cache reads and writes)",
        TOKEN_BUCKETS,
        (*_OP_LABELS, ATTR["token_type"]),
    ),
    "duration": Instrument(
        "gen_ai_server_request_duration_seconds",
        "gen_ai.server.request.duration",
        "Time from receiving a request to its last byte",
        DURATION_BUCKETS,
        (*_OP_LABELS, ATTR["error_type"]),
    ),
    "ttft": Instrument(
        "gen_ai_server_time_to_first_token_seconds",
        "gen_ai.server.time_to_first_token",
        "Time from receiving a streamed request to its first answer bytes (successful streams)",
        TTFT_BUCKETS,
        _OP_LABELS,
    ),
    "tpot": Instrument(
        "gen_ai_server_time_per_output_token_seconds",
        "gen_ai.server.time_per_output_token",
        "(duration - time to first token) / (output tokens - 1), successful streams",
        TPOT_BUCKETS,
        _OP_LABELS,
    ),
}

# gen_ai.provider.name per upstream format; OpenAI-compatible dialects name their own service.
_PROVIDERS = {
    Format.OPENAI_CHAT: "openai",
    Format.OPENAI_RESPONSES: "openai",
    Format.ANTHROPIC_MESSAGES: "anthropic",
    Format.GEMINI: "gcp.gemini",
    Format.BEDROCK_CONVERSE: "aws.bedrock",
}
_DIALECT_PROVIDERS = {
    "azure": "azure.ai.openai",
    "deepseek": "deepseek",
    "kimi": "moonshot_ai",
    "openrouter": "openrouter",
    "vllm": "vllm",
    "ollama": "ollama",
}


def provider_name(fmt: Format, dialect: str = "openai") -> str:
    """``gen_ai.provider.name`` of an upstream (well-known values where the convention has one)."""
    if fmt is Format.OPENAI_CHAT and dialect in _DIALECT_PROVIDERS:
        return _DIALECT_PROVIDERS[dialect]
    return _PROVIDERS[fmt]


# Where each client format keeps the request parameters semconv names (first path found wins).
_PARAMS: dict[Format, dict[str, tuple[tuple[str, ...], ...]]] = {
    Format.OPENAI_CHAT: {
        "max_tokens": (("max_completion_tokens",), ("max_tokens",)),
        "temperature": (("temperature",),),
        "top_p": (("top_p",),),
    },
    Format.OPENAI_RESPONSES: {
        "max_tokens": (("max_output_tokens",),),
        "temperature": (("temperature",),),
        "top_p": (("top_p",),),
    },
    Format.ANTHROPIC_MESSAGES: {
        "max_tokens": (("max_tokens",),),
        "temperature": (("temperature",),),
        "top_p": (("top_p",),),
    },
    Format.GEMINI: {
        "max_tokens": (("generationConfig", "maxOutputTokens"), ("generation_config", "max_output_tokens")),
        "temperature": (("generationConfig", "temperature"), ("generation_config", "temperature")),
        "top_p": (("generationConfig", "topP"), ("generation_config", "top_p")),
    },
    Format.BEDROCK_CONVERSE: {
        "max_tokens": (("inferenceConfig", "maxTokens"),),
        "temperature": (("inferenceConfig", "temperature"),),
        "top_p": (("inferenceConfig", "topP"),),
    },
}


def _lookup(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = body
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def request_params(fmt: Format, body: dict[str, Any]) -> dict[str, int | float]:
    """``gen_ai.request.max_tokens`` / ``temperature`` / ``top_p`` as the client sent them."""
    out: dict[str, int | float] = {}
    for name, paths in _PARAMS[fmt].items():
        for path in paths:
            value = _lookup(body, path)
            if type(value) in (int, float):
                out[ATTR[name]] = value
                break
    return out


def operation_name(upstream: Format) -> str:
    """``gen_ai.operation.name`` of a generation call to an upstream of this format."""
    return "generate_content" if upstream is Format.GEMINI else "chat"
