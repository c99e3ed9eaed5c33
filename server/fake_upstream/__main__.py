"""``python -m interlingua.server.fake_upstream --port 18080``: run the fake upstream alone."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from interlingua.server.fake_upstream.config import demo_config_yaml
from interlingua.server.fake_upstream.server import FakeUpstream


async def _run(args: argparse.Namespace) -> None:
    up = FakeUpstream(api_key=args.api_key, pace_ms=args.pace_ms, record=False)
    await up.start(host=args.host, port=args.port)
    print(
        f"fake upstream: OpenAI {up.openai_base_url}  Anthropic {up.anthropic_base_url}  "
        f"Gemini {up.gemini_base_url}  Responses {up.responses_base_url}  Bedrock {up.bedrock_base_url}",
        flush=True,
    )
    if args.print_config:
        print(demo_config_yaml(up), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await up.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m interlingua.server.fake_upstream", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--pace-ms", type=float, default=0.0, help="delay between stream events")
    parser.add_argument("--api-key", default=None, help="require this upstream key")
    parser.add_argument("--print-config", action="store_true", help="print a gateway config routing to it")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(args))


if __name__ == "__main__":
    main()
