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
from dataclasses import dataclass, field

from navigator.trace.static import TraceNode, expand_tree
from tags.errors import NavError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tags.store import Index

DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "driver.py")
Key = tuple  # (path, first line, qualname) of an observed function; ("", 0, "<live code>") is the code itself


@dataclass
class LiveTrace:
    """What a live run observed: calls per (caller, callee) with counts and first call lines."""

    edges: dict[Key, dict[Key, tuple[int, int]]] = field(default_factory=dict)  # caller -> callee -> (count, line)
    error: str | None = None
    def_ids: dict[Key, int] = field(default_factory=dict)  # observed function -> index definition
    names: dict[Key, tuple[str, str, str, int]] = field(default_factory=dict)  # -> (qualname, module, kind, line)


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
                           env={**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")})
        except subprocess.TimeoutExpired as err:
            raise NavError(f"the traced code ran longer than {timeout:.0f} s; stopped") from err
        try:
            with open(output) as handle:
                data = json.load(handle)
        except (OSError, ValueError) as err:
            raise NavError("the traced process died before writing its trace (see its output above)") from err
    trace = LiveTrace(error=data["error"])
    for row in data["edges"]:
        caller, callee, (count, line) = tuple(row[0:3]), tuple(row[3:6]), row[6:8]
        trace.edges.setdefault(caller, {})[callee] = (count, line)
    return trace


def match_definitions(index: Index, trace: LiveTrace) -> None:
    """Find each observed function in the index by its file and first line (decorators included)."""
    keys = {key for callees in trace.edges.values() for key in callees} | set(trace.edges)
    by_path: dict[str, list[Key]] = {}
    for key in keys:
        if key[0]:
            by_path.setdefault(key[0], []).append(key)
    for path, wanted in by_path.items():
        rows = list(index.rows(
            "SELECT d.id, d.first_line, d.line, d.qualname, f.module, d.kind FROM defs d JOIN files f ON f.id = d.file_id "
            "WHERE f.path = ? AND d.kind NOT IN ('variable', 'module')", (path,)))
        for key in wanted:
            for def_id, first_line, line, qualname, module, kind in rows:
                if key[1] in (first_line, line):
                    trace.def_ids[key] = def_id
                    trace.names[key] = (qualname, module, kind, line)
                    break


def live_tree(trace: LiveTrace, root: Key, depth: int) -> TraceNode:
    """The observed calls under `root` as a tree; counts are calls made, lines the first call's."""

    def node(key: Key, **extra) -> TraceNode:
        qualname, module, kind, line = trace.names.get(key, (key[2].replace(".<locals>", ""), "", "function", key[1]))
        return TraceNode(qualname, module, kind, key[0], line, def_id=trace.def_ids.get(key), **extra)

    keys: dict[int, Key] = {}

    def children_of(parent: TraceNode) -> list[TraceNode]:
        links = sorted(trace.edges.get(keys[id(parent)], {}).items(), key=lambda item: item[1][1])
        children = []
        for callee, (count, line) in links:
            child = node(callee, call_line=line, call_path=keys[id(parent)][0] or None, how="observed", count=count)
            keys[id(child)] = callee
            children.append(child)
        return children

    top = node(root)
    keys[id(top)] = root
    return expand_tree(top, depth, children_of)


def compare(index: Index, trace: LiveTrace, tree: TraceNode) -> dict[str, list[dict]]:
    """Observed calls the static graph lacks, and static calls of the observed functions not taken."""
    from tags.callgraph import ensure_graph

    ensure_graph(index)
    observed: set[tuple[int, int]] = set()
    lines: dict[tuple[int, int], int] = {}
    shown = {n.def_id for n in _nodes(tree) if n.def_id is not None and not n.repeated}
    for caller, callees in trace.edges.items():
        a = trace.def_ids.get(caller)
        for callee, (count, line) in callees.items():
            b = trace.def_ids.get(callee)
            if a in shown and b is not None:
                observed.add((a, b))
                lines[(a, b)] = line
    static: dict[tuple[int, int], tuple[int, str]] = {}
    for a in shown:
        for b, line, how in index.rows("SELECT callee_id, line, how FROM edges WHERE caller_id = ?", (a,)):
            static.setdefault((a, b), (line, how))
    names = _qualnames(index, {i for pair in observed | set(static) for i in pair})
    lacking = [{"caller": names[a], "callee": names[b], "call_line": lines[(a, b)]}
               for a, b in sorted(observed - set(static), key=lambda p: (names[p[0]], lines[p]))]
    not_taken = [{"caller": names[a], "callee": names[b], "call_line": static[(a, b)][0], "how": static[(a, b)][1]}
                 for a, b in sorted(set(static) - observed, key=lambda p: (names[p[0]], static[p][0]))]
    return {"observed_not_static": lacking, "static_not_observed": not_taken}


def _nodes(tree: TraceNode) -> list[TraceNode]:
    found, todo = [], [tree]
    while todo:
        node = todo.pop()
        found.append(node)
        todo.extend(node.children)
    return found


def _qualnames(index: Index, ids: set[int]) -> dict[int, str]:
    names = {}
    for def_id in ids:
        row = next(index.rows("SELECT qualname FROM defs WHERE id = ?", (def_id,)), ("?",))
        names[def_id] = row[0]
    return names


def compare_text(result: dict[str, list[dict]]) -> str:
    lacking, not_taken = result["observed_not_static"], result["static_not_observed"]
    out = [f"observed calls the static graph lacks ({len(lacking)}):"]
    out += [f"  {e['caller']} -> {e['callee']}  line {e['call_line']}" for e in lacking] or ["  none"]
    out.append(f"static calls not taken in this run ({len(not_taken)}):")
    out += [f"  {e['caller']} -> {e['callee']}  line {e['call_line']}  [{e['how']}]" for e in not_taken] or ["  none"]
    return "\n".join(out) + "\n"
