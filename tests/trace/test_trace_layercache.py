"""The solved library layers kept on disk (tags/pointsto/layercache.py): read back only while
their sources are the same, the same graph either way, and never trusted blindly."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tags.pointsto import solver
from tags.pointsto.layercache import FOLDER
from tags.pointsto.parallel import join_background
from tests.helpers import damage_stored_file
from tests.trace.test_trace_pointsto import LAYERED


def edges_of(sources: dict[str, tuple[str, bool]], cache: Path | None) -> set[tuple]:
    graph = solver.analyse(sources, cache_dir=str(cache) if cache else None)
    join_background()  # the part's solution is kept by a child meanwhile (as at the end of a nav process)
    return {e.fields() for e in graph.edges}


def test_a_stored_layer_is_read_back_and_gives_the_graph_a_fresh_solve_gives(tmp_path: Path,
                                                                             solved: list[list[str]]) -> None:
    fresh = edges_of(LAYERED, None)
    assert edges_of(LAYERED, tmp_path) == fresh
    assert solved[-2:] == [["fastcore", "fastcore.basics"], ["app"]], "first run: both layers solved"
    assert (tmp_path / FOLDER / "fastcore.pickle").is_file()
    solved.clear()
    assert edges_of(LAYERED, tmp_path) == fresh, "read back: the same edges, fastcore's included"
    assert solved == [], "second run: fastcore read back, the layer above resumed as it was kept (resume.py)"
    assert ("app.use_a", "fastcore.basics.listify", 5, 20, "points-to", "function", "") in fresh


def test_a_changed_layer_is_solved_again(tmp_path: Path, solved: list[list[str]]) -> None:
    edges_of(LAYERED, tmp_path)
    changed = {**LAYERED, "fastcore.basics": (LAYERED["fastcore.basics"][0] + "def second(xs): return first(xs)\n", False)}
    solved.clear()
    edges = edges_of(changed, tmp_path)
    assert solved == [["fastcore", "fastcore.basics"], ["app"]]
    assert ("fastcore.basics.second", "fastcore.basics.first") in {(e[0], e[1]) for e in edges}, "the new function's call"
    assert edges == edges_of(changed, None)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other-key", "group-writable", "symlink"])
def test_a_damaged_or_untrusted_layer_file_is_solved_instead(tmp_path: Path, solved: list[list[str]],
                                                             damage: str) -> None:
    fresh = edges_of(LAYERED, None)
    edges_of(LAYERED, tmp_path)
    damage_stored_file(tmp_path / FOLDER / "fastcore.pickle", damage)
    (tmp_path / FOLDER / "main.resume.pickle").unlink()  # else the part above resumes, its layers' state with it
    solved.clear()
    assert edges_of(LAYERED, tmp_path) == fresh
    assert solved[0] == ["fastcore", "fastcore.basics"], f"{damage}: the layer was solved again"


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:  # root writes anywhere: a file where the folder should be stops it too
        (tmp_path / FOLDER).write_text("in the way")
    else:
        tmp_path.chmod(0o500)
    try:
        assert edges_of(LAYERED, tmp_path) == edges_of(LAYERED, None)
    finally:
        tmp_path.chmod(0o700)


def test_the_stored_graph_keeps_its_layers_beside_the_index_and_reads_them_after_an_edit(tmp_path: Path) -> None:
    from tests.helpers import make_package, run_nav

    make_package(tmp_path / "src", {
        "fastcore/__init__.py": "",
        "fastcore/basics.py": LAYERED["fastcore.basics"][0],
        "fastcore/xtras.py": "def walk(path):\n    return [path]\n",  # imported by nothing above: solved all the same
        "app/__init__.py": "",
        "app/main.py": "from fastcore.basics import listify\n\ndef use():\n    return listify(1)\n",
    })
    cache = tmp_path / "cache"
    run_nav("index", str(tmp_path / "src" / "fastcore"), str(tmp_path / "src" / "app"), cache=cache, check=True)
    assert "└─ use " in run_nav("callers", "listify", cache=cache, check=True).stdout
    stored = cache / FOLDER / "fastcore.pickle"
    written = stored.stat().st_mtime_ns
    with open(tmp_path / "src" / "app" / "main.py", "a") as handle:
        handle.write("\ndef again():\n    return listify(2)\n")
    callers = run_nav("callers", "listify", cache=cache, check=True).stdout
    assert "─ use " in callers and "─ again " in callers and "main.py:7" in callers
    assert stored.stat().st_mtime_ns == written, "fastcore's layer was read back, not solved and stored again"
