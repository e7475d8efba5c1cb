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
direction); an edit resolves the whole component(s) of the changed or removed files, plus the
files whose by-name fallback consulted a method name the change touches (`graph_deps`).
Points-to facts flow only along imports, so files outside those components cannot change.
The analysis solves the whole parts those files are in (see `Partition`), as the cold graph
does, and each part's solution is kept beside the index: an edit that only adds statements
(a new function at the end of a file) resumes it rather than solving again, and then only the
files whose calls it added to, the changed files, their dependents and the files calling into
them have their edges stored again (tags/pointsto/resume.py, `_kept_as_stored`).
A file outside them whose by-name answers name a changed file's definitions (timm's `m.fit()`
guessing fastai's `Learner.fit`) only has those call sites answered again: the definitions
got new ids, nothing else moved (`_relink_plan`).
Before that, a changed file whose syntax tree (positions included) and index rows (ids aside) are
as they were resolved (a comment changed in place or appended, `touch`) keeps its edges, their
definition ids renumbered (`_same_syntax`, the `graph_sources` table keeps the resolved text).
The library layers below the code solved again are read back from the index's folder while
their sources are unchanged (tags/pointsto/layercache.py).

How an edge was resolved:
- `forward`, `event`, `higher-order`: found by the points-to analysis through an idiom: an
  `nn.Module` instance called runs `forward`; `getcallable(self, event_name)` reaches the
  callbacks' `before_*`/`after_*` methods; a function handed to outside code is called by it;
- `library`: a library layer's function (fastcore) given this layer's values makes the calls its
  source makes on that parameter (`bind.__call__` calls the `f` of `L.map(f)`); the caller is the
  library function (see tags/pointsto/library.py);
- `dataclass`: instantiating a `@dataclass` runs its `__post_init__` (from the generated `__init__`);
- `exact`: found by the points-to analysis, or the name binds statically (a local or
  module-level definition, an import, a `Class.attr`, a class instantiation and its `__init__`);
- `inferred`: through `self`/`cls`/`super()`, where a subclass could override;
- `by-name`: `obj.meth()` on an object of unknown type, matched by method name across the
  indexed classes (ranked: same module, then same package, then public classes).
"""
from __future__ import annotations

import os
import re
import sys
import time
from collections import Counter, defaultdict, namedtuple

from tags.errors import UNPARSABLE
from tags.names import Binding
from tags.sources import read_source_text
from tags.store import EdgeRow, GraphFile, GraphSource

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Iterable

    from tags.names import Names
    from tags.store import CallSite, Index, IndexedFile

RESOLVER_VERSION = 59  # 59: by-name answers note their callees' modules apart (`@module`), to be relinked after an edit; 58: what a call into timm made, called again, is no call of the function; 57: timm's training tools a part of their own; 56: a factory returns instances of the classes its call passed; 55: timm.layers a layer below the rest of timm; 54: timm solved apart, method names counted; 53: literal-string arguments name attributes (getattr/setattr), fastcore properties(), properties set on a class, keys read as sequences, itertools, reversed, sum
EXACT, INFERRED, BY_NAME = "exact", "inferred", "by-name"
MAX_BY_NAME = 8  # a method name defined in more classes than this says nothing about the callee
# methods of dict, list, str, set and tuple: `kwargs.items()`, `names.append(x)` say nothing by name
_CONTAINER_METHODS = frozenset(n for t in (dict, list, str, set, tuple, bytes) for n in dir(t) if not n.startswith("_"))
_SUPER = re.compile(r"super\s*\([^()]*\)\s*\.\s*(\w+)$")
_TAIL = re.compile(r"\.\s*(\w+)$")


class Edge(namedtuple("Edge", "callee_id how rank")):
    """Where one call expression can go: a definition, how it was found, its rank among by-name guesses."""

    __slots__ = ()
    callee_id: int
    how: str
    rank: int


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
                return self._walk([Binding("def", cls.id)], rest, def_id, INFERRED)
            if cls is not None:
                call = self.names.class_member(cls, "__call__")
                return [Edge(call, INFERRED, 0)] if call is not None else []
        bindings = self.names.scope_lookup(def_id, head)
        if not bindings and rest:
            annotated = self.names.annotated_class(def_id, head)  # `def f(dls: DataLoaders)`
            if annotated is not None:
                return self._walk([Binding("def", annotated.id)], rest, def_id, INFERRED)
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
                unknown |= not found and binding.kind == "def"
            if not following:
                if not (unknown or position < len(rest) - 1):
                    return []
                return self.by_name(rest[-1], def_id, receiver=rest[-2] if len(rest) > 1 else "")
            bindings = following
        return self._targets(bindings, how)

    def _targets(self, bindings: list[Binding], how: str) -> list[Edge]:
        """Calling a function or method reaches it; calling a class reaches it and its `__init__`."""
        return [Edge(found, how, 0) for found in self.names.called(bindings)]

    def _super(self, def_id: int, name: str) -> list[Edge]:
        cls = self.names.enclosing_class(def_id)
        if cls is None:
            return []
        found = self.names.class_member(cls, name, skip_first=True)
        return [Edge(found, INFERRED, 0)] if found is not None else []

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

        return [Edge(method, BY_NAME, rank_) for rank_, method in enumerate(sorted(candidates, key=rank))]


# -- keeping the edges table in step with the index ----------------------------------------------
class GraphReport:
    """What `ensure_graph` did: for messages and for the tests of incremental updates."""

    __slots__ = ("resolved_files", "relinked_files", "unparsed", "call_sites", "edges", "seconds")

    def __init__(self) -> None:
        self.resolved_files: list[str] = []
        self.relinked_files: list[str] = []  # by-name answers given again (see `_relink_plan`), not solved
        self.unparsed: dict[str, str] = {}  # path -> why Python's parser refused it: its calls are linked by name
        self.call_sites = 0
        self.edges = 0
        self.seconds = 0.0


def _check_version(index: Index) -> None:
    """A newer resolver than the one that built the stored edges: resolve everything again."""
    if index.meta_value("resolver_version") != str(RESOLVER_VERSION):
        with index.transaction():
            index.forget_graph_files()
            index.set_meta_value("resolver_version", str(RESOLVER_VERSION))


def _stale(index: Index) -> tuple[dict[int, IndexedFile], dict[int, GraphFile]]:
    """(files whose graph is missing or out of date, removed files as last resolved), by file id."""
    current = {file.id: file for file in index.indexed_files()}
    stored = {graph.file_id: graph for graph in index.graph_files()}

    def resolved(file: IndexedFile) -> bool:
        graph = stored.get(file.id)
        return graph is not None and (graph.module, graph.digest) == (file.module, file.digest)

    changed = {fid: file for fid, file in current.items() if not resolved(file)}
    removed = {fid: graph for fid, graph in stored.items() if fid not in current}
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
        for file_id in _same_syntax(index, changed):
            del changed[file_id]
        if changed or removed:
            _rebuild(index, changed, removed, report)
    report.seconds = time.perf_counter() - started
    return report


def _rebuild(index: Index, changed: dict[int, IndexedFile], removed: dict[int, GraphFile],
             report: GraphReport) -> None:
    from tags.names import Names
    from tags.pointsto.indexed import (
        analyse_seeded,
        analysis_names,
        grown_files,
        map_solved,
        read_sources,
    )

    names = Names(index)
    dependents, relink = _dependents(index, names, changed, removed)
    files = {file.id: file for file in index.indexed_files()}
    paths_by_id = {fid: file.path for fid, file in files.items()}
    to_resolve = _components(index, names, set(changed) | dependents, removed, paths_by_id)
    sites_to_relink, failed = _relink_plan(index, changed, relink - to_resolve)
    if failed:
        to_resolve = _components(index, names, set(changed) | dependents | failed, removed, paths_by_id)
    to_resolve = {fid for fid in to_resolve if fid in names.file_module}
    resolver = Resolver(names)
    relinked = {fid: sites for fid, sites in sites_to_relink.items() if fid not in to_resolve}
    for file_id, sites in relinked.items():
        calls_there = [c for c in index.call_sites_of(file_id) if (c.line, c.col) in sites]
        index.replace_site_edges(file_id, sites, _resolve_file(resolver, file_id, calls_there), names.deps)
    report.relinked_files = sorted(names.file_module[fid] for fid in relinked)
    paths = _within_analysis(names, {fid: (files[fid].module, files[fid].path) for fid in to_resolve})
    sources = read_sources(_whole_parts(names, files, paths))
    held = _held_solutions(index)
    graph = analyse_seeded(sources, index.directory, held)
    by_name = analysis_names(names)
    to_store = to_resolve - _kept_as_stored(index, paths, grown_files(names, graph, paths, by_name), set(changed),
                                            dependents)
    index.delete_file_graphs(to_store | set(removed))
    solved = map_solved(names, graph, {fid: entry for fid, entry in paths.items() if fid in to_store}, set(sources),
                        by_name)
    report.unparsed = unparsed_files(paths, graph.unparsed)
    say_unparsed(report.unparsed)
    calls: dict[int, list[CallSite]] = defaultdict(list)
    for call in index.call_sites() if len(to_store) > len(files) // 4 else (  # one query, or one a file
            call for file_id in to_store for call in index.call_sites_of(file_id)):
        if call.file_id in to_store:
            calls[call.file_id].append(call)
    with _GraphProgress(len(to_store)) as advance:
        for file_id in sorted(to_store):
            analysed = [EdgeRow._make(row) for row in solved.edges.get(file_id, ())]
            sites = {(c.line, c.col): c for c in calls.get(file_id, ())}
            analysed, blurred = _drop_blurred(names, resolver, sites, analysed)
            resolved = solved.sites.get(file_id, set())
            unresolved = [c for c in calls.get(file_id, ()) if (c.line, c.col) not in resolved or (c.line, c.col) in blurred]
            edges = analysed + _resolve_file(resolver, file_id, unresolved)
            graph_file = GraphFile(file_id, names.file_module[file_id], files[file_id].digest,
                                   _method_names(names, file_id))
            index.store_file_graph(graph_file, edges, solved.ext.get(file_id, []), names.deps)
            if graph_file.module in sources:
                index.store_graph_source(GraphSource(file_id, *index.file_rows(file_id), sources[graph_file.module][0]))
            report.call_sites += len(calls.get(file_id, ()))
            report.edges += len(edges) + len(solved.ext.get(file_id, ()))
            advance()
    report.resolved_files = sorted(names.file_module[fid] for fid in to_resolve)
    import json

    held.update(graph.kept)  # with the edges, in their transaction: a nav killed before it commits leaves the old
    index.set_meta_value(HELD_SOLUTIONS, json.dumps({part: stamp for part, stamp in sorted(held.items()) if stamp}))


HELD_SOLUTIONS = "graph-solutions"  # index meta: part -> stamp of the kept solution whose edges the index holds


def _held_solutions(index: Index) -> dict[str, str]:
    """Each solved part's stamp of the kept solution whose edges the index holds (see tags/pointsto/resume.py)."""
    import json

    try:
        held = json.loads(index.meta_value(HELD_SOLUTIONS) or "{}")
    except ValueError:
        return {}
    return {part: stamp for part, stamp in held.items() if isinstance(stamp, str)} if isinstance(held, dict) else {}


MAX_UNPARSED_SHOWN = 5  # files Python could not parse named one by one; the rest counted


def unparsed_files(paths: dict[int, tuple[str, str]], unparsed: dict[str, str]) -> dict[str, str]:
    """Which of the files solved (id -> (module, path)) Python's parser refused: path -> why."""
    return {path: unparsed[module] for module, path in sorted(paths.values(), key=lambda entry: entry[1])
            if module in unparsed}


def say_unparsed(found: dict[str, str], meaning: str = "its calls are linked by name only") -> None:
    """Tell which files (or modules) Python's parser refused, though tree-sitter indexed them: the
    points-to analysis saw them empty, which `meaning` says the consequence of."""
    python = f"Python {sys.version_info.major}.{sys.version_info.minor}"  # a newer one may (`type X = ...`)
    for where, why in list(found.items())[:MAX_UNPARSED_SHOWN]:
        print(f"nav: {where}: {python} cannot parse it ({why}); {meaning}", file=sys.stderr)
    if len(found) > MAX_UNPARSED_SHOWN:
        print(f"nav: and {len(found) - MAX_UNPARSED_SHOWN:,} more files {python} cannot parse", file=sys.stderr)


MAX_ANALYSED_FILES = 1000  # a package bigger than this (torch: 2,352 files) is linked by name only


def _within_analysis(names: Names, paths: dict[int, tuple[str, str]], quiet: bool = False) -> dict[int, tuple[str, str]]:
    """The files the points-to analysis takes: all but those of packages over MAX_ANALYSED_FILES.

    The analysis holds every syntax tree and solves them together; torch's graph passed 5 GB
    and a quarter of an hour without finishing. Its files' calls go to the by-name resolver
    instead, and the code above sees it as outside code that still maps onto its definitions.
    """
    sizes = Counter(module.partition(".")[0] for module, _ in paths.values())
    big = sorted(package for package, count in sizes.items() if count > MAX_ANALYSED_FILES)
    if big and not quiet:
        listed = ", ".join(f"{package} ({sizes[package]:,} files)" for package in big)
        print(f"nav: {listed}: over {MAX_ANALYSED_FILES:,} files, its calls are linked by name "
              "(the points-to analysis would need gigabytes)", file=sys.stderr)
    return {fid: entry for fid, entry in paths.items() if entry[0].partition(".")[0] not in big}


def _kept_as_stored(index: Index, paths: dict[int, tuple[str, str]], grown: set[int] | None, changed: set[int],
                    dependents: set[int]) -> set[int]:
    """The files whose stored edges a resumed solve left as they were: solved (in `paths`), none of
    their scopes' calls new (`grown`, see `grown_files`; None after a solve from scratch: no file),
    neither changed nor depending on a change (`dependents`: their by-name answers are given again),
    and no edge into a changed file's old definitions (those got new ids)."""
    if grown is None:
        return set()
    into_changed: set[int] = set()
    for file_id in changed:
        source = index.graph_source(file_id)
        if source is None:
            return set()  # its old ids unknown: every file is stored again
        into_changed |= index.files_with_edges_into(source.first_def, source.defs)
    return set(paths) - grown - changed - dependents - into_changed


def _whole_parts(names: Names, files: dict[int, IndexedFile], paths: dict[int, tuple[str, str]]) -> dict[int, tuple[str, str]]:
    """The files to solve for those to resolve (`paths`): every analysed file of the parts they are in
    (see `Partition`), as the cold graph solves them. Files of other components in those parts
    give the same facts as before, and a part solved whole can resume its kept solution after an
    edit that adds code (see tags/pointsto/resume.py); only `paths` get their edges stored again."""
    from tags.pointsto.solver import Partition

    partition = Partition({file.module: os.path.basename(file.path) == "__init__.py" for file in files.values()})
    parts = {partition.of(module) for module, _ in paths.values()}
    every = {fid: (file.module, file.path) for fid, file in files.items()
             if fid in names.file_module and partition.of(file.module) in parts}
    return _within_analysis(names, every, quiet=True) | paths


def _same_syntax(index: Index, changed: dict[int, IndexedFile]) -> list[int]:
    """The changed files whose edit the graph cannot see, their edges renumbered and kept.

    An edit that leaves the syntax tree, positions included, and the index rows (ids aside) as they
    were (a comment changed in place, a comment or blank lines added at the end, `touch`) gives the
    analysis the same input: only the definitions' ids moved, so the edges follow them.
    """
    import ast

    stored = {graph.file_id: graph for graph in index.graph_files()}
    kept = []
    for file_id, file in changed.items():
        graph, source = stored.get(file_id), index.graph_source(file_id)
        if graph is None or source is None or graph.module != file.module:
            continue
        first, count, rows = index.file_rows(file_id)
        if (count, rows) != (source.defs, source.rows) or not index.free_def_range(source.first_def, count):
            continue
        try:
            text = read_source_text(file.path)
            same = text == source.text or ast.dump(ast.parse(text), include_attributes=True) == ast.dump(
                ast.parse(source.text), include_attributes=True)
        except (OSError, *UNPARSABLE):
            continue
        if same:
            index.renumber_file_graph(graph._replace(digest=file.digest), source.first_def,
                                      GraphSource(file_id, first, count, rows, text))
            kept.append(file_id)
    return kept


BLURRED = 8  # an attribute call the analysis links to more callees than this, none of the called name, is a blur


def _drop_blurred(names: Names, resolver: Resolver, sites: dict[tuple[int, int], CallSite],
                  edges: list[EdgeRow]) -> tuple[list[EdgeRow], set[tuple[int, int]]]:
    """The analysis' edges without its blurred call sites, and those sites.

    When a receiver's value set grows past the solver's caps (a parameter fed from all over
    fastcore, say), `dls.add_tfms(...)` can come out linked to a dozen `__call__`s and none of
    the `add_tfms` methods. Such a site is given to the by-name resolver instead, when that finds
    anything, so the one answer a reader expects is there, labelled as the guess it is.
    """
    by_site: dict[tuple[int, int], list[EdgeRow]] = defaultdict(list)
    for edge in edges:
        by_site[(edge.line, edge.col)].append(edge)
    blurred: set[tuple[int, int]] = set()
    for site, found in by_site.items():
        call = sites.get(site)
        if call is None or "." not in call.callee or len({e.callee_id for e in found}) <= BLURRED:
            continue
        name = call.callee.rpartition(".")[2]
        if any(names.defs[e.callee_id].name == name for e in found if e.callee_id in names.defs):
            continue
        if resolver.by_name(name, call.def_id):
            blurred.add(site)
    return [e for e in edges if (e.line, e.col) not in blurred], blurred


def _components(index: Index, names: Names, seeds: set[int], removed: dict[int, GraphFile],
                paths: dict[int, str]) -> set[int]:
    """The files import-connected (either direction, transitively) to the seeds or to removed modules.

    Imports connect files solved in the same part (see `Partition`: timm, or a subpackage of a
    package as big as torch, is solved apart from the rest). An import into another part connects
    one way: the importer's edges name that part's definitions (by id), so a change there resolves
    the importer again; a change in the importer leaves the other part's solution as it was.
    A library layer's files (fastcore's) are connected to each other: a layer is solved whole, as
    the cold graph solves it, so the state kept for it (tags/pointsto/layercache.py) serves every
    later edit above it. `paths` are the indexed files' paths, by id."""
    from tags.pointsto.solver import Partition, library_layer

    partition = Partition({module: os.path.basename(paths.get(fid, "")) == "__init__.py"
                           for fid, module in names.file_module.items()})

    def part(fid: int) -> str:
        return partition.of(names.file_module[fid])

    file_of = {module: fid for fid, module in names.file_module.items()}
    neighbours: dict[int, set[int]] = defaultdict(set)
    removed_modules = {graph.module for graph in removed.values()}
    importers: dict[str, set[int]] = defaultdict(set)  # package solved apart -> the files outside it importing it
    touched = set(seeds)
    for row in index.import_rows():
        file_id, source, name = row.file_id, row.module, row.name
        prefixes = [source.rsplit(".", n)[0] for n in range(source.count(".") + 1)]  # `import a.b` runs `a`
        for target in (f"{source}.{name}" if name and name != "*" else None, *prefixes):
            other = file_of.get(target) if target else None
            if other is not None and other != file_id and part(other) == part(file_id):
                neighbours[file_id].add(other)
                neighbours[other].add(file_id)
            elif other is not None and part(other):
                importers[part(other)].add(file_id)
            if target in removed_modules:
                touched.add(file_id)
    layers: dict[str, list[int]] = defaultdict(list)
    for fid, module in names.file_module.items():
        label = library_layer(module)
        if label:
            layers[label].append(fid)
    for first, *others in layers.values():
        for fid in others:
            neighbours[first].add(fid)
            neighbours[fid].add(first)
    reached = _reachable(touched, neighbours)
    from_apart = {fid for package in {part(f) for f in reached} - {""} for fid in importers.get(package, ())}
    return reached | _reachable(from_apart - reached, neighbours)


def _resolve_file(resolver: Resolver, file_id: int, calls: Iterable[CallSite]) -> list[EdgeRow]:
    """The by-name resolver's edges for the call sites the points-to analysis left unresolved."""
    resolver.names.deps = set()
    edges = []
    for call in calls:
        for edge in resolver.resolve(call.def_id, call.callee):
            edges.append(EdgeRow(call.def_id, edge.callee_id, file_id, call.line, call.col, edge.how, edge.rank))
            module = resolver.names.defs[edge.callee_id].module
            resolver.names.deps.add("@" + module if edge.how == BY_NAME else module)  # by-name: only the ids
    return edges


def _method_names(names: Names, file_id: int) -> str:
    """The dependency keys a file's methods answer to, one per method: `m:name`, and `p:name` for
    @patch methods (counted: a by-name answer changes when the number of classes with a name does)."""
    keys = []
    for method in names.methods_in_file.get(file_id, ()):
        d = names.defs[method]
        keys.append("m:" + d.name)
        if "patch" in d.flags:
            keys.append("p:" + d.name)
    return " ".join(sorted(keys))


def _dependents(index: Index, names: Names, changed: dict[int, IndexedFile],
                removed: dict[int, GraphFile]) -> tuple[set[int], set[int]]:
    """(files whose resolution consulted something a changed or removed file defines, files whose
    by-name answers only name a changed file's definitions: their ids moved, see `_relink_plan`)."""
    stored = {graph.file_id: graph for graph in index.graph_files()}
    changed_modules = {file.module for file in changed.values()} | {stored[fid].module for fid in changed if fid in stored}
    removed_modules = {graph.module for graph in removed.values()}
    # method names whose number of methods changed (by-name answers count their classes); an answer
    # that names a changed file's methods is found through that file's module, above
    methods = {name for fid in removed if fid in stored for name in stored[fid].names.split()}
    for fid in changed:
        before = Counter(stored[fid].names.split()) if fid in stored else Counter()
        after = Counter(_method_names(names, fid).split())
        methods |= {name for name in before | after if before[name] != after[name]}
    keys = _importers_closure(index, changed_modules | removed_modules) | {"#" + key for key in methods}
    keys |= {"@" + module for module in removed_modules}
    dependents = index.files_depending_on(keys)
    return dependents, index.files_depending_on({"@" + module for module in changed_modules}) - dependents


def _relink_plan(index: Index, changed: dict[int, IndexedFile],
                 candidates: set[int]) -> tuple[dict[int, set[tuple[int, int]]], set[int]]:
    """For files left as they were whose by-name answers name changed files' definitions: the call
    sites to answer again (by name, see `Resolver.by_name`), and the files that need solving instead.

    A by-name answer depends on the methods of each name (their number is a dependency key of its
    own, `#m:name`) and on their ids, which a file indexed again hands out anew. So when no method
    count changed, the sites whose edges named the old ids are answered again and the rest of the
    file's edges stand: a fastai edit no longer solves timm again. A file whose edges into the old
    ids were not all by-name, or whose changed file's old ids are not known (or taken by other
    definitions), is solved again."""
    ranges: list[tuple[int, int]] = []
    unknown: set[str] = set()
    for file_id, file in changed.items():
        source = index.graph_source(file_id)
        if source is None or not index.free_def_range(source.first_def, source.defs):
            unknown.add("@" + file.module)
        elif source.defs:
            ranges.append((source.first_def, source.defs))
    failed = index.files_depending_on(unknown) & candidates if unknown else set()
    plan: dict[int, set[tuple[int, int]]] = {}
    for file_id in sorted(candidates - failed):
        into = [edge for first, count in ranges for edge in index.edges_into(file_id, first, count)]
        if any(edge.how != BY_NAME for edge in into):
            failed.add(file_id)
        elif into:
            plan[file_id] = {(edge.line, edge.col) for edge in into}
    return plan, failed


def _importers_closure(index: Index, modules: set[str]) -> set[str]:
    """The modules plus every module that imports from them, directly or through others."""
    importers: dict[str, set[str]] = defaultdict(set)
    for source, name, importer in index.module_imports():
        importers[source].add(importer)
        if name and name != "*":  # `from fastai.vision import models` imports a submodule
            importers[f"{source}.{name}"].add(importer)
    return _reachable(modules, importers)


def _reachable(seeds: set, neighbours: dict) -> set:
    """The seeds and everything reachable from them through `neighbours` (a node -> nodes map)."""
    result, todo = set(seeds), list(seeds)
    while todo:
        for other in neighbours.get(todo.pop(), ()):
            if other not in result:
                result.add(other)
                todo.append(other)
    return result


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
