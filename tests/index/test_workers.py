"""The forked parse workers: every chunk comes back once, parsed as in-process parsing would;
a worker that fails or dies stops the run with an error instead of a hang."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tags import update
from tags.sources import SourceFile
from tags.store import StoredRoot

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked workers are Linux only")


def _chunks(tmp_path: Path, count: int) -> list[list[tuple[StoredRoot, SourceFile]]]:
    files = []
    for i in range(count):
        path = tmp_path / f"m{i}.py"
        path.write_text(f"def f{i}(x):\n    return g{i}(x)\n" * (i + 1))
        files.append((StoredRoot(1, str(tmp_path), "src", "path", ""), SourceFile(str(path), path.stat().st_size, 0)))
    return update._chunks(files, 2)


def test_forked_workers_return_every_chunk_as_parsed_in_process(tmp_path: Path) -> None:
    chunks = _chunks(tmp_path, 40)
    assert len(chunks) > 4  # more chunks than workers: numbers are handed out as results come
    forked = [item for group in update._parse_in_forks(chunks, 2) for item in group]
    in_process = update._parse_files([(root.path, source) for chunk in chunks for root, source in chunk], {})
    assert sorted(rows for _, rows in forked) == sorted(in_process)
    assert len({rows.meta.path for _, rows in forked}) == 40


def _fail(chunk: list) -> bytes:
    raise ValueError("parser exploded")


def _die(chunk: list) -> bytes:
    os._exit(3)


def test_a_worker_exception_is_reported_with_its_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(update, "_parse_chunk", _fail)
    with pytest.raises(RuntimeError, match="parser exploded"):
        list(update._parse_in_forks(_chunks(tmp_path, 8), 2))


def test_workers_that_die_stop_the_run_instead_of_hanging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(update, "_parse_chunk", _die)
    with pytest.raises(RuntimeError, match="stopped before parsing every file"):
        list(update._parse_in_forks(_chunks(tmp_path, 8), 2))


def test_a_result_pipe_takes_a_whole_chunk_without_the_parent_reading() -> None:
    """A chunk's rows are ~150 kB: in a 64 kB pipe the worker waited, idle, for the parent to finish
    storing the last result and read."""
    with open("/proc/sys/fs/pipe-max-size") as handle:
        if int(handle.read()) < update._RESULT_PIPE_SIZE:
            pytest.skip("this system caps pipes below a megabyte")
    read, write = update._result_pipe()
    try:
        os.set_blocking(write, False)
        assert os.write(write, b"x" * 600_000) == 600_000  # a plain pipe takes 65,536 bytes of it
    finally:
        os.close(read)
        os.close(write)


def test_the_parent_collects_garbage_rarely_while_it_stores_rows_and_as_before_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unpacking a chunk's rows made the parent's collector run again and again over objects that
    hold no cycles (on torch, 140 collections, 5% of the parent's time)."""
    import gc

    from tags.discovery import Root
    from tags.indexer import add_targets, refresh
    from tags.store import Index

    source = tmp_path / "src"
    source.mkdir()
    _chunks(source, 3)  # writes three modules
    seen: list[tuple[int, ...]] = []
    monkeypatch.setattr(Index, "store_files", lambda self, batch: seen.append(gc.get_threshold()))
    index = Index.open(str(tmp_path / "cache"))
    before = gc.get_threshold()
    refresh(index, add_targets(index, [Root(str(source), "src", "directory")]), progress=False)
    index.close()
    assert seen and set(seen) == {update._RARE_COLLECTIONS}
    assert gc.get_threshold() == before
