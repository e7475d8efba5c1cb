"""Work done in a forked child while this process does its own: the second core of a 2-core machine.

The solver splits its input into parts that need nothing of each other (see `analyse`); the parts
apart from the main one are solved in a child forked from this process (it shares the sources
read, no pickling on the way in) while this one solves the main part. The child's results come
back one by one, each pickled through a pipe as soon as it is ready, so neither process holds all
of them twice. The child dies with this process (prctl, see `tags.lifetime`), ignores Ctrl-C (this
process handles it and kills the child), and never returns into the caller's code (`os._exit`).
Where forking is unsafe or useless (not Linux, one core, other threads running), the work is
done here, when its results are read.
"""
from __future__ import annotations

import atexit
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import BinaryIO, TypeVar

from tags.errors import NavError

T = TypeVar("T")
_MAX_FD = 1 << 16  # past the descriptors a nav process opens (closerange skips those not open)


def can_fork() -> bool:
    """A second core to use, and a process it is safe to fork (no other thread holding a lock)."""
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return False
    return len(os.sched_getaffinity(0)) >= 2


@contextmanager
def in_child(work: Callable[[], Iterable[T]]) -> Iterator[Callable[[], Iterator[T]]]:
    """Start `work` (a generator of results) in a forked child; the block gets a function that
    reads its results as they come. Leaving the block before the last one (an exception, Ctrl-C)
    kills the child."""
    if not can_fork():
        yield lambda: iter(work())
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
        yield lambda: _results(pid, pipe, reaped)
    finally:
        pipe.close()
        if not reaped:
            _stop(pid)


def _run_child(work: Callable[[], Iterable[object]], setup: Callable[[], None], reader: int, writer: int) -> None:
    """The child's whole life: do the work, write each result pickled, exit without unwinding."""
    status = 1
    try:
        os.close(reader)
        setup()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and kills this one
        with os.fdopen(writer, "wb") as pipe:
            for result in work():
                pickle.dump(result, pipe, protocol=pickle.HIGHEST_PROTOCOL)
                pipe.flush()
        join_background()  # what the parts' solves keep is written before this child goes
        status = 0
    except BaseException as err:  # noqa: BLE001 - told to the parent as the exit status
        print(f"nav: call graph solver: {type(err).__name__}: {err}"[:300], file=sys.stderr)
    finally:
        os._exit(status)


def _results(pid: int, pipe: BinaryIO, reaped: list[bool]) -> Iterator[object]:
    """The child's results until it closes the pipe; then it is reaped, and a failed child is a NavError."""
    while True:
        try:
            result = pickle.load(pipe)
        except (EOFError, pickle.UnpicklingError):
            break
        yield result
    _, status = os.waitpid(pid, 0)
    reaped.append(True)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise NavError(f"the call graph solver's second process stopped (exit status {code}); nothing was stored")


_BACKGROUND: list[Callable[[], object]] = []  # how to wait for each child left running, oldest first
_JOINED_AT_EXIT: list[bool] = []


def in_background(work: Callable[[], None]) -> None:
    """Do `work` (writing a file that no one waits for now, see resume.save) in a forked child while
    this process goes on, or here where forking is unsafe. The child dies with this process and
    exits without unwinding; `join_background` waits for it: before what it writes is read, before
    the next one starts, and at exit (a failed write is no error: the next solve starts afresh)."""
    if not can_fork():
        work()
        return
    from tags.lifetime import child_setup

    join_background()
    setup = child_setup()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            setup()
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            os.closerange(3, _MAX_FD)  # pipes held open here would keep their readers waiting for the end
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)  # so would standard output (`analyse_seeded` reads its child's to the end)
            work()
            status = 0
        finally:
            os._exit(status)
    wait_at_exit(lambda: _reap(pid))


def wait_at_exit(wait: Callable[[], object]) -> None:
    """Have `join_background` (and this process' exit) wait for a child left running: `wait()`."""
    if not _JOINED_AT_EXIT:
        atexit.register(join_background)
        _JOINED_AT_EXIT.append(True)
    _BACKGROUND.append(wait)


def join_background() -> None:
    """Wait for the children left running (`in_background`, `wait_at_exit`); Ctrl-C stops waiting
    (they die with this process: a temporary file left is swept by the next write)."""
    while _BACKGROUND:
        try:
            _BACKGROUND.pop(0)()
        except KeyboardInterrupt:
            _BACKGROUND.clear()


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


class Handoff:
    """One value this process sends a child forked after the handoff was made (see `in_child`),
    while both go on: the child asks for it when it needs it and waits. The child gets None when
    this process could not make the value (it raised) or died; `send` never blocks on a dead child."""

    def __init__(self) -> None:
        self.reader, self.writer = os.pipe()

    def send(self, make: Callable[[], object]) -> None:
        """In this process, after the fork: make the value and stream it to the child."""
        os.close(self.reader)
        pipe = os.fdopen(self.writer, "wb")
        try:
            value = make()  # raising: the pipe closes, so the child is not left waiting while it propagates
            pickle.dump(value, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            pipe.flush()
        except BrokenPipeError:  # the child is gone; reading its results says why
            pass
        finally:
            try:
                pipe.close()
            except BrokenPipeError:
                pass

    def receive(self) -> object | None:
        """In the child: the value sent, or None."""
        os.close(self.writer)
        try:
            with os.fdopen(self.reader, "rb") as pipe:
                return pickle.load(pipe)
        except (EOFError, pickle.UnpicklingError, OSError):
            return None

