"""The generated models: they import, expose their roots, keep unknown provider fields, reject unknown IR fields."""

from __future__ import annotations

import importlib
import inspect
from types import ModuleType

import pytest
from pydantic import BaseModel, ValidationError

from interlingua.validation import model_for

PROVIDER_KINDS = {
    "openai_chat": {"request", "response", "stream_event", "error"},
    "anthropic_messages": {
        "request",
        "response",
        "stream_event",
        "error",
        "count_tokens_request",
        "count_tokens_response",
    },
}


def _module(fmt: str) -> ModuleType:
    return importlib.import_module(f"interlingua.generated.models.{fmt}")


def _models(module: ModuleType) -> list[type[BaseModel]]:
    return [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, BaseModel)
        and obj.__module__ == module.__name__
        and "root" not in obj.model_fields
    ]


def test_models_every_format_imports_and_lists_its_roots() -> None:
    package = importlib.import_module("interlingua.generated.models")
    assert {"openai_chat", "anthropic_messages"} <= set(package.FORMATS)
    for fmt in package.FORMATS:
        roots = _module(fmt).ROOTS
        assert roots, fmt
    for fmt, kinds in PROVIDER_KINDS.items():
        assert set(_module(fmt).ROOTS) == kinds


@pytest.mark.parametrize(
    ("fmt", "kind", "name"),
    [
        ("openai_chat", "request", "ChatCompletionRequest"),
        ("openai_chat", "response", "ChatCompletion"),
        ("openai_chat", "stream_event", "ChatCompletionStreamEvent"),
        ("openai_chat", "error", "ErrorResponse"),
        ("anthropic_messages", "request", "CreateMessageRequest"),
        ("anthropic_messages", "response", "Message"),
        ("anthropic_messages", "stream_event", "MessageStreamEvent"),
        ("anthropic_messages", "error", "ErrorResponse"),
        ("anthropic_messages", "count_tokens_request", "CountTokensRequest"),
        ("anthropic_messages", "count_tokens_response", "CountTokensResponse"),
    ],
)
def test_models_root_class_names_are_readable(fmt: str, kind: str, name: str) -> None:
    assert model_for(fmt, kind).__name__ == name


@pytest.mark.parametrize("fmt", sorted(PROVIDER_KINDS))
def test_models_provider_models_allow_extra_fields(fmt: str) -> None:
    models = _models(_module(fmt))
    assert models
    assert [m.__name__ for m in models if m.model_config.get("extra") != "allow"] == []


def test_models_ir_models_forbid_extra_fields() -> None:
    try:
        module = _module("ir")
    except ModuleNotFoundError:
        pytest.skip("specs/ir/ has no schema yet")
    models = _models(module)
    assert [m.__name__ for m in models if m.model_config.get("extra") != "forbid"] == []
    assert (
        importlib.import_module("interlingua.generated.models.ir_types").ROOTS.keys() == module.ROOTS.keys()
    )


def test_models_unknown_upstream_fields_survive_a_round_trip() -> None:
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 64,
        "brand_new_option": {"x": [1, 2]},
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi", "future_flag": True}]}],
    }
    parsed = model_for("anthropic_messages", "request").model_validate(body)
    assert parsed.model_dump(mode="json", exclude_unset=True, by_alias=True) == body


def test_models_base64_data_is_kept_verbatim() -> None:
    # format: byte must not become Base64Str, which would decode image and PDF data
    data = "iVBORw0KGgo="
    body = {
        "model": "m",
        "max_tokens": 1,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}
                ],
            }
        ],
    }
    parsed = model_for("anthropic_messages", "request").model_validate(body)
    assert parsed.model_dump(mode="json", exclude_unset=True, by_alias=True) == body


def test_models_nullable_finish_reason_in_stream_chunks() -> None:
    chunk = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt",
        "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}],
    }
    model_for("openai_chat", "stream_event").model_validate(chunk)
    with pytest.raises(ValidationError):
        model_for("openai_chat", "stream_event").model_validate(
            {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "done"}]}
        )


def test_models_unknown_format_or_kind_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        model_for("gemini_nope", "request")
    with pytest.raises(ValueError, match="has no 'count_tokens_request' model"):
        model_for("openai_chat", "count_tokens_request")
