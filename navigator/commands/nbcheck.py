"""`nav nbcheck [PATH]`, and the notebook side of `nav show/open SYMBOL --notebook`.

nbdev projects are edited in their notebooks; an edit made in the exported .py is lost at the
next export. These commands show a definition's cell and find the .py edits never exported back.
"""
from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path

from navigator.nbcells import NotebookCell, block_of, check_module, find_cell, notebook_file, read_cells, same_code
from navigator.output import display_path, warn
from navigator.queries import Symbol
from tags.errors import NavError


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="a checkout, package directory or module (default: the indexed roots)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    files = list(_python_files(args.paths)) if args.paths else _indexed_files()
    checked, drifts, unreadable = 0, [], 0
    for path, module in files:
        try:
            count, found = check_module(path, module)
        except NavError as err:  # a notebook that cannot be read: say which, check the others
            warn(str(err))
            unreadable += 1
            continue
        checked, drifts = checked + count, drifts + found
    if args.json:
        import json

        from dataclasses import asdict

        print(json.dumps({"cells_checked": checked, "differing": [asdict(d) for d in drifts]}, indent=1))
    else:
        for drift in drifts:
            names = ", ".join(drift.names) or "no definition"
            print(f"{display_path(drift.path)}:{drift.first_line}-{drift.last_line}: {names}: {drift.reason} "
                  f"({drift.notebook} {_label(drift.cell)})")
    if not checked and not unreadable:
        warn("no exported module with its notebook found (nbdev notebooks live in a checkout's nbs/)")
    skipped = f"; {unreadable} modules not checked, their .py or notebook unreadable" if unreadable else ""
    print(f"nav: {checked} cells checked, {len(drifts)} differ from their notebook{skipped}", file=sys.stderr)
    return 1 if drifts or unreadable else 0


def _label(stored: str) -> str:
    from tags.nbdev import cell_label

    return cell_label(stored)


def _python_files(paths: list[str]):
    """(path, module) of every .py under the given paths, named as the index names them. The walk
    is the indexer's (`tags.sources.walk`): a FIFO or device named `*.py`, or a symlink loop, is
    said and skipped instead of blocking the check or ending it in a traceback."""
    from tags.discovery import ModuleNamer
    from tags.sources import NOT_REGULAR, walk

    for given in paths:
        if not given:  # `Path("")` is the current directory
            raise NavError("an empty path: give a checkout's module file or folder")
        target = Path(given).expanduser()
        try:
            mode = target.stat().st_mode
        except FileNotFoundError:
            raise NavError(f"{given}: no such file or directory") from None
        except OSError as err:  # a link in a loop of links (ELOOP)
            raise NavError(f"{given}: cannot be followed ({err.strerror})") from None
        is_dir = stat.S_ISDIR(mode)
        if not is_dir and not stat.S_ISREG(mode):
            raise NavError(f"{given}: {NOT_REGULAR}")
        root = target if is_dir else target.parent
        namer = ModuleNamer(str(root.resolve()))
        if is_dir:
            found, notes = walk(str(target))
            for note in notes:
                warn(note)
            files = sorted(Path(f.path) for f in found if f.size >= 0)
        else:
            files = [target]
        for file in files:
            if ".ipynb_checkpoints" not in file.parts:
                resolved = str(file.resolve())
                yield resolved, namer(resolved)


def _indexed_files() -> list[tuple[str, str]]:
    from navigator.queries import module_files
    from navigator.session import query

    return query(lambda index: [(f.path, f.module) for root in index.roots() for f in module_files(index, root.id)])


# -- one definition ------------------------------------------------------------------------------
def cell_of(symbol: Symbol) -> NotebookCell:
    """The notebook cell a definition was exported from; a clear error when it cannot be read."""
    if not symbol.notebook or not symbol.cell:
        raise NavError(f"{symbol.full_name} is not exported from a notebook (its module has no nbdev markers)")
    notebook = notebook_file(symbol.path, symbol.module, symbol.notebook)
    if not notebook.is_file():
        raise NavError(f"{symbol.notebook} is not here ({notebook}): installed packages ship no notebooks; "
                       "index a git checkout (nav index ~/fastai)")
    cell = find_cell(read_cells(notebook), symbol.cell)
    if cell is None:
        raise NavError(f"{notebook}: no cell {symbol.cell!r} (the notebook changed since the export?)")
    return cell


def print_cell(symbol: Symbol) -> int:
    cell = cell_of(symbol)
    print(f"{display_path(str(cell.notebook))} cell {cell.index}" + (f" (id {cell.cell_id})" if cell.cell_id else "")
          + f"  {symbol.kind} {symbol.full_name}")
    print(cell.source.rstrip("\n"))
    warn_if_drifted(symbol, cell)
    return 0


def warn_if_drifted(symbol: Symbol, cell: NotebookCell | None = None) -> None:
    """`nav show` flags a definition whose .py text is not what its cell exports."""
    try:
        cell = cell or cell_of(symbol)
    except NavError:
        return  # no notebook here: nothing to compare
    block = block_of(symbol.path, symbol.module, symbol.first_line)
    if block is not None and not same_code(block.code, cell.code()):
        warn(f"{symbol.name}: the .py differs from its notebook cell ({symbol.origin()}); "
             "edited in the .py and never exported back? (nav nbcheck lists all)")


def open_cell(symbol: Symbol) -> int:
    """Open the notebook at the cell where the editor can: a terminal editor at the cell's line in
    the .ipynb; VS Code and Jupyter open the notebook (neither takes a cell on the command line)."""
    from navigator.editor import editor_command, run_editor

    cell = cell_of(symbol)
    editor = editor_command()
    program = os.path.basename(editor[0])
    if program in ("code", "code-insiders", "codium") or program.startswith("jupyter"):
        arguments = [*(["lab"] if program == "jupyter" else []), str(cell.notebook)]
        print(f"nav: {program} opens the notebook, not a cell: go to cell {cell.index}"
              + (f" (id {cell.cell_id})" if cell.cell_id else ""), file=sys.stderr)
    else:
        arguments = [f"+{cell.json_line}", str(cell.notebook)]
    return run_editor(arguments, editor)
