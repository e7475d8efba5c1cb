"""What a file browser asks of the index: roots, their modules, a module's definitions, and
which definition a name in a file most likely means. Used by the TUI; plain data out."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from navigator.queries import Hit, find, hits_where

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tags.store import Index, StoredRoot

OUTLINE_KINDS = ("class", "function", "method", "model")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


@dataclass(frozen=True)
class ModuleEntry:
    """One indexed file under a root: `fastai.data.transforms` at `fastai/data/transforms.py`."""

    module: str
    path: str
    display: str


def root_relative_path(path: str, roots: list[StoredRoot]) -> str:
    """A path relative to the directory holding its root: `fastai/data/transforms.py`.

    Shorter than an absolute site-packages path and the same on every machine.
    """
    for root in roots:
        if path == root.path or path.startswith(root.path + os.sep):
            return os.path.relpath(path, os.path.dirname(root.path))
    return path


def modules(index: Index, root: StoredRoot) -> list[ModuleEntry]:
    """The files of a root, sorted by module name."""
    rows = index.rows("SELECT module, path FROM files WHERE root_id = ? ORDER BY module", (root.id,))
    return [ModuleEntry(module, path, root_relative_path(path, [root])) for module, path in rows]


def module_hit(index: Index, path: str) -> Hit | None:
    """The `module` definition of a file: the parent of its top-level definitions."""
    found = hits_where(index, "f.path = ? AND d.kind = 'module'", (path,), 0, 1)
    return found[0] if found else None


def children(index: Index, parent: Hit) -> list[Hit]:
    """Classes, functions, methods and models directly inside `parent`, in source order."""
    kinds = ",".join(f"'{kind}'" for kind in OUTLINE_KINDS)
    return hits_where(index, f"d.parent_id = ? AND d.kind IN ({kinds}) ORDER BY d.line", (parent.id,), 0, 10_000)


def hit_by_id(index: Index, def_id: int) -> Hit | None:
    found = hits_where(index, "d.id = ?", (def_id,), 0, 1)
    return found[0] if found else None


def enclosing(index: Index, path: str, line: int) -> Hit | None:
    """The innermost definition (not a variable) whose source holds `line` of `path`."""
    kinds = ",".join(f"'{kind}'" for kind in (*OUTLINE_KINDS, "module"))
    found = hits_where(index, f"f.path = ? AND d.kind IN ({kinds}) AND d.first_line <= ? AND d.end_line >= ? "
                  "ORDER BY d.end_line - d.first_line, d.kind = 'module'", (path, line, line), 0, 1)
    return found[0] if found else None


def word_at(text: str, column: int) -> str:
    """The dotted name under a 0-based column, up to the part under it.

    On `from_stats` in `Normalize.from_stats` that is the whole name; on `Normalize`, `Normalize`.
    """
    for match in _IDENTIFIER.finditer(text):
        if match.start() <= column <= match.end():
            end = text.find(".", column, match.end())
            return text[match.start(): end if end >= 0 else match.end()]
    return ""


def call_target(index: Index, path: str, line: int, column: int) -> Hit | None:
    """The definition a call under the cursor resolves to, as `nav trace` resolves it.

    Only when the cursor is on the called name itself (`add_tfms` in `dls.add_tfms(...)`);
    `column` is 0-based. Exact resolutions win over inferred ones, then by-name guesses.
    """
    from navigator.trace.static import HOW_ORDER
    from tags.callgraph import ensure_graph

    ensure_graph(index)
    rows = index.rows(
        "SELECT e.callee_id, c.callee, e.col, e.how, e.rank FROM edges e JOIN files f ON f.id = e.file_id "
        "JOIN calls c ON c.file_id = e.file_id AND c.line = e.line AND c.col = e.col "
        "WHERE f.path = ? AND e.line = ?", (path, line))
    for callee_id, text, col, _, _ in sorted(rows, key=lambda row: (HOW_ORDER.get(row[3], 9), row[4])):
        end = col - 1 + len(text)
        if end - len(text.rpartition(".")[2]) <= column <= end:
            return hit_by_id(index, callee_id)
    return None


def definition_of(index: Index, word: str, path: str) -> Hit | None:
    """The definition a name in `path` most likely refers to, like ctags' jump.

    The full dotted name is tried first, then shorter tails (`dls.add_tfms` -> `add_tfms`);
    among exact matches, one in the same file wins, then one in the same package.
    """
    parts = word.split(".")
    for start in range(len(parts)):
        name = ".".join(parts[start:])
        if name in ("self", "cls"):
            continue
        hits = [hit for hit in find(index, name, limit=50) if hit.tier == 0]
        if hits:
            package = _package_dir(path)
            return min(hits, key=lambda hit: (hit.path != path, not hit.path.startswith(package)))
    return None


def _package_dir(path: str) -> str:
    """`.../site-packages/fastai/` for a file under it, walking up while `__init__.py` exists."""
    directory = os.path.dirname(path)
    while os.path.exists(os.path.join(os.path.dirname(directory), "__init__.py")):
        directory = os.path.dirname(directory)
    return directory + os.sep
