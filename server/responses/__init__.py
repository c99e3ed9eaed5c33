"""Stateful OpenAI Responses toward every upstream format: answers the gateway translated are
kept in the store, so ``previous_response_id``, ``item_reference`` items and
``GET``/``DELETE /v1/responses/{id}`` work whatever format served them
(``docs/design/stateful-responses.md``)."""

from interlingua.server.responses.service import ResponseService, owner_of

__all__ = ["ResponseService", "owner_of"]
