"""The notebook cells behind nbdev-exported modules, when the notebooks are there (a git checkout
of fastai, fastcore or fasttransform): a definition's cell source, and whether the .py still
matches it (an edit made in the .py and never exported back is lost at the next export).

Notebooks are read as JSON (the .ipynb format is JSON; reading needs nothing more). A cell is
found by its id (nbdev >= 2.4 markers), its index (nbdev 2), or, for nbdev 1 markers, as the
n-th cell of the notebook carrying an `#export`-style flag without a target module.
"""
from __future__ import annotations

import errno
import re
from dataclasses import dataclass
from pathlib import Path

from tags.errors import NavError
from tags.nbdev import CELL_EXPORTED, CELL_ID, CellBlock, cell_blocks, decode_cell
from tags.sources import text_lines

_DIRECTIVE = re.compile(r"^\s*#\s*\|")  # nbdev 2: `#| export`, `#| hide`
_NBDEV1_FLAG = re.compile(r"^\s*#\s*export[si]?\s*$", re.I)  # `#export`, `# exports`, `#exporti`: no target module


@dataclass(slots=True)
class NotebookCell:
    """One cell of a notebook, with where it sits in the .ipynb file."""

    notebook: Path
    index: int  # position among all cells
    cell_id: str
    source: str
    json_line: int  # 1-based line of the cell's first source line in the .ipynb (for editors)

    def code(self) -> str:
        """The cell's code as nbdev exports it: directive and flag lines left out."""
        lines = text_lines(self.source)
        if lines and _NBDEV1_FLAG.match(lines[0]):
            lines = lines[1:]
        return "\n".join(line for line in lines if not _DIRECTIVE.match(line))


def project_root(path: str, module: str) -> Path:
    """The directory holding the top-level package of `module` (where `nbs/` sits in a checkout)."""
    file = Path(path)
    depth = len(module.split(".")) - (0 if file.name == "__init__.py" else 1)
    root = file.parent
    for _ in range(depth):
        root = root.parent
    return root


def notebook_file(path: str, module: str, notebook: str) -> Path:
    return project_root(path, module) / notebook


def read_cells(notebook: Path) -> list[NotebookCell]:
    from tags.nbdev import NotebookError, load_notebook

    try:
        text = notebook.read_text(encoding="utf-8")
        data = load_notebook(text)
    except OSError as err:
        raise NavError(f"{notebook}: cannot read ({err.strerror}); is this a checkout with its notebooks?") from err
    except UnicodeDecodeError as err:
        raise NavError(f"{notebook}: not a notebook (not UTF-8 text: byte {err.start})") from err
    except NotebookError as err:  # not JSON, or cells the format's schema refuses (a cell that is a string)
        raise NavError(f"{notebook}: {err}") from err
    cells = []
    json_lines = _source_lines_in_json(text)
    for index, cell in enumerate(data["cells"]):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        line = json_lines[index] if index < len(json_lines) else 1
        cells.append(NotebookCell(notebook, index, cell.get("id", ""), source, line))
    return cells


def _source_lines_in_json(text: str) -> list[int]:
    """The line of each cell's `"source"` key in the .ipynb text, in cell order."""
    return [text.count("\n", 0, match.start()) + 2 for match in re.finditer(r'^\s*"source": ', text, re.M)]


def find_cell(cells: list[NotebookCell], stored_cell: str) -> NotebookCell | None:
    """The cell a stored marker (`#ed1449cd`, `7`, `@3`) names."""
    kind, value = decode_cell(stored_cell)
    if kind == CELL_ID:
        return next((cell for cell in cells if cell.cell_id == value), None)
    if kind == CELL_EXPORTED:
        exported = [cell for cell in cells if cell.source and _NBDEV1_FLAG.match(text_lines(cell.source)[0])]
        return exported[int(value)] if int(value) < len(exported) else None
    return cells[int(value)] if int(value) < len(cells) else None


def same_code(module_code: str, cell_code: str) -> bool:
    """Equal up to trailing whitespace and blank lines around (what nbdev's export adds)."""
    def normal(code: str) -> list[str]:
        return [line.rstrip() for line in text_lines(code.strip("\n"))]

    return normal(module_code) == normal(cell_code)


@dataclass(slots=True)
class Drift:
    """A cell whose exported .py text no longer equals the notebook's."""

    path: str
    first_line: int
    last_line: int
    notebook: str
    cell: str
    names: list[str]  # the definitions in that part of the module
    reason: str


def check_module(path: str, module: str) -> tuple[int, list[Drift]]:
    """Compare every exported block of a module with its notebook cell: (cells checked, drifts)."""
    from tags.extract import extract
    from tags.sources import read_source_bytes

    try:  # a FIFO swapped in after the walk is refused, not waited on
        data = read_source_bytes(path)
    except OSError as err:
        if err.errno == errno.EFBIG:  # as the index skips it
            raise NavError(f"{path}: {err.strerror}; not checked") from None
        raise NavError(f"{path}: cannot be read ({err.strerror or err}); not checked") from None
    text = data.decode("utf-8", "replace")
    blocks = cell_blocks(text, module, path.endswith("__init__.py"))
    if not blocks:
        return 0, []
    definitions = [d for d in extract(data, module, path.endswith("__init__.py"))[0] if d.parent == 0]
    notebooks: dict[str, list[NotebookCell] | None] = {}
    checked, drifts = 0, []
    for block in blocks:
        cells = _cells_of(notebooks, notebook_file(path, module, block.marker.notebook))
        if cells is None:
            continue
        checked += 1
        stored = _stored(block)
        cell = find_cell(cells, stored)
        names = [d.name for d in definitions if block.first_line <= d.first_line <= block.last_line]
        if cell is None:
            drifts.append(Drift(path, block.first_line, block.last_line, block.marker.notebook, stored, names,
                                "the notebook has no such cell"))
        elif not same_code(block.code, cell.code()):
            drifts.append(Drift(path, block.first_line, block.last_line, block.marker.notebook, stored, names,
                                "the .py differs from the cell"))
    return checked, drifts


def _cells_of(cache: dict[str, list[NotebookCell] | None], notebook: Path) -> list[NotebookCell] | None:
    key = str(notebook)
    if key not in cache:
        cache[key] = read_cells(notebook) if notebook.is_file() else None
    return cache[key]


def _stored(block: CellBlock) -> str:
    from tags.nbdev import encode_cell

    return encode_cell(block.marker)


def block_of(path: str, module: str, line: int) -> CellBlock | None:
    """The exported block holding `line` of a module."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return next((b for b in cell_blocks(text, module, path.endswith("__init__.py"))
                 if b.first_line <= line <= b.last_line), None)

