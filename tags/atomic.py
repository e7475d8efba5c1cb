"""Atomic file writes: readers see the old file or the new one, never half of one.

The one implementation behind the index's roots file, tags files, rendered graphs, walkthrough
progress and workspace state, verify metrics, and the codemods' multi-file writes.
"""
from __future__ import annotations

import errno
import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    Data = bytes | Iterable[bytes]  # the whole text, or its chunks in order (a large export never held whole)


def stage(path: str | os.PathLike[str], data: Data, suffix: str = ".tmp") -> str:
    """A synced temporary file next to `path` holding `data`, with `path`'s permissions if it exists.

    Renaming it over `path` (`os.replace`) is then the atomic step; multi-file writers stage
    every file first, so a failure before the renames leaves every target untouched.
    """
    import tempfile  # not at the top: `nav find` imports this module and must start fast

    path = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(path))
    # the writer's pid in the name: a temporary whose writer is gone (kill -9) is swept by the next write
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.{os.getpid()}.", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_all(handle, data)
            handle.flush()
            os.fsync(handle.fileno())
        if os.path.exists(path):
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        else:
            os.chmod(temporary, 0o666 & ~_umask())
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary


def write_atomic(path: str | os.PathLike[str], data: Data) -> None:
    """Write `data` to `path` through a temporary file in the same directory and a rename.

    A symbolic link is followed: the file it points at gets the new text and the link stays. A
    path naming a device, a FIFO or a socket (`-o /dev/stdout`, `-o >(gzip >t.gz)`) is written
    straight into, as the shell's `>` does: a rename would put a plain file where the device was.
    """
    path = os.fspath(path)
    if _special(path):
        _write_into(path, data)
        return
    if os.path.islink(path):
        path = os.path.realpath(path)
        if os.path.islink(path):  # a loop of links: the shell's `>` refuses too (a rename would replace the link)
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
    temporary = stage(path, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    _sweep_orphans(path)


def _sweep_orphans(path: str, suffix: str = ".tmp") -> None:
    """Remove the temporaries of earlier writes to `path` whose writer no longer runs: killed with
    kill -9 mid-write, it could not remove its own. A running writer's (another process exporting
    to the same file) is left alone."""
    directory, name = os.path.split(os.path.abspath(path))
    prefix = f".{name}."
    try:
        entries = [entry for entry in os.scandir(directory) if entry.name.startswith(prefix)
                   and entry.name.endswith(suffix)]
    except OSError:
        return
    for entry in entries:
        writer = entry.name[len(prefix):].partition(".")[0]
        if writer.isdigit() and not _running(int(writer)) and entry.is_file(follow_symlinks=False):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # gone, or never a pid
        return False
    except PermissionError:  # another user's
        return True
    return True


def _special(path: str) -> bool:
    """Whether `path` exists (after links) and is not a regular file or a directory."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _write_all(handle: Any, data: Data) -> None:
    """`data` written to an open binary file: at once, or chunk by chunk as they are made."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        handle.write(data)
        return
    for chunk in data:
        handle.write(chunk)


def _write_into(path: str, data: Data) -> None:
    """Write into a device or pipe in place; a FIFO nobody reads is an error, not a hang."""
    import errno

    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as err:
        if err.errno == errno.ENXIO:
            raise OSError(err.errno, "nothing is reading it (a FIFO or a socket)", path) from err
        raise
    os.set_blocking(fd, True)
    with os.fdopen(fd, "wb") as handle:
        _write_all(handle, data)


def write_json_atomic(path: str | os.PathLike[str], data: Any) -> None:
    """`data` as indented JSON, written atomically; missing parent folders are made."""
    import json

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_atomic(path, json.dumps(data, indent=1).encode("utf-8"))


def _umask() -> int:
    """The process umask (read by setting it, then putting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
