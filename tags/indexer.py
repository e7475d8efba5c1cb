"""Keeping the index in step with the sources: a cheap stat pass, then parse only what changed.

`refresh()` runs before every query. When nothing changed it costs one directory walk and one
SELECT per root, plus one small read (`follow_this_python`), and imports nothing heavy; the
parsing half lives in `tags.update`.
"""
from __future__ import annotations

import os
import sys

from tags.changes import RefreshReport, RootChanges
from tags.errors import NavError
from tags.sources import SourceFile, read_regular_file, walk
from tags.store import CorruptIndex, Index, StoredRoot, lock_timeout

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Iterable, TypeVar

    from tags.discovery import Root

    T = TypeVar("T")


def scan(index: Index, root: StoredRoot) -> RootChanges:
    """Compare the files on disk with what the index holds for `root`."""
    changes = RootChanges(root)
    if not os.path.isdir(root.path):
        changes.missing = True
        return changes
    files, changes.notes = walk(root.path)
    stored = index.file_states(root)
    for source in files:
        state = stored.pop(source.path, None)
        if state is None or source.size != state.size or source.size < 0:
            changes.to_parse.append(source)
        elif source.mtime_ns != state.mtime_ns:
            changes.touched.append((source, state))
    changes.removed = list(stored)
    return changes


def refresh(index: Index, roots: Iterable[StoredRoot] | None = None, *, progress: bool = True,
            force: bool = False, walk_notes: bool = True) -> RefreshReport:
    """Bring the index up to date with the files on disk (all roots unless given). A root's walk
    notes (links not followed, loops) are reported with `walk_notes`, or when the root changed:
    queries pass False, so the same note is not printed by every `nav find`."""
    import time

    started = time.perf_counter()
    report = RefreshReport()
    changed: list[RootChanges] = []
    if roots is None:
        follow_this_python(index, report)
    pending = list(roots if roots is not None else index.roots())
    while pending:
        root = pending.pop(0)
        changes = scan(index, root)
        if walk_notes or not changes.empty:
            report.notes.extend(changes.notes)
        if changes.missing:
            moved = _moved_package(index, root)  # registered before the dead root goes: a kill between loses neither
            index.remove_root(root)
            if moved is None:
                report.notes.append(f"{root.path}: no longer exists; dropped from the index")
                report.dropped.append(root.path)
                continue
            report.notes.append(f"{root.path}: no longer exists; {root.name} is indexed from {moved.path} instead")
            pending.append(moved)
            continue
        if force:
            changes.to_parse += [source for source, _ in changes.touched]
            changes.to_parse += _unchanged(index, root, changes)
            changes.touched = []
        if not changes.empty:
            changed.append(changes)
    if changed:  # all roots at once: one worker pool
        from tags.update import apply_changes

        apply_changes(index, changed, report, progress)
    report.seconds = time.perf_counter() - started
    return report


def _moved_package(index: Index, root: StoredRoot) -> StoredRoot | None:
    """An installed package whose folder is gone (a venv recreated elsewhere, a reinstall) is
    looked up again by name in this interpreter, so the index follows it instead of going empty."""
    found = _installed_here(root)
    return _take_over(index, root, found) if found is not None else None


def _installed_here(root: StoredRoot | Root) -> Root | None:
    """The package a root registered by package name names, as this Python imports it; None for a
    directory root, or a package not installed here."""
    if root.origin != "package":
        return None
    from tags.discovery import installed_package

    found = installed_package(root.name)
    return found if found is not None and os.path.isdir(found.path) else None


def _take_over(index: Index, root: StoredRoot, found: Root) -> StoredRoot | None:
    """Register `found`, the package `root` names found in another folder, before `root` goes (a kill
    between loses neither); None when another root already holds it."""
    if any(_inside(found.path, other.path) for other in index.roots() if other.id != root.id):
        return None  # already indexed, itself or as part of another root
    return index.add_root(found)


PYTHON_FILE = "python.txt"  # the Python whose packages the package roots are (see `follow_this_python`)
_MAX_PYTHON_FILE = 1 << 16


def follow_this_python(index: Index, report: RefreshReport) -> None:
    """Roots registered by package name (`fastai`, the defaults) are that package as the Python
    running nav imports it. An index shared by several environments (one cache per user: a second
    venv, CI's fresh venv each run) kept answering from the first environment's fastai while that
    one existed; now a root whose name this Python imports from another folder is indexed from there.

    Looked up only when the Python (see `_this_python`) differs from the one noted beside the index
    by the last lookup, so a query pays one small read: finding packages costs milliseconds.
    """
    here = _this_python()
    marker = os.path.join(index.directory, PYTHON_FILE)
    try:
        if read_regular_file(marker, _MAX_PYTHON_FILE) == here:
            return
    except OSError:  # none yet (a FIFO there is not read): look up
        pass
    for root in index.roots():
        if root.origin == "package" and os.path.isdir(root.path):
            _to_this_python(index, root, report)
    try:
        from tags.atomic import write_atomic

        write_atomic(marker, here)
    except OSError:  # a read-only or full cache: looked up again by the next query
        pass


def _this_python() -> bytes:
    """What decides where packages are found: the prefix and the import path, less its first entry (the
    current or script directory) and nav's own folder (a walkthrough's `nav` steps put it first)."""
    nav_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = sorted({os.path.abspath(path) for path in sys.path[1:] if path} - {nav_root})
    return "\n".join([sys.prefix, *paths, ""]).encode("utf-8", "surrogateescape")


def _to_this_python(index: Index, root: StoredRoot, report: RefreshReport) -> None:
    """Index the package `root` names from where this Python imports it, when that is another folder."""
    found = _installed_here(root)
    if found is None or found.path == root.path:
        return  # not installed here (the other environment's copy is all there is), or the same
    _take_over(index, root, found)
    index.remove_root(root)
    report.notes.append(f"{root.path}: not the {root.name} this Python imports; "
                        f"{root.name} is indexed from {found.path} instead")


def _unchanged(index: Index, root: StoredRoot, changes: RootChanges) -> list[SourceFile]:
    """For a forced rebuild: the files the stat pass found up to date."""
    seen = {s.path for s in changes.to_parse} | {s.path for s, _ in changes.touched}
    return [s for s in walk(root.path)[0] if s.path not in seen]


# -- the entry points commands use -------------------------------------------------------------
def ensure_roots(index: Index) -> None:
    """A fresh index starts with the roots it had before a rebuild, or the default packages.

    A saved package root whose folder is gone (the venv of an earlier run, CI's fresh venv each
    time) is that package as this Python imports it, as `refresh` follows one that goes later:
    a rebuild (a new index format) after the venv moved started empty, and `nav find` found nothing."""
    if index.roots():
        return
    from tags.discovery import default_roots

    kept = []
    for root in index.saved_roots():
        if os.path.isdir(root.path):
            kept.append(root)
        elif (found := _installed_here(root)) is not None:
            kept.append(found)
    index.add_roots(kept or [root for root in default_roots() if os.path.isdir(root.path)])


def add_targets(index: Index, roots: list[Root]) -> list[StoredRoot]:
    """Register new roots; a root inside an existing one is already covered. A package given by name
    replaces the root of that name found in another environment (see `follow_this_python`)."""
    existing = index.roots()
    replaced: list[StoredRoot] = []
    for root in roots:
        for other in [r for r in existing if root.origin == r.origin == "package" and r.name == root.name
                      and r.path != root.path]:
            print(f"nav: {other.path}: not the {root.name} this Python imports; replacing that root with {root.path}",
                  file=sys.stderr)
            replaced.append(other)
            existing.remove(other)
        outer = next((r for r in existing if _inside(root.path, r.path) and r.path != root.path), None)
        if outer is not None:
            raise NavError(f"{root.path} is already indexed as part of {outer.path}")
        for inner in [r for r in existing if _inside(r.path, root.path) and r.path != root.path]:
            print(f"nav: {root.path} includes {inner.path}; replacing that root", file=sys.stderr)
            index.remove_root(inner)
    stored = index.add_roots(roots)
    for other in replaced:  # after the new root is in: a kill between loses neither
        index.remove_root(other)
    return stored


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def with_index(action: Callable[[Index], T], directory: str | None = None) -> T:
    """Open the index and run `action`; a corrupted index is rebuilt once, then retried."""
    import sqlite3

    from tags.store import INDEX_FILE, is_corruption, move_aside

    index = Index.open(directory)
    try:
        return action(index)
    except (CorruptIndex, sqlite3.DatabaseError) as err:
        if isinstance(err, sqlite3.DatabaseError) and not is_corruption(err):
            raise write_problem(err, index.directory) from err
        damage = err  # a page past the schema is damaged: found only by the query that reads it
    except OSError as err:  # the side files (roots.json) on a full or read-only disk
        import errno

        if err.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            raise
        raise write_problem(err, index.directory) from err
    finally:
        index.close()
    print(f"nav: the index is unreadable ({damage}); rebuilding it", file=sys.stderr)
    move_aside(os.path.join(index.directory, INDEX_FILE))
    index = Index.open(directory)
    try:
        return action(index)
    finally:
        index.close()


def write_problem(err: Exception, directory: str) -> NavError:
    """A failed write to the index as the user can act on it; what was committed stays."""
    text = str(err).lower()
    where = os.path.join(directory, "index.sqlite3")
    if "readonly" in text or "read-only" in text:
        return NavError(f"the index at {where} is read-only; make it writable, or set NAV_CACHE_DIR "
                        "to a writable directory")
    if "full" in text or "no space" in text or "quota" in text:
        return NavError(f"the disk holding the index ({directory}) is full; free some space and run the "
                        "command again (what was indexed so far is kept)")
    if "locked" in text or "busy" in text:
        return NavError(f"the index at {where} stayed locked by another nav process for over "
                        f"{lock_timeout():g} s; wait for it to finish (or stop it) and try again")
    return NavError(f"the index at {where} cannot be written: {err}")


def fresh_index(index: Index, progress: bool = True) -> RefreshReport:
    """What every query calls first: make sure roots exist and nothing is stale."""
    ensure_roots(index)
    report = refresh(index, progress=progress, walk_notes=False)
    if index.roots():
        return report
    try:
        ensure_roots(index)  # every root vanished: start again from the default packages
    except NavError as err:  # and none is installed: say what vanished, in the one line
        raise NavError(f"every indexed folder is gone ({', '.join(report.dropped)}); {err}") from None
    again = refresh(index, progress=progress, walk_notes=False)
    again.notes[:0] = report.notes
    return again
