"""A subprocess whose output streams line by line and which can be cancelled or timed out.

Walkthrough steps can train for minutes; the user (or the TUI) must see output as it comes
and be able to stop it. The child runs in its own process group so that stopping it also
stops any workers it started, and so that what it leaves running when it ends is stopped too.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tags.lifetime import child_setup


@dataclass(frozen=True)
class ProcessResult:
    returncode: int | None
    output: str  # stdout and stderr, interleaved as written
    stopped: str = ""  # "cancelled" or "timed out after N s" when it was killed


def run_process(argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float,
                on_output: Callable[[str], None], cancel: threading.Event | None = None) -> ProcessResult:
    """Run `argv`, passing each output line to `on_output`; kill it on cancel or timeout."""
    cwd.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            text=True, errors="replace", bufsize=1, env=env, cwd=cwd, start_new_session=True,
                            preexec_fn=child_setup())  # dies with nav, even on kill -9
    lines: list[str] = []

    def pump() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.append(line)
            on_output(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        stopped = _wait(proc, timeout, cancel)
    except BaseException:  # Ctrl-C (the child's own session does not get it) or any error: stop it
        _kill(proc)
        proc.wait()
        raise
    _kill(proc)  # what the step left running (a server, a worker in the background) ends with it
    proc.wait()
    reader.join(timeout=5)
    return ProcessResult(proc.returncode, "".join(lines), stopped)


def _ended(proc: subprocess.Popen) -> bool:
    """Whether the child has ended. It is left unreaped (a zombie), so its process group id, which
    `_kill` signals, cannot go to another process meanwhile."""
    if not hasattr(os, "waitid"):
        return proc.poll() is not None
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # reaped already
        return True


def _wait(proc: subprocess.Popen, timeout: float, cancel: threading.Event | None) -> str:
    """Wait for the child; kill it on cancel or timeout and say which."""
    deadline = time.monotonic() + timeout
    while not _ended(proc):
        stopped = ""
        if cancel is not None and cancel.wait(0.1):
            stopped = "cancelled"
        elif cancel is None:
            time.sleep(0.1)
        if not stopped and time.monotonic() > deadline:
            stopped = f"timed out after {timeout:g} s"
        if stopped:
            _kill(proc)
            return stopped
    return ""


def _kill(proc: subprocess.Popen) -> None:
    """Stop the child's whole process group (it was started in a session of its own)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
