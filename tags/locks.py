"""Advisory file locks (flock) for what several nav processes share: a walkthrough's workspace and
progress under the cache dir, a checkout that `nav apply-codemod` patches.

The lock dies with its process (the kernel drops it on exit, kill -9 included), so a crash never
leaves a stale lock behind. The holder writes who it is into the lock file, for the message
another process shows when it finds the lock taken.
"""
from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class LockHeld(Exception):
    """Another process holds the lock; `holder` says who, as that process wrote it."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


@contextmanager
def file_lock(path: Path, *, wait: bool, doing: str = "", on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the block; without `wait`, raise LockHeld if taken. With
    `wait`, `on_wait` is told who holds it (as LockHeld says) before this process waits for it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise LockHeld(_holder(fd)) from None
            if on_wait is not None:
                on_wait(_holder(fd))
            fcntl.flock(fd, fcntl.LOCK_EX)
        _note(fd, json.dumps({"pid": os.getpid(), "doing": doing, "since": time.strftime("%H:%M:%S")}).encode())
        try:
            yield
        finally:
            _note(fd, b"")
    finally:
        os.close(fd)  # releases the lock


def _note(fd: int, holder: bytes) -> None:
    """Say who holds the lock, in its file; on a full disk the lock holds all the same, unnamed."""
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder, 0)
    except OSError:
        pass


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"nav (pid {info['pid']}, {info['doing']}, since {info['since']})"
    except (ValueError, KeyError, TypeError, RecursionError):
        return "another nav process"
