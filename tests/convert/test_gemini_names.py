"""Gemini's proto3 JSON field names: every spelling at every depth, user data never renamed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from interlingua.codegen.field_names import field_table, snake_case
from interlingua.convert.gemini import camel_keys
from interlingua.translate import Format, translate_request

SPECS = Path(__file__).resolve().parents[2] / "specs" / "gemini"

USER_DATA = {"city_name": {"type": "string"}, "max_items": {"type": "integer"}}
CAMEL: dict[str, Any] = {
    "systemInstruction": {"parts": [{"text": "be brief"}]},
    "contents": [
        {
            "role": "user",
            "parts": [
                {"text": "what is this?"},
                {"inlineData": {"mimeType": "image/png", "data": "iVBORw=="}},
                {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/a.jpg"}},
            ],
        },
        {
            "role": "model",
            "parts": [
                {"functionCall": {"id": "c1", "name": "get_weather", "args": {"city_name": "Oslo"}}, "thoughtSignature": "c2ln"}
            ],
        },
        {
            "role": "user",
            "parts": [{"functionResponse": {"id": "c1", "name": "get_weather", "response": {"temp_c": 3, "wind_speed": 1}}}],
        },
    ],
    "tools": [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {"city_name": {"type": "STRING"}, "days": {"type": "ARRAY", "maxItems": "3", "items": {"type": "INTEGER"}}},
                        "propertyOrdering": ["city_name", "days"],
                        "anyOf": [{"type": "OBJECT", "minProperties": "1"}],
                    },
                },
                {"name": "lookup", "parametersJsonSchema": {"type": "object", "properties": USER_DATA}},
            ]
        }
    ],
    "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}},
    "safetySettings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}],
    "generationConfig": {
        "maxOutputTokens": 100,
        "topP": 0.9,
        "stopSequences": ["x"],
        "responseMimeType": "application/json",
        "responseJsonSchema": {"type": "object", "properties": USER_DATA},
        "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 128},
    },
}
# Keys whose value is user data: their own keys keep the client's spelling.
_DATA = frozenset({"args", "response", "parametersJsonSchema", "responseJsonSchema", "properties"})


def _snake(value: Any, parent: str = "") -> Any:
    """``value`` with every field name (not user data, not map keys) in snake_case."""
    if isinstance(value, list):
        return [_snake(item, parent) for item in value]
    if not isinstance(value, dict) or parent in _DATA - {"properties"}:
        return value
    if parent == "properties":
        return {key: _snake(item) for key, item in value.items()}
    return {snake_case(key): _snake(item, key) for key, item in value.items()}


def _alternate(value: Any, depth: int = 0) -> Any:
    """Mixed spellings: snake_case at odd depths only, as google-genai does for some fields."""
    if isinstance(value, list):
        return [_alternate(item, depth) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        keep = key in _DATA
        name = snake_case(key) if depth % 2 and key != "properties" else key
        out[name] = item if keep else _alternate(item, depth + 1)
    return out


@pytest.mark.parametrize("spell", [_snake, _alternate], ids=["snake_case", "mixed"])
def test_gemini_names_every_spelling_reads_as_camel_case(spell: Any) -> None:
    body = spell(CAMEL)
    assert body != CAMEL
    assert camel_keys(body) == CAMEL


def test_gemini_names_user_data_is_never_renamed() -> None:
    out = camel_keys(_snake(CAMEL))
    declarations = out["tools"][0]["functionDeclarations"]
    assert set(declarations[0]["parameters"]["properties"]) == {"city_name", "days"}
    assert declarations[1]["parametersJsonSchema"]["properties"] == USER_DATA
    assert out["contents"][1]["parts"][0]["functionCall"]["args"] == {"city_name": "Oslo"}
    assert out["contents"][2]["parts"][0]["functionResponse"]["response"] == {"temp_c": 3, "wind_speed": 1}


def test_gemini_names_camel_body_is_returned_untouched() -> None:
    assert camel_keys(CAMEL) is CAMEL
    body = {"contents": [{"parts": [{"inlineData": {"mime_type": "image/png", "data": "x"}}]}], "tools": CAMEL["tools"]}
    out = camel_keys(body)
    assert out["tools"] is CAMEL["tools"]  # unchanged branches are shared, never copied
    assert body["contents"][0]["parts"][0]["inlineData"] == {"mime_type": "image/png", "data": "x"}  # never edited


def test_gemini_names_unknown_field_is_renamed_but_not_entered() -> None:
    body = {"contents": [], "generationConfig": {"future_field": {"inner_key": 1}}}
    assert camel_keys(body)["generationConfig"] == {"futureField": {"inner_key": 1}}


def test_gemini_names_count_tokens_request_nested() -> None:
    body = {"generate_content_request": {"model": "models/m", "generation_config": {"max_output_tokens": 5}}}
    out = camel_keys(body, "count_tokens_request")
    assert out == {"generateContentRequest": {"model": "models/m", "generationConfig": {"maxOutputTokens": 5}}}


def test_gemini_names_table_covers_every_spec_field() -> None:
    """The table is the spec's: every field of every request type, in both spellings."""
    table, roots = field_table(SPECS)
    defs = json.loads((SPECS / "common.json").read_text())["$defs"]
    assert roots == {"request": "GenerateContentRequest", "count_tokens_request": "CountTokensRequest"}
    for name in ("Part", "Blob", "FunctionDeclaration", "GenerationConfig", "ThinkingConfig", "ToolConfig", "Schema"):
        for key in defs[name]["properties"]:
            assert table[name][key][0] == key
            assert table[name][snake_case(key)][0] == key
    assert table["Schema"]["properties"][1] == "*Schema"  # a map: keys are user data
    assert table["FunctionCall"]["args"][1] is None  # a Struct: never entered


@pytest.mark.parametrize("target", [Format.OPENAI_CHAT, Format.ANTHROPIC_MESSAGES, Format.OPENAI_RESPONSES, Format.BEDROCK_CONVERSE])
def test_gemini_names_snake_body_translates_like_camel(target: Format) -> None:
    camel = translate_request(CAMEL, source=Format.GEMINI, target=target, model="m")
    snake = translate_request(_snake(CAMEL), source=Format.GEMINI, target=target, model="m")
    assert snake.body == camel.body
    assert snake.warnings == camel.warnings
