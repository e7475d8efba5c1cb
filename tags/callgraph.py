"""The static call graph: every call site in the index resolved to the definitions it can reach.

Edges live in the `edges` table next to the index. They are built lazily, on the first
trace or callers query after files changed, so `nav index` and `nav find` cost what they did.
Each resolved file remembers the file digest it was resolved from and the modules and method
names its resolution consulted (`graph_deps`); after a refresh only the files whose own text
changed, or whose consulted names may mean something else now, are resolved again.

Edges come from the points-to analysis (`tags.pointsto`) first: what each call expression
can hold, through assignments, parameters, returns, attributes, containers and imports.
Calls of builtins and of code outside the index go to `ext_edges` by name. A call site the
analysis resolves to nothing falls back to the name-based resolver below.

Incremental strategy: files are grouped into components connected by imports (either
direction); an edit re-solves the whole component(s) of the changed or removed files, plus the
files whose by-name fallback consulted a method name the change touches (`graph_deps`).
Points-to facts flow only along imports, so files outside those components cannot change.

How an edge was resolved:
- `forward`, `event`, `higher-order`: found by the points-to analysis through an idiom: an
  `nn.Module` instance called runs `forward`; `getcallable(self, event_name)` reaches the
  callbacks' `before_*`/`after_*` methods; a function handed to outside code is called by it;
- `exact`: found by the points-to analysis, or the name binds statically (a local or
  module-level definition, an import, a `Class.attr`, a class instantiation and its `__init__`);
- `inferred`: through `self`/`cls`/`super()`, where a subclass could override;
- `by-name`: `obj.meth()` on an object of unknown type, matched by method name across the
  indexed classes (ranked: same module, then same package, then public classes).
"""
from __future__ import annotations

import re
import sys
import time
from collections import defaultdict

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Iterable

    from tags.names import Binding, Names
    from tags.store import Index

RESOLVER_VERSION = 8  # bump when resolution rules change: stored edges are then rebuilt
EXACT, INFERRED, BY_NAME = "exact", "inferred", "by-name"
MAX_BY_NAME = 8  # a method name defined in more classes than this says nothing about the callee
# methods of dict, list, str, set and tuple: `kwargs.items()`, `names.append(x)` say nothing by name
_CONTAINER_METHODS = frozenset(n for t in (dict, list, str, set, tuple, bytes) for n in dir(t) if not n.startswith("_"))
_SUPER = re.compile(r"super\s*\([^()]*\)\s*\.\s*(\w+)$")
_TAIL = re.compile(r"\.\s*(\w+)$")

Edge = tuple  # (callee def id, how, rank)


class Resolver:
    """Resolves call expressions (the callee text the index stores) inside one definition."""

    def __init__(self, names: Names) -> None:
        self.names = names

    def resolve(self, def_id: int, callee: str) -> list[Edge]:
        super_call = _SUPER.match(callee)
        if super_call:
            return self._super(def_id, super_call.group(1))
        parts = [p.strip() for p in callee.split(".")]
        if not all(p.isidentifier() for p in parts):
            tail = _TAIL.search(callee)  # `make(x).run`, `self.layers[0].forward`
            return self.by_name(tail.group(1), def_id) if tail else []
        head, rest = parts[0], parts[1:]
        if head in ("self", "cls"):  # `self.m()`, `cls.from_x()`, `cls()`, `self()`
            cls = self.names.enclosing_class(def_id)
            if cls is not None and (rest or head == "cls"):
                return self._walk([("def", cls.id)], rest, def_id, INFERRED)
            if cls is not None:
                call = self.names.class_member(cls, "__call__")
                return [(call, INFERRED, 0)] if call is not None else []
        bindings = self.names.scope_lookup(def_id, head)
        if not bindings and rest:
            annotated = self.names.annotated_class(def_id, head)  # `def f(dls: DataLoaders)`
            if annotated is not None:
                return self._walk([("def", annotated.id)], rest, def_id, INFERRED)
            return self.by_name(rest[-1], def_id, receiver=rest[-2] if len(rest) > 1 else head)
        if not bindings:
            return []
        return self._walk(bindings, rest, def_id, EXACT)

    def _walk(self, bindings: list[Binding], rest: list[str], def_id: int, how: str) -> list[Edge]:
        """Follow attributes through modules and classes; an unknown object falls back to by-name."""
        for position, part in enumerate(rest):
            following: list[Binding] = []
            unknown = False
            for binding in bindings:
                found = self.names.attribute(binding, part)
                following += found
                unknown |= not found and binding[0] == "def"
            if not following:
                if not (unknown or position < len(rest) - 1):
                    return []
                return self.by_name(rest[-1], def_id, receiver=rest[-2] if len(rest) > 1 else "")
            bindings = following
        return self._targets(bindings, how)

    def _targets(self, bindings: list[Binding], how: str, depth: int = 0) -> list[Edge]:
        """Calling a function or method reaches it; calling a class reaches it and its `__init__`."""
        edges: list[Edge] = []
        for kind, value in bindings:
            if kind != "def":
                continue
            d = self.names.defs[value]
            if d.kind == "variable":
                if d.alias_of and depth < 4:
                    edges += self._targets(self.names.follow_alias(d), how, depth + 1)
            elif d.kind == "class":
                edges.append((d.id, how, 0))
                init = self.names.class_member(d, "__init__")
                if init is not None:
                    edges.append((init, how, 0))
            elif d.kind != "module":
                edges.append((d.id, how, 0))
        return edges

    def _super(self, def_id: int, name: str) -> list[Edge]:
        cls = self.names.enclosing_class(def_id)
        if cls is None:
            return []
        found = self.names.class_member(cls, name, skip_first=True)
        return [(found, INFERRED, 0)] if found is not None else []

    def by_name(self, name: str, def_id: int, receiver: str = "") -> list[Edge]:
        """Methods called `name` in any indexed class, best guesses first.

        Ranked: a class named like the receiver (`learn.freeze` -> `Learner`), then the caller's
        module, then its package, then public classes.
        """
        names = self.names
        if name.startswith("__") or name in _CONTAINER_METHODS:
            return []
        names.deps.add("#m:" + name)  # a method of that name added or removed anywhere changes the answer
        candidates = names.methods_named.get(name, ())
        if not candidates or len(candidates) > MAX_BY_NAME:
            return []
        caller_module = names.defs[def_id].module
        package = caller_module.split(".")[0]
        hint = receiver.strip("_").lower().rstrip("s")

        def rank(method_id: int) -> tuple:
            d = names.defs[method_id]
            owner = d.qualname.rpartition(".")[0].lower()
            return (not (len(hint) > 2 and hint in owner), d.module != caller_module,
                    d.module.split(".")[0] != package, d.qualname.startswith("_"), d.module, d.line)

        return [(method, BY_NAME, rank_) for rank_, method in enumerate(sorted(candidates, key=rank))]


# -- keeping the edges table in step with the index ----------------------------------------------
class GraphReport:
    """What `ensure_graph` did: for messages and for the tests of incremental updates."""

    __slots__ = ("resolved_files", "call_sites", "edges", "seconds")

    def __init__(self) -> None:
        self.resolved_files: list[str] = []
        self.call_sites = 0
        self.edges = 0
        self.seconds = 0.0


def _check_version(index: Index) -> None:
    """A newer resolver than the one that built the stored edges: resolve everything again."""
    row = next(index.rows("SELECT value FROM meta WHERE key='resolver_version'"), None)
    if row is None or row[0] != str(RESOLVER_VERSION):
        with index.transaction():
            index.db.execute("DELETE FROM graph_files")
            index.db.execute("INSERT OR REPLACE INTO meta VALUES ('resolver_version', ?)", (str(RESOLVER_VERSION),))


def _stale(index: Index) -> tuple[dict[int, tuple[str, str]], dict[int, tuple[str, str, str]]]:
    """(files whose graph is missing or out of date -> (module, digest), removed files -> stored row)."""
    current = {row[0]: row[1:] for row in index.rows("SELECT id, module, digest FROM files")}
    stored = {row[0]: row[1:] for row in index.rows("SELECT file_id, module, digest, names FROM graph_files")}
    changed = {fid: state for fid, state in current.items() if stored.get(fid, ())[:2] != state}
    removed = {fid: row for fid, row in stored.items() if fid not in current}
    return changed, removed


def ensure_graph(index: Index) -> GraphReport:
    """Resolve the call sites whose meaning may have changed since the last call; cheap when none."""
    report = GraphReport()
    _check_version(index)
    changed, removed = _stale(index)
    if not changed and not removed:
        return report
    started = time.perf_counter()
    with index.transaction():  # a second process waits here, then finds the work done
        changed, removed = _stale(index)
        if changed or removed:
            _rebuild(index, changed, removed, report)
    report.seconds = time.perf_counter() - started
    return report


def _rebuild(index: Index, changed: dict, removed: dict, report: GraphReport) -> None:
    from tags.names import Names
    from tags.pointsto.indexed import solve_files

    names = Names(index)
    to_resolve = set(changed) | _dependents(index, names, changed, removed)
    to_resolve = _components(index, names, to_resolve, removed)
    to_resolve = {fid for fid in to_resolve if fid in names.file_module}
    gone = [(fid,) for fid in to_resolve | set(removed)]
    for table in ("edges", "ext_edges", "graph_deps", "graph_files"):
        index.db.executemany(f"DELETE FROM {table} WHERE file_id=?", gone)
    calls: dict[int, list[tuple]] = defaultdict(list)
    for row in index.rows("SELECT file_id, def_id, callee, line, col FROM calls"):
        if row[0] in to_resolve:
            calls[row[0]].append(row[1:])
    files = {row[0]: row[1:] for row in index.rows("SELECT id, module, path, digest FROM files")}
    solved = solve_files(names, {fid: files[fid][:2] for fid in to_resolve})
    resolver = Resolver(names)
    with _GraphProgress(len(to_resolve)) as advance:
        for file_id in sorted(to_resolve):
            unresolved = [c for c in calls.get(file_id, ()) if (c[2], c[3]) not in solved.sites[file_id]]
            edges = solved.edges[file_id] + _resolve_file(resolver, file_id, unresolved)
            index.db.executemany("INSERT INTO edges VALUES (?,?,?,?,?,?,?)", edges)
            index.db.executemany("INSERT INTO ext_edges VALUES (?,?,?,?,?)", solved.ext[file_id])
            index.db.executemany("INSERT INTO graph_deps VALUES (?,?)", [(file_id, d) for d in names.deps])
            index.db.execute("INSERT INTO graph_files VALUES (?,?,?,?)",
                             (file_id, names.file_module[file_id], files[file_id][2], _method_names(names, file_id)))
            report.call_sites += len(calls.get(file_id, ()))
            report.edges += len(edges) + len(solved.ext[file_id])
            advance()
    report.resolved_files = sorted(names.file_module[fid] for fid in to_resolve)


def _components(index: Index, names: Names, seeds: set[int], removed: dict) -> set[int]:
    """The files import-connected (either direction, transitively) to the seeds or to removed modules."""
    file_of = {module: fid for fid, module in names.file_module.items()}
    neighbours: dict[int, set[int]] = defaultdict(set)
    removed_modules = {row[0] for row in removed.values()}
    touched = set(seeds)
    for file_id, source, name in index.rows("SELECT file_id, module, name FROM imports"):
        prefixes = [source.rsplit(".", n)[0] for n in range(source.count(".") + 1)]  # `import a.b` runs `a`
        for target in (f"{source}.{name}" if name and name != "*" else None, *prefixes):
            other = file_of.get(target) if target else None
            if other is not None and other != file_id:
                neighbours[file_id].add(other)
                neighbours[other].add(file_id)
            if target in removed_modules:
                touched.add(file_id)
    result, todo = set(touched), list(touched)
    while todo:
        for other in neighbours.get(todo.pop(), ()):
            if other not in result:
                result.add(other)
                todo.append(other)
    return result


def _resolve_file(resolver: Resolver, file_id: int, calls: Iterable[tuple]) -> list[tuple]:
    resolver.names.deps = set()
    edges = []
    for def_id, callee, line, col in calls:
        for callee_id, how, rank in resolver.resolve(def_id, callee):
            edges.append((def_id, callee_id, file_id, line, col, how, rank))
            resolver.names.deps.add(resolver.names.defs[callee_id].module)
    return edges


def _method_names(names: Names, file_id: int) -> str:
    """The dependency keys a file's methods answer to: `m:name`, and `p:name` for @patch methods."""
    keys = set()
    for method in names.methods_in_file.get(file_id, ()):
        d = names.defs[method]
        keys.add("m:" + d.name)
        if "patch" in d.flags:
            keys.add("p:" + d.name)
    return " ".join(sorted(keys))


def _dependents(index: Index, names: Names, changed: dict, removed: dict) -> set[int]:
    """Files whose resolution consulted something a changed or removed file defines."""
    stored = {row[0]: row[1:] for row in index.rows("SELECT file_id, module, names FROM graph_files")}
    modules = {state[0] for state in changed.values()} | {row[0] for row in removed.values()}
    modules |= {stored[fid][0] for fid in changed if fid in stored}
    methods = {name for fid in set(changed) | set(removed) if fid in stored for name in stored[fid][1].split()}
    methods |= {name for fid in changed for name in _method_names(names, fid).split()}
    keys = _importers_closure(index, modules) | {"#" + key for key in methods}
    found: set[int] = set()
    for chunk in _chunks(sorted(keys), 500):
        marks = ",".join("?" * len(chunk))
        found |= {row[0] for row in index.rows(f"SELECT DISTINCT file_id FROM graph_deps WHERE dep IN ({marks})", chunk)}
    return found


def _importers_closure(index: Index, modules: set[str]) -> set[str]:
    """The modules plus every module that imports from them, directly or through others."""
    importers: dict[str, set[str]] = defaultdict(set)
    rows = index.rows("SELECT i.module, i.name, f.module FROM imports i JOIN files f ON f.id = i.file_id")
    for source, name, importer in rows:
        importers[source].add(importer)
        if name and name != "*":  # `from fastai.vision import models` imports a submodule
            importers[f"{source}.{name}"].add(importer)
    result, todo = set(modules), list(modules)
    while todo:
        for importer in importers.get(todo.pop(), ()):
            if importer not in result:
                result.add(importer)
                todo.append(importer)
    return result


def _chunks(items: list, size: int) -> Iterable[list]:
    return (items[i:i + size] for i in range(0, len(items), size))


class _GraphProgress:
    """A progress bar on a terminal when many files are resolved; a no-op otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar = None

    def __enter__(self) -> Callable[[], None]:
        if self.total > 50 and sys.stderr.isatty():
            from tags.progress import Progress

            self.bar = Progress(self.total, "call graph", enabled=True).__enter__()
        return self.bar.advance if self.bar is not None else (lambda: None)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
