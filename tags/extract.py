"""tree-sitter extraction: the bytes of one Python file in, a `ParsedFile` out.

The interesting nodes (definitions, calls, imports) are found from a token of theirs: every `(`
(of call arguments and function parameters) and every `class`, `lambda`, `import` and `type`
in the bytes is looked up in the tree with one cursor, which visits a fraction of the nodes a
tree-sitter query walks through (the query cost a third of the parse). A tree with
a syntax error is searched by the query instead (error recovery puts nodes where the token
lookup does not look). Nesting (which definition encloses a call, a method, an import) is
worked out from byte ranges instead of walking parents, which keeps large code bases fast.
"""
from __future__ import annotations

import errno
import hashlib
import io
import re
import tokenize
from bisect import bisect_right
from dataclasses import dataclass
from typing import NamedTuple

import tree_sitter_python
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree, TreeCursor

from tags.errors import UNPARSABLE
from tags.model import (
    NOT_UTF8,
    PARTIAL,
    SYNTAX_ERROR,
    TOO_LARGE,
    UNREADABLE,
    CallSite,
    Definition,
    ImportRecord,
    ParsedFile,
)
from tags.nbdev import mark_origins
from tags.sources import MAX_FILE_BYTES, decode_source, python_name, read_source_bytes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Container, Iterable, Iterator

MAX_CALLEE_CHARS = 200
# tree-sitter's query cursor keeps match depths in 16 bits: past 65,535 levels of nesting (one
# huge line of chained calls) its matching turns quadratic. Nothing real nests this deep.
MAX_QUERY_DEPTH = 60_000

_LANGUAGE = Language(tree_sitter_python.language())
_QUERY_TEXT = """
    (class_definition) @class
    (function_definition) @function
    (assignment left: (identifier) right: (lambda)) @lambda
    (assignment left: [(pattern_list) (tuple_pattern)] right: [(expression_list) (tuple)]) @lambda_tuple
    (type_alias_statement) @type_alias
    (call function: (_) @call)
    (import_statement) @import
    (import_from_statement) @import
    """
# Module- and class-level assignments are found by `_level_assignments` from the module's top
# statements and the class bodies instead: patterns rooted at `module` stay alive through the
# whole traversal and doubled the query's cost.
_PATCH = {"patch", "patch_to", "patch_property"}
_DISPATCH = {"typedispatch", "dispatch", "singledispatch", "overload"}
_METHOD_FLAGS = {"classmethod", "staticmethod", "property", "cached_property"}
_SPACE = re.compile(r"\s+")
_KEYWORDS = (b"class", b"lambda", b"import", b"type")  # functions are found from their `(`


def _token_ids(*names: str) -> dict[int, str]:
    """Every kind id of these anonymous tokens (a grammar may give one text several ids)."""
    return {i: _LANGUAGE.node_kind_for_id(i) for i in range(_LANGUAGE.node_kind_count)
            if not _LANGUAGE.node_kind_is_named(i) and _LANGUAGE.node_kind_for_id(i) in names}


def _kind_ids(*names: str) -> set[int]:
    return {i for i in range(_LANGUAGE.node_kind_count)
            if _LANGUAGE.node_kind_is_named(i) and _LANGUAGE.node_kind_for_id(i) in names}


_OPEN_PAREN = set(_token_ids("("))
_KEYWORD_IDS = _token_ids("class", "lambda", "import", "type")
# Fields by id: `child_by_field_name` looks the name up among the grammar's field names each time.
_ALIAS, _ARGUMENTS, _BODY, _FUNCTION, _LEFT, _MODULE_NAME, _NAME, _PARAMETERS, _RETURN_TYPE, _RIGHT, \
    _SUPERCLASSES, _TYPE = (_LANGUAGE.field_id_for_name(f) for f in (
        "alias", "arguments", "body", "function", "left", "module_name", "name", "parameters", "return_type",
        "right", "superclasses", "type"))
_FUNCTION_DEFINITION = _kind_ids("function_definition")
_CALL = _kind_ids("call")
_STATEMENT_OF = {  # keyword -> the node it starts and the capture the query gives that node
    "class": (_kind_ids("class_definition"), "class"),
    "import": (_kind_ids("import_statement", "import_from_statement"), "import"),
    "type": (_kind_ids("type_alias_statement"), "type_alias"),
}
_ASSIGNMENT, _AUGMENTED_ASSIGNMENT = _kind_ids("assignment"), _kind_ids("augmented_assignment")
_BLOCK, _ERROR = _kind_ids("block"), {_LANGUAGE.id_for_node_kind("ERROR", True)}
# Top-level statements without a block one or two named nodes down that `_level_assignments`
# looks into: definitions (their blocks are not looked into), errors and simple statements.
_NO_STATEMENT_BLOCKS = _ERROR | _kind_ids(
    "class_definition", "function_definition", "decorated_definition",
    "expression_statement", "import_statement", "import_from_statement", "future_import_statement", "comment")
_DECORATED_DEFINITION, _DECORATOR = _kind_ids("decorated_definition"), _kind_ids("decorator")
_EXPRESSION_STATEMENT, _STRING, _STRING_CONTENT = (
    _kind_ids(kind) for kind in ("expression_statement", "string", "string_content"))
_TUPLE_VALUES = _kind_ids("expression_list", "tuple")


@dataclass(slots=True)
class _Scope:
    """A definition's body: calls and definitions inside it belong to it."""

    start: int
    end: int
    index: int


class _ScopeFinder:
    """Finds the innermost scope holding a byte offset, in any order of queries.

    Scopes nest, so after a bisect on their starts only a short climb through the enclosing
    scopes is needed.
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
        self.ends = [s.end for s in self.scopes]
        self.indexes = [s.index for s in self.scopes]

    def renumber(self, new_index: list[int]) -> None:
        """Answer with the definitions' indexes after they are reordered."""
        self.indexes = [new_index[i] for i in self.indexes]

    def at(self, offset: int) -> int:
        i = bisect_right(self.starts, offset) - 1
        ends, outer = self.ends, self.outer
        while i >= 0 and ends[i] <= offset:
            i = outer[i]
        return self.indexes[i] if i >= 0 else -1


def _text(node: Node | None, source: bytes) -> str:
    """A node's text, cut from the bytes parsed (a third cheaper than `Node.text`)."""
    return source[node.start_byte:node.end_byte].decode("utf-8", "replace") if node is not None else ""


def _one_line(text: str) -> str:
    """Signature text on one line, the way ctags prints it: each run of whitespace one space.

    Most signatures have no run of spaces and no other whitespace, which every whitespace
    character but the space makes unprintable: those are left alone. `split` and `join` are
    twice as fast as a regex; they drop the ends' whitespace, which is put back as one space.
    """
    if not text.isprintable() or "  " in text:
        words = text.split()
        joined = " ".join(words)
        if words and text[0].isspace():
            joined = " " + joined
        text = joined + " " if text[-1].isspace() else joined
    return text.replace("( ", "(").replace(" )", ")")


def _decorators(node: Node) -> list[Node]:
    parent = node.parent
    if parent is None or parent.kind_id not in _DECORATED_DEFINITION:
        return []
    return [child for child in parent.children if child.kind_id in _DECORATOR]


def _decorator_name(decorator: Node, source: bytes) -> tuple[str, Node | None]:
    """`@patch_to(Learner)` -> ("patch_to", call node); `@fastcore.patch` -> ("patch", None)."""
    expr = decorator.named_children[0] if decorator.named_children else decorator
    call = None
    if expr.type == "call":
        call, expr = expr, expr.child_by_field_id(_FUNCTION)
    name = _text(expr, source).rsplit(".", 1)[-1]
    return name, call


def _docstring(body: Node | None, source: bytes) -> str:
    """The first line of the docstring; `named_child(0)`, not `named_children`: a class body's
    statements are not all listed to look at the first."""
    if body is None or not body.named_child_count:
        return ""
    first = body.named_child(0)
    if first.kind_id not in _EXPRESSION_STATEMENT or not first.named_child_count:
        return ""
    string = first.named_child(0)
    if string.kind_id not in _STRING:
        return ""
    if string.child_count == 3:  # start, content, end: the content is the one child to read
        content = string.child(1)
        return _first_line(_text(content, source)) if content.kind_id in _STRING_CONTENT else ""
    return _first_line("".join(_text(c, source) for c in string.named_children if c.kind_id in _STRING_CONTENT))


def _first_line(text: str) -> str:
    """The first line of `text` that is not blank, stripped, at most 200 characters; the text is
    not split into all its lines for that (every line break is whitespace to `lstrip`)."""
    line = text.lstrip().partition("\n")[0]
    if not line.isprintable():  # another line break (or a tab) before the newline
        line = line.splitlines()[0] if line else line
    return line.rstrip()[:200]


def _parameters_text(params: Node | None, returns: Node | None, source: bytes) -> str:
    """`(self, x=1) -> int` on one line, without comments."""
    if params is None:
        return ""
    text = source[params.start_byte:params.end_byte]
    comments = [c for c in params.children if c.type == "comment"] if b"#" in text else []
    for comment in reversed(comments):
        a, b = comment.start_byte - params.start_byte, comment.end_byte - params.start_byte
        text = text[:a] + text[b:]
    text = _one_line(text.decode("utf-8", "replace"))
    return f"{text} -> {_one_line(_text(returns, source))}" if returns is not None else text


def _first_param_annotation(params: Node | None, source: bytes) -> tuple[str, str]:
    """(name, annotation) of the first parameter: `self:Learner` -> ("self", "Learner")."""
    if params is None or not params.named_children:
        return "", ""
    first = params.named_children[0]
    if first.type in ("typed_parameter", "typed_default_parameter"):
        name_node = first.child_by_field_id(_NAME) or first.named_children[0]
        return _text(name_node, source), _text(first.child_by_field_id(_TYPE), source)
    return _text(first, source), ""


def _patch_targets(annotation: str) -> list[str]:
    """`Learner` -> [Learner]; `(TfmdDL, DataLoader)` -> both."""
    annotation = annotation.strip().strip("()")
    return [t.strip() for t in annotation.split(",") if t.strip().isidentifier() or "." in t.strip()]


class _FileExtractor:
    """Turns one parsed tree into definitions, calls, imports and `__all__`."""

    def __init__(self, root: Node, source: bytes, module: str, is_package: bool) -> None:
        self.source = source  # the bytes parsed: node texts are cut from it
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        module_definition = Definition(
            name=module.rsplit(".", 1)[-1], qualname=module, kind="module", line=1, col=1,
            end_line=root.end_point[0] + 1, first_line=1, doc=_docstring(root, self.source),
        )
        self.definitions: list[Definition] = [module_definition]
        self.offsets: list[int] = [-1]  # where each definition starts, to find its parent
        self.scopes: list[_Scope] = [_Scope(0, root.end_byte + 1, 0)]

    # -- definitions ---------------------------------------------------------------------------
    def add_definition(self, node: Node, kind: str) -> None:
        """Record a class, function or lambda assignment (nesting is fixed up later)."""
        if kind == "lambda_tuple":  # `A, f = 1, lambda x: x`: f is a function, as ctags says
            for name_node, value in _tuple_pairs(node):
                if value.type == "lambda":
                    self._add_lambda(node, name_node, value)
            return
        if kind == "lambda":
            self._add_lambda(node, node.child_by_field_id(_LEFT), node.child_by_field_id(_RIGHT))
            return
        body = node.child_by_field_id(_BODY)
        decorators = _decorators(node)
        name_node = node.child_by_field_id(_NAME)
        start_point = node.start_point
        # `def \` + newline: the name's line, as ctags
        at_point = name_node.start_point if name_node is not None else start_point
        definition = Definition(
            name=_text(name_node, self.source), qualname="", kind=kind,
            line=at_point[0] + 1, col=(start_point if at_point[0] == start_point[0] else at_point)[1] + 1,
            end_line=node.end_point[0] + 1, doc=_docstring(body, self.source),
            decorators=tuple(_one_line(_text(d, self.source))[1:].strip() for d in decorators) if decorators else (),
            first_line=(decorators[0].start_point if decorators else start_point)[0] + 1,
        )
        if kind == "class":
            supers = node.child_by_field_id(_SUPERCLASSES)
            definition.bases = tuple(
                _text(c, self.source) for c in (supers.named_children if supers else []) if c.type != "keyword_argument"
            )
            definition.signature = _one_line(_text(supers, self.source)) if supers else ""
        else:
            params = node.child_by_field_id(_PARAMETERS)
            definition.signature = _parameters_text(params, node.child_by_field_id(_RETURN_TYPE), self.source)
            if decorators:  # only a decorator makes a patch, a dispatch or a model
                self._apply_decorators(definition, decorators, params)
        start = body.start_byte if body is not None else node.end_byte
        self.scopes.append(_Scope(start, node.end_byte, len(self.definitions)))
        self.offsets.append(node.start_byte)
        self.definitions.append(definition)

    def _add_lambda(self, node: Node, name_node: Node, value: Node) -> None:
        params = value.child_by_field_id(_PARAMETERS)
        definition = Definition(
            name=_text(name_node, self.source), qualname="", kind="function", line=node.start_point[0] + 1,
            col=node.start_point[1] + 1, end_line=node.end_point[0] + 1,
            first_line=node.start_point[0] + 1,
            signature=f"({_one_line(_text(params, self.source))})", flags=("lambda",),
        )
        self.scopes.append(_Scope(value.start_byte, value.end_byte, len(self.definitions)))
        self.offsets.append(node.start_byte)
        self.definitions.append(definition)

    def _apply_decorators(self, definition: Definition, decorators: list[Node], params: Node | None) -> None:
        """fastai and timm idioms: @patch methods, dispatch overloads, @delegates, @register_model."""
        flags: list[str] = []
        patch_targets: list[str] = []
        for decorator in decorators:
            name, call = _decorator_name(decorator, self.source)
            if name in _PATCH:
                flags.append("patch")
                args = call.child_by_field_id(_ARGUMENTS) if call is not None else None
                positional = [a for a in (args.named_children if args else []) if a.type != "keyword_argument"]
                if name == "patch_to" and positional:
                    patch_targets = _patch_targets(_text(positional[0], self.source))
                if name == "patch_property" or (args and "as_prop=True" in _text(args, self.source).replace(" ", "")):
                    flags.append("property")
            elif name in _DISPATCH:
                flags.append("dispatch")
            elif name == "delegates":
                definition.delegates = _text(call.child_by_field_id(_ARGUMENTS), self.source)[1:-1] if call else ""
            elif name == "register_model":
                definition.kind = "model"
            elif name in _METHOD_FLAGS:
                flags.append(name)
        if not patch_targets and "patch" in flags:  # only a decorator makes a patch: not `def f(cls:PILBase=...)`
            _, annotation = _first_param_annotation(params, self.source)
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
        left, right = node.child_by_field_id(_LEFT), node.child_by_field_id(_RIGHT)
        if right is not None and right.type == "lambda":
            return  # recorded as a function
        targets = [left]
        while right is not None and right.type == "assignment":  # a = b = value
            targets.append(right.child_by_field_id(_LEFT))
            right = right.child_by_field_id(_RIGHT)
        lambdas = {n.start_byte for n, value in _tuple_pairs(node) if value.type == "lambda"}
        names = [n for target in targets for n in _assigned_names(target) if n.start_byte not in lambdas]
        alias = _text(right, self.source) if right is not None and right.type in ("identifier", "attribute") else ""
        for name_node in names:
            self.definitions.append(Definition(
                name=_text(name_node, self.source), kind="variable", line=node.start_point[0] + 1,
                first_line=node.start_point[0] + 1,
                qualname=f"{outer.qualname}.{_text(name_node, self.source)}" if in_class else _text(name_node, self.source),
                col=name_node.start_point[1] + 1, end_line=node.end_point[0] + 1,
                scope=outer.qualname if in_class else "", parent=parent,
                flags=("alias",) if alias else (), alias_of=alias,
                signature=f": {_one_line(_text(node.child_by_field_id(_TYPE), self.source))}" if node.child_by_field_id(_TYPE) else "",
            ))

    def add_type_alias(self, node: Node, parent: int) -> None:
        """Python 3.12 `type Point = tuple[float, float]` (module or class level): a variable."""
        outer = self.definitions[parent]
        left = node.child_by_field_id(_LEFT)
        name_node = left
        while name_node is not None and name_node.type != "identifier":
            name_node = name_node.named_children[0] if name_node.named_children else None
        if outer.kind not in ("module", "class") or name_node is None:
            return
        in_class = outer.kind == "class"
        self.definitions.append(Definition(
            name=_text(name_node, self.source), kind="variable", line=node.start_point[0] + 1, first_line=node.start_point[0] + 1,
            qualname=f"{outer.qualname}.{_text(name_node, self.source)}" if in_class else _text(name_node, self.source),
            col=name_node.start_point[1] + 1, end_line=node.end_point[0] + 1,
            scope=outer.qualname if in_class else "", parent=parent, flags=("type",),
            signature=f" = {_one_line(_text(node.child_by_field_id(_RIGHT), self.source))}",
        ))

    # -- imports -------------------------------------------------------------------------------
    def absolute(self, node: Node) -> str:
        """The module named by `.core`, `..data.core` or `fastai.vision`, made absolute."""
        if node.type != "relative_import":
            return _text(node, self.source)
        prefix = next((c for c in node.children if c.type == "import_prefix"), None)
        level = len(_text(prefix, self.source).strip()) if prefix is not None else 0
        base = self.package.split(".") if self.package else []
        base = base[: len(base) - (level - 1)] if level > 1 else base
        rest = next((c for c in node.children if c.type == "dotted_name"), None)
        return ".".join(base + ([_text(rest, self.source)] if rest is not None else []))

    def imports(self, node: Node, scope: int) -> list[ImportRecord]:
        line = node.start_point[0] + 1
        if node.type == "import_statement":
            records = []
            for item in node.named_children:
                if item.type == "aliased_import":
                    target = _text(item.child_by_field_id(_NAME), self.source)
                    records.append(ImportRecord(scope, target, "", _text(item.child_by_field_id(_ALIAS), self.source), line))
                else:
                    target = _text(item, self.source)
                    records.append(ImportRecord(scope, target, "", target.split(".")[0], line))
            return records
        module = self.absolute(node.child_by_field_id(_MODULE_NAME))
        records = []
        for item in node.named_children[1:]:
            if item.type == "wildcard_import":
                records.append(ImportRecord(scope, module, "*", "", line))
            elif item.type == "aliased_import":
                name = _text(item.child_by_field_id(_NAME), self.source)
                records.append(ImportRecord(scope, module, name, _text(item.child_by_field_id(_ALIAS), self.source), line))
            elif item.type == "dotted_name":
                records.append(ImportRecord(scope, module, _text(item, self.source), _text(item, self.source), line))
        return records


def _tuple_pairs(node: Node) -> list[tuple[Node, Node]]:
    """`a, b = x, y`: each plain name with its value, when both sides have the same length."""
    left, right = node.child_by_field_id(_LEFT), node.child_by_field_id(_RIGHT)
    if left is None or right is None or right.type not in ("expression_list", "tuple"):
        return []
    if left.type not in ("pattern_list", "tuple_pattern") or len(left.named_children) != len(right.named_children):
        return []
    return [(n, v) for n, v in zip(left.named_children, right.named_children) if n.type == "identifier"]


def _assigned_names(target: Node | None) -> list[Node]:
    """The plain names an assignment binds: `a`, `a, b`, `(a, b)`; not `x.y` or `x[0]`."""
    if target is None:
        return []
    if target.type == "identifier":
        return [target]
    if target.type in ("pattern_list", "tuple_pattern", "list_pattern"):
        return [n for n in target.named_children if n.type == "identifier"]
    return []


def _exports(node: Node, previous: list[str] | None, source: bytes) -> list[str] | None:
    """The strings of `__all__ = [...]` or `__all__ += [...]`."""
    left, right = node.child_by_field_id(_LEFT), node.child_by_field_id(_RIGHT)
    if left is None or _text(left, source) != "__all__" or right is None:
        return previous
    names = [
        "".join(_text(c, source) for c in item.named_children if c.type == "string_content")
        for item in right.named_children if item.type == "string"
    ]
    return names if node.type == "assignment" or previous is None else previous + names


def _statement_assignments(block: Node, kinds: Container[int] = _ASSIGNMENT) -> list[Node]:
    """The assignments written as statements directly in `block` (a module or a block)."""
    return [node for statement in block.named_children if statement.kind_id in _EXPRESSION_STATEMENT
            for node in statement.named_children if node.kind_id in kinds]


def _level_assignments(root: Node, classes: list[Node]) -> tuple[list[Node], list[Node]]:
    """The assignments where variables are recorded, in document order: module statements, class
    bodies, and blocks one or two named nodes under the module (`if`, `try`, `else:` ...); and the
    module statements' plain and augmented assignments, for `__all__`.

    Blocks under a module-level function hold only its locals, and class bodies are listed
    anyway: neither is looked into; nor are simple statements, which hold no block.
    """
    top_level = _statement_assignments(root, _ASSIGNMENT | _AUGMENTED_ASSIGNMENT)
    found = {node.start_byte: node for node in top_level if node.kind_id in _ASSIGNMENT}
    blocks = [c.child_by_field_id(_BODY) for c in classes]
    for outer in root.named_children:
        if outer.kind_id in _NO_STATEMENT_BLOCKS:
            continue
        for inner in outer.named_children:
            kind = inner.kind_id
            if kind in _BLOCK:
                blocks.append(inner)
            elif kind not in _ERROR:
                blocks += [node for node in inner.named_children if node.kind_id in _BLOCK]
    for block in blocks:
        if block is not None and block.kind_id in _BLOCK:
            found.update((node.start_byte, node) for node in _statement_assignments(block))
    return [found[start] for start in sorted(found)], top_level


Extraction = tuple[list[Definition], list[CallSite], list[ImportRecord], "list[str] | None", str]


def extract(source: bytes, module: str, is_package: bool = False) -> Extraction:
    """Parse `source` and extract everything; the last item describes a syntax error, if any.

    Definition 0 is the module itself; calls and imports at module level belong to it.
    """
    source = _for_tree_sitter(source)
    tree = Parser(_LANGUAGE).parse(source)
    if tree.root_node.has_error:  # rare: only such files pay for the second look
        source, tree = _without_comment_lines_in_brackets(source, tree)
    captures, callees = _query_found(tree.root_node) if tree.root_node.has_error else scan_captures(tree, source)
    ex = _FileExtractor(tree.root_node, source, module, is_package)
    for kind in ("class", "function", "lambda", "lambda_tuple"):
        for node in captures.get(kind, ()):
            ex.add_definition(node, kind)
    ex.finish_definitions()

    finder = ex.finder
    assignments, top_level = _level_assignments(tree.root_node, captures.get("class", ()))
    for node in assignments:
        if node.child_by_field_id(_LEFT) is not None:
            ex.add_variables(node, finder.at(node.start_byte))
    for node in captures.get("type_alias", ()):
        ex.add_type_alias(node, finder.at(node.start_byte))
    exports = None
    for node in top_level:
        exports = _exports(node, exports, source)

    definitions = _in_document_order(ex.definitions, finder)
    calls = _call_sites(callees, finder, source)
    imports: list[ImportRecord] = []
    for node in sorted(captures.get("import", ()), key=_start):
        imports.extend(ex.imports(node, finder.at(node.start_byte)))

    error = _first_error(tree.root_node) if tree.root_node.has_error else ""
    if not source.isascii():
        _as_python_names(definitions, calls, imports)
    return definitions, calls, imports, exports, error


def _as_python_names(definitions: list[Definition], calls: list[CallSite], imports: list[ImportRecord]) -> None:
    """Names as Python reads them: it normalizes identifiers to NFKC (`def cafe\u0301()` defines
    `café`, `def \ufb01nd()` defines `find`), tree-sitter gives them as written. Module names
    come from file names, which Python does not normalize: they stay as they are."""
    for definition in definitions:
        if definition.kind != "module":
            definition.name, definition.qualname = python_name(definition.name), python_name(definition.qualname)
            definition.scope, definition.alias_of = python_name(definition.scope), python_name(definition.alias_of)
            definition.bases = tuple(map(python_name, definition.bases))
            definition.flags = tuple(map(python_name, definition.flags))
    for call in calls:
        call.callee = python_name(call.callee)
    for record in imports:
        record.module, record.name, record.alias = python_name(record.module), python_name(record.name), python_name(record.alias)


Captures = dict[str, list[Node]]
# A called expression as the scan finds it: (start << 32 | length, line, column), 1-based; packed
# so that 47,000 of them sort by start, then length, without a key function, and no node is kept.
CalleeKey = tuple[int, int, int]


class Found(NamedTuple):
    """What the scan (or the query) finds: nodes by capture name, and the called expressions."""

    captures: Captures
    callees: list[CalleeKey]


_compiled: list[Query] = []


def query_captures(root: Node) -> Captures:
    """The nodes of `_QUERY_TEXT`, by capture name: the reference `scan_captures` agrees with,
    and the search of trees with syntax errors. Compiled on first use."""
    if not _compiled:
        _compiled.append(Query(_LANGUAGE, _QUERY_TEXT))
    cursor = QueryCursor(_compiled[0])
    cursor.set_max_start_depth(MAX_QUERY_DEPTH)
    return cursor.captures(root)


def _query_found(root: Node) -> Found:
    """`query_captures` in the form `scan_captures` gives."""
    captures = query_captures(root)
    return Found(captures, [_callee_key(node) for node in captures.pop("call", ())])


def _callee_key(node: Node) -> CalleeKey:
    start, (row, column) = node.start_byte, node.start_point
    return start << 32 | (node.end_byte - start), row + 1, column + 1


def scan_captures(tree: Tree, source: bytes) -> Found:
    """What `query_captures` finds in a tree without syntax errors, found from first tokens.

    A call is the `(` opening its arguments, a function the `(` of its parameters and a class,
    import or type alias the statement its keyword starts, each looked up from a small subtree
    holding it; a lambda (and a token without a small subtree) is found by a cursor that climbs
    from one token to the next only as far as their common ancestor and keeps its depth. Either
    way the paths to the tokens are seen, not the whole tree.
    """
    found: Captures = {"class": [], "function": [], "lambda": [], "lambda_tuple": [],
                       "type_alias": [], "import": []}
    callees: list[CalleeKey] = []
    deep, deep_keywords = _shallow_lookups(tree, source, found, callees)
    functions = found["function"]
    for at in _tokens_at(tree, deep, _OPEN_PAREN):
        at.up()
        field = at.cursor.field_id
        if field == _ARGUMENTS and at.depth <= MAX_QUERY_DEPTH + 1:
            at.up()
            at.down()
            if at.cursor.field_id == _FUNCTION:
                callees.append(_callee_key(at.cursor.node))
        elif field == _PARAMETERS and at.depth <= MAX_QUERY_DEPTH + 1:
            at.up()
            node = at.cursor.node
            if node.kind_id in _FUNCTION_DEFINITION:
                functions.append(node)
    for at in _tokens_at(tree, deep_keywords, _KEYWORD_IDS):
        keyword = _KEYWORD_IDS[at.cursor.node.kind_id]
        at.up()
        if keyword == "lambda":
            _lambda_assignment(at, found)
            continue
        kinds, capture = _STATEMENT_OF[keyword]
        node = at.cursor.node
        if node.kind_id in kinds and at.depth <= MAX_QUERY_DEPTH:
            found[capture].append(node)
    return Found({name: nodes for name, nodes in found.items() if nodes}, callees)


# The statement a keyword starts, by the keyword's first byte: its length, kinds and capture
# (`lambda` is not here: the assignment binding it is found by the cursor).
_KEYWORD_LOOKUP = {ord(keyword[0]): (len(keyword), *_STATEMENT_OF[keyword]) for keyword in _STATEMENT_OF}


def _shallow_lookups(tree: Tree, source: bytes, found: Captures, callees: list[CalleeKey]) -> tuple[list[int], list[int]]:
    """The calls and functions each `(` opens, and the statements the keywords start, looked up
    from small subtrees holding them; the offsets of the `(` and of the keywords left to the
    cursor (which counts depth and is linear however the code nests).

    The smallest node holding the byte before a `(` and the `(` itself is the call (`f(`,
    `g(x)(`) or the function (`def f(`) the `(` opens, if any; a call's arguments can only
    start at that `(` then, and its callee ends there unless space or a comment comes between.
    The smallest named node holding a keyword is the statement it starts, if any. A lookup walks
    down from the subtree, so subtrees are small (no node in them near MAX_QUERY_DEPTH, and a
    lookup stays cheap however they nest) and each serves a bounded number of lookups.
    """
    keywords = _keyword_offsets(source)
    if MAX_QUERY_DEPTH <= _ANCHOR_DEPTH + _ANCHOR_NODES:
        return list(_offsets(source, b"(")), keywords
    tokens = [offset << 1 for offset in _offsets(source, b"(")]
    deep: list[int] = []
    deep_keywords = [offset for offset in keywords if source[offset] not in _KEYWORD_LOOKUP]  # lambdas
    tokens += [offset << 1 | 1 for offset in keywords if source[offset] in _KEYWORD_LOOKUP]
    tokens.sort()  # two sorted runs: merged in linear time
    functions, gap = found["function"], _GAP_BYTE
    root, cursor = tree.root_node, tree.walk()
    anchor, start, end, budget = None, -1, -1, 0
    for token in tokens:
        offset = token >> 1
        if not start <= offset < end:
            anchor, start, end = _anchor(cursor, root, offset)
            budget = _ANCHOR_LOOKUPS
        if token & 1:
            if anchor is None or not budget:
                deep_keywords.append(offset)
                continue
            budget -= 1
            length, kinds, capture = _KEYWORD_LOOKUP[source[offset]]
            node = anchor.named_descendant_for_byte_range(offset, offset + length)
            kind = node.kind_id
            if kind in kinds:
                found[capture].append(node)
            elif kind in _KEYWORD_IDS:  # the subtree is the keyword itself: its statement is larger
                deep_keywords.append(offset)
            continue
        if anchor is None or offset == start or not budget:
            deep.append(offset)
            continue
        budget -= 1
        node = anchor.descendant_for_byte_range(offset - 1, offset + 1)
        kind = node.kind_id
        if kind in _CALL:
            call_start = node.start_byte
            callee_end = node.child(0).end_byte if gap[source[offset - 1]] else offset
            row, column = node.start_point
            callees.append((call_start << 32 | (callee_end - call_start), row + 1, column + 1))
        elif kind in _FUNCTION_DEFINITION:
            parameters = node.child_by_field_id(_PARAMETERS)
            if parameters is not None and parameters.start_byte == offset:
                functions.append(node)
    deep_keywords.sort()
    return deep, deep_keywords


# What can come between a callee and its `(`: space, a line continuation, the end of a comment
# (a newline), or (to be safe, any byte of a non-ASCII character such as U+FEFF).
_GAP_BYTE = bytes(1 if chr(b) in " \t\n\r\f\v\\" or b >= 0x80 else 0 for b in range(256))


_ANCHOR_NODES = 1000  # a subtree for lookups has fewer nodes than this,
_ANCHOR_DEPTH = 32  # lies at most this deep,
_ANCHOR_LOOKUPS = 128  # and serves at most this many (a 1 MB nest of 600 parens a line: 0.5 s)


def _anchor(cursor: TreeCursor, root: Node, offset: int) -> tuple[Node | None, int, int]:
    """The first node on the way down to `offset` small enough for lookups, and its range; or
    None and the range of the top-level statement where none was found, for the cursor."""
    cursor.reset(root)
    region = (offset, offset + 1)
    for level in range(_ANCHOR_DEPTH):
        if cursor.goto_first_child_for_byte(offset) is None:
            break
        node = cursor.node
        if level == 0:
            region = (node.start_byte, node.end_byte)
        if node.descendant_count < _ANCHOR_NODES:
            return node, node.start_byte, node.end_byte
    return None, *region


_WORD_BYTE = bytes(1 if chr(b).isalnum() or b == ord("_") or b >= 0x80 else 0 for b in range(256))


def _keyword_offsets(source: bytes) -> list[int]:
    """Where the keywords of `_STATEMENT_OF` and `lambda` start as whole words, in order."""
    word, size = _WORD_BYTE, len(source)
    found = [offset for keyword in _KEYWORDS for offset in _offsets(source, keyword)
             if (offset == 0 or not word[source[offset - 1]])
             and (offset + len(keyword) == size or not word[source[offset + len(keyword)]])]
    found.sort()
    return found


def _lambda_assignment(at: _Position, found: Captures) -> None:
    """At a `lambda`: record the assignment binding it, as the query's `@lambda`
    (`f = lambda: 0`) or `@lambda_tuple` (`a, f = 1, lambda: 0`) pattern would."""
    cursor = at.cursor
    if cursor.field_id != _RIGHT:
        if not at.up() or cursor.node.kind_id not in _TUPLE_VALUES or cursor.field_id != _RIGHT:
            return
        capture, lefts = "lambda_tuple", ("pattern_list", "tuple_pattern")
    else:
        capture, lefts = "lambda", ("identifier",)
    at.up()
    node = cursor.node
    if node.kind_id not in _ASSIGNMENT or at.depth > MAX_QUERY_DEPTH:
        return
    left = node.child_by_field_id(_LEFT)
    if left is not None and left.type in lefts and not (found[capture] and found[capture][-1] == node):
        found[capture].append(node)


def _offsets(source: bytes, token: bytes) -> Iterator[int]:
    """Where `token` occurs in `source`, in order."""
    find = source.find
    offset = find(token)
    while offset >= 0:
        yield offset
        offset = find(token, offset + 1)


class _Position:
    """A tree cursor and its depth, kept as it moves: `TreeCursor.depth` counts the whole path
    each time it is asked, quadratic on a line of 100,000 nested calls."""

    __slots__ = ("cursor", "depth")

    def __init__(self, cursor: TreeCursor) -> None:
        self.cursor, self.depth = cursor, 0

    def up(self) -> bool:
        moved = self.cursor.goto_parent()
        self.depth -= moved
        return moved

    def down(self) -> bool:
        moved = self.cursor.goto_first_child()
        self.depth += moved
        return moved


def _tokens_at(tree: Tree, offsets: Iterable[int], kinds: Container[int]) -> Iterator[_Position]:
    """The position of each token of one of `kinds` starting at one of `offsets` (ascending);
    the caller may move it (with `up` and `down`) before asking for the next."""
    cursor = tree.walk()
    at = _Position(cursor)
    node, depth = cursor.node, 0
    start, end = node.start_byte, node.end_byte
    for offset in offsets:
        while not start <= offset < end:  # climb to the node holding this offset
            if not cursor.goto_parent():
                break
            depth -= 1
            node = cursor.node
            start, end = node.start_byte, node.end_byte
        else:
            while cursor.goto_first_child_for_byte(offset) is not None:
                depth += 1
            node = cursor.node
            if node.start_byte == offset and node.kind_id in kinds:
                at.depth = depth
                yield at
                node, depth = cursor.node, at.depth
            start, end = node.start_byte, node.end_byte


def _start(node: Node) -> int:
    return node.start_byte


_ELLIPSIS = "…".encode()


def _call_sites(callees: list[CalleeKey], finder: _ScopeFinder, source: bytes) -> list[CallSite]:
    """One `CallSite` per called expression, in document order (the scan's order is not).

    The hottest loop of extraction: the callee text is cut from `source` (the bytes tree-sitter
    parsed) and the scope lookup of `_ScopeFinder.at` is written out here.
    """
    starts, ends, outer, indexes = finder.starts, finder.ends, finder.outer, finder.indexes
    callees.sort()  # by start, then length: `f` before `f(x)` of `f(x)(y)`; no two share both
    sites = []
    for key, line, column in callees:
        start, size = key >> 32, key & 0xFFFFFFFF
        i = bisect_right(starts, start) - 1
        while i >= 0 and ends[i] <= start:
            i = outer[i]
        text = source[start:start + size] if size <= MAX_CALLEE_CHARS else source[start:start + MAX_CALLEE_CHARS] + _ELLIPSIS
        sites.append(CallSite(indexes[i] if i >= 0 else -1, text.decode("utf-8", "replace"), line, column))
    return sites


_LONE_CR = re.compile(rb"\r(?!\n)")


def _for_tree_sitter(source: bytes) -> bytes:
    """What tree-sitter misreads, rewritten byte for byte (offsets hold): a CR-only line end is a
    newline to Python but not to the grammar, and a NUL byte ends its input."""
    if b"\r" in source:
        source = _LONE_CR.sub(b"\n", source)
    return source.replace(b"\x00", b" ") if b"\x00" in source else source


def _without_comment_lines_in_brackets(source: bytes, tree: Tree) -> tuple[bytes, Tree]:
    """The grammar reads a comment line inside brackets, indented less than the code around it,
    as a dedent (fastai's `torch_core.tensor`: `#  else ...` in column 0 inside `res = (...)`).
    To Python such a line is whitespace, so it is blanked, offsets kept, and parsed again; the
    new tree is taken only if it has no error."""
    lines = source.split(b"\n")
    blanked = [row for row in _comment_lines_in_brackets(source) if row < len(lines)]
    if not blanked:
        return source, tree
    for row in blanked:
        line = lines[row]
        lines[row] = b" " * len(line.rstrip(b"\r")) + line[len(line.rstrip(b"\r")):]
    rewritten = b"\n".join(lines)
    again = Parser(_LANGUAGE).parse(rewritten)
    return (source, tree) if again.root_node.has_error else (rewritten, again)


_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")


def _comment_lines_in_brackets(source: bytes) -> list[int]:
    """The 0-based rows holding only a comment, inside (), [] or {} (Python's tokenizer: no
    string's text is taken for a comment); none if the tokenizer gives up."""
    rows, depth = [], 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source.decode("utf-8", "replace")).readline):
            if token.type == tokenize.OP and token.string in _OPENING:
                depth += 1
            elif token.type == tokenize.OP and token.string in _CLOSING:
                depth = max(depth - 1, 0)
            elif token.type == tokenize.COMMENT and depth and not token.line[:token.start[1]].strip():
                rows.append(token.start[0] - 1)
    except (tokenize.TokenError, SyntaxError, ValueError):
        return []
    return rows


def _in_document_order(definitions: list[Definition], finder: _ScopeFinder) -> list[Definition]:
    """Sort definitions by position and renumber every reference to them, the finder's included
    (so calls and imports found after this get their final scope at once)."""
    order = sorted(range(len(definitions)), key=lambda i: (definitions[i].line, definitions[i].col, i))
    new_index = [0] * len(order)
    for new, old in enumerate(order):
        new_index[old] = new
    for definition in definitions:
        if definition.parent >= 0:
            definition.parent = new_index[definition.parent]
    finder.renumber(new_index)
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
        data = read_source_bytes(path)
    except OSError as err:  # grown past the limit since the walk saw its size, or no longer readable
        parsed.status, parsed.note = (TOO_LARGE, f"skipped: {err.strerror}") if err.errno == errno.EFBIG else (
            UNREADABLE, f"unreadable: {err.strerror or err}")
        return parsed
    parsed.digest, parsed.size = digest(data), len(data)
    try:
        if not data.isascii():  # ASCII is UTF-8: most files need no decoding to tell
            data.decode("utf-8")
    except UnicodeDecodeError as err:  # re-encoded as UTF-8: lines stay, columns after odd characters shift
        text, how = decode_source(data)
        data = text.encode("utf-8")
        if how:
            parsed.status, parsed.note = NOT_UTF8, f"not UTF-8 (byte {err.start}); {how}"
    is_package = path.endswith("__init__.py")
    defs, calls, imports, exports, error = extract(data, module, is_package)
    parsed.definitions, parsed.calls, parsed.imports, parsed.exports = defs, calls, imports, exports
    mark_origins(defs, data, module, is_package)
    if error:
        parsed.status, parsed.note = _classify_error(data, path, error)
    return parsed


def _classify_error(data: bytes, path: str, tree_sitter_error: str) -> tuple[str, str]:
    """Python's own parser decides: a real syntax error, or a tree-sitter grammar gap."""
    try:
        compile(data, path, "exec", flags=0x400, dont_inherit=True)  # ast.PyCF_ONLY_AST
    except SyntaxError as err:
        return SYNTAX_ERROR, f"syntax error at line {err.lineno}: {err.msg}; indexed as far as it parses"
    except UNPARSABLE:  # a NUL byte, nesting past the parser's limits
        return SYNTAX_ERROR, f"{tree_sitter_error}; indexed as far as it parses"
    return PARTIAL, (f"valid Python that the tree-sitter grammar misreads ({tree_sitter_error}); "
                     "indexed what it could")
