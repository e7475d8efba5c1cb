"""`nav trace --live`: run code in a subprocess, record the calls it really makes, show them as a tree.

The subprocess (`navigator.trace.driver`) records calls between functions in the indexed roots;
here they are matched to index definitions by file and first line, turned into the same
`TraceNode` trees the static trace gives, and, with `--compare`, set against the static graph.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field

from navigator.queries import Symbol, edges_from, symbols_by_id, symbols_where
from navigator.trace.static import ObservedFunction, TraceNode, expand_tree
from tags.errors import NavError
from tags.lifetime import child_setup

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tags.store import Index

DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "driver.py")
LIVE_CODE = ObservedFunction("", 0, "<live code>")  # the traced code itself, the root of its tree


@dataclass(frozen=True, slots=True)
class ObservedCalls:
    """How often a caller called a callee in the run, and the line of the first call."""

    count: int
    line: int


@dataclass
class LiveTrace:
    """What a live run observed: calls per (caller, callee), and which index definition each function is."""

    edges: dict[ObservedFunction, dict[ObservedFunction, ObservedCalls]] = field(default_factory=dict)
    error: str | None = None
    symbols: dict[ObservedFunction, Symbol] = field(default_factory=dict)


def run_code(code: str | None, script: str | None, roots: list[str], timeout: float = 900) -> LiveTrace:
    """Run `code` (or `script`) in a fresh Python; its own output goes to stderr."""
    if script is not None and not os.path.isfile(script):
        raise NavError(f"no such script: {script}")
    with tempfile.TemporaryDirectory(prefix="nav-live-") as scratch:
        config, output = os.path.join(scratch, "config.json"), os.path.join(scratch, "trace.json")
        with open(config, "w") as handle:
            json.dump({"roots": roots, "code": code, "output": output,
                       "script": os.path.abspath(script) if script else None}, handle)
        launcher = f"import runpy; runpy.run_path({DRIVER!r}, run_name='__main__')"
        try:
            subprocess.run([sys.executable, "-c", launcher, config], stdout=sys.stderr, timeout=timeout,
                           env={**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")},
                           check=False, preexec_fn=child_setup())  # Ctrl-C: run() kills it; kill -9: the kernel
        except subprocess.TimeoutExpired as err:
            raise NavError(f"the traced code ran longer than {timeout:.0f} s; stopped") from err
        try:
            with open(output) as handle:
                data = json.load(handle)
        except (OSError, ValueError) as err:
            raise NavError("the traced process died before writing its trace (see its output above)") from err
    trace = LiveTrace(error=data["error"])
    for row in data["edges"]:
        caller, callee, (count, line) = ObservedFunction(*row[0:3]), ObservedFunction(*row[3:6]), row[6:8]
        trace.edges.setdefault(caller, {})[callee] = ObservedCalls(count, line)
    return trace


def match_definitions(index: Index, trace: LiveTrace) -> None:
    """Find each observed function in the index by its file and first line (decorators included)."""
    functions = {f for callees in trace.edges.values() for f in callees} | set(trace.edges)
    by_path: dict[str, list[ObservedFunction]] = {}
    for function in functions:
        if function.path:
            by_path.setdefault(function.path, []).append(function)
    for path, wanted in by_path.items():
        candidates = symbols_where(index, "f.path = ? AND d.kind NOT IN ('variable', 'module') ORDER BY d.id",
                                   (path,), 1_000_000)
        for function in wanted:
            found = next((s for s in candidates if function.first_line in (s.first_line, s.line)), None)
            if found is not None:
                trace.symbols[function] = found


def live_tree(trace: LiveTrace, root: ObservedFunction, depth: int) -> TraceNode:
    """The observed calls under `root` as a tree; counts are calls made, lines the first call's."""
    functions: dict[int, ObservedFunction] = {}

    def node(function: ObservedFunction, **extra) -> TraceNode:
        made = TraceNode(trace.symbols.get(function), observed=function, **extra)
        functions[id(made)] = function
        return made

    def children_of(parent: TraceNode) -> list[TraceNode]:
        caller = functions[id(parent)]
        links = sorted(trace.edges.get(caller, {}).items(), key=lambda item: item[1].line)
        return [node(callee, call_line=calls.line, call_path=caller.path or None, how="observed", count=calls.count)
                for callee, calls in links]

    return expand_tree(node(root), depth, children_of)


def compare(index: Index, trace: LiveTrace, tree: TraceNode) -> dict[str, list[dict]]:
    """Observed calls the static graph lacks, those it has (with the labels of its edges), and static
    calls of the observed functions not taken."""
    from tags.callgraph import ensure_graph

    ensure_graph(index)
    observed: set[tuple[int, int]] = set()
    lines: dict[tuple[int, int], int] = {}
    shown = {n.def_id for n in _nodes(tree) if n.def_id is not None and not n.repeated}
    for caller, callees in trace.edges.items():
        a = trace.symbols[caller].id if caller in trace.symbols else None
        for callee, calls in callees.items():
            if a in shown and callee in trace.symbols:
                b = trace.symbols[callee].id
                observed.add((a, b))
                lines[(a, b)] = calls.line
    static: dict[tuple[int, int], tuple[int, str]] = {}
    labels: dict[tuple[int, int], set[str]] = defaultdict(set)
    for a in shown:
        for edge in edges_from(index, a):
            static.setdefault((a, edge.callee_id), (edge.line, edge.how))
            labels[(a, edge.callee_id)].add(edge.how)
    ids = sorted({i for pair in observed | set(static) for i in pair})
    symbols = symbols_by_id(index, ids)
    names = {def_id: symbol.qualname for def_id, symbol in symbols.items()}

    def observed_row(a: int, b: int) -> dict:
        return {"caller": names[a], "callee": names[b], "call_line": lines[(a, b)], "caller_module": symbols[a].module,
                "callee_module": symbols[b].module, "caller_path": symbols[a].path}

    lacking = [observed_row(a, b) for a, b in sorted(observed - set(static), key=lambda p: (names[p[0]], lines[p]))]
    found = [{**observed_row(a, b), "how": sorted(labels[(a, b)])}  # every label: recall without by-name edges
             for a, b in sorted(observed & set(static), key=lambda p: (names[p[0]], lines[p]))]
    not_taken = [{"caller": names[a], "callee": names[b], "call_line": static[(a, b)][0], "how": static[(a, b)][1]}
                 for a, b in sorted(set(static) - observed, key=lambda p: (names[p[0]], static[p][0]))]
    return {"observed_not_static": lacking, "observed_in_static": found, "static_not_observed": not_taken}


def _nodes(tree: TraceNode) -> list[TraceNode]:
    found, todo = [], [tree]
    while todo:
        node = todo.pop()
        found.append(node)
        todo.extend(node.children)
    return found


def compare_text(result: dict[str, list[dict]]) -> str:
    lacking, not_taken = result["observed_not_static"], result["static_not_observed"]
    out = [f"observed calls the static graph lacks ({len(lacking)}):"]
    out += [f"  {e['caller']} -> {e['callee']}  line {e['call_line']}" for e in lacking] or ["  none"]
    out.append(f"static calls not taken in this run ({len(not_taken)}):")
    out += [f"  {e['caller']} -> {e['callee']}  line {e['call_line']}  [{e['how']}]" for e in not_taken] or ["  none"]
    return "\n".join(out) + "\n"
