"""Apply a registered codemod to a fastai checkout, package or file: safely, and undoably.

Every target file is transformed in memory and checked to compile; then the original bytes
are saved under the cache directory (`NAV_CACHE_DIR`, else the user cache dir of `nav`) and
all changed files are written atomically (temporary file + rename), all or none. Applies to
one PATH stack up, and `undo_codemod(PATH)` restores the bytes of the latest one exactly.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from navigator.codemod.registry import (
    AlreadyApplied,
    Codemod,
    CodemodError,
    Outcome,
    Refused,
    TargetFile,
    Transformed,
    get_codemod,
)
from tags.errors import NESTED_TOO_DEEP, NavError


@dataclass(frozen=True)
class FileChange:
    """One file's bytes before and after a codemod."""

    path: Path
    before: bytes
    after: bytes


@dataclass
class ApplyResult:
    """What `apply_codemod` did (or, for a dry run, would do)."""

    codemod: str
    path: Path
    revert: bool
    dry_run: bool
    changes: list[FileChange] = field(default_factory=list)
    already_applied: list[Path] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)  # any refusal: nothing was written
    diff: str = ""

    @property
    def status(self) -> str:
        if self.refused:
            return "refused"
        if not self.changes:
            return "already applied"
        return "dry run" if self.dry_run else "applied"

    def raise_if_refused(self) -> None:
        """For callers that treat a refusal as the end of the command: exit 1 with the reasons."""
        if self.refused:
            raise CodemodError("; ".join(refusal.reason for refusal in self.refused))


@dataclass
class UndoResult:
    """What `undo_codemod` restored."""

    codemod: str
    path: Path
    revert: bool
    restored: list[Path]


@dataclass(frozen=True)
class _Target:
    spec: TargetFile
    file: Path
    notebook: bool


# --- public API ----------------------------------------------------------------------------

def transform_source(name: str, source: str, revert: bool = False, module: str | None = None) -> Outcome:
    """Codemod `name` (or its `--revert`) on the source of one module; pure, writes nothing."""
    return get_codemod(name).target(module).load_transform()(source, revert)


def apply_codemod(name: str, path: str | os.PathLike[str], *, revert: bool = False,
                  dry_run: bool = False, force: bool = False) -> ApplyResult:
    """Apply codemod `name` to PATH (checkout, package dir or file), all files or none.

    A file in neither shape makes the result `refused`, with the reason, and nothing is written.
    """
    codemod, root = get_codemod(name), _resolved(path)
    if dry_run and not _records_of(root).is_dir():  # never patched by nav: no journal to recover, and a
        return _apply(codemod, root, revert, dry_run, force)  # dry run writes nothing, not even a lock
    with _patching(root, f"applying {codemod.name}"):
        return _apply(codemod, root, revert, dry_run, force)


def _apply(codemod: Codemod, root: Path, revert: bool, dry_run: bool, force: bool) -> ApplyResult:
    recover_interrupted(root)
    result = ApplyResult(codemod.name, root, revert, dry_run)
    for target in _targets(codemod, root):
        if target.file.is_symlink():  # a rename would replace the link by a file: refuse instead
            reason = (f"is a symbolic link (to {os.readlink(target.file)}); nav does not patch through links: "
                      "apply the codemod to the link's target, or replace the link by a copy")
            result.refused.append(Refused(reason).where(_shown(target.file, root)))
            continue
        before = target.file.read_bytes()
        outcome = _transform_file(target, before, revert)
        if isinstance(outcome, Refused):
            result.refused.append(outcome.where(_shown(target.file, root)))
        elif isinstance(outcome, AlreadyApplied):
            result.already_applied.append(target.file)
        elif outcome.code.encode("utf-8") != before:
            result.changes.append(FileChange(target.file, before, outcome.code.encode("utf-8")))
    if result.refused:
        result.changes = []
        return result
    result.diff = unified_diff(result.changes, root)
    if dry_run or not result.changes:
        return result
    if not force:
        _refuse_uncommitted([c.path for c in result.changes], root)
    record = _save_record(root, codemod.name, revert, result.changes)  # the journal: pending until done
    try:
        _write_all({c.path: c.after for c in result.changes}, {c.path: c.before for c in result.changes})
    except BaseException:
        shutil.rmtree(record, ignore_errors=True)
        raise
    (record / PENDING).unlink()
    return result


def undo_codemod(path: str | os.PathLike[str], *, force: bool = False) -> UndoResult:
    """Restore the bytes the latest apply to PATH replaced; refuse files edited since then."""
    root = _resolved(path)
    with _patching(root, "undoing a codemod"):
        return _undo(root, force)


def _undo(root: Path, force: bool) -> UndoResult:
    recover_interrupted(root)
    record = _latest_record(root)
    if record is None:
        raise CodemodError(f"no codemod applied to {root} to undo")
    manifest, files = _read_record(record)
    edited = [p for p, _, sha in files if not p.is_file() or _sha256(p.read_bytes()) != sha]
    if edited and not force:
        names = ", ".join(_shown(p, root) for p in edited)
        raise CodemodError(f"{names} changed since the codemod was applied; pass --force to undo anyway")
    originals = {p: backup.read_bytes() for p, backup, _ in files}
    current = {p: p.read_bytes() if p.is_file() else b"" for p in originals}
    _write_all(originals, current)
    shutil.rmtree(record)
    return UndoResult(manifest["codemod"], root, manifest["revert"], list(originals))


def _read_record(record: Path) -> tuple[dict, list[tuple[Path, Path, str]]]:
    """The manifest and (file, backup, sha after) of a record; a damaged one is refused whole."""
    try:
        manifest = json.loads((record / "manifest.json").read_text())
        files = [(Path(f["path"]), record / f["backup"], f["after_sha256"]) for f in manifest["files"]]
        if not isinstance(manifest.get("codemod"), str) or not isinstance(manifest.get("revert"), bool):
            raise KeyError("codemod or revert")
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as err:
        raise CodemodError(f"the undo record {record} is damaged ({type(err).__name__}: {err}); nothing "
                           "restored: restore the files with git or a fresh copy, then delete the record") from None
    missing = [str(backup) for _, backup, _ in files if not backup.is_file()]
    if missing:
        raise CodemodError(f"the undo record {record} lacks its backup {', '.join(missing)}; nothing restored: "
                           "restore the files with git or a fresh copy, then delete the record")
    return manifest, files


@contextmanager
def _patching(root: Path, doing: str) -> Iterator[None]:
    """One nav at a time patches or restores a checkout; another waits, saying for whom. So a
    pending record is always an interrupted apply: the second of two applies at once took the
    first one's journal, still being written, for one, rolled its files back and deleted it."""
    from tags.locks import file_lock

    def waiting(holder: str) -> None:
        print(f"nav: waiting for {holder} to finish with {root}", file=sys.stderr, flush=True)

    records = _records_of(root)
    with ExitStack() as held:
        try:
            held.enter_context(file_lock(records / LOCK, wait=True, doing=doing, on_wait=waiting))
        except OSError as err:  # a read-only or full cache dir: where the undo record would go too
            raise NavError(f"cannot save the undo record under {records} ({err.strerror}); nothing was changed "
                           f"in {root}") from err
        yield


def recover_interrupted(root: Path) -> list[Path]:
    """Roll back an apply that was killed mid-write (its record is still pending): files already
    replaced get their original bytes back, temporaries go, the record goes. Returns the files.
    Called with the checkout locked (see `_patching`): no other process is writing that record."""
    rolled: list[Path] = []
    parent = _records_of(root)
    for staging in parent.glob(".new-*"):  # killed while saving the record: nothing was written yet
        shutil.rmtree(staging, ignore_errors=True)
    for record in sorted(p for p in parent.glob("[0-9]*") if (p / PENDING).is_file()):
        manifest, files = _read_record(record)
        originals = {p: backup.read_bytes() for p, backup, sha in files
                     if p.is_file() and _sha256(p.read_bytes()) == sha}
        if originals:
            _write_all(originals, {p: p.read_bytes() for p in originals})
        for path, _, _ in files:
            for temp in path.parent.glob(f".{path.name}.*.nav-tmp"):
                temp.unlink(missing_ok=True)
        shutil.rmtree(record)
        rolled += list(originals)
        print(f"nav: an interrupted apply of {manifest['codemod']} to {root} was rolled back "
              f"({len(originals)} file(s) restored)", file=sys.stderr)
    return rolled


def forget_records(path: str | os.PathLike[str]) -> None:
    """Drop the undo records of PATH, for a copy that is being replaced wholesale (a workspace)."""
    shutil.rmtree(_records_of(Path(path).expanduser().resolve()), ignore_errors=True)


def unified_diff(changes: list[FileChange], root: Path) -> str:
    """One unified diff of all changes, with paths relative to PATH."""
    chunks = []
    for change in changes:
        shown = _shown(change.path, root)
        chunks.extend(difflib.unified_diff(
            change.before.decode().splitlines(keepends=True), change.after.decode().splitlines(keepends=True),
            f"a/{shown}", f"b/{shown}"))
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)


# --- targets and transforms --------------------------------------------------------------

def _resolved(path: str | os.PathLike[str]) -> Path:
    """PATH made absolute with its links followed; a symlink loop is a clear error (pathlib
    raises RuntimeError for one on Python 3.11, OSError on 3.13)."""
    try:
        return Path(path).expanduser().resolve()
    except (RuntimeError, OSError) as err:
        raise NavError(f"{path}: cannot be followed (a symlink loop?): {err}") from None


def _targets(codemod: Codemod, root: Path) -> list[_Target]:
    """The files of `codemod` under PATH: a checkout / unpacked wheel, a package dir, or a file."""
    if root.is_file():
        notebook = root.suffix == ".ipynb"
        for spec in codemod.files:
            name = Path(spec.notebook).name if notebook and spec.notebook else Path(spec.module).name
            if root.name == name or len(codemod.files) == 1:
                return [_Target(spec, root, notebook)]
        raise NavError(f"{root.name} is none of the files codemod {codemod.name} changes")
    if not root.is_dir():
        if root.exists():  # a FIFO, socket or device: never opened (a FIFO would block the read)
            raise NavError(f"{root}: not a regular file or directory (a FIFO, socket or device?)")
        raise NavError(f"no such file or directory: {root}")
    found: list[_Target] = []
    for spec in codemod.files:
        package, _, inner = spec.module.partition("/")
        for module in (root / spec.module, root / inner if root.name == package else None):
            if module is not None and module.is_file():
                found.append(_Target(spec, module, False))
                break
        if spec.notebook and (root / spec.notebook).is_file():
            found.append(_Target(spec, root / spec.notebook, True))
    if not found:
        wanted = ", ".join(spec.module for spec in codemod.files)
        raise NavError(f"{root} holds none of the files codemod {codemod.name} changes ({wanted})")
    return found


def _transform_file(target: _Target, before: bytes, revert: bool) -> Outcome:
    """The file's new text, checked to compile, or why not."""
    try:
        text = before.decode("utf-8")
    except UnicodeDecodeError:
        return Refused("not UTF-8 text")
    transform = target.spec.load_transform()
    if target.notebook:
        from navigator.codemod import notebooks

        outcome = notebooks.transform_notebook(text, lambda code: transform(code, revert))
        code = notebooks.exported_code(outcome.code) if isinstance(outcome, Transformed) else ""
    else:
        outcome = transform(text, revert)
        code = outcome.code if isinstance(outcome, Transformed) else ""
    if not isinstance(outcome, Transformed):
        return outcome
    try:
        compile(code, str(target.file), "exec", dont_inherit=True)
    except SyntaxError as err:
        return Refused(f"the result does not compile (line {err.lineno}: {err.msg}); nothing written")
    except NESTED_TOO_DEEP:
        return Refused("the result nests too deeply for Python to compile; nothing written")
    return outcome


def _shown(path: Path, root: Path) -> str:
    """`path` relative to PATH when inside it, for messages and diffs."""
    if path == root:
        return path.name
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


# --- safety: git, atomic writes, records ---------------------------------------------------

def _refuse_uncommitted(paths: list[Path], root: Path) -> None:
    """In a git checkout, refuse files with uncommitted changes (or untracked ones)."""
    for path in paths:
        try:
            proc = subprocess.run(["git", "status", "--porcelain", "--", path.name], cwd=path.parent,
                                  capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return  # no usable git: not treated as a checkout
        if proc.returncode == 0 and proc.stdout.strip():
            raise CodemodError(f"{_shown(path, root)} has uncommitted changes; commit or stash them, "
                               "or pass --force")


def _write_all(new: dict[Path, bytes], old: dict[Path, bytes]) -> None:
    """Write every file atomically (temp file + rename), all or none: on failure, put `old` back."""
    temps: dict[Path, Path] = {}
    try:
        for path, data in new.items():
            temps[path] = _temp_copy(path, data)
    except OSError as err:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
        raise CodemodError(f"cannot write {err.filename}: {err.strerror}; nothing written") from None
    replaced: list[Path] = []
    try:
        for path, temp in temps.items():
            os.replace(temp, path)
            replaced.append(path)
            _test_pause(len(replaced))
    except BaseException:
        for path in replaced:
            os.replace(_temp_copy(path, old[path]), path)
        for temp in temps.values():
            temp.unlink(missing_ok=True)
        raise


def _test_pause(renamed: int) -> None:
    """Test hook: with NAV_TEST_PAUSE_AFTER_RENAMES=N, stop after the N-th rename, create the file
    NAV_TEST_PAUSE_MARKER and wait, so a test can kill -9 at exactly this point."""
    if os.environ.get("NAV_TEST_PAUSE_AFTER_RENAMES") != str(renamed):
        return
    Path(os.environ["NAV_TEST_PAUSE_MARKER"]).write_text(str(os.getpid()))
    while True:
        time.sleep(3600)


def _temp_copy(path: Path, data: bytes) -> Path:
    """A temporary file next to `path` holding `data`, with `path`'s permissions."""
    from tags.atomic import stage

    return Path(stage(path, data, suffix=".nav-tmp"))


PENDING = "pending"  # in a record while its files are being written: the journal of one apply
LOCK = "lock"  # beside a checkout's records: held while a nav patches or restores it (see `_patching`)


def _records_root() -> Path:
    """Where undo records live: `codemods/` under nav's cache dir (`NAV_CACHE_DIR` overrides)."""
    from tags.store import cache_dir

    return Path(cache_dir()) / "codemods"


def _records_of(root: Path) -> Path:
    return _records_root() / hashlib.sha256(str(root).encode()).hexdigest()[:16]


def _latest_record(root: Path) -> Path | None:
    records = sorted(p for p in _records_of(root).glob("[0-9]*") if (p / "manifest.json").is_file())
    return records[-1] if records else None


def _save_record(root: Path, codemod: str, revert: bool, changes: list[FileChange]) -> Path:
    """Save the original bytes and a manifest, before anything is written to PATH; a cache dir
    that cannot hold them (full, read-only) stops the run with nothing changed."""
    parent = _records_of(root)
    staging = None
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=".new-"))
        return _write_record(parent, staging, root, codemod, revert, changes)
    except OSError as err:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise NavError(f"cannot save the undo record under {parent} ({err.strerror}); nothing was changed "
                       f"in {root}") from err


def _write_record(parent: Path, staging: Path, root: Path, codemod: str, revert: bool,
                  changes: list[FileChange]) -> Path:
    latest = _latest_record(root)
    record = parent / f"{int(latest.name) + 1 if latest else 1:04d}"
    files = []
    for number, change in enumerate(changes):
        (staging / f"{number}.orig").write_bytes(change.before)
        files.append({"path": str(change.path), "backup": f"{number}.orig",
                      "before_sha256": _sha256(change.before), "after_sha256": _sha256(change.after)})
    manifest = {"codemod": codemod, "revert": revert, "path": str(root), "time": time.time(), "files": files}
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=1))
    (staging / PENDING).write_text("the files are being written; the next run rolls this back\n")
    os.rename(staging, record)
    return record


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
