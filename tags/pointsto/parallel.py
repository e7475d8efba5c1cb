"""Work done in a forked child while this process does its own: the second core of a 2-core machine.

The solver splits the four roots into parts that need nothing of each other (see SOLVED_APART);
one part is solved in a child forked from this process (it shares the sources read, no pickling
on the way in), the other here, at the same time. The child's answer comes back pickled through
a pipe. It dies with this process (prctl, see `tags.lifetime`), ignores Ctrl-C (this process
handles it and kills the child), and never returns into the caller's code (`os._exit`).
Where forking is unsafe or useless (not Linux, one core, other threads running), the work is
done here, first.
"""
from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO, TypeVar

from tags.errors import NavError

T = TypeVar("T")


def can_fork() -> bool:
    """A second core to use, and a process it is safe to fork (no other thread holding a lock)."""
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return False
    return len(os.sched_getaffinity(0)) >= 2


@contextmanager
def in_child(work: Callable[[], T]) -> Iterator[Callable[[], T]]:
    """Start `work` in a forked child; the block gets a function that waits for its result.

    Leaving the block without asking (an exception, Ctrl-C) kills the child.
    """
    if not can_fork():
        result = work()
        yield lambda: result
        return
    from tags.lifetime import child_setup

    setup = child_setup()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        _run_child(work, setup, reader, writer)
    os.close(writer)
    pipe = os.fdopen(reader, "rb")
    reaped: list[bool] = []
    try:
        yield lambda: _result(pid, pipe, reaped)
    finally:
        pipe.close()
        if not reaped:
            _stop(pid)


def _run_child(work: Callable[[], object], setup: Callable[[], None], reader: int, writer: int) -> None:
    """The child's whole life: do the work, write its pickled result, exit without unwinding."""
    status = 1
    try:
        os.close(reader)
        setup()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and kills this one
        data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(data)
        status = 0
    except BaseException as err:  # noqa: BLE001 - told to the parent as the exit status
        print(f"nav: call graph solver: {type(err).__name__}: {err}"[:300], file=sys.stderr)
    finally:
        os._exit(status)


def _result(pid: int, pipe: BinaryIO, reaped: list[bool]) -> object:
    """Read the child's answer to the end, reap it, and unpickle; a failed child is a NavError."""
    data = pipe.read()
    _, status = os.waitpid(pid, 0)
    reaped.append(True)
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or not data:
        raise NavError(f"the call graph solver's second process stopped (exit status {code}); nothing was stored")
    return pickle.loads(data)


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
