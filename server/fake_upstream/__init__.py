"""Demo mode and test double: a fake LLM upstream speaking OpenAI Chat, Anthropic
Messages, Gemini, OpenAI Responses and Bedrock Converse.

``interlingua serve --demo`` runs :class:`FakeUpstream` beside the gateway with
:func:`demo_config_yaml`; tests and benchmarks use it directly::

    up = FakeUpstream()
    await up.start(host="127.0.0.1", port=0)
    up.openai_base_url, up.anthropic_base_url, up.requests
    up.gemini_base_url, up.responses_base_url, up.bedrock_base_url
    await up.stop()

Fault modes (resets, stalls, cut or garbage streams, HTML and huge errors, redirects,
credential-echoing errors, ...) are chosen per request with one spec language, see
:mod:`interlingua.server.fake_upstream.faults`; ``with up.faulty("die-after:2"): ...``.

One module per upstream format (``openai_chat``, ``anthropic_messages``, ``gemini``,
``openai_responses``, ``bedrock_converse``) reads a request and renders the answer; ``plan``
decides the answer; ``server`` routes and records; ``respond`` sends answers and faults.
Only demo mode (``server/demo_mode.py``), the tests and the bench import this package.

Bedrock requests must be SigV4-signed with :data:`DEMO_AWS_ACCESS_KEY_ID` /
:data:`DEMO_AWS_SECRET_ACCESS_KEY` (region any, service ``bedrock``).

Standalone: ``python -m interlingua.server.fake_upstream --port 18080``.
"""

from interlingua.server.fake_upstream.config import (
    DEMO_ROUTES,
    DEMO_UPSTREAM_KEY,
    demo_config,
    demo_config_yaml,
)
from interlingua.server.fake_upstream.faults import Fault, parse_fault
from interlingua.server.fake_upstream.record import ReceivedRequest
from interlingua.server.fake_upstream.server import DEMO_MODELS, FakeUpstream
from interlingua.server.fake_upstream.sigv4 import DEMO_AWS_ACCESS_KEY_ID, DEMO_AWS_SECRET_ACCESS_KEY

__all__ = [
    "DEMO_AWS_ACCESS_KEY_ID",
    "DEMO_AWS_SECRET_ACCESS_KEY",
    "DEMO_MODELS",
    "DEMO_ROUTES",
    "DEMO_UPSTREAM_KEY",
    "FakeUpstream",
    "Fault",
    "ReceivedRequest",
    "demo_config",
    "demo_config_yaml",
    "parse_fault",
]
