"""`nav show/open SYMBOL --notebook` and `nav nbcheck` on the nbdev fixture project, in all three
marker styles: a clean export checks clean (exit 0); an edit made in the .py is named (exit 1)."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.helpers import run_nav
from tests.notebooks.nbdev_project import NOTEBOOK, STYLES, build_project


@pytest.fixture(params=sorted(STYLES))
def project(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path]:
    """(the project, its cache) with the project indexed."""
    root = build_project(tmp_path, request.param)
    cache = tmp_path / "cache"
    run_nav("index", str(root), cache=cache, check=True)
    return root, cache


def test_nbcheck_clean_then_an_edit_in_the_py_is_named(project: tuple[Path, Path]) -> None:
    root, cache = project
    clean = run_nav("nbcheck", str(root), cache=cache)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "0 differ" in clean.stderr and " 0 cells checked" not in clean.stderr

    module = root / "fastai" / "vision" / "learner.py"
    text = module.read_text()
    start = text.index("def vision_learner(")
    module.write_text(text[:start] + text[start:].replace("normalize=True", "normalize=False", 1))
    edited = run_nav("nbcheck", str(root), "--json", cache=cache)
    assert edited.returncode == 1
    differing = json.loads(edited.stdout)["differing"]
    assert [d["names"] for d in differing] == [["vision_learner"]]
    assert differing[0]["notebook"] == NOTEBOOK and differing[0]["path"] == str(module.resolve())

    show = run_nav("show", "vision_learner", cache=cache, check=True)
    assert "vision_learner: the .py differs from its notebook cell" in show.stderr


def test_show_notebook_prints_the_cell(project: tuple[Path, Path]) -> None:
    root, cache = project
    done = run_nav("show", "vision_learner", "--notebook", cache=cache, check=True)
    header, *source = done.stdout.splitlines()
    assert header.startswith(f"{root / NOTEBOOK} cell ") and header.endswith("function fastai.vision.learner.vision_learner")
    assert source[0] in ("#| export", "#export")
    assert any(line.startswith("def vision_learner(") for line in source)
    assert "differs" not in done.stderr


@pytest.mark.parametrize("broken", ["a cell that is a string", "a cell whose source is null", "not JSON",
                                    "nested 100,000 deep"])
def test_a_broken_notebook_is_named_in_one_line(tmp_path: Path, broken: str) -> None:
    """`nbcheck` and `show --notebook` read notebooks with json by hand: a cell that is a string
    was an AttributeError traceback. They are validated by nbformat now, as the codemods' are.
    JSON nested 100,000 deep was a RecursionError traceback in nbcheck and in a plain `nav show`."""
    root = build_project(tmp_path, "ids")
    cache = tmp_path / "cache"
    run_nav("index", str(root), cache=cache, check=True)
    notebook = root / NOTEBOOK
    data = json.loads(notebook.read_text())
    if broken == "a cell that is a string":
        data["cells"][1] = "print(1)"
    elif broken == "a cell whose source is null":
        data["cells"][1]["source"] = None
    text = {"not JSON": "{oops", "nested 100,000 deep": '{"cells": [' + "[" * 100_000 + "]" * 100_000 + "]}"}
    notebook.write_text(text.get(broken) or json.dumps(data))
    checked = run_nav("nbcheck", str(root), cache=cache)
    assert checked.returncode == 1 and "Traceback" not in checked.stderr, checked.stderr
    problem, summary = checked.stderr.strip().splitlines()
    where = {"not JSON": "JSON error", "nested 100,000 deep": "JSON nested too deeply"}.get(broken, "at cells/1")
    assert problem.startswith(f"nav: {notebook}: not a valid notebook ({where}")
    assert summary == "nav: 0 cells checked, 0 differ from their notebook; 1 modules not checked, their .py or notebook unreadable"
    shown = run_nav("show", "vision_learner", "--notebook", cache=cache)
    assert shown.returncode != 0 and shown.stderr.strip().splitlines() == [problem.replace("nav: ", "nav: error: ", 1)]
    plain = run_nav("show", "vision_learner", cache=cache)
    assert plain.returncode == 0 and "def vision_learner(" in plain.stdout and "Traceback" not in plain.stderr, plain.stderr


def test_nbcheck_skips_a_fifo_and_a_symlink_loop(project: tuple[Path, Path]) -> None:
    """A FIFO named `*.py` in the checkout blocked `nbcheck` for ever (it was opened and read), and a
    symlink loop given as the path was a RuntimeError traceback. Both are said and skipped now."""
    root, cache = project
    os.mkfifo(root / "fastai" / "waiting.py")
    (root / "loop").symlink_to(root / "loop")
    done = run_nav("nbcheck", str(root), cache=cache, timeout=60)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert f"nav: {root / 'fastai' / 'waiting.py'}: not a regular file (a FIFO, socket or device?); skipped" in done.stderr
    assert "0 differ" in done.stderr and " 0 cells checked" not in done.stderr
    for path, message in ((root / "loop", "cannot be followed"), (root / "fastai" / "waiting.py", "not a regular file")):
        refused = run_nav("nbcheck", str(path), cache=cache, timeout=60)
        assert refused.returncode == 2 and refused.stderr.startswith(f"nav: error: {path}: {message}"), refused.stderr


def test_open_notebook_starts_the_editor_at_the_cell(project: tuple[Path, Path], tmp_path: Path) -> None:
    root, cache = project
    record = tmp_path / "args"
    editor = tmp_path / "fake-editor"
    editor.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {record}\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    run_nav("open", "vision_learner", "--notebook", cache=cache, check=True, env={"EDITOR": str(editor), "VISUAL": ""})
    line, path = record.read_text().splitlines()
    notebook_lines = Path(path).read_text().splitlines()
    assert path == str(root / NOTEBOOK)
    at = int(line.removeprefix("+")) - 1  # the cell's first source line in the .ipynb
    assert notebook_lines[at].strip().startswith(('"#| export', '"#export'))
    following = "\n".join(notebook_lines[at: at + 40])
    assert "def vision_learner(" in following


def test_installed_package_has_no_notebooks_to_show(installed_cache: Path) -> None:
    done = run_nav("show", "fastai.vision.learner.vision_learner", "--notebook", cache=installed_cache)
    assert done.returncode != 0
    assert "installed packages ship no notebooks" in done.stderr


def test_a_page_break_in_a_cell_does_not_shift_the_cells_below(tmp_path: Path) -> None:
    """nbcheck cut the module into cells by `str.splitlines()`, which also ends a line at a form feed
    (or a U+2028 in a string) while the markers were counted by newlines: every cell below one was
    compared one line off and named as differing."""
    import nbformat
    from nbformat import v4

    cells = ['def a():\n    "Page break below."\n    return "\u2028"\n\x0c', "def b():\n    return 2"]
    module = "# AUTOGENERATED! DO NOT EDIT! File to edit: ../nbs/00_core.ipynb.\n\n# %% auto 0\n__all__ = ['a', 'b']\n"
    module += "".join(f"\n# %% ../nbs/00_core.ipynb {index + 1}\n{code}\n" for index, code in enumerate(cells))
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (tmp_path / "mypkg" / "core.py").write_text(module, encoding="utf-8")
    (tmp_path / "nbs").mkdir()
    notebook = v4.new_notebook(cells=[v4.new_markdown_cell("Prose."), *(v4.new_code_cell("#| export\n" + c) for c in cells)])
    nbformat.write(notebook, tmp_path / "nbs" / "00_core.ipynb")
    cache = tmp_path / "cache"
    run_nav("index", str(tmp_path / "mypkg"), cache=cache, check=True)
    done = run_nav("nbcheck", str(tmp_path / "mypkg"), cache=cache)
    assert done.returncode == 0 and "2 cells checked, 0 differ" in done.stderr, done.stdout + done.stderr
