"""The Bedrock access key id is redacted like every other upstream credential (issue 12).

A SigV4 request carries the access key id (AKIA... / ASIA...) in its Authorization header,
and a careless upstream or proxy quotes that header in an error. Whatever the gateway makes
of such an error (the client's answer and headers, its logs, the access log, the exported
spans) must not hold the id, passthrough or translated, plain or streamed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from server_helpers import make_config

from interlingua.server.fake_upstream import DEMO_AWS_ACCESS_KEY_ID, DEMO_AWS_SECRET_ACCESS_KEY, FakeUpstream
from interlingua.server.testing import running_gateway

from .otlp_receiver import otlp_receiver

FAULTS = ["status:403,echo-key", "raw-error:500,echo-key", "html-error:502,echo-key"]
CALLS = [  # (path, body): a Bedrock client (passthrough) and an OpenAI one (translated)
    ("/model/demo-bedrock/converse", {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}),
    ("/model/demo-bedrock/converse-stream", {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}),
    ("/v1/chat/completions", {"model": "demo-bedrock", "messages": [{"role": "user", "content": "hi"}]}),
    (
        "/v1/chat/completions",
        {"model": "demo-bedrock", "messages": [{"role": "user", "content": "hi"}], "stream": True},
    ),
]


def test_the_fake_echoes_the_access_key_id() -> None:
    """The premise: what the echo quotes is the SigV4 header, which names the key id."""
    assert DEMO_AWS_ACCESS_KEY_ID.startswith("AKIA")


@pytest.mark.parametrize("fault", FAULTS)
async def test_access_key_id_reaches_no_client_log_span_or_access_log(
    upstream: FakeUpstream, tmp_path: Path, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    access_log = tmp_path / "access.log"
    seen: list[str] = []
    caplog.set_level(logging.DEBUG)
    async with otlp_receiver() as (endpoint, received):
        observability = {"access_log": {"path": str(access_log)}, "tracing": {"endpoint": endpoint}}
        config = make_config(upstream, observability=observability)
        async with running_gateway(config) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
            for path, body in CALLS:
                with upstream.faulty(fault):
                    response = await client.post(path, json=body)
                assert response.status_code >= 400, response.text[:300]
                seen.append(response.text + repr(response.headers.multi_items()))
    assert [r for r in upstream.requests if DEMO_AWS_ACCESS_KEY_ID in str(r.headers)], "the echo had the id to quote"
    assert len(access_log.read_text().splitlines()) == len(CALLS)
    assert received.spans
    seen += [caplog.text, access_log.read_text(), repr(received.spans)]
    for where, text in zip(["client"] * len(CALLS) + ["log", "access log", "spans"], seen, strict=True):
        assert DEMO_AWS_ACCESS_KEY_ID not in text, f"the access key id reached the {where}"
        assert DEMO_AWS_SECRET_ACCESS_KEY not in text, f"the secret key reached the {where}"
