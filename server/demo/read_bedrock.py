"""Reads (and checks, as strictly as Bedrock does) a Converse request.

Checked: ``messages`` (roles ``user``/``assistant``, content blocks of known
types, no blank ``text``), every ``toolResult`` answering a ``toolUse`` of
the previous assistant turn, ``toolConfig`` present whenever tool blocks are
(Bedrock's ValidationException), ``inferenceConfig.maxTokens``, and reasoning
signatures (only the fake's own: another provider's signature is rejected, as
Bedrock's Claude models reject a signature they did not issue). A violation
raises :class:`BadRequest`, answered as a 400 ``ValidationException``.
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
"""

from __future__ import annotations

from typing import Any

import orjson

from interlingua.server.demo.plan import Conversation
from interlingua.server.demo.read_gemini import rough_tokens
from interlingua.server.demo.read_openai import BadRequest
from interlingua.server.demo.render_bedrock import SIGNATURE

__all__ = ["read_bedrock"]

JSON = dict[str, Any]
_BLOCKS = frozenset(
    {
        "text",
        "image",
        "document",
        "video",
        "toolUse",
        "toolResult",
        "reasoningContent",
        "cachePoint",
        "guardContent",
    }
)


def _blocks(msg: JSON, i: int) -> list[JSON]:
    content = msg.get("content")
    if not isinstance(content, list) or not content:
        raise BadRequest(f"The content field in the Message object at messages.{i} is empty.")
    for j, block in enumerate(content):
        kinds = set(block) if isinstance(block, dict) else set()
        if len(kinds) != 1 or not kinds <= _BLOCKS:
            raise BadRequest(f"messages.{i}.content.{j}: a ContentBlock must set exactly one known member.")
        if "text" in block and not str(block["text"]).strip():
            raise BadRequest(
                f"The text field in the ContentBlock object at messages.{i}.content.{j} is blank. "
                "Add text to the text field, and try again."
            )
    return content


def _check_reasoning(blocks: list[JSON], i: int) -> None:
    for j, block in enumerate(blocks):
        text = (block.get("reasoningContent") or {}).get("reasoningText")
        if isinstance(text, dict) and text.get("signature") != SIGNATURE:
            raise BadRequest(f"messages.{i}.content.{j}: Invalid `signature` in `reasoningContent` block.")


def _result_text(result: JSON) -> str:
    pieces = []
    for part in result.get("content") or []:
        if "text" in part:
            pieces.append(str(part["text"]))
        elif "json" in part:
            pieces.append(orjson.dumps(part["json"]).decode())
    return "\n".join(pieces)


def _user_turn(i: int, blocks: list[JSON], pending: dict[str, str], conv: Conversation) -> None:
    results = [b["toolResult"] for b in blocks if "toolResult" in b]
    if {r.get("toolUseId") for r in results} != set(pending):
        raise BadRequest(
            f"messages.{i}: The number of toolResult blocks exceeds (or falls short of) the number of "
            "toolUse blocks of previous turn, or their toolUseIds do not match."
        )
    texts = [str(b["text"]) for b in blocks if "text" in b]
    conv.tool_result = (pending[results[-1]["toolUseId"]], _result_text(results[-1])) if results else None
    if texts or not results:
        conv.last_user_text, conv.last_text_block = "\n".join(texts), (texts[-1] if texts else "")
        conv.images_in_last_turn = sum(1 for b in blocks if "image" in b)
        conv.turns += 1
        if texts:
            conv.tool_result = None


def _read_messages(body: JSON, conv: Conversation) -> bool:
    """Reads the turns; True when any tool block occurs (which needs a toolConfig)."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest(
            "A conversation must start with a user message. Try again with a conversation that starts with a user message."
        )
    pending: dict[str, str] = {}
    uses_tools = False
    for i, msg in enumerate(messages):
        role = msg.get("role") if isinstance(msg, dict) else None
        if role not in ("user", "assistant"):
            raise BadRequest(
                f"1 validation error detected: Value '{role}' at 'messages.{i}.member.role' failed to satisfy constraint"
            )
        blocks = _blocks(msg, i)
        uses_tools |= any("toolUse" in b or "toolResult" in b for b in blocks)
        if role == "assistant":
            _check_reasoning(blocks, i)
            pending = {b["toolUse"]["toolUseId"]: b["toolUse"]["name"] for b in blocks if "toolUse" in b}
            conv.tool_result = None
        else:
            _user_turn(i, blocks, pending, conv)
            pending = {}
    return uses_tools


def _read_tools(body: JSON, conv: Conversation, uses_tools: bool) -> None:
    config = body.get("toolConfig")
    if config is None:
        if uses_tools:
            raise BadRequest(
                "The toolConfig field must be defined when using toolUse and toolResult content blocks."
            )
        return
    for i, tool in enumerate(config.get("tools") or []):
        spec = tool.get("toolSpec") if isinstance(tool, dict) else None
        if spec is None:
            continue  # cachePoint / systemTool entries
        schema = (spec.get("inputSchema") or {}).get("json")
        if not spec.get("name") or not isinstance(schema, dict):
            raise BadRequest(f"toolConfig.tools.{i}.toolSpec: name and inputSchema.json are required.")
        conv.tools.append((spec["name"], schema))
    choice = config.get("toolChoice") or {}
    if "tool" in choice:
        conv.forced_tool = choice["tool"].get("name")


def read_bedrock(body: JSON, model: str) -> Conversation:
    conv = Conversation(model=model)
    _read_tools(body, conv, _read_messages(body, conv))
    inference = body.get("inferenceConfig") or {}
    limit = inference.get("maxTokens")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise BadRequest(
            "1 validation error detected: Value at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1"
        )
    conv.max_tokens = limit
    conv.stop = list(inference.get("stopSequences") or [])
    extra = body.get("additionalModelRequestFields") or {}
    thinking = extra.get("thinking") or extra.get("reasoning_config") or {}
    conv.thinking = thinking.get("type") in ("enabled", "adaptive")
    conv.input_tokens = rough_tokens(body)
    return conv
