"""The fake model's structured output: the schema read from each format's own field, and
the minimal instance it answers with (``server/fake_upstream/structured.py``)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from interlingua.server.fake_upstream.plan import BadRequest, Conversation, make_plan
from interlingua.server.fake_upstream.structured import output_schema

NESTED: dict[str, Any] = {
    "$defs": {"Place": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
    "type": "object",
    "properties": {
        "place": {"$ref": "#/$defs/Place"},
        "unit": {"anyOf": [{"type": "null"}, {"enum": ["C", "F"]}]},
        "days": {"type": "array", "items": {"type": "integer"}, "minItems": 2},
        "kind": {"const": "forecast"},
    },
    "required": ["place", "unit", "days", "kind"],
}
EXPECTED = {"place": {"city": "Paris"}, "unit": "C", "days": [1, 1], "kind": "forecast"}


def _answer(fmt: str, body: dict[str, Any]) -> Any:
    conv = Conversation(model="m", last_user_text="weather please", output_schema=output_schema(fmt, body))
    return orjson.loads(make_plan(conv).text)


@pytest.mark.parametrize(
    ("fmt", "body"),
    [
        ("openai_chat", {"response_format": {"type": "json_schema", "json_schema": {"name": "w", "schema": NESTED}}}),
        ("openai_responses", {"text": {"format": {"type": "json_schema", "name": "w", "schema": NESTED}}}),
        ("anthropic_messages", {"output_config": {"format": {"type": "json_schema", "schema": NESTED}}}),
        ("gemini", {"generationConfig": {"responseMimeType": "application/json", "responseJsonSchema": NESTED}}),
        (
            "bedrock_converse",
            {"outputConfig": {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": {
                "name": "w", "schema": orjson.dumps(NESTED).decode()}}}}},
        ),
    ],
)
def test_each_formats_own_field_gets_the_minimal_instance(fmt: str, body: dict[str, Any]) -> None:
    assert _answer(fmt, body) == EXPECTED


def test_gemini_openapi_schema_and_json_mode() -> None:
    schema = {"type": "OBJECT", "properties": {"location": {"type": "STRING"}, "n": {"type": "INTEGER"}}}
    assert _answer("gemini", {"generationConfig": {"responseSchema": schema}}) == {"location": "Paris", "n": 1}
    assert _answer("gemini", {"generationConfig": {"responseMimeType": "application/json"}}) == {}
    assert _answer("openai_chat", {"response_format": {"type": "json_object"}}) == {}


def test_no_schema_is_plain_text_and_a_bad_bedrock_schema_is_refused() -> None:
    assert output_schema("openai_chat", {"response_format": {"type": "text"}}) is None
    with pytest.raises(BadRequest):
        output_schema("bedrock_converse", {"outputConfig": {"textFormat": {"structure": {"jsonSchema": {"schema": "{"}}}}})
