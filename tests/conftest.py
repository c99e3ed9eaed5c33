"""Shared pytest configuration for the whole suite.

Kept deliberately small: helpers shared by the translator tests live in
``tests/conformance/`` (``corpus``, ``sse``, ``digest``, ``judges``) and are
imported as ``conformance.<module>`` (pytest puts ``tests/`` on ``sys.path``
because ``tests/`` itself is not a package).

``upstream``: a real fake upstream (OpenAI and Anthropic formats) on
127.0.0.1, shared by the gateway tests in ``tests/server`` and ``tests/e2e``.

Hypothesis profiles: ``ci`` is derandomized, has no example database and a
modest example budget so the suite stays fast and reproducible; ``dev`` keeps
the database (shrinks and replays failures locally). ``HYPOTHESIS_PROFILE``
picks one explicitly; otherwise ``CI`` in the environment selects ``ci``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, settings

from interlingua.server.fake_upstream import DEMO_UPSTREAM_KEY, FakeUpstream

settings.register_profile(
    "ci",
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    up = FakeUpstream(api_key=DEMO_UPSTREAM_KEY)
    await up.start()
    yield up
    await up.stop()
