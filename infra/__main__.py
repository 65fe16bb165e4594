"""``python -m infra serve|demo``: the embedded runtime from the command line; ``keys bootstrap``: a deployed
stack's first admin key (infra/keys.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra", description="InvestMind's embedded runtime")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the whole system on loopback until Ctrl-C")
    serve.add_argument("--port", type=int, default=None, help="API port (default: $INVESTMIND_PORT or 8000)")
    serve.add_argument("--host", default=None, help="bind address (default: $INVESTMIND_HOST or 127.0.0.1)")
    serve.add_argument("--outputs", type=Path, default=None, help="write the stack outputs (JSON) here")
    demo = sub.add_parser("demo", help="start, analyse one symbol live, print the decision, stop")
    demo.add_argument("symbol", nargs="?", default="600519")
    demo.add_argument("--as-of", default=None)
    from . import keys

    keys.add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "keys":
        return keys.run(args)
    if args.command == "serve":
        from .runtime import serve as run_serve

        run_serve(args.port, args.outputs, args.host)
        return 0
    from .demo import run_demo

    return run_demo(args.symbol, args.as_of)


if __name__ == "__main__":
    sys.exit(main())
