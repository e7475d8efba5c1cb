"""What a file browser asks of the index: roots, their modules, a module's definitions, and
which definition a name in a file most likely means. Used by the TUI; plain data out."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from navigator.queries import Symbol, edges_on_line, find, module_files, symbol_by_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tags.store import Index, StoredRoot

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
    return [ModuleEntry(file.module, file.path, root_relative_path(file.path, [root]))
            for file in module_files(index, root.id)]


def word_at(text: str, column: int) -> str:
    """The dotted name under a 0-based column, up to the part under it.

    On `from_stats` in `Normalize.from_stats` that is the whole name; on `Normalize`, `Normalize`.
    """
    for match in _IDENTIFIER.finditer(text):
        if match.start() <= column <= match.end():
            end = text.find(".", column, match.end())
            return text[match.start(): end if end >= 0 else match.end()]
    return ""


def call_target(index: Index, path: str, line: int, column: int) -> Symbol | None:
    """The definition a call under the cursor resolves to, as `nav trace` resolves it.

    Only when the cursor is on the called name itself (`add_tfms` in `dls.add_tfms(...)`);
    `column` is 0-based. Exact resolutions win over inferred ones, then by-name guesses.
    """
    from navigator.trace.static import HOW_ORDER
    from tags.callgraph import ensure_graph

    ensure_graph(index)
    edges = sorted(edges_on_line(index, path, line), key=lambda edge: (HOW_ORDER.get(edge.how, 9), edge.rank))
    for edge in edges:
        text = edge.callee_text
        end = edge.col - 1 + len(text)
        if end - len(text.rpartition(".")[2]) <= column <= end:
            return symbol_by_id(index, edge.callee_id)
    return None


def definition_of(index: Index, word: str, path: str) -> Symbol | None:
    """The definition a name in `path` most likely refers to, like ctags' jump.

    The full dotted name is tried first, then shorter tails (`dls.add_tfms` -> `add_tfms`);
    among exact matches, one in the same file wins, then one in the same package.
    """
    parts = word.split(".")
    for start in range(len(parts)):
        name = ".".join(parts[start:])
        if name in ("self", "cls"):
            continue
        exact = [hit.symbol for hit in find(index, name, limit=50) if hit.tier == 0]
        if exact:
            package = _package_dir(path)
            return min(exact, key=lambda symbol: (symbol.path != path, not symbol.path.startswith(package)))
    return None


def _package_dir(path: str) -> str:
    """`.../site-packages/fastai/` for a file under it, walking up while `__init__.py` exists."""
    directory = os.path.dirname(path)
    while os.path.exists(os.path.join(os.path.dirname(directory), "__init__.py")):
        directory = os.path.dirname(directory)
    return directory + os.sep
