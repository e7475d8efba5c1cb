"""nbdev notebooks: run a module-level source transform over a notebook's exported code cells.

fastai's source of truth is `nbs/*.ipynb`; the module is the concatenation of the cells
marked `#export` (nbdev 1) or `#| export` (nbdev 2). The exported cells are joined into one
module, each preceded by a marker comment, transformed as a whole (codemods move statements
between functions that live in different cells), and split back at the markers. Cells whose
code is unchanged, other cells and all outputs and metadata are left as they were; a cell
left with only comments (its directive) is dropped.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from navigator.codemod.registry import Outcome, Refused, Transformed
from tags.nbdev import NotebookError, load_notebook

_DIRECTIVE = re.compile(r"#\s*\|?\s*export[si]?\b")
_MARKER = "# <nav-cell {}>"
_MARKER_LINE = re.compile(r"^# <nav-cell (\d+)>\n", re.M)


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _set_source(cell: dict[str, Any], text: str) -> None:
    """Store `text` the way the notebook stores sources (a list of lines, or one string)."""
    cell["source"] = text.splitlines(keepends=True) if isinstance(cell.get("source"), list) else text


def is_exported(cell: dict[str, Any]) -> bool:
    """Whether a cell is exported to the module: a code cell with an export directive on top."""
    if cell.get("cell_type") != "code":
        return False
    for line in _source(cell).splitlines():
        if not line.strip():
            continue
        if not line.lstrip().startswith("#"):
            return False
        if _DIRECTIVE.match(line.strip()):
            return True
    return False


def _dump(notebook: dict[str, Any], like: str) -> str:
    """JSON in the layout of the original text (indent, non-ASCII kept, final newline)."""
    indent = re.match(r"\{\s*?\n( +)", like)
    text = json.dumps(notebook, indent=len(indent.group(1)) if indent else None, ensure_ascii=False)
    return text + "\n" if like.endswith("\n") else text


def _joined(notebook: dict[str, Any]) -> tuple[str, list[int]]:
    """The exported cells as one module, each after a marker naming its index."""
    indexes = [i for i, cell in enumerate(notebook["cells"]) if is_exported(cell)]
    return "".join(f"{_MARKER.format(i)}\n{_source(notebook['cells'][i])}\n" for i in indexes), indexes


def exported_code(text: str) -> str:
    """The code nbdev would export from this notebook (cells joined, directives kept as comments)."""
    return _joined(load_notebook(text))[0]


def _split(module: str) -> dict[int, str]:
    """Cell index -> code, from a joined module; the text before the first marker must be empty."""
    parts = _MARKER_LINE.split(module)
    if parts[0].strip():
        raise NotebookError("the transform moved code before the first exported cell")
    return {int(index): code[:-1] if code.endswith("\n") else code
            for index, code in zip(parts[1::2], parts[2::2])}


def transform_notebook(text: str, transform: Callable[[str], Outcome]) -> Outcome:
    """The notebook with `transform` applied to the module its exported cells form."""
    try:
        notebook = load_notebook(text)
        module, indexes = _joined(notebook)
        if not indexes:
            return Refused("the notebook has no exported code cells")
        outcome = transform(module)
        if not isinstance(outcome, Transformed):
            return outcome
        new_code = _split(outcome.code)
    except NotebookError as err:
        return Refused(str(err))
    if not set(new_code) <= set(indexes):
        return Refused("the transform garbled the cell markers")
    cells, dropped = notebook["cells"], set(indexes) - set(new_code)
    for index in indexes:
        if index in new_code and new_code[index] != _source(cells[index]):
            if _only_comments(new_code[index]):
                dropped.add(index)  # its code moved out or was removed
            _set_source(cells[index], new_code[index])
    notebook["cells"] = [cell for i, cell in enumerate(cells) if i not in dropped]
    return Transformed(_dump(notebook, like=text))


def _only_comments(code: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in code.splitlines())
