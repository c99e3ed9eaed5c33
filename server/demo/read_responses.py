"""Reads (and checks, as strictly as OpenAI does) a Responses API request.

Checked: ``model``, ``input`` (a string or items: messages with roles
``user``/``assistant``/``system``/``developer``, ``function_call``,
``function_call_output`` answering an earlier ``call_id``, ``reasoning``
items whose ``encrypted_content`` this fake issued), function tools
(``namespace`` tools are flattened as the real API does for Codex), and
``previous_response_id`` (the fake is stateless: always 400 not found).
https://platform.openai.com/docs/api-reference/responses/create
"""

from __future__ import annotations

from typing import Any

from interlingua.server.demo.plan import Conversation
from interlingua.server.demo.read_gemini import rough_tokens
from interlingua.server.demo.read_openai import BadRequest

__all__ = ["ENCRYPTED_PREFIX", "read_responses"]

JSON = dict[str, Any]
ENCRYPTED_PREFIX = "gAAAAdemo"
_ROLES = frozenset({"user", "assistant", "system", "developer"})
_CONTENT_TYPES = frozenset(
    {"input_text", "input_image", "input_file", "output_text", "refusal", "input_audio"}
)


def _message(item: JSON, where: str) -> tuple[str, str, int]:
    """(all text, last text part, images) of a message item."""
    if item.get("role") not in _ROLES:
        raise BadRequest(
            f"Invalid value: {item.get('role')!r}. Supported values are: {sorted(_ROLES)}.", f"{where}.role"
        )
    content = item.get("content")
    if isinstance(content, str):
        return content, content, 0
    if not isinstance(content, list):
        raise BadRequest(
            f"Invalid type for '{where}.content': expected a string or an array.", f"{where}.content"
        )
    texts, images = [], 0
    for i, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in _CONTENT_TYPES:
            raise BadRequest(f"Invalid value: {kind!r}.", f"{where}.content[{i}].type")
        if kind in ("input_text", "output_text"):
            texts.append(str(part.get("text", "")))
        images += kind == "input_image"
    return "\n".join(texts), (texts[-1] if texts else ""), images


def _item(item: JSON, i: int, calls: dict[str, str], conv: Conversation) -> None:
    where = f"input[{i}]"
    kind = item.get("type", "message")
    if kind == "message":
        text, last, images = _message(item, where)
        conv.tool_result = None
        if item["role"] == "user":
            conv.last_user_text, conv.last_text_block, conv.images_in_last_turn = text, last, images
            conv.turns += 1
    elif kind == "function_call":
        if not item.get("call_id") or not isinstance(item.get("name"), str):
            raise BadRequest(f"Missing required parameter: '{where}.call_id'.", f"{where}.call_id")
        calls[item["call_id"]] = item["name"]
        conv.tool_result = None
    elif kind == "function_call_output":
        call_id = item.get("call_id")
        if call_id not in calls:
            raise BadRequest(
                f"No tool call found for function call output with call_id {call_id}.", f"{where}"
            )
        output = item.get("output")
        conv.tool_result = (calls[call_id], output if isinstance(output, str) else str(output))
    elif kind == "reasoning":
        blob = item.get("encrypted_content")
        if blob is not None and not str(blob).startswith(ENCRYPTED_PREFIX):
            raise BadRequest(
                "The encrypted content for item could not be verified. Reason: Encrypted content could not be decrypted or parsed.",
                f"{where}.encrypted_content",
            )
    elif kind not in ("item_reference", "custom_tool_call", "custom_tool_call_output"):
        raise BadRequest(f"Invalid value: {kind!r}.", f"{where}.type")


def _read_input(body: JSON, conv: Conversation) -> None:
    items = body.get("input")
    if isinstance(items, str):
        conv.last_user_text = conv.last_text_block = items
        conv.turns = 1
        return
    if not isinstance(items, list) or not items:
        raise BadRequest("Missing required parameter: 'input'.", "input")
    calls: dict[str, str] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadRequest(f"Invalid type for 'input[{i}]': expected an object.", f"input[{i}]")
        _item(item, i, calls, conv)


def _functions(tools: list[Any]) -> list[JSON]:
    out: list[JSON] = []
    for tool in tools:
        if isinstance(tool, dict) and tool.get("type") == "namespace":
            out += _functions(tool.get("tools") or [])
        elif isinstance(tool, dict) and tool.get("type") == "function":
            out.append(tool)
    return out


def _read_tools(body: JSON, conv: Conversation) -> None:
    for i, tool in enumerate(_functions(body.get("tools") or [])):
        if not isinstance(tool.get("name"), str):
            raise BadRequest(f"Missing required parameter: 'tools[{i}].name'.", f"tools[{i}].name")
        conv.tools.append((tool["name"], tool.get("parameters") or {}))
    choice = body.get("tool_choice")
    conv.tools_disabled = choice == "none"
    if isinstance(choice, dict) and choice.get("type") == "function":
        conv.forced_tool = choice.get("name")
    conv.parallel_allowed = body.get("parallel_tool_calls", True) is not False


def read_responses(body: JSON) -> Conversation:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequest("Missing required parameter: 'model'.", "model")
    if body.get("previous_response_id"):
        raise BadRequest(
            f"Previous response with id '{body['previous_response_id']}' not found.", "previous_response_id"
        )
    conv = Conversation(model=model)
    _read_input(body, conv)
    _read_tools(body, conv)
    effort = (body.get("reasoning") or {}).get("effort")
    conv.thinking = bool(body.get("reasoning")) and effort != "none"
    limit = body.get("max_output_tokens")
    if limit is not None and (not isinstance(limit, int) or limit < 16):
        raise BadRequest("Invalid 'max_output_tokens': integer below minimum value 16.", "max_output_tokens")
    conv.max_tokens = limit
    conv.input_tokens = rough_tokens(body)
    return conv
