"""Applying what the stat pass found: hash touched files, parse changed ones on all cores, store.

Parsing runs in worker processes (fork on Linux); the parent stores and commits results as they
arrive, chunk by chunk, so Ctrl-C or a crash loses at most the chunks in flight, which the next
run picks up again, and the last commit follows the last file at once.
"""
from __future__ import annotations

import gc
import os
import struct
import sys
import time

from tags.changes import RefreshReport, RootChanges
from tags.model import OK
from tags.progress import Progress
from tags.sources import SourceFile
from tags.store import FileRows, Index, StoredRoot, file_rows, pack_rows, unpack_rows

TYPE_CHECKING = False
if TYPE_CHECKING:
    import selectors
    from collections.abc import Callable, Iterator

    from tags.discovery import ModuleNamer

    Parsed = tuple[StoredRoot, FileRows]  # a parsed file's rows, with the root it belongs to

_RARE_COLLECTIONS = (100_000, 50, 100)  # gc thresholds while parsing: rows make many objects and no cycles
IN_PROCESS_LIMIT = 24  # fewer files than this are parsed without starting worker processes
CHUNKS_PER_WORKER = 16  # work is dealt out in about this many chunks per worker
MAX_CHUNK_FILES = 64  # and no chunk holds more files (tiny files: progress keeps moving)


def apply_changes(index: Index, all_changes: list[RootChanges], report: RefreshReport, progress: bool) -> None:
    """Make the index match the disk for these roots. One pool parses the files of all of them,
    largest first: a pool per root paid its start and its idle tail once per root."""
    work: list[tuple[StoredRoot, SourceFile]] = []
    for changes in all_changes:
        work += [(changes.root, source) for source in _settle(index, changes, report)]
    if not work:
        return
    pause_after = _test_pause_after()
    thresholds = gc.get_threshold()
    gc.set_threshold(*_RARE_COLLECTIONS)  # the parent too unpacks many rows and keeps none
    try:
        for batch in _batches(_parse_all(work, progress), max_files=pause_after):
            index.store_files(batch)
            report.parsed += len(batch)
            report.problems += [f"{rows.meta.path}: {rows.meta.note}" for _, rows in batch if rows.meta.status != OK]
            if pause_after and report.parsed >= pause_after:
                _test_pause()
    finally:
        gc.set_threshold(*thresholds)
    from tags.discovery import package_version

    for root in dict.fromkeys(root for root, _ in work):
        if root.origin == "package":
            index.set_root_version(root, package_version(root.name))


def _settle(index: Index, changes: RootChanges, report: RefreshReport) -> list[SourceFile]:
    """Apply what needs no parsing (touched files whose content is the same, removed files) and
    return the files to parse."""
    to_parse = list(changes.to_parse)
    same: list[tuple[int, int, str]] = []
    for source, state in changes.touched:  # mtime moved: a content hash decides
        if _digest_of(source.path) == state.digest:
            same.append((source.mtime_ns, source.size, source.path))
        else:
            to_parse.append(source)
    if same:
        index.touch_files(same)
    if changes.removed:
        index.delete_files(changes.removed)
        report.removed += len(changes.removed)
    return to_parse


def _digest_of(path: str) -> str:
    from tags.extract import digest

    try:
        with open(path, "rb") as handle:
            return digest(handle.read())
    except OSError:
        return ""


def _batches(groups: Iterator[list[Parsed]], max_files: int | None = None) -> Iterator[list[Parsed]]:
    """Each group of results as it arrives, to be stored at once (the parent stores while the
    workers parse); `max_files` at a time when the test hook asks for it."""
    if not max_files:
        yield from groups
        return
    batch: list[Parsed] = []
    for group in groups:
        for item in group:
            batch.append(item)
            if len(batch) == max_files:
                yield batch
                batch = []
    if batch:
        yield batch


# -- a test hook ---------------------------------------------------------------------------------
# Tests of interruption (Ctrl-C, kill) must stop a run at a known point, not race it: with
# NAV_TEST_PAUSE_AFTER=N the run commits its first N files, creates the file named by
# NAV_TEST_PAUSE_MARKER, and waits there for a signal.

def _test_pause_after() -> int | None:
    value = os.environ.get("NAV_TEST_PAUSE_AFTER", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def _test_pause() -> None:
    marker = os.environ.get("NAV_TEST_PAUSE_MARKER")
    if marker:
        with open(marker, "w") as handle:
            handle.write(str(os.getpid()))
    while True:
        time.sleep(3600)


# -- parsing -----------------------------------------------------------------------------------
_worker_namers: dict[str, ModuleNamer] = {}  # a worker's, by root path: each caches which directories are packages


def _parse_chunk(chunk: list[tuple[str, SourceFile]]) -> bytes:
    """Worker side: parse files (each with its root's path) and hand back their rows, packed."""
    return pack_rows(_parse_files(chunk, _worker_namers))


def _parse_files(chunk: list[tuple[str, SourceFile]], namers: dict[str, ModuleNamer]) -> list[FileRows]:
    from tags.discovery import ModuleNamer
    from tags.extract import parse_file

    rows = []
    for root_path, s in chunk:
        namer = namers.get(root_path) or namers.setdefault(root_path, ModuleNamer(root_path))
        rows.append(file_rows(parse_file(s.path, namer(s.path), s.size, s.mtime_ns)))
    return rows


def _start_worker(parent_pid: int, setup: Callable[[], None] | None = None) -> None:
    """Workers leave Ctrl-C to the parent, which stops cleanly and keeps what is committed, and
    die with it when it is killed (kill -9 included) instead of waiting forever for work.

    Their garbage collector runs rarely: extraction makes many objects and no cycles, and the
    collections cost several per cent of a worker's time.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.set_threshold(*_RARE_COLLECTIONS)
    if setup is not None:  # prepared before the fork
        setup()
    else:  # started by spawn: nothing was inherited
        from tags.lifetime import die_with_parent

        die_with_parent(parent_pid)


def _chunks(work: list[tuple[StoredRoot, SourceFile]], workers: int) -> list[list[tuple[StoredRoot, SourceFile]]]:
    """Largest files first, dealt out in chunks of about the same size, a sixteenth of a worker's
    share (by bytes, not by count: the first chunks of a count were all big files), so the
    cores finish together and results arrive early."""
    ordered = sorted(work, key=lambda item: -item[1].size)
    target = sum(max(s.size, 1) for _, s in ordered) / (workers * CHUNKS_PER_WORKER)
    chunks: list[list[tuple[StoredRoot, SourceFile]]] = [[]]
    size = 0
    for item in ordered:
        if size >= target or len(chunks[-1]) >= MAX_CHUNK_FILES:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += max(item[1].size, 1)
    return chunks if chunks[0] else []


def _parse_all(work: list[tuple[StoredRoot, SourceFile]], progress: bool) -> Iterator[list[Parsed]]:
    """The parsed files in groups, as they come."""
    workers = os.cpu_count() or 1
    label = ", ".join(dict.fromkeys(root.name for root, _ in work))
    with Progress(len(work), label, enabled=progress) as bar:
        if len(work) < IN_PROCESS_LIMIT or workers == 1:
            namers: dict[str, ModuleNamer] = {}
            for chunk in _chunks(work, 1):
                rows = _parse_files([(root.path, source) for root, source in chunk], namers)
                for _ in rows:
                    bar.advance()
                yield [(root, item) for (root, _), item in zip(chunk, rows)]
            return
        parse = _parse_in_forks if sys.platform.startswith("linux") else _parse_in_pool
        for group in parse(_chunks(work, workers), workers):
            for _ in group:
                bar.advance()
            yield group


# Forked workers (Linux) talk over pipes. The parent writes chunk numbers into one task pipe
# that all workers read from (4-byte writes and reads are atomic, so each number reaches one
# worker): two per worker to start, one more per result, then one stop mark per worker. Each
# worker answers on its own result pipe with (chunk number, failed, length) and the packed rows
# or the traceback.
_TASK = struct.Struct("<i")
_RESULT = struct.Struct("<iII")
_STOP = -1
_RESULT_PIPE_SIZE = 1 << 20  # Linux's default /proc/sys/fs/pipe-max-size; a chunk's rows are ~150 kB


def _parse_in_forks(chunks: list[list[tuple[StoredRoot, SourceFile]]], workers: int) -> Iterator[list[Parsed]]:
    """Parse the chunks in forked workers; each chunk's rows as they come.

    Plain fork and pipes rather than a process pool: multiprocessing and concurrent.futures
    cost 12 ms to import and their feeder and result threads 20 ms of the parent's CPU. The
    workers inherit the chunks, the extractor and the die-with-parent call, all loaded once here.
    """
    import selectors
    from itertools import islice

    # what a worker uses, imported before the fork (not in the child of a parent that may run threads)
    import tags.discovery
    import tags.extract  # noqa: F401
    from tags.lifetime import child_setup

    setup, tasks = child_setup(), [[(root.path, source) for root, source in chunk] for chunk in chunks]
    task_read, task_write = os.pipe()
    children: dict[int, int] = {}  # result pipe -> worker pid
    selector: selectors.BaseSelector | None = None  # made after the forks: not the workers' to hold
    try:
        for _ in range(min(workers, len(chunks))):
            result_read, result_write = _result_pipe()
            pid = os.fork()
            if pid == 0:
                _worker_main(tasks, task_read, result_write, [task_write, *children], setup)
            os.close(result_write)
            children[result_read] = pid
        os.close(task_read)
        task_read = -1
        numbers = iter([*range(len(tasks)), *[_STOP] * len(children)])
        _write_all(task_write, b"".join(_TASK.pack(i) for i in islice(numbers, 2 * len(children))))
        selector = selectors.DefaultSelector()
        for result_read in children:
            selector.register(result_read, selectors.EVENT_READ)
        for _ in tasks:
            index, data = _next_result(selector)
            _write_all(task_write, b"".join(_TASK.pack(i) for i in islice(numbers, 1)))  # the pipe never fills
            yield list(zip([root for root, _ in chunks[index]], unpack_rows(data)))
    finally:
        if selector is not None:
            selector.close()
        _stop_workers(children, [task_read, task_write])


def _result_pipe() -> tuple[int, int]:
    """A pipe that holds a whole chunk's rows (a megabyte, where the system allows, not 64 kB), so
    that a worker hands its result over and parses on while the parent is still storing the last
    one, instead of waiting for the parent to read."""
    import fcntl

    read, write = os.pipe()
    try:
        fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, _RESULT_PIPE_SIZE)
    except (OSError, AttributeError):  # over the system's limit, or no such call: the default size
        pass
    return read, write


def _next_result(selector: selectors.BaseSelector) -> tuple[int, bytes]:
    """The next chunk's number and packed rows from whichever worker answers first; a worker
    that has stopped (its pipe at its end) is dropped, and when none is left the run fails."""
    while selector.get_map():
        for key, _ in selector.select():
            header = os.read(key.fd, _RESULT.size)
            if not header:
                selector.unregister(key.fd)
                continue
            index, failed, length = _RESULT.unpack(header + _read_exact(key.fd, _RESULT.size - len(header)))
            data = _read_exact(key.fd, length)
            if failed:
                raise RuntimeError(f"an index worker failed:\n{data.decode('utf-8', 'replace')}")
            return index, data
    raise RuntimeError("the index workers stopped before parsing every file")


def _worker_main(tasks: list[list[tuple[str, SourceFile]]], task_read: int, result_write: int,
                 inherited: list[int], setup: Callable[[], None]) -> None:
    """A forked worker: parse the chunks whose numbers it reads until the stop mark; never returns."""
    status = 1
    try:
        for descriptor in inherited:  # the parent's ends and the other workers' pipes
            os.close(descriptor)
        _start_worker(os.getppid(), setup)
        while True:
            (index,) = _TASK.unpack(_read_exact(task_read, _TASK.size))
            if index == _STOP:
                break
            try:
                data, failed = _parse_chunk(tasks[index]), 0
            except Exception:  # noqa: BLE001 (the parent reports it, with the traceback)
                import traceback

                data, failed = traceback.format_exc().encode(), 1
            _write_all(result_write, _RESULT.pack(index, failed, len(data)) + data)
        status = 0
    finally:
        os._exit(status)  # no atexit handlers, no flushing the parent's buffers twice


def _stop_workers(children: dict[int, int], descriptors: list[int]) -> None:
    """Reap the workers (killed first when the parent stops early: Ctrl-C, an error) and close the pipes."""
    import signal

    for result_read, pid in children.items():
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(result_read)
    for descriptor in descriptors:
        if descriptor >= 0:
            os.close(descriptor)


def _read_exact(descriptor: int, size: int) -> bytes:
    """`size` bytes from a pipe; a worker that died mid-way is an error, not a hang."""
    parts, left = [], size
    while left:
        part = os.read(descriptor, min(left, 1 << 20))
        if not part:
            raise RuntimeError("an index worker stopped unexpectedly")
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]


def _parse_in_pool(chunks: list[list[tuple[StoredRoot, SourceFile]]], workers: int) -> Iterator[list[Parsed]]:
    """Where there is no fork (macOS, Windows): a spawned process pool."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),))
    pending: dict[Future, list[StoredRoot]] = {}

    def submit(chunk: list[tuple[StoredRoot, SourceFile]]) -> None:
        pending[pool.submit(_parse_chunk, [(root.path, source) for root, source in chunk])] = [r for r, _ in chunk]

    try:
        queued = iter(chunks)
        for chunk in queued:  # keep a few chunks queued per worker, not all: memory stays flat
            submit(chunk)
            if len(pending) >= workers * 3:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            group: list[Parsed] = []
            for future in done:
                group += zip(pending.pop(future), unpack_rows(future.result()))
                chunk = next(queued, None)
                if chunk is not None:
                    submit(chunk)
            yield group
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
