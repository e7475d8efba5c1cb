"""Advisory file locks (flock) for what several `nav walk` processes share under the cache dir.

The lock dies with its process (the kernel drops it on exit, kill -9 included), so a crash never
leaves a stale lock behind. The holder writes who it is into the lock file, for the message
another process shows when it finds the lock taken.
"""
from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


class LockHeld(Exception):
    """Another process holds the lock; `holder` says who, as that process wrote it."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


@contextmanager
def file_lock(path: Path, *, wait: bool, doing: str = "") -> Iterator[None]:
    """Hold an exclusive lock on `path` for the block; without `wait`, raise LockHeld if taken."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise LockHeld(_holder(fd)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "doing": doing, "since": time.strftime("%H:%M:%S")}).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"nav (pid {info['pid']}, {info['doing']}, since {info['since']})"
    except (ValueError, KeyError, TypeError, RecursionError):
        return "another nav process"
