"""The points-to call graph of indexed files, as rows for the index's `edges` and `ext_edges` tables.

The analysis names scopes by module and nesting (`fastai.learner.Learner.fit`); each indexed
definition gets the same name from its parent chain, so an analysed edge maps onto definition
ids. A call inside a scope the index does not hold (a lambda, a comprehension) belongs to the
nearest indexed definition around it; a lambda's calls are also made by whoever calls the
lambda. Calls of builtins and of code outside the analysed files go to `ext_edges` with the
callee's dotted name.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from dataclasses import dataclass, field

from tags.names import Binding
from tags.pointsto.parallel import wait_at_exit
from tags.pointsto.solver import SOLVED_APART, CallGraph, Edge, analyse
from tags.sources import read_source_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tags.names import Names

EXACT = "exact"
FIXED_SEED = "0"  # the hash seed every stored graph is solved under (see `analyse_seeded`)
_CALLABLE_KINDS = ("function", "method", "class", "model")


@dataclass
class SolvedFiles:
    """Edge rows per file: `edges` (caller, callee, file, line, col, how, rank), `ext` (caller, name, file, line, col)."""

    edges: dict[int, list[tuple]] = field(default_factory=dict)
    ext: dict[int, list[tuple]] = field(default_factory=dict)
    sites: dict[int, set[tuple[int, int]]] = field(default_factory=dict)  # file -> (line, col) the analysis resolved
    graph: CallGraph | None = None


def analysis_names(names: Names) -> dict[str, int]:
    """Each indexed definition by the name the analysis gives its scope."""
    found: dict[int, str] = {}

    def name_of(def_id: int) -> str:
        known = found.get(def_id)
        if known is not None:
            return known
        d = names.defs[def_id]
        if d.kind == "module" or d.parent is None or d.parent not in names.defs:
            result = d.qualname if d.kind == "module" else f"{d.module}.{d.qualname}"
        else:
            result = f"{name_of(d.parent)}.{d.name}"
        found[def_id] = result
        return result

    by_name: dict[str, int] = {}
    for def_id, d in names.defs.items():
        if d.kind == "module" or d.kind in _CALLABLE_KINDS:
            name = name_of(def_id)
            known = by_name.get(name)
            if known is not None and d.kind == "method" and ("property" in d.flags) != ("property" in names.defs[known].flags):
                getter, setter = (def_id, known) if "property" in d.flags else (known, def_id)  # `@name.setter`
                by_name[name], by_name[f"{name}.<setter>"] = getter, setter
            else:
                by_name.setdefault(name, def_id)
    return by_name


def read_sources(files: dict[int, tuple[str, str]]) -> dict[str, tuple[str, bool]]:
    """module -> (text, is a package) for the files given as id -> (module, path); unreadable ones are left out."""
    sources: dict[str, tuple[str, bool]] = {}
    for module, path in sorted(files.values()):  # file ids follow parse order: modules in name order
        try:
            sources[module] = (read_source_text(path), os.path.basename(path) == "__init__.py")
        except OSError:
            continue
    return sources


def solve_files(names: Names, files: dict[int, tuple[str, str]],
                 sources: dict[str, tuple[str, bool]] | None = None, cache_dir: str | None = None) -> SolvedFiles:
    """Analyse the files (id -> (module, path)) together and map the edges onto definition ids;
    `sources` are the texts to solve when already read (see `read_sources`): theirs, and maybe more
    modules solved with them (whose edges are not mapped), `cache_dir` where the solved library
    layers and parts are kept (see tags/pointsto/layercache.py and resume.py)."""
    sources = read_sources(files) if sources is None else sources
    return map_solved(names, analyse_seeded(sources, cache_dir), files, set(sources))


def map_solved(names: Names, graph: CallGraph, files: dict[int, tuple[str, str]], solved_modules: set[str],
               by_name: dict[str, int] | None = None) -> SolvedFiles:
    """The edges of the files (id -> (module, path)) in `graph`, which solved `solved_modules`, as rows;
    `by_name` is `analysis_names(names)` when already made."""
    by_name = analysis_names(names) if by_name is None else by_name
    # the analysed modules and the indexed packages solved apart: a name in them that maps to no
    # definition (`timm.create_model.forward_features`) is no outside call
    inside = {module for module, _ in files.values()} | solved_modules | {p for p in SOLVED_APART if p in names.modules}
    solved = SolvedFiles(graph=graph)
    for file_id in files:
        solved.edges[file_id], solved.ext[file_id], solved.sites[file_id] = [], [], set()
    enclosing: dict[str, int | None] = {}
    placed: dict[str, tuple[int | None, int | None]] = {}  # scope -> (its definition, the file holding it)
    outside: dict[str, list[int]] = {}
    in_lambdas = _calls_in_lambdas(graph.edges)
    for edge in graph.edges:  # the part's and its layers': after an edit, most in files not asked for
        scope = edge.body or edge.caller  # a class body's calls are the class's
        place = placed.get(scope)
        if place is None:
            caller = _nearest(scope, by_name, enclosing)
            place = placed[scope] = (caller, None if caller is None else names.defs[caller].file_id)
        caller, file_id = place
        if file_id not in solved.edges:
            continue
        solved.sites[file_id].add((edge.line, edge.col))
        reached = [edge] + _through(edge, in_lambdas) if _followed(edge, in_lambdas) else [edge]
        for call in reached:
            callee = by_name.get(call.callee)
            how = EXACT if call.how == "points-to" else call.how  # or the idiom: forward, event, higher-order
            if callee is not None and call.kind in ("function", "class", "init"):
                solved.edges[file_id].append((caller, callee, file_id, edge.line, edge.col, how, 0))
            elif call.kind == "external" and (below := _defined_below(names, call.callee, outside)):
                solved.edges[file_id] += [(caller, found, file_id, edge.line, edge.col, how, 0) for found in below]
            elif call.kind in ("builtin", "external", "external-result") and call.callee.partition(".")[0] not in inside:
                solved.ext[file_id].append((caller, call.callee, file_id, edge.line, edge.col))
    for file_id in files:  # one row per call site and callee (`A()` is found as a call and as its `__init__`)
        solved.edges[file_id] = _best_per_site(solved.edges[file_id])
        solved.ext[file_id] = sorted(set(solved.ext[file_id]))
    return solved


def analyse_seeded(sources: dict[str, tuple[str, bool]], cache_dir: str | None = None,
                   held: dict[str, str] | None = None) -> CallGraph:
    """`analyse(sources)` as solved under hash seed `FIXED_SEED`, whatever this process' seed: its
    edges and the modules Python could not parse.

    The solver's caps (MAX_VALUES, MAX_PASSES) keep the values that arrive first, and arrival
    follows the iteration order of sets of strings, which changes with PYTHONHASHSEED: so the
    stored graph would change from one run to the next. A process started with the fixed seed
    solves it instead (this one, when it already runs with it).
    """
    if not sys.flags.hash_randomization:  # PYTHONHASHSEED=0 already
        return analyse(sources, cache_dir=cache_dir, held=held)
    from tags.errors import NavError
    from tags.lifetime import child_setup, nav_python_env

    env = nav_python_env(PYTHONHASHSEED=FIXED_SEED)
    child = subprocess.Popen([sys.executable, "-m", "tags.pointsto.indexed"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             env=env, preexec_fn=child_setup())  # noqa: PLW1509 - only a prctl; kill -9 of nav stops it
    try:
        try:
            child.stdin.write(pickle.dumps((sources, cache_dir, held)))
            child.stdin.close()
        except BrokenPipeError:  # it stopped before reading: its exit status says why
            pass
        answer = child.stdout.read()  # it closes its output once written; it may still be keeping its state
        child.stdout.close()
        rows, unparsed, grown, kept = pickle.loads(answer)
    except BaseException as err:  # Ctrl-C, or no answer
        if not isinstance(err, Exception):
            child.kill()
        code = child.wait()
        if not isinstance(err, Exception):
            raise
        raise NavError(f"the call graph solver stopped (exit status {code}); nothing was stored") from None
    wait_at_exit(child.wait)  # it writes the part's kept solution (tags/pointsto/resume.py) while this one stores
    return CallGraph({Edge(*fields) for fields in rows}, unparsed=unparsed, grown=grown, kept=kept)


def _solve_child() -> None:
    """`analyse_seeded`'s child: sources and cache folder pickled on stdin; edge fields and the
    modules not parsed pickled on stdout."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops this one
    marker = os.environ.get("NAV_TEST_SOLVER_MARKER")
    if marker:  # tests: hold still, known to be running, until killed
        with open(marker, "w") as handle:
            handle.write(str(os.getpid()))
        signal.pause()
    sources, cache_dir, held = pickle.load(sys.stdin.buffer)
    graph = analyse(sources, cache_dir=cache_dir, held=held)
    rows = sorted(e.fields() for e in graph.edges)
    sys.stdout.buffer.write(pickle.dumps((rows, graph.unparsed, graph.grown, graph.kept)))
    sys.stdout.flush()
    null = os.open(os.devnull, os.O_WRONLY)  # the answer is complete: the parent reads on while this one
    os.dup2(null, sys.stdout.fileno())  # waits at exit for the child keeping the part's solution
    os.close(null)


def grown_files(names: Names, graph: CallGraph, files: dict[int, tuple[str, str]], by_name: dict[str, int]) -> set[int] | None:
    """The files (of `files`) whose edges a resumed solve may have added to (see `CallGraph.grown`):
    those of the scopes that made new calls, and of whoever calls a lambda that did (a lambda's
    calls are its caller's too, see `_through`); None after a solve from scratch."""
    if graph.grown is None:
        return None
    grown, waiting = set(graph.grown), [name for name in graph.grown if _is_lambda(name)]
    callers: dict[str, set[str]] = {}
    for edge in graph.edges:
        if _is_lambda(edge.callee):
            callers.setdefault(edge.callee, set()).add(edge.body or edge.caller)
    while waiting:
        for caller in callers.get(waiting.pop(), ()):
            if caller not in grown:
                grown.add(caller)
                waiting += [caller] if _is_lambda(caller) else []
    enclosing: dict[str, int | None] = {}
    found = {names.defs[d].file_id for d in (_nearest(name, by_name, enclosing) for name in grown) if d is not None}
    return found & set(files)


def _defined_below(names: Names, dotted: str, cache: dict[str, list[int]]) -> list[int]:
    """The indexed definitions an outside name reaches when called: `fastcore.all.L` (a library
    layer solved on its own, see LIBRARY_LAYERS) is class `L` and `L.__init__`; unindexed code, none."""
    if dotted in cache:
        return cache[dotted]
    parts = dotted.split(".")
    bindings: list[Binding] = []
    for cut in range(len(parts) - 1, 0, -1):  # the longest indexed module the name starts with
        if ".".join(parts[:cut]) in names.modules:
            bindings = [Binding("module", ".".join(parts[:cut]))]
            for part in parts[cut:]:
                bindings = [b for binding in bindings for b in names.attribute(binding, part)]
            break
    found = names.called(bindings)
    cache[dotted] = found
    return found


def _is_lambda(scope: str) -> bool:
    return "<lambda" in scope and scope.rpartition(".")[2].startswith("<lambda")  # most are not: no split


def _calls_in_lambdas(edges: set[Edge]) -> dict[str, list[Edge]]:
    """The calls each lambda makes, by the lambda's scope name (in a stable order)."""
    found: dict[str, list[Edge]] = {}
    for edge in edges:
        if _is_lambda(edge.caller) and not edge.body:
            found.setdefault(edge.caller, []).append(edge)
    for calls in found.values():
        calls.sort(key=lambda e: (e.line, e.col, e.callee, e.kind, e.how))
    return found


def _followed(call: Edge, in_lambdas: dict[str, list[Edge]]) -> bool:
    """Whether the calls of the lambda `call` calls are made at its site too. A lambda handed to
    unseen code (`sorted(key=...)`, label `higher-order`) only when the caller wrote it: the values
    handed over can be wide (a helper's `f` holding dozens of functions), the caller's own not."""
    if call.callee not in in_lambdas:
        return False
    return call.how != "higher-order" or call.callee.startswith(call.caller + ".")


def _through(call: Edge, in_lambdas: dict[str, list[Edge]]) -> list[Edge]:
    """What calling a lambda runs, through lambdas it calls in turn: the index has no lambdas, and
    a live trace puts their calls under the function that called them (`dls.train` runs
    `lambda i,x: x[i]`: the reader calls `__getitem__`). Calls of the lambdas themselves are left out."""
    seen, waiting, found = {call.callee}, [call.callee], []
    while waiting:
        for inner in in_lambdas.get(waiting.pop(), ()):
            if inner.callee in in_lambdas or _is_lambda(inner.callee):
                if inner.callee not in seen:
                    seen.add(inner.callee)
                    waiting.append(inner.callee)
            else:
                found.append(inner)
    return found


def _best_per_site(rows: list[tuple]) -> list[tuple]:
    """One edge row per (caller, callee, line, col): the first label in sorted order wins (`exact` first)."""
    best: dict[tuple, tuple] = {}
    for row in sorted(rows, key=lambda r: (r[5] != EXACT, r[5])):
        best.setdefault((row[0], row[1], row[3], row[4]), row)
    return sorted(best.values(), key=lambda r: (r[3], r[4], r[1]))


def _nearest(scope: str, by_name: dict[str, int], cache: dict[str, int | None]) -> int | None:
    """The indexed definition for an analysed scope, or the nearest one around it."""
    if scope in cache:
        return cache[scope]
    found = by_name.get(scope)
    rest = scope
    while found is None and "." in rest:
        rest = rest.rpartition(".")[0]
        found = by_name.get(rest)
    cache[scope] = found
    return found


if __name__ == "__main__":
    _solve_child()
