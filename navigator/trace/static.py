"""The trace queries the CLI and the TUI share: callee trees, caller trees and call paths.

All three read the static call graph (`tags.callgraph`), bringing it up to date first, and
return plain dataclasses; rendering lives in `navigator.trace.render`.
"""
from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field

from navigator.output import candidate_line
from navigator.queries import (
    Symbol,
    edges_from,
    edges_into,
    edges_to,
    exact_hits,
    outside_calls_from,
    symbol_by_id,
)
from tags.callgraph import BY_NAME, ensure_graph
from tags.errors import NavError, quoted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

    from tags.store import Index

# how an edge was found, best first; the points-to analysis labels its edges exact, or by the idiom
HOW_ORDER = {"exact": 0, "observed": 0, "inferred": 1, "forward": 1, "event": 1, "delegate": 1, "higher-order": 1,
             "library": 1, "dataclass": 1, "torch-function": 1, "by-name": 2}
MAX_SEARCH = 200_000  # partial paths explored before a path query gives up on finding more


@dataclass(frozen=True, slots=True)
class ObservedFunction:
    """A function the live tracer saw run, by where its code starts; `("", 0, "<live code>")` is
    the traced code itself."""

    path: str
    first_line: int
    qualname: str


@dataclass
class TraceNode:
    """One definition in a call tree: the index's `Symbol`, or a live function the index lacks.

    `call_line`/`call_path` locate the call site that links this node to its parent: in the
    parent's file for a callee tree, in this node's file for a caller tree. `count` is the
    number of such call sites (static) or of calls made (live).
    """

    symbol: Symbol | None
    observed: ObservedFunction | None = None
    call_line: int | None = None
    call_path: str | None = None
    how: str | None = None
    count: int = 1
    children: list["TraceNode"] = field(default_factory=list)
    repeated: bool = False  # shown in full elsewhere in the tree; not expanded again

    @property
    def def_id(self) -> int | None:
        return self.symbol.id if self.symbol else None

    @property
    def qualname(self) -> str:
        return self.symbol.qualname if self.symbol else self.observed.qualname.replace(".<locals>", "")

    @property
    def module(self) -> str:
        return self.symbol.module if self.symbol else ""

    @property
    def kind(self) -> str:
        return self.symbol.kind if self.symbol else "function"

    @property
    def path(self) -> str:
        return self.symbol.path if self.symbol else self.observed.path

    @property
    def line(self) -> int:
        return self.symbol.line if self.symbol else self.observed.first_line

    def as_json(self) -> dict:
        return {
            "qualname": self.qualname, "module": self.module, "kind": self.kind, "path": self.path,
            "line": self.line, "call_line": self.call_line, "call_path": self.call_path, "how": self.how,
            "count": self.count, "repeated": self.repeated, "children": [c.as_json() for c in self.children],
        }


@dataclass
class PathStep:
    """One step of a call path; `call_line` is the call (in this step's file) leading to the next."""

    symbol: Symbol
    call_line: int | None = None
    how: str | None = None  # how the call reaching this step was resolved (None for the first)

    qualname = property(lambda self: self.symbol.qualname)
    module = property(lambda self: self.symbol.module)
    kind = property(lambda self: self.symbol.kind)
    path = property(lambda self: self.symbol.path)
    line = property(lambda self: self.symbol.line)
    def_id = property(lambda self: self.symbol.id)

    def as_json(self) -> dict:
        return {"qualname": self.qualname, "module": self.module, "kind": self.kind, "path": self.path,
                "line": self.line, "call_line": self.call_line, "how": self.how}


def resolve_all(index: Index, symbol: str) -> list[Symbol]:
    """Every definition `symbol` names equally well; a full dotted name (`to_import.func`) names only itself."""
    best, *others = exact_hits(index, symbol)
    tied = [best.symbol, *(hit.symbol for hit in others if hit.tier == best.tier)]
    exact = [found for found in tied if found.full_name == symbol]
    return exact if len(exact) == 1 else tied


def resolve_one(index: Index, symbol: str) -> Symbol:
    """The one definition `symbol` names; several equally good ones are an error listing them."""
    best, *tied = resolve_all(index, symbol)
    if tied:
        listed = "\n".join(candidate_line(s) for s in [best, *tied][:15])
        more = f"\n  ... and {len(tied) - 14} more" if len(tied) > 14 else ""
        raise NavError(f"{quoted(symbol)} is ambiguous; name one of these (Cls.meth, a dotted path, or PATH:LINE as "
                       f"listed):\n{listed}{more}",
                       exit_code=1)
    return best


class _Symbols:
    """Looks definitions up by id, remembering them (trees revisit the same ones)."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.cache: dict[int, Symbol] = {}

    def get(self, def_id: int) -> Symbol:
        if def_id not in self.cache:
            found = symbol_by_id(self.index, def_id)
            if found is None:
                raise NavError(f"the call graph names definition {def_id}, which the index lacks; "
                               "run nav index to rebuild")
            self.cache[def_id] = found
        return self.cache[def_id]


@dataclass(frozen=True, slots=True)
class _Link:
    """A neighbour in the graph: the first call site linking to it, the best resolution, and how many sites."""

    other_id: int
    line: int
    path: str
    how: str
    count: int


def _links(index: Index, def_id: int, outward: bool) -> list[_Link]:
    """One link per neighbour, by call line."""
    merged: dict[int, _Link] = {}
    for edge in (edges_from if outward else edges_to)(index, def_id):
        other = edge.callee_id if outward else edge.caller_id
        known = merged.get(other)
        if known is None:
            merged[other] = _Link(other, edge.line, edge.path, edge.how, 1)
        else:
            how = edge.how if HOW_ORDER[edge.how] < HOW_ORDER[known.how] else known.how
            merged[other] = _Link(other, known.line, known.path, how, known.count + 1)
    return sorted(merged.values(), key=lambda link: (link.line, link.how))


def expand_tree(root: TraceNode, depth: int, children_of: Callable[[TraceNode], list[TraceNode]]) -> TraceNode:
    """Grow `root` breadth first, `depth` levels; a definition already expanded is marked `repeated`."""
    if depth < 0:
        raise ValueError(f"a tree depth must be 0 or more, not {depth}")
    expanded = {_node_key(root)}
    level = [root]
    for _ in range(depth):
        if not level:  # all grown: `--depth 99999999999999999999` ran an empty loop for ever
            break
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


def _outside_nodes(index: Index, def_id: int) -> list[TraceNode]:
    """Calls of builtins and of code outside the index (`<builtin>.len`, `torch.cat`), as leaves."""
    return [TraceNode(None, ObservedFunction("", 0, call.callee), call_line=call.line, call_path=call.path,
                      how="exact", count=call.count)
            for call in outside_calls_from(index, def_id)]


def _tree(index: Index, symbol: Symbol, depth: int, outward: bool, builtins: bool = False) -> TraceNode:
    ensure_graph(index)
    symbols = _Symbols(index)

    def children_of(parent: TraceNode) -> list[TraceNode]:
        if parent.def_id is None:  # a builtin or outside callee: a leaf
            return []
        found = [TraceNode(symbols.get(link.other_id), call_line=link.line, call_path=link.path, how=link.how,
                           count=link.count)
                 for link in _links(index, parent.def_id, outward)]
        if builtins and outward:
            found = sorted(found + _outside_nodes(index, parent.def_id), key=lambda node: node.call_line or 0)
        return found

    return expand_tree(TraceNode(symbol), depth, children_of)


def callees(index: Index, symbol: Symbol, depth: int = 2, builtins: bool = False) -> TraceNode:
    """What `symbol` calls, and what those call, `depth` levels deep (breadth first, each node once).

    Calls of builtins and outside code are left out unless `builtins`.
    """
    return _tree(index, symbol, depth, outward=True, builtins=builtins)


def callers(index: Index, symbol: Symbol, depth: int = 2) -> TraceNode:
    """Who calls `symbol`, and who calls those, `depth` levels up."""
    return _tree(index, symbol, depth, outward=False)


def _toward(index: Index, target: int) -> tuple[dict[int, int], dict[int, dict[int, tuple[int, str]]]]:
    """Every definition that reaches `target`, with its distance in calls, and the edges among them.

    A breadth-first walk up the callers (indexed), so a path query reads only the relevant edges.
    """
    distance = {target: 0}
    graph: dict[int, dict[int, tuple[int, str]]] = defaultdict(dict)  # caller -> callee -> (line, how)
    level = [target]
    while level:
        following = []
        for edge in edges_into(index, level):
            caller, callee = edge.caller_id, edge.callee_id
            known = graph[caller].get(callee)
            if known is None or (HOW_ORDER[edge.how], edge.line) < (HOW_ORDER[known[1]], known[0]):
                graph[caller][callee] = (edge.line, edge.how)
            if caller not in distance:
                distance[caller] = distance[callee] + 1
                following.append(caller)
        level = following
    return distance, graph


def call_paths(index: Index, source: Symbol, target: Symbol, max_paths: int = 5) -> list[list[PathStep]]:
    """Call paths from `source` to `target`, shortest first, then with fewer by-name calls.

    A best-first search guided by the exact distance to the target, over simple paths only.
    """
    if max_paths < 1:
        raise ValueError(f"max_paths must be at least 1, not {max_paths}")
    ensure_graph(index)
    distance, graph = _toward(index, target.id)
    if source.id not in distance:
        return []
    found: list[tuple[int, ...]] = []
    queue = [(distance[source.id], 0, (source.id,))]
    explored = 0
    while queue and len(found) < max_paths and explored < MAX_SEARCH:
        _, guesses, path = heapq.heappop(queue)
        explored += 1
        node = path[-1]
        if node == target.id:
            found.append(path)
            continue
        for callee, (line, how) in graph.get(node, {}).items():
            if callee in distance and callee not in path:
                heapq.heappush(queue, (len(path) + distance[callee], guesses + (how == BY_NAME), path + (callee,)))
    return [_steps(index, graph, path) for path in found]


def call_paths_to_any(index: Index, source: Symbol, targets: list[Symbol], max_paths: int = 5) -> list[list[PathStep]]:
    """Call paths to whichever of `targets` (an ambiguous `--to` name) they reach; shortest first overall.

    Each path ends at the target it reached, so the last step names it.
    """
    found = [path for target in targets for path in call_paths(index, source, target, max_paths)]
    found.sort(key=lambda steps: (len(steps), sum(step.how == BY_NAME for step in steps)))
    return found[:max_paths]


def _steps(index: Index, graph: dict, path: tuple[int, ...]) -> list[PathStep]:
    symbols = _Symbols(index)
    steps = []
    for position, def_id in enumerate(path):
        call_line = graph[def_id][path[position + 1]][0] if position + 1 < len(path) else None
        how = graph[path[position - 1]][def_id][1] if position else None
        steps.append(PathStep(symbols.get(def_id), call_line=call_line, how=how))
    return steps
