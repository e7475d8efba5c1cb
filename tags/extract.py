"""tree-sitter extraction: the bytes of one Python file in, a `ParsedFile` out.

One tree-sitter query collects the interesting nodes in C; Python only visits those nodes.
Nesting (which definition encloses a call, a method, an import) is worked out from byte ranges
instead of walking parents, which keeps large code bases fast.
"""
from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from dataclasses import dataclass

import tree_sitter_python
from tree_sitter import Language, Node, Parser, Query, QueryCursor

from tags.model import (
    NOT_UTF8,
    OK,
    PARTIAL,
    SYNTAX_ERROR,
    TOO_LARGE,
    UNREADABLE,
    CallSite,
    Definition,
    ImportRecord,
    ParsedFile,
)

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_CALLEE_CHARS = 200

_LANGUAGE = Language(tree_sitter_python.language())
_QUERY = Query(
    _LANGUAGE,
    """
    (class_definition) @class
    (function_definition) @function
    (assignment left: (identifier) right: (lambda)) @lambda
    (call function: (_) @call)
    (import_statement) @import
    (import_from_statement) @import
    (module (expression_statement (assignment) @assign))
    (class_definition body: (block (expression_statement (assignment) @assign)))
    (module (_ (block (expression_statement (assignment) @assign))))
    (module (_ (_ (block (expression_statement (assignment) @assign)))))
    (module (expression_statement (augmented_assignment) @augassign))
    """,
)
_PATCH = {"patch", "patch_to", "patch_property"}
_DISPATCH = {"typedispatch", "dispatch", "singledispatch", "overload"}
_METHOD_FLAGS = {"classmethod", "staticmethod", "property", "cached_property"}
_SPACE = re.compile(r"\s+")


@dataclass(slots=True)
class _Scope:
    """A definition's body: calls and definitions inside it belong to it."""

    start: int
    end: int
    index: int


class _ScopeFinder:
    """Finds the innermost scope holding a byte offset, in any order of queries.

    Scopes nest, so after a bisect on their starts only a short climb through the enclosing
    scopes is needed; no sorting of the (many) call nodes.
    """

    def __init__(self, scopes: list[_Scope]) -> None:
        self.scopes = sorted(scopes, key=lambda s: (s.start, -s.end))
        self.starts = [s.start for s in self.scopes]
        self.outer: list[int] = []
        stack: list[int] = []
        for i, scope in enumerate(self.scopes):
            while stack and self.scopes[stack[-1]].end <= scope.start:
                stack.pop()
            self.outer.append(stack[-1] if stack else -1)
            stack.append(i)

    def at(self, offset: int) -> int:
        i = bisect_right(self.starts, offset) - 1
        while i >= 0 and self.scopes[i].end <= offset:
            i = self.outer[i]
        return self.scopes[i].index if i >= 0 else -1


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""


def _one_line(text: str) -> str:
    """Signature text on one line, the way ctags prints it."""
    return _SPACE.sub(" ", text).replace("( ", "(").replace(" )", ")")


def _decorators(node: Node) -> list[Node]:
    parent = node.parent
    if parent is None or parent.type != "decorated_definition":
        return []
    return [child for child in parent.children if child.type == "decorator"]


def _decorator_name(decorator: Node) -> tuple[str, Node | None]:
    """`@patch_to(Learner)` -> ("patch_to", call node); `@fastcore.patch` -> ("patch", None)."""
    expr = decorator.named_children[0] if decorator.named_children else decorator
    call = None
    if expr.type == "call":
        call, expr = expr, expr.child_by_field_name("function")
    name = _text(expr).rsplit(".", 1)[-1]
    return name, call


def _docstring(body: Node | None) -> str:
    if body is None or not body.named_children:
        return ""
    first = body.named_children[0]
    if first.type != "expression_statement" or not first.named_children:
        return ""
    string = first.named_children[0]
    if string.type != "string":
        return ""
    content = "".join(_text(c) for c in string.named_children if c.type == "string_content")
    for line in content.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


def _parameters_text(params: Node | None, returns: Node | None) -> str:
    """`(self, x=1) -> int` on one line, without comments."""
    if params is None:
        return ""
    text = params.text
    for comment in reversed([c for c in params.children if c.type == "comment"]):
        a, b = comment.start_byte - params.start_byte, comment.end_byte - params.start_byte
        text = text[:a] + text[b:]
    text = _one_line(text.decode("utf-8", "replace"))
    return f"{text} -> {_one_line(_text(returns))}" if returns is not None else text


def _first_param_annotation(params: Node | None) -> tuple[str, str]:
    """(name, annotation) of the first parameter: `self:Learner` -> ("self", "Learner")."""
    if params is None or not params.named_children:
        return "", ""
    first = params.named_children[0]
    if first.type in ("typed_parameter", "typed_default_parameter"):
        name_node = first.child_by_field_name("name") or first.named_children[0]
        return _text(name_node), _text(first.child_by_field_name("type"))
    return _text(first), ""


def _patch_targets(annotation: str) -> list[str]:
    """`Learner` -> [Learner]; `(TfmdDL, DataLoader)` -> both."""
    annotation = annotation.strip().strip("()")
    return [t.strip() for t in annotation.split(",") if t.strip().isidentifier() or "." in t.strip()]


class _FileExtractor:
    """Turns one parsed tree into definitions, calls, imports and `__all__`."""

    def __init__(self, root: Node, module: str, is_package: bool) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        module_definition = Definition(
            name=module.rsplit(".", 1)[-1], qualname=module, kind="module", line=1, col=1,
            end_line=root.end_point[0] + 1, first_line=1, doc=_docstring(root),
        )
        self.definitions: list[Definition] = [module_definition]
        self.offsets: list[int] = [-1]  # where each definition starts, to find its parent
        self.scopes: list[_Scope] = [_Scope(0, root.end_byte + 1, 0)]

    # -- definitions ---------------------------------------------------------------------------
    def add_definition(self, node: Node, kind: str) -> None:
        """Record a class, function or lambda assignment (nesting is fixed up later)."""
        if kind == "lambda":
            name_node, value = node.child_by_field_name("left"), node.child_by_field_name("right")
            params = value.child_by_field_name("parameters")
            definition = Definition(
                name=_text(name_node), qualname="", kind="function", line=node.start_point[0] + 1,
                col=node.start_point[1] + 1, end_line=node.end_point[0] + 1,
                first_line=node.start_point[0] + 1,
                signature=f"({_one_line(_text(params))})", flags=("lambda",),
            )
            self.scopes.append(_Scope(value.start_byte, value.end_byte, len(self.definitions)))
            self.offsets.append(node.start_byte)
            self.definitions.append(definition)
            return
        body = node.child_by_field_name("body")
        decorators = _decorators(node)
        definition = Definition(
            name=_text(node.child_by_field_name("name")), qualname="", kind=kind,
            line=node.start_point[0] + 1, col=node.start_point[1] + 1,
            end_line=node.end_point[0] + 1, doc=_docstring(body),
            decorators=tuple(_one_line(_text(d))[1:].strip() for d in decorators),
            first_line=(decorators[0] if decorators else node).start_point[0] + 1,
        )
        if kind == "class":
            supers = node.child_by_field_name("superclasses")
            definition.bases = tuple(
                _text(c) for c in (supers.named_children if supers else []) if c.type != "keyword_argument"
            )
            definition.signature = _one_line(_text(supers)) if supers else ""
        else:
            params = node.child_by_field_name("parameters")
            definition.signature = _parameters_text(params, node.child_by_field_name("return_type"))
            self._apply_decorators(definition, decorators, params)
        start = body.start_byte if body is not None else node.end_byte
        self.scopes.append(_Scope(start, node.end_byte, len(self.definitions)))
        self.offsets.append(node.start_byte)
        self.definitions.append(definition)

    def _apply_decorators(self, definition: Definition, decorators: list[Node], params: Node | None) -> None:
        """fastai and timm idioms: @patch methods, dispatch overloads, @delegates, @register_model."""
        flags: list[str] = []
        patch_targets: list[str] = []
        for decorator in decorators:
            name, call = _decorator_name(decorator)
            if name in _PATCH:
                flags.append("patch")
                args = call.child_by_field_name("arguments") if call is not None else None
                positional = [a for a in (args.named_children if args else []) if a.type != "keyword_argument"]
                if name == "patch_to" and positional:
                    patch_targets = _patch_targets(_text(positional[0]))
                if name == "patch_property" or (args and "as_prop=True" in _text(args).replace(" ", "")):
                    flags.append("property")
            elif name in _DISPATCH:
                flags.append("dispatch")
            elif name == "delegates":
                definition.delegates = _text(call.child_by_field_name("arguments"))[1:-1] if call else ""
            elif name == "register_model":
                definition.kind = "model"
            elif name in _METHOD_FLAGS:
                flags.append(name)
        if not patch_targets and "patch" in flags:  # only a decorator makes a patch: not `def f(cls:PILBase=...)`
            _, annotation = _first_param_annotation(params)
            if annotation:
                patch_targets = _patch_targets(annotation)
        definition.flags = tuple(flags)
        if patch_targets:
            definition.scope = patch_targets[0]
            definition.flags += tuple(f"also:{t}" for t in patch_targets[1:])

    def finish_definitions(self) -> None:
        """Give every definition its parent, qualname, kind (method or function) and scope."""
        finder = _ScopeFinder(self.scopes)
        for index in sorted(range(1, len(self.definitions)), key=self.offsets.__getitem__):
            definition = self.definitions[index]  # outer definitions first: their qualname is needed
            definition.parent = finder.at(self.offsets[index])
            self._qualify(definition, self.definitions[definition.parent])
        self.finder = finder

    @staticmethod
    def _qualify(definition: Definition, outer: Definition) -> None:
        if outer.kind == "module":
            if definition.scope:  # a module-level @patch: a method of that class
                definition.kind = "method"
                definition.qualname = f"{definition.scope}.{definition.name}"
            else:
                definition.qualname = definition.name
            return
        definition.qualname = f"{outer.qualname}.{definition.name}"
        if outer.kind == "class":
            definition.scope = outer.qualname
            if definition.kind == "function":
                definition.kind = "method"

    # -- variables -----------------------------------------------------------------------------
    def add_variables(self, node: Node, parent: int) -> None:
        """Module- and class-level assignments: `model_meta = {...}`, `x: int = 1`, `a, b = ...`."""
        outer = self.definitions[parent]
        if outer.kind not in ("module", "class"):
            return
        in_class = outer.kind == "class"
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if right is not None and right.type == "lambda":
            return  # recorded as a function
        targets = [left]
        while right is not None and right.type == "assignment":  # a = b = value
            targets.append(right.child_by_field_name("left"))
            right = right.child_by_field_name("right")
        names = [n for target in targets for n in _assigned_names(target)]
        alias = _text(right) if right is not None and right.type in ("identifier", "attribute") else ""
        for name_node in names:
            self.definitions.append(Definition(
                name=_text(name_node), kind="variable", line=node.start_point[0] + 1,
                first_line=node.start_point[0] + 1,
                qualname=f"{outer.qualname}.{_text(name_node)}" if in_class else _text(name_node),
                col=name_node.start_point[1] + 1, end_line=node.end_point[0] + 1,
                scope=outer.qualname if in_class else "", parent=parent,
                flags=("alias",) if alias else (), alias_of=alias,
                signature=f": {_one_line(_text(node.child_by_field_name('type')))}" if node.child_by_field_name("type") else "",
            ))

    # -- imports -------------------------------------------------------------------------------
    def absolute(self, node: Node) -> str:
        """The module named by `.core`, `..data.core` or `fastai.vision`, made absolute."""
        if node.type != "relative_import":
            return _text(node)
        prefix = next((c for c in node.children if c.type == "import_prefix"), None)
        level = len(_text(prefix).strip()) if prefix is not None else 0
        base = self.package.split(".") if self.package else []
        base = base[: len(base) - (level - 1)] if level > 1 else base
        rest = next((c for c in node.children if c.type == "dotted_name"), None)
        return ".".join(base + ([_text(rest)] if rest is not None else []))

    def imports(self, node: Node, scope: int) -> list[ImportRecord]:
        line = node.start_point[0] + 1
        if node.type == "import_statement":
            records = []
            for item in node.named_children:
                if item.type == "aliased_import":
                    target = _text(item.child_by_field_name("name"))
                    records.append(ImportRecord(scope, target, "", _text(item.child_by_field_name("alias")), line))
                else:
                    target = _text(item)
                    records.append(ImportRecord(scope, target, "", target.split(".")[0], line))
            return records
        module = self.absolute(node.child_by_field_name("module_name"))
        records = []
        for item in node.named_children[1:]:
            if item.type == "wildcard_import":
                records.append(ImportRecord(scope, module, "*", "", line))
            elif item.type == "aliased_import":
                name = _text(item.child_by_field_name("name"))
                records.append(ImportRecord(scope, module, name, _text(item.child_by_field_name("alias")), line))
            elif item.type == "dotted_name":
                records.append(ImportRecord(scope, module, _text(item), _text(item), line))
        return records


def _assigned_names(target: Node | None) -> list[Node]:
    """The plain names an assignment binds: `a`, `a, b`, `(a, b)`; not `x.y` or `x[0]`."""
    if target is None:
        return []
    if target.type == "identifier":
        return [target]
    if target.type in ("pattern_list", "tuple_pattern", "list_pattern"):
        return [n for n in target.named_children if n.type == "identifier"]
    return []


def _exports(node: Node, previous: list[str] | None) -> list[str] | None:
    """The strings of `__all__ = [...]` or `__all__ += [...]`."""
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if left is None or _text(left) != "__all__" or right is None:
        return previous
    names = [
        "".join(_text(c) for c in item.named_children if c.type == "string_content")
        for item in right.named_children if item.type == "string"
    ]
    return names if node.type == "assignment" or previous is None else previous + names


Extraction = tuple[list[Definition], list[CallSite], list[ImportRecord], "list[str] | None", str]


def extract(source: bytes, module: str, is_package: bool = False) -> Extraction:
    """Parse `source` and extract everything; the last item describes a syntax error, if any.

    Definition 0 is the module itself; calls and imports at module level belong to it.
    """
    tree = Parser(_LANGUAGE).parse(source)
    captures = QueryCursor(_QUERY).captures(tree.root_node)
    ex = _FileExtractor(tree.root_node, module, is_package)
    for kind in ("class", "function", "lambda"):
        for node in captures.get(kind, ()):
            ex.add_definition(node, kind)
    ex.finish_definitions()

    finder = ex.finder
    assignments = captures.get("assign", [])
    for node in assignments:
        if node.child_by_field_name("left") is not None:
            ex.add_variables(node, finder.at(node.start_byte))
    exports = None
    for node in sorted(assignments + captures.get("augassign", []), key=lambda n: n.start_byte):
        if node.parent.parent is not None and node.parent.parent.type == "module":
            exports = _exports(node, exports)

    calls = []
    for node in captures.get("call", ()):
        text = node.text
        if len(text) > MAX_CALLEE_CHARS:
            text = text[:MAX_CALLEE_CHARS] + "…".encode()
        row, column = node.start_point
        calls.append(CallSite(finder.at(node.start_byte), text.decode("utf-8", "replace"), row + 1, column + 1))

    imports: list[ImportRecord] = []
    for node in sorted(captures.get("import", ()), key=lambda n: n.start_byte):
        imports.extend(ex.imports(node, finder.at(node.start_byte)))

    error = _first_error(tree.root_node) if tree.root_node.has_error else ""
    definitions = _in_document_order(ex.definitions, calls, imports)
    return definitions, calls, imports, exports, error


def _in_document_order(definitions: list[Definition], calls: list[CallSite], imports: list[ImportRecord]) -> list[Definition]:
    """Sort definitions by position and renumber every reference to them."""
    order = sorted(range(len(definitions)), key=lambda i: (definitions[i].line, definitions[i].col, i))
    new_index = {old: new for new, old in enumerate(order)}
    new_index[-1] = -1
    for definition in definitions:
        definition.parent = new_index[definition.parent]
    for record in (*calls, *imports):
        record.scope = new_index[record.scope]
    return [definitions[i] for i in order]


def _first_error(root: Node) -> str:
    """Where the first syntax error is, for the note shown to the user."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            what = f"missing {node.type!r}" if node.is_missing else "syntax error"
            return f"{what} at line {node.start_point[0] + 1}"
        if node.has_error:
            stack.extend(reversed(node.children))
    return "syntax error"


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def parse_file(path: str, module: str, size: int, mtime_ns: int) -> ParsedFile:
    """Read and extract one file; problems become a status and a note, never an exception."""
    parsed = ParsedFile(path=path, module=module, size=size, mtime_ns=mtime_ns)
    if size > MAX_FILE_BYTES:
        parsed.status, parsed.note = TOO_LARGE, f"skipped: {size / 1e6:.1f} MB is over the {MAX_FILE_BYTES // 2**20} MB limit"
        return parsed
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as err:
        parsed.status, parsed.note = UNREADABLE, f"unreadable: {err.strerror or err}"
        return parsed
    parsed.digest, parsed.size = digest(data), len(data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        data, declared = _as_utf8(data)
        if not declared:
            parsed.status, parsed.note = NOT_UTF8, f"not UTF-8 (byte {err.start}); read as Latin-1"
    is_package = path.endswith("__init__.py")
    defs, calls, imports, exports, error = extract(data, module, is_package)
    parsed.definitions, parsed.calls, parsed.imports, parsed.exports = defs, calls, imports, exports
    if error:
        parsed.status, parsed.note = _classify_error(data, path, error)
    return parsed


_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _as_utf8(data: bytes) -> tuple[bytes, bool]:
    """Re-encode a file in another encoding as UTF-8 (its PEP 263 declaration, else Latin-1).

    Lines stay where they were; columns after odd characters may shift.
    """
    for line in data.splitlines()[:2]:
        match = _CODING.match(line)
        if match:
            try:
                return data.decode(match.group(1).decode("ascii"), errors="replace").encode("utf-8"), True
            except LookupError:
                break
    return data.decode("latin-1").encode("utf-8"), False


def _classify_error(data: bytes, path: str, tree_sitter_error: str) -> tuple[str, str]:
    """Python's own parser decides: a real syntax error, or a tree-sitter grammar gap."""
    try:
        compile(data, path, "exec", flags=0x400, dont_inherit=True)  # ast.PyCF_ONLY_AST
    except SyntaxError as err:
        return SYNTAX_ERROR, f"syntax error at line {err.lineno}: {err.msg}; indexed as far as it parses"
    except (ValueError, MemoryError, RecursionError):
        return SYNTAX_ERROR, f"{tree_sitter_error}; indexed as far as it parses"
    return PARTIAL, (f"valid Python that the tree-sitter grammar misreads ({tree_sitter_error}); "
                     "indexed what it could")
