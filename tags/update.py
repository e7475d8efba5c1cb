"""Applying what the stat pass found: hash touched files, parse changed ones on all cores, store.

Parsing runs in worker processes (fork on Linux); results are committed every half second, so
Ctrl-C or a crash loses at most the batch in flight, which the next run picks up again.
"""
from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

from tags.changes import RefreshReport, RootChanges
from tags.model import OK
from tags.progress import Progress
from tags.sources import SourceFile
from tags.store import FileRows, Index, StoredRoot, file_rows

IN_PROCESS_LIMIT = 24  # fewer files than this are parsed without starting worker processes
BATCH_SECONDS = 0.5  # how often results are committed


def apply_changes(index: Index, changes: RootChanges, report: RefreshReport, progress: bool) -> None:
    """Make the index match the disk for one root."""
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
    if to_parse:
        parsed = _parse_all(changes.root, to_parse, progress)
        pause_after = _test_pause_after()
        for batch in _batches(parsed, max_files=pause_after):
            index.store_files(changes.root, batch)
            report.parsed += len(batch)
            report.problems += [f"{rows.meta.path}: {rows.meta.note}" for rows in batch if rows.meta.status != OK]
            if pause_after and report.parsed >= pause_after:
                _test_pause()
        if changes.root.origin == "package":
            from tags.discovery import package_version

            index.set_root_version(changes.root, package_version(changes.root.name))


def _digest_of(path: str) -> str:
    from tags.extract import digest

    try:
        with open(path, "rb") as handle:
            return digest(handle.read())
    except OSError:
        return ""


def _batches(items: Iterator[FileRows], max_files: int | None = None) -> Iterator[list[FileRows]]:
    """Group results by time, so commits are few but an interruption loses little (by count,
    `max_files` at a time, when the test hook asks for it)."""
    batch: list[FileRows] = []
    deadline = time.monotonic() + BATCH_SECONDS
    for item in items:
        batch.append(item)
        if len(batch) == max_files if max_files else time.monotonic() >= deadline:
            yield batch
            batch, deadline = [], time.monotonic() + BATCH_SECONDS
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
def _parse_chunk(root_path: str, chunk: list[SourceFile]) -> list[FileRows]:
    """Worker side: parse files and hand back plain rows (fast to pickle)."""
    from tags.discovery import ModuleNamer
    from tags.extract import parse_file

    namer = ModuleNamer(root_path)
    return [file_rows(parse_file(s.path, namer(s.path), s.size, s.mtime_ns)) for s in chunk]


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops cleanly and keeps what is committed."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _chunks(files: list[SourceFile], workers: int) -> list[list[SourceFile]]:
    """Largest files first, dealt out in small chunks so the cores finish together."""
    ordered = sorted(files, key=lambda s: -s.size)
    size = max(1, min(16, len(ordered) // (workers * 8)))
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


def _parse_all(root: StoredRoot, files: list[SourceFile], progress: bool) -> Iterator[FileRows]:
    workers = os.cpu_count() or 1
    with Progress(len(files), root.name, enabled=progress) as bar:
        if len(files) < IN_PROCESS_LIMIT or workers == 1:
            for chunk in _chunks(files, 1):
                for item in _parse_chunk(root.path, chunk):
                    bar.advance()
                    yield item
            return
        yield from _parse_in_pool(root, files, workers, bar)


def _parse_in_pool(root: StoredRoot, files: list[SourceFile], workers: int, bar: "Progress") -> Iterator[FileRows]:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_ignore_sigint)
    pending: set[Future] = set()
    try:
        chunks = iter(_chunks(files, workers))
        for chunk in chunks:  # keep a few chunks queued per worker, not all: memory stays flat
            pending.add(pool.submit(_parse_chunk, root.path, chunk))
            if len(pending) >= workers * 3:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                for item in future.result():
                    bar.advance()
                    yield item
                chunk = next(chunks, None)
                if chunk is not None:
                    pending.add(pool.submit(_parse_chunk, root.path, chunk))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
