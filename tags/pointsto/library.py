"""What a lower layer's function does with its parameters, read from its source, for the layer above.

A library layer (see `LIBRARY_LAYERS`) is solved apart from the code built on it, so a value
fastai hands to fastcore (`L(cbs).map(self.add_cb)`, `range_of(self.cbs)`) is never seen inside
fastcore: the calls fastcore makes on it (`bind.__call__` runs `self.func`, `range_of` runs
`len(a)`) were missing. Each lower function gets a summary of the direct uses of each parameter
(called, `len()`, iterated, indexed, `in`, an attribute read, called or set), following it where
it is handed on (to another function of the layer, as the call's solved callee says) or stored
on `self` (used by the class's other methods). The solver above applies a summary to the values
it passes in, and the edges it gets are made by the lower function, labelled `library`.
Purely syntactic uses of the parameter name: no flow through containers or other variables.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from tags.pointsto.program import CLASS, FUNCTION, LayerFacts, Scope, child_nodes

MAX_HOPS = 4  # a parameter followed through at most this many hand-ons
_ITERATING = {"iter", "list", "tuple", "set", "frozenset", "sorted", "enumerate", "zip", "map", "filter", "sum", "any",
              "all", "reversed", "dict"}  # builtins that iterate their (non-first for map/filter) arguments
_SIZING = {"list", "tuple", "sorted"}  # of those, the ones that run `len(x)` first (`length_hint`)
_PROTOCOL = {"len": "__len__", "repr": "__repr__", "str": "__str__", "bool": "__bool__", "hash": "__hash__"}


@dataclass(frozen=True)
class Use:
    """One use of a parameter in `scope` at `line`:`col`: `op` is call | method | attr | getattr (a name
    not known) | setattr | iter | getitem | setitem | contains | new (a metaclass's `super().__call__()` making `cls`) | a
    dunder run by a builtin (`__len__`); `name` the attribute; `of`, where the use is on an attribute of
    the parameter (`for k in cls._methods`), that attribute, or `<new>` for an instance of the class passed
    (`res = cls.__new__(cls)`)."""

    scope: str
    op: str
    line: int
    col: int
    name: str = ""
    of: str = ""


class LibraryUses:
    """The summaries of one lower layer's functions, computed when first asked for."""

    def __init__(self, facts: LayerFacts) -> None:
        self.facts = facts
        self._cache: dict[tuple[str, str], tuple[Use, ...]] = {}
        self._sites: dict[tuple[int, str, bool], tuple[int, int] | None] = {}
        self._returns: dict[str, tuple[str, ...] | None] = {}
        self._partials: dict[str, tuple[str, ...]] = {}
        self._called: dict[str, tuple[str, ...]] = {}  # function -> the parameters its body calls

    def call_site(self, scope: Scope, name: str, last: bool = False) -> tuple[int, int] | None:
        """`call_site`, remembered: the solver asks it on every GetAttr delegation (a walk of the hook's body)."""
        key = (id(scope.node), name, last)
        if key not in self._sites:
            self._sites[key] = call_site(scope, name, last)
        return self._sites[key]

    def uses(self, function: str, param: str, hops: int = 0) -> tuple[Use, ...]:
        """Every use of `param` of the lower function `function`, hand-ons followed."""
        key = (function, param)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        self._cache[key] = ()  # recursion through a cycle of hand-ons ends here
        scope = self.facts.scopes.get(function)
        found: list[Use] = []
        if scope is not None and scope.kind == FUNCTION and hops <= MAX_HOPS:
            found += self._direct(scope, scope.node, {param}, function)
            for nested in _nested_functions(scope):
                if param not in nested.locals:
                    found += self._direct(nested, nested.node, {param}, nested.name)
            found += self._handed_on(scope, param, hops)
            if scope.is_method and scope.params and param == scope.params[0]:  # a metaclass's `cls`
                found += [Use(function, "new", n.lineno, n.col_offset + 1) for n in _own_nodes(scope.node)
                          if isinstance(n, ast.Call) and is_super_call(n)]
                found += self._made_by_new(scope, param, function)
            found += self._stored_on_self(scope, param, hops)
        result = tuple(dict.fromkeys(found))
        self._cache[key] = result
        return result

    def returned_parameters(self, function: str) -> tuple[str, ...] | None:
        """The parameters a lower function returns, when every `return` of its own body gives one back
        (`retain_meta`'s `return res`); None when it returns anything else, yields, or has no such return."""
        if function in self._returns:
            return self._returns[function]
        scope = self.facts.scopes.get(function)
        found: tuple[str, ...] | None = None
        if scope is not None and scope.kind == FUNCTION:
            nodes = list(_own_nodes(scope.node))
            returns = [n.value for n in nodes if isinstance(n, ast.Return) and n.value is not None]
            params = {*scope.params, *scope.kwonly}
            if returns and not any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in nodes) and all(
                    isinstance(r, ast.Name) and r.id in params for r in returns):
                found = tuple(sorted({r.id for r in returns}))
        self._returns[function] = found
        return found

    def _made_by_new(self, scope: Scope, param: str, where: str) -> list[Use]:
        """`res = cls.__new__(cls)` in a metaclass's `__call__` (fastcore's `PrePostInitMeta`): `res` is an
        instance of the class passed; the uses of `res` are made on that instance (`of` is `<new>`)."""
        made = {target.id for n in _own_nodes(scope.node) if isinstance(n, ast.Assign) and len(n.targets) == 1
                and isinstance(target := n.targets[0], ast.Name) and _is_new_of(n.value, param)}
        return [Use(u.scope, u.op, u.line, u.col, u.name, "<new>")
                for u in self._direct(scope, scope.node, made, where)] if made else []

    def called_parameters(self, scope: Scope) -> tuple[str, ...]:
        """The parameters a function's own body calls by name (`model_cls(**kwargs)`), remembered:
        asked on every call of an analysed function."""
        found = self._called.get(scope.name)
        if found is None:
            params = set(scope.params) | set(scope.kwonly)
            found = tuple(sorted({n.func.id for n in _own_nodes(scope.node) if isinstance(n, ast.Call)
                                  and isinstance(n.func, ast.Name) and n.func.id in params})) if params else ()
            self._called[scope.name] = found
        return found

    def remembered(self) -> dict[str, dict]:
        """What was found so far of functions by name (their uses, returned and called parameters,
        partial returns): kept with a solved part (see resume.py), whose syntax trees are not, so a
        resumed solve need not parse a module to ask again. `call_site`'s, by node, is not kept."""
        return {"uses": self._cache, "returns": self._returns, "partials": self._partials, "called": self._called}

    def remember(self, found: dict[str, dict]) -> None:
        """Take what `remembered` gave (of code as it was when found)."""
        for cache, kept in ((self._cache, "uses"), (self._returns, "returns"), (self._partials, "partials"),
                            (self._called, "called")):
            cache.update(found.get(kept, {}))

    def partial_returns(self, function: str) -> tuple[str, ...]:
        """The functions of its module a lower function gives back bound by keyword only, `return
        partial(_funcs_kwargs, as_method=as_method)` in `funcs_kwargs`: the later call runs them with its
        positional arguments unchanged. Remembered: the solver asks on every call of a lower function."""
        found = self._partials.get(function)
        if found is None:
            found = self._partials[function] = self._partial_returns(function)
        return found

    def _partial_returns(self, function: str) -> tuple[str, ...]:
        scope = self.facts.scopes.get(function)
        if scope is None or scope.kind != FUNCTION:
            return ()
        found = []
        for node in _own_nodes(scope.node):
            value = node.value if isinstance(node, ast.Return) else None
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "partial" \
                    and len(value.args) == 1 and isinstance(value.args[0], ast.Name) and value.keywords:
                target = self.facts.scopes.get(f"{scope.module}.{value.args[0].id}")
                if target is not None and target.kind == FUNCTION and target.parent is not None \
                        and target.parent.kind != CLASS and not target.patched_into:
                    found.append(target.name)
        return tuple(sorted(set(found)))

    def _direct(self, scope: Scope, node: ast.AST, names: set[str], where: str, attribute_of: str = "") -> list[Use]:
        """The uses of `names` (or of `<attribute_of>.<name>`, `self.func`) in one scope's own body."""
        uses: list[Use] = []

        def tracked(expression: ast.AST) -> bool:
            if attribute_of:
                return isinstance(expression, ast.Attribute) and expression.attr in names and \
                    isinstance(expression.value, ast.Name) and expression.value.id == attribute_of
            return isinstance(expression, ast.Name) and expression.id in names

        called = set()
        for sub in _own_nodes(node):
            if isinstance(sub, ast.Call):
                called.add(id(sub.func))
        for sub in _own_nodes(node):
            at = (sub.lineno, sub.col_offset + 1) if hasattr(sub, "lineno") else (0, 0)
            if isinstance(sub, ast.Call):
                func = sub.func
                if tracked(func):
                    uses.append(Use(where, "call", *at))
                elif isinstance(func, ast.Attribute) and tracked(func.value):
                    uses.append(Use(where, "method", *at, func.attr))
                elif isinstance(func, ast.Name) and sub.args and func.id not in scope.locals:
                    first = sub.args[0]
                    if func.id in _PROTOCOL and tracked(first):
                        uses.append(Use(where, _PROTOCOL[func.id], *at))
                    elif func.id in _ITERATING and any(tracked(a) for a in sub.args[1 if func.id in ("map", "filter")
                                                                                     else 0:]):
                        uses.append(Use(where, "iter", *at))
                        if func.id in _SIZING and tracked(first):  # `list(k)` sizes `k` first (its length hint)
                            uses.append(Use(where, "__len__", *at))
                    elif func.id in ("setattr", "getattr") and tracked(first):
                        name = sub.args[1] if len(sub.args) > 1 else None
                        constant = name.value if isinstance(name, ast.Constant) and isinstance(name.value, str) else ""
                        if func.id == "setattr" or constant:
                            uses.append(Use(where, func.id.replace("getattr", "attr"), *at, constant))
                        else:  # `getattr(o, attr)`: a name not known, `o.__getattr__` may run
                            uses.append(Use(where, "getattr", *at))
            elif isinstance(sub, ast.Attribute) and tracked(sub.value) and id(sub) not in called:
                uses.append(Use(where, "setattr" if isinstance(sub.ctx, ast.Store) else "attr", *at, sub.attr))
            elif isinstance(sub, ast.Subscript) and tracked(sub.value):
                uses.append(Use(where, "setitem" if isinstance(sub.ctx, ast.Store) else "getitem", *at))
            elif isinstance(sub, (ast.For, ast.AsyncFor, ast.comprehension)) and tracked(sub.iter):
                line, col = (sub.iter.lineno, sub.iter.col_offset + 1)
                uses.append(Use(where, "iter", line, col))
            elif isinstance(sub, (ast.For, ast.AsyncFor, ast.comprehension)) and not attribute_of and \
                    isinstance(sub.iter, ast.Attribute) and tracked(sub.iter.value):
                uses.append(Use(where, "iter", sub.iter.lineno, sub.iter.col_offset + 1, of=sub.iter.attr))
            elif isinstance(sub, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) and tracked(right)
                                                      for op, right in zip(sub.ops, sub.comparators)):
                uses.append(Use(where, "contains", *at))
        return uses

    def _handed_on(self, scope: Scope, param: str, hops: int) -> list[Use]:
        """`map_ex(self, f)` in `L.map`: the uses of the parameters of the callees it is handed to."""
        uses: list[Use] = []
        for sub in _own_nodes(scope.node):
            if not isinstance(sub, ast.Call):
                continue
            positions = [p for p, a in enumerate(sub.args) if isinstance(a, ast.Name) and a.id == param]
            keywords = [k.arg for k in sub.keywords if k.arg and isinstance(k.value, ast.Name) and k.value.id == param]
            if not positions and not keywords:
                uses += self._attribute_handed_on(scope, sub, param, hops)
                continue
            if any(isinstance(a, ast.Starred) for a in sub.args[:max(positions, default=0)]):
                continue  # `f(*xs, p)`: the position is not known
            called = sub.func.attr if isinstance(sub.func, ast.Attribute) else getattr(sub.func, "id", "")
            for callee, kind in self.facts.calls.get((scope.name, sub.lineno, sub.col_offset + 1), ()):
                target = self.facts.scopes.get(callee)
                if target is None or target.kind != FUNCTION or not _named(callee, kind, called):
                    continue
                offset = 1 if kind == "init" or (isinstance(sub.func, ast.Attribute) and target.is_method
                                                 and not target.static) else 0
                names = [target.params[p + offset] for p in positions if p + offset < len(target.params)]
                names += [k for k in keywords if k in target.params or k in target.kwonly]
                for name in names:
                    uses += self.uses(callee, name, hops + 1)
        return uses

    def _attribute_handed_on(self, scope: Scope, sub: ast.Call, param: str, hops: int) -> list[Use]:
        """`use_kwargs(cls._methods)` in `_funcs_kwargs`: the uses of the callee's parameter, made on that
        attribute of `param` (one attribute deep, positional only)."""
        uses: list[Use] = []
        for position, argument in enumerate(sub.args):
            if not (isinstance(argument, ast.Attribute) and isinstance(argument.value, ast.Name)
                    and argument.value.id == param) or any(isinstance(a, ast.Starred) for a in sub.args[:position]):
                continue
            called = sub.func.attr if isinstance(sub.func, ast.Attribute) else getattr(sub.func, "id", "")
            for callee, kind in self.facts.calls.get((scope.name, sub.lineno, sub.col_offset + 1), ()):
                target = self.facts.scopes.get(callee)
                if target is None or target.kind != FUNCTION or kind == "init" or target.is_method \
                        or not _named(callee, kind, called) or position >= len(target.params):
                    continue
                uses += [Use(u.scope, u.op, u.line, u.col, u.name, argument.attr)
                         for u in self.uses(callee, target.params[position], hops + 1) if not u.of and u.op != "new"]
        return uses

    def _stored_on_self(self, scope: Scope, param: str, hops: int) -> list[Use]:
        """`self.func = func` in a method: the uses of `self.func` in the class's methods."""
        if not scope.is_method or not scope.params or scope.parent is None or scope.parent.kind != CLASS:
            return []
        receiver = scope.params[0]
        stored: set[str] = set()
        for sub in _own_nodes(scope.node):
            if isinstance(sub, ast.Assign):
                for target in sub.targets:
                    pairs = zip(target.elts, sub.value.elts) if isinstance(target, ast.Tuple) and isinstance(
                        sub.value, ast.Tuple) and len(target.elts) == len(sub.value.elts) else [(target, sub.value)]
                    for left, right in pairs:
                        if isinstance(left, ast.Attribute) and isinstance(left.value, ast.Name) and \
                                left.value.id == receiver and isinstance(right, ast.Name) and right.id == param:
                            stored.add(left.attr)
        uses: list[Use] = []
        for method in self._methods(scope.parent.name) if stored else ():
            if method.params and not method.static:
                uses += self._direct(method, method.node, stored, method.name, attribute_of=method.params[0])
        return uses

    def _methods(self, klass: str) -> list[Scope]:
        prefix = klass + "."
        return [s for name, s in self.facts.scopes.items() if s.kind == FUNCTION and name.startswith(prefix)
                and s.parent is not None and s.parent.name == klass]


def call_site(scope: Scope, name: str, last: bool = False) -> tuple[int, int] | None:
    """(line, col) of the first (or last) call of the plain name `name` in a scope's own body."""
    calls = [n for n in _own_nodes(scope.node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id == name]
    first = (max if last else min)(calls, key=lambda n: (n.lineno, n.col_offset), default=None)
    return (first.lineno, first.col_offset + 1) if first is not None else None


def is_super_call(node: ast.Call) -> bool:
    """`super().__call__(...)`: in a metaclass, `type.__call__` making an instance of `cls`."""
    func = node.func
    return isinstance(func, ast.Attribute) and func.attr == "__call__" and isinstance(func.value, ast.Call) and \
        isinstance(func.value.func, ast.Name) and func.value.func.id == "super" and not func.value.args


def _is_new_of(value: ast.expr, param: str) -> bool:
    """`cls.__new__(cls)`."""
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "__new__" \
        and isinstance(value.func.value, ast.Name) and value.func.value.id == param and len(value.args) == 1 \
        and isinstance(value.args[0], ast.Name) and value.args[0].id == param


def _named(callee: str, kind: str, called: str) -> bool:
    """The solved callee carries the name the source calls (`bind(f)` -> `bind.__init__`): a lower
    layer's blurred call site (`copy(f)` solved to unrelated functions) hands nothing on."""
    parts = callee.split(".")
    return bool(called) and (parts[-2:-1] == [called] if kind == "init" else parts[-1] == called)


def _own_nodes(node: ast.AST):
    """The nodes of a scope's body, not those of the functions, classes and lambdas inside it (nor
    contexts and operators: `child_nodes`)."""
    stack: list[ast.AST] = list(node.body) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else [node]
    while stack:
        sub = stack.pop()
        yield sub
        if not isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack += child_nodes(sub)


def _nested_functions(scope: Scope) -> list[Scope]:
    """The functions defined directly in `scope`'s body (closures that see its parameters)."""
    found = []
    for sub in _own_nodes(scope.node):
        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append(Scope(f"{scope.name}.{sub.name}", FUNCTION, scope.module, sub, scope,
                               locals=_locals_of(sub)))
    return found


def _locals_of(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    args = node.args
    names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    names |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    names |= {n.id for n in _own_nodes(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return names
