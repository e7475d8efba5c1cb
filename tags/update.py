"""Applying what the stat pass found: hash touched files, parse changed ones on all cores, store.

Parsing runs in worker processes (fork on Linux); the parent stores and commits results as they
arrive, chunk by chunk, so Ctrl-C or a crash loses at most the chunks in flight, which the next
run picks up again, and the last commit follows the last file at once.
"""
from __future__ import annotations

import os
import sys
import time

from tags.changes import RefreshReport, RootChanges
from tags.model import OK
from tags.progress import Progress
from tags.sources import SourceFile
from tags.store import FileRows, Index, StoredRoot, file_rows, pack_rows, unpack_rows

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tags.discovery import ModuleNamer

    Parsed = tuple[StoredRoot, FileRows]  # a parsed file's rows, with the root it belongs to

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
    for batch in _batches(_parse_all(work, progress), max_files=pause_after):
        index.store_files(batch)
        report.parsed += len(batch)
        report.problems += [f"{rows.meta.path}: {rows.meta.note}" for _, rows in batch if rows.meta.status != OK]
        if pause_after and report.parsed >= pause_after:
            _test_pause()
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
_worker_setup: Callable[[], None] | None = None  # prepared in the parent, inherited by forked workers


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


def _start_worker(parent_pid: int) -> None:
    """Workers leave Ctrl-C to the parent, which stops cleanly and keeps what is committed, and
    die with it when it is killed (kill -9 included) instead of waiting forever for work.

    Their garbage collector runs rarely: extraction makes many objects and no cycles, and the
    collections cost several per cent of a worker's time.
    """
    import gc
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.set_threshold(100_000, 50, 100)
    if _worker_setup is not None:
        _worker_setup()
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
        yield from _parse_in_pool(work, workers, bar)


def _parse_in_pool(work: list[tuple[StoredRoot, SourceFile]], workers: int, bar: Progress) -> Iterator[list[Parsed]]:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    global _worker_setup
    fork = sys.platform.startswith("linux")
    if fork:  # what every worker needs is loaded once here, before the fork, not once per worker
        import tags.extract  # noqa: F401
        from tags.lifetime import child_setup

        _worker_setup = child_setup()
    context = multiprocessing.get_context("fork" if fork else "spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),))
    pending: dict[Future, list[StoredRoot]] = {}

    def submit(chunk: list[tuple[StoredRoot, SourceFile]]) -> None:
        pending[pool.submit(_parse_chunk, [(root.path, source) for root, source in chunk])] = [r for r, _ in chunk]

    try:
        chunks = iter(_chunks(work, workers))
        for chunk in chunks:  # keep a few chunks queued per worker, not all: memory stays flat
            submit(chunk)
            if len(pending) >= workers * 3:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            group: list[Parsed] = []
            for future in done:
                group += zip(pending.pop(future), unpack_rows(future.result()))
                chunk = next(chunks, None)
                if chunk is not None:
                    submit(chunk)
            for _ in group:
                bar.advance()
            yield group
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _worker_setup = None
