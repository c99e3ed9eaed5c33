"""The Bedrock Converse surface: ``POST /model/{modelId}/converse`` and ``/converse-stream``.

For boto3's ``bedrock-runtime`` client pointed at the gateway (``endpoint_url``). The model
id comes from the (percent-encoded) path. Clients sign with SigV4, which the gateway cannot
check without their secret: with ``server.api_keys`` set, use a Bedrock API key (boto3 sends
``AWS_BEARER_TOKEN_BEDROCK`` as ``Authorization: Bearer``), which the middleware checks.

``converse`` and ``converse-stream`` work toward every upstream format; toward other formats
the stream is translated incrementally into AWS event-stream frames
(:mod:`interlingua.streams.encode_eventstream`), a mid-stream error arriving as the exception
frame boto3 raises.
Errors come as Bedrock's ``{"__type", "message"}``, which botocore reads as the error code.
"""

from __future__ import annotations

from quart import Blueprint, Response

from interlingua.server.adapters import refuse_dot_segment
from interlingua.server.api.route import post
from interlingua.server.pipeline.execute import generate
from interlingua.server.pipeline.inbound import Inbound
from interlingua.server.state import StateHolder
from interlingua.server.surfaces import surface_for
from interlingua.translate import Format

__all__ = ["blueprint"]

_SURFACE = surface_for(Format.BEDROCK_CONVERSE)


def blueprint(holder: StateHolder) -> Blueprint:
    bp = Blueprint("bedrock", __name__)

    @post(bp, "/model/<path:model>/converse")
    async def converse(inbound: Inbound, model: str) -> Response:
        return await generate(holder, _SURFACE, inbound, model=_model_id(model), stream=False)

    @post(bp, "/model/<path:model>/converse-stream")
    async def converse_stream(inbound: Inbound, model: str) -> Response:
        return await generate(holder, _SURFACE, inbound, model=_model_id(model), stream=True)

    return bp


def _model_id(model: str) -> str:
    """The path's model id, never a dot segment. The server already decoded the path once
    (boto3 sends ``:`` as ``%3A`` and an ARN's ``/`` as ``%2F``); decoding it again would
    turn a client's ``%253A`` into ``:`` (issue 12, #10)."""
    refuse_dot_segment(model)
    return model
