"""A solved part kept on disk and resumed after an edit that only adds code (tags/pointsto/resume.py), at
the end, between statements or inside functions and classes: the graph a solve from scratch gives, the
scratch solve wherever the edit is not a pure addition."""
from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from tags.pointsto import resume, solver
from tags.pointsto.layercache import FOLDER, read_stored
from tags.pointsto.parallel import join_background
from tests.helpers import damage_stored_file

PROGRAM = {
    "fastcore": ("", True),
    "fastcore.basics": ("def listify(o): return [o]\ndef first(xs):\n    for x in xs: return x\n", False),
    "app": ("", True),
    "app.models": (textwrap.dedent("""\
        class Model:
            def forward(self, x): return helper(x)
            def __call__(self, x): return self.forward(x)

        class Bigger(Model):
            def forward(self, x): return super().forward(x)

        def helper(x): return x
        make = lambda: Bigger()
        """), False),
    "app.train": (textwrap.dedent("""\
        from fastcore.basics import *
        from app.models import Model, make

        class Learner:
            def __init__(self, model): self.model = model
            def fit(self, x): return self.model(x)

        def train(x):
            learn = Learner(first(listify(make())))
            return learn.fit(x)
        """), False),
}
APPENDED = textwrap.dedent("""\

    def _probe(x):
        learn = Learner(Model())
        learn._probe_seen = 1
        return learn.fit(x), train(x)
    """)


def edges_of(sources: dict[str, tuple[str, bool]], cache: Path | None) -> set[tuple]:
    edges = {e.fields() for e in solver.analyse(sources, cache_dir=str(cache) if cache else None).edges}
    join_background()  # the kept state is written by a child meanwhile (as at the end of a nav process)
    return edges


def edited(module: str, text: str) -> dict[str, tuple[str, bool]]:
    return {**PROGRAM, module: (text, PROGRAM[module][1])}


def test_code_added_at_the_end_resumes_the_kept_solution_and_gives_the_fresh_graph(tmp_path: Path,
                                                                                     solved: list[list[str]]) -> None:
    assert edges_of(PROGRAM, tmp_path) == edges_of(PROGRAM, None)
    assert (tmp_path / FOLDER / "main.resume.pickle").is_file()
    changed = edited("app.train", PROGRAM["app.train"][0] + APPENDED)
    solved.clear()
    resumed = edges_of(changed, tmp_path)
    assert solved == [], "nothing solved from scratch: fastcore read back, the rest resumed"
    fresh = edges_of(changed, None)
    assert resumed == fresh
    calls = {(e[0], e[1], e[2]) for e in resumed}
    assert {("app.train._probe", "app.train.Learner.fit", 15), ("app.train._probe", "app.train.train", 15),
            ("app.train._probe", "app.train.Learner", 13)} <= calls - {(e[0], e[1], e[2]) for e in edges_of(PROGRAM, None)}
    assert ("app.train.Learner.fit", "app.models.Model.__call__", 6) in calls
    again = edited("app.train", PROGRAM["app.train"][0] + APPENDED + "\ndef _second(): return _probe(1)\n")
    solved.clear()
    resumed_again = edges_of(again, tmp_path)
    assert solved == [], "resumed again from the state the last resume kept"
    assert resumed_again == edges_of(again, None)


@pytest.mark.parametrize("edit", [
    pytest.param(lambda text: text.replace("return learn.fit(x)", "return learn.fit(x + 1)"), id="a statement changed"),
    pytest.param(lambda text: _moved_to_the_end(text, "class Learner:", "def train"), id="an old statement moved"),
    pytest.param(lambda text: text.replace("from app.models import Model, make\n", ""), id="an old statement removed"),
    pytest.param(lambda text: text.replace("    return learn", "    learn = Model()\n    return learn"),
                 id="an old local bound again inside a function"),
    pytest.param(lambda text: text.replace("    return learn", "    first = listify\n    return learn"),
                 id="a name the function reads bound as its local"),
    pytest.param(lambda text: text.replace("    return learn", "    x = Model()\n    return learn"),
                 id="a parameter of the function bound again"),
    pytest.param(lambda text: text.replace("    return learn", "    global helper\n    helper = Model\n    return learn"),
                 id="a global the old code reads bound inside a function"),
    pytest.param(lambda text: text.replace("    return learn", "    _probe = {}\n    _probe['a'] = 1\n    return learn"),
                 id="a container written above an old statement (a strong write may hide what it reads)"),
    pytest.param(lambda text: text.replace("def train(x):", "def train(x, y=None):").replace(
        "    return learn", "    _probe = 1\n    return learn"), id="code inserted into a function whose head changed"),
    pytest.param(lambda text: text + "\ndef helper(x): return [x]\n", id="a name the old code reads bound anew"),
    pytest.param(lambda text: text + "\nLearner.fit = lambda self, x: x\n", id="an attribute the old code reads stored"),
    pytest.param(lambda text: text + "\nsetattr(Learner, 'model', None)\n", id="a literal setattr of a read name"),
    pytest.param(lambda text: text + "\n__all__ = ['train']\n", id="__all__ changed"),
    pytest.param(lambda text: text + "\ndef broken(:\n", id="no longer parses"),
])
def test_an_edit_that_is_not_a_pure_addition_is_solved_from_scratch(tmp_path: Path, solved: list[list[str]],
                                                                    edit: object) -> None:
    edges_of(PROGRAM, tmp_path)
    changed = edited("app.train", edit(PROGRAM["app.train"][0]))  # type: ignore[operator]
    solved.clear()
    again = edges_of(changed, tmp_path)
    assert ["app", "app.models", "app.train"] in solved, "the part above the layers was solved from scratch"
    assert again == edges_of(changed, None)


def test_a_local_an_old_store_attr_names_bound_in_its_function_is_solved_from_scratch(tmp_path: Path,
                                                                                      solved: list[list[str]]) -> None:
    """`store_attr('model,extra')` stores the function's locals it names: `extra` bound there now makes
    `self.extra` an attribute, and `fit` no longer reaches `__getattr__` for it (no addition)."""
    stored = textwrap.dedent("""\
        from app.models import Model

        def store_attr(names): pass

        class Learner:
            def __init__(self, model):
                store_attr('model,extra')
            def __getattr__(self, name): return Model
            def fit(self, x): return self.extra(x)
        """)
    program = edited("app.train", stored)
    edges_of(program, tmp_path)
    changed = {**program, "app.train": (stored.replace("        store_attr", "        extra = Model()\n        store_attr"), False)}
    solved.clear()
    again = edges_of(changed, tmp_path)
    assert ["app", "app.models", "app.train"] in solved, "the part above the layers was solved from scratch"
    assert again == edges_of(changed, None)


EXPORTING = edited("app.train", "__all__ = ['Learner', 'train']\n" + PROGRAM["app.train"][0])  # star imports copy those only
IMPORTING = {**EXPORTING, "app.use": ("import app.train\nfrom app.train import helper\n\ndef use(): return app.train.other()\n",
                                     False)}


@pytest.mark.parametrize("program, added, resumes", [
    pytest.param(EXPORTING, "\ndef helper(x): return Model()\n", True,
                 id="a function named as code elsewhere, in a module with __all__"),
    pytest.param(PROGRAM, "\ndef helper(x): return Model()\n", False, id="a public name a star import would copy"),
    pytest.param(EXPORTING, "\ndef __call__(x): return Model()\n", False, id="a dunder named elsewhere"),
    pytest.param(EXPORTING, "\ndef make(x): return x\n", False, id="a name its module's old code reads"),
    pytest.param(IMPORTING, "\ndef helper(x): return Model()\n", False, id="a name another module imported from it"),
    pytest.param(IMPORTING, "\ndef other(): return Model()\n", False, id="a name another module read off it"),
    pytest.param(EXPORTING, "\n@patch\ndef helper(self: Learner): return Model()\n", False,
                 id="a decorated function (a patch makes a method)"),
])
def test_a_module_level_name_used_elsewhere_resumes_unless_old_code_could_have_read_it(
        tmp_path: Path, solved: list[list[str]], program: dict[str, tuple[str, bool]], added: str, resumes: bool) -> None:
    edges_of(program, tmp_path)
    changed = {**program, "app.train": (program["app.train"][0] + added, False)}
    solved.clear()
    resumed = edges_of(changed, tmp_path)
    assert (not any("app.train" in modules for modules in solved)) == resumes
    assert resumed == edges_of(changed, None)


def test_store_attr_inserted_into_a_method_is_solved_from_scratch(tmp_path: Path, solved: list[list[str]]) -> None:
    """`store_attr('extra')` stores `self.extra`, an attribute named by a string (or, called bare, by the method's
    parameters), which `bound_names` cannot see: what old code looked up (`self.extra` in `fit`) may change."""
    stored = textwrap.dedent("""\
        from app.models import Model

        def store_attr(names): pass

        class Learner:
            def __init__(self, model, extra=None):
                self.model = model
            def __getattr__(self, name): return Model
            def fit(self, x): return self.extra(x)
        """)
    program = edited("app.train", stored)
    edges_of(program, tmp_path)
    changed = {**program, "app.train": (stored.replace("        self.model = model", "        self.model = model\n"
                                                       "        store_attr('extra')"), False)}
    solved.clear()
    again = edges_of(changed, tmp_path)
    assert ["app", "app.models", "app.train"] in solved, "the part above the layers was solved from scratch"
    assert again == edges_of(changed, None)


def _moved_to_the_end(text: str, start: str, stop: str) -> str:
    """`text` with the lines from `start` up to `stop` moved to its end."""
    head, rest = text.split(start, 1)
    block, tail = rest.split(stop, 1)
    return head + stop + tail + "\n" + start + block


INSERTED = "def _probe(x):\n    return Learner(Model()).fit(x)\n\n"


TRAIN_FIT, TRAIN_NEW = ("app.train.train", "app.train.Learner.fit"), ("app.train.train", "app.train.Learner")
FIT_CALL = ("app.train.Learner.fit", "app.models.Model.__call__")  # once `_probe` hands it a Model


@pytest.mark.parametrize("module, edit, expected", [
    pytest.param("app.train", lambda text: "import os\n" + text, {(*TRAIN_FIT, 11), (*TRAIN_NEW, 10)},
                 id="an import at the top"),
    pytest.param("app.train", lambda text: "\n\n\n" + text, {(*TRAIN_FIT, 13), (*TRAIN_NEW, 12)}, id="blank lines at the top"),
    pytest.param("app.train", lambda text: text.replace("def train", INSERTED + "def train"),
                 {(*TRAIN_FIT, 13), (*FIT_CALL, 6), ("app.train._probe", "app.train.Learner.fit", 9)},
                 id="a function between two"),
    pytest.param("app.train", lambda text: text.replace("class Learner", "# a note\n" + INSERTED + "class Learner").replace(
        "def train", "_probe_lambda = lambda: Learner(None)\n\ndef train"), {(*TRAIN_FIT, 16), (*FIT_CALL, 10)},
        id="code in two places"),
    pytest.param("app.models", lambda text: text.replace("class Bigger", "@staticmethod\n" + INSERTED + "class Bigger"),
                 {(*TRAIN_FIT, 10), ("app.models.Bigger.forward", "app.models.Model.forward", 10)},
                 id="a decorated function between two classes"),
    pytest.param("app.train", lambda text: text.replace("    def fit", "    def _probe_m(self): return self.fit(1)\n    def fit"),
                 {(*TRAIN_FIT, 11), ("app.train.Learner._probe_m", "app.train.Learner.fit", 6)}, id="a method inside a class"),
    pytest.param("app.train", lambda text: text.replace("    return learn", "    _probe_v = Model()\n    _probe_v(x)\n    return learn"),
                 {(*TRAIN_FIT, 12), ("app.train.train", "app.models.Model.__call__", 11)}, id="statements inside a function"),
    pytest.param("app.train", lambda text: text.replace("    return learn", "    model = Model()\n    model(x)\n    return learn"),
                 {(*TRAIN_FIT, 12), ("app.train.train", "app.models.Model.__call__", 11)},
                 id="a local named as other code's names, inside a function"),
    pytest.param("app.train", lambda text: text.replace("self.model(x)", "self.model(x)  # noted").replace(
        "def train(x):", "def train(x):   ").replace("def train", INSERTED + "def train"), {(*TRAIN_FIT, 13), (*FIT_CALL, 6)},
        id="a comment added and trailing spaces on old lines, a function inserted"),
])
def test_code_inserted_between_old_statements_resumes_the_kept_solution_with_their_positions_moved(
        tmp_path: Path, solved: list[list[str]], module: str, edit: object, expected: set[tuple[str, str, int]]) -> None:
    edges_of(PROGRAM, tmp_path)
    changed = edited(module, edit(PROGRAM[module][0]))  # type: ignore[operator]
    solved.clear()
    resumed = edges_of(changed, tmp_path)
    assert solved == [], "resumed, nothing solved from scratch"
    assert resumed == edges_of(changed, None)
    assert expected <= {(e[0], e[1], e[2]) for e in resumed}, "old calls' lines moved with their code"


def test_a_docstring_rewritten_resumes_the_kept_solution(tmp_path: Path, solved: list[list[str]]) -> None:
    documented = edited("app.models", '"""Models."""\n' + PROGRAM["app.models"][0])
    edges_of(documented, tmp_path)
    changed = {**documented, "app.models": ('"""Models,\nover two lines."""\n' + PROGRAM["app.models"][0], False)}
    solved.clear()
    resumed = edges_of(changed, tmp_path)
    assert solved == [] and resumed == edges_of(changed, None)
    assert ("app.models.Bigger.forward", "app.models.Model.forward", 8) in {(e[0], e[1], e[2]) for e in resumed}


def test_a_lambda_inserted_above_another_is_solved_from_scratch(tmp_path: Path, solved: list[list[str]]) -> None:
    """Lambdas are named by their order in a scope: `make`'s lambda would be `<lambda2>` now, another scope."""
    edges_of(PROGRAM, tmp_path)
    changed = edited("app.models", PROGRAM["app.models"][0].replace("def helper", "_probe = lambda: 1\ndef helper"))
    solved.clear()
    again = edges_of(changed, tmp_path)
    assert ["app", "app.models", "app.train"] in solved, "solved from scratch"
    assert again == edges_of(changed, None)


def test_modules_added_or_removed_are_solved_from_scratch(tmp_path: Path, solved: list[list[str]]) -> None:
    edges_of(PROGRAM, tmp_path)
    for changed in ({**PROGRAM, "app.extra": ("def more(): pass\n", False)},
                    {m: s for m, s in PROGRAM.items() if m != "app.models"}):
        solved.clear()
        again = edges_of(changed, tmp_path)
        assert any(m[:1] == ["app"] for m in solved), "solved from scratch"
        assert again == edges_of(changed, None)


def test_going_back_after_an_addition_resumes_the_solution_kept_before_it(tmp_path: Path,
                                                                         solved: list[list[str]]) -> None:
    """The last KEPT_STATES solutions are kept: undoing an edit (a codemod's `--undo`) finds the one before it."""
    edges_of(PROGRAM, tmp_path)
    edges_of(edited("app.train", PROGRAM["app.train"][0] + APPENDED), tmp_path)
    solved.clear()
    back = edges_of(PROGRAM, tmp_path)
    assert solved == [], "resumed from the older solution, nothing solved"
    assert _kept_sources(tmp_path / FOLDER / "main.resume.pickle") == {m: s for m, s in PROGRAM.items() if m[:3] == "app"}, \
        "kept again as the newest: the index holds its edges now"
    assert back == edges_of(PROGRAM, None), "the removed function's edges are gone"
    assert not any(e[0].startswith("app.train._probe") for e in back)
    again = edited("app.train", PROGRAM["app.train"][0].replace("def train", INSERTED + "def train"))
    solved.clear()
    resumed = edges_of(again, tmp_path)
    assert solved == [], "and code added again resumes it"
    assert resumed == edges_of(again, None)
    kept = sorted(path.name for path in (tmp_path / FOLDER).glob("main.resume*.pickle"))
    assert kept == ["main.resume.1.pickle", "main.resume.2.pickle", "main.resume.pickle"], "three kept, no more"


def _kept_sources(path: Path) -> dict[str, tuple[str, bool]]:
    stored = read_stored(str(path), _kept_key(path))
    next(stored), next(stored)  # the stamp, the edges
    head = next(stored)
    assert isinstance(head, resume.SolvedFrom)
    return head.sources


def _kept_stamp(path: Path) -> str:
    stamp = next(read_stored(str(path), _kept_key(path)))
    assert isinstance(stamp, str) and stamp
    return stamp


def test_a_kept_solution_that_cannot_be_written_leaves_none_newer_than_the_index(
        tmp_path: Path, solved: list[list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """The newest kept solution is the one whose edges the index holds; when the next one cannot be
    written (a full disk), none is newest, so the next resume stores every file's edges again."""
    import tags.atomic

    edges_of(PROGRAM, tmp_path)
    write = tags.atomic.write_atomic

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tags.atomic, "write_atomic", disk_full)
    first = edited("app.train", PROGRAM["app.train"][0] + APPENDED)
    assert edges_of(first, tmp_path) == edges_of(first, None)
    assert not (tmp_path / FOLDER / "main.resume.pickle").exists()
    assert (tmp_path / FOLDER / "main.resume.1.pickle").is_file(), "the one before, no longer the newest"
    monkeypatch.setattr(tags.atomic, "write_atomic", write)
    again = edited("app.train", PROGRAM["app.train"][0] + APPENDED + "\ndef _second(): return _probe(1)\n")
    before = tmp_path / FOLDER / "main.resume.1.pickle"  # the index held it: the newest's edges are not known
    found = resume.resumed(str(tmp_path), "main", _kept_key(before), {m: s for m, s in again.items() if m[:3] == "app"},
                           {}, _kept_stamp(before))
    assert found is not None and found.from_older and found.stored_edges is None, "stored again, every file"
    solved.clear()
    assert edges_of(again, tmp_path) == edges_of(again, None)


def _kept_key(path: Path) -> str:
    return path.read_bytes().split(b"\n", 1)[0].decode()


def test_going_back_beyond_the_kept_solutions_is_solved_from_scratch(tmp_path: Path, solved: list[list[str]]) -> None:
    edges_of(PROGRAM, tmp_path)
    for number in range(resume.KEPT_STATES):
        edges_of(edited("app.train", PROGRAM["app.train"][0] + f"\ndef _probe{number}(): return train(1)\n"), tmp_path)
    solved.clear()
    assert edges_of(PROGRAM, tmp_path) == edges_of(PROGRAM, None)
    assert solved[0] == ["app", "app.models", "app.train"], "the solution before the additions is no longer kept"


def test_a_resume_that_reaches_a_scope_out_of_passes_is_solved_from_scratch(tmp_path: Path, solved: list[list[str]],
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solver, "MAX_PASSES", 1)  # every scope has used its passes once solved
    edges_of(PROGRAM, tmp_path)
    changed = edited("app.train", PROGRAM["app.train"][0] + APPENDED)
    solved.clear()
    again = edges_of(changed, tmp_path)
    assert ["app", "app.models", "app.train"] in solved, "solved from scratch"
    assert again == edges_of(changed, None)


def test_a_resumed_solve_adding_to_a_full_set_is_not_resumable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A set keeps the first MAX_VALUES values to arrive, and resumed they arrive in another order than
    solved (on fastai: 14 more outside calls than a fresh solve, an insertion into `Learner.fit`)."""
    from tags.pointsto.program import Program

    monkeypatch.setattr(solver, "MAX_VALUES", 2)
    program = Program()
    program.add_module("m", ast.parse("x = 1\n"))
    found = solver.Solver(program, seed=False)
    found.add("k", {("b", "a", ""), ("b", "b", "")})
    found.add("k", {("b", "c", "")})  # solving: a full set takes no more
    assert found.pts["k"] == {("b", "a", ""), ("b", "b", "")}
    found.resuming = True
    found.add("k", {("b", "a", "")})  # resuming: what it holds already is no change
    with pytest.raises(solver.ValuesCapped):
        found.add("k", {("b", "c", "")})
    found.add("j", {("b", "a", "")})
    with pytest.raises(solver.ValuesCapped):
        found.add("j", {("b", "b", ""), ("b", "c", "")})  # taken past the cap


def test_a_resume_that_reaches_a_full_set_is_solved_from_scratch(tmp_path: Path, solved: list[list[str]],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    edges_of(PROGRAM, tmp_path)
    add = solver.Solver.add

    def full_when_resumed(self: solver.Solver, key: str, values: object) -> None:
        if self.resuming and key.startswith("app.train._probe"):
            raise solver.ValuesCapped(key)
        add(self, key, values)  # type: ignore[arg-type]

    monkeypatch.setattr(solver.Solver, "add", full_when_resumed)
    changed = edited("app.train", PROGRAM["app.train"][0] + APPENDED)
    solved.clear()
    again = edges_of(changed, tmp_path)
    assert ["app", "app.models", "app.train"] in solved, "solved from scratch"
    assert again == edges_of(changed, None)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other-key", "group-writable", "symlink"])
def test_a_damaged_or_untrusted_kept_state_is_solved_instead(tmp_path: Path, solved: list[list[str]], damage: str) -> None:
    edges_of(PROGRAM, tmp_path)
    damage_stored_file(tmp_path / FOLDER / "main.resume.pickle", damage)
    changed = edited("app.train", PROGRAM["app.train"][0] + APPENDED)
    solved.clear()
    again = edges_of(changed, tmp_path)
    assert ["app", "app.models", "app.train"] in solved, "solved from scratch"
    assert again == edges_of(changed, None)


def test_the_names_an_added_statement_binds() -> None:
    def bound(code: str) -> set[str]:
        return resume.bound_names(ast.parse(textwrap.dedent(code)).body[0])

    assert bound("def f(a, b=g()):\n    local = a\n    self.attr = 1\n    global G\n") == {"f", "attr", "G"}
    assert bound("class C(Base):\n    x = 1\n    def m(self): y = 2\n") == {"C", "x", "m"}
    assert bound("import a.b as c") == {"c"} and bound("from m import p, q as r") == {"p", "r"}
    assert bound("for i, (j, k) in pairs: pass") == {"i", "j", "k"}
    assert bound("setattr(obj, 'named', 1)") == {"named"}
    assert bound("print(x)") == set()
    inside = ast.parse("res = f()\nself.seen = res\nglobal G\ndef helper(): pass\nimport os").body
    assert [resume.bound_names(statement, visible=False) for statement in inside] == [set(), {"seen"}, {"G"}, set(), set()]


def test_the_names_an_old_function_holds() -> None:
    code = textwrap.dedent("""\
        def f(a, *args, b=dflt, **kw):
            import os.path, numpy as np
            global G
            try: g(a.attr)
            except E as err: pass
            match a:
                case {"k": v, **rest}: pass
            def inner(c): return lambda d: c
            store_attr('y,z')
            return [x for x in args]
        """)
    assert resume.names_in(ast.parse(code).body[0]) == {
        "f", "a", "args", "b", "dflt", "kw", "os", "np", "G", "g", "E", "err", "k", "v", "rest", "inner", "c", "d",
        "store_attr", "y", "z", "x"}


@pytest.mark.parametrize("edit, shown", [
    pytest.param(lambda text: text + APPENDED, ["_probe", "train.py:15"], id="appended"),
    pytest.param(lambda text: text.replace("def train", INSERTED + "def train"), ["_probe", "train.py:9", "train.py:13"],
                 id="inserted mid-file"),
])
def test_the_graph_after_an_added_function_is_the_one_a_fresh_index_gives(tmp_path: Path, edit: object,
                                                                          shown: list[str]) -> None:
    from tests.helpers import make_package, run_nav

    files = {name.replace(".", "/") + ("/__init__.py" if is_package else ".py"): text
             for name, (text, is_package) in PROGRAM.items()}
    make_package(tmp_path / "src", files)
    cache, fresh = tmp_path / "cache", tmp_path / "fresh"
    roots = [str(tmp_path / "src" / "fastcore"), str(tmp_path / "src" / "app")]
    run_nav("index", *roots, cache=cache, check=True)
    assert "train" in run_nav("callers", "Learner.fit", cache=cache, check=True).stdout
    kept = cache / FOLDER / "main.resume.pickle"
    written = kept.stat().st_mtime_ns
    train = tmp_path / "src" / "app" / "train.py"
    train.write_text(edit(train.read_text()))  # type: ignore[operator]
    callers = run_nav("callers", "Learner.fit", cache=cache, check=True).stdout
    assert all(text in callers for text in shown), callers
    assert kept.stat().st_mtime_ns != written, "the resumed state was kept for the next edit"
    run_nav("index", *roots, cache=fresh, check=True)
    for name in ("Learner.fit", "Model.__call__", "app.train.train", "helper"):
        assert run_nav("callers", name, cache=cache, check=True).stdout == run_nav("callers", name, cache=fresh,
                                                                                   check=True).stdout


def test_a_file_reached_through_a_lambda_that_made_new_calls_is_stored_again(tmp_path: Path) -> None:
    """`run` (app/use.py, not edited) calls a lambda of app/models.py; code added to app/train.py hands
    that lambda a new function, which `run` now reaches too: its file's edges are stored again."""
    from tests.helpers import make_package, run_nav

    files = {"app/__init__.py": "", "app/models.py": "def helper(x): return x\ncall_it = lambda f: f(1)\n",
             "app/use.py": "from app.models import call_it, helper\n\ndef run():\n    return call_it(helper)\n",
             "app/train.py": "from app.models import helper\n\ndef train():\n    return helper(2)\n"}
    make_package(tmp_path / "src", files)
    cache, fresh = tmp_path / "cache", tmp_path / "fresh"
    run_nav("index", str(tmp_path / "src" / "app"), cache=cache, check=True)
    assert "run" in run_nav("callers", "helper", cache=cache, check=True).stdout
    with open(tmp_path / "src" / "app" / "train.py", "a") as handle:
        handle.write("\nimport app.models as _probe_models\n\ndef _probe_fn(x):\n    return x\n\n"
                     "def _probe_hand():\n    return _probe_models.call_it(_probe_fn)\n")
    resumed = run_nav("callers", "_probe_fn", cache=cache, check=True).stdout
    run_nav("index", str(tmp_path / "src" / "app"), cache=fresh, check=True)
    assert resumed == run_nav("callers", "_probe_fn", cache=fresh, check=True).stdout
    assert "use.py:4" in resumed and "run" in resumed, resumed


def test_an_undone_edit_stores_again_the_files_whose_edges_it_had_added_to(tmp_path: Path) -> None:
    """Code added to app/train.py hands helper2 to a lambda of app/models.py, which `run` (app/use.py, never
    edited) calls: `run` reaches helper2. Undone, the solution kept before it is resumed, and app/use.py,
    whose stored edges came from the newer one, has them stored again without the call."""
    from tests.helpers import make_package, run_nav

    files = {"app/__init__.py": "", "app/models.py": "def helper(x): return x\ndef helper2(x): return x\n"
             "call_it = lambda f: f(1)\n",
             "app/use.py": "from app.models import call_it, helper\n\ndef run():\n    return call_it(helper)\n",
             "app/train.py": "from app.models import helper\n\ndef train():\n    return helper(2)\n"}
    make_package(tmp_path / "src", files)
    cache, fresh, root = tmp_path / "cache", tmp_path / "fresh", str(tmp_path / "src" / "app")
    run_nav("index", root, cache=cache, check=True)
    assert "run" not in run_nav("callers", "helper2", cache=cache).stdout
    train = tmp_path / "src" / "app" / "train.py"
    train.write_text(files["app/train.py"] + "\nimport app.models as _probe_models\n\ndef _probe_hand():\n"
                     "    return _probe_models.call_it(_probe_models.helper2)\n")
    assert "use.py:4" in run_nav("callers", "helper2", cache=cache, check=True).stdout
    train.write_text(files["app/train.py"])
    undone = run_nav("callers", "helper2", cache=cache).stdout
    assert (cache / FOLDER / "main.resume.1.pickle").is_file(), "the solution before the edit was kept"
    run_nav("index", root, cache=fresh, check=True)
    assert undone == run_nav("callers", "helper2", cache=fresh).stdout
    assert "use.py" not in undone, undone


def test_a_changed_statement_solved_again_stores_only_the_files_whose_edges_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A statement changed in app/train.py (`call_it(helper)` to `call_it(helper2)`) is no addition: the
    part is solved again. The lambda of app/models.py now calls helper2, and so does `run` (app/use.py,
    never edited) through it: their files are stored again with the edited one, while app/other.py,
    whose calls are those the index holds, keeps its stored edges. The graph is the one a fresh index gives."""
    from tags.callgraph import ensure_graph
    from tags.indexer import fresh_index
    from tags.store import Index
    from tests.helpers import run_nav

    files = {"app/__init__.py": "",
             "app/models.py": "def helper(x): return x\ndef helper2(x): return x\ncall_it = lambda f: f(1)\n",
             "app/use.py": "from app.models import call_it, helper\n\ndef run():\n    return call_it(helper)\n",
             "app/train.py": "from app.models import call_it, helper, helper2\n\ndef train():\n    return call_it(helper)\n",
             "app/other.py": "from app.models import helper\n\ndef other():\n    return helper(3)\n"}
    cache, fresh, root = _indexed_with_graph(tmp_path, files)
    (tmp_path / "src" / "app" / "train.py").write_text(files["app/train.py"].replace("(helper)", "(helper2)"))
    stored: list[str] = []
    store = Index.store_file_graph
    monkeypatch.setattr(Index, "store_file_graph", lambda self, graph, *rest: (stored.append(graph.module),
                                                                               store(self, graph, *rest)))
    monkeypatch.setenv("NAV_CACHE_DIR", str(cache))
    index = Index.open()
    try:
        fresh_index(index, progress=False)
        ensure_graph(index)
    finally:
        index.close()
    assert set(stored) == {"app.models", "app.train", "app.use"}, stored
    run_nav("index", root, cache=fresh, check=True)
    for name in ("helper", "helper2"):
        assert run_nav("callers", name, cache=cache, check=True).stdout == run_nav("callers", name, cache=fresh,
                                                                                  check=True).stdout
    assert "use.py:4" in run_nav("callers", "helper2", cache=cache, check=True).stdout


def test_a_nav_killed_after_keeping_its_solution_but_before_storing_the_edges_has_them_stored_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Code added to app/train.py makes `run` (app/use.py, never edited) reach `_probe_fn` through a
    lambda. The nav resuming after it keeps the new solution, then dies before the index commits the
    edges (here: storing them fails). The next one resumes that newest solution with nothing to add;
    it gave the edges the index holds as unchanged, and use.py kept the old ones. The index holds the
    stamp of the solution its edges are from, in their transaction: another one's are not trusted."""
    from tags.callgraph import ensure_graph
    from tags.indexer import fresh_index
    from tags.store import Index
    from tests.helpers import run_nav

    files = {"app/__init__.py": "", "app/models.py": "def helper(x): return x\ncall_it = lambda f: f(1)\n",
             "app/use.py": "from app.models import call_it, helper\n\ndef run():\n    return call_it(helper)\n",
             "app/train.py": "from app.models import helper\n\ndef train():\n    return helper(2)\n"}
    cache, fresh, root = _indexed_with_graph(tmp_path, files)
    with open(tmp_path / "src" / "app" / "train.py", "a") as handle:
        handle.write("\nimport app.models as _probe_models\n\ndef _probe_fn(x):\n    return x\n\n"
                     "def _probe_hand():\n    return _probe_models.call_it(_probe_fn)\n")

    def killed(*args: object) -> None:
        raise KeyboardInterrupt  # as a kill before the commit: nothing of the transaction stays

    monkeypatch.setattr(Index, "store_file_graph", killed)
    monkeypatch.setenv("NAV_CACHE_DIR", str(cache))
    index = Index.open()
    try:
        fresh_index(index, progress=False)
        with pytest.raises(KeyboardInterrupt):
            ensure_graph(index)
    finally:
        index.close()
    join_background()  # the solution kept meanwhile is written
    monkeypatch.undo()
    run_nav("index", root, cache=fresh, check=True)
    callers = run_nav("callers", "_probe_fn", cache=cache, check=True).stdout
    assert callers == run_nav("callers", "_probe_fn", cache=fresh, check=True).stdout
    assert "use.py:4" in callers and "run" in callers, callers


def _indexed_with_graph(tmp_path: Path, files: dict[str, str]) -> tuple[Path, Path, str]:
    """The package `app` of `files` under tmp_path/src, indexed with its graph built (`run` calls `helper`):
    the cache, a folder for a fresh index, and the root."""
    from tests.helpers import make_package, run_nav

    make_package(tmp_path / "src", files)
    cache, fresh, root = tmp_path / "cache", tmp_path / "fresh", str(tmp_path / "src" / "app")
    run_nav("index", root, cache=cache, check=True)
    assert "run" in run_nav("callers", "helper", cache=cache, check=True).stdout
    return cache, fresh, root
