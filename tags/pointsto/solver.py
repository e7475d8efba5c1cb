"""The solver: flow-insensitive, context-insensitive points-to sets, iterated to a bounded fixpoint.

Every scope's body is evaluated once per pass; each pass can only grow the points-to sets
(`pts`, keyed by `scope.name`, `Class.attr`, `func.<return>`, `<k>site` for container
contents). Passes repeat until nothing grows or `MAX_PASSES` is reached, so recursion,
import cycles and star-import cycles end. A set holds at most `MAX_VALUES` values.

Values are tuples `(kind, name, extra)`:
  f function or lambda, c class, i instance of class `name` (for a lower layer's collection, `L`,
  `extra` is the site that made it, its items kept under `<k>site`), m module, b builtin,
  e external (outside the analysed code) dotted name, bm method bound to an instance of
  class `extra`, s `super()` seen from class `name` for receiver class `extra`,
  k container made at site `name`, kb container method `extra` of container `name`,
  ev / dg a method bound like bm, found through a callback event / GetAttr delegation,
  lk method `extra` (`class|name`) of the collection made at site `name`.
"""
from __future__ import annotations

import ast
import builtins
import gc
import os
import pickle
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from tags.errors import UNPARSABLE
from tags.mro import c3_merge
from tags.pointsto import resume
from tags.pointsto.gcpause import paused_gc
from tags.pointsto.layercache import LayerCache, LayerState
from tags.pointsto.library import LibraryUses, Use, is_super_call
from tags.pointsto.parallel import Handoff, can_fork, in_child
from tags.pointsto.program import (
    CLASS,
    FUNCTION,
    LAMBDA,
    MAX_AST_DEPTH,
    MODULE,
    LayerFacts,
    ModuleSummary,
    Program,
    Scope,
)
from tags.sources import read_source_text

T = TypeVar("T")
MAX_PASSES = 30
# Libraries solved before, and apart from, the code built on them. Their helpers take any value
# (`L(...)`, `listify`, `delegates`, `compose`), so solved together with fastai a context-insensitive
# analysis merges every value passed through them and links unrelated code (`add_tfms` ->
# `L.__iter__` -> `vision_learner`). Above, their names are outside names that still map to their
# definitions (see tags/pointsto/indexed.py). Lowest first.
LIBRARY_LAYERS: tuple[tuple[str, ...], ...] = (("fastcore",), ("fasttransform",))
# Packages solved apart from the code that uses them, in a second process when there is a second
# core (see `analyse`): timm is two thirds of the four roots' solve, and what fastai hands it (a
# model name and keywords to `timm.create_model`) says nothing about timm's own calls. The code
# above sees them as outside names that still map to their definitions, as it sees a library
# layer, without the layer's summaries: what `create_model` returns (any of hundreds of models,
# capped at MAX_VALUES) is not followed into fastai.
SOLVED_APART: tuple[str, ...] = ("timm",)
# The layers within a package solved apart, as LIBRARY_LAYERS are for the whole program: timm's
# building blocks (`timm.layers`: norms, activations, attention, pooling) are solved before the
# models built of them, which see them through their summaries, returned tuples included. Solved
# together, the models' values flowed down into every block and back up to every model
# (`MobileOneBlock.forward` linked to `NormFreeBlock.forward`): timm had 35% more edges, most of
# them such blurs, and its solve took 38% longer (7.9 s against 5.7 s); the live recall is the same.
APART_LAYERS: dict[str, tuple[tuple[str, ...], ...]] = {"timm": (("timm.layers",),)}
# Subpackages of a package solved apart that make a part of their own (named by the key), so that
# the two cores get about the same work (see `_deal`): timm's training tools (data pipelines,
# losses, optimizers, schedulers, utils) reach the models by name only (`create_model`), and the
# models take nothing of them but constants (`IMAGENET_DEFAULT_MEAN`). Solved with the models, timm
# was 5.7 s on one core while fastai's 2.9 s on the other; apart, 4.9 s and 0.7 s.
APART_GROUPS: dict[str, tuple[str, ...]] = {
    "timm.training": ("timm.data", "timm.loss", "timm.optim", "timm.scheduler", "timm.task", "timm.utils")}
MAX_VALUES = 64
# the solver's attributes that make its solution, kept with a solved part (tags/pointsto/resume.py);
# the others are caches and the state of one run
KEPT = ("pts", "members", "bases", "keys", "edges", "lazy", "readers", "_star_copied", "metaclasses", "_index_getters",
        "scope_runs")
_CALLED = "library.called_parameters"  # kept beside KEPT: what LibraryUses.called_parameters found
MAX_EXTERNAL_DOTS = 4  # an outside name longer than `a.b.c.d.e` is no longer followed
BUILTIN_NAMES = frozenset(dir(builtins))
_PY_TYPES = {ast.JoinedStr: "<**PyStr**>", str: "<**PyStr**>", bytes: "<**PyBytes**>",
             ast.Dict: "<**PyDict**>", ast.List: "<**PyList**>", ast.Set: "<**PySet**>", ast.Tuple: "<**PyTuple**>"}
_PARTIAL = ("e", "functools.partial", "")
# What calling an outside name gives is that name, as PyCG names it (`torch.zeros(3).view` is
# `torch.zeros.view`). A name of a package solved apart is marked as a result too: called in turn
# (`self.model(x)` on what `timm.create_model(...)` made) it is no call of the function, which
# the name maps to (edge kind `external-result`, kept as an outside call only).
CALL_RESULT = "()"
_NUMPY_SEQUENCE = {"numpy.array", "numpy.asarray"}  # read an object with no `__array__` as a sequence
_BOUND_HOW = {"ev": "event", "dg": "delegate"}  # bound methods found through an idiom, and its label
_PATCH = {"patch", "patch_to", "patch_property"}
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_COMPOUND = (*_LOOPS, ast.If, ast.Try, ast.With, ast.AsyncWith, ast.Match) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
_SIMPLE_STATEMENTS = frozenset({ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Raise, ast.Import,
                                ast.ImportFrom, ast.Assert, ast.Pass, ast.Delete, ast.Global, ast.Nonlocal, ast.Break,
                                ast.Continue, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})
_ADDERS = {"append", "add", "insert", "extend", "update", "setdefault", "appendleft"}
_CALLS_KEY = {"sorted", "min", "max"}  # builtins that call their `key=`
# builtins that iterate some of their arguments (`zip(a, b)`: both; `map(f, xs)`: from the second)
_ITERATES_FROM = {"zip": 0, "enumerate": 0, "map": 1, "filter": 1, "sum": 0, "any": 0, "all": 0, "min": 0,
                  "max": 0}
# outside functions that call `iter()` on some arguments when called (lazy iterators still take theirs
# at once): the first argument they iterate, or -1 for every one
_ITERATES_AT_CALL = {"itertools.chain.from_iterable": 0, "itertools.islice": 0, "itertools.starmap": 1,
                     "itertools.accumulate": 0, "itertools.compress": 0, "itertools.dropwhile": 1,
                     "itertools.takewhile": 1, "itertools.filterfalse": 1, "itertools.groupby": 0, "itertools.cycle": 0,
                     "itertools.tee": 0, "itertools.pairwise": 0, "itertools.batched": 0, "itertools.combinations": 0,
                     "itertools.permutations": 0, "itertools.product": -1, "itertools.zip_longest": -1}
_PROTOCOL_BUILTINS = {"len": "__len__", "repr": "__repr__", "str": "__str__", "bool": "__bool__", "hash": "__hash__",
                      "abs": "__abs__"}  # `len(x)` runs `type(x).__len__`
_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv", ast.FloorDiv: "floordiv",
           ast.Mod: "mod", ast.Pow: "pow", ast.MatMult: "matmul", ast.BitAnd: "and", ast.BitOr: "or", ast.BitXor: "xor",
           ast.LShift: "lshift", ast.RShift: "rshift"}
_STORE_ATTR_HELPER = "fastcore.basics._store_attr"  # `store_attr()` stores through it
_FUNCS_KWARGS_INIT = "fastcore.meta._funcs_kwargs._init"  # a `@funcs_kwargs` class's `__init__` wrapper
_UNARY = {ast.Invert: "__invert__", ast.USub: "__neg__", ast.UAdd: "__pos__"}
_GETTERS = {"pop", "get", "popitem", "values", "copy", "items", "popleft"}
# torch's dispatch: an op on an instance of a `Tensor` subclass with an analysed `__torch_function__`
# (fastai's TensorBase) runs it, and the result keeps the subclass, except for these (no tensor back)
_TORCH = "torch."
_NOT_TENSORS = {"item", "tolist", "numel", "nelement", "dim", "ndimension", "size", "stride", "data_ptr",
                "element_size", "is_contiguous", "is_floating_point", "get_device", "storage_offset", "numpy",
                "backward", "equal", "shape", "dtype", "device", "ndim", "requires_grad", "is_cuda", "grad_fn"}
_COMPARISONS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
# fastcore's collections (`L`): solved in a lower layer, so their items are followed above per `L(...)`
# site (the instance's extra); the methods that keep the items, and those that add to them
_COLLECTIONS = {"fastcore.foundation.CollBase"}
_KEEP_ITEMS = {"sorted", "filter", "unique", "shuffle", "copy", "_new", "reversed"}
_ADD_ITEMS = {"append": False, "add": False, "insert": False, "extend": True}
Value = tuple  # (kind, name, extra)
_EMPTY: frozenset = frozenset()


class NotResumable(Exception):
    """A resumed solve reached a cap of the solver: what the cap kept depended on the order values
    arrived in, so only a solve from scratch gives what a cold solve gives (see `Solver.solve_from`)."""


class PassesUsedUp(NotResumable):
    """A resumed solve reached a scope that has run MAX_PASSES times."""


class ValuesCapped(NotResumable):
    """A resumed solve added to a set that holds MAX_VALUES values, or took one past them."""


@dataclass(frozen=True, slots=True)
class Edge:
    """One call site resolved: `caller` scope calls `callee` at `line`:`col`, found `how` (slots: torch has a million)."""

    caller: str
    callee: str
    line: int
    col: int
    how: str = "points-to"
    kind: str = "function"  # function | class | init | builtin | external
    body: str = ""  # the class whose body makes the call (`caller` is then the scope around it, as PyCG counts)

    def fields(self) -> tuple[str, str, int, int, str, str, str]:
        """The edge as plain data, to pickle out of a child process (`Edge(*fields)` makes it again)."""
        return self.caller, self.callee, self.line, self.col, self.how, self.kind, self.body


@dataclass(slots=True)
class _Lookup:
    """A remembered `Solver.lookup`, valid until one of the keys it read is notified as changed: those
    keys in the order the walk read them (`<bases>` of each class on the MRO, then `Class.attr` up to
    the first class that has it), the runners already noted as their readers, and the answer: the
    owner and the key holding its values (read live), or an outside owner's value."""

    keys: list[str]
    owner: str
    found: str
    outside: Value | None
    noted: set[str]


@dataclass
class CallGraph:
    """The solved graph: call-site edges, and the scopes analysed (callers with no calls too)."""

    edges: set[Edge] = field(default_factory=set)
    scopes: dict[str, str] = field(default_factory=dict)  # scope name -> its kind (module, class, function, lambda)
    passes: int = 0
    unparsed: dict[str, str] = field(default_factory=dict)  # module -> why Python's own parser refused it
    # the scopes whose calls differ from those of the part's newest kept solution, whose edges the index
    # holds (tags/pointsto/resume.py), every other one's edges as they were: after a resumed solve, or
    # one from scratch after an edit; None when any scope's may differ (nothing kept to compare with)
    grown: set[str] | None = None
    # part -> the stamp of the kept solution these are the edges of ("" when none could be kept), for
    # the index to hold with them (see `resume.resumed`)
    kept: dict[str, str] = field(default_factory=dict)

    def merge(self, other: CallGraph) -> None:
        """Take in the graph of code solved apart (a layer below, a package solved on its own)."""
        self.edges |= other.edges
        self.scopes.update(other.scopes)
        self.passes = max(self.passes, other.passes)
        self.unparsed.update(other.unparsed)
        self.grown = None if self.grown is None or other.grown is None else self.grown | other.grown
        self.kept.update(other.kept)

    def as_pycg(self) -> dict[str, list[str]]:
        """PyCG's `callgraph.json`: caller -> sorted callees (calling a class reaches its `__init__`)."""
        graph: dict[str, set[str]] = {name: set() for name, kind in self.scopes.items() if kind != CLASS}
        for edge in self.edges:
            if edge.kind == "class":
                continue
            graph.setdefault(edge.caller, set()).add(edge.callee)
            graph.setdefault(edge.callee, set())
        return {caller: sorted(callees) for caller, callees in sorted(graph.items())}


class Solver:
    """Evaluates every scope of a `Program` until the points-to sets stop growing."""

    def __init__(self, program: Program, seed: bool = True) -> None:
        self.program = program
        self._resolving_missing: set[tuple[str, str]] = set()  # (class, attr) being looked up: no re-entry
        self._index_getters: set[str] = set()  # functions `add_props` made properties of
        self.pts: dict[str, set[Value]] = defaultdict(set)
        self.members: dict[str, set[str]] = defaultdict(set)  # scope -> names written in it
        self.bases: dict[str, list[Value]] = {}
        self.keys: dict[str, set[str]] = defaultdict(set)  # container site -> its constant keys
        self.edges: set[tuple] = set()  # Edge fields as tuples while solving (cheaper)
        self._mro: dict[str, list[str]] = {}
        self._mro_users: dict[str, set[str]] = defaultdict(set)  # class -> the cached MROs that list it
        self._mro_noted: dict[str, tuple[list[str], set[str]]] = {}  # class -> (its cached MRO, runners noted)
        self._lookups: dict[tuple[str, str, int], _Lookup] = {}  # (class, attr, skip) -> a remembered lookup
        self._lookup_users: dict[str, set[tuple[str, str, int]]] = defaultdict(set)  # key read -> lookups to forget
        self._subclasses: dict[str, list[str]] | None = None
        self.scope: Scope = next(iter(program.modules.values()), None)  # the scope being evaluated
        self.flow: dict[str, set[Value]] = {}  # key -> values of its last straight-line write in this scope
        self.lazy: dict[str, set[tuple]] = defaultdict(set)  # generator expression site -> the calls iterating it runs
        self.loop_keys: dict[str, list[str]] = {}  # loop name -> the literal keys it runs over (see _string_loop)
        self.straight = True  # evaluating straight-line code of the scope (no loop, branch or handler around)
        self.runner = ""  # the scope whose run is in progress (class bodies run inside their parent's)
        self.readers: dict[str, set[str]] = defaultdict(set)  # key -> scopes that read it
        # (importing module, source, runner) -> how many values each name had when a star import copied it
        self._star_copied: dict[tuple[str, str, str], dict[str, int]] = {}
        self.queue: deque[str] = deque()
        self.queued: set[str] = set()
        self.scope_runs: dict[str, int] = defaultdict(int)  # scope -> how many times it ran
        self.resuming = False  # a kept solution resumed (see `solve_from`): a cap reached raises NotResumable
        self.metaclasses: dict[str, set[Value]] = {}  # class -> its `metaclass=` classes
        self.library = LibraryUses(program.facts)  # what the layers below do with what they are given
        self._in_library: set[str] = set()  # lower functions whose uses are being applied: no re-entry
        if seed:
            self._seed(program.facts)

    def kept_state(self) -> dict[str, object]:
        """What makes the solution (KEPT), to be restored by `restored` (see tags/pointsto/resume.py)."""
        return {**{name: getattr(self, name) for name in KEPT}, _CALLED: self.library.remembered()}

    @classmethod
    def restored(cls, program: Program, kept: dict[str, object]) -> Solver:
        """A solver with a kept solution (`kept_state`), ready to `solve_from` the edit."""
        solver = cls(program, seed=False)
        state = dict(kept)
        solver.library.remember(state.pop(_CALLED, {}))  # of old scopes only, whose code is as it was
        solver.__dict__.update(state)
        return solver

    def _seed(self, facts: LayerFacts) -> None:
        """Start from what the layers below know of their classes and functions (see LayerFacts)."""
        for key, values in facts.pts.items():
            self.pts[key] = set(values)
        self.bases.update(facts.bases)
        for klass, names in facts.members.items():
            self.members[klass] = set(names)
        self.metaclasses.update(facts.metaclasses)
        for klass, default in facts.delegates.items():
            self.program.delegates.setdefault(klass, default)

    def scope_named(self, name: str) -> Scope | None:
        """The scope of a function analysed here or in a layer below (its facts only: never run here)."""
        return self.program.scopes.get(name) or self.program.facts.scopes.get(name)

    # -- the fixpoint ----------------------------------------------------------------------
    def solve(self) -> CallGraph:
        """A worklist: a scope runs again only when something it read has grown."""
        return self.solve_from([name for name, scope in self.program.scopes.items()
                                if scope.kind != CLASS])  # class bodies run where the class statement stands

    def solve_from(self, names: list[str], resuming: bool = False) -> CallGraph:
        """The worklist started with the scopes `names`, on the points-to sets as they are: all of a
        program's scopes for a solve, the scopes an edit added or changed when a solved state is
        resumed (see tags/pointsto/resume.py). A scope runs at most MAX_PASSES times in all, a set
        holds at most MAX_VALUES values; when `resuming` reaches either cap (a scope that has used
        its passes up, a value for a full set), `NotResumable` is raised: what the cap kept depended
        on the order values arrived in, so only a solve from scratch gives the graph a cold solve gives."""
        for name in names:
            self.schedule(name)
        self.resuming = resuming
        runs = self.scope_runs
        total = 0
        while self.queue:
            name = self.queue.popleft()
            self.queued.discard(name)
            if runs[name] >= MAX_PASSES:
                if resuming:
                    raise PassesUsedUp(name)
                continue
            runs[name] += 1
            total += 1
            self.runner = name
            self.run_scope(self.program.scopes[name])
        self.runs = total
        return CallGraph({Edge(*e) for e in self.edges}, {n: s.kind for n, s in self.program.scopes.items()},
                         max(runs.values(), default=0))

    def schedule(self, name: str) -> None:
        if name not in self.queued:
            self.queued.add(name)
            self.queue.append(name)

    def read(self, key: str, default: object = None) -> set[Value]:
        """The points-to set of `key`, noting that the running scope depends on it."""
        self.readers[key].add(self.runner)
        return self.pts.get(key) or _EMPTY

    def notify(self, key: str) -> None:
        for stale in self._lookup_users.pop(key, ()):
            self._lookups.pop(stale, None)
        for reader in self.readers.get(key, ()):
            self.schedule(reader)

    def add_member(self, scope: str, name: str) -> None:
        members = self.members[scope]
        if name not in members:
            members.add(name)
            self.notify("<members>" + scope)

    def set_bases(self, klass: str, bases: list[Value]) -> None:
        if self.bases.get(klass) != bases:
            self.bases[klass] = bases
            self._forget_mro(klass)
            self._subclasses = None
            self.notify("<bases>" + klass)

    def _forget_mro(self, klass: str) -> None:
        """Drop the cached MROs that go through `klass` (only they read its bases); the others stay."""
        self._mro.pop(klass, None)
        for user in self._mro_users.pop(klass, ()):
            self._mro.pop(user, None)

    def run_scope(self, scope: Scope) -> None:
        self.scope = scope
        if scope.kind == LAMBDA:
            self.add(f"{scope.name}.<return>", self.eval(scope.node.body))
            return
        if scope.is_method and scope.params and not scope.static:  # `self` can be the defining class
            kind = "c" if scope.classmethod else "i"
            self.add(f"{scope.name}.{scope.params[0]}", {(kind, owner, "") for owner in scope.owners})
        if scope.kind == FUNCTION:
            self._annotated_parameters(scope)
        outer_flow, outer_straight = self.flow, self.straight
        self.flow, self.straight = {}, True
        for statement in scope.node.body:
            self.stmt(statement, 0)
        self.flow, self.straight = outer_flow, outer_straight

    def _annotated_parameters(self, scope: Scope) -> None:
        """`def f(dls: DataLoaders)`: the parameter holds an instance of the annotated class (if analysed)."""
        args = scope.node.args
        for argument in args.posonlyargs + args.args + args.kwonlyargs:
            if isinstance(argument.annotation, (ast.Name, ast.Attribute)):
                classes = {("i", v[1], "") for v in self.eval(argument.annotation) if v[0] == "c"}
                self.add(f"{scope.name}.{argument.arg}", classes)

    # -- flow-sensitivity within a scope -----------------------------------------------------
    def write(self, key: str, values: set[Value], strong: bool) -> None:
        """Add to `key`; a strong write in straight-line code also replaces what later reads here see."""
        self.add(key, values)
        if strong and self.straight:
            self.flow[key] = set(values)
        elif key in self.flow:
            self.flow[key] |= values

    def read_here(self, key: str) -> set[Value]:
        """What `key` holds at this point of the scope: the last straight-line write, else everything."""
        here = self.flow.get(key)
        if here is not None:
            self.readers[key].add(self.runner)
            return here
        return self.read(key)

    def add(self, key: str, values: set[Value] | list[Value]) -> None:
        if not values:
            return
        target = self.pts[key]
        before = len(target)
        if before >= MAX_VALUES:
            if self.resuming and not target.issuperset(values):
                raise ValuesCapped(key)
            return
        target.update(values)
        if len(target) > MAX_VALUES:  # keep what calls can reach; outside values (tensors...) go first
            if self.resuming:
                raise ValuesCapped(key)
            target.difference_update(sorted((v for v in target if v[0] == "e"), reverse=True)[:len(target) - MAX_VALUES])
        if len(target) != before:
            self.notify(key)

    def edge(self, node: ast.AST, callee: str, kind: str = "function", how: str = "points-to") -> None:
        scope = self.scope  # outside a class body, the caller is the scope itself (`_caller`, `_body`)
        caller, body = (self._caller(), self._body()) if scope.kind == CLASS else (scope.name, "")
        self.edges.add((caller, callee, getattr(node, "lineno", 0), getattr(node, "col_offset", -1) + 1, how, kind, body))

    def _body(self) -> str:
        """The class whose body is being evaluated, if any: a live run sees its calls made by the class."""
        return self.scope.name if self.scope.kind == CLASS else ""

    def _caller(self) -> str:
        """Calls in a class body belong to the scope around the class (as PyCG counts them)."""
        scope = self.scope
        while scope.kind == CLASS and scope.parent is not None:
            scope = scope.parent
        return scope.name

    # -- names -----------------------------------------------------------------------------
    def binding_scope(self, name: str) -> Scope | None:
        """The scope that binds `name` as seen from the current one (LEGB; class bodies skipped)."""
        scope: Scope | None = self.scope
        first = True
        while scope is not None:
            if name in scope.globals and scope.kind != MODULE:
                return self.program.modules[scope.module]
            if (first or scope.kind != CLASS) and (name in scope.locals or (
                    scope.kind == MODULE and name in self.module_members(scope.name))):
                return scope
            first = False
            scope = scope.parent
        return None

    def module_members(self, module: str) -> set[str]:
        self.readers["<members>" + module].add(self.runner)
        return self.members[module]

    def load_name(self, name: str) -> set[Value]:
        scope = self.binding_scope(name)
        if scope is not None:
            return set(self.read_here(f"{scope.name}.{name}") if scope is self.scope else self.read(f"{scope.name}.{name}"))
        if name in BUILTIN_NAMES:
            return {("b", name, "")}
        return set()

    def store_name(self, name: str, values: set[Value]) -> None:
        scope = self.binding_scope(name) or self.scope
        if name in self.scope.locals and name not in self.scope.globals:
            scope = self.scope
        self.add_member(scope.name, name)
        self.write(f"{scope.name}.{name}", values, scope is self.scope)

    # -- statements ------------------------------------------------------------------------
    def stmt(self, node: ast.stmt, depth: int) -> None:
        if depth > MAX_AST_DEPTH:
            return
        if isinstance(node, _COMPOUND):
            straight, self.straight = self.straight, False
            if isinstance(node, _LOOPS):
                self.flow.clear()  # a later iteration sees what the loop body wrote: no strong updates
            name, keys = self._string_loop(node)
            self.loop_keys[name] = keys
            self._statement(node, depth)
            self.loop_keys.pop(name, None)
            self.straight = straight
            if straight and isinstance(node, ast.If):
                self._instantiated_if_class(node)
            return
        self._statement(node, depth)

    def _string_loop(self, node: ast.stmt) -> tuple[str, list[str]]:
        """`for nm in ('after_item', 'before_batch')` (or a module-level name bound to such a literal): the
        loop name and the keys it takes, so `kwargs[nm] = x` writes known keys; else ("", [])."""
        if not isinstance(node, (ast.For, ast.AsyncFor)) or not isinstance(node.target, ast.Name):
            return "", []
        source = node.iter
        if isinstance(source, ast.Name) and self.binding_scope(source.id) is self.program.modules.get(self.scope.module):
            source = next((st.value for st in self.program.modules[self.scope.module].node.body
                           if isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == source.id
                                                                 for t in st.targets)), None)
        strings = _literal_strings(source, {}) if isinstance(source, (ast.Tuple, ast.List)) else None
        return (node.target.id, [repr(k) for k in strings]) if strings else ("", [])

    def _instantiated_if_class(self, node: ast.If) -> None:
        """`if isinstance(cb, type): cb = cb()` in straight-line code: after it, `cb` is no class."""
        test = node.test
        if not (isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance"
                and len(test.args) == 2 and isinstance(test.args[0], ast.Name)
                and isinstance(test.args[1], ast.Name) and test.args[1].id == "type"):
            return
        name = test.args[0].id
        if name not in self.scope.locals or not any(isinstance(s, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in s.targets) for s in node.body):
            return
        key = f"{self.scope.name}.{name}"
        self.flow[key] = {v for v in self.read_here(key) if v[0] != "c"}

    def _statement(self, node: ast.stmt, depth: int) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.definition(node)
        elif isinstance(node, ast.Assign):
            getters = self._made_properties(node.value)
            values = self.eval(node.value) if getters is None else getters
            for target in node.targets:
                if getters is not None and isinstance(target, (ast.Tuple, ast.List)):
                    for element in target.elts:  # `train,valid = add_props(f)`: each name is a property
                        self.assign(element, getters, None)
                else:
                    self.assign(target, values, node.value)
        elif isinstance(node, ast.AugAssign):
            values = self.eval(node.value)
            self.assign(node.target, values | self.binary(node, self.eval(node.target), values, inplace=True), node.value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self.assign(node.target, self.eval(node.value), node.value)
        elif isinstance(node, ast.Return) and node.value is not None:
            self.add(f"{self.scope.name}.<return>", self.eval(node.value))
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.assign(node.target, self.iterate(node.iter, self.eval(node.iter)), None)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.with_item(item)
        elif isinstance(node, ast.Raise) and node.exc is not None:
            self.raise_(node.exc)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self.import_(node)
        elif isinstance(node, ast.Expr):
            self.eval(node.value)
        elif isinstance(node, (ast.If, ast.While, ast.Assert)):
            self.truth(node.test, self.eval(node.test))
            if isinstance(node, ast.Assert):
                self.eval(node.msg)
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.eval(child)
        if type(node) in _SIMPLE_STATEMENTS:  # no nested statements: most of them
            return
        for field_name in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, field_name, ()) if not isinstance(node, (
                    ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else ():
                if isinstance(child, (ast.ExceptHandler, ast.match_case)):
                    if getattr(child, "type", None) is not None:
                        self.eval(child.type)
                    for inner in child.body:
                        self.stmt(inner, depth + 1)
                else:
                    self.stmt(child, depth + 1)

    def definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        """Bind the defined name (through its decorators); a class records its bases."""
        scope = self.program.scope_of_node.get(id(node))
        if scope is None:
            return
        if isinstance(node, ast.ClassDef):
            self.set_bases(scope.name, [v for base in node.bases for v in self.eval(base)])
            for keyword in node.keywords:
                meta = {v for v in self.eval(keyword.value) if v[0] == "c"} if keyword.arg == "metaclass" else set()
                if meta and not meta <= self.metaclasses.get(scope.name, set()):
                    self.metaclasses[scope.name] = self.metaclasses.get(scope.name, set()) | meta
            if self.scope.kind != MODULE:  # a class statement in a function or class body runs the class body then
                self.edge(node, scope.name, "class")
            outer = self.scope
            self.run_scope(scope)
            self._namespace_writes(scope, node)
            self.scope = outer
            value: set[Value] = {("c", scope.name, "")}
        else:
            value = {("f", scope.name, "")}
            for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                self.eval(default)
            self._defaults(scope, node.args)
        for decorator in reversed(node.decorator_list):
            if _is_plain_decorator(decorator):
                continue
            decorators = self.eval(decorator)
            if _decorator_name(decorator) in _PATCH and not isinstance(node, ast.ClassDef):
                self.patch(node, scope, decorator, value)
                self.call_values(decorator, decorators, [value], {})
                self._patch_keeps_name(node.name)
                return  # a patched function is a method of its classes, not a module-level name
            result = self.call_values(decorator, decorators, [value], {})
            if decorators and all(v[0] == "f" and v[1] not in self.program.scopes for v in decorators):
                continue  # a layer below's decorator (`@delegates(...)`'s `_f`): called, the name kept
            if (not decorators or any(v[0] in ("e", "b") for v in decorators)) and not any(
                    v[0] in ("f", "c", "i", "bm") for v in result):
                # a decorator from outside (functools.wraps, fastcore's docs) or unknown wraps it: calls still
                # reach it, and the name is not taken for the outside decorator (a base class named so would
                # hide the real one's methods)
                result = {v for v in result if v[0] != "e"} | value
            value = result
        self.store_name(node.name, value)

    def _namespace_writes(self, scope: Scope, node: ast.ClassDef) -> None:
        """A metaclass `__prepare__` returning a mapping with `__setitem__` (fasttransform's `_TfmDict`):
        each name the class body binds is written through it."""
        setters = {v[1] for meta in self.metaclass_of(scope.name) for prepare in self.lookup(meta, "__prepare__")[1]
                   if prepare[0] == "f" for made in self.read(f"{prepare[1]}.<return>") if made[0] == "i"
                   for v in self.lookup(made[1], "__setitem__")[1] if v[0] == "f"}
        for statement in node.body if setters else ():
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)):
                for setter in sorted(setters):
                    self.edge(statement, setter)

    def metaclass_of(self, klass: str) -> set[Value]:
        """The metaclasses of `klass`: its own `metaclass=`, else the nearest base's."""
        for owner in self.mro(klass):
            self.readers["<bases>" + owner].add(self.runner)
            if owner in self.metaclasses:
                return {v[1] for v in self.metaclasses[owner]}
        return set()

    def _patch_keeps_name(self, name: str) -> None:
        """fastcore's `patch` gives back what the name held before, else the builtin of that name: after
        `@patch def zip(self: L)`, fastcore.foundation's own `zip(...)` calls are still the builtin's."""
        if self.scope.kind == MODULE and name in BUILTIN_NAMES:
            self.store_name(name, {("b", name, "")})

    def patch(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope, decorator: ast.expr,
              value: set[Value] | None = None) -> None:
        """fastcore's `@patch` (classes from the first parameter's annotation) and `@patch_to(Cls)`."""
        if isinstance(decorator, ast.Call) and _decorator_name(decorator) == "patch_to" and decorator.args:
            targets = decorator.args[0]
        else:
            arguments = node.args.posonlyargs + node.args.args
            targets = arguments[0].annotation if arguments else None
        classes = self.eval(targets)
        classes |= self.contents(classes)
        owners = sorted(v[1] for v in classes if v[0] == "c")
        outside = sorted(v[1] for v in classes if v[0] == "e")  # `self:Tensor`: torch's, found from its subclasses
        if owners + outside != scope.patched_into:
            scope.patched_into = owners + outside
        if isinstance(decorator, ast.Call) and any(k.arg == "as_prop" for k in decorator.keywords) or \
                _decorator_name(decorator) == "patch_property":
            if "property" not in scope.decorators:
                scope.decorators.append("property")
        if isinstance(decorator, ast.Call) and "classmethod" not in scope.decorators and any(
                k.arg == "cls_method" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in decorator.keywords):
            scope.decorators.append("classmethod")  # `@patch(cls_method=True) def split(cls: L, ...)`
        wrapped = {v for v in value or () if v[0] == "f"} or {("f", scope.name, "")}  # `@patch @curryable def map`
        for wrapper in wrapped:
            inner = self.program.scopes.get(wrapper[1])
            if inner is not None and inner is not scope and inner.kind == FUNCTION and inner.patched_into != owners:
                inner.patched_into = sorted(set(inner.patched_into) | set(owners))  # the wrapper is the method
        for owner in owners:
            self.add_member(owner, node.name)
            self.add(f"{owner}.{node.name}", wrapped)
        for owner in outside:
            self.add(f"e:{owner}.{node.name}", wrapped)  # read by `lookup` where an MRO reaches `e:owner`

    def _defaults(self, scope: Scope, args: ast.arguments) -> None:
        positional = scope.params
        for name, default in zip(positional[len(positional) - len(args.defaults):], args.defaults):
            self.add(f"{scope.name}.{name}", self.eval(default))
        for name, default in zip(scope.kwonly, args.kw_defaults):
            if default is not None:
                self.add(f"{scope.name}.{name}", self.eval(default))

    def assign(self, target: ast.expr, values: set[Value], value_node: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            self.store_name(target.id, values)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self._unpack(target, values, value_node)
        elif isinstance(target, ast.Starred):
            site = self.site(target)
            self.add(f"<k>{site}", {v for v in values if v[0] != "k"} | self.contents(values))
            self.assign(target.value, {("k", site, "")}, None)
        elif isinstance(target, ast.Attribute):
            owners = self.eval(target.value)
            for owner in owners:
                self.store_attribute(owner, target.attr, values, target)
            for key in self._global_object(target.value, owners):
                self.add_member(key, target.attr)
                self.add(f"{key}.{target.attr}", values)
        elif isinstance(target, ast.Subscript):
            key = _constant_key(target.slice)
            keys = [key] if key is not None else self.loop_keys.get(getattr(target.slice, "id", ""), [])
            index = self.eval(target.slice)
            owners = self.eval(target.value)
            for owner in owners:
                if owner[0] == "k":
                    self.add(f"<k>{owner[1]}", values)
                    for known in keys:  # a loop's name over literal keys: each key, weakly
                        self.set_key(owner[1], known, values, len(owners) == 1 and len(keys) == 1)
                elif owner[0] == "i" and not self.call_method(owner, "__setitem__", target, [index, values]):
                    self.dispatch(target, {owner})  # `t[i] = x` on a tensor subclass: its `__torch_function__`
            if any(v[0] == "e" for v in owners):
                self._indexed_by_sequence(target, index)

    def _made_properties(self, node: ast.expr) -> set[Value] | None:
        """fastcore's `add_props(f)` makes properties that run `f(i, self)`: the getters `f` can
        be, kept as the names' values and marked, so reading `dls.train` calls them; else None."""
        if not (isinstance(node, ast.Call) and node.args and _decorator_name(node.func) == "add_props"):
            return None
        self.eval(node)
        getters = {v for v in self.eval(node.args[0]) if v[0] == "f"}
        self._index_getters.update(v[1] for v in getters)
        return getters or None

    def _unpack(self, target: ast.Tuple | ast.List, values: set[Value], value_node: ast.expr | None) -> None:
        elements = target.elts
        if isinstance(value_node, (ast.Tuple, ast.List)) and len(value_node.elts) == len(elements) and not any(
                isinstance(e, ast.Starred) for e in elements + value_node.elts):
            for element, value in zip(elements, value_node.elts):
                self.assign(element, self.eval(value), value)
            return
        inner = self.contents(values) | {v for v in values if v[0] not in ("k",)}
        for position, element in enumerate(elements):
            indexed = self._indexed(values, position)
            self.assign(element, indexed if indexed and not isinstance(element, ast.Starred) else inner, None)

    def _indexed(self, containers: set[Value], position: int) -> set[Value]:
        found: set[Value] = set()
        for value in containers:
            if value[0] == "k":
                found |= self.read(f"<k>{value[1]}[{position}]", set())
        return found

    def store_attribute(self, owner: Value, attr: str, values: set[Value], node: ast.AST) -> None:
        kind, name, _ = owner
        if kind == "i" and any(v[0] == "f" for v in self.lookup(name, "__setattr__")[1]):
            self.call_method(owner, "__setattr__", node, [set(), values])  # fastai's Callback.__setattr__
        if kind in ("i", "c"):
            for klass in self.mro(name):
                if self.read(f"{klass}.{attr}") and self._is_property(klass, attr):
                    setters = {v[1] for v in self.read(f"{klass}.{attr}") if v[0] == "f" and self._is_setter(v[1])}
                    for setter in sorted(setters):  # `@attr.setter`: its own scope, given the value
                        self.call_function(node, setter, [{("i", name, "")} if kind == "i" else {owner}, values], {})
                    if not setters:
                        self.call_method(owner, attr, node, [values], setter=True)
                    return
            self.add_member(name, attr)
            self.add(f"{name}.{attr}", values)
        elif kind == "m":
            self.add_member(name, attr)
            self.add(f"{name}.{attr}", values)

    def _global_object(self, node: ast.expr, owners: set[Value]) -> list[str]:
        """`defaults.callbacks = [...]`: a module-level name holding only an outside object (fastcore's
        `defaults = SimpleNamespace()`) keeps the attributes written on it, under the object's dotted
        name, for every module that reads `defaults.callbacks`. Other outside values keep nothing."""
        if not owners or not isinstance(node, ast.Name) or any(v[0] != "e" for v in owners):
            return []
        scope = self.binding_scope(node.id)
        return sorted(v[1] for v in owners) if scope is not None and scope.kind == MODULE else []

    def with_item(self, item: ast.withitem) -> None:
        managers = self.eval(item.context_expr)
        entered: set[Value] = set()
        for manager in managers:
            if manager[0] == "i":
                entered |= self.call_method(manager, "__enter__", item.context_expr, [])
                self.call_method(manager, "__exit__", item.context_expr, [set(), set(), set()])
        if item.optional_vars is not None:
            self.assign(item.optional_vars, entered, None)

    def raise_(self, exc: ast.expr) -> None:
        values = self.eval(exc)
        if not isinstance(exc, ast.Call):
            self.call_values(exc, {v for v in values if v[0] == "c"}, [], {})

    def import_(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.store_name(alias.asname, {self.module_value(alias.name)})
                else:
                    top = alias.name.split(".")[0]
                    self.store_name(top, {self.module_value(top)})
            return
        source = self.absolute(node)
        for alias in node.names:
            if alias.name == "*":
                self.star_import(source)
                continue
            if source in self.program.modules:
                values = self.module_attribute(source, alias.name)
            else:
                below = self.program.below.get(source)
                values = below.names.get(alias.name, set()) if below is not None else set()
                values = values or {("e", f"{source}.{alias.name}" if source else alias.name, "")}
            self.store_name(alias.asname or alias.name, values)

    def absolute(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        module = self.scope.module
        package = module if module in self.program.packages else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        return ".".join(p for p in (package, node.module) if p)

    def module_value(self, dotted: str) -> Value:
        return ("m", dotted, "") if dotted in self.program.modules else ("e", dotted, "")

    def star_import(self, source: str) -> None:
        if source not in self.program.modules:
            self._star_import_below(source)
            return
        scope = self.program.modules[self.scope.module]
        exported = self.program.exports.get(source)
        names = exported if exported is not None else [n for n in self.module_members(source) if not n.startswith("_")]
        copied = self._star_copied.setdefault((scope.name, source, self.runner), {})
        for name in list(names):
            values = self.read(f"{source}.{name}")
            if copied.get(name) == len(values):  # as copied on an earlier run (sets only grow)
                continue
            copied[name] = len(values)
            self.add_member(scope.name, name)
            self.add(f"{scope.name}.{name}", values)
        if exported is not None:
            self.module_members(source)  # a star import re-runs when the source binds more names

    def _star_import_below(self, source: str) -> None:
        """`from fastcore.all import *` where fastcore was solved in a layer below: its summary's names."""
        below = self.program.below.get(source)
        if below is None:
            return
        scope = self.program.modules[self.scope.module]
        for name in below.star:
            self.add_member(scope.name, name)
            self.add(f"{scope.name}.{name}", below.names.get(name) or {("e", f"{source}.{name}", "")})

    def summary(self) -> dict[str, ModuleSummary]:
        """Each analysed module as a layer above sees it: its names' values, definitions as outside names.

        Only names survive, not the values passed in from above: code built on a library never
        feeds its own values through the library's generic helpers (`L`, `listify`, `delegates`).
        """
        result: dict[str, ModuleSummary] = {}
        for module in self.program.modules:
            names: dict[str, set[Value]] = {}
            for name in self.members[module]:
                values = {_as_outside(v, f"{module}.{name}") for v in self.pts.get(f"{module}.{name}", ())}
                values.discard(None)
                if values:
                    names[name] = values
            exported = self.program.exports.get(module)
            star = exported if exported is not None else sorted(n for n in names if not n.startswith("_"))
            result[module] = ModuleSummary(names, list(star))
        return result

    def layer_facts(self, facts: LayerFacts, tuples: bool = False) -> None:
        """Add this layer's classes and functions to `facts`, for the layers above (see LayerFacts);
        with `tuples`, the tuples functions return too (see `_keep_tuples`)."""
        for name, scope in self.program.scopes.items():
            if scope.kind == MODULE:
                continue
            facts.scopes[name] = scope
            if scope.kind == CLASS:
                facts.bases[name] = [v for v in self.bases.get(name, ()) if v[0] in ("c", "e")]
                facts.members[name] = set(self.members.get(name, ()))
                for attr in facts.members[name]:
                    _keep(facts.pts, f"{name}.{attr}", self.pts.get(f"{name}.{attr}", ()))
                if name in self.metaclasses:
                    facts.metaclasses[name] = set(self.metaclasses[name])
            else:
                returned = self.pts.get(f"{name}.<return>", ())
                _keep(facts.pts, f"{name}.<return>", returned)
                if tuples:
                    self._keep_tuples(facts, f"{name}.<return>", returned)
        for caller, callee, line, col, _, kind, _ in self.edges:  # what each call site reaches, for hand-ons
            if kind in ("function", "init"):
                facts.calls.setdefault((caller, line, col), set()).add((callee, kind))
        for klass, default in self.program.delegates.items():
            facts.delegates.setdefault(klass, default)

    def _keep_tuples(self, facts: LayerFacts, key: str, values: set[Value]) -> None:
        """A tuple a function returns, kept with what each position holds: `pool, fc =
        create_classifier(...)` above unpacks timm.layers' `return global_pool, fc`. Only for
        APART_LAYERS: kept from fastcore's helpers, the tuples spread an `adict`'s `__getattr__` and
        `parent_label` over a hundred fastai call sites, and the live recall did not move."""
        for value in values:
            if value[0] != "k" or value[2] != _PY_TYPES[ast.Tuple]:
                continue
            facts.pts.setdefault(key, set()).add(value)
            site = value[1]
            _keep(facts.pts, f"<k>{site}", self.pts.get(f"<k>{site}", ()))
            for position in self.keys.get(site, ()):
                _keep(facts.pts, f"<k>{site}[{position}]", self.pts.get(f"<k>{site}[{position}]", ()))

    def module_attribute(self, module: str, name: str) -> set[Value]:
        found = set(self.read(f"{module}.{name}", ()))
        if f"{module}.{name}" in self.program.modules:
            found.add(("m", f"{module}.{name}", ""))
        return found

    # -- expressions -----------------------------------------------------------------------
    def site(self, node: ast.AST) -> str:
        return f"{self.scope.module}:{getattr(node, 'lineno', 0)}:{getattr(node, 'col_offset', 0)}"

    def eval(self, node: ast.expr | None, depth: int = 0) -> set[Value]:
        if node is None or depth > MAX_AST_DEPTH:
            return set()
        if isinstance(node, ast.Name):
            return self.load_name(node.id)
        if type(node) is ast.Constant:  # a third of all expressions: answered before the other kinds are tried
            return {("t", _PY_TYPES[type(node.value)], "")} if isinstance(node.value, (str, bytes)) else set()
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Attribute):
            return self.attribute(self.eval(node.value, depth + 1), node.attr, node)
        if isinstance(node, ast.Lambda):
            scope = self.program.scope_of_node.get(id(node))
            for default in node.args.defaults:
                self.eval(default, depth + 1)
            if scope is not None:
                self._defaults(scope, node.args)
            return {("f", scope.name, "")} if scope is not None else set()
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return self.container(node, node.elts, depth)
        if isinstance(node, ast.Dict):
            return self.dictionary(node, depth)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, depth)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            return self.comprehension(node, depth)
        if isinstance(node, ast.BinOp):
            return self.binary(node, self.eval(node.left, depth + 1), self.eval(node.right, depth + 1))
        if isinstance(node, ast.Compare):
            return self.compare(node, depth)
        if isinstance(node, ast.IfExp):
            self.truth(node.test, self.eval(node.test, depth + 1))
            return self.eval(node.body, depth + 1) | self.eval(node.orelse, depth + 1)
        if isinstance(node, ast.BoolOp):
            operands = [self.eval(v, depth + 1) for v in node.values]
            for operand, values in zip(node.values[:-1], operands):  # `a or b` tests `a`
                self.truth(operand, values)
            return set().union(*operands)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.truth(node.operand, self.eval(node.operand, depth + 1))
            return set()
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:  # `~x` runs `x.__invert__()`
            operand = self.eval(node.operand, depth + 1)
            return set().union(*(self.call_method(v, _UNARY[type(node.op)], node, []) or self.dispatch(node, {v})
                                 for v in operand if v[0] == "i"))
        if isinstance(node, ast.NamedExpr):
            values = self.eval(node.value, depth + 1)
            self.assign(node.target, values, node.value)
            return values
        if isinstance(node, (ast.Await, ast.Starred)):
            return self.eval(node.value, depth + 1)
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            values = self.eval(node.value, depth + 1)
            self.add(f"{self.scope.name}.<return>", self.iterate(node.value, values)
                     if isinstance(node, ast.YieldFrom) else values)
            return set()
        if isinstance(node, ast.JoinedStr):
            for part in node.values:
                if isinstance(part, ast.FormattedValue):
                    self.formatted(part, self.eval(part.value, depth + 1))
                    self.eval(part.format_spec, depth + 1)
            return {("t", "<**PyStr**>", "")}
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.eval(child, depth + 1)
        return set()

    def formatted(self, node: ast.FormattedValue, values: set[Value]) -> None:
        """`f"{x}"` runs `format(x, spec)`: the class's `__format__`, else `__str__`, else `__repr__` (`!r`: `__repr__`,
        `!s`: `__str__` first), the first an analysed class has; an outside one's (torch's) ends the search."""
        order = {ord("r"): ("__repr__",), ord("a"): ("__repr__",), ord("s"): ("__str__", "__repr__")}.get(
            node.conversion, ("__format__", "__str__", "__repr__"))
        for value in values:
            for method in order if value[0] == "i" else ():
                found = self.lookup(value[1], method)[1]
                if any(v[0] == "f" for v in found):
                    self.call_method(value, method, node, [set()] if method == "__format__" else [])
                elif found:  # torch's `Tensor.__format__` on a tensor subclass dispatches
                    self.dispatch(node, {value})
                if found:
                    break

    def binary(self, node: ast.AST, left: set[Value], right: set[Value], inplace: bool = False) -> set[Value]:
        """`a + b` runs `a.__add__(b)` (`__iadd__` first for `+=`), else `b.__radd__(a)`, on analysed instances."""
        op = _BINARY.get(type(node.op))
        if op is None:
            return set()
        result: set[Value] = set()
        handled = False
        for value in left:
            if value[0] != "i":
                continue
            for method in ((f"__i{op}__", f"__{op}__") if inplace else (f"__{op}__",)):
                if any(v[0] == "f" for v in self.lookup(value[1], method)[1]):
                    result |= self.call_method(value, method, node, [right])
                    handled = True
                    break
        for value in right if not handled else ():
            if value[0] == "i":
                result |= self.call_method(value, f"__r{op}__", node, [left])
        if not handled:  # `loss * bs`, `1 - acc`: a tensor subclass's operator runs its `__torch_function__`
            result |= self.dispatch(node, left | right)
        return result | self._joined_collection(node, op, left, right)

    def _joined_collection(self, node: ast.AST, op: str, left: set[Value], right: set[Value]) -> set[Value]:
        """`L(a) + b` (or `b + L(a)`) of `L`s made here: a new `L` holding the items of both (see `_collection`)."""
        made = [v for v in left | right if v[0] == "i" and v[2]]
        if op != "add" or not made:
            return set()
        site = f"{self.site(node)}.add"
        for values in (left, right):
            held = {v for v in values if v[0] == "k" or (v[0] == "i" and v[2])}
            self.add(f"<k>{site}", self.contents(held))
        return {("i", made[0][1], site)}

    def truth(self, node: ast.AST, values: set[Value]) -> None:
        """`if x:` (`while`, `assert`, `a if x else b`) on an analysed instance runs `__bool__`, else `__len__`."""
        for value in values:
            if value[0] == "i":
                for method in ("__bool__", "__len__"):
                    if any(v[0] == "f" for v in self.lookup(value[1], method)[1]):
                        self.call_method(value, method, node, [])
                        break
                else:
                    self.dispatch(node, {value})

    def length_hint(self, node: ast.AST, values: set[Value]) -> None:
        """`list(x)`, `tuple(x)`, `sorted(x)` and `f(*x)` size their result first: `x.__len__`, when it has one."""
        for value in values:
            if value[0] == "i" and any(v[0] == "f" for v in self.lookup(value[1], "__len__")[1]):
                self.call_method(value, "__len__", node, [])

    def compare(self, node: ast.Compare, depth: int) -> set[Value]:
        """`a in b` runs `b.__contains__(a)` on an analysed instance; `pred == targ` on a tensor subclass
        its `__torch_function__`, giving another."""
        left = self.eval(node.left, depth + 1)
        result: set[Value] = set()
        for op, comparator in zip(node.ops, node.comparators):
            right = self.eval(comparator, depth + 1)
            if isinstance(op, (ast.In, ast.NotIn)):
                for value in right:
                    if value[0] == "i":
                        self.call_method(value, "__contains__", node, [left])
            elif isinstance(op, _COMPARISONS):
                result |= self.dispatch(node, left | right)
            left = right
        return result

    def container(self, node: ast.expr, elements: list[ast.expr], depth: int) -> set[Value]:
        site = self.site(node)
        for position, element in enumerate(elements):
            values = self.eval(element, depth + 1)
            if isinstance(element, ast.Starred):
                values = self.contents(values) | values
            self.add(f"<k>{site}", values)
            self.set_key(site, str(position), values, False)
        return {("k", site, _PY_TYPES[type(node)])}

    def dictionary(self, node: ast.Dict, depth: int) -> set[Value]:
        site = self.site(node)
        for key, value in zip(node.keys, node.values):
            values = self.eval(value, depth + 1)
            if key is None:  # `{**other}`
                values = self.contents(values)
            else:
                self.eval(key, depth + 1)
                constant = _constant_key(key)
                if constant is not None:
                    self.set_key(site, constant, values, False)
            self.add(f"<k>{site}", values)
        return {("k", site, "<**PyDict**>")}

    def set_key(self, site: str, key: str, values: set[Value], strong: bool) -> None:
        """`d[key] = values` on the container made at `site`."""
        if key not in self.keys[site]:
            self.keys[site].add(key)
            self.notify("<keys>" + site)
        self.write(f"<k>{site}[{key}]", values, strong)

    def keys_of(self, site: str) -> set[str]:
        self.readers["<keys>" + site].add(self.runner)
        return self.keys[site]

    def contents(self, values: set[Value]) -> set[Value]:
        found: set[Value] = set()
        for value in values:
            if value[0] == "k" or (value[0] == "i" and value[2]):  # a container, or a fastcore `L` made here
                found |= self.read(f"<k>{value[1] if value[0] == 'k' else value[2]}", set())
        return found

    def subscript(self, node: ast.Subscript, depth: int) -> set[Value]:
        owners = self.eval(node.value, depth + 1)
        index = self.eval(node.slice, depth + 1)
        key = _constant_key(node.slice)
        found: set[Value] = set()
        for owner in owners:
            if owner[0] == "k":
                if isinstance(node.slice, ast.Slice):
                    found.add(self.slice(node, owner[1], node.slice))
                    continue
                keyed = self.read_here(f"<k>{owner[1]}[{key}]") if key is not None else None
                found |= keyed if keyed else self.read(f"<k>{owner[1]}", set())
            elif owner[0] == "i":
                got = self.call_method(owner, "__getitem__", node, [index]) or self.dispatch(node, {owner})
                if owner[2]:  # an `L` made here: `ls[0]` an item, `ls[1:]` the same items
                    got = {owner} if isinstance(node.slice, ast.Slice) else self.contents({owner})
                found |= got
        if any(v[0] == "e" for v in owners):
            self._indexed_by_sequence(node, index)
        return found

    def _indexed_by_sequence(self, node: ast.AST, index: set[Value]) -> None:
        """`df[self.y_names]`, `df.iloc[idxs] = v`: an outside object (pandas, numpy) indexed by an analysed
        collection (fastcore's `L`, with its own `__iter__`) reads it as a sequence, as `np.array(x)` does."""
        self._numpy_sequence(node, {v for v in index if v[0] == "i" and any(
            f[0] == "f" for f in self.lookup(v[1], "__iter__")[1])})

    def slice(self, node: ast.Subscript, site: str, bounds: ast.Slice) -> Value:
        """`ls[1:3]`: a new container holding the elements the constant bounds keep, renumbered."""
        lower, upper = (_constant_int(b) if b is not None else d for b, d in ((bounds.lower, 0), (bounds.upper, None)))
        new_site = self.site(node)
        kept = [int(k) for k in self.keys_of(site) if k.lstrip("-").isdigit()]
        if bounds.step is not None or lower is None or lower < 0 or (upper is not None and upper < 0):
            self.add(f"<k>{new_site}", self.read(f"<k>{site}"))
            return ("k", new_site, "")
        for position in kept:
            if position >= lower and (upper is None or position < upper):
                values = self.read(f"<k>{site}[{position}]")
                self.add(f"<k>{new_site}", values)
                self.set_key(new_site, str(position - lower), values, False)
        return ("k", new_site, "")

    def comprehension(self, node: ast.expr, depth: int) -> set[Value]:
        site = self.site(node)
        lazy = isinstance(node, ast.GeneratorExp)
        for position, generator in enumerate(node.generators):
            iterated = self.eval(generator.iter, depth + 1)  # the first iterable is evaluated where it stands
            if lazy and position == 0:
                outer, self.edges = self.edges, set()
            self.assign(generator.target, self.iterate(generator.iter, iterated), None)
            for condition in generator.ifs:
                self.eval(condition, depth + 1)
        if isinstance(node, ast.DictComp):
            self.eval(node.key, depth + 1)
            self.add(f"<k>{site}", self.eval(node.value, depth + 1))
        else:
            self.add(f"<k>{site}", self.eval(node.elt, depth + 1))
        if lazy:  # what iterating it runs, for a lower function that does (see `_library_use`)
            made, self.edges = self.edges, outer
            self.edges |= made
            self.lazy.setdefault(site, set()).update(e for e in made if e[5] in ("function", "class", "init"))
        return {("k", site, "")}

    def iterate(self, node: ast.AST | None, values: set[Value]) -> set[Value]:
        """What `for x in values` binds: container contents, `__iter__`/`__next__`, else the values."""
        found: set[Value] = set()
        for value in values:
            if value[0] == "k":
                found |= self.read(f"<k>{value[1]}", set())
            elif value[0] == "i":
                iterators = self.call_method(value, "__iter__", node, [])
                if not iterators and self.dispatch(node, {value}):  # a tensor subclass: its rows, of the same class
                    found.add(value)
                    continue
                if value[2]:  # an `L` made here: its items, not what the lower layer's `__iter__` returned there
                    found |= self.contents({value})
                    continue
                for iterator in iterators or {value}:
                    if iterator[0] == "i":
                        found |= self.call_method(iterator, "__next__", node, [])
                    else:
                        found.add(iterator)
            elif value[0] not in ("c", "m", "t"):
                found.add(value)
        return found

    # -- attributes ------------------------------------------------------------------------
    def mro(self, name: str) -> list[str]:
        """C3 order of the analysed classes; external bases come last as `e:` names."""
        cached = self._mro.get(name)
        if cached is not None:
            noted = self._mro_noted.get(name)
            if noted is None or noted[0] is not cached:  # a new order: no runner noted for it yet
                noted = self._mro_noted[name] = (cached, set())
            if self.runner not in noted[1]:  # the same readers each time: noted once per runner
                for klass in cached:
                    self.readers["<bases>" + klass].add(self.runner)
                noted[1].add(self.runner)
            return cached
        self._mro[name] = [name]  # a cycle through bad bases ends here
        sequences = []
        direct = []
        for base in self.bases.get(name, ()):
            if base[0] == "c" and base[1] != name:
                sequences.append(list(self.mro(base[1])))
                direct.append(base[1])
            elif base[0] == "e":
                sequences.append(["e:" + base[1]])
                direct.append("e:" + base[1])
        order = [name, *c3_merge(sequences + [direct])]
        self._mro[name] = order
        for klass in order:
            self._mro_users[klass].add(name)
        self.readers["<bases>" + name].add(self.runner)
        return order

    def lookup(self, klass: str, attr: str, skip: int = 0) -> tuple[str, set[Value]]:
        """(class that has it, values) for `attr` along the MRO of `klass`; ("", set()) if none.

        Remembered until a key it read changes (see `_Lookup`): a million calls on the four roots."""
        remembered = self._lookups.get((klass, attr, skip))
        if remembered is None:
            return self._lookup_and_remember(klass, attr, skip)
        if self.runner not in remembered.noted:  # the readers the walk below would note
            for key in remembered.keys:
                self.readers[key].add(self.runner)
            remembered.noted.add(self.runner)
        if remembered.found:
            return remembered.owner, set(self.pts[remembered.found])
        return remembered.owner, {remembered.outside} if remembered.outside else set()

    def _lookup_and_remember(self, klass: str, attr: str, skip: int) -> tuple[str, set[Value]]:
        order = self.mro(klass)
        keys = ["<bases>" + owner for owner in order]
        answer: tuple[str, set[Value]] = ("", set())
        remembered = _Lookup(keys, "", "", None, {self.runner})
        for owner in order[skip:]:
            key = f"{owner}.{attr}"
            keys.append(key)
            values = self.read(key)
            if owner.startswith("e:") and not values:  # an outside class's own attribute (none `@patch` added)
                remembered.owner, remembered.outside = owner, ("e", f"{owner[2:]}.{attr}", "")
                answer = owner, {remembered.outside}
                break
            if values:
                remembered.owner, remembered.found = owner, key
                answer = owner, set(values)
                break
        self._lookups[(klass, attr, skip)] = remembered
        for key in keys:
            self._lookup_users[key].add((klass, attr, skip))
        return answer

    def attribute(self, owners: set[Value], attr: str, node: ast.AST) -> set[Value]:
        found: set[Value] = set()
        for owner in owners:
            kind, name, extra = owner
            if kind == "m":
                found |= self.module_attribute(name, attr)
            elif kind == "e":
                if name.count(".") < MAX_EXTERNAL_DOTS:  # `x.shape.softmax.view...` on a tensor says nothing more
                    found.add(("e", f"{name}.{attr}", ""))
            elif kind == "i" and extra and (attr in _KEEP_ITEMS or attr in _ADD_ITEMS or attr == "map"):
                found.add(("lk", extra, f"{name}|{attr}"))
            elif kind in ("i", "c", "s"):
                member = self._member(owner, attr, node)
                if kind == "c" and not member:  # `Inf.count`: a property of the class's metaclass
                    member = {v for meta in sorted(self.metaclass_of(name))
                              for v in self._member(("i", meta, ""), attr, node) if v[0] != "e"}
                found |= member
            elif kind == "k":
                if extra and attr not in _ADDERS and attr not in _GETTERS:
                    found.add(("t", f"{extra}.{attr}", ""))
                else:
                    found.add(("kb", f"{name}|{extra}" if attr in _GETTERS and extra else name, attr))
            elif kind == "t":
                found.add(("t", f"{name}.{attr}", ""))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            for key in self._global_object(node.value, owners):  # `defaults.callbacks`
                found |= self.read(f"{key}.{attr}")
        return found

    def _member(self, owner: Value, attr: str, node: ast.AST) -> set[Value]:
        kind, name, extra = owner
        klass, receiver = (name, extra) if kind == "s" else (name, name)
        owner_class, values = self.lookup(klass, attr, 1 if kind == "s" else 0)
        if kind == "i" and all(v[0] == "e" for v in values):  # not in the analysed classes
            return self._missing_attribute(owner, attr, node) or self._tensor_attribute(owner, attr, node, values)
        if kind == "s" and attr == "__torch_function__" and values and all(v[0] == "e" for v in values):
            return self._converted(node, receiver, values)
        found: set[Value] = set()
        for value in values:
            scope = self.scope_named(value[1]) if value[0] == "f" else None
            if scope is not None and "setter" in scope.decorators and (
                    scope.name.endswith(".<setter>") or not scope.is_method):
                continue  # a property's setter runs on writes only (see store_attribute)
            if scope is not None and value[1] in self._index_getters and kind != "c":
                self.edge(node, value[1])
                self._bind(scope, [set(), {("i", receiver, "")}], {})  # `f(i, self)`
                found |= self.read(f"{value[1]}.<return>", set())
            elif scope is not None and "property" in scope.decorators and kind != "c" and scope.params:
                # a method, or a function made a property elsewhere and set on the class (`setattr(cls, n, f)`)
                self.edge(node, value[1])
                self._bind(scope, [{("i", receiver, "")}], {})
                found |= self.read(f"{value[1]}.<return>", set())
            elif scope is not None and scope.is_method and not scope.static and (kind != "c" or scope.classmethod):
                found.add(("bm", value[1], receiver if kind != "c" else "cls:" + name))
            else:
                found.add(value)
        return found

    def _missing_attribute(self, owner: Value, attr: str, node: ast.AST) -> set[Value]:
        """An attribute the class lacks: fastcore `GetAttr` delegation (`_default`), else `__getattr__`.

        Re-entry for the same class and name (a `__getattr__` or `_default` that is itself
        missing, as fastcore's own classes have) answers nothing instead of recursing forever.
        """
        key = (owner[1], attr)
        if key in self._resolving_missing:
            return set()
        self._resolving_missing.add(key)
        try:
            return self._missing_attribute_once(owner, attr, node)
        finally:
            self._resolving_missing.discard(key)

    def _missing_attribute_once(self, owner: Value, attr: str, node: ast.AST) -> set[Value]:
        for klass in self.mro(owner[1]):
            default = self.program.delegates.get(klass)
            if default and attr != default and not attr.startswith("__"):
                for hook in self.lookup(owner[1], "__getattr__")[1]:  # fastcore's GetAttr.__getattr__ runs first
                    if hook[0] == "f":
                        self.edge(node, hook[1], how="delegate")
                delegate = self.lookup(owner[1], default)[1]
                outer_edges, self.edges = self.edges, set()
                try:
                    found = {v for v in self.attribute(delegate, attr, node) if v[0] != "e"}
                finally:
                    made, self.edges = self.edges, outer_edges
                self.edges |= made
                read = self._read_by_hook(owner, {owner}, default, last=False)  # `getattr(self, self._default)`
                self._hook_made(owner, made, node)
                self._read_by_hook(owner, {v for v in read if v[0] == "i"} - delegate, attr)
                return {("dg",) + v[1:] if v[0] == "bm" else v for v in found}
        if self.lookup(owner[1], "__getattr__")[1]:
            return self.call_method(owner, "__getattr__", node, [set()])
        return set()

    def _hook_made(self, owner: Value, made: set[tuple], node: ast.AST) -> None:
        """What reading the attribute off the delegate called (`made`, at `node` and below), called by
        the hook's last `getattr` too, as `_read_by_hook` would find by reading it again there: read
        once, a delegation chain (Learner -> DataLoaders -> TfmdDL -> Datasets) is walked once
        instead of twice at each link."""
        calls = [e for e in made if e[5] == "function"]
        if not calls:
            return
        site = (getattr(node, "lineno", 0), getattr(node, "col_offset", -1) + 1)
        caller, body = (self._caller(), self._body()) if self.scope.kind == CLASS else (self.scope.name, "")
        for scope, at in self._hook_getattrs(owner, last=True):
            for c, callee, line, col, _, kind, b in calls:
                if (line, col) == site and (c, b) == (caller, body):
                    self.edges.add((scope.name, callee, at[0], at[1], "delegate", kind, ""))
                else:
                    self.edges.add((c, callee, line, col, "delegate", kind, b))

    def _hook_getattrs(self, owner: Value, last: bool) -> Iterator[tuple[Scope, tuple[int, int]]]:
        """Each lower `__getattr__` the owner's class has (fastcore's `GetAttr`), with the site of its
        first (or last) `getattr` call."""
        for hook in sorted(v[1] for v in self.lookup(owner[1], "__getattr__")[1] if v[0] == "f"):
            scope = self.program.facts.scopes.get(hook)
            at = self.library.call_site(scope, "getattr", last=last) if scope is not None else None
            if at is not None:
                yield scope, at

    def _read_by_hook(self, owner: Value, delegate: set[Value], attr: str, last: bool = True) -> set[Value]:
        """A lower layer's `GetAttr.__getattr__` is what reads `attr` off the delegate (`getattr(attr, k)`,
        its last `getattr`), and first the delegate off the instance (`getattr(self, self._default)`, its
        first): the property it runs, or the delegate's own `__getattr__`, is called by it too (label
        `delegate`). What the read gives."""
        got: set[Value] = set()
        for scope, at in self._hook_getattrs(owner, last):
            outer, edges = self.scope, self.edges
            self.scope, self.edges = scope, set()
            try:
                got |= self.attribute(delegate, attr, ast.Pass(lineno=at[0], col_offset=at[1] - 1))
            finally:
                made, self.scope, self.edges = self.edges, outer, edges
            self.edges.update((c, callee, line, col, "delegate", kind, body)
                              for c, callee, line, col, _, kind, body in made if kind == "function")
        return got

    def _is_setter(self, function: str) -> bool:
        """`@name.setter def name(self, v)` in a class body (`Cls.name.<setter>`), or `@f.setter def fset(o, v)`
        in a function that sets it on a class (fastai's `_add_prop`)."""
        scope = self.scope_named(function)
        return function.endswith(".<setter>") or (scope is not None and not scope.is_method and "setter" in scope.decorators)

    def _is_property(self, klass: str, attr: str) -> bool:
        return any((scope := self.scope_named(v[1])) is not None and "property" in scope.decorators
                   for v in self.read(f"{klass}.{attr}", ()) if v[0] == "f")

    # -- calls -----------------------------------------------------------------------------
    def call(self, node: ast.Call, depth: int) -> set[Value]:
        if isinstance(node.func, ast.Name) and node.func.id == "super" and self.binding_scope("super") is None:
            self.edge(node, "<builtin>.super", "builtin")
            return self._super(node)
        if isinstance(node.func, ast.Name) and node.func.id in ("getattr", "getcallable", "hasattr") and len(node.args) >= 2:
            found = self.dynamic_attribute(node)
            if found is not None and node.func.id == "getcallable":  # fastcore's own function runs too (its
                callees = self.eval(node.func, depth + 1)  # default, `noop`, is what it returns when missing)
                found |= self.call_values(node, callees - {("b", "getcallable", "")}, [self.eval(a) for a in node.args], {})
            if found is not None:
                return found
        callees = self.eval(node.func, depth + 1)
        positional = [self.eval(a, depth + 1) for a in node.args]
        keywords = {k.arg: self.eval(k.value, depth + 1) for k in node.keywords if k.arg}
        for position, argument in enumerate(node.args):
            if isinstance(argument, ast.Starred):  # `f(*xs)` iterates `xs`
                instances = {v for v in positional[position] if v[0] == "i"}
                self.length_hint(argument, instances)
                positional[position] = self.contents(positional[position]) | positional[position] | (
                    self.iterate(argument, instances) if instances else set())
        for keyword in node.keywords:
            if keyword.arg is None:
                self.spread_keywords(self.eval(keyword.value, depth + 1), keywords)
        self._literal_arguments(node, callees)
        if isinstance(node.func, ast.Name) and node.func.id == "setattr" and len(node.args) == 3 and (
                ("b", "setattr", "") in callees):
            self._set_named_attribute(node, positional[0], positional[2])
        if not callees and self._unbound_root(node.func):  # `L(names).map(f)` with L from an unanalysed star import
            self.call_passed_functions(node, positional, keywords)
        if any(v[0] in ("f", "e") and v[1].rpartition(".")[2] == "store_attr" for v in callees):
            self.store_attr(node, keywords)
        if any(v[0] in ("f", "e") and v[1].rpartition(".")[2] == "properties" for v in callees) and node.args:
            self.made_properties(node, positional[0])
        if is_super_call(node):
            made = self._made_by_metaclass(node, positional, keywords)
            if made:
                return made | self.call_values(node, callees, positional, keywords)
        return self.call_values(node, callees, positional, keywords)

    def _made_by_metaclass(self, node: ast.Call, positional: list[set[Value]],
                           keywords: dict[str, set[Value]]) -> set[Value]:
        """`super().__call__(*args)` in a metaclass's `__call__` (`_L_Meta`): `type.__call__` makes an instance
        of the classes its `cls` holds, running their `__init__`."""
        scope = self.scope
        if not scope.is_method or not scope.params or scope.parent is None or not any(
                ("b", "type", "") in self.bases.get(k, ()) for k in self.mro(scope.parent.name)):
            return set()
        made: set[Value] = set()
        for klass in sorted(v[1] for v in self.read(f"{scope.name}.{scope.params[0]}") if v[0] == "c"):
            made |= self.instantiate(node, klass, positional, keywords, through_meta=False)
        return made

    def spread_keywords(self, dicts: set[Value], keywords: dict[str, set[Value]]) -> None:
        """`f(**d)`: a dict whose every value sits under a known string key passes each to its keyword
        only; others pass all their values to every parameter (`keywords["**"]`)."""
        spread: set[Value] = set()
        for value in dicts:
            site = value[1] if value[0] == "k" else value[2] if value[0] == "i" else ""
            everything = self.read(f"<k>{site}") if site else _EMPTY
            keyed = {key: self.read(f"<k>{site}[{key}]") for key in self.keys_of(site)} if value[0] == "k" else {}
            named = {key[1:-1]: values for key, values in keyed.items() if key[:1] == "'" and key[1:-1].isidentifier()}
            if everything and len(named) == len(keyed) and everything <= set().union(*named.values()):
                for key, values in named.items():  # `**key`: bound to parameter `key` only (see `_bind`)
                    keywords["**" + key] = keywords.get("**" + key, _EMPTY) | values
            else:
                spread |= everything
        keywords["**"] = keywords.get("**", _EMPTY) | spread

    def store_attr(self, node: ast.Call, keywords: dict[str, set[Value]]) -> None:
        """fastcore's `store_attr()` in a method: `self.<param> = <param>` for the parameters it names
        (a literal `names`, else all but `self`), less a literal `but`, plus its other keywords."""
        scope = self.scope
        if scope.kind != FUNCTION or not scope.params:
            return
        given = {k.arg: k.value for k in node.keywords if k.arg}
        names = [*scope.params[1:], *scope.kwonly]
        listed = node.args[0] if node.args else given.get("names")
        if isinstance(listed, ast.Constant) and isinstance(listed.value, str):
            names = [n.strip() for n in listed.value.split(",")]
        but = given.get("but")
        if isinstance(but, ast.Constant) and isinstance(but.value, str):
            names = [n for n in names if n not in {b.strip() for b in but.value.split(",")}]
        stored = {n: self.load_name(n) for n in names if n in scope.locals}
        stored.update({k: v for k, v in keywords.items() if k not in ("names", "self", "but", "cast") and k[:2] != "**"})
        receivers = self.read_here(f"{scope.name}.{scope.params[0]}")
        for receiver in receivers:
            for name, values in stored.items():
                self.store_attribute(receiver, name, values, node)
        helper = self.program.facts.scopes.get(_STORE_ATTR_HELPER)
        for use in self.library.uses(_STORE_ATTR_HELPER, helper.params[0]) if helper and helper.params else ():
            if use.op == "setattr" and not use.name:  # fastcore's `setattr(self, n, v)` is what runs them
                for name in stored:
                    self._library_use(Use(use.scope, use.op, use.line, use.col, name), set(receivers))

    def made_properties(self, node: ast.Call, classes: set[Value]) -> None:
        """fastcore's `properties(Tabular, 'iloc', 'targ')` makes those methods properties: reading
        `to.iloc` runs `Tabular.iloc` (marked as `@property` would, and its readers run again)."""
        names = [a.value for a in node.args[1:] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        for klass in sorted(v[1] for v in classes if v[0] == "c"):
            for name in names:
                for value in self.read(f"{klass}.{name}"):
                    scope = self.program.scopes.get(value[1]) if value[0] == "f" else None
                    if scope is not None and "property" not in scope.decorators:
                        scope.decorators.append("property")
                        self.notify(f"{klass}.{name}")

    def _literal_arguments(self, node: ast.Call, callees: set[Value]) -> None:
        """`_add_prop(Tabular, 'cat')`, `gather_attrs(self, k, 'fs')`: a string literal passed to an analysed
        function is kept, per parameter (`<lit>f.param`), for the attribute names it builds (`_literal_names`)."""
        given = {position: a.value for position, a in enumerate(node.args)
                 if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.isidentifier()}
        named = {k.arg: k.value.value for k in node.keywords if k.arg and isinstance(k.value, ast.Constant)
                 and isinstance(k.value.value, str) and k.value.value.isidentifier()}
        if not given and not named:
            return
        for kind, name, _ in callees:
            scope = self.program.scopes.get(name) if kind in ("f", "bm", "ev", "dg") else None
            if scope is None or scope.kind != FUNCTION:
                continue
            params, skip = scope.params, 0 if kind == "f" else 1
            for position, text in given.items():
                if position + skip < len(params):
                    self.add(f"<lit>{name}.{params[position + skip]}", {("t", "<**PyStr**>", text)})
            for keyword, text in named.items():
                if keyword in params or keyword in scope.kwonly:
                    self.add(f"<lit>{name}.{keyword}", {("t", "<**PyStr**>", text)})

    def _literal_names(self, node: ast.expr, depth: int = 0) -> list[str]:
        """The strings an attribute-name expression can be: a literal, a parameter given literals
        (`_literal_arguments`), or `+` of those (`nm + '_names'`); [] when any part is not known."""
        if depth > 4:
            return []
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.Name):
            scope = self.binding_scope(node.id)
            if scope is None or scope.kind != FUNCTION or node.id not in scope.params + scope.kwonly:
                return []
            return sorted(v[2] for v in self.read(f"<lit>{scope.name}.{node.id}"))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._literal_names(node.left, depth + 1), self._literal_names(node.right, depth + 1)
            return [a + b for a in left for b in right]
        return []

    def _set_named_attribute(self, node: ast.Call, owners: set[Value], values: set[Value]) -> None:
        """`setattr(cls, nm + 's', f)` with names known (`_literal_names`) is `cls.<name> = f`; on a class it
        replaces what the name held (a property there is not run: `setattr(cls, n, fset)` after `f`)."""
        for attr in self._literal_names(node.args[1]):
            for owner in owners:
                if owner[0] == "c":
                    self.add_member(owner[1], attr)
                    self.add(f"{owner[1]}.{attr}", values)
                else:
                    self.store_attribute(owner, attr, values, node)

    def _unbound_root(self, node: ast.expr) -> bool:
        """The name an expression starts from is bound nowhere nav can see (not merely unknown yet)."""
        while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
            node = node.func if isinstance(node, ast.Call) else node.value
        return isinstance(node, ast.Name) and self.binding_scope(node.id) is None and node.id not in BUILTIN_NAMES

    def dynamic_attribute(self, node: ast.Call) -> set[Value] | None:
        """`getattr(obj, 'name')` is `obj.name`; `getcallable(self, event_name)` on an instance reaches
        the event methods (`before_*`, `after_*`) of its class and subclasses (fastai callbacks, label `event`).
        """
        if node.func.id in ("getattr", "hasattr"):
            self.edge(node, f"<builtin>.{node.func.id}", "builtin")
        owners = self.eval(node.args[0])
        default: set[Value] = set()  # `getattr(o, name, noop)` can be its default
        for extra in node.args[2:]:
            default |= self.eval(extra)
        name = node.args[1]
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            found = self.attribute(owners, name.value, node)  # `hasattr` runs the property or `__getattr__` too
            return set() if node.func.id == "hasattr" else found | default
        self.eval(name)
        named = set().union(*(self.attribute(owners, attr, node) for attr in self._literal_names(name)))
        if node.func.id == "hasattr":
            return set()
        found: set[Value] = (self.hooked_getattr(node, owners) | named) if node.func.id == "getattr" else named
        for owner in owners:
            if owner[0] == "i":
                for klass in self.subclasses(owner[1]):
                    for member in sorted(self.module_members(klass)):
                        if member.startswith(("before_", "after_")):
                            found |= {("ev", v[1], klass) for v in self.read(f"{klass}.{member}") if v[0] == "f"}
        if node.func.id == "getattr":
            return found | default
        return found or None

    def hooked_getattr(self, node: ast.AST, owners: set[Value]) -> set[Value]:
        """`getattr(o, name)` with a name not known: an analysed instance's `__getattr__` may run (fastcore's
        `GetAttr`, fasttransform's `Pipeline`). Its result is not taken: for a name not known, what a lower
        layer's hook returned down there is every attribute of every delegate."""
        for owner in owners:
            if owner[0] == "i" and any(v[0] == "f" for v in self.lookup(owner[1], "__getattr__")[1]):
                self.call_method(owner, "__getattr__", node, [set()])
        return set()

    def subclasses(self, klass: str) -> list[str]:
        """`klass` and every analysed class with it in its MRO."""
        if self._subclasses is None:
            self._subclasses = defaultdict(list)
            for name in list(self.bases):
                for base in self.mro(name):
                    self._subclasses[base].append(name)
        for name in self._subclasses.get(klass, [klass]):
            self.readers["<bases>" + name].add(self.runner)
        return self._subclasses.get(klass, [klass])

    def _super(self, node: ast.Call) -> set[Value]:
        scope: Scope | None = self.scope
        while scope is not None and not scope.is_method:
            scope = scope.parent
        if scope is None or scope.parent is None:
            return set()
        klass = scope.parent.name
        receivers = {v[1] for v in self.read(f"{scope.name}.{scope.params[0]}", ()) if v[0] == "i"} \
            if scope.params else set()
        return {("s", klass, receiver) for receiver in receivers or {klass}}

    def call_values(self, node: ast.AST, callees: set[Value], positional: list[set[Value]],
                    keywords: dict[str, set[Value]], how: str = "points-to") -> set[Value]:
        result: set[Value] = set()
        if callees and all(v[0] == "e" for v in callees):  # an outside callee (`partial(f)`, `torch.jit.script(f)`)
            self.call_passed_functions(node, positional, keywords)
        for callee in list(callees):
            kind, name, extra = callee
            if kind == "f":
                result |= self.call_function(node, name, positional, keywords, how)
            elif kind in ("bm", "ev", "dg"):
                receiver = {("c", extra[4:], "")} if extra.startswith("cls:") else {("i", extra, "")}
                result |= self.call_function(node, name, [receiver, *positional], keywords,
                                             _BOUND_HOW.get(kind, how))
            elif kind == "c":
                result |= self.instantiate(node, name, positional, keywords)
            elif kind == "i":
                result |= self.call_instance(node, callee, positional, keywords)
            elif kind == "b":
                result |= self.call_builtin(node, name, positional, keywords)
            elif kind == "e":
                self.edge(node, name, "external" if extra != CALL_RESULT else "external-result")
                made = ("e", name, CALL_RESULT if name.partition(".")[0] in SOLVED_APART else "")
                result |= {made} | self._torch_call(node, callee, positional, keywords)
                if name in _NUMPY_SEQUENCE and positional:
                    self._numpy_sequence(node, positional[0])
                if name in _ITERATES_AT_CALL:
                    self._iterated_by_outside(node, _ITERATES_AT_CALL[name], positional)
            elif kind == "kb":
                result |= self.container_method(node, name, extra, positional)
            elif kind == "lk":
                result |= self.collection_method(node, name, extra, positional, keywords)
            elif kind == "t":
                self.edge(node, name, "builtin")
        return result

    def _numpy_sequence(self, node: ast.AST, values: set[Value]) -> None:
        """`np.array(x)` on an object with no `__array__` reads it as a sequence: `len(x)`, then iterating
        it (fastai's `tensor(L(...))` -> `array(x)` runs `L.__len__`/`__iter__`)."""
        for value in sorted(v for v in values if v[0] == "i"):
            if any(v[0] == "f" for v in self.lookup(value[1], "__array__")[1]):
                continue
            self.call_method(value, "__len__", node, [])
            self.iterate(node, {value})

    def _iterated_by_outside(self, node: ast.AST, start: int, positional: list[set[Value]]) -> None:
        """`itertools.chain.from_iterable(self.map(L))` takes its argument's iterator at the call: an
        analysed instance's `__iter__` runs there (see `_ITERATES_AT_CALL`); the items are not followed."""
        for values in positional if start < 0 else positional[start:start + 1]:
            instances = {v for v in values if v[0] == "i"}
            if instances:
                self.iterate(node, instances)

    def call_passed_functions(self, node: ast.AST, positional: list[set[Value]],
                              keywords: dict[str, set[Value]], own: bool = False) -> set[Value]:
        """Functions handed to code nav cannot see are taken to be called by it (label `higher-order`); handed
        to a lower layer (`own`), only this layer's: the lower layer's own functions it solved itself."""
        result: set[Value] = set()
        for values in [*positional, *keywords.values()]:
            passed = {v for v in values if v[0] in ("f", "bm", "ev", "dg") and not (
                own and v[0] == "f" and v[1] not in self.program.scopes)}
            if passed:
                result |= self.call_values(node, passed, [], {}, "higher-order")
        return result

    def through_library(self, function: str, positional: list[set[Value]], keywords: dict[str, set[Value]]) -> None:
        """A lower layer's function given values of this layer: the calls it makes on them, made by it
        (`L(cbs).map(f)` -> `bind.__call__` calls `f`), label `library` (see tags.pointsto.library)."""
        scope = self.program.facts.scopes[function]
        if function in self._in_library or scope.kind != FUNCTION:
            return
        bound: dict[str, set[Value]] = {}
        for position, values in enumerate(positional[:len(scope.params)]):
            bound[scope.params[position]] = values
        bound.update({k: v for k, v in keywords.items() if k in scope.params or k in scope.kwonly})
        receiver = scope.params[0] if scope.is_method and scope.params and not scope.static else ""
        self._in_library.add(function)
        try:
            for param, values in bound.items():
                passed = {v for v in values if self._from_here(v, param == receiver)}
                for use in self.library.uses(function, param) if passed else ():
                    self._library_use(use, passed)
        finally:
            self._in_library.discard(function)

    def _from_here(self, value: Value, receiver: bool) -> bool:
        """A value the lower layer did not see itself: this layer's functions and classes, and instances
        (a lower class's instance as the receiver was solved down there)."""
        kind, name, _ = value
        if kind == "f":
            return name in self.program.scopes
        if kind in ("i", "c"):
            return not receiver or name in self.program.scopes
        return kind in ("bm", "ev", "dg") or (kind == "k" and name in self.lazy)

    def _library_use(self, use: Use, values: set[Value]) -> None:
        """Run one use of a lower function's parameter on `values`, as that function: its new edges kept
        (calls of this layer's code and the lower layer's methods), relabelled `library`."""
        lower = self.program.facts.scopes.get(use.scope) or Scope(use.scope, FUNCTION, "", ast.Pass(), None)
        node = ast.Pass(lineno=use.line, col_offset=use.col - 1)
        outer, edges = self.scope, self.edges
        self.scope, self.edges = lower, set()
        try:
            if use.of == "<new>":  # `res = cls.__new__(cls)` in a metaclass: an instance of the class passed
                values = {("i", v[1], "") for v in values if v[0] == "c"}
            elif use.of:  # `for k in cls._methods`: the use is on that attribute of what was passed
                values = self.attribute(values, use.of, node)
            instances = {v for v in values if v[0] == "i"}
            if use.op == "call":
                self.call_values(node, values, [], {})
            elif use.op == "method":
                self.call_values(node, self.attribute(values, use.name, node), [], {})
            elif use.op == "attr":
                self.attribute(values, use.name, node)
            elif use.op == "setattr":
                for instance in instances:
                    if use.name:
                        self.store_attribute(instance, use.name, set(), node)
                    elif any(v[0] == "f" for v in self.lookup(instance[1], "__setattr__")[1]):
                        self.call_method(instance, "__setattr__", node, [set(), set()])
            elif use.op == "iter":
                self.iterate(node, instances)
                for value in sorted(v for v in values if v[0] == "k"):  # a generator expression made above
                    self.edges.update((use.scope, e[1], use.line, use.col, "", e[5], "") for e in self.lazy.get(value[1], ()))
            elif use.op == "getattr":
                self.hooked_getattr(node, instances)
            elif use.op == "new":  # a lower metaclass's `super().__call__()` makes the class passed as `cls`
                for klass in sorted(v[1] for v in values if v[0] == "c"):
                    self.instantiate(node, klass, [], {}, through_meta=False)
            else:
                dunder = {"getitem": "__getitem__", "setitem": "__setitem__", "contains": "__contains__"}.get(use.op, use.op)
                for instance in instances:
                    self.call_method(instance, dunder, node, [set()] * (dunder != "__len__"))
        finally:
            made, self.scope, self.edges = self.edges, outer, edges
        for caller, callee, line, col, _, kind, body in made:
            if kind in ("function", "class", "init"):
                self.edges.add((caller, callee, line, col, "library", kind, body))

    # -- torch's dispatch -----------------------------------------------------------------
    def torch_function(self, klass: str) -> str:
        """The analysed `__torch_function__` of a subclass of torch's `Tensor` (fastai's TensorBase), else ''."""
        if not any(owner.startswith("e:" + _TORCH) for owner in self.mro(klass)):
            return ""
        return min((v[1] for v in self.lookup(klass, "__torch_function__")[1] if v[0] == "f"), default="")

    def dispatch(self, node: ast.AST, values: set[Value]) -> set[Value]:
        """A torch op on `values`: each instance of a tensor subclass runs its class's `__torch_function__`
        (label `torch-function`), and the result is another instance of the class (torch converts it)."""
        found: set[Value] = set()
        for value in values:
            handler = self.torch_function(value[1]) if value[0] == "i" and not value[2] else ""
            if handler:
                self.edge(node, handler, how="torch-function")
                found.add(value)
        return found

    def _tensor_attribute(self, owner: Value, attr: str, node: ast.AST, values: set[Value]) -> set[Value]:
        """`x.float`, `x.shape` on a tensor subclass instance: torch's attribute, read through `__torch_function__`;
        a method keeps the class as the outside value's `extra` (see `_torch_call`). Private and dunder names
        (fastai's `_meta`, set on the instance) are not torch's."""
        if attr.startswith("_") or not values or not self.dispatch(node, {owner}):
            return values
        return {("e", v[1], owner[1]) for v in values}

    def _converted(self, node: ast.AST, klass: str, values: set[Value]) -> set[Value]:
        """`super().__torch_function__(...)` in a tensor subclass: torch's runs the op and converts the result
        with `ret.as_subclass(cls)`, fastai's `@patch`ed `Tensor.as_subclass` where there is one (label
        `torch-function`); the result is an instance of the class (see `_torch_call`)."""
        if not self.torch_function(klass):
            return values
        for method in sorted(v[1] for v in self.lookup(klass, "as_subclass")[1] if v[0] == "f"):
            self.edge(node, method, how="torch-function")
        return {("e", v[1], klass) for v in values}

    def _torch_call(self, node: ast.AST, callee: Value, positional: list[set[Value]],
                    keywords: dict[str, set[Value]]) -> set[Value]:
        """What an outside call gives back of torch's dispatch: a tensor subclass's method another instance of
        it; a `torch.*` function given instances (or a list of them: `torch.cat(xs)`) runs their
        `__torch_function__` and gives instances of their classes. Results that are no tensors give none."""
        _, name, bound = callee
        bound = "" if bound == CALL_RESULT else bound
        method = name.rpartition(".")[2]
        if method in _NOT_TENSORS:
            return set()
        if method == "as_subclass":  # `x.as_subclass(Tensor)`, `torch.as_subclass(x, C)`: instances of `C` only
            given = positional[0 if bound else 1] if len(positional) > (0 if bound else 1) else _EMPTY
            return {("i", v[1], "") for v in given if v[0] == "c"}
        if bound:
            return {("i", bound, "")}
        if not name.startswith(_TORCH):
            return set()
        given = {v for values in [*positional, *keywords.values()] for v in values}
        return self.dispatch(node, given | self.contents({v for v in given if v[0] == "k"}))

    def call_instance(self, node: ast.AST, instance: Value, positional: list[set[Value]],
                      keywords: dict[str, set[Value]]) -> set[Value]:
        """`obj(...)`: its `__call__`; a torch `nn.Module` subclass's `__call__` runs its `forward`."""
        owner, values = self.lookup(instance[1], "__call__")
        if not values or all(v[0] == "e" for v in values):
            forward_owner, forwards = self.lookup(instance[1], "forward")
            if any(v[0] == "f" for v in forwards):
                return self.call_values(node, {("bm", v[1], instance[1]) for v in forwards if v[0] == "f"},
                                        positional, keywords, "forward")
        return self.call_method(instance, "__call__", node, positional, keywords)

    def call_function(self, node: ast.AST, name: str, positional: list[set[Value]],
                      keywords: dict[str, set[Value]], how: str = "points-to") -> set[Value]:
        self.edge(node, name, how=how)
        scope = self.program.scopes.get(name)
        if scope is not None:
            self._bind(scope, positional, keywords)
            if scope.name.endswith(".__init__") and scope.parent is not None and "funcs_kwargs" in scope.parent.decorators:
                self._wrapped_init(node, name)
                self._methods_given(node, scope.parent, positional, keywords)
        elif name in self.program.facts.scopes:  # a layer below's: the functions handed to it are called by it
            self.call_passed_functions(node, positional, keywords, own=True)
            self.through_library(name, positional, keywords)
            returned = self._passed_back(name, positional, keywords)
            if returned is not None:
                return returned
            bound = {("f", target, "") for target in self.library.partial_returns(name)}
            if bound:  # the partial is that function: no outside `functools.partial` besides
                return {v for v in self.read(f"{name}.<return>", ()) if v != _PARTIAL} | bound
        returned = set(self.read(f"{name}.<return>", ()))
        if scope is not None and returned:
            return self._made_here(scope, returned, positional, keywords)
        return returned

    def _made_here(self, scope: Scope, returned: set[Value], positional: list[set[Value]],
                   keywords: dict[str, set[Value]]) -> set[Value]:
        """What a factory that calls its class parameter (`model = model_cls(**kwargs)` in timm's
        `build_model_with_cfg`) returns to this call: instances of the classes this call passed, not
        of those every caller passed (all of timm's models, to each of them)."""
        made = self.library.called_parameters(scope)
        if not made:
            return returned
        others: set[str] = set()
        for param in made:
            position = scope.params.index(param) if param in scope.params else len(positional)
            given = positional[position] if position < len(positional) else keywords.get(param)
            if not given or "**" in keywords and position >= len(positional):
                continue  # nothing known passed here (or hidden in a `**kwargs`): every instance stays
            here = {v[1] for v in given if v[0] == "c"}
            # not read as a dependency: what grows there grows the return too, which this call reads
            others |= {v[1] for v in self.pts.get(f"{scope.name}.{param}", ()) if v[0] == "c"} - here
        return {v for v in returned if v[0] != "i" or v[1] not in others} if others else returned

    def _passed_back(self, function: str, positional: list[set[Value]],
                     keywords: dict[str, set[Value]]) -> set[Value] | None:
        """A lower function that only returns a parameter (`retain_meta(x, res)`: `return res`) gives back
        what this call passed for it, not what every caller down there passed (see LibraryUses)."""
        returned = self.library.returned_parameters(function)
        if returned is None:
            return None
        params = self.program.facts.scopes[function].params
        found: set[Value] = set()
        for param in returned:
            position = params.index(param) if param in params else len(positional)
            found |= positional[position] if position < len(positional) else keywords.get(param, _EMPTY)
        return found

    def _wrapped_init(self, node: ast.AST, init: str) -> None:
        """fastcore's `@funcs_kwargs` class: its `__init__` is wrapped, so a call reaches `_funcs_kwargs._init`,
        which calls the class's own `__init__` (`old_init(self, ...)`), both label `library`."""
        wrapper = self.program.facts.scopes.get(_FUNCS_KWARGS_INIT)
        at = self.library.call_site(wrapper, "old_init") if wrapper is not None else None
        if at is not None:
            self.edge(node, _FUNCS_KWARGS_INIT, how="library")
            self.edges.add((_FUNCS_KWARGS_INIT, init, *at, "library", "function", ""))

    def _methods_given(self, node: ast.AST, klass: Scope, positional: list[set[Value]],
                       keywords: dict[str, set[Value]]) -> None:
        """`_funcs_kwargs._init` sets each keyword named in the class's `_methods` on the instance
        (`DataLoader(after_batch=Pipeline(...))`: `self.after_batch(b)` calls the Pipeline); a keyword of a
        spread dict counts when its key is known (`kwargs[nm] = ...` for `nm` in a literal tuple)."""
        names = self._funcs_kwargs_methods(klass.name)
        for name in sorted(names):
            values = {v for v in keywords.get(name, _EMPTY) | keywords.get("**" + name, _EMPTY)
                      if v[0] in ("f", "c", "i", "bm", "ev", "dg")}  # callables: a list passed on to be made a Pipeline is not
            for receiver in positional[0] if positional and values else ():
                if receiver[0] == "i":
                    self.store_attribute(receiver, name, values, node)

    def _funcs_kwargs_methods(self, klass: str) -> set[str]:
        """The literal `_methods` of a class body along the MRO (`'a b'.split()`, `+`, lists, names bound before)."""
        for owner in self.mro(klass):
            scope = self.program.scopes.get(owner)
            if scope is None or not isinstance(scope.node, ast.ClassDef):
                continue
            bound = {t.id: st.value for st in scope.node.body if isinstance(st, ast.Assign) for t in st.targets
                     if isinstance(t, ast.Name)}
            if "_methods" in bound:
                return set(_literal_strings(bound["_methods"], bound) or ())
        return set()

    def _bind(self, scope: Scope, positional: list[set[Value]], keywords: dict[str, set[Value]]) -> None:
        params = scope.params
        for position, values in enumerate(positional):
            if position < len(params):
                self.add(f"{scope.name}.{params[position]}", values)
            elif scope.vararg:
                self.add(f"<k>{scope.name}.*", values)
        if scope.vararg:
            self.add(f"{scope.name}.{scope.vararg}", {("k", f"{scope.name}.*", "<**PyTuple**>")})
        named = set(params) | set(scope.kwonly)
        for keyword, values in keywords.items():
            if keyword == "**":
                for param in named:
                    self.add(f"{scope.name}.{param}", values)
            elif keyword in named:
                self.add(f"{scope.name}.{keyword}", values)
            elif keyword[:2] == "**":  # a known key of `f(**d)`: its parameter, as `**` never fills `**kwargs`
                if keyword[2:] in named:
                    self.add(f"{scope.name}.{keyword[2:]}", values)
            elif scope.kwarg:
                self.add(f"<k>{scope.name}.**", values)
                self.set_key(f"{scope.name}.**", repr(keyword), values, False)
        if scope.kwarg:
            self.add(f"{scope.name}.{scope.kwarg}", {("k", f"{scope.name}.**", "<**PyDict**>")})

    def instantiate(self, node: ast.AST, klass: str, positional: list[set[Value]],
                    keywords: dict[str, set[Value]], through_meta: bool = True) -> set[Value]:
        self.edge(node, klass, "class")
        instance: Value = self._collection(node, klass, positional, keywords) or ("i", klass, "")
        for meta in sorted(self.metaclass_of(klass)) if through_meta else ():  # `L(...)` runs `_L_Meta.__call__`
            for call in self.lookup(meta, "__call__")[1]:
                if call[0] == "f":
                    self.call_function(node, call[1], [{("c", klass, "")}, *positional], keywords)
        self._new(node, klass)
        owner, inits = self.lookup(klass, "__init__")
        for init in inits:
            if init[0] == "f":
                self.call_function(node, init[1], [{instance}, *positional], keywords)
                self.edge(node, init[1], "init")
            elif init[0] == "e":
                self.edge(node, init[1], "external")
        self._post_init(node, klass, instance)
        return {instance}

    def _new(self, node: ast.AST, klass: str) -> None:
        """`TensorBase(x)`, `fastuple(x)`: an analysed `__new__` runs first, given the class. The arguments go
        to `__init__` only: TensorBase's `cast(tensor(x), cls)` would feed every tensor subclass's constructor
        arguments back through `tensor` and out of every call of it."""
        for new in self.lookup(klass, "__new__")[1]:
            if new[0] == "f":
                self.call_function(node, new[1], [{("c", klass, "")}], {})

    def _post_init(self, node: ast.AST, klass: str, instance: Value) -> None:
        """A `@dataclass`'s generated `__init__` (no source) runs its `__post_init__` (label `dataclass`)."""
        scope = self.scope_named(klass)
        if scope is not None and "dataclass" in scope.decorators:
            for method in self.lookup(klass, "__post_init__")[1]:
                if method[0] == "f":
                    self.call_function(node, method[1], [{instance}], {}, "dataclass")

    def _collection(self, node: ast.AST, klass: str, positional: list[set[Value]],
                    keywords: dict[str, set[Value]]) -> Value | None:
        """`L(items)` of a lower layer's collection class: an instance that carries this call site,
        holding the items given (a container's or another `L`'s contents, else the value itself)."""
        if klass in self.program.scopes or not _COLLECTIONS & set(self.mro(klass)):
            return None
        site = self.site(node)
        given = [*positional, *(v for k, v in keywords.items() if k == "items")]
        for values in given:
            held = {v for v in values if v[0] == "k" or (v[0] == "i" and v[2])}
            self.add(f"<k>{site}", self.contents(held) | {v for v in values - held if v[0] in ("f", "c", "i", "bm")})
        return ("i", klass, site)

    def collection_method(self, node: ast.AST, site: str, method: str, positional: list[set[Value]],
                          keywords: dict[str, set[Value]]) -> set[Value]:
        """A method of an `L` made here: the method itself is called as usual (its edges), and its items
        follow: `sorted`/`filter`/`[1:]` keep them, `append`/`extend` add to them, `map(f)` passes each to
        `f` (called by fastcore, whose edge it is) and holds what `f` returns."""
        klass, _, attr = method.partition("|")
        instance: Value = ("i", klass, site)
        self.call_values(node, self._member(("i", klass, ""), attr, node), positional, keywords)
        if attr in _ADD_ITEMS:
            for values in positional[-1:]:
                self.add(f"<k>{site}", self.contents(values) if _ADD_ITEMS[attr] else values)
            return set()
        if attr in _KEEP_ITEMS:
            return {instance}
        items = self.contents({instance})
        new_site = f"{self.site(node)}.{attr}"  # `L(x).map(f)` starts where `L(x)` does
        for function in positional[0] if positional else ():
            returned = self._pass_items(function, items)
            self.add(f"<k>{new_site}", {v for v in returned if v[0] in ("f", "c", "i", "bm")})
        return {("i", klass, new_site)}

    def _pass_items(self, function: Value, items: set[Value]) -> set[Value]:
        """Bind `items` to the first parameter of a function of this layer (a bound method's second); its returns."""
        kind, name, extra = function
        scope = self.program.scopes.get(name) if kind in ("f", "bm", "ev", "dg") else None
        if scope is None:
            return set()
        receiver = [] if kind == "f" else [{("c", extra[4:], "")} if extra.startswith("cls:") else {("i", extra, "")}]
        self._bind(scope, [*receiver, items], {})
        return set(self.read(f"{name}.<return>"))

    def call_method(self, instance: Value, method: str, node: ast.AST | None, positional: list[set[Value]],
                    keywords: dict[str, set[Value]] | None = None, setter: bool = False) -> set[Value]:
        """An implicit dunder call (`__iter__`, `__enter__`, ...) on an instance, when the class has it."""
        owner, values = self.lookup(instance[1], method)
        result: set[Value] = set()
        for value in values:
            if value[0] == "f":
                result |= self.call_function(node, value[1], [{instance}, *positional], keywords or {})
        return result

    def call_builtin(self, node: ast.AST, name: str, positional: list[set[Value]],
                     keywords: dict[str, set[Value]]) -> set[Value]:
        """`<builtin>.name`; functions handed to a builtin (`map(f, xs)`) are called by it."""
        self.edge(node, f"<builtin>.{name}", "builtin")
        result: set[Value] = set()
        arguments = [v for values in positional for v in values] + [v for vs in keywords.values() for v in vs]
        if name in ("list", "tuple", "set", "frozenset", "iter", "reversed", "sorted", "next"):
            if name in ("list", "tuple", "sorted") and positional:
                self.length_hint(node, positional[0])
            reversing = self._reversed(node, set(arguments)) if name == "reversed" else set()
            elements = self.iterate(None, set(arguments) - reversing) if arguments else set()
            elements |= self.contents(reversing)
            if name == "next":
                return elements
            site = self.site(node)
            self.add(f"<k>{site}", elements)
            return {("k", site, "")}
        self._iterated_by_builtin(node, name, positional)
        if name == "sum" and positional:
            self._summed(node, positional[0], positional[1] if len(positional) > 1 else keywords.get("start", set()))
        for argument in self._called_by_builtin(name, positional, keywords):
            if argument[0] in ("f", "bm"):
                result |= self.call_values(node, {argument}, [set()], {})
        if name in ("getattr",) and len(positional) >= 2:
            return set()
        if name == "type" and len(positional) == 1:  # `type(self)(items)` makes another of the receiver's class
            return {("c", v[1], "") for v in positional[0] if v[0] == "i"}
        if name in _PROTOCOL_BUILTINS and len(positional) == 1:
            for value in positional[0]:
                if value[0] == "i":
                    called = self.call_method(value, _PROTOCOL_BUILTINS[name], node, [])
                    if not called:  # `len(t)` on a tensor subclass runs its `__torch_function__`; no tensor back
                        self.dispatch(node, {value})
                    result |= called
            return result
        return result if name in ("map", "filter") else result & set()

    def _reversed(self, node: ast.AST, values: set[Value]) -> set[Value]:
        """`reversed(tfms)` runs `tfms.__reversed__()` where the class has one (fastcore's `L`), not
        `__iter__`: those instances, whose items are then the ones it holds."""
        reversing = {v for v in values if v[0] == "i" and any(f[0] == "f" for f in self.lookup(v[1], "__reversed__")[1])}
        for value in sorted(reversing):
            self.call_method(value, "__reversed__", node, [])
        return reversing

    def _summed(self, node: ast.AST, values: set[Value], start: set[Value]) -> None:
        """`sum(splits, [])` adds each item to the start (`0` unless given): `start + item`, which runs the
        item's `__radd__` when the start is no analysed instance with an `__add__` (a list, a number)."""
        adders = {v for v in start if v[0] == "i" and any(f[0] == "f" for f in self.lookup(v[1], "__add__")[1])}
        items = {v for v in self.iterate(node, {v for v in values if v[0] == "i"}) | self.contents(values) if v[0] == "i"}
        for value in sorted(adders):
            self.call_method(value, "__add__", node, [items])
        for item in sorted(items) if not adders else ():
            self.call_method(item, "__radd__", node, [start])

    def _iterated_by_builtin(self, node: ast.AST, name: str, positional: list[set[Value]]) -> None:
        """`zip(a, b)`, `enumerate(a)`, `sum(a)`, `map(f, a)` iterate `a`: its `__iter__` runs (an analysed
        instance's); what they return is not followed. `min`/`max` of several values compare them instead."""
        start = _ITERATES_FROM.get(name)
        if start is None or (name in ("min", "max") and len(positional) != 1):
            return
        for values in positional[start:]:
            instances = {v for v in values if v[0] == "i"}
            if instances:
                self.iterate(node, instances)

    @staticmethod
    def _called_by_builtin(name: str, positional: list[set[Value]], keywords: dict[str, set[Value]]) -> set[Value]:
        """The arguments a builtin calls: `map(f, xs)` and `filter(f, xs)` call `f` (any positional one, as
        PyCG counts it), `sorted`/`min`/`max` call `key=`, `iter(f, stop)` calls `f`. Others (`type(f)`,
        `hasattr(f, n)`, `isinstance(f, t)`) call nothing."""
        if name in ("map", "filter"):
            return {v for values in positional for v in values}
        if name == "iter" and len(positional) == 2:
            return positional[0]
        return set(keywords.get("key", ())) if name in _CALLS_KEY else set()

    def container_method(self, node: ast.AST, site: str, method: str, positional: list[set[Value]]) -> set[Value]:
        site, _, extra = site.partition("|")
        if method == "update":
            for argument in (v for values in positional for v in values if v[0] == "k"):
                for key in list(self.keys_of(argument[1])):
                    self.set_key(site, key, self.read_here(f"<k>{argument[1]}[{key}]"), True)
        if method in _ADDERS:
            for values in positional[-1:] if method in ("insert", "setdefault") else positional:
                self.add(f"<k>{site}", values | (self.contents(values) if method in ("extend", "update") else set()))
            return set()
        if extra:
            self.edge(node, f"{extra}.{method}", "builtin")
        return self.read(f"<k>{site}", set()) if method in _GETTERS else set()


def _constant_key(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int)) and not isinstance(node.value, bool):
        return repr(node.value)
    return None


def _literal_strings(node: ast.AST | None, bound: dict[str, ast.expr], depth: int = 0) -> list[str] | None:
    """The strings a literal expression holds: `'a b'.split()`, `['a', 'b']`, `x + y`, names in `bound`."""
    if depth > 8 or node is None:
        return None
    if isinstance(node, (ast.Tuple, ast.List)):
        found = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return found if len(found) == len(node.elts) else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "split" and \
            not node.args and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str):
        return node.func.value.value.split()
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = (_literal_strings(side, bound, depth + 1) for side in (node.left, node.right))
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.Name) and node.id in bound:
        return _literal_strings(bound[node.id], bound, depth + 1)
    return None


def _constant_int(node: ast.AST) -> int | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _constant_int(node.operand)
        return -inner if inner is not None else None
    return node.value if isinstance(node, ast.Constant) and type(node.value) is int else None


def _keep(pts: dict[str, set[Value]], key: str, values: set[Value]) -> None:
    """A layer's values as the layers above keep them: definitions, instances, outside names (not its containers)."""
    kept = {v if v[0] != "m" else ("e", v[1], "") for v in values if v[0] in ("f", "c", "i", "e", "b", "t", "bm", "m")}
    if kept:
        pts[key] = kept


def _as_outside(value: Value, path: str) -> Value | None:
    """A value of a lower layer's module name, seen from above: a module becomes its dotted name
    (as code nav does not analyse is seen), a container the name `module.name` itself; a class,
    function or instance of a class (`Self = _SelfCls()`) stays one, its members and returns known
    from LayerFacts."""
    kind, name, _ = value
    if kind in ("c", "f"):
        return value
    if kind == "m":
        return ("e", name, "")
    if kind in ("e", "b"):
        return value
    if kind == "i" and not value[2]:  # `Self = _SelfCls()`: an instance of a class analysed down there
        return value
    if kind in ("i", "k"):
        return ("e", path, "")
    return None


def _decorator_name(node: ast.expr) -> str:
    """`@patch_to(Learner)` -> patch_to; `@fastcore.basics.patch` -> patch."""
    if isinstance(node, ast.Call):
        node = node.func
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def _is_plain_decorator(node: ast.expr) -> bool:
    """`@staticmethod`, `@property`, ...: kept as markers on the scope, not calls that rebind."""
    return isinstance(node, ast.Name) and node.id in ("staticmethod", "classmethod", "property")


# -- entry points ----------------------------------------------------------------------------
def analyse(sources: dict[str, tuple[str, bool]], layers: tuple[tuple[str, ...], ...] = LIBRARY_LAYERS,
            apart: tuple[str, ...] = SOLVED_APART, cache_dir: str | None = None,
            held: Mapping[str, str] | None = None) -> CallGraph:
    """`analyse_layers` with the cyclic garbage collector paused (see `paused_gc`), in parts (see
    `_parts`): the main one here, the others one after another in a child process meanwhile, or
    here after the main one where that evens out the two cores' work (see `_deal`). With
    `cache_dir` the library layers' states are kept there (see `library_state`).

    The child's first part with layers of its own (timm, whose models stand on `timm.layers`)
    has them solved here first and handed over while the child parses the rest of it: the child
    has the most to do (timm's models), and this process waited for it at the end. `held`: the stamp
    of each part's kept solution whose edges the index holds (see `resume.resumed`).
    """
    held = held or {}
    parts = _parts(sources, apart)
    main = parts.pop("", {})
    here, there = _deal(main, parts)
    with paused_gc():
        if not parts:
            return analyse_layers(main, layers, cache_dir=cache_dir, part="main", alone=True, held=held.get("main", ""))
        handed = next((name for name in sorted(there) if APART_LAYERS.get(name)), None) if main and can_fork() else None
        handoff = Handoff() if handed is not None else None
        with in_child(lambda: _solved_parts(there, cache_dir, held, handed, handoff)) as solved_parts:
            if handed is not None and handoff is not None:
                library = [(label, group) for label, group in _layered(there[handed], APART_LAYERS[handed]) if label]
                handoff.send(lambda: library_state(library, True, cache_dir))
            graph = analyse_layers(main, layers, cache_dir=cache_dir, part="main", held=held.get("main", "")) if (
                main) else CallGraph()
            for rows in _solved_parts(here, cache_dir, held):
                graph.merge(_from_rows(*rows))
            for rows in solved_parts():
                graph.merge(_from_rows(*rows))
        return graph


def _deal(main: dict[str, tuple[str, bool]],
          parts: dict[str, dict[str, tuple[str, bool]]]) -> tuple[dict[str, dict], dict[str, dict]]:
    """The parts to solve here after the main part, and those for the child: largest first, each
    to the side with less source so far, so that both cores finish together (the solve time
    follows the source's size: 1 to 2 s a megabyte on the four roots). With no main part (`nav
    graph torch`) the child takes them all: one part at a time keeps the peak memory that of the
    largest part."""
    if not main:
        return {}, parts
    here: dict[str, dict] = {}
    there: dict[str, dict] = {}
    load_here, load_there = _source_size(main), 0
    for name in sorted(parts, key=lambda n: (-_source_size(parts[n]), n)):
        if load_there <= load_here:
            there[name], load_there = parts[name], load_there + _source_size(parts[name])
        else:
            here[name], load_here = parts[name], load_here + _source_size(parts[name])
    return here, there


def _source_size(sources: dict[str, tuple[str, bool]]) -> int:
    return sum(len(text) for text, _ in sources.values())


MAX_PART_FILES = 1000  # a package with more modules than this is solved one subpackage at a time


class Partition:
    """Which part of a program each module is solved in, by name; "" is the main part.

    A package in `apart` is one part (see SOLVED_APART), less its APART_GROUPS, a part each. A
    package of more than MAX_PART_FILES modules is a part per subpackage (`torch.nn`,
    `torch._inductor`), its own top-level modules one more: solved whole, torch passed 5 GB and a
    quarter of an hour without finishing; in parts its largest (374 files) takes 20 s and 750 MB. Calls between parts are outside names, as between
    packages solved apart. Everything else is the main part. The solver splits its input by it,
    and the incremental graph (`tags.callgraph`) follows imports within a part only.
    """

    def __init__(self, modules: Mapping[str, bool], apart: tuple[str, ...] = SOLVED_APART) -> None:
        """`modules`: each module name -> whether it is a package's `__init__`."""
        sizes = Counter(module.partition(".")[0] for module in modules)
        self.big = {package for package, size in sizes.items() if size > MAX_PART_FILES}
        self.subpackages = {module.rpartition(".")[0] for module in modules if module.count(".") >= 2}
        self.subpackages |= {module for module, is_package in modules.items() if is_package}
        self.apart = apart
        self.groups = {package: group for group, packages in APART_GROUPS.items() for package in packages}

    def of(self, module: str) -> str:
        top = module.partition(".")[0]
        if top in self.big:
            second = ".".join(module.split(".")[:2])
            return second if second in self.subpackages and second != top else top
        if top not in self.apart:
            return ""
        name = module
        while "." in name:  # the longest group package holding it (`timm.data.loader` -> timm.training)
            if name in self.groups:
                return self.groups[name]
            name = name.rpartition(".")[0]
        return top


def _parts(sources: dict[str, tuple[str, bool]], apart: tuple[str, ...]) -> dict[str, dict[str, tuple[str, bool]]]:
    """The sources split by `Partition`: part name -> its modules."""
    partition = Partition({module: is_package for module, (_, is_package) in sources.items()}, apart)
    parts: dict[str, dict[str, tuple[str, bool]]] = defaultdict(dict)
    for module, source in sources.items():
        parts[partition.of(module)][module] = source
    return dict(parts)


def _solved_parts(parts: dict[str, dict[str, tuple[str, bool]]], cache_dir: str | None, held: Mapping[str, str],
                  handed: str | None = None, handoff: Handoff | None = None
                  ) -> Iterator[tuple[list[tuple], dict[str, str], int, dict[str, str], set[str] | None, dict[str, str]]]:
    """Each part solved alone, as plain data (see `in_child`: `_as_rows`, `CallGraph.grown` and `.kept`),
    part `handed`'s library layers received through `handoff`; cycles freed between parts (the
    collector is paused). `held`: see `analyse_layers`."""
    for name in sorted(parts):
        layers = APART_LAYERS.get(name, ())
        received = handoff.receive if handoff is not None and name == handed else None
        graph = analyse_layers(parts[name], layers, tuples=bool(layers), cache_dir=cache_dir, handed=received, part=name,
                               held=held.get(name, ""))
        yield *_as_rows(graph), graph.grown, graph.kept
        gc.collect()


def _as_rows(graph: CallGraph) -> tuple[list[tuple], dict[str, str], int, dict[str, str]]:
    """A graph as plain data, to pickle out of a child process (see `in_child`)."""
    return [e.fields() for e in graph.edges], graph.scopes, graph.passes, graph.unparsed


def _from_rows(rows: list[tuple], scopes: dict[str, str], passes: int, unparsed: dict[str, str] | None = None,
               grown: set[str] | None = None, kept: dict[str, str] | None = None) -> CallGraph:
    return CallGraph({Edge(*row) for row in rows}, scopes, passes, dict(unparsed or {}), grown, dict(kept or {}))


def analyse_layers(sources: dict[str, tuple[str, bool]], layers: tuple[tuple[str, ...], ...] = LIBRARY_LAYERS,
                   tuples: bool = False, cache_dir: str | None = None,
                   handed: Callable[[], object | None] | None = None, part: str | None = None,
                   alone: bool = False, held: str = "") -> CallGraph:
    """Solve a program given as module name -> (source text, is a package `__init__`).

    Packages named in `layers` are solved first, one layer at a time, and the code above each
    sees a layer's modules only through their summary (see `LIBRARY_LAYERS`; `library_state`).
    `handed` gives their state solved by another process (see `analyse`), asked once the code
    above them is parsed; when it gives None they are solved here. With `cache_dir` and a `part`
    name, the code above is kept solved there, and an edit that only adds statements resumes it
    (see tags/pointsto/resume.py); written meanwhile by a child after a resume, or when this is
    the only part solved (`alone`: no core is busy with another). A part whose layers are handed
    resumes too (its kept solution holds their state): timm, solved again only because a fastai
    edit changed what its calls resolve to by name, is its kept solution as it was. `held` is the
    stamp of the kept solution whose edges the index holds for the part (see `resume.resumed`).
    """
    groups = _layered(sources, layers)
    library = [(label, group) for label, group in groups if label]
    rest = next((group for label, group in groups if not label), None)
    unparsed: dict[str, str] = {}
    key = resume.state_key(part, _layers_key(library, tuples, cache_dir)) if (
        cache_dir and part is not None and rest is not None) else None
    again = _resumed(cache_dir, part, key, rest, library, held) if key is not None else None
    if again is not None:  # the layers' state came with it
        if handed is not None:
            handed()  # taken all the same: the sender writes it to a pipe, and would wait for a reader
        solver, state, graph, keep = again
        return _kept(cache_dir, part, key, rest, solver, state, graph, background=True) if keep else graph
    trees = _parsed(rest, unparsed) if rest is not None and handed is not None else None  # while the layers are solved there
    given = handed() if handed is not None else None
    state = given if isinstance(given, LayerState) else library_state(library, tuples, cache_dir)
    graph = _from_rows(state.rows, state.scopes, state.passes, state.unparsed)
    graph.unparsed.update(unparsed)
    if rest is None:
        return graph
    solver = _solve_layer(trees if trees is not None else _parsed(rest, graph.unparsed), state, graph, tuples, keep=False)
    if key is None:
        return graph
    # an edit resume could not take (a statement changed): the index keeps the edges of every scope whose
    # calls are those of the newest kept solution, read before this one is kept as the newest
    graph.grown = _differing(solver.edges, resume.newest_edges(cache_dir, part, key, rest, held))
    return _kept(cache_dir, part, key, rest, solver, state, graph, background=alone)


def _kept(cache_dir: str, part: str, key: str, sources: dict[str, tuple[str, bool]], solver: Solver,
          below: LayerState, graph: CallGraph, background: bool) -> CallGraph:
    """Keep the part's solution for the next edit (see tags/pointsto/resume.py); the graph, with its stamp."""
    unparsed = {m: why for m, why in graph.unparsed.items() if m in sources}
    graph.kept[part] = resume.save(cache_dir, part, key, sources, unparsed, solver.program, solver.kept_state, below,
                                   background)
    return graph


def _resumed(cache_dir: str, part: str, key: str, sources: dict[str, tuple[str, bool]],
             library: list[tuple[str, dict[str, tuple[str, bool]]]],
             held: str) -> tuple[Solver, LayerState, CallGraph, bool] | None:
    """The part's kept solution resumed after the edit (see tags/pointsto/resume.py): the solver,
    the layers' state kept with it, the graph (the layers' edges and the part's, its stamp when it is
    not kept again), and whether to keep it as the newest (not when the sources are the newest kept
    one's); None when the part must be solved from scratch. `held`: see `analyse_layers`."""
    again = resume.resumed(cache_dir, part, key, sources, {m: s for _, group in library for m, s in group.items()}, held)
    if again is None:
        return None
    solver = Solver.restored(again.program, again.state)
    try:
        solved = solver.solve_from(again.start, resuming=True)
    except NotResumable:
        return None
    below = again.below
    graph = _from_rows(below.rows, below.scopes, below.passes, below.unparsed)
    graph.merge(solved)
    graph.unparsed.update(again.unparsed)
    graph.grown = _differing(solver.edges, again.stored_edges)
    graph.kept[part] = again.stamp  # kept again (`to_keep`) under a new one
    return solver, below, graph, again.to_keep


def _differing(edges: set[tuple], stored: set[tuple] | None) -> set[str] | None:
    """The scopes (callers, and class bodies) whose calls differ between `edges` and the `stored` ones
    (None: not known, and so neither are these)."""
    return None if stored is None else {name for edge in edges ^ stored for name in (edge[0], edge[6]) if name}


def _layers_key(library: list[tuple[str, dict[str, tuple[str, bool]]]], tuples: bool, cache_dir: str) -> str:
    """The key of the library layers a part stands on (its top layer's, see LayerCache.keys)."""
    keys = LayerCache(cache_dir, tuples).keys(library) if library else []
    return keys[-1] if keys else f"no layers, tuples={tuples}"


def library_state(library: list[tuple[str, dict[str, tuple[str, bool]]]], tuples: bool,
                  cache_dir: str | None) -> LayerState:
    """The library layers (label, modules; lowest first) solved, or read back from `cache_dir`
    while their sources stay the same (see tags/pointsto/layercache.py): the state the code above
    them starts from, always as a dump and load give it, so that the graph above is the same
    whether the layers were solved now, stored or handed over."""
    cache = LayerCache(cache_dir, tuples) if cache_dir is not None and library else None
    keys = cache.keys(library) if cache is not None else []
    state, start = LayerState(), 0
    for position in range(len(keys) - 1, -1, -1):  # the highest layer stored under its key
        stored = cache.load(library[position][0], keys[position]) if cache is not None else None
        if stored is not None:
            state, start = stored, position + 1
            break
    graph = _from_rows(state.rows, state.scopes, state.passes, state.unparsed)
    for position, (label, group) in enumerate(library[start:], start):
        _solve_layer(_parsed(group, graph.unparsed), state, graph, tuples)
        state.rows, state.scopes, state.passes, state.unparsed = _as_rows(graph)
        state = cache.store(label, keys[position], state) if cache is not None else pickle.loads(
            pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
    return state


def _solve_layer(trees: dict[str, tuple[ast.Module, bool]], state: LayerState, graph: CallGraph, tuples: bool,
                 keep: bool = True) -> Solver:
    """Solve one layer on the state of those below: its edges into `graph`, its summaries and
    facts into `state` when `keep` (for a layer above); the solver, solved."""
    program = Program(below=dict(state.below), facts=state.facts)
    for module in _imported_first(trees):  # fewer re-runs: what a module imports is solved before it
        program.add_module(module, *trees[module])
    solver = Solver(program)
    graph.merge(solver.solve())
    if keep:
        state.below.update(solver.summary())
        solver.layer_facts(state.facts, tuples)
    return solver


def _parsed(sources: dict[str, tuple[str, bool]], unparsed: dict[str, str]) -> dict[str, tuple[ast.Module, bool]]:
    """Each module's syntax tree; one that Python's parser refuses is an empty module, and why is
    noted in `unparsed` (tree-sitter indexes what CPython will not compile: 50,000 chained `+`, 200
    nested parentheses, a NUL byte), so that its calls are said to be linked by name only."""
    trees: dict[str, tuple[ast.Module, bool]] = {}
    for module, (text, is_package) in sources.items():
        try:
            tree = ast.parse(text)
        except UNPARSABLE as err:
            tree = ast.Module(body=[], type_ignores=[])
            unparsed[module] = _refusal(err)
        trees[module] = (tree, is_package)
    return trees


def _refusal(err: Exception) -> str:
    """Why `ast.parse` refused a module, in a few words: `line 3: invalid syntax`, `too deeply nested`."""
    if isinstance(err, RecursionError):
        return "nested too deeply"
    if isinstance(err, MemoryError):
        return "out of memory"
    if isinstance(err, SyntaxError):
        return f"line {err.lineno}: {err.msg}" if err.lineno else err.msg
    return str(err) or type(err).__name__


def _layered(sources: dict[str, T], layers: tuple[tuple[str, ...], ...]) -> list[tuple[str, dict[str, T]]]:
    """The modules split bottom-up: one group per layer of `layers` (by package), labelled with its
    packages (`fastcore`), then the rest, labelled ""; empty groups are left out."""
    layer_of = {package: position for position, packages in enumerate(layers) for package in packages}
    groups: list[dict[str, T]] = [{} for _ in range(len(layers) + 1)]
    for module, source in sources.items():
        groups[_layer_of(module, layer_of, len(layers))][module] = source
    labels = ["+".join(packages) for packages in layers] + [""]
    return [(label, group) for label, group in zip(labels, groups) if group]


def library_layer(module: str) -> str:
    """The label of the library layer holding `module` (LIBRARY_LAYERS, APART_LAYERS), as `_layered`
    labels it (`fastcore`, `timm.layers`); "" when it is in none."""
    layers = (*LIBRARY_LAYERS, *(layer for package_layers in APART_LAYERS.values() for layer in package_layers))
    position = _layer_of(module, {package: n for n, packages in enumerate(layers) for package in packages}, len(layers))
    return "+".join(layers[position]) if position < len(layers) else ""


def _layer_of(module: str, layer_of: dict[str, int], default: int) -> int:
    """The layer of the longest package (or subpackage: `timm.layers`) in `layer_of` holding `module`."""
    name = module
    while True:
        if name in layer_of:
            return layer_of[name]
        if "." not in name:
            return default
        name = name.rpartition(".")[0]


def _imported_first(trees: dict[str, tuple[ast.Module, bool]]) -> list[str]:
    """Modules in an order where each comes after the analysed modules its top-level imports name."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def imports_of(module: str) -> list[str]:
        tree, is_package = trees[module]
        package = module if is_package else module.rpartition(".")[0]
        found = []
        for node in tree.body:
            if isinstance(node, ast.Import):
                found += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(max(node.level - 1, 0)):
                    base = base.rpartition(".")[0]
                source = ".".join(p for p in (base if node.level else "", node.module or "") if p)
                found.append(source)
                found += [f"{source}.{alias.name}" for alias in node.names]
        return [name for name in found if name in trees and name != module]

    for start in trees:
        stack = [(start, iter(()))] if start not in state else []
        if stack:
            state[start] = 1
            stack = [(start, iter(imports_of(start)))]
        while stack:  # iterative DFS: deep import chains do not recurse
            module, pending = stack[-1]
            following = next((m for m in pending if m not in state), None)
            if following is None:
                stack.pop()
                state[module] = 2
                order.append(module)
            else:
                state[following] = 1
                stack.append((following, iter(imports_of(following))))
    return order


def directory_sources(directory: str, package: str = "") -> dict[str, tuple[str, bool]]:
    """Every `.py` file under `directory`, module names relative to it (`pkg/mod.py` -> `pkg.mod`).

    `package` names the directory itself when it is an installed package (`fastai/` -> `fastai.*`).
    """
    sources: dict[str, tuple[str, bool]] = {}
    for folder, subfolders, files in os.walk(directory):
        subfolders[:] = sorted(d for d in subfolders if d.isidentifier())
        for file_name in sorted(files):
            if not file_name.endswith(".py") or not file_name[:-3].isidentifier():
                continue
            path = os.path.join(folder, file_name)
            parts = [p for p in (package, *os.path.relpath(path, directory)[:-3].split(os.sep)) if p]
            is_package = parts[-1] == "__init__"
            module = ".".join(parts[:-1] if is_package else parts)
            if not module:
                continue
            try:  # a FIFO or device named *.py is skipped
                sources[module] = (read_source_text(path), is_package)
            except OSError:
                continue
    return sources


def analyse_directory(directory: str, package: str = "") -> CallGraph:
    """The call graph of the code under `directory` (see `directory_sources` for module names)."""
    return analyse(directory_sources(directory, package))
