"""The trace queries the CLI and the TUI share: callee trees, caller trees and call paths.

All three read the static call graph (`tags.callgraph`), bringing it up to date first, and
return plain dataclasses; rendering lives in `navigator.graph_render`.
"""
from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field

from navigator.output import candidate_line
from navigator.queries import resolve
from tags.callgraph import BY_NAME, ensure_graph
from tags.errors import NavError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

    from navigator.queries import Hit
    from tags.store import Index

# how an edge was found, best first; the points-to analysis labels its edges exact, or by the idiom
HOW_ORDER = {"exact": 0, "observed": 0, "inferred": 1, "forward": 1, "event": 1, "delegate": 1, "higher-order": 1, "by-name": 2}
MAX_SEARCH = 200_000  # partial paths explored before a path query gives up on finding more


@dataclass
class TraceNode:
    """One definition in a call tree.

    `call_line`/`call_path` locate the call site that links this node to its parent: in the
    parent's file for a callee tree, in this node's file for a caller tree. `count` is the
    number of such call sites (static) or of calls made (live).
    """

    qualname: str
    module: str
    kind: str
    path: str
    line: int
    call_line: int | None = None
    call_path: str | None = None
    how: str | None = None
    count: int = 1
    children: list["TraceNode"] = field(default_factory=list)
    repeated: bool = False  # shown in full elsewhere in the tree; not expanded again
    def_id: int | None = None

    def as_json(self) -> dict:
        return {
            "qualname": self.qualname, "module": self.module, "kind": self.kind, "path": self.path,
            "line": self.line, "call_line": self.call_line, "call_path": self.call_path, "how": self.how,
            "count": self.count, "repeated": self.repeated, "children": [c.as_json() for c in self.children],
        }


@dataclass
class PathStep:
    """One step of a call path; `call_line` is the call (in this step's file) leading to the next."""

    qualname: str
    module: str
    kind: str
    path: str
    line: int
    call_line: int | None = None
    how: str | None = None  # how the call reaching this step was resolved (None for the first)
    def_id: int | None = None

    def as_json(self) -> dict:
        return {"qualname": self.qualname, "module": self.module, "kind": self.kind, "path": self.path,
                "line": self.line, "call_line": self.call_line, "how": self.how}


def resolve_all(index: Index, symbol: str) -> list[Hit]:
    """Every definition `symbol` names equally well; a full dotted name (`to_import.func`) names only itself."""
    best, others = resolve(index, symbol)
    tied = [best, *(hit for hit in others if hit.tier == best.tier)]
    exact = [hit for hit in tied if hit.full_name == symbol]
    return exact if len(exact) == 1 else tied


def resolve_one(index: Index, symbol: str) -> Hit:
    """The one definition `symbol` names; several equally good ones are an error listing them."""
    best, *tied = resolve_all(index, symbol)
    if tied:
        listed = "\n".join(candidate_line(h) for h in [best, *tied][:15])
        more = f"\n  ... and {len(tied) - 14} more" if len(tied) > 14 else ""
        raise NavError(f"{symbol!r} is ambiguous; name one of these (Cls.meth or a dotted path):\n{listed}{more}",
                       exit_code=1)
    return best


class _DefInfo:
    """Looks definitions up by id, remembering them (trees revisit the same ones)."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.cache: dict[int, tuple] = {}

    def get(self, def_id: int) -> tuple:
        """(qualname, module, kind, path, line)"""
        if def_id not in self.cache:
            row = next(self.index.rows(
                "SELECT d.qualname, f.module, d.kind, f.path, d.line FROM defs d JOIN files f ON f.id = d.file_id "
                "WHERE d.id = ?", (def_id,)), None)
            self.cache[def_id] = row or ("?", "?", "?", "?", 0)
        return self.cache[def_id]

    def node(self, def_id: int, **extra) -> TraceNode:
        return TraceNode(*self.get(def_id), def_id=def_id, **extra)


def _links(index: Index, def_id: int, outward: bool) -> list[tuple[int, int, str, str, int]]:
    """(other def, first call line, call file, best how, call sites) per neighbour, by call line."""
    mine, other = ("caller_id", "callee_id") if outward else ("callee_id", "caller_id")
    rows = index.rows(
        f"SELECT e.{other}, e.line, f.path, e.how FROM edges e JOIN files f ON f.id = e.file_id "
        f"WHERE e.{mine} = ? ORDER BY e.line, e.col, e.rank", (def_id,))
    merged: dict[int, list] = {}
    for other_id, line, path, how in rows:
        link = merged.setdefault(other_id, [other_id, line, path, how, 0])
        link[4] += 1
        if HOW_ORDER[how] < HOW_ORDER[link[3]]:
            link[3] = how
    return sorted((tuple(link) for link in merged.values()), key=lambda link: (link[1], link[3]))


def expand_tree(root: TraceNode, depth: int, children_of: Callable[[TraceNode], list[TraceNode]]) -> TraceNode:
    """Grow `root` breadth first, `depth` levels; a definition already expanded is marked `repeated`."""
    if depth < 0:
        raise NavError("--depth must be 0 or more")
    expanded = {_node_key(root)}
    level = [root]
    for _ in range(depth):
        following = []
        for parent in level:
            for child in children_of(parent):
                child.repeated = _node_key(child) in expanded
                expanded.add(_node_key(child))
                parent.children.append(child)
                if not child.repeated:
                    following.append(child)
        level = following
    return root


def _node_key(node: TraceNode) -> object:
    return node.def_id if node.def_id is not None else (node.path, node.line, node.qualname)


def _outside_links(index: Index, def_id: int) -> list[TraceNode]:
    """Calls of builtins and of code outside the index (`<builtin>.len`, `torch.cat`), as leaves."""
    rows = index.rows("SELECT e.callee, min(e.line), f.path, count(*) FROM ext_edges e JOIN files f ON f.id = e.file_id "
                      "WHERE e.caller_id = ? GROUP BY e.callee ORDER BY min(e.line), e.callee", (def_id,))
    return [TraceNode(qualname=callee, module="", kind="builtin" if callee.startswith("<") else "external", path="",
                      line=0, call_line=line, call_path=path, how="exact", count=count)
            for callee, line, path, count in rows]


def _tree(index: Index, hit: Hit, depth: int, outward: bool, builtins: bool = False) -> TraceNode:
    ensure_graph(index)
    info = _DefInfo(index)

    def children_of(parent: TraceNode) -> list[TraceNode]:
        if parent.def_id is None:  # a builtin or outside callee: a leaf
            return []
        found = [info.node(other_id, call_line=line, call_path=path, how=how, count=count)
                 for other_id, line, path, how, count in _links(index, parent.def_id, outward)]
        if builtins and outward:
            found = sorted(found + _outside_links(index, parent.def_id), key=lambda n: n.call_line or 0)
        return found

    return expand_tree(info.node(hit.id), depth, children_of)


def callees(index: Index, hit: Hit, depth: int = 2, builtins: bool = False) -> TraceNode:
    """What `hit` calls, and what those call, `depth` levels deep (breadth first, each node once).

    Calls of builtins and outside code are left out unless `builtins`.
    """
    return _tree(index, hit, depth, outward=True, builtins=builtins)


def callers(index: Index, hit: Hit, depth: int = 2) -> TraceNode:
    """Who calls `hit`, and who calls those, `depth` levels up."""
    return _tree(index, hit, depth, outward=False)


def _toward(index: Index, target: int) -> tuple[dict[int, int], dict[int, dict[int, tuple[int, str]]]]:
    """Every definition that reaches `target`, with its distance in calls, and the edges among them.

    A breadth-first walk up the callers (indexed), so a path query reads only the relevant edges.
    """
    distance = {target: 0}
    graph: dict[int, dict[int, tuple[int, str]]] = defaultdict(dict)  # caller -> callee -> (line, how)
    level = [target]
    while level:
        following = []
        for start in range(0, len(level), 500):
            chunk = level[start:start + 500]
            rows = index.rows("SELECT caller_id, callee_id, line, how FROM edges "
                              f"WHERE callee_id IN ({','.join('?' * len(chunk))})", chunk)
            for caller, callee, line, how in rows:
                known = graph[caller].get(callee)
                if known is None or (HOW_ORDER[how], line) < (HOW_ORDER[known[1]], known[0]):
                    graph[caller][callee] = (line, how)
                if caller not in distance:
                    distance[caller] = distance[callee] + 1
                    following.append(caller)
        level = following
    return distance, graph


def call_paths(index: Index, source_hit: Hit, target_hit: Hit, max_paths: int = 5) -> list[list[PathStep]]:
    """Call paths from `source_hit` to `target_hit`, shortest first, then with fewer by-name calls.

    A best-first search guided by the exact distance to the target, over simple paths only.
    """
    if max_paths < 1:
        raise NavError("--max-paths must be at least 1")
    ensure_graph(index)
    distance, graph = _toward(index, target_hit.id)
    if source_hit.id not in distance:
        return []
    found: list[tuple[int, ...]] = []
    queue = [(distance[source_hit.id], 0, (source_hit.id,))]
    explored = 0
    while queue and len(found) < max_paths and explored < MAX_SEARCH:
        _, guesses, path = heapq.heappop(queue)
        explored += 1
        node = path[-1]
        if node == target_hit.id:
            found.append(path)
            continue
        for callee, (line, how) in graph.get(node, {}).items():
            if callee in distance and callee not in path:
                heapq.heappush(queue, (len(path) + distance[callee], guesses + (how == BY_NAME), path + (callee,)))
    return [_steps(index, graph, path) for path in found]


def call_paths_to_any(index: Index, source_hit: Hit, targets: list[Hit], max_paths: int = 5) -> list[list[PathStep]]:
    """Call paths to whichever of `targets` (an ambiguous `--to` name) they reach; shortest first overall.

    Each path ends at the target it reached, so the last step names it.
    """
    found = [path for target in targets for path in call_paths(index, source_hit, target, max_paths)]
    found.sort(key=lambda steps: (len(steps), sum(step.how == BY_NAME for step in steps)))
    return found[:max_paths]


def _steps(index: Index, graph: dict, path: tuple[int, ...]) -> list[PathStep]:
    info = _DefInfo(index)
    steps = []
    for position, def_id in enumerate(path):
        call_line = graph[def_id][path[position + 1]][0] if position + 1 < len(path) else None
        how = graph[path[position - 1]][def_id][1] if position else None
        steps.append(PathStep(*info.get(def_id), call_line=call_line, how=how, def_id=def_id))
    return steps
