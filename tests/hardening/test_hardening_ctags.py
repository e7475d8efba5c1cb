"""Where nav disagreed with Universal Ctags' own Python Units (issue 15, items 25-29). Each
expectation comes from an independent reader: Python's `ast` where it can read the file,
Universal Ctags where installed, the text itself otherwise."""
from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

from tags.extract import extract


def _defs(source: bytes) -> dict[str, tuple[str, int]]:
    definitions = extract(source, "sample")[0]
    return {d.qualname: (d.kind, d.line) for d in definitions[1:]}


def _ast_lines(source: bytes) -> dict[str, int]:
    """Python's own idea of where each def, class and type alias is (names at any depth)."""
    lines = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            lines[node.name] = node.lineno
        elif type(node).__name__ == "TypeAlias":
            lines[node.name.id] = node.lineno
    return lines


def _ctags(tmp_path: Path, source: bytes) -> dict[str, tuple[str, int]]:
    path = tmp_path / "sample.py"
    path.write_bytes(source)
    out = subprocess.run(["ctags", "-f", "-", "--fields=+nK", "--languages=Python", str(path)],
                         capture_output=True, text=True, check=True).stdout
    tags = {}
    for line in out.splitlines():
        fields = line.split("\t")
        extra = dict(f.split(":", 1) for f in fields[3:] if ":" in f)
        tags[fields[0]] = (fields[3], int(extra["line"]))
    return tags


needs_ctags = pytest.mark.skipif(not shutil.which("ctags"), reason="Universal Ctags not installed")


@needs_ctags
def test_lambda_in_tuple_assignment_is_a_function(tmp_path: Path) -> None:
    """Item 25: `A, f = 1, lambda x: x`."""
    source = b"A, f = 1, lambda x: x\n(B, g) = (2, lambda: 0)\n"
    ctags = _ctags(tmp_path, source)
    assert ctags["f"] == ("function", 1) and ctags["A"] == ("variable", 1)
    assert _defs(source) == {"A": ("variable", 1), "f": ("function", 1), "B": ("variable", 2), "g": ("function", 2)}


def test_cr_only_line_endings() -> None:
    """Item 26: Python reads `\\r` alone as a line end; tree-sitter did not, and nothing was tagged."""
    source = b"def a():\r    pass\rclass B:\r    def m(self):\r        pass\r"
    expected = _ast_lines(source)
    assert expected == {"a": 1, "B": 3, "m": 4}
    assert _defs(source) == {"a": ("function", 1), "B": ("class", 3), "B.m": ("method", 4)}


@needs_ctags
def test_def_backslash_newline_name_reports_the_names_line(tmp_path: Path) -> None:
    """Item 27: ctags reports the line of the name, not of the keyword."""
    source = b"def \\\n  named(x):\n    pass\nclass \\\n  K:\n    pass\n"
    ctags = _ctags(tmp_path, source)
    assert ctags["named"] == ("function", 2) and ctags["K"] == ("class", 5)
    assert _defs(source) == {"named": ("function", 2), "K": ("class", 5)}


def test_nul_inside_a_string_literal_keeps_what_follows() -> None:
    """Item 28: every definition after the NUL was lost (Python's ast refuses NULs, so the text decides)."""
    source = b's = "a\x00b"\ndef after_nul():\n    pass\nclass Later:\n    pass\n'
    assert _defs(source) == {"s": ("variable", 1), "after_nul": ("function", 2), "Later": ("class", 4)}


def test_type_alias_statements_are_indexed() -> None:
    """Item 29: Python 3.12 `type X = ...`, at module and class level."""
    source = b"type Point = tuple[float, float]\ntype Gen[T] = list[T]\nclass C:\n    type Inner = int\n"
    try:
        expected = _ast_lines(source)
    except SyntaxError:  # Python before 3.12: the positions in the text stand in
        expected = {"Point": 1, "Gen": 2, "C": 3, "Inner": 4}
    assert expected == {"Point": 1, "Gen": 2, "C": 3, "Inner": 4}
    assert _defs(source) == {"Point": ("variable", 1), "Gen": ("variable", 2), "C": ("class", 3),
                             "C.Inner": ("variable", 4)}
