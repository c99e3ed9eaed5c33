"""Print the request bodies the importable google-genai builds, as JSON (run in a subprocess).

Run with ``PYTHONPATH`` naming another google-genai major installed with ``--target`` (see
``nox -s genai-majors``): the SDK's own serialiser (``models._*Parameters_to_mldev``, what
``generate_content`` and ``count_tokens`` call) turns typed configs into the bodies it would
send. Only the SDK's request-building path runs; nothing is sent.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from google import genai
from google.genai import _common, models, types
from google.genai._api_client import BaseApiClient

__all__ = ["PNG", "typed_request"]

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==")


def _wire(body: dict[str, Any]) -> dict[str, Any]:
    for key in ("_url", "_query", "config"):
        body.pop(key, None)
    out: dict[str, Any] = _common.encode_unserializable_types(_common.convert_to_dict(body))
    return out


def typed_request() -> tuple[list[types.Content], types.GenerateContentConfig]:
    """Contents with an image, and a typed config the SDK serialises with snake_case inside
    camelCase (``thinking_config``, ``parameters_json_schema``): what every test sends."""
    contents = [
        types.Content(
            role="user",
            parts=[types.Part.from_text(text="what is this?"), types.Part.from_bytes(data=PNG, mime_type="image/png")],
        )
    ]
    config = types.GenerateContentConfig(
        system_instruction="answer briefly",
        max_output_tokens=2000,
        thinking_config=types.ThinkingConfig(include_thoughts=True, thinking_budget=1024),
        tools=[
            types.Tool(
                function_declarations=[
                    types.FunctionDeclaration(
                        name="describe",
                        parameters_json_schema={"type": "object", "properties": {"colour_name": {"type": "string"}}},
                    )
                ]
            )
        ],
        tool_config=types.ToolConfig(function_calling_config=types.FunctionCallingConfig(mode="AUTO")),
    )
    return contents, config


def main() -> None:
    api = BaseApiClient(api_key="x")
    contents, config = typed_request()
    generate = types._GenerateContentParameters(model="m", contents=contents, config=config)
    count = types._CountTokensParameters(model="m", contents=contents)
    bodies = {
        "generateContent": _wire(models._GenerateContentParameters_to_mldev(api, generate, None, generate)),
        "countTokens": _wire(models._CountTokensParameters_to_mldev(api, count, None, count)),
    }
    print(json.dumps({"version": genai.__version__, "bodies": bodies}))


if __name__ == "__main__":
    main()
