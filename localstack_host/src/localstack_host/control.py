"""Background processes for the Makefile: start one, record its PID, wait until it is ready; stop it by that PID.

``python -m localstack_host.control start --pid-file F --log L (--ready-url U | --ready-file P) -- CMD...``
starts CMD in its own session with the current environment and returns once ``U`` answers 200 (or
``P`` exists), failing with the end of the log if CMD exits first or ``--timeout`` passes.
``python -m localstack_host.control stop --pid-file F`` sends SIGTERM, then SIGKILL after ``--grace``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

POLL_S = 0.2


def _ready(url: str | None, path: Path | None) -> bool:
    if path is not None:
        return path.exists() and path.stat().st_size > 0
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def start(command: list[str], pid_file: Path, log: Path, url: str | None, path: Path | None, timeout: float) -> int:
    if path is not None:
        path.unlink(missing_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    pid_file.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout
    while not _ready(url, path):
        if process.poll() is not None or time.monotonic() > deadline:
            why = f"exited with {process.returncode}" if process.returncode is not None else f"not ready in {timeout}s"
            sys.stderr.write(f"{command[0]} {why}; the end of {log}:\n{log.read_text()[-4000:]}\n")
            if process.returncode is None:
                _stop(process.pid, grace=5)
            pid_file.unlink(missing_ok=True)
            return 1
        time.sleep(POLL_S)  # polling readiness, bounded by the process's exit and the deadline
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child of ours that exited stays a zombie until reaped; it is not running.
    try:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


def _stop(pid: int, grace: float) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(POLL_S)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)


def stop(pid_file: Path, grace: float) -> int:
    if not pid_file.exists():
        sys.stderr.write(f"{pid_file}: nothing recorded, nothing to stop\n")
        return 0
    recorded = pid_file.read_text()
    _stop(int(recorded.strip()), grace)
    if pid_file.exists() and pid_file.read_text() == recorded:  # not a successor started meanwhile
        pid_file.unlink()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="action", required=True)
    up = commands.add_parser("start")
    up.add_argument("--pid-file", type=Path, required=True)
    up.add_argument("--log", type=Path, required=True)
    ready = up.add_mutually_exclusive_group(required=True)
    ready.add_argument("--ready-url")
    ready.add_argument("--ready-file", type=Path)
    up.add_argument("--timeout", type=float, default=120)
    up.add_argument("command", nargs="+")
    down = commands.add_parser("stop")
    down.add_argument("--pid-file", type=Path, required=True)
    down.add_argument("--grace", type=float, default=30)
    args = parser.parse_args(argv)
    if args.action == "start":
        return start(args.command, args.pid_file, args.log, args.ready_url, args.ready_file, args.timeout)
    return stop(args.pid_file, args.grace)


if __name__ == "__main__":
    sys.exit(main())
