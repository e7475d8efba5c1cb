"""Children die with their parent (issue 15, item 24): `nav index` pool workers after kill -9 or
SIGTERM of nav, a walkthrough step's process after Ctrl-C or kill -9 of the runner, the call
graph's solver process after kill -9 or Ctrl-C of `nav trace`, the traced process of `nav trace --live`
after kill -9 or Ctrl-C of nav.

Deterministic: the parent is stopped at a known point (the NAV_TEST_PAUSE_AFTER hook, or a
marker file the child writes) before it is signalled; then we wait for the children to go."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.helpers import REPO

EVENT_WAIT = 120  # seconds to wait for an event that a correct run reaches at once


def _wait_for(what: str, condition) -> None:
    deadline = time.monotonic() + EVENT_WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for: {what}")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie waiting for a reaper."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _kill_leftovers(pids: list[int]) -> None:
    """A failing run must not leave its orphans behind on the machine."""
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as handle:
            found += [int(p) for p in handle.read().split()]
    return found


def _paused_index(tmp_path: Path) -> tuple[subprocess.Popen, list[int]]:
    """`nav index` of 80 files, stopped after committing its first file, with its workers up."""
    src = tmp_path / "src"
    src.mkdir()
    for i in range(80):
        (src / f"m{i}.py").write_text(f"def f{i}():\n    pass\n")
    marker = tmp_path / "paused"
    env = {**os.environ, "NAV_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO),
           "NAV_TEST_PAUSE_AFTER": "1", "NAV_TEST_PAUSE_MARKER": str(marker)}
    nav = subprocess.Popen([sys.executable, "-m", "navigator", "index", str(src)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for("nav index to pause", marker.exists)
    workers = _children(nav.pid)
    return nav, workers


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: nav parses without worker processes")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_index_workers_die_with_nav(tmp_path: Path, how: signal.Signals) -> None:
    nav, workers = _paused_index(tmp_path)
    assert workers, "the pool had no workers"
    try:
        nav.send_signal(how)
        nav.wait(timeout=EVENT_WAIT)
        _wait_for(f"workers {workers} to exit", lambda: not any(_alive(p) for p in workers))
    finally:
        _kill_leftovers(workers)


RUNNER = textwrap.dedent("""
    import sys, threading
    from pathlib import Path
    from navigator.walk.process import run_process
    marker = sys.argv[1]
    step = f"import os, time; open({marker!r}, 'w').write(str(os.getpid())); time.sleep(3600)"
    run_process([sys.executable, "-c", step], env={}, cwd=Path(sys.argv[2]), timeout=3600,
                on_output=lambda line: None)
""")


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL])
def test_walkthrough_step_dies_with_its_runner(tmp_path: Path, how: signal.Signals) -> None:
    marker = tmp_path / "step-pid"
    runner = subprocess.Popen([sys.executable, "-c", RUNNER, str(marker), str(tmp_path / "work")],
                              env={**os.environ, "PYTHONPATH": str(REPO)}, stderr=subprocess.DEVNULL)
    _wait_for("the step to start", lambda: marker.exists() and marker.read_text())
    step_pid = int(marker.read_text())
    try:
        runner.send_signal(how)
        runner.wait(timeout=EVENT_WAIT)
        _wait_for(f"step process {step_pid} to exit", lambda: not _alive(step_pid))
    finally:
        _kill_leftovers([step_pid])



def test_what_a_step_leaves_running_ends_with_the_step(tmp_path: Path) -> None:
    """A step that started a process in the background and ended left it running for ever (its
    parent gone, no death signal reached it), and the runner waited 5 s on the pipe it held."""
    from navigator.walk.process import run_process

    code = ("import subprocess, sys; leftover = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)']); "
            "print(leftover.pid, flush=True); sys.exit(3)")
    done = run_process([sys.executable, "-c", code], env=dict(os.environ), cwd=tmp_path, timeout=EVENT_WAIT,
                       on_output=lambda line: None)
    leftover = int(done.output.split()[0])
    try:
        assert done.returncode == 3 and done.stopped == ""
        _wait_for(f"the step's leftover process {leftover} to exit", lambda: not _alive(leftover))
    finally:
        _kill_leftovers([leftover])

@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_the_call_graph_solver_dies_with_nav(tmp_path: Path, how: signal.Signals) -> None:
    env = _indexed(tmp_path, "def g():\n    pass\n\ndef f():\n    g()\n")
    marker = tmp_path / "solver-pid"
    nav = subprocess.Popen([sys.executable, "-m", "navigator", "trace", "f"], env={**env, "NAV_TEST_SOLVER_MARKER": str(marker)},
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_for("the solver to start", lambda: marker.exists() and marker.read_text())
    _stop_nav_and_wait_for(nav, how, int(marker.read_text()), "solver process")


def _indexed(tmp_path: Path, source: str) -> dict[str, str]:
    """The environment of a nav whose index holds one module, `source`."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "m.py").write_text(source)
    env = {**os.environ, "NAV_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    env.pop("PYTHONHASHSEED", None)  # the solve runs in a child only when this process's seed is random
    subprocess.run([sys.executable, "-m", "navigator", "index", str(src)], env=env, check=True, capture_output=True)
    return env


def _stop_nav_and_wait_for(nav: subprocess.Popen, how: signal.Signals, child: int, what: str) -> None:
    """Signal nav; it exits non-zero without a traceback, and its child `child` goes too."""
    try:
        nav.send_signal(how)
        _, err = nav.communicate(timeout=EVENT_WAIT)
        assert nav.returncode != 0
        assert b"Traceback" not in err, err.decode()
        _wait_for(f"{what} {child} to exit", lambda: not _alive(child))
    finally:
        _kill_leftovers([child])


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_the_traced_process_of_a_live_trace_dies_with_nav(tmp_path: Path, how: signal.Signals) -> None:
    env = _indexed(tmp_path, "def f():\n    pass\n")
    marker = tmp_path / "traced-pid"
    code = f"import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); time.sleep(3600)"
    nav = subprocess.Popen([sys.executable, "-m", "navigator", "trace", "--live", code], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_for("the traced code to start", lambda: marker.exists() and marker.read_text())
    traced = int(marker.read_text())
    assert traced in _children(nav.pid)
    _stop_nav_and_wait_for(nav, how, traced, "traced process")
