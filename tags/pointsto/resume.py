"""A solved part kept on disk, so that an edit which only adds code resumes its fixpoint.

The solver's points-to sets only grow (see tags/pointsto/solver.py). When an edit leaves every
statement of a module as it was and adds statements between or after them, or into the bodies
of its functions and classes (a new function or method, a line inside a function, an import at
the top, blank lines, a docstring rewritten: the common edits while writing code), the old solution is
still true of the new program: a solve from scratch would find all of it again and more. So the
kept state (points-to sets, members, bases, edges, and who read what) is read back, the sites
in it of the statements that moved are given their new lines (`move_positions`), the added
statements' scopes join the program, and the worklist runs from the edited modules, the
functions that got statements and the new scopes only: a few dozen scope runs instead of thousands.

What the added code binds must not change what the old code meant: a name the old code reads
(or a class attribute it looked up, or a builtin it called) bound now would change old answers
rather than add to them, and a changed `__all__` changes what star imports copy. So every
name the added statements bind (at module and class level, attributes stored, `global`
names, literal `setattr` names) must be found nowhere in the part's old sources, and a local
that a line inserted into a function binds nowhere in that function's old code (its other
reads of the name would mean the new local, no one else's can); else,
or when modules were added or removed, or any statement changed or changed places with
another, or a definition's head changed, or a lambda was inserted above another of its scope
(lambdas are named by their order), or a statement inserted above an old one of its scope writes
a container (a strong write could hide from the old one what it read there), the part is
solved from scratch as before. So is a resumed solve that reaches a cap of the solver (a scope
that has used its MAX_PASSES, a value for a set holding MAX_VALUES): what a cap keeps depends on
the order values arrive in (`NotResumable`). So the graph is the one a cold solve gives.

The last KEPT_STATES solutions of a part are kept, newest first, and the newest one the sources
add to is resumed: an edit undone (a codemod's `--undo`, a probe deleted) goes back to the solution
kept before it. The index holds the newest one's edges, so the files whose calls differ from those
are the ones stored again, and the solution resumed becomes the newest; when it cannot be written
(or its writer dies), none is newest, and the next resume stores every file's edges again. So it
does when the index does not hold the newest one's stamp (stored with the edges, in their
transaction): a nav killed after keeping a solution and before the index committed its edges.

The state is stored as the library layers are (tags/pointsto/layercache.py): pickled, under a
key of the solver's source, the Python version, the hash seed and the layers below, read only
from a file this user owns that no one else can write. The layers' state it stood on is kept
with it, so a resume reads one file. Syntax trees are not kept: each module is parsed again the
first time one of its scopes runs (`Program.load`, `read_trees_later`), most never.
"""
from __future__ import annotations

import ast
import bisect
import contextlib
import dataclasses
import hashlib
import os
import pickle
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

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
from tags.pointsto.program import CLASS, MODULE, LayerFacts, Program, _literal_all

Sources = dict[str, tuple[str, bool]]  # module -> (text, is a package `__init__`)
_SETTERS = {"setattr", "__setattr__"}


@dataclass
class SolvedFrom:
    """What a kept part was solved from: its sources and the modules Python could not parse. Stored
    before the solution (after its stamp and its edges, see `_write`), so an edit that cannot resume
    is known before the solution is read."""

    sources: Sources
    unparsed: dict[str, str]


@dataclass
class Kept:
    """A part's solution as stored after its `SolvedFrom` (its edges, the solver's `edges`, come before
    that: an undone edit reads the newest kept solution's edges only, see `_kept_edges`): the program
    (scopes without syntax trees, no layer facts), the rest of the solver's state (`Solver.kept_state`)
    and the state of the library layers below (without syntax trees: read back with it, it saves
    loading theirs)."""

    program: Program
    solver: dict[str, object]
    below: LayerState


def state_key(part: str, layers_key: str) -> str:
    """The key a part's state is kept under: what solved it and what it stood on."""
    seed = os.environ.get("PYTHONHASHSEED", "") if not sys.flags.hash_randomization else "random"
    text = f"{part}\0{_solver_digest()}\0{sys.version}\0{seed}\0{layers_key}"
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


def save(cache_dir: str, part: str, key: str, sources: Sources, unparsed: dict[str, str], program: Program,
         state: Callable[[], dict[str, object]], below: LayerState, background: bool) -> str:
    """Keep the solved part (its program, the solver's `state()`, the layers' state it stood on) as
    the newest for a later `resumed`; its stamp, for the index to hold with the part's edges (see
    `resumed`), or "" when there is no room (a disk that cannot take it is no error). The older ones
    move first, here: a writing that fails leaves no newest. With `background`, written by a child
    while this process maps and stores the edges (see `in_background`): after a resume, where that
    is most of what is left to do, and when no other core is busy (a part solved apart): then a
    forked writer cost more (its pages copied as both touch them) than it saved."""
    if not _make_room(cache_dir, part):
        return ""
    stamp = os.urandom(8).hex()

    def write() -> None:
        _write(cache_dir, part, key, stamp, SolvedFrom(sources, dict(unparsed)), Kept(program, state(), below))

    in_background(write) if background else write()
    return stamp


def _make_room(cache_dir: str, part: str) -> bool:
    """Move the part's kept solutions one older (the oldest goes); whether the newest's place is free."""
    paths = _paths(cache_dir, part)
    try:
        os.makedirs(os.path.join(cache_dir, FOLDER), mode=0o700, exist_ok=True)
        for older, newer in zip(reversed(paths[1:]), reversed(paths[:-1])):
            if os.path.lexists(newer):
                os.replace(newer, older)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(paths[0])
    return not os.path.lexists(paths[0])


def _write(cache_dir: str, part: str, key: str, stamp: str, solved_from: SolvedFrom, kept: Kept) -> None:
    """The key line, then pickled: the stamp, the edges, what it was solved from, the rest (`Kept`)."""
    program = dataclasses.replace(kept.program, facts=LayerFacts(), below={}, scope_of_node={}, unread={})
    for scope in program.scopes.values():  # the solver is done with them: kept without their trees
        scope.give_node(None)
    without_trees(kept.below)
    head = pickle.dumps(solved_from, protocol=pickle.HIGHEST_PROTOCOL)
    edges = pickle.dumps(kept.solver["edges"], protocol=pickle.HIGHEST_PROTOCOL)
    rest = {name: value for name, value in kept.solver.items() if name != "edges"}
    data = pickle.dumps(dataclasses.replace(kept, program=program, solver=rest), protocol=pickle.HIGHEST_PROTOCOL)
    newest = _paths(cache_dir, part)[0]
    try:
        from tags.atomic import write_atomic

        write_atomic(newest, [key.encode() + b"\n", pickle.dumps(stamp), edges, head, data])
        os.chmod(newest, 0o600)
    except OSError:  # none is the newest then, as when this writer dies: the next resume stores every file
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
    stamp: str  # the kept solution's (see `resumed`)
    edited: bool = True  # False: the sources are the kept ones (an edit undone)
    from_older: bool = False  # resumed from an older solution than the newest kept
    # the edges the index holds: those of the newest kept solution, when the index holds its stamp
    # (None: unknown, and every file's edges are stored again)
    stored_edges: set[tuple] | None = None

    @property
    def to_keep(self) -> bool:
        """Whether to keep it as the newest: the index holds the newest one's edges (see `resumed`)."""
        return self.edited or self.from_older


def resumed(cache_dir: str, part: str, key: str, sources: Sources, layer_texts: Sources, held: str) -> Resumed | None:
    """The kept solution of `part` with the edit applied, from the newest of the KEPT_STATES
    solutions that the sources add to (an edit undone goes back to an older one); None when the part
    must be solved from scratch (nothing kept, another key, an edit that is not an addition of
    statements). The key holds the library layers' (see `state_key`): the layers' state kept with
    it is theirs, its syntax trees parsed from `layer_texts` when asked for.

    `held` is the stamp of the solution whose edges the index holds for the part (stored with them,
    in their transaction): the newest kept, or none when a nav killed after keeping it never
    committed its edges, or its writing failed. Then which edges the index holds is not known, and
    every file is stored again."""
    join_background()  # a state this process is still writing
    paths = _paths(cache_dir, part)
    for number, path in enumerate(paths):
        found = _resumed_from(path, key, sources, layer_texts) if os.path.lexists(path) else None
        if found is not None:
            if number:  # the index holds a newer one's edges
                found.from_older, found.stored_edges = True, _kept_edges(paths[0], key, held)
            elif found.stamp == held:
                found.stored_edges = set(found.state["edges"])  # as kept: the solve adds to the state's
            return found
    return None


def newest_edges(cache_dir: str, part: str, key: str, sources: Sources, held: str) -> set[tuple] | None:
    """The edges of the part's newest kept solution when the index holds them (its stamp is `held`, see
    `resumed`) and it was solved from the same modules as `sources`, some texts edited; else None
    (modules added or removed also change what other files' calls resolve to by name: every file is
    stored again)."""
    join_background()  # one this process is still writing
    stored = read_stored(_paths(cache_dir, part)[0], key)
    edges = _held_edges(stored, held)
    before = next(stored, None)
    if not isinstance(before, SolvedFrom) or _module_kinds(before.sources) != _module_kinds(sources):
        return None
    return edges


def _module_kinds(sources: Sources) -> dict[str, bool]:
    """Each module, and whether it is a package's `__init__`."""
    return {module: is_package for module, (_, is_package) in sources.items()}


def _kept_edges(path: str, key: str, held: str) -> set[tuple] | None:
    """The edges of the solution kept in `path` when its stamp is `held`; None when not, or it cannot be read."""
    return _held_edges(read_stored(path, key), held)


def _held_edges(stored: Iterator[object], held: str) -> set[tuple] | None:
    """The edges read next from a kept solution (see `_write`: its stamp, then its edges) when its
    stamp is `held`; else None."""
    stamp, edges = next(stored, None), next(stored, None)
    return edges if held and stamp == held and isinstance(edges, set) else None


def _resumed_from(path: str, key: str, sources: Sources, layer_texts: Sources) -> Resumed | None:
    """The solution kept in `path` with the edit applied (see `resumed`)."""
    stored = read_stored(path, key)
    stamp, edges, before = next(stored, None), next(stored, None), next(stored, None)
    if not isinstance(stamp, str) or not isinstance(before, SolvedFrom) or \
            _module_kinds(before.sources) != _module_kinds(sources):
        return None
    changed = [module for module, (text, _) in sources.items() if before.sources[module][0] != text]
    insertions: dict[str, Insertion] = {}
    for module in changed:
        found = _with_statements_inserted(before.sources[module][0], sources[module][0])
        if found is None or module in before.unparsed:
            return None
        insertions[module] = found
    module_names = _new_names(insertions, before)
    if module_names is None:
        return None
    kept = next(stored, None)
    if not isinstance(edges, set) or not isinstance(kept, Kept):
        return None
    readers = kept.solver["readers"]
    if any(readers.get(f"{module}.{name}") for module, name in module_names):
        return None  # old code read it off the module (`from m import name`, `m.name`): it meant nothing there
    kept.solver["edges"] = edges
    below = read_trees_later(kept.below, layer_texts)
    program = kept.program
    lines_now = {}  # each kept scope of an edited module: the line it should start on now
    for module, found in insertions.items():
        if found.moved.anything:
            move_positions(kept.solver, program, module, found.moved)
        lines_now.update((name, found.moved.line(scope.line)) for name, scope in program.scopes.items()
                         if scope.module == module and scope.kind != MODULE)
    program.facts, program.below = below.facts, dict(below.below)
    old_scopes = set(program.scopes)
    for module in before.unparsed:
        program.attach(module, ast.Module(body=[], type_ignores=[]))
    program.unread = {m: text for m, (text, _) in sources.items() if m not in insertions and m not in before.unparsed}
    for scope in program.scopes.values():
        if scope.module in program.unread:
            scope.read_later(program.load)
    for module, found in insertions.items():
        program.attach(module, found.tree)
    if any(program.scopes[name].line != line for name, line in lines_now.items()):
        return None  # a scope now named as another was (`<lambda2>` now `<lambda3>`): not the same program
    grown = _running(program, [node for found in insertions.values() for node in found.grown])
    if grown is None:
        return None
    added = [name for name, scope in program.scopes.items() if name not in old_scopes and scope.kind != CLASS]
    return Resumed(program, kept.solver, [*changed, *grown, *added], before.unparsed, below, stamp, edited=bool(changed))


def _running(program: Program, grown: list[ast.stmt]) -> list[str] | None:
    """The scopes that run the grown definitions' bodies: a function's own, a class's the scope around
    it (a class body runs where the class is defined); None when one is not the scope of its name (a
    redefinition: `attach` kept the first)."""
    running: list[str] = []
    for node in grown:
        scope = program.scope_of_node.get(id(node))
        if scope is None or program.scopes.get(scope.name) is not scope:
            return None
        while scope.kind == CLASS and scope.parent is not None:
            scope = scope.parent
        running.append(scope.name)
    return running


@dataclass
class Moved:
    """Where an edit moved the old statements of a module: each one's first and last line before the
    edit and how many lines it moved by (a statement inserted above it, or blank lines)."""

    spans: list[tuple[int, int, int]]  # (first line, last line, lines moved), in order

    def line(self, old: int) -> int:
        """Where old line `old` is now (a line outside every statement stays)."""
        at = bisect.bisect_right(self.spans, (old, sys.maxsize, 0)) - 1
        if at >= 0 and self.spans[at][0] <= old <= self.spans[at][1]:
            return old + self.spans[at][2]
        return old

    @property
    def anything(self) -> bool:
        return any(by for _, _, by in self.spans)


class Inserted(NamedTuple):
    """A statement an edit inserted, and the old definition whose body it went into (None: the module's)."""

    statement: ast.stmt
    within: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None


@dataclass
class Insertion:
    """What an edit that inserts statements did to a module: the new tree, the statements inserted
    (at any depth), the definitions (of the new tree) whose bodies got some, and where the old
    statements moved."""

    tree: ast.Module
    inserted: list[Inserted]
    grown: list[ast.stmt]
    moved: Moved


def _with_statements_inserted(old_text: str, new_text: str) -> Insertion | None:
    """The insertion, when the new module is the old one with statements inserted between or after
    its statements, or into the bodies of its functions and classes (their heads as they were), each
    old statement as it was (see `_same_statement`: only its lines may move); else None."""
    try:
        old, new = ast.parse(old_text), ast.parse(new_text)
    except UNPARSABLE:
        return None
    if _literal_all(old) != _literal_all(new):
        return None
    found = Insertion(new, [], [], Moved([]))
    lines = (_LINE_BREAK.split(old_text), _LINE_BREAK.split(new_text))
    return found if _match_body(old.body, new.body, lines, found) else None


_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as Python counts lines (a form feed is no line break)
_Lines = tuple[list[str], list[str]]  # the old text's lines, the new text's
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DEFINITIONS = (*_FUNCTIONS, ast.ClassDef)


def _match_body(old_body: list[ast.stmt], new_body: list[ast.stmt], lines: _Lines, found: Insertion,
                within: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None = None) -> bool:
    """Match each old statement to the next new one that is it, moved or grown (`_grown`); the new
    ones skipped over are inserted (into the body of `within`, the old definition, or of the module).
    Inserted above an old statement, none may write a container (a strong write would hide what the
    old one reads there from it)."""
    at = 0
    inserted: list[ast.stmt] = []
    old_texts: set[tuple[str, ...]] = set()
    for statement in old_body:
        first, text = _lines_of(statement, lines[0])
        old_texts.add(text)
        while at < len(new_body):
            if _same_statement(statement, text, new_body[at], lines[1]) or _constants(statement, new_body[at]):
                found.moved.spans.append((first, statement.end_lineno or first, _lines_of(new_body[at], lines[1])[0] - first))
                break
            if _grown(statement, new_body[at], lines, found):
                break
            inserted.append(new_body[at])
            at += 1
        else:
            return False
        at += 1
    if any(_writes_containers(statement) for statement in inserted):
        return False
    inserted += new_body[at:]
    # an inserted copy of an old statement could have been taken for it: where each old one went is clear only without
    if any(_lines_of(statement, lines[1])[1] in old_texts for statement in inserted):
        return False
    found.inserted += [Inserted(statement, within) for statement in inserted]
    return True


def _grown(old: ast.stmt, new: ast.stmt, lines: _Lines, found: Insertion) -> bool:
    """Whether `new` is the definition `old` with statements inserted into its body, its head (name,
    decorators, parameters, bases) as it was; then its lines' moves and insertions join `found`."""
    if type(old) is not type(new) or not isinstance(old, _DEFINITIONS) or old.col_offset != new.col_offset:
        return False
    (old_first, old_end), (new_first, new_end) = _head_lines(old), _head_lines(new)
    head = [field for field in old._fields if field != "body"]
    if old.body[0].lineno <= old_end or new.body[0].lineno <= new_end or not _same_tree(  # a body on the head's line
            [getattr(old, field) for field in head], [getattr(new, field) for field in head], new.lineno - old.lineno):
        return False
    kept = (len(found.moved.spans), len(found.inserted), len(found.grown))
    found.moved.spans.append((old_first, old_end, new_first - old_first))
    if not _match_body(old.body, new.body, lines, found, old):
        del found.moved.spans[kept[0]:], found.inserted[kept[1]:], found.grown[kept[2]:]
        return False
    found.grown.append(new)
    return True


def _head_lines(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> tuple[int, int]:
    """The first and last line of a definition's head: its decorators, name, parameters or bases."""
    if isinstance(node, ast.ClassDef):
        parts: list[ast.AST] = [*node.bases, *node.keywords]
    else:
        arguments = node.args
        parts = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, *arguments.defaults,
                 *(d for d in arguments.kw_defaults if d is not None), *(a for a in (arguments.vararg, arguments.kwarg) if a),
                 *([node.returns] if node.returns else [])]
    parts += [*node.decorator_list, *getattr(node, "type_params", ())]
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return first, max([node.lineno, *(getattr(part, "end_lineno", None) or 0 for part in parts)])


def _writes_containers(statement: ast.stmt) -> bool:
    """Whether a statement, where it runs (not in the functions it defines), stores into a subscript
    or calls an `update` method: writes the solver may make strong (see `Solver.write`)."""
    waiting: list[ast.AST] = [statement]
    while waiting:
        node = waiting.pop()
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)) or isinstance(
                node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update":
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            waiting += [*node.decorator_list, *_heads(node)]
        elif not isinstance(node, ast.Lambda):
            waiting += ast.iter_child_nodes(node)
    return False


def _constants(old: ast.stmt, new: ast.stmt) -> bool:
    """Whether both are a constant standing alone (a docstring, `...`): whatever it says, it does nothing."""
    return all(isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) for s in (old, new)) and \
        old.col_offset == new.col_offset


def _lines_of(statement: ast.stmt, lines: list[str]) -> tuple[int, tuple[str, ...]]:
    """A statement's first line (its decorators' included) and the text of its lines."""
    first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
    return first, tuple(lines[first - 1:statement.end_lineno or first])


def _same_statement(old: ast.stmt, old_text: tuple[str, ...], new: ast.stmt, new_lines: list[str]) -> bool:
    """Whether `new` is `old` as it was, moved by whole lines: the same lines' text, starting in the
    same column, or else the same tree, every node in the same column and moved by as many lines (a
    comment or trailing spaces changed: an editor trimming them on save)."""
    if type(old) is not type(new) or old.col_offset != new.col_offset:
        return False
    return _lines_of(new, new_lines)[1] == old_text or _same_tree(old, new, new.lineno - old.lineno)


_POSITIONS = ("lineno", "col_offset", "end_lineno", "end_col_offset")


def _same_tree(old: ast.AST, new: ast.AST, moved: int) -> bool:
    """Whether two trees are the same but for lines, each node's `moved` lines down (a stack, not
    recursion: generated code nests deeper than Python's recursion limit)."""
    waiting: list[tuple[object, object]] = [(old, new)]
    while waiting:
        before, after = waiting.pop()
        if isinstance(before, ast.AST):
            if type(before) is not type(after) or any(
                    getattr(before, name, None) != _moved_by(getattr(after, name, None), -moved if "line" in name else 0)
                    for name in _POSITIONS):
                return False
            waiting += [(getattr(before, field, None), getattr(after, field, None)) for field in before._fields]
        elif isinstance(before, list):
            if not isinstance(after, list) or len(before) != len(after):
                return False
            waiting += zip(before, after)
        elif type(before) is not type(after) or before != after:
            return False
    return True


def _moved_by(position: int | None, lines: int) -> int | None:
    return None if position is None else position + lines


def move_positions(state: dict[str, object], program: Program, module: str, moved: Moved) -> None:
    """Give a kept solver state (`Solver.kept_state`) the positions `module` has now that code was
    inserted into it: the sites in names (`<k>mod:12:4`, `("i", cls, "mod:12:4")`) and its calls' lines."""
    mark = f"{module}:"
    pattern = re.compile(rf"(?<![\w.]){re.escape(module)}:(\d+):")

    def text(name: str) -> str:
        return pattern.sub(lambda m: f"{mark}{moved.line(int(m[1]))}:", name) if mark in name else name

    def value(old: tuple) -> tuple:
        return tuple(text(part) if isinstance(part, str) else part for part in old)

    def made_here(edge: tuple) -> bool:  # a call this module's code makes: its line is here
        caller = program.scopes.get(edge[0])
        return caller is not None and caller.module == module

    def edge(old: tuple) -> tuple:
        return (old[0], old[1], moved.line(old[2]), *old[3:])

    pts, bases, metaclasses = state["pts"], state["bases"], state["metaclasses"]
    every_value = set().union(*pts.values(), *metaclasses.values(), *map(set, bases.values()))
    renamed = {v: value(v) for v in every_value if any(isinstance(p, str) and mark in p for p in v[1:])}
    renamed = {old: new for old, new in renamed.items() if old != new}
    old_values = set(renamed)  # a set, so that `isdisjoint` walks the smaller side
    for values in (*pts.values(), *metaclasses.values()):
        if not values.isdisjoint(old_values):
            moving = values & old_values
            values -= moving
            values |= {renamed[v] for v in moving}
    for klass, listed in bases.items():
        bases[klass] = [renamed.get(v, v) for v in listed]
    for table in (pts, state["keys"], state["readers"], state["lazy"]):
        _rename_keys(table, mark, text)
    for site, calls in state["lazy"].items():
        state["lazy"][site] = {edge(e) if made_here(e) else e for e in calls}
    edges = state["edges"]
    moving_edges = [e for e in edges if made_here(e)]
    edges.difference_update(moving_edges)
    edges.update(edge(e) for e in moving_edges)


def _rename_keys(table: dict[str, object], mark: str, text: Callable[[str], str]) -> None:
    """Rename by `text` a table's keys that hold `mark`: all taken out before any is put back, as a
    renamed key may be an old one's name."""
    renamed = [(key, text(key)) for key in [key for key in table if mark in key]]
    taken = [(new, table.pop(old)) for old, new in renamed if new != old]
    table.update(taken)


def _new_names(insertions: dict[str, Insertion], before: SolvedFrom) -> list[tuple[str, str]] | None:
    """Whether what the added statements bind is new to the old code that could read it; None when not.
    Else the (module, name) pairs bound at module level, that no scope of the kept solution may have read
    off the module (`from m import name`, `m.name`) for the edit to be an addition.

    Where it is seen (see `bound_names`): a class's names and attributes, globals and literal `setattr`
    names anywhere, must be in no old source of the part. A function's new local must not be named by
    that function's old code (its other reads of the name would mean the new local, no one else's
    can). A new module-level name in no old source is new; else it must not be in its module's old
    text, nor be one a star import copies (a public name where the module has no literal `__all__`,
    which the edit keeps), nor a dunder. So a line binding `x` or `res` inside a function, or a new
    `def show_batch(...)` in a module that never said `show_batch`, resumes: names the rest of fastai
    is full of, looked up in every old source, solved them from scratch. Calls of `store_attr` and
    `properties` are refused (they name attributes by strings or by the caller's parameters), and a
    decorated definition's names count as seen everywhere (`@patch` makes a method)."""
    everywhere: set[str] = set()
    module_level: list[tuple[str, str]] = []
    old_names: dict[int, set[str]] = {}  # id of an old function -> the names its code holds
    for module, found in insertions.items():
        exported = _literal_all(found.tree) is not None
        old_text = before.sources[module][0]
        for statement, within in found.inserted:
            if _stores_by_name(statement):
                return None
            if within is not None and not isinstance(within, _FUNCTIONS) or _decorated(statement):
                everywhere |= bound_names(statement)  # a class body's names are attributes; a decorator may patch
                continue
            seen = bound_names(statement, visible=False)
            everywhere |= seen
            if within is not None:
                if id(within) not in old_names:
                    old_names[id(within)] = names_in(within)
                if not old_names[id(within)].isdisjoint(bound_names(statement) - seen):
                    return None
                continue
            own = bound_names(statement, class_bodies=False) - seen
            everywhere |= bound_names(statement) - own - seen  # a new class's body: its attributes
            for name in own:
                if _in_old_sources(name, before):  # else no old code names it: new wherever it is seen
                    if name in old_text or name.startswith("__") or not (exported or name.startswith("_")):
                        return None
                    module_level.append((module, name))
    if any(_in_old_sources(name, before) for name in everywhere):
        return None
    return module_level


def _in_old_sources(name: str, before: SolvedFrom) -> bool:
    # as a substring, not a word: a few names looked up in megabytes, the same answer or a safe yes
    return any(name in text for text, _ in before.sources.values())


def names_in(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Every plain name a function's code (its nested scopes' included) reads or binds: names, parameters,
    imported names, definitions, `global`/`nonlocal` and `except ... as` names, capture patterns; and
    each word of its strings (`store_attr('a,b')` stores the locals it names). From the syntax tree:
    Python has normalized each identifier as it reads it."""
    found: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                found.update(_WORD.findall(node.value))
        elif isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, ast.alias):
            found.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            found.update(node.names)
        else:  # definitions, `except E as name`, `case {**rest}`, `case [*rest]`, `case x`
            found.update(getattr(node, field) for field in ("name", "rest") if isinstance(getattr(node, field, None), str))
    return found


_WORD = re.compile(r"\w+")
_NAMING_CALLS = {"store_attr", "properties"}  # fastcore's: attributes named by strings or by the caller's parameters


def _stores_by_name(statement: ast.stmt) -> bool:
    """Whether a statement calls `store_attr` or `properties`, which store attributes (or make properties)
    named by strings, or by the parameters of the function it stands in: `bound_names` cannot tell which."""
    return any(isinstance(node, ast.Call) and _called_name(node) in _NAMING_CALLS for node in ast.walk(statement))


def _called_name(call: ast.Call) -> str | None:
    """The name a call calls, `f` of `f(...)` or `x.f(...)`; None for another callee (`g()(...)`)."""
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _decorated(statement: ast.stmt) -> bool:
    """Whether a statement defines anything with a decorator (`@patch` makes a function a method of a class)."""
    return any(getattr(node, "decorator_list", None) for node in ast.walk(statement))


def bound_names(statement: ast.stmt, visible: bool = True, class_bodies: bool = True) -> set[str]:
    """The names a statement binds where other code can see them: at its own level (unless it stands in
    a function: not `visible`) and in class bodies (unless not `class_bodies`; assigned names,
    definitions, imports), and anywhere stored attributes, `global` and `nonlocal` names and the literal
    names given to `setattr`. A function's own locals are left out."""
    found: set[str] = set()
    waiting: list[tuple[ast.AST, bool]] = [(statement, visible)]  # (node, at module or class level)
    while waiting:
        node, visible = waiting.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if visible:
                found.add(node.name)
            inner_visible = isinstance(node, ast.ClassDef) and visible and class_bodies
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
        elif isinstance(node, ast.Call) and _called_name(node) in _SETTERS:
            found.update(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
        waiting += [(child, visible) for child in ast.iter_child_nodes(node)]
    return found


def _heads(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[ast.AST]:
    """What a definition evaluates where it stands: a class's bases and keywords, a function's defaults."""
    if isinstance(node, ast.ClassDef):
        return [*node.bases, *node.keywords]
    return [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]


KEPT_STATES = 3  # solutions kept per part, newest first: an edit undone finds the one before it


def _paths(cache_dir: str, part: str) -> list[str]:
    """Where a part's kept solutions are, newest first: `main.resume.pickle`, `main.resume.1.pickle`, ..."""
    safe = "".join(c if c.isalnum() or c in "._-+" else "_" for c in part or "main")
    return [os.path.join(cache_dir, FOLDER, f"{safe}.resume{f'.{n}' if n else ''}.pickle") for n in range(KEPT_STATES)]
