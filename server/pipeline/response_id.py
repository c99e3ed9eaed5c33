"""The upstream's id of its answer (``gen_ai.response.id``), looked for only when asked.

The relay keeps a reference to what it already has at no cost: the parsed body of a plain
answer, or the first upstream chunk of a stream (:data:`HEAD_KEY` in ``ctx.extras``). Only a
feature that wants the id (tracing) searches it, once per request, so the hot path pays a
dict store. It is the provider's id (``chatcmpl-…``, ``msg_…``, ``resp_…``, Gemini's
``responseId``), the one to quote to that provider, even where the client was shown a
translated one; Bedrock answers carry none.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from interlingua.server.pipeline.context import RequestContext

__all__ = ["HEAD_KEY", "response_id"]

HEAD_KEY = "upstream.head"

# The first "id" of a first chunk is the answer's: Chat chunks open with it, Anthropic's
# message_start and Responses' response.created carry it in their first object.
_ID = re.compile(rb'"id"\s*:\s*"([^"\\]{1,256})"')
_GEMINI_ID = re.compile(rb'"responseId"\s*:\s*"([^"\\]{1,256})"')


def response_id(ctx: RequestContext) -> str | None:
    head = ctx.extras.get(HEAD_KEY)
    if isinstance(head, dict):
        value = head.get("id", head.get("responseId"))
        return value if isinstance(value, str) else None
    if isinstance(head, bytes):
        found = _GEMINI_ID.search(head) or _ID.search(head)
        return found.group(1).decode(errors="replace") if found else None
    return None
