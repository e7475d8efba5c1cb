"""The scopes of a program: modules, classes, functions and lambdas, with the names each binds.

Collected once from Python's `ast` before solving, so the solver's passes only evaluate.
A scope's qualified name is what the call graph prints: `main.A.func`, `main.func.<lambda1>`.
"""
from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

MODULE, CLASS, FUNCTION, LAMBDA = "module", "class", "function", "lambda"
MAX_AST_DEPTH = 400  # deeper expressions (generated code) are not walked: no RecursionError


@dataclass
class Scope:
    """One scope: its body and what it binds locally (parameters included)."""

    name: str  # qualified: `pkg.mod.Cls.meth`
    kind: str
    module: str
    node: ast.AST
    parent: "Scope | None"
    locals: set[str] = field(default_factory=set)
    globals: set[str] = field(default_factory=set)  # names declared `global` / `nonlocal`
    params: list[str] = field(default_factory=list)  # positional, in order
    vararg: str = ""
    kwarg: str = ""
    kwonly: list[str] = field(default_factory=list)
    decorators: list[str] = field(default_factory=list)  # the decorators' last dotted names
    line: int = 1
    patched_into: list[str] = field(default_factory=list)  # classes a fastcore `@patch` adds it to

    def __getattr__(self, name: str) -> object:
        """A resumed program's scope is kept without its `node` until it is first asked for: then its
        module is parsed again (`Program.load`, set as `_loader`). Other scopes never get here."""
        loader = self.__dict__.get("_loader")
        if name == "node" and loader is not None:
            del self.__dict__["_loader"]
            loader(self.module)
            if "node" in self.__dict__:
                return self.__dict__["node"]
        raise AttributeError(name)

    def give_node(self, node: ast.AST | None) -> None:
        """Set the node (None: kept without one), and forget any `read_later` loader."""
        self.__dict__.pop("_loader", None)
        self.node = node

    def read_later(self, loader: Callable[[str], None]) -> None:
        """Drop the node, to be read by `loader(module)` when asked for (see `__getattr__`)."""
        self.__dict__.pop("node", None)
        self.__dict__["_loader"] = loader

    @property
    def is_method(self) -> bool:
        return self.kind == FUNCTION and (self.parent is not None and self.parent.kind == CLASS or bool(self.patched_into))

    @property
    def owners(self) -> list[str]:
        """The classes this method belongs to: its class, or the classes it is patched into."""
        if self.parent is not None and self.parent.kind == CLASS:
            return [self.parent.name]
        return self.patched_into

    @property
    def static(self) -> bool:
        return "staticmethod" in self.decorators

    @property
    def classmethod(self) -> bool:
        return "classmethod" in self.decorators


@dataclass
class ModuleSummary:
    """A module solved in a lower layer, as the code above it sees it: each name's values, with
    the definitions there turned into outside names (`("e", "fastcore.foundation.L", "")`)."""

    names: dict[str, set[tuple]] = field(default_factory=dict)
    star: list[str] = field(default_factory=list)  # what `from module import *` binds


@dataclass
class LayerFacts:
    """What the layers below know of their classes and functions, for the code above to use:
    the classes' bases, members and attribute values (`L.__iter__`), the classes' metaclasses,
    what functions return, and their scopes' facts (decorators, methods). Values passed in
    from above are never added: each layer is still solved on its own."""

    pts: dict[str, set[tuple]] = field(default_factory=dict)  # `Cls.attr` and `func.<return>`
    bases: dict[str, list[tuple]] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)
    metaclasses: dict[str, set[tuple]] = field(default_factory=dict)
    scopes: dict[str, Scope] = field(default_factory=dict)
    delegates: dict[str, str] = field(default_factory=dict)
    calls: dict[tuple[str, int, int], set[tuple[str, str]]] = field(default_factory=dict)  # site -> (callee, kind)


@dataclass
class Program:
    """Every scope by qualified name, the module scopes, and the scope each AST node opens."""

    modules: dict[str, Scope] = field(default_factory=dict)
    scopes: dict[str, Scope] = field(default_factory=dict)
    scope_of_node: dict[int, Scope] = field(default_factory=dict)
    packages: set[str] = field(default_factory=set)  # modules that are packages (`__init__.py`)
    exports: dict[str, list[str]] = field(default_factory=dict)  # module -> its literal `__all__`
    delegates: dict[str, str] = field(default_factory=dict)  # class -> fastcore GetAttr's `_default = 'attr'`
    below: dict[str, ModuleSummary] = field(default_factory=dict)  # modules solved in a layer below this one
    facts: LayerFacts = field(default_factory=LayerFacts)  # the classes and functions of those layers
    # a resumed program's modules whose syntax trees are read again when first needed (see `load`)
    unread: dict[str, str] = field(default_factory=dict)  # module -> its source text

    def add_module(self, module: str, tree: ast.Module, is_package: bool = False) -> None:
        scope = Scope(module, MODULE, module, tree, None)
        self.modules[module] = scope
        self.scopes[module] = scope
        if is_package:
            self.packages.add(module)
        exported = _literal_all(tree)
        if exported is not None:
            self.exports[module] = exported
        _Collector(self, scope).visit_body(tree.body)

    def load(self, module: str) -> None:
        """Read a resumed program's module again (see tags/pointsto/resume.py): its scopes were kept
        without their syntax trees, which a scope needs only to run."""
        text = self.unread.pop(module, None)
        if text is not None:
            self.attach(module, ast.parse(text))

    def attach(self, module: str, tree: ast.Module) -> None:
        """Give `module`'s kept scopes the nodes of `tree`, and add the scopes it has that they lack.

        The tree is collected afresh, as a solve would (lambda numbers, redefinitions), then each
        fresh scope with a kept namesake hands it its node and the names it binds; the kept one
        stays, with what the solver learned of it (`patched_into`)."""
        fresh = Program()
        fresh.add_module(module, tree, module in self.packages)
        kept: dict[int, Scope] = {}  # id of a fresh scope -> the kept scope standing for it
        for name, scope in fresh.scopes.items():
            known = self.scopes.get(name)
            if known is None:
                self.scopes[name] = scope
                continue
            known.give_node(scope.node)
            known.line = scope.line  # moved, when code was inserted above it
            known.locals |= scope.locals
            known.globals |= scope.globals
            kept[id(scope)] = known
        for scope in fresh.scope_of_node.values():
            if id(scope) not in kept and scope.parent is not None:
                scope.parent = kept.get(id(scope.parent), scope.parent)
        for node_id, scope in fresh.scope_of_node.items():
            self.scope_of_node[node_id] = kept.get(id(scope), scope)
        for klass, default in fresh.delegates.items():
            self.delegates.setdefault(klass, default)


def _literal_all(tree: ast.Module) -> list[str] | None:
    """The names a module's top-level `__all__ = [...]` (and `+=`) lists, when they are literal strings."""
    names: list[str] | None = None
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in statement.targets):
            names = []
            value = statement.value
        elif isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name) and statement.target.id == "__all__":
            value = statement.value
            names = names or []
        else:
            continue
        if isinstance(value, (ast.List, ast.Tuple)):
            names += [e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return names


class _Collector:
    """Walks one scope's body: local names, nested scopes (each collected in turn), lambda names."""

    def __init__(self, program: Program, scope: Scope) -> None:
        self.program = program
        self.scope = scope
        self.lambdas = 0

    def visit_body(self, body: list[ast.stmt]) -> None:
        for statement in body:
            self.visit(statement, 0)

    def open(self, node: ast.AST, name: str, kind: str) -> Scope:
        qualified = f"{self.scope.name}.{name}"
        child = Scope(qualified, kind, self.scope.module, node, self.scope, line=getattr(node, "lineno", 1))
        self.program.scopes.setdefault(qualified, child)
        self.program.scope_of_node[id(node)] = child
        return child

    def visit(self, node: ast.AST, depth: int) -> None:
        if depth > MAX_AST_DEPTH or type(node) in _INERT:
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.scope.locals.add(node.name)
            for decorator in node.decorator_list:
                self.visit(decorator, depth + 1)
            extra = node.bases + [k.value for k in node.keywords] if isinstance(node, ast.ClassDef) else \
                node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
            for expression in extra:
                self.visit(expression, depth + 1)
            kind = CLASS if isinstance(node, ast.ClassDef) else FUNCTION
            child = self.open(node, f"{node.name}.<setter>" if _is_setter(node) else node.name, kind)
            child.decorators = [ast.unparse(d).split("(")[0].rsplit(".", 1)[-1] for d in node.decorator_list]
            if kind == FUNCTION:
                _parameters(child, node.args)
            else:
                default = _delegate_attribute(node)
                if default:
                    self.program.delegates[child.name] = default
            _Collector(self.program, child).visit_body(node.body)
            return
        if isinstance(node, ast.Lambda):
            self.lambdas += 1
            for default in node.args.defaults:
                self.visit(default, depth + 1)
            child = self.open(node, f"<lambda{self.lambdas}>", LAMBDA)
            _parameters(child, node.args)
            _Collector(self.program, child).visit(node.body, depth + 1)
            return
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            self.scope.globals.update(node.names)
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                self.scope.locals.add(node.id)
            return  # its only child is the context
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    self.scope.locals.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            self.scope.locals.add(node.name)
        for child in child_nodes(node):
            self.visit(child, depth + 1)


# nodes with nothing to collect below them: constants, contexts (`Load`), operators
_INERT = frozenset({ast.Constant, ast.Load, ast.Store, ast.Del, ast.Pass, ast.Break, ast.Continue,
                    *ast.operator.__subclasses__(), *ast.boolop.__subclasses__(), *ast.unaryop.__subclasses__(),
                    *ast.cmpop.__subclasses__()})
_FIELDS: dict[type, tuple[str, ...]] = {}  # node class -> the fields that can hold nodes to collect


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """`ast.iter_child_nodes` in the same order, less contexts and operators (a fifth of all nodes)."""
    fields = _FIELDS.get(type(node))
    if fields is None:
        fields = _FIELDS[type(node)] = tuple(f for f in node._fields if f not in ("ctx", "op", "ops"))
    found: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            found += [item for item in value if isinstance(item, ast.AST)]
        elif isinstance(value, ast.AST):
            found.append(value)
    return found


def _is_setter(node: ast.AST) -> bool:
    """`@name.setter def name(self, v)`: a scope of its own (`Cls.name.<setter>`), apart from the getter."""
    return not isinstance(node, ast.ClassDef) and any(
        isinstance(d, ast.Attribute) and d.attr == "setter" and isinstance(d.value, ast.Name) and d.value.id == node.name
        for d in node.decorator_list)


def _delegate_attribute(node: ast.ClassDef) -> str:
    """`_default = 'model'` in a class body (fastcore's GetAttr delegates missing attributes to it), also
    in a tuple assignment (`order,_default,learn = 0,'learn',None`, fastai's Callback)."""
    for statement in node.body:
        if not isinstance(statement, ast.Assign):
            continue
        for target in statement.targets:
            pairs = zip(target.elts, statement.value.elts) if isinstance(target, ast.Tuple) and isinstance(
                statement.value, ast.Tuple) and len(target.elts) == len(statement.value.elts) else [(target, statement.value)]
            for name, value in pairs:
                if isinstance(name, ast.Name) and name.id == "_default" and isinstance(value, ast.Constant):
                    return value.value if isinstance(value.value, str) else ""
    return ""


def _parameters(scope: Scope, args: ast.arguments) -> None:
    scope.params = [a.arg for a in args.posonlyargs + args.args]
    scope.kwonly = [a.arg for a in args.kwonlyargs]
    scope.vararg = args.vararg.arg if args.vararg else ""
    scope.kwarg = args.kwarg.arg if args.kwarg else ""
    scope.locals.update(scope.params, scope.kwonly, [n for n in (scope.vararg, scope.kwarg) if n])
