"""The ``interlingua`` command: one entry point, subcommands per job.

- ``interlingua codegen [--check]``: regenerate ``generated/`` (or show drift).
- ``interlingua convert --from F --to T --kind request|response|stream``: stdin -> stdout.
- ``interlingua serve [--config FILE] [--host H] [--port P] [--workers N] [--demo]``.
- ``interlingua check-config FILE``: validate a config, print the routing table.
- ``interlingua install --systemd [--root DIR]``: a default config and a systemd unit.
- ``interlingua keys create|list|show|update|revoke [--config FILE] [--json]``: issued keys.
- ``interlingua db upgrade [--config FILE]``: apply the store's schema migrations.
- ``interlingua specs diff PUBLISHED... [--format F] [--write DIR]``: a provider's published
  spec against ours (``codegen/specs_diff.py``).

Heavy imports happen inside each subcommand so ``interlingua convert`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]



def _formats() -> tuple[str, ...]:
    from interlingua.translate import Format

    return tuple(fmt.value for fmt in Format)


def _build_parser() -> argparse.ArgumentParser:
    formats = _formats()
    parser = argparse.ArgumentParser(prog="interlingua", description="LLM API gateway and translator")
    sub = parser.add_subparsers(dest="command", required=True)

    codegen = sub.add_parser("codegen", help="regenerate generated/ from specs/ and codegen/rules/")
    codegen.add_argument("--check", action="store_true", help="do not write; exit 1 and print the diff if stale")
    codegen.add_argument("--root", default=None, help="repository root (default: found from the current directory)")

    convert = sub.add_parser("convert", help="convert a body read from stdin and print it")
    convert.add_argument("--from", dest="source", required=True, choices=formats)
    convert.add_argument("--to", dest="target", required=True, choices=formats)
    convert.add_argument("--kind", required=True, choices=("request", "response", "stream"))

    serve = sub.add_parser("serve", help="run the gateway (Quart on Hypercorn)")
    serve.add_argument("--config", default=None, help="YAML config (default: embedded, from the environment)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=None)
    serve.add_argument("--demo", action="store_true", help="also start a built-in fake upstream and route to it")

    specs = sub.add_parser("specs", help="compare our specs with a provider's published one")
    specs_sub = specs.add_subparsers(dest="specs_command", required=True)
    diff = specs_sub.add_parser("diff", help="missing fields, type/enum changes and rule coverage, per kind")
    diff.add_argument("published", nargs="+", help="OpenAPI (YAML/JSON) or botocore service-2.json")
    diff.add_argument("--format", dest="only", default=None, choices=formats, help="only this format")
    diff.add_argument("--write", default=None, metavar="DIR", help="write <format>.md files into DIR")
    diff.add_argument("--root", default=None, help="repository root (default: found from the current directory)")

    check = sub.add_parser("check-config", help="validate a config and print what each model routes to")
    check.add_argument("file")

    install = sub.add_parser("install", help="install the gateway as a service")
    install.add_argument(
        "--systemd", action="store_true", required=True,
        help="write /etc/interlingua/config.yaml (kept if present) and a systemd unit",
    )
    install.add_argument("--root", default="/", help="write under this directory instead of / (staging)")
    from interlingua.server.keys.cli import add_parsers

    add_parsers(sub)
    return parser


def _convert(source: str, target: str, kind: str) -> int:
    import orjson

    from interlingua.errors import GatewayError
    from interlingua.translate import Format, StreamTranslator, translate_request, translate_response

    src, dst = Format(source), Format(target)
    raw = sys.stdin.buffer.read()
    try:
        if kind == "stream":
            translator = StreamTranslator(source=src, target=dst)
            sys.stdout.buffer.write(translator.feed(raw) + translator.finish())
            return 0
        body = orjson.loads(raw)
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        convert = translate_request if kind == "request" else translate_response
        result = convert(body, source=src, target=dst)
    except (GatewayError, ValueError) as exc:
        print(f"interlingua convert: {exc}", file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    sys.stdout.buffer.write(orjson.dumps(result.body, option=orjson.OPT_INDENT_2) + b"\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    if args.command == "codegen":
        from interlingua.codegen.main import run

        return run(check=args.check, root=args.root)
    if args.command == "convert":
        return _convert(args.source, args.target, args.kind)
    if args.command == "serve":
        from interlingua.server.cli import serve

        return serve(config=args.config, host=args.host, port=args.port, workers=args.workers, demo=args.demo)
    if args.command == "specs":
        from interlingua.codegen.specs_diff import run as specs_diff

        return specs_diff(args.published, only=args.only, write=args.write, root=args.root)
    if args.command == "check-config":
        from interlingua.server.cli import check_config

        return check_config(args.file)
    if args.command == "install":
        from interlingua.server.cli import install_systemd

        return install_systemd(args.root)
    if args.command in ("keys", "db"):
        from interlingua.server.keys.cli import run_db, run_keys

        return run_keys(args) if args.command == "keys" else run_db(args)
    raise AssertionError(args.command)


if __name__ == "__main__":
    raise SystemExit(main())
