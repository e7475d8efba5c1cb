"""Turning nav's records (index hits, nodes of a parsed text) into LSP ranges and items."""
from __future__ import annotations

import os
import re

from lsprotocol import types

from navigator.lsp.source import Source

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pygls.workspace.position_codec import PositionCodec

    from navigator.queries import Symbol
    from navigator.signature import Signature
    from tags.model import Definition

SYMBOL_KINDS = {
    "module": types.SymbolKind.Module, "class": types.SymbolKind.Class, "function": types.SymbolKind.Function,
    "method": types.SymbolKind.Method, "model": types.SymbolKind.Function, "variable": types.SymbolKind.Variable,
}
_NOTEBOOK_CELL = re.compile(r"^# %% (\S+\.ipynb)(?: (\S+))?")
_RETURNS = re.compile(r"\)\s*->\s*(.+?)\s*$")


def uri_of(path: str) -> str:
    from pygls.uris import from_fs_path

    return from_fs_path(os.path.abspath(path)) or path


def name_range(hit: Symbol | Definition, source: Source | None) -> types.Range:
    """The range of a definition's name on its line (an index hit, or one extracted from a buffer),
    in code points (the index counts bytes); at the index's column when the name cannot be found
    there (or the file cannot be read)."""
    line = hit.line - 1
    if source is None or not 0 <= line < len(source.lines):
        start = max(hit.col - 1, 0)
        return types.Range(types.Position(line, start), types.Position(line, start + len(hit.name)))
    return _word_range(source, hit.name, line, source.character(line, max(hit.col - 1, 0)), len(hit.name))


def _word_range(source: Source, name: str, line: int, start: int, missing: int = 0) -> types.Range:
    """`name` as a whole word at or after code point `start` of a 0-based line; else `missing` code
    points from `start`."""
    match = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)").search(source.lines[line], start)
    if match is None:
        return types.Range(types.Position(line, start), types.Position(line, start + missing))
    return types.Range(types.Position(line, match.start()), types.Position(line, match.end()))


def full_range(hit: Symbol) -> types.Range:
    return types.Range(types.Position(max(hit.first_line, hit.line) - 1 if hit.first_line else hit.line - 1, 0),
                       types.Position(max(hit.end_line, hit.line) - 1, 10_000))


def node_range(source: Source, node) -> types.Range:
    (start_row, start_col), (end_row, end_col) = node.start_point, node.end_point
    return types.Range(types.Position(start_row, source.character(start_row, start_col)),
                       types.Position(end_row, source.character(end_row, end_col)))


def site_ranges(source: Source | None, name: str, sites: list[tuple[int, int]]) -> list[types.Range]:
    """The ranges of `name` at call sites given as (1-based line, 1-based byte column of the call), in
    code points: the name is looked for from the call's start (`self.learn.fit(` names `fit`)."""
    if source is None:
        return []
    return [_word_range(source, name, line - 1, source.character(line - 1, max(col - 1, 0)))
            for line, col in sites if 0 < line <= len(source.lines)]


def to_client(codec: PositionCodec, source: Source | None, found: types.Range) -> types.Range:
    """A range in code points as the client counts (UTF-16 units unless it chose otherwise)."""
    return codec.range_to_client_units(source.lines, found) if source is not None else found


def notebook_origin(hit: Symbol, source: Source | None) -> str:
    """`nbs/14_callback.schedule.ipynb, cell #9ade5de8`: the nbdev cell marker above a definition."""
    if source is None:
        return ""
    for number in range(min(hit.first_line or hit.line, len(source.lines)) - 1, -1, -1):
        match = _NOTEBOOK_CELL.match(source.lines[number])
        if match:
            notebook = os.path.normpath(match.group(1)).lstrip("./").replace("../", "")
            return notebook + (f", cell {match.group(2)}" if match.group(2) else "")
    return ""


def hover_text(hit: Symbol, source: Source | None, signature: Signature | None = None) -> str:
    """Markdown for a definition: signature, first docstring line, where it lives, its notebook.

    `signature`: the effective one where fastcore's `@delegates` rewrote `**kwargs`
    (navigator.signature), shown instead of the written one, with where each expanded
    parameter comes from, as `inspect.signature` would list them.
    """
    parts = [f"```python\n{_header(hit, signature)}\n```"]
    if signature is not None:
        parts.append(_expanded(hit, signature))
    if hit.doc:
        parts.append(hit.doc.splitlines()[0])
    parts.append(f"`{hit.full_name}`")
    origin = notebook_origin(hit, source)
    if origin:
        parts.append(f"from notebook `{origin}`")
    return "\n\n".join(parts)


def _header(hit: Symbol, signature: Signature | None) -> str:
    """`method Learner.fine_tune(self, epochs, ..., *, lr_max=None, ...)`; a class keeps its bases line."""
    if signature is None:
        return hit.describe()
    from navigator.signature import signature_text

    if hit.kind == "class":
        return f"{hit.describe()}\n{hit.name}{signature_text(signature)}"
    returns = _RETURNS.search(hit.signature)
    return f"{hit.kind} {hit.qualname}{signature_text(signature)}" + (f" -> {returns.group(1)}" if returns else "")


def _expanded(hit: Symbol, signature: Signature) -> str:
    """The parameters `**kwargs` stands for, grouped by the definition each comes from."""
    own = {hit.full_name, f"{hit.full_name}.__init__"}
    by_origin: dict[str, list[str]] = {}
    for parameter in signature.parameters:
        if parameter.origin not in own:
            by_origin.setdefault(parameter.origin, []).append(f"`{parameter.text()}`")
    lines = [f"- from `{origin}`: {', '.join(texts)}" for origin, texts in by_origin.items()]
    heading = "`**kwargs` expanded (fastcore `@delegates`):" if lines else "`**kwargs` (fastcore `@delegates`):"
    lines += [f"- not known statically: {reason}" for reason in signature.unresolved]
    return "\n".join([heading, *lines])
