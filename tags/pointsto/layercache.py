"""Solved library layers (fastcore, fasttransform; timm.layers) kept on disk from one solve to the next.

An edit in fastai leaves fastcore's solution as it was (a layer is solved on its own, see
`LIBRARY_LAYERS`), yet the layer above needs its summaries and facts: solving them again was a
sixth of the stored graph's time after an edit (0.45 of 2.9 s on the four roots). So each
library layer's state (the edges of the layers up to it, their summaries and facts) is stored,
pickled, under a key of everything it was solved from: the solver's own source, the Python
version, the key of the layers below, and the layer's modules (names, texts). A stored state is
used only when its key is the one wanted.

The solver's caps keep the values that arrive first, in the iteration order of its sets, and a
set rebuilt by unpickling need not iterate as the set it was dumped from did. So a freshly solved
state too reaches the layer above through the same dump and load: the graph is the same whether
the layer was solved now or read from disk.

Only files that this user owns and no one else can write are read (a pickle runs code when
loaded). A cache that cannot be written (a full or read-only disk) or read (truncated, from
another version) is no error: the layer is solved instead.
"""
from __future__ import annotations

import ast
import hashlib
import os
import pickle
import stat
import sys
from dataclasses import dataclass, field

from tags.errors import UNPARSABLE
from tags.pointsto.program import LayerFacts, ModuleSummary, Program, Scope

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    Sources = dict[str, tuple[str, bool]]  # module -> (text, is a package `__init__`)

FOLDER = "graph-layers"
_MAX_KEY_LINE = 200  # the key line at the head of a file: a hex digest and a newline


@dataclass
class LayerState:
    """What the layers solved so far hand the next one: their edges (as `Edge.fields()` rows) and
    scopes, the passes the longest took, the modules' summaries and the layers' facts, and the
    modules Python could not parse."""

    rows: list[tuple] = field(default_factory=list)
    scopes: dict[str, str] = field(default_factory=dict)
    passes: int = 0
    below: dict[str, ModuleSummary] = field(default_factory=dict)
    facts: LayerFacts = field(default_factory=LayerFacts)
    unparsed: dict[str, str] = field(default_factory=dict)  # module -> why Python's parser refused it


class LayerCache:
    """The stored states of a program's library layers, one file per layer in `directory`."""

    def __init__(self, directory: str, tuples: bool) -> None:
        self.directory = os.path.join(directory, FOLDER)
        self.tuples = tuples  # solved keeping returned tuples (see `Solver.layer_facts`): part of the key

    def keys(self, layers: Iterable[tuple[str, Sources]]) -> list[str]:
        """Each layer's key (given as its label and modules, lowest first), chained through the layers below."""
        keys: list[str] = []
        previous = f"{_solver_digest()} {sys.version} tuples={self.tuples}"
        for label, sources in layers:
            digest = hashlib.blake2b(previous.encode(), digest_size=20)
            digest.update(label.encode())
            for module in sorted(sources):
                text, is_package = sources[module]
                digest.update(f"\0{module}\0{int(is_package)}\0".encode())
                digest.update(text.encode("utf-8", "surrogatepass"))
            previous = digest.hexdigest()
            keys.append(previous)
        return keys

    def load(self, label: str, key: str) -> LayerState | None:
        """The state stored for the layer under `key`, or None (none stored, another key, unreadable)."""
        state = next(read_stored(self._path(label), key), None)
        return state if isinstance(state, LayerState) else None

    def store(self, label: str, key: str, state: LayerState) -> LayerState:
        """Keep `state` for the layer under `key`; what it returns is the state as a later `load` gives it."""
        data = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            from tags.atomic import write_atomic

            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            write_atomic(self._path(label), [key.encode() + b"\n", data])
            os.chmod(self._path(label), 0o600)
        except OSError:
            pass  # a full or read-only disk: the next solve solves the layer again
        return pickle.loads(data)

    def _path(self, label: str) -> str:
        safe = "".join(c if c.isalnum() or c in "._-+" else "_" for c in label)
        return os.path.join(self.directory, f"{safe}.pickle")


def without_trees(state: LayerState) -> None:
    """Drop the syntax trees of the layers' scopes (and of the scopes around them) before the state
    is kept with a part's solution (see resume.py): they were most of its size and load time, and
    a resumed solve asks for few of them (`read_trees_later` has those parsed again)."""
    for scope in _with_parents(state.facts.scopes.values()):
        scope.give_node(None)


def read_trees_later(state: LayerState, texts: Sources) -> LayerState:
    """The state with each scope's syntax tree parsed again from `texts` (the layers' modules) the
    first time it is asked for (see `Scope.__getattr__`)."""
    trees = _LayerTrees(texts, list(_with_parents(state.facts.scopes.values())))
    for waiting in trees.waiting.values():
        for scope in waiting:
            scope.read_later(trees)
    return state


class _LayerTrees:
    """Parses a layer's module again when one of its scopes' trees is first asked for, and gives
    each waiting scope of the module its node (matched by name and line: a redefinition too)."""

    def __init__(self, texts: Sources, scopes: list[Scope]) -> None:
        self.texts = texts
        self.waiting: dict[str, list[Scope]] = {}
        for scope in scopes:
            self.waiting.setdefault(scope.module, []).append(scope)

    def __call__(self, module: str) -> None:
        waiting = self.waiting.pop(module, [])
        if not waiting:
            return
        text, is_package = self.texts.get(module, ("", False))
        try:
            tree = ast.parse(text)
        except UNPARSABLE:  # as the layer saw it when solved (see solver._parsed)
            tree = ast.Module(body=[], type_ignores=[])
        fresh = Program()
        fresh.add_module(module, tree, is_package)
        by_place = {(s.name, s.line): s for s in (*fresh.scope_of_node.values(), *fresh.scopes.values())}
        for scope in waiting:
            found = by_place.get((scope.name, scope.line)) or fresh.scopes.get(scope.name)
            scope.give_node(found.node if found is not None else None)


def _with_parents(scopes: Iterable[Scope]) -> Iterator[Scope]:
    """Each scope and the scopes around it, once."""
    seen: set[int] = set()
    for scope in scopes:
        around: Scope | None = scope
        while around is not None and id(around) not in seen:
            seen.add(id(around))
            yield around
            around = around.parent


def read_stored(path: str, key: str) -> Iterator[object]:
    """The pickles a file written as a `key` line and pickles holds, one by one, when it is a regular
    file this user owns and no one else can write (a pickle runs code when loaded) and its key is
    `key`; none when not (none there, another key), and no more once one is truncated or foreign:
    the caller solves instead. Asking for the first only reads no further."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return
    with open(descriptor, "rb") as handle:
        if not _trusted(os.fstat(descriptor)) or handle.readline(_MAX_KEY_LINE).strip() != key.encode():
            return
        while True:
            try:
                found = pickle.load(handle)
            except Exception:  # noqa: BLE001 - truncated or foreign, or the end
                return
            yield found


def _trusted(status: os.stat_result) -> bool:
    """A regular file of this user's that no one else can write: safe to unpickle."""
    owner = os.getuid() if hasattr(os, "getuid") else status.st_uid
    return stat.S_ISREG(status.st_mode) and status.st_uid == owner and not status.st_mode & 0o022


_SOLVER_DIGEST: list[str] = []


def _solver_digest() -> str:
    """A digest of the analysis' own source: a changed solver never reads what an older one stored."""
    if not _SOLVER_DIGEST:
        digest = hashlib.blake2b(digest_size=20)
        folder = os.path.dirname(os.path.abspath(__file__))
        for name in sorted(os.listdir(folder)):
            if name.endswith(".py"):
                with open(os.path.join(folder, name), "rb") as handle:
                    digest.update(name.encode() + b"\0" + handle.read())
        _SOLVER_DIGEST.append(digest.hexdigest())
    return _SOLVER_DIGEST[0]
