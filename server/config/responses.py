"""``responses:``: the OpenAI Responses answers the gateway keeps (``store: true``) so that
``previous_response_id`` and ``item_reference`` work toward every upstream format."""

from __future__ import annotations

from pydantic import Field

from interlingua.server.config._base import Strict

__all__ = ["ResponsesConfig"]


class ResponsesConfig(Strict):
    """Stored responses live in the store (``store:``); without one nothing is kept."""

    # false: keep nothing; previous_response_id and item references toward translated
    # upstreams are then refused with a 400 naming them.
    store: bool = True
    # A stored response is deleted this long after it was created (OpenAI keeps 30 days).
    retention_days: float = Field(30, gt=0, le=3650)
    # How often expired responses are deleted.
    sweep_interval_s: float = Field(3600, ge=1)
