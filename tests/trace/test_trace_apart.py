"""Packages solved apart (SOLVED_APART, timm): in a second process, the same edges as solved here,
seen from the code above as outside names, and an edit on one side resolving only what it can affect."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tags.errors import NavError
from tags.pointsto import analyse, parallel
from tests.helpers import line_of, make_package, run_nav

SOURCES = {
    "big": ("from big.core import run\n", True),
    "big.core": ("def step(): pass\ndef run(f):\n    step()\n    f()\n", False),
    "app": ("import big\ndef g(): pass\ndef h(): big.run(g)\n", False),
}
forks = pytest.mark.skipif(not parallel.can_fork(), reason="no second core (or not Linux): nothing is forked")


def test_a_package_solved_apart_gives_the_same_edges_forked_or_not(monkeypatch: pytest.MonkeyPatch) -> None:
    forked = {(e.caller, e.callee, e.line, e.kind) for e in analyse(SOURCES, apart=("big",)).edges}
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    here = {(e.caller, e.callee, e.line, e.kind) for e in analyse(SOURCES, apart=("big",)).edges}
    assert forked == here
    assert ("big.core.run", "big.core.step", 3, "function") in here, "the package's own calls"
    assert ("app.h", "big.run", 3, "external") in here, "seen from above as an outside name"
    assert not any(caller.startswith("big") and callee == "app.g" for caller, callee, _, _ in here), \
        "what app hands it is not followed in"
    together = {(e.caller, e.callee) for e in analyse(SOURCES, apart=()).edges}
    assert ("big.core.run", "app.g") in together and ("app.h", "big.core.run") in together


@forks
def test_results_stream_from_the_child_and_a_failure_is_a_one_line_error() -> None:
    def work():
        yield os.getpid()
        yield 1 // 0

    with parallel.in_child(work) as results, pytest.raises(NavError, match="second process stopped"):
        stream = results()
        assert next(stream) != os.getpid(), "solved in another process"
        next(stream)


@forks
def test_leaving_the_block_early_kills_the_child(tmp_path: Path) -> None:
    marker = tmp_path / "pid"

    def work():
        marker.write_text(str(os.getpid()))
        time.sleep(600)
        yield None

    with pytest.raises(KeyboardInterrupt), parallel.in_child(work):
        while not marker.exists() or not marker.read_text():  # the child is running
            time.sleep(0.01)
        raise KeyboardInterrupt
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(int(marker.read_text()), 0)


def test_an_edit_resolves_only_its_side_of_a_package_solved_apart(cache: Path, tmp_path: Path) -> None:
    """An edit above timm leaves timm's graph as it is; an edit in timm resolves its importers too
    (their edges name timm's definitions)."""
    from tags.callgraph import ensure_graph
    from tags.indexer import fresh_index
    from tags.store import Index

    source = tmp_path / "proj"
    (source / "timm").mkdir(parents=True)
    (source / "timm" / "__init__.py").write_text("from timm.core import create\n")
    (source / "timm" / "core.py").write_text("def build(): pass\ndef create(): return build()\n")
    (source / "app.py").write_text("import timm\ndef make(): return timm.create()\n")
    (source / "other.py").write_text("from app import make\ndef go(): make()\n")
    run_nav("index", str(source), cache=cache, check=True)
    index = Index.open()
    try:
        assert ensure_graph(index).resolved_files == ["app", "other", "timm", "timm.core"]
        (source / "app.py").write_text("import timm\ndef make():\n    return timm.create()\n")
        fresh_index(index, progress=False)
        assert ensure_graph(index).resolved_files == ["app", "other"]
        (source / "timm" / "core.py").write_text("def build(): pass\n\ndef create(): return build()\n")
        fresh_index(index, progress=False)
        assert ensure_graph(index).resolved_files == ["app", "other", "timm", "timm.core"]
    finally:
        index.close()
    traced = run_nav("trace", "make", "--depth", "2", cache=cache, check=True).stdout
    app, core = source / "app.py", source / "timm" / "core.py"  # each callee with the line that calls it
    assert f"create  {app}:{line_of(app, 'return timm.create()')}  exact" in traced
    assert f"build  {core}:{line_of(core, 'def create')}  exact" in traced, "timm's edges after its edit"


BIG = {  # a package over MAX_PART_FILES (set to 4 below): solved, and resolved again, a subpackage at a time
    "big/__init__.py": "", "big/util.py": "def helper(): pass\n",
    "big/nn/__init__.py": "", "big/nn/layer.py": "from big.util import helper\ndef forward(): helper()\n",
    "big/data/__init__.py": "", "big/data/load.py": "def load(): pass\n",
    "app.py": "from big.data.load import load\ndef main(): load()\n",
}


def test_a_package_over_the_part_size_is_split_by_subpackage_for_the_solver_and_the_graph(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tags.callgraph import ensure_graph
    from tags.indexer import fresh_index
    from tags.pointsto import solver
    from tags.store import Index

    monkeypatch.setattr(solver, "MAX_PART_FILES", 4)
    modules = {path.removesuffix(".py").removesuffix("/__init__").replace("/", "."): path.endswith("__init__.py")
               for path in BIG}
    partition = solver.Partition(modules, apart=())
    assert {m: partition.of(m) for m in modules} == {
        "big": "big", "big.util": "big", "big.nn": "big.nn", "big.nn.layer": "big.nn",
        "big.data": "big.data", "big.data.load": "big.data", "app": ""}
    sources = {m: (BIG[p], p.endswith("__init__.py")) for m, p in zip(modules, BIG)}
    edges = {(e.caller, e.callee, e.kind) for e in analyse(sources, apart=()).edges}
    assert ("big.nn.layer.forward", "big.util.helper", "external") in edges, "a call into another part is an outside name"
    make_package(tmp_path / "proj", BIG)
    run_nav("index", str(tmp_path / "proj"), cache=cache, check=True)
    index = Index.open()
    try:
        ensure_graph(index)
        for path, resolved in (("app.py", ["app"]), ("big/data/load.py", ["app", "big.data.load"]),
                               ("big/util.py", ["app", "big.nn.layer", "big.util"])):
            (tmp_path / "proj" / path).write_text(BIG[path] + "\ndef _edited(): pass\n")
            fresh_index(index, progress=False)
            assert ensure_graph(index).resolved_files == resolved, path
    finally:
        index.close()


LAYERED = {  # a package solved apart whose building blocks are a layer below its models (as timm.layers)
    "kit": ("", True),
    "kit.layers": ("", True),
    "kit.layers.head": ("class Pool:\n    def mult(self): return 2\nclass Fc: pass\ndef create_head(): return Pool(), Fc()\n",
                        False),
    "kit.models": ("", True),
    "kit.models.net": ("from kit.layers.head import create_head\ndef build():\n    pool, fc = create_head()\n    return pool.mult()\n",
                       False),
}


def test_the_blocks_of_a_package_solved_apart_are_a_layer_whose_returned_tuples_are_kept(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tags.pointsto import solver

    monkeypatch.setattr(solver, "APART_LAYERS", {"kit": (("kit.layers",),)})
    edges = {(e.caller, e.callee, e.line) for e in analyse(LAYERED, apart=("kit",)).edges}
    assert ("kit.models.net.build", "kit.layers.head.Pool.mult", 4) in edges, "`pool, fc = create_head()` unpacked"
    assert ("kit.layers.head.create_head", "kit.layers.head.Pool", 4) in edges, "the layer's own calls"
    without_tuples = {(e.caller, e.callee) for e in solver.analyse_layers(LAYERED, (("kit.layers",),)).edges}
    assert ("kit.models.net.build", "kit.layers.head.Pool.mult") not in without_tuples, \
        "a library layer's tuples are not kept (see _keep_tuples)"
    layers = solver._layered({m: (None, p) for m, (_, p) in LAYERED.items()}, (("kit.layers",),))
    assert [(label, sorted(layer)) for label, layer in layers] == [
        ("kit.layers", ["kit.layers", "kit.layers.head"]), ("", ["kit", "kit.models", "kit.models.net"])]


@forks
def test_a_part_solved_apart_has_its_layers_solved_here_and_handed_to_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    """timm's blocks (`timm.layers`) are solved by this process while the child parses the models: the
    same edges as solved all in the child, or all here; and if nothing comes, the child solves them."""
    from tags.pointsto import solver

    monkeypatch.setattr(solver, "APART_LAYERS", {"kit": (("kit.layers",),)})
    sources = {**LAYERED, "app": ("import kit.models.net\ndef use():\n    return kit.models.net.build()\n", False)}
    solved_here: list[list[str]] = []
    real = solver.library_state

    def recording(library: list, *args: object) -> solver.LayerState:
        if library:
            solved_here.append([label for label, _ in library])
        return real(library, *args)

    monkeypatch.setattr(solver, "library_state", recording)
    handed = {e.fields() for e in analyse(sources, apart=("kit",)).edges}
    assert solved_here == [["kit.layers"]], "the blocks were solved in this process (the child's calls are not seen)"
    assert ("kit.models.net.build", "kit.layers.head.Pool.mult", 4, 12, "points-to", "function", "") in handed
    monkeypatch.setattr(parallel.Handoff, "send", lambda self, make: (os.close(self.reader), os.close(self.writer)))
    assert {e.fields() for e in analyse(sources, apart=("kit",)).edges} == handed, "nothing handed: solved there"
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    monkeypatch.setattr(solver, "can_fork", lambda: False)
    assert {e.fields() for e in analyse(sources, apart=("kit",)).edges} == handed, "no child at all"


@forks
def test_a_part_whose_layers_are_handed_to_the_child_resumes_its_kept_solution(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """timm's part, whose blocks this process hands over, resumes its kept solution as the others do: a
    fastai edit that has it solved again (a method removed changes what its calls resolve to by name)
    found it as it was kept and solved it from scratch, 5 s on the other core. An edit adding to it resumes
    it too; the edges are those a solve from scratch gives."""
    from tags.pointsto import solver
    from tags.pointsto.layercache import FOLDER
    from tags.pointsto.parallel import join_background

    monkeypatch.setattr(solver, "APART_LAYERS", {"kit": (("kit.layers",),)})
    sources = {**LAYERED, "app": ("import kit.models.net\ndef use():\n    return kit.models.net.build()\n", False)}

    def edges(program: dict[str, tuple[str, bool]], cache: Path | None) -> set[tuple]:
        found = {e.fields() for e in analyse(program, apart=("kit",), cache_dir=str(cache) if cache else None).edges}
        join_background()
        return found

    edges(sources, tmp_path)
    older = tmp_path / FOLDER / "kit.resume.1.pickle"
    changed = {**sources, "app": (sources["app"][0].replace("return kit", "return 1 and kit"), False)}
    assert edges(changed, tmp_path) == edges(changed, None)
    assert (tmp_path / FOLDER / "kit.resume.pickle").is_file() and not older.exists(), \
        "kit's part was its kept solution as it was, not solved again (which keeps the new one, the old one older)"
    text, is_package = sources["kit.models.net"]
    added = {**changed, "kit.models.net": (text + "def again():\n    return build()\n", is_package)}
    assert edges(added, tmp_path) == edges(added, None)
    assert ("kit.models.net.again", "kit.models.net.build", 6, 12, "points-to", "function", "") in edges(added, tmp_path)


def test_timms_training_tools_are_a_part_of_their_own_dealt_so_both_cores_finish_together() -> None:
    from tags.pointsto import solver

    modules = {"timm": True, "timm.models": True, "timm.models.resnet": False, "timm.layers.norm": False,
               "timm.data": True, "timm.data.loader": False, "timm.optim.adamw": False, "timm.utils.model_ema": False,
               "fastai.learner": False}
    partition = solver.Partition(modules)
    assert {m: partition.of(m) for m in modules} == {
        "timm": "timm", "timm.models": "timm", "timm.models.resnet": "timm", "timm.layers.norm": "timm",
        "timm.data": "timm.training", "timm.data.loader": "timm.training", "timm.optim.adamw": "timm.training",
        "timm.utils.model_ema": "timm.training", "fastai.learner": ""}

    def sized(n: int) -> dict[str, tuple[str, bool]]:
        return {f"m{n}": ("x" * n, False)}

    main, parts = sized(30), {"models": sized(45), "training": sized(10), "tiny": sized(1)}
    here, there = solver._deal(main, parts)
    assert (sorted(here), sorted(there)) == (["tiny", "training"], ["models"]), "the child takes the largest"
    assert solver._deal({}, parts) == ({}, parts), "no main part: one part at a time, in the child"


MADE_BY_TIMM = {  # fastai's TimmBody: the model timm made, called in turn
    "timm/__init__.py": "def create_model():\n    return Net()\nclass Net:\n    def __call__(self, x): pass\n",
    "app.py": "import timm\nclass Body:\n    def __init__(self):\n        self.model = timm.create_model()\n"
              "    def forward(self, x):\n        return self.model(x)\n",
}


def test_what_a_call_into_a_package_solved_apart_made_called_in_turn_is_no_call_of_the_function(
        cache: Path, tmp_path: Path) -> None:
    sources = {"timm": (MADE_BY_TIMM["timm/__init__.py"], True), "app": (MADE_BY_TIMM["app.py"], False)}
    edges = {(e.caller, e.callee, e.kind) for e in analyse(sources).edges}
    assert ("app.Body.__init__", "timm.create_model", "external") in edges
    assert ("app.Body.forward", "timm.create_model", "external-result") in edges
    assert ("app.Body.forward", "timm.create_model", "external") not in edges
    make_package(tmp_path / "proj", MADE_BY_TIMM)
    run_nav("index", str(tmp_path / "proj"), cache=cache, check=True)
    made = run_nav("trace", "Body.__init__", "--depth", "1", cache=cache, check=True).stdout
    called = run_nav("trace", "Body.forward", "--depth", "1", "--builtins", cache=cache, check=True).stdout
    assert "create_model" in made, made
    assert "create_model" not in called, called
