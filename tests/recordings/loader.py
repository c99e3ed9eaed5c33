"""Real provider traffic from ``<repo>/../shared/reference/recordings`` as test items.

Decodes the three recording shapes described in that folder's README (section 3):

- VCR cassettes (``*.yaml``): pydantic-ai stores JSON bodies parsed
  (``parsed_body``) and streams as ``body.string``; simonw/llm-* store the
  request as a JSON string and the response gzipped (``!!binary``).
- vercel-ai fixtures: ``*.json`` one response body, ``*.chunks.txt`` one
  ``data:`` payload per line (event names dropped; rebuilt here).
- anthropic-sdk-python fixtures (``*.txt``): raw ``text/event-stream`` bodies.

Only OpenAI Chat Completions and Anthropic Messages traffic is kept; the format
of each interaction is read from its URI (a cassette may mix hosts).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

import orjson
import yaml
from conformance.corpus import REPO_ROOT
from conformance.sse import chunks_to_sse
from streams.bedrock_frames import encode_jsonl

from interlingua.translate import Format

__all__ = ["RECORDINGS", "Item", "load_items"]

RECORDINGS = REPO_ROOT.parent / "shared" / "reference" / "recordings"

Kind = Literal["request", "response", "stream", "error"]


@dataclass(frozen=True)
class Item:
    """One body of real traffic: a request, a response, a stream or an error response."""

    file: str  # relative to RECORDINGS
    index: int  # interaction number (0 for body-only fixtures)
    kind: Kind
    fmt: Format
    body: Any  # dict for request/response, bytes for stream/error
    status: int = 200

    @property
    def id(self) -> str:
        return f"{self.file}#{self.index}-{self.kind}"


def load_items() -> list[Item]:
    """Every OpenAI Chat / Anthropic Messages body in the recordings folder (empty if it is absent)."""
    if not RECORDINGS.is_dir():
        return []
    items: list[Item] = []
    for path in sorted(RECORDINGS.rglob("*")):
        rel = path.relative_to(RECORDINGS).as_posix()
        if path.suffix == ".yaml":
            items.extend(_cassette(rel, path))
        elif rel.startswith("vercel-ai/"):
            items.extend(_vercel(rel, path))
        elif rel.startswith("anthropic-sdk-python/") and path.suffix == ".txt":
            # the files lost the blank line that dispatches their last event
            raw = path.read_bytes().rstrip(b"\n") + b"\n\n"
            items.append(Item(rel, 0, "stream", Format.ANTHROPIC_MESSAGES, raw))
    return items


def _format_of(uri: str) -> Format | None:
    url = urlparse(uri)
    if url.hostname == "api.anthropic.com" and url.path.rstrip("/") == "/v1/messages":
        return Format.ANTHROPIC_MESSAGES
    if url.path.rstrip("/").endswith("/chat/completions"):
        return Format.OPENAI_CHAT
    if url.path.rstrip("/").endswith("/v1/responses"):
        return Format.OPENAI_RESPONSES
    if (url.hostname or "").startswith("bedrock-runtime.") and url.path.endswith(("/converse", "/converse-stream")):
        return Format.BEDROCK_CONVERSE
    if url.hostname == "generativelanguage.googleapis.com" and url.path.endswith(
        (":generateContent", ":streamGenerateContent")
    ):
        return Format.GEMINI
    return None


def _cassette(rel: str, path: Path) -> Iterator[Item]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    for n, interaction in enumerate(data.get("interactions", [])):
        request, response = interaction["request"], interaction["response"]
        fmt = _format_of(request["uri"])
        if fmt is None:
            continue
        request_body = _body(request)
        if isinstance(request_body, bytes):
            request_body = orjson.loads(request_body)
        if fmt is Format.BEDROCK_CONVERSE:  # the model id is in the URL; boto3's parameters name it modelId
            request_body = {"modelId": unquote(urlparse(request["uri"]).path.split("/")[2]), **request_body}
        if fmt is Format.GEMINI:  # the model is in the URL; the body may name it too (GenerateContentRequest.model)
            model = urlparse(request["uri"]).path.split("/models/", 1)[-1].split(":", 1)[0]
            request_body = {"model": f"models/{model}", **request_body}
        yield Item(rel, n, "request", fmt, request_body)
        status = int(response["status"]["code"])
        body = _body(response)
        if status >= 400:
            yield Item(rel, n, "error", fmt, body if isinstance(body, bytes) else orjson.dumps(body), status)
        elif isinstance(body, bytes) and fmt is Format.GEMINI and body.lstrip().startswith(b"["):
            # streamGenerateContent without alt=sse answers one JSON array of chunks (llm-gemini
            # asks for that); the gateway always asks upstreams for SSE, so it is replayed as SSE.
            chunks = [orjson.dumps(chunk).decode() for chunk in orjson.loads(body)]
            yield Item(rel, n, "stream", fmt, chunks_to_sse(chunks, named=False, done=False), status)
        elif isinstance(body, bytes):
            yield Item(rel, n, "stream", fmt, body, status)
        else:
            yield Item(rel, n, "response", fmt, body, status)


def _body(message: dict[str, Any]) -> Any:
    """A parsed JSON body (dict), or the raw bytes (streams, error pages)."""
    if "parsed_body" in message:
        return message["parsed_body"]
    body = message.get("body")
    value = body.get("string", b"") if isinstance(body, dict) else body
    raw: bytes = value.encode("utf-8") if isinstance(value, str) else bytes(value or b"")
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    stripped = raw.lstrip()
    if stripped.startswith(b"{") and b"\ndata:" not in raw:
        return orjson.loads(raw)
    return raw


def _vercel(rel: str, path: Path) -> Iterator[Item]:
    if "/anthropic/" in rel:
        fmt = Format.ANTHROPIC_MESSAGES
    elif "/openai/src/chat/" in rel:
        fmt = Format.OPENAI_CHAT
    elif "/openai/src/responses/" in rel:
        fmt = Format.OPENAI_RESPONSES
    elif "/amazon-bedrock/" in rel:
        fmt = Format.BEDROCK_CONVERSE
    elif "/packages/google/" in rel:
        fmt = Format.GEMINI
    else:
        return
    if path.name.endswith(".chunks.txt") and fmt is Format.BEDROCK_CONVERSE:
        # decoded event-stream frames, one per line: framed again as the wire carries them
        yield Item(rel, 0, "stream", fmt, encode_jsonl(path.read_text(encoding="utf-8").splitlines()))
    elif path.name.endswith(".chunks.txt"):
        lines = path.read_text(encoding="utf-8").splitlines()
        named = fmt in (Format.ANTHROPIC_MESSAGES, Format.OPENAI_RESPONSES)
        for n, stream in enumerate(_responses_split(lines) if fmt is Format.OPENAI_RESPONSES else [lines]):
            yield Item(rel, n, "stream", fmt, chunks_to_sse(stream, named=named, done=fmt is Format.OPENAI_CHAT))
    elif path.suffix == ".json":
        body = orjson.loads(path.read_bytes())
        if isinstance(body.get("error"), dict) and not {"content", "choices", "output"} & body.keys():
            # vercel-ai did not record the status; OpenAI answers these parameter errors with 400;
            # Gemini's google.rpc.Status body carries it (`code`)
            code = body["error"].get("code") if isinstance(body["error"], dict) else None
            yield Item(rel, 0, "error", fmt, path.read_bytes(), code if isinstance(code, int) else 400)
        else:
            yield Item(rel, 0, "response", fmt, body)


def _responses_split(lines: list[str]) -> list[list[str]]:
    """A vercel-ai Responses chunk file may hold several responses (one per agent step)."""
    streams: list[list[str]] = []
    for line in lines:
        if not streams or line.startswith('{"type":"response.created"'):
            streams.append([])
        streams[-1].append(line)
    return streams
