"""Effective signatures of `@delegates` functions, worked out statically from the index.

fastcore's `@delegates(to)` replaces a function's `**kwargs` with the keyword parameters of `to`
that have a default and that the function does not already take (minus `but=[...]`), so
`inspect.signature(vision_learner)` lists `create_vision_model`'s options. This module does the
same from the indexed source, following chains (`to` may delegate in turn), without importing
anything. Where a target is not in the index (torch, a computed expression) it says so.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from navigator.queries import Symbol, source_lines, symbol_by_id
from tags.errors import UNPARSABLE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tags.names import Def, Names
    from tags.store import Index

# inspect.Parameter kinds, by the names inspect gives them, in the order kindsort uses
KIND_ORDER = ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD", "VAR_POSITIONAL", "KEYWORD_ONLY", "VAR_KEYWORD")
_NO_DEFAULT = None


@dataclass(slots=True)
class Parameter:
    name: str
    kind: str  # one of KIND_ORDER
    default: str | None  # source text of the default; None when there is none
    origin: str  # full name of the definition that declares it

    def as_json(self) -> dict:
        return {"name": self.name, "default": self.default, "kind": self.kind, "from": self.origin}

    def text(self) -> str:
        stars = {"VAR_POSITIONAL": "*", "VAR_KEYWORD": "**"}.get(self.kind, "")
        return f"{stars}{self.name}" + (f"={self.default}" if self.default is not None else "")


@dataclass(slots=True)
class Signature:
    """What `inspect.signature` would give, and what could not be followed statically."""

    owner: str
    parameters: list[Parameter] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # why a `**kwargs` could not be expanded

    def as_json(self) -> dict:
        return {"owner": self.owner, "parameters": [p.as_json() for p in self.parameters],
                "unresolved": self.unresolved}


@dataclass(slots=True)
class _Delegation:
    """The arguments of one `@delegates(...)` decorator."""

    to: str | None  # source text of the target; None for `@delegates()`
    keep: bool
    but: tuple[str, ...]


def parse_parameters(signature: str, origin: str) -> list[Parameter]:
    """`(dls, arch, n_out=None, *, pretrained=True, **kwargs) -> Learner` as `Parameter`s."""
    source = f"def _{signature}: pass"
    try:
        tree = ast.parse(source)
    except UNPARSABLE:
        return []
    args = tree.body[0].args  # type: ignore[attr-defined]
    positional = [*args.posonlyargs, *args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    found = []
    for i, (arg, default) in enumerate(zip(positional, defaults)):
        kind = KIND_ORDER[0] if i < len(args.posonlyargs) else KIND_ORDER[1]
        found.append(Parameter(arg.arg, kind, _text(default, source), origin))
    if args.vararg:
        found.append(Parameter(args.vararg.arg, "VAR_POSITIONAL", None, origin))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        found.append(Parameter(arg.arg, "KEYWORD_ONLY", _text(default, source), origin))
    if args.kwarg:
        found.append(Parameter(args.kwarg.arg, "VAR_KEYWORD", None, origin))
    return found


def _text(node: ast.AST | None, source: str) -> str | None:
    if node is None:
        return _NO_DEFAULT
    try:
        return ast.unparse(node)
    except RecursionError:  # a default 2,500 levels deep parses, but unparse recurses further: as written
        return ast.get_source_segment(source, node)


def parse_delegation(decorator: str) -> _Delegation | None:
    """`delegates(create_vision_model, but=['n_in'])` -> its arguments; None for other decorators."""
    name = decorator.split("(", 1)[0].strip()
    if name.rsplit(".", 1)[-1] != "delegates":
        return None
    try:
        call = ast.parse(decorator, mode="eval").body
    except UNPARSABLE:
        return None
    if not isinstance(call, ast.Call):
        return None
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    target = call.args[0] if call.args else keywords.get("to")
    to = None if target is None or (isinstance(target, ast.Constant) and target.value is None) else ast.unparse(target)
    keep = isinstance(keywords.get("keep"), ast.Constant) and bool(keywords["keep"].value)  # type: ignore[union-attr]
    return _Delegation(to, keep, _but(call.args[2] if len(call.args) > 2 else keywords.get("but")))


def _but(node: ast.AST | None) -> tuple[str, ...]:
    """`but=['a', 'b']` or `but='a, b'` (fastcore accepts both)."""
    try:
        value = ast.literal_eval(node) if node is not None else ()
    except ValueError:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(str(item) for item in value or ())


def _use_kwargs(result: Signature, decorator: str, origin: str) -> None:
    """fastcore's `@use_kwargs_dict(keep=False, **defaults)` / `@use_kwargs(names, keep=False)`."""
    try:
        call = ast.parse(decorator, mode="eval").body
    except UNPARSABLE:
        return
    if not isinstance(call, ast.Call):
        return
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    keep_node = keywords.pop("keep", None)
    keep = isinstance(keep_node, ast.Constant) and bool(keep_node.value)
    if decorator.startswith("use_kwargs_dict") or ".use_kwargs_dict" in decorator.split("(", 1)[0]:
        wanted = [(name, ast.unparse(value)) for name, value in keywords.items()]
    else:
        try:
            names = ast.literal_eval(call.args[0]) if call.args else []
        except ValueError:
            result.unresolved.append(f"@{decorator}: the names are not a literal")
            return
        wanted = [(str(name), "None") for name in names]
    taken = {p.name for p in result.parameters}
    kept = [p for p in result.parameters if keep or not (p.kind == "VAR_KEYWORD" and p.name == "kwargs")]
    added = [Parameter(name, "KEYWORD_ONLY", default, origin) for name, default in wanted if name not in taken]
    result.parameters = sorted(kept + added, key=lambda p: KIND_ORDER.index(p.kind))


class SignatureReader:
    """Effective signatures over one index; `Names` (tags.names) resolves what `to` names."""

    def __init__(self, index: Index, names: Names | None = None) -> None:
        if names is None:  # a caller that already holds the name tables (the LSP server) passes them
            from tags.names import Names

            names = Names(index)
        self.index = index
        self.names = names
        self._active: set[int] = set()

    def of(self, symbol: Symbol) -> Signature:
        if symbol.kind == "class":
            return self._class_signature(symbol)
        return self._function_signature(symbol)

    def rewritten(self, symbol: Symbol) -> Signature | None:
        """The effective signature where it differs from the written one, else None.

        Differs: fastcore's decorators replaced `**kwargs` with parameters of other definitions
        (or dropped it), or could not follow where `**kwargs` go. A class is compared with the
        `__init__` it reads; a class whose `__init__` is outside the index has nothing to say.
        """
        if symbol.kind not in ("function", "method", "model", "class"):
            return None
        written_by = self._init_of(self.names.defs[symbol.id]) if symbol.kind == "class" else symbol
        if written_by is None:
            return None
        signature = self.of(symbol)
        written = {(p.name, p.kind) for p in parse_parameters(written_by.signature, "")}
        effective = {(p.name, p.kind) for p in signature.parameters}
        dropped = any(kind == "VAR_KEYWORD" and (name, kind) not in effective for name, kind in written)
        return signature if signature.unresolved or dropped or effective - written else None

    # -- functions and classes -----------------------------------------------------------------
    def _function_signature(self, symbol: Symbol) -> Signature:
        result = Signature(symbol.full_name, parse_parameters(symbol.signature, symbol.full_name))
        delegation = next(filter(None, map(parse_delegation, symbol.decorators)), None)
        if delegation is not None:
            if delegation.to is None:
                result.unresolved.append(f"@delegates() on a function names no target ({symbol.full_name})")
            else:
                self._delegate(result, self._resolve(delegation.to, symbol.id), delegation, delegation.to)
        for decorator in reversed(symbol.decorators):  # applied bottom-up, as Python does
            if decorator.split("(", 1)[0].rsplit(".", 1)[-1] in ("use_kwargs_dict", "use_kwargs"):
                _use_kwargs(result, decorator, symbol.full_name)
        if symbol.name == "__init__":
            self._class_delegates(result, symbol)
            self._funcs_kwargs(result, symbol)
        if "classmethod" in symbol.flags and result.parameters:
            result.parameters = result.parameters[1:]  # bound to the class, as `inspect.signature(Cls.meth)`
        return result

    def _owner_class(self, method: Symbol) -> tuple[Def, tuple[str, ...]] | None:
        """The class a method is defined in, and that class's decorators."""
        d = self.names.defs[method.id]
        cls = self.names.defs.get(d.parent) if d.parent is not None else None
        if cls is None or cls.kind != "class":
            return None
        return cls, symbol_by_id(self.index, cls.id).decorators

    def _class_delegates(self, result: Signature, init: Symbol) -> None:
        """`@delegates()` on a class: its `__init__` takes the first base's `__init__` keywords."""
        owner = self._owner_class(init)
        delegation = next(filter(None, map(parse_delegation, owner[1])), None) if owner else None
        if owner is None or delegation is None or delegation.to is not None:
            return
        base = self._first_base(owner[0])
        target = self._init_of(base) if base is not None else None
        self._delegate(result, target, delegation, owner[0].bases[0] if owner[0].bases else "object")

    def _funcs_kwargs(self, result: Signature, init: Symbol) -> None:
        """fastcore's `@funcs_kwargs` class decorator: `__init__` takes each name in `_methods` (default None)."""
        owner = self._owner_class(init)
        if owner is None:
            return
        cls, decorators = owner
        if not any(text.split("(", 1)[0].rsplit(".", 1)[-1] == "funcs_kwargs" for text in decorators):
            return
        methods = self._string_list(cls, "_methods", depth=0)
        if methods is None:
            result.unresolved.append(f"@funcs_kwargs: cannot read {cls.qualname}._methods statically")
            return
        taken = {p.name for p in result.parameters}
        kept = [p for p in result.parameters if not (p.kind == "VAR_KEYWORD" and p.name == "kwargs")]
        added = [Parameter(n, "KEYWORD_ONLY", "None", f"{cls.module}.{cls.qualname}._methods")
                 for n in dict.fromkeys(methods) if n not in taken]
        result.parameters = sorted(kept + added, key=lambda p: KIND_ORDER.index(p.kind))

    def _string_list(self, cls: Def, name: str, depth: int) -> list[str] | None:
        """The value of a class attribute such as `_methods = _noop + 'a b'.split()`, when it is plain."""
        member = self.names.class_member(cls, name)
        if member is None and cls.parent is not None:  # a module-level name: `_methods = _events`
            member = next((v for k, v in self.names.scope_lookup(cls.parent, name) if k == "def"), None)
        if member is None or depth > 5:
            return None
        lines = source_lines(symbol_by_id(self.index, member))
        try:
            value = ast.parse("\n".join(line.strip() for line in lines)).body[0].value  # type: ignore[attr-defined]
        except (*UNPARSABLE, IndexError, AttributeError):
            return None
        return self._evaluate(value, cls, depth)

    def _evaluate(self, node: ast.AST, cls: Def, depth: int) -> list[str] | None:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._evaluate(node.left, cls, depth), self._evaluate(node.right, cls, depth)
            return left + right if left is not None and right is not None else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "split" \
                and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str):
            return node.func.value.value.split()
        if isinstance(node, ast.Name):
            return self._string_list(cls, node.id, depth + 1)
        try:
            value = ast.literal_eval(node)
        except ValueError:
            return None
        return [str(item) for item in value] if isinstance(value, (list, tuple)) else None

    def _class_signature(self, symbol: Symbol) -> Signature:
        """Like `inspect.signature(cls)`: its `__init__` without `self`, `@delegates` on the class applied."""
        cls = self.names.defs[symbol.id]
        init = self._init_of(cls)
        if init is None:
            reason = [] if not cls.bases else [f"the __init__ of {symbol.full_name} is not in the index"]
            return Signature(symbol.full_name, unresolved=reason)
        result = self.of(init)
        delegation = next(filter(None, map(parse_delegation, symbol.decorators)), None)
        if delegation is not None and delegation.to is not None:  # `@delegates()`: applied to __init__
            target = self._resolve(delegation.to, cls.parent if cls.parent is not None else cls.id)
            self._delegate(result, target, delegation, delegation.to)
        result.owner = symbol.full_name
        result.parameters = result.parameters[1:] if result.parameters and result.parameters[0].kind != "VAR_POSITIONAL" else result.parameters
        return result

    def _delegate(self, result: Signature, target: Symbol | None, delegation: _Delegation, what: str) -> None:
        """Replace `**kwargs` with the target's defaulted parameters, as fastcore's `delegates` does."""
        kwargs = next((p for p in result.parameters if p.kind == "VAR_KEYWORD" and p.name == "kwargs"), None)
        if kwargs is None:
            return
        if target is None:
            result.unresolved.append(f"**kwargs go to {what}, which is not in the index")
            return
        if target.id in self._active:
            result.unresolved.append(f"@delegates cycle through {target.full_name}")
            return
        self._active.add(target.id)
        try:
            inner = self.of(target)
        finally:
            self._active.discard(target.id)
        result.unresolved += inner.unresolved
        taken = {p.name for p in result.parameters} | set(delegation.but)
        added = [Parameter(p.name, "KEYWORD_ONLY", p.default, p.origin) for p in inner.parameters
                 if p.default is not None and p.name not in taken]
        kept = [p for p in result.parameters if delegation.keep or p is not kwargs]
        result.parameters = sorted(kept + added, key=lambda p: KIND_ORDER.index(p.kind))  # stable: kindsort

    # -- resolution ----------------------------------------------------------------------------
    def _resolve(self, text: str, scope_id: int) -> Symbol | None:
        """The indexed function or class an expression such as `Learner.__init__` names."""
        parts = text.split(".")
        if not all(part.isidentifier() for part in parts):
            return None
        start = self.names.defs[scope_id]
        where = start.parent if start.kind in ("function", "method", "model") and start.parent is not None else scope_id
        for kind, value in self.names.resolve_dotted(parts, where):
            if kind != "def":
                continue
            d = self.names.defs[value]
            if d.kind == "variable" and d.alias_of:
                followed = [v for k, v in self.names.follow_alias(d) if k == "def"]
                d = self.names.defs[followed[0]] if followed else d
            if d.kind in ("function", "method", "model", "class"):
                return symbol_by_id(self.index, d.id)
        return None

    def _init_of(self, cls: Def) -> Symbol | None:
        init = self.names.class_member(cls, "__init__")
        return symbol_by_id(self.index, init) if init is not None else None

    def _first_base(self, cls: Def) -> Def | None:
        """`cls.__base__`, as far as the index knows it (the first class after it in the MRO)."""
        order = self.names.mro(cls)
        return self.names.defs[order[1]] if len(order) > 1 else None


def signature_text(signature: Signature) -> str:
    """`(dls, arch, ..., *, cut=None, ...)` in Python syntax, with a `*` before keyword-only ones."""
    parts: list[str] = []
    for parameter in signature.parameters:
        if parameter.kind == "KEYWORD_ONLY" and not any(p in ("*",) or p.startswith("*") and not p.startswith("**") for p in parts):
            parts.append("*")
        parts.append(parameter.text())
    return f"({', '.join(parts)})"
