"""A solved part kept on disk, so that an edit which only adds code resumes its fixpoint.

The solver's points-to sets only grow (see tags/pointsto/solver.py). When an edit leaves every
statement of a module as it was, positions included, and adds statements after them (a new
function at the end of a file, the common edit while writing code), the old solution is still
true of the new program: a solve from scratch would find all of it again and more. So the
kept state (points-to sets, members, bases, edges, and who read what) is read back, the added
statements' scopes join the program, and the worklist runs from the edited modules and their
new scopes only: a few dozen scope runs instead of thousands.

What the added code binds must not change what the old code meant: a name the old code reads
(or a class attribute it looked up, or a builtin it called) bound now would change old answers
rather than add to them, and a changed `__all__` changes what star imports copy. So every
name the added statements bind (at module and class level, attributes stored, `global`
names, literal `setattr` names) must be found nowhere in the part's old sources; else,
or when modules were added or removed, or any statement changed or moved, the part is solved
from scratch as before. The result is the cold solve's wherever no cap of the solver binds
(MAX_VALUES keeps the values that arrive first, MAX_PASSES stops a scope).

The state is stored as the library layers are (tags/pointsto/layercache.py): pickled, under a
key of the solver's source, the Python version, the hash seed and the layers below, read only
from a file this user owns that no one else can write. The layers' state it stood on is kept
with it, so a resume reads one file. Syntax trees are not kept: each module is parsed again the
first time one of its scopes runs (`Program.load`, `read_trees_later`), most never.
"""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import os
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass

from tags.errors import UNPARSABLE
from tags.pointsto.layercache import (
    FOLDER,
    LayerState,
    _solver_digest,
    read_stored,
    read_trees_later,
    without_trees,
)
from tags.pointsto.parallel import in_background, join_background
from tags.pointsto.program import CLASS, LayerFacts, Program, _literal_all

Sources = dict[str, tuple[str, bool]]  # module -> (text, is a package `__init__`)
_SETTERS = {"setattr", "__setattr__"}


@dataclass
class SolvedFrom:
    """What a kept part was solved from: its sources and the modules Python could not parse. Stored
    first, so an edit that cannot resume is known before the solution is read."""

    sources: Sources
    unparsed: dict[str, str]


@dataclass
class Kept:
    """A part's solution as stored after its `SolvedFrom`: the program (scopes without syntax trees,
    no layer facts), the solver's state (`Solver.kept_state`) and the state of the library layers
    below (without syntax trees: read back with it, it saves loading theirs)."""

    program: Program
    solver: dict[str, object]
    below: LayerState


def state_key(part: str, layers_key: str) -> str:
    """The key a part's state is kept under: what solved it and what it stood on."""
    seed = os.environ.get("PYTHONHASHSEED", "") if not sys.flags.hash_randomization else "random"
    text = f"{part}\0{_solver_digest()}\0{sys.version}\0{seed}\0{layers_key}"
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


def save(cache_dir: str, part: str, key: str, sources: Sources, unparsed: dict[str, str], program: Program,
         state: Callable[[], dict[str, object]], below: LayerState, background: bool) -> None:
    """Keep the solved part (its program, the solver's `state()`, the layers' state it stood on)
    for a later `resumed`; a disk
    that cannot take it is no error. With `background`, written by a child while this process maps
    and stores the edges (see `in_background`): after a resume, where that is most of what is left
    to do, and when no other core is busy (a part solved apart): then a forked writer cost more
    (its pages copied as both touch them) than it saved."""
    def write() -> None:
        _write(cache_dir, part, key, SolvedFrom(sources, dict(unparsed)), Kept(program, state(), below))

    in_background(write) if background else write()


def _write(cache_dir: str, part: str, key: str, solved_from: SolvedFrom, kept: Kept) -> None:
    program = dataclasses.replace(kept.program, facts=LayerFacts(), below={}, scope_of_node={}, unread={})
    for scope in program.scopes.values():  # the solver is done with them: kept without their trees
        scope.give_node(None)
    without_trees(kept.below)
    head = pickle.dumps(solved_from, protocol=pickle.HIGHEST_PROTOCOL)
    data = pickle.dumps(dataclasses.replace(kept, program=program), protocol=pickle.HIGHEST_PROTOCOL)
    try:
        from tags.atomic import write_atomic

        os.makedirs(os.path.join(cache_dir, FOLDER), mode=0o700, exist_ok=True)
        write_atomic(_path(cache_dir, part), [key.encode() + b"\n", head, data])
        os.chmod(_path(cache_dir, part), 0o600)
    except OSError:
        pass


@dataclass
class Resumed:
    """A kept solution with an edit applied: the program and the solver's state to restore it
    from, the scopes to run the worklist from, the modules Python could not parse when it was
    solved, and the library layers' state it stands on."""

    program: Program
    state: dict[str, object]
    start: list[str]
    unparsed: dict[str, str]
    below: LayerState


def resumed(cache_dir: str, part: str, key: str, sources: Sources, layer_texts: Sources) -> Resumed | None:
    """The kept solution of `part` with the edit applied; None when the part must be solved from
    scratch (nothing kept, another key, an edit that is not an addition of statements). The key
    holds the library layers' (see `state_key`): the layers' state kept with it is theirs, its
    syntax trees parsed from `layer_texts` when asked for."""
    join_background()  # a state this process is still writing
    stored = read_stored(_path(cache_dir, part), key)
    before = next(stored, None)
    if not isinstance(before, SolvedFrom) or {m: p for m, (_, p) in before.sources.items()} != {
            m: p for m, (_, p) in sources.items()}:
        return None
    changed = [module for module, (text, _) in sources.items() if before.sources[module][0] != text]
    trees: dict[str, ast.Module] = {}
    added_statements: list[ast.stmt] = []
    for module in changed:
        found = _with_statements_added(before.sources[module][0], sources[module][0])
        if found is None or module in before.unparsed:
            return None
        trees[module], old_count = found
        added_statements += trees[module].body[old_count:]
    if not _binds_only_new_names(added_statements, before):
        return None
    kept = next(stored, None)
    if not isinstance(kept, Kept):
        return None
    below = read_trees_later(kept.below, layer_texts)
    program = kept.program
    program.facts, program.below = below.facts, dict(below.below)
    old_scopes = set(program.scopes)
    for module in before.unparsed:
        program.attach(module, ast.Module(body=[], type_ignores=[]))
    program.unread = {m: text for m, (text, _) in sources.items() if m not in trees and m not in before.unparsed}
    for scope in program.scopes.values():
        if scope.module in program.unread:
            scope.read_later(program.load)
    for module, tree in trees.items():
        program.attach(module, tree)
    added = [name for name, scope in program.scopes.items() if name not in old_scopes and scope.kind != CLASS]
    return Resumed(program, kept.solver, [*changed, *added], before.unparsed, below)


def _with_statements_added(old_text: str, new_text: str) -> tuple[ast.Module, int] | None:
    """The new module's tree and the old one's statement count when it is the old one with
    statements added at the end, every old statement where it was (positions included); else None."""
    try:
        old, new = ast.parse(old_text), ast.parse(new_text)
    except UNPARSABLE:
        return None
    if len(new.body) < len(old.body) or _literal_all(old) != _literal_all(new):
        return None
    # the same text up to the end of the old statements, and each old statement spanning what it did
    # in both trees: the same statements (a statement's tree follows from its text alone)
    if any(_span(before) != _span(after) for before, after in zip(old.body, new.body)):
        return None
    end = _offset(old_text, *_span(old.body[-1])[2:]) if old.body else 0
    return (new, len(old.body)) if new_text[:end] == old_text[:end] else None


def _span(statement: ast.stmt) -> tuple[int, int, int, int]:
    return statement.lineno, statement.col_offset, statement.end_lineno or 0, statement.end_col_offset or 0


def _offset(text: str, line: int, utf8_column: int) -> int:
    """The index in `text` of a position as `ast` gives it (1-based line, column in UTF-8 bytes)."""
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    end = text.find("\n", start)
    line_text = text[start:] if end < 0 else text[start:end]
    return start + len(line_text.encode("utf-8", "surrogatepass")[:utf8_column].decode("utf-8", "ignore"))


def _binds_only_new_names(statements: list[ast.stmt], before: SolvedFrom) -> bool:
    """Whether no old source of the part holds any name the added statements bind."""
    names = {name for statement in statements for name in bound_names(statement)}
    # as a substring, not a word: a few names looked up in megabytes, the same answer or a safe no
    return not any(name in text for text, _ in before.sources.values() for name in names)


def bound_names(statement: ast.stmt) -> set[str]:
    """The names a statement binds where other code can see them: at its own level and in class
    bodies (assigned names, definitions, imports), and anywhere stored attributes, `global` and
    `nonlocal` names and the literal names given to `setattr`. A function's own locals are left out."""
    found: set[str] = set()
    waiting: list[tuple[ast.AST, bool]] = [(statement, True)]  # (node, at module or class level)
    while waiting:
        node, visible = waiting.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if visible:
                found.add(node.name)
            inner_visible = isinstance(node, ast.ClassDef) and visible
            waiting += [(child, visible) for child in [*node.decorator_list, *_heads(node)]]
            waiting += [(child, inner_visible) for child in node.body]
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)) and visible:
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.add(node.attr)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            found.update(node.names)
        elif isinstance(node, ast.alias) and visible:
            found.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and (
                getattr(node.func, "id", None) or getattr(node.func, "attr", None)) in _SETTERS:
            found.update(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
        waiting += [(child, visible) for child in ast.iter_child_nodes(node)]
    return found


def _heads(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[ast.AST]:
    """What a definition evaluates where it stands: a class's bases and keywords, a function's defaults."""
    if isinstance(node, ast.ClassDef):
        return [*node.bases, *node.keywords]
    return [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]


def _path(cache_dir: str, part: str) -> str:
    safe = "".join(c if c.isalnum() or c in "._-+" else "_" for c in part or "main")
    return os.path.join(cache_dir, FOLDER, f"{safe}.resume.pickle")
