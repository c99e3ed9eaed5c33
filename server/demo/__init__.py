"""Demo mode and test double: a fake LLM upstream speaking OpenAI and Anthropic.

``interlingua serve --demo`` runs :class:`FakeUpstream` beside the gateway with
:func:`demo_config_yaml`; tests and benchmarks use it directly::

    up = FakeUpstream()
    await up.start(host="127.0.0.1", port=0)
    up.openai_base_url, up.anthropic_base_url, up.requests
    await up.stop()

Standalone: ``python -m interlingua.server.demo --port 18080``.
"""

from interlingua.server.demo.config import DEMO_ROUTES, DEMO_UPSTREAM_KEY, demo_config, demo_config_yaml
from interlingua.server.demo.faults import Fault, parse_fault
from interlingua.server.demo.upstream import DEMO_MODELS, FakeUpstream, ReceivedRequest

__all__ = [
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
