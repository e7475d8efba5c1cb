"""What the name under the cursor means: nav's resolution plus a small flow analysis.

Names resolve through the index (`tags.names.Names`: module namespaces, star imports, class
MROs with `@patch` methods). Local variables get a type from what was assigned to them:
`learn = vision_learner(dls, resnet34)` makes `learn` whatever `vision_learner` returns, read
from its return annotation or, failing that, from its `return` statements (`return learn`
after `learn = Learner(...)`), followed a few calls deep. What cannot be typed falls back
to the call graph (indexed files), then to nav's by-name match over method names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from navigator.lsp.source import SCOPE_TYPES, Source, enclosing_scopes, text_of
from navigator.outline import call_target
from navigator.queries import symbol_by_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from tree_sitter import Node

    from navigator.queries import Symbol
    from navigator.signature import Signature, SignatureReader
    from tags.names import Names
    from tags.store import Index

MAX_DEPTH = 8  # calls followed to type a value; deeper chains stay unknown
MAX_NESTING = 60  # nested inferences across lookups and returns; past it a value stays unknown
MAX_BY_NAME = 8  # a method name in more classes than this says nothing
_RETURNS = re.compile(r"\)\s*->\s*(.+?)\s*$")


@dataclass
class Value:
    """Something a name can mean.

    kind: `def` (an indexed definition), `instance` (an object of an indexed class),
    `module`, `node` (a def/class in a parsed text outside the index), `node-instance`,
    `local` (a binding site in a text: an assignment target, a parameter).
    """

    kind: str
    def_id: int | None = None
    module: str = ""
    source: Source | None = None
    node: Node | None = None


@dataclass
class Found:
    """A name looked up in a text: what it means, and where it was bound there (if it was)."""

    values: list[Value]
    where: Node | None = None


class Resolver:
    """Resolves names in sources against one snapshot of the index (rebuild it after a refresh)."""

    def __init__(self, index: Index, names: Names, read_text: Callable[[str], str | None]) -> None:
        self.index = index
        self.names = names
        self.read_text = read_text  # an open editor buffer's text, else the file on disk
        self._sources: dict[str, Source] = {}
        self._returns: dict[int, list[Value]] = {}
        self._active: set[int] = set()
        self._attributes_active: set[tuple[int, str]] = set()
        self._nesting = 0  # inferences in progress: lookups start again at depth 0, this bounds them all
        self._lines: dict[str, dict[int, int]] = {}
        self._hits: dict[int, Symbol | None] = {}
        self._signatures: SignatureReader | None = None

    # -- entry points --------------------------------------------------------------------------
    def definition(self, source: Source, line: int, column: int) -> list[Value]:
        """What the identifier at a 0-based line and byte column refers to."""
        node = source.node_at(line, column)
        if node is None or node.type != "identifier":
            return []
        parent = node.parent
        name = text_of(node)
        if parent is not None and parent.type == "attribute" and parent.child_by_field_name("attribute") == node:
            return self._attribute(source, parent, name, line, column)
        if parent is not None and parent.type in ("function_definition", "class_definition"):
            own = self._own_def(source, parent)
            return [own] if own is not None else [Value("local", source=source, node=node)]
        if parent is not None and parent.type == "keyword_argument" and parent.child_by_field_name("name") == node:
            return []
        if parent is not None and parent.type == "assignment" and parent.child_by_field_name("left") == node:
            return [Value("local", source=source, node=node)]  # the binding site itself
        imported = self._in_import(source, node)
        if imported is not None:
            return imported
        found = self.lookup(source, name, node)
        if found.where is not None:
            return [Value("local", source=source, node=found.where)]
        return found.values

    def hit(self, value: Value) -> Symbol | None:
        """The index record of a `def`, `instance` or `module` value."""
        def_id = value.def_id
        if value.kind == "module":
            def_id = self.names.modules.get(value.module)
        if def_id is None:
            return None
        if def_id not in self._hits:
            self._hits[def_id] = symbol_by_id(self.index, def_id)
        return self._hits[def_id]

    def signature(self, hit: Symbol) -> Signature | None:
        """`hit`'s effective signature where fastcore's `@delegates` & co. rewrote it (navigator.signature)."""
        if self._signatures is None:
            from navigator.signature import SignatureReader

            self._signatures = SignatureReader(self.index, self.names)
        return self._signatures.rewritten(hit)

    def def_in_source(self, source: Source, line: int, column: int) -> int | None:
        """The indexed definition at a position: the one the cursor names, or defines."""
        for value in self.definition(source, line, column):
            if value.kind in ("def", "instance"):
                return value.def_id
        return None

    # -- attributes ----------------------------------------------------------------------------
    def _attribute(self, source: Source, node: Node, name: str, line: int, column: int) -> list[Value]:
        found = [m for v in self.infer(source, node.child_by_field_name("object")) for m in self.member(v, name)]
        if found:
            return found[:1]
        if source.indexed:
            hit = call_target(self.index, source.path, line + 1, column)
            if hit is not None:
                return [Value("def", hit.id)]
        return self.by_name(name, text_of(node.child_by_field_name("object")), source.module)

    def by_name(self, name: str, receiver: str, module: str) -> list[Value]:
        """The method called `name` an object of unknown type most likely has, as nav trace guesses."""
        candidates = self.names.methods_named.get(name, ())
        if not candidates or len(candidates) > MAX_BY_NAME:
            return []
        hint = receiver.rpartition(".")[2].strip("_").lower().rstrip("s")
        package = module.split(".")[0]

        def rank(method_id: int) -> tuple:
            d = self.names.defs[method_id]
            owner = d.qualname.rpartition(".")[0].lower()
            return (not (len(hint) > 2 and hint in owner), d.module.split(".")[0] != package,
                    d.qualname.startswith("_"), d.module, d.line)

        return [Value("def", min(candidates, key=rank))]

    def member(self, value: Value, name: str) -> list[Value]:
        """`value.name`: through modules, classes (MRO and @patch methods) and aliases."""
        names = self.names
        if value.kind == "module":
            return self._bindings(names.module_attribute(value.module, name))
        if value.kind in ("def", "instance") and value.def_id is not None:
            d = names.defs[value.def_id]
            if d.kind == "class":
                found = names.class_member(d, name)
                if found is not None:
                    return [Value("def", found)]
                return self._instance_attribute(d.id, name) if value.kind == "instance" else []
            if d.kind == "module":
                return self._bindings(names.module_attribute(d.qualname, name))
            if d.kind == "variable" and d.alias_of and value.kind == "def":
                return self._bindings(names.attribute(("def", d.id), name))
            return []
        if value.kind in ("node", "node-instance") and value.node is not None and value.source is not None:
            return self._node_member(value.source, value.node, name)
        return []

    def _instance_attribute(self, class_id: int, name: str) -> list[Value]:
        """`obj.name` where the class's methods assign `self.name = ...`: what was assigned."""
        key = (class_id, name)
        if key in self._attributes_active:
            return []
        self._attributes_active.add(key)
        try:
            for owner in self.names.mro(self.names.defs[class_id]):
                hit = self.hit(Value("def", owner))
                source = self.file_source(hit.path, hit.module) if hit is not None else None
                node = source.function_at_line(hit.line) if source is not None else None
                assigned = [r for r in _self_assignments(node, name) if r.type != "none"] if node is not None else []
                if assigned:  # every assignment must be typed: one that is not says what was found is partial
                    found = [self.infer(source, right) for right in assigned]
                    return [v for values in found for v in values] if all(found) else []
        finally:
            self._attributes_active.discard(key)
        return []

    def _node_member(self, source: Source, cls: Node, name: str) -> list[Value]:
        """A member of a class defined outside the index: its own body, then its bases."""
        if cls.type != "class_definition":
            return []
        body = cls.child_by_field_name("body")
        bound = _bindings_in(body, name) if body is not None else []
        if bound:
            return self._binding_values(source, bound[-1], cls)
        superclasses = cls.child_by_field_name("superclasses")
        for base in superclasses.named_children if superclasses is not None else []:
            if base.type == "keyword_argument":  # `metaclass=...`
                continue
            for value in self.infer(source, base):
                found = self.member(value, name)
                if found:
                    return found
        return []

    # -- names -----------------------------------------------------------------------------------
    def lookup(self, source: Source, name: str, at: Node) -> Found:
        """`name` as seen at `at`: parameters and assignments of enclosing functions, then the module."""
        for scope in enclosing_scopes(source, at):
            if scope.type != "function_definition":
                continue
            body = scope.child_by_field_name("body")
            before = [b for b in _bindings_in(body, name) if b.end_byte <= at.start_byte] if body else []
            narrowed = self.narrowed(source, name, at, before[-1] if before else None)
            if before:
                return Found(narrowed or self._binding_values(source, before[-1], at), _target(before[-1]))
            param = _parameter(scope, name)
            if param is not None:
                return Found(narrowed or self._parameter_values(source, scope, param), param)
        bound = _bindings_in(source.tree.root_node, name)
        earlier = [b for b in bound if b.end_byte <= at.start_byte] or [
            b for b in bound if not b.start_byte <= at.start_byte < b.end_byte]  # `x = f(x)`: not itself
        narrowed = self.narrowed(source, name, at, earlier[-1] if earlier else None)
        if earlier:
            return Found(narrowed or self._binding_values(source, earlier[-1], at), _target(earlier[-1]))
        return Found(narrowed or self._global(source, name))

    def narrowed(self, source: Source, expression: str, at: Node, binding: Node | None = None) -> list[Value]:
        """Instances of the indexed classes an `isinstance(expression, ...)` test around `at` admits.

        Only a test that holds at `at`: `at` is in the body of its `if` (or the value of a
        conditional expression), no function boundary in between, and the name was not bound
        again after the test (`binding`: its last binding before `at`; for `self.attr`, an
        assignment to it in the guarded code).
        """
        for test, guarded in _guards(source, at):
            if binding is not None and binding.start_byte >= guarded.start_byte or _assigned_before(guarded, expression, at):
                return []  # rebound inside the guarded code: the binding says more
            classes = _isinstance_classes(test, expression)
            if classes is not None:
                found = [_instance(v) for c in classes for v in self.infer(source, c) if _is_class(self, v)]
                if found:
                    return found
        return []

    def _global(self, source: Source, name: str) -> list[Value]:
        """A module-level name bound by an import (or a star import), as the index resolves it."""
        names = self.names
        if source.indexed and source.module in names.modules:
            return self._bindings(names.namespace(source.module).get(name, []))
        _, imports = source.extraction()
        for record in reversed(imports):
            if record.scope == 0 and record.name != "*" and record.alias == name:
                return self._bindings(names.import_binding(record.module, record.name))
        for record in reversed(imports):
            if record.scope == 0 and record.name == "*":
                found = names.star_names(record.module).get(name)
                if found:
                    return self._bindings(found)
        return []

    def _in_import(self, source: Source, node: Node) -> list[Value] | None:
        """An identifier inside an import statement: the module, or the imported name."""
        statement = next((holder for holder in source.ancestors(node) if holder.type in (
            "import_statement", "import_from_statement", "module", *SCOPE_TYPES)), None)
        if statement is None or statement.type not in ("import_statement", "import_from_statement"):
            return None
        _, imports = source.extraction()
        records = [r for r in imports if r.line == statement.start_point[0] + 1]
        dotted = node.parent if node.parent is not None and node.parent.type == "dotted_name" else node
        module_field = statement.child_by_field_name("module_name")
        in_module = module_field is not None and module_field.start_byte <= node.start_byte < module_field.end_byte
        if in_module and records:  # the record holds the absolute name of a relative import
            after = text_of(module_field)[node.end_byte - module_field.start_byte:].count(".")
            return [Value("module", module=records[0].module.rsplit(".", after)[0] if after else records[0].module)]
        if statement.type == "import_statement" and dotted.type == "dotted_name":
            return [Value("module", module=text_of(dotted)[: node.end_byte - dotted.start_byte])]
        name = text_of(node)
        for record in records:
            if name in (record.name, record.alias) and record.name != "*":
                return self._bindings(self.names.import_binding(record.module, record.name))
        return []

    # -- typing values ---------------------------------------------------------------------------
    def infer(self, source: Source, expr: Node | None, depth: int = 0) -> list[Value]:
        """What an expression evaluates to, as far as the flow analysis can tell."""
        if expr is None or depth > MAX_DEPTH or self._nesting > MAX_NESTING:
            return []
        self._nesting += 1
        try:
            return self._infer(source, expr, depth)
        finally:
            self._nesting -= 1

    def _infer(self, source: Source, expr: Node, depth: int) -> list[Value]:
        if expr.type == "identifier":
            return self.lookup(source, text_of(expr), expr).values
        if expr.type == "attribute":
            name = text_of(expr.child_by_field_name("attribute"))
            narrowed = self.narrowed(source, text_of(expr), expr)
            if narrowed:
                return narrowed
            objects = self.infer(source, expr.child_by_field_name("object"), depth + 1)
            if name == "__class__":
                return [c for c in map(_class_of, objects) if c is not None]
            return [m for v in objects for m in self.member(v, name)]
        if expr.type == "call":
            function = expr.child_by_field_name("function")
            if _is_type_call(expr) and not self.lookup(source, "type", expr).values:  # the builtin `type(x)`
                argument = expr.child_by_field_name("arguments").named_children[0]
                return [c for c in map(_class_of, self.infer(source, argument, depth + 1)) if c is not None]
            return [r for v in self.infer(source, function, depth + 1) for r in self.call_result(v)]
        if expr.type == "parenthesized_expression" and expr.named_children:
            return self.infer(source, expr.named_children[0], depth + 1)
        if expr.type == "conditional_expression" and len(expr.named_children) == 3:  # `a if test else b`: either
            body, _, alternative = expr.named_children
            return self.infer(source, body, depth + 1) + self.infer(source, alternative, depth + 1)
        return []

    def call_result(self, value: Value) -> list[Value]:
        """What calling `value` returns: an instance for a class, a function's return value."""
        if value.kind == "def" and value.def_id is not None:
            d = self.names.defs[value.def_id]
            if d.kind == "class":
                return [Value("instance", d.id)]
            if d.kind in ("function", "method", "model"):
                return self.returns_of(d.id)
            if d.kind == "variable" and d.alias_of:
                return [r for b in self._bindings(self.names.follow_alias(d)) for r in self.call_result(b)]
        if value.kind == "node" and value.node is not None and value.source is not None:
            if value.node.type == "class_definition":
                return [Value("node-instance", source=value.source, node=value.node)]
            return self._node_returns(value.source, value.node)
        return []

    def returns_of(self, def_id: int) -> list[Value]:
        """What an indexed function returns: its return annotation, else its `return` statements."""
        if def_id in self._returns:
            return self._returns[def_id]
        if def_id in self._active or len(self._active) > MAX_DEPTH:
            return []
        self._active.add(def_id)
        try:
            found = self._annotated_return(def_id) or self._body_returns(def_id)
        finally:
            self._active.discard(def_id)
        self._returns[def_id] = found
        return found

    def _annotated_return(self, def_id: int) -> list[Value]:
        d = self.names.defs[def_id]
        match = _RETURNS.search(d.signature)
        annotation = match.group(1).strip("'\"").split("[")[0] if match else ""
        if not annotation.replace(".", "").replace("_", "").isalnum():
            return []
        bindings = self.names.resolve_dotted(annotation.split("."), def_id)
        return [Value("instance", v) for kind, v in bindings if kind == "def" and self.names.defs[v].kind == "class"]

    def _body_returns(self, def_id: int) -> list[Value]:
        hit = self.hit(Value("def", def_id))
        if hit is None:
            return []
        source = self.file_source(hit.path, hit.module)
        node = source.function_at_line(hit.line) if source is not None else None
        return self._node_returns(source, node) if node is not None else []

    def _node_returns(self, source: Source, function: Node) -> list[Value]:
        annotation = function.child_by_field_name("return_type")
        if annotation is not None:
            typed = self._annotation_values(source, annotation, function)
            if typed:
                return typed
        body = function.child_by_field_name("body")
        for statement in _returns_in(body) if body is not None else []:
            values = self.infer(source, statement.named_children[0] if statement.named_children else None)
            if values:
                return values
        return []

    def _annotation_values(self, source: Source, annotation: Node, at: Node) -> list[Value]:
        """Instances of the class an annotation names (`DataLoaders`, `'Learner'`, `data.DataLoaders`)."""
        text = text_of(annotation).strip("'\"").split("[")[0].strip()
        parts = text.split(".")
        if not all(part.isidentifier() for part in parts):
            return []
        values = self.lookup(source, parts[0], at).values
        for part in parts[1:]:
            values = [m for v in values for m in self.member(v, part)]
        return [_instance(v) for v in values if _is_class(self, v)]

    def _parameter_values(self, source: Source, function: Node, param: Node) -> list[Value]:
        """A parameter's type: its annotation; `self`/`cls` as the first parameter of a method."""
        annotation = param.parent.child_by_field_name("type") if param.parent is not None else None
        if annotation is not None and param.parent.type in ("typed_parameter", "typed_default_parameter"):
            return self._annotation_values(source, annotation, function)
        name = text_of(param)
        params = function.child_by_field_name("parameters")
        first = params.named_children[0] if params is not None and params.named_children else None
        owner = _owning_class(function)
        if owner is None or first is None or param not in (first, first.child_by_field_name("name")) \
                or name not in ("self", "cls"):
            return []
        cls = self._own_def(source, owner) or Value("node", source=source, node=owner)
        return [cls] if name == "cls" else [_instance(cls)]

    def _binding_values(self, source: Source, binding: Node, at: Node) -> list[Value]:
        """What a binding site assigns: a def/class statement, an annotated or plain assignment."""
        if binding.type in ("function_definition", "class_definition"):
            return [self._own_def(source, binding) or Value("node", source=source, node=binding)]
        if binding.type == "assignment":
            annotation = binding.child_by_field_name("type")
            if annotation is not None:
                return self._annotation_values(source, annotation, at)
            right = binding.child_by_field_name("right")
            while right is not None and right.type == "assignment":  # a = b = f()
                right = right.child_by_field_name("right")
            return self.infer(source, right)
        return []

    # -- indexed files ---------------------------------------------------------------------------
    def _own_def(self, source: Source, statement: Node) -> Value | None:
        """The indexed definition a def/class statement of an indexed file is."""
        if not source.indexed:
            return None
        name = statement.child_by_field_name("name")
        if name is None:
            return None
        def_id = self._def_lines(source.module).get(name.start_point[0] + 1)
        return Value("def", def_id) if def_id is not None else None

    def _def_lines(self, module: str) -> dict[int, int]:
        if module not in self._lines:
            self._lines[module] = {d.line: d.id for d in self.names.defs.values()
                                   if d.module == module and d.kind in ("class", "function", "method", "model")}
        return self._lines[module]

    def forget_sources(self) -> None:
        """Drop parsed files and what was worked out from them: a buffer changed."""
        self._sources.clear()
        self._returns.clear()

    def file_source(self, path: str, module: str) -> Source | None:
        """An indexed file, parsed once per resolver."""
        if path not in self._sources:
            text = self.read_text(path)
            if text is None:
                return None
            self._sources[path] = Source(path, text, module, indexed=True)
        return self._sources[path]

    def _bindings(self, bindings: list[tuple]) -> list[Value]:
        values = []
        for kind, value in bindings:
            if kind == "def":
                values.append(Value("def", value))
            elif kind == "module":
                values.append(Value("module", module=value))
        return values


def _instance(value: Value) -> Value:
    if value.kind == "node":
        return Value("node-instance", source=value.source, node=value.node)
    return Value("instance", value.def_id)


def _class_of(value: Value) -> Value | None:
    """The class of an instance (`type(x)`, `x.__class__`)."""
    if value.kind == "instance":
        return Value("def", value.def_id)
    if value.kind == "node-instance":
        return Value("node", source=value.source, node=value.node)
    return None


def _is_type_call(call: Node) -> bool:
    """`type(x)` with one plain argument (`type(name, bases, dict)` makes a class)."""
    function, arguments = call.child_by_field_name("function"), call.child_by_field_name("arguments")
    return function is not None and function.type == "identifier" and text_of(function) == "type" \
        and arguments is not None and arguments.type == "argument_list" and len(arguments.named_children) == 1 \
        and arguments.named_children[0].type not in ("keyword_argument", "list_splat", "dictionary_splat")


def _assigned_before(block: Node, expression: str, at: Node) -> bool:
    """Whether `block` assigns a dotted `expression` (`self.loss_func = ...`) before `at`."""
    if "." not in expression:
        return False  # names: their bindings are found by `_bindings_in`
    stack = [block]
    while stack:
        node = stack.pop()
        if node.start_byte >= at.start_byte or node.type in SCOPE_TYPES:
            continue
        if node.type == "assignment" and text_of(node.child_by_field_name("left")) == expression:
            return True
        stack.extend(node.named_children)
    return False


def _guards(source: Source, at: Node) -> list[tuple[Node, Node]]:
    """(test, guarded code) of the `if`s and conditional expressions whose true branch holds `at`, innermost first."""
    found = []
    child = at
    for node in source.ancestors(at):
        if node.type in SCOPE_TYPES:
            break
        if node.type in ("if_statement", "elif_clause") and child == node.child_by_field_name("consequence"):
            found.append((node.child_by_field_name("condition"), child))
        elif node.type == "conditional_expression" and len(node.named_children) == 3 and child == node.named_children[0]:
            found.append((node.named_children[1], child))
        child = node
    return [(test, guarded) for test, guarded in found if test is not None]


def _isinstance_classes(test: Node, expression: str) -> list[Node] | None:
    """The class expressions of `isinstance(expression, A)` / `(A, B)` in a test (`and`-ed tests too)."""
    if test.type == "parenthesized_expression" and test.named_children:
        return _isinstance_classes(test.named_children[0], expression)
    if test.type == "boolean_operator" and text_of(test.child_by_field_name("operator")) == "and":
        for side in (test.child_by_field_name("left"), test.child_by_field_name("right")):
            found = _isinstance_classes(side, expression) if side is not None else None
            if found is not None:
                return found
        return None
    function, arguments = test.child_by_field_name("function"), test.child_by_field_name("arguments")
    if test.type != "call" or text_of(function) != "isinstance" or arguments is None \
            or len(arguments.named_children) != 2 or text_of(arguments.named_children[0]) != expression:
        return None
    classes = arguments.named_children[1]
    return list(classes.named_children) if classes.type == "tuple" else [classes]


def _is_class(resolver: Resolver, value: Value) -> bool:
    if value.kind == "node":
        return value.node is not None and value.node.type == "class_definition"
    return value.kind == "def" and value.def_id is not None and resolver.names.defs[value.def_id].kind == "class"


def _owning_class(function: Node) -> Node | None:
    """The class whose body holds `function` directly (decorators allowed)."""
    parent = function.parent
    if parent is not None and parent.type == "decorated_definition":
        parent = parent.parent
    if parent is not None and parent.type == "block" and parent.parent is not None \
            and parent.parent.type == "class_definition":
        return parent.parent
    return None


def _bindings_in(block: Node, name: str) -> list[Node]:
    """Statements in `block` (not in nested functions or classes) that bind `name`, in order."""
    found: list[Node] = []
    stack = [block]
    while stack:
        node = stack.pop()
        for child in reversed(node.named_children):
            if child.type in ("function_definition", "class_definition"):
                if text_of(child.child_by_field_name("name")) == name:
                    found.append(child)
                continue
            if child.type == "lambda":
                continue
            if child.type == "assignment" and _assigns(child, name):
                found.append(child)
            stack.append(child)
    return sorted(found, key=lambda n: n.start_byte)


def _self_assignments(cls: Node, name: str) -> list[Node]:
    """The right-hand sides of `self.name = ...` in the methods of a class body, in order."""
    found: list[Node] = []
    stack = [cls.child_by_field_name("body")]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        for child in reversed(node.named_children):
            if child.type == "class_definition":
                continue
            if child.type == "assignment":
                left = child.child_by_field_name("left")
                if left is not None and left.type == "attribute" and text_of(left.child_by_field_name("object")) == "self" \
                        and text_of(left.child_by_field_name("attribute")) == name:
                    found.append(child.child_by_field_name("right"))
            stack.append(child)
    return sorted((n for n in found if n is not None), key=lambda n: n.start_byte)


def _assigns(assignment: Node, name: str) -> bool:
    left = assignment.child_by_field_name("left")
    return left is not None and left.type == "identifier" and text_of(left) == name


def _target(binding: Node) -> Node:
    """Where a binding names its variable: the assignment's left side, the def's name."""
    return binding.child_by_field_name("left") or binding.child_by_field_name("name") or binding


def _parameter(function: Node, name: str) -> Node | None:
    """The identifier of parameter `name` in a function's parameter list."""
    params = function.child_by_field_name("parameters")
    for param in params.named_children if params is not None else []:
        ident = param if param.type == "identifier" else (
            param.child_by_field_name("name") or next((c for c in param.named_children if c.type == "identifier"), None))
        if ident is not None and ident.type == "identifier" and text_of(ident) == name:
            return ident
    return None


def _returns_in(body: Node) -> list[Node]:
    """The `return` statements of a function body, nested functions left out, in order."""
    found: list[Node] = []
    stack = [body]
    while stack:
        node = stack.pop()
        for child in reversed(node.named_children):
            if child.type in SCOPE_TYPES:
                continue
            if child.type == "return_statement":
                found.append(child)
            else:
                stack.append(child)
    return sorted(found, key=lambda n: n.start_byte)
