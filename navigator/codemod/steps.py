"""Building blocks for codemods made of steps: libcst codemod commands plus small CST helpers.

A step is a `libcst.codemod.CodemodCommand` that rewrites a few named definitions from one
shape to another. It returns None from `rewrite` when the code is already in the target
shape, and raises `Mismatch(function, expected)` when it is in neither; `run_steps` turns the
steps' answers into one outcome per module: `Transformed`, `AlreadyApplied` or `Refused`.
Steps run through libcst's own `transform_module`, so `AddImportsVisitor` and
`RemoveImportsVisitor` requests made inside a step are carried out.
"""
from __future__ import annotations

import ast
import textwrap
from typing import Sequence, TypeVar

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodCommand, CodemodContext

from navigator.codemod.registry import AlreadyApplied, Outcome, Refused, Transformed
from tags.errors import NESTED_TOO_DEEP, UNPARSABLE

_DONE = "steps already in the target shape"
TOO_DEEP = "the module nests too deeply to rewrite (an expression thousands of levels deep); nothing written"
_PROBLEMS = "shape problems"
Node = TypeVar("Node", bound=cst.CSTNode)


class Mismatch(Exception):
    """Raised inside a step: `function` is not in the shape the step expects."""

    def __init__(self, function: str, expected: str) -> None:
        super().__init__(f"{function}: expected {expected}")
        self.function = function
        self.expected = expected


class CodemodStep(CodemodCommand):
    """One transformation; subclasses implement `rewrite` and set DESCRIPTION."""

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        """The rewritten module, or None when it is already in the target shape."""
        raise NotImplementedError

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        try:
            result = self.rewrite(tree)
        except Mismatch as err:
            self.context.scratch.setdefault(_PROBLEMS, []).append((err.function, err.expected))
            return tree
        if result is None:
            self.context.scratch.setdefault(_DONE, []).append(self.DESCRIPTION)
            return tree
        return result


def run_steps(source: str, steps: Sequence[type[CodemodStep]]) -> Outcome:
    """Apply every step to `source`: all of them, or a refusal (nothing half-done is returned)."""
    try:
        ast.parse(source)  # first: libcst's native parser crashes (SIGSEGV) on what nests deeper than this refuses
    except NESTED_TOO_DEEP:
        return Refused(TOO_DEEP)
    except UNPARSABLE:
        pass  # libcst names the error, below
    context = CodemodContext()
    try:
        tree = cst.parse_module(source)
        for step in steps:
            tree = step(context).transform_module(tree)
    except cst.ParserSyntaxError as err:
        return Refused(f"cannot parse the module: {str(err).splitlines()[0]}")
    except RecursionError:  # libcst's visitors recurse a few frames a level: 2,000 chained `+` is too deep
        return Refused(TOO_DEEP)
    problems: list[tuple[str, str]] = context.scratch.get(_PROBLEMS, [])
    done: list[str] = context.scratch.get(_DONE, [])
    if problems:
        return Refused.shapes(problems)
    if len(done) == len(steps):
        return AlreadyApplied()
    if done:
        todo = [s.DESCRIPTION for s in steps if s.DESCRIPTION not in done]
        return Refused(f"partially applied: already done: {'; '.join(done)}; not done: {'; '.join(todo)}")
    return Transformed(tree.code)


# --- finding definitions and statements --------------------------------------------------

def find_def(tree: cst.Module, name: str) -> tuple[int, cst.FunctionDef | cst.ClassDef] | None:
    """Index and node of the top-level function or class called `name`."""
    for index, stmt in enumerate(tree.body):
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) and stmt.name.value == name:
            return index, stmt
    return None


def require_function(tree: cst.Module, name: str) -> tuple[int, cst.FunctionDef]:
    """Like `find_def`, but the function must exist and have an indented body."""
    found = find_def(tree, name)
    if found is None or not isinstance(found[1], cst.FunctionDef):
        raise Mismatch(name, "a top-level function of that name")
    if not isinstance(found[1].body, cst.IndentedBlock):
        raise Mismatch(name, "an indented function body")
    return found[0], found[1]


def require_method(cls: cst.ClassDef, name: str) -> tuple[int, cst.FunctionDef]:
    """The method `name` of `cls`, with an indented body."""
    for index, stmt in enumerate(statements(cls)):
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
            if isinstance(stmt.body, cst.IndentedBlock):
                return index, stmt
    raise Mismatch(f"{cls.name.value}.{name}", "a method of that name with an indented body")


def statements(node: cst.FunctionDef | cst.ClassDef) -> list[cst.BaseStatement]:
    """The statements of an indented def or class body."""
    body = node.body
    return list(body.body) if isinstance(body, cst.IndentedBlock) else []


def with_statements(node: Node, body: Sequence[cst.BaseStatement]) -> Node:
    """`node` (a def or class) with its indented body replaced."""
    return node.with_changes(body=node.body.with_changes(body=tuple(body)))


def find_statement(body: Sequence[cst.BaseStatement], pattern: m.BaseMatcherNode,
                   start: int = 0) -> int | None:
    """Index of the first statement from `start` matching `pattern`."""
    return next((i for i in range(start, len(body)) if m.matches(body[i], pattern)), None)


def docstring_end(body: Sequence[cst.BaseStatement]) -> int:
    """1 when the first statement is a docstring, else 0."""
    doc = m.SimpleStatementLine([m.Expr(m.SimpleString() | m.ConcatenatedString())])
    return 1 if body and m.matches(body[0], doc) else 0


def replace_top_level(tree: cst.Module, index: int, node: cst.BaseStatement) -> cst.Module:
    """`tree` with its top-level statement at `index` replaced by `node`."""
    body = list(tree.body)
    body[index] = node
    return tree.with_changes(body=body)


def _is_export_marker(line: cst.EmptyLine) -> bool:
    """nbdev's comment opening an exported cell in a module: `# Cell`, `# %% ...`."""
    text = line.comment.value if line.comment else ""
    return text in ("# Cell", "# Internal Cell") or text.startswith("# %%")


def remove_top_level(tree: cst.Module, index: int) -> cst.Module:
    """`tree` without its top-level statement at `index`.

    Comments above the statement move to the next one, except nbdev's export marker of the
    removed cell, so notebook cell markers and unrelated comments are not lost.
    """
    body = list(tree.body)
    removed = body.pop(index)
    kept = [line for line in removed.leading_lines if line.comment and not _is_export_marker(line)]
    if kept and index < len(body):
        body[index] = body[index].with_changes(leading_lines=[*kept, *body[index].leading_lines])
    elif kept:
        return tree.with_changes(body=body, footer=[*kept, *tree.footer])
    return tree.with_changes(body=body)


def uses_name(nodes: Sequence[cst.CSTNode], name: str) -> bool:
    """Whether any of `nodes` mentions the name `name`."""
    return any(m.findall(node, m.Name(name)) for node in nodes)


def same_code(a: Sequence[cst.BaseStatement], b: Sequence[cst.BaseStatement]) -> bool:
    """Whether two statement lists mean the same, whatever their formatting (AST equality)."""
    def dump(stmts: Sequence[cst.BaseStatement]) -> str:
        code = cst.Module(body=list(stmts)).code
        return ast.dump(ast.parse(textwrap.dedent(code)))
    return dump(a) == dump(b)


# --- building nodes --------------------------------------------------------------------

def parse_param(text: str) -> cst.Param:
    """One parameter written as in a def, e.g. `arch:str`, `weights=None` or `**kwargs`."""
    params = cst.ensure_type(cst.parse_statement(f"def f({text}): pass"), cst.FunctionDef).params
    return params.star_kwarg if isinstance(params.star_kwarg, cst.Param) else params.params[0]


def parse_arg(text: str) -> cst.Arg:
    """One call argument written as in a call, e.g. `weights=weights` or `**kwargs`."""
    return cst.ensure_type(cst.parse_expression(f"f({text})"), cst.Call).args[0]


def without_trailing_comma(items: Sequence[Node]) -> list[Node]:
    """`items` (params or args) whose last one gets the default comma, after a removal."""
    items = list(items)
    if items:
        items[-1] = items[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return items


class _ShiftContinuations(cst.CSTTransformer):
    def __init__(self, delta: int) -> None:
        super().__init__()
        self.delta = delta

    def leave_ParenthesizedWhitespace(self, original_node: cst.ParenthesizedWhitespace,
                                      updated_node: cst.ParenthesizedWhitespace) -> cst.ParenthesizedWhitespace:
        text = updated_node.last_line.value
        if self.delta >= 0:
            text += " " * self.delta
        elif text.endswith(" " * -self.delta):
            text = text[:self.delta]
        return updated_node.with_changes(last_line=cst.SimpleWhitespace(text))


def shift_continuations(node: Node, delta: int) -> Node:
    """`node` with its continuation lines moved right by `delta` columns (left if negative).

    Keeps arguments aligned under an opening bracket when the text before it changes length,
    e.g. `return add_head(` becoming `res = add_head(`.
    """
    return cst.ensure_type(node.visit(_ShiftContinuations(delta)), type(node))
