"""One parsed Python text: an editor buffer or an indexed file read from disk.

tree-sitter parses broken code too, so a buffer with syntax errors still resolves as far as
it can. Positions are 0-based lines and byte columns, as tree-sitter counts them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import tree_sitter_python
from tree_sitter import Language, Node, Parser, Tree

from tags.extract import extract
from tags.sources import python_name, text_lines

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tags.model import Definition, ImportRecord

_PARSER = Parser(Language(tree_sitter_python.language()))
SCOPE_TYPES = ("function_definition", "class_definition", "lambda")
_KEPT_ANCESTRIES = 64  # one request asks for the same node's holders several times


@dataclass
class Source:
    """A text with its syntax tree and, lazily, what `tags.extract` finds in it."""

    path: str
    text: str
    module: str  # the indexed module name, or `__main__` for a file outside the roots
    indexed: bool
    tree: Tree = field(init=False)
    _extracted: tuple | None = field(default=None, init=False, repr=False)
    _ancestors: dict[int, list[Node]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.data = self.text.encode("utf-8", "replace")
        self.tree = _PARSER.parse(self.data)
        self.lines = text_lines(self.text)

    def extraction(self) -> tuple[list[Definition], list[ImportRecord]]:
        """The definitions and imports of the text, as the indexer would record them."""
        if self._extracted is None:
            is_package = os.path.basename(self.path) == "__init__.py"
            definitions, _, imports, _, _ = extract(self.data, self.module, is_package)
            self._extracted = (definitions, imports)
        return self._extracted

    def node_at(self, line: int, column: int) -> Node | None:
        """The smallest named node at a 0-based line and byte column (None past the end)."""
        if line < 0 or line >= max(len(self.lines), 1) or column < 0:
            return None
        root = self.tree.root_node
        node = root.named_descendant_for_point_range((line, column), (line, column))
        if node is not None and node.type != "identifier" and column > 0:
            before = root.named_descendant_for_point_range((line, column - 1), (line, column - 1))
            if before is not None and before.type == "identifier":  # cursor just after a name
                node = before
        return node

    def ancestors(self, node: Node) -> list[Node]:
        """The nodes holding `node`, innermost first, found once from the root down.

        Not by climbing `Node.parent`, which tree-sitter answers by walking down from the root
        each time: a definition request inside 16,000 nested brackets took 14 s that way, as each
        climb to the top cost a walk per level.
        """
        found = self._ancestors.get(node.id)
        if found is not None:
            return found
        path = _path_down(self.tree.root_node, node)
        if path is None:  # not reached from this root (another tree's node, an empty one): climb
            path, current = [], node.parent
            while current is not None:
                path.append(current)
                current = current.parent
        if len(self._ancestors) >= _KEPT_ANCESTRIES:  # a buffer asked at many places: keep the latest
            self._ancestors.clear()
        self._ancestors[node.id] = path
        return path

    def byte_column(self, line: int, character: int) -> int:
        """A character offset (code points) in a line as a byte column."""
        if not 0 <= line < len(self.lines):
            return character
        return len(self.lines[line][:character].encode("utf-8"))

    def character(self, line: int, byte_column: int) -> int:
        """The reverse of `byte_column`."""
        if not 0 <= line < len(self.lines):
            return byte_column
        return len(self.lines[line].encode("utf-8")[:byte_column].decode("utf-8", "replace"))

    def function_at_line(self, line: int) -> Node | None:
        """The `def` or `class` statement whose name is on 1-based `line`."""
        return self._scan(line - 1)

    def _scan(self, row: int) -> Node | None:
        """Fallback: every definition node, looking for the one whose keyword is on `row`."""
        stack = [self.tree.root_node]
        while stack:
            node = stack.pop()
            if node.start_point[0] > row or node.end_point[0] < row:
                continue
            if node.type in ("function_definition", "class_definition") and _keyword_row(node) == row:
                return node
            stack.extend(node.named_children)
        return None


def _path_down(root: Node, node: Node) -> list[Node] | None:
    """The nodes from `root` down to `node`'s parent, innermost first; None if `node` is not under it."""
    path, current = [], root
    while current != node:
        path.append(current)
        current = current.child_with_descendant(node)
        if current is None:
            return None
    path.reverse()
    return path


def _keyword_row(node: Node) -> int:
    name = node.child_by_field_name("name")
    return name.start_point[0] if name is not None else node.start_point[0]


def enclosing_scopes(source: Source, node: Node) -> list[Node]:
    """The functions and classes around `node`, innermost first."""
    return [holder for holder in source.ancestors(node) if holder.type in SCOPE_TYPES]


def text_of(node: Node | None) -> str:
    """A node's text with its names as Python reads them (NFKC, as the index holds them: see `tags.extract`)."""
    return python_name(node.text.decode("utf-8", "replace")) if node is not None and node.text is not None else ""
