"""Bedrock Converse for the fake upstream: reading a request, rendering an answer.

Reading: a Converse request is checked as strictly as Bedrock checks it.

Checked: ``messages`` (roles ``user``/``assistant``, content blocks of known
types, no blank ``text``), every ``toolResult`` answering a ``toolUse`` of
the previous assistant turn, ``toolConfig`` present whenever tool blocks are
(Bedrock's ValidationException), ``inferenceConfig.maxTokens``, and reasoning
signatures (only the fake's own: another provider's signature is rejected, as
Bedrock's Claude models reject a signature they did not issue). A violation
raises :class:`BadRequest`, answered as a 400 ``ValidationException``.
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html

Rendering: a plan as Bedrock Converse wire output: the Converse JSON, or ConverseStream's
binary ``application/vnd.amazon.eventstream`` frames (``messageStart``,
``contentBlockStart``/``Delta``/``Stop``, ``messageStop``, ``metadata``),
and Bedrock's errors (``x-amzn-ErrorType`` header, ``{"message": ...}`` body;
mid-stream an exception frame).
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html

The frames are encoded by :mod:`interlingua.streams.eventstream`, next to the decoder the gateway uses.
"""

from __future__ import annotations

from typing import Any

import orjson

from interlingua.server.fake_upstream.plan import (
    ARG_PIECE,
    BadRequest,
    Conversation,
    Plan,
    make_plan,
    rough_tokens,
    split_words,
)
from interlingua.server.fake_upstream.structured import output_schema
from interlingua.streams.eventstream import encode_event, encode_exception

__all__ = [
    "bedrock_answer",
    "bedrock_error",
    "bedrock_exception_frame",
    "bedrock_json",
    "bedrock_stream",
    "read_bedrock",
]

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
    conv.output_schema = output_schema("bedrock_converse", body)
    conv.input_tokens = rough_tokens(body)
    return conv


SIGNATURE = "ZGVtby1iZWRyb2NrLXNpZ25hdHVyZQ=="
STOP_REASONS = {
    "end": "end_turn",
    "stop_sequence": "stop_sequence",
    "tool": "tool_use",
    "max_tokens": "max_tokens",
}
ERROR_TYPES = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}


def bedrock_exception_frame(status: int, message: str) -> bytes:
    kind = ERROR_TYPES.get(status, "InternalServerException")
    kind = "modelStreamErrorException" if status >= 500 else kind[0].lower() + kind[1:]
    return encode_exception(kind, message)


def _content(plan: Plan, rid: str) -> list[JSON]:
    blocks: list[JSON] = []
    if plan.thinking:
        blocks.append(
            {"reasoningContent": {"reasoningText": {"text": plan.thinking, "signature": SIGNATURE}}}
        )
    if plan.text or not plan.tool_calls:
        blocks.append({"text": plan.text})
    for i, call in enumerate(plan.tool_calls):
        use = {"toolUseId": f"tooluse_{rid}_{i}", "name": call.name, "input": orjson.loads(call.arguments)}
        blocks.append({"toolUse": use})
    return blocks


def _usage(plan: Plan) -> JSON:
    return {
        "inputTokens": plan.input_tokens,
        "outputTokens": plan.output_tokens,
        "totalTokens": plan.input_tokens + plan.output_tokens,
    }


def bedrock_json(plan: Plan, rid: str) -> JSON:
    return {
        "output": {"message": {"role": "assistant", "content": _content(plan, rid)}},
        "stopReason": STOP_REASONS[plan.stop],
        "usage": _usage(plan),
        "metrics": {"latencyMs": 1},
    }


def _block_events(index: int, block: JSON, plan: Plan) -> list[tuple[str, JSON]]:
    at: JSON = {"contentBlockIndex": index}
    events: list[tuple[str, JSON]] = []
    if "reasoningContent" in block:
        deltas: list[JSON] = [{"reasoningContent": {"text": w}} for w in split_words(plan.thinking)]
        deltas.append({"reasoningContent": {"signature": SIGNATURE}})
    elif "text" in block:
        deltas = [{"text": w} for w in split_words(block["text"])]
    else:
        use = block["toolUse"]
        events.append(
            (
                "contentBlockStart",
                {**at, "start": {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}},
            )
        )
        args = orjson.dumps(use["input"]).decode()
        deltas = [{"toolUse": {"input": args[i : i + ARG_PIECE]}} for i in range(0, len(args), ARG_PIECE)]
    events += [("contentBlockDelta", {**at, "delta": d}) for d in deltas]
    events.append(("contentBlockStop", at))
    return events


def bedrock_stream(plan: Plan, rid: str) -> list[bytes]:
    events: list[tuple[str, JSON]] = [("messageStart", {"role": "assistant"})]
    for index, block in enumerate(_content(plan, rid)):
        events += _block_events(index, block, plan)
    events.append(("messageStop", {"stopReason": STOP_REASONS[plan.stop]}))
    events.append(("metadata", {"usage": _usage(plan), "metrics": {"latencyMs": 1}}))
    return [encode_event(kind, {**payload, "p": "abcdef"}) for kind, payload in events]


def bedrock_error(status: int, message: str) -> tuple[JSON, dict[str, str]]:
    """(body, headers) of a Bedrock error answer."""
    kind = ERROR_TYPES.get(status, "InternalServerException")
    headers = {"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"}
    return {"message": message}, headers


def bedrock_answer(body: JSON, model: str, method: str, rid: str) -> Any:
    """``/model/{model}/converse`` (JSON) or ``converse-stream`` (event-stream frames)."""
    if method not in ("converse", "converse-stream"):
        raise BadRequest(f"Unknown operation {method!r}.")
    plan = make_plan(read_bedrock(body, model))
    return bedrock_stream(plan, rid) if method == "converse-stream" else bedrock_json(plan, rid)
