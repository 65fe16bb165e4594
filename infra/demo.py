"""``make demo``: start the embedded runtime, analyse one symbol live in the terminal, stop."""

from __future__ import annotations

import time

from rich.console import Console

from investmind_cli.client import Api, follow
from investmind_cli.view import Renderer

from .emulator import free_port
from .runtime import EmbeddedRuntime
from .template import ROOT

LOG_PATH = ROOT / ".investmind" / "demo.log"


def run_demo(symbol: str, as_of: str | None = None) -> int:
    console = Console()
    plain = not console.is_terminal
    began = time.monotonic()
    console.print(f"Starting the embedded runtime from template.yaml (logs: {LOG_PATH.relative_to(ROOT)}) …")
    with EmbeddedRuntime(api_port=free_port(), log_path=LOG_PATH) as runtime:
        console.print(f"Up in {time.monotonic() - began:.1f} s: API and console on {runtime.api_url}")
        print(f"INVESTMIND_API_KEY={runtime.admin_key}", flush=True)  # its own line, never wrapped (§9)
        api = Api(runtime.api_url, runtime.admin_key)
        with api.client:
            body = {"symbol": symbol, **({"as_of": as_of} if as_of else {})}
            accepted = api.call("POST", "/v1/analyses", json=body)
            console.print(f"Submitted {symbol}: task {accepted['task_id']} ({accepted['status']})")
            submitted = time.monotonic()
            with Renderer(console, plain=plain) as renderer:
                final = follow(api, accepted["task_id"], renderer)
            if plain and (decision := renderer.view.decision_table()) is not None:
                console.print(decision)
            console.print(f"{final} in {time.monotonic() - submitted:.1f} s; stopping the runtime.")
    return 0 if final == "SUCCEEDED" else 1
