"""Background processes by PID: started, waited on, stopped (real processes, no LocalStack needed)."""

from __future__ import annotations

import os
import sys

from localstack_host import control


def test_start_waits_for_readiness_and_stop_ends_the_recorded_process(tmp_path):
    ready, pid_file, log = tmp_path / "url", tmp_path / "pid", tmp_path / "log"
    script = f"import pathlib, time; pathlib.Path({str(ready)!r}).write_text('up'); time.sleep(600)"

    assert control.start([sys.executable, "-c", script], pid_file, log, None, ready, timeout=60) == 0
    pid = int(pid_file.read_text())
    assert ready.read_text() == "up" and control._alive(pid)

    assert control.stop(pid_file, grace=10) == 0
    assert not control._alive(pid) and not pid_file.exists()


def test_a_process_that_exits_before_it_is_ready_fails_the_start_with_its_log(tmp_path, capsys):
    pid_file = tmp_path / "pid"
    command = [sys.executable, "-c", "import sys; print('cannot start: port taken'); sys.exit(3)"]

    assert control.start(command, pid_file, tmp_path / "log", None, tmp_path / "never", timeout=60) == 1
    assert "exited with 3" in capsys.readouterr().err and not pid_file.exists()


def test_stop_leaves_the_record_of_a_successor_alone(tmp_path, monkeypatch):
    pid_file = tmp_path / "pid"
    ready = tmp_path / "ready"
    script = f"import pathlib, time; pathlib.Path({str(ready)!r}).write_text('up'); time.sleep(600)"
    control.start([sys.executable, "-c", script], pid_file, tmp_path / "log", None, ready, timeout=60)
    first = pid_file.read_text()
    original_stop = control._stop

    def stop_then_successor_records_itself(pid: int, grace: float) -> None:
        original_stop(pid, grace)
        pid_file.write_text(f"{os.getpid()}\n")  # a new start recorded while the old one was stopping

    monkeypatch.setattr(control, "_stop", stop_then_successor_records_itself)
    control.stop(pid_file, grace=10)
    assert pid_file.read_text() == f"{os.getpid()}\n" != first
