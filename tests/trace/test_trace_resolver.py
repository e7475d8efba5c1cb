"""The resolver's rules on a small package, and incremental rebuilds of the call graph."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Iterator

import pytest

from tags.callgraph import GraphReport
from tags.store import Index
from tests.helpers import line_of, make_package, run_nav

FILES = {
    "__init__.py": "from .core import *\n",
    "util.py": """
        def util_fn(): return 0
        def _private_util(): return 1
    """,
    "core.py": """
        __all__ = ['Base', 'Child', 'public_fn', 'make', 'alias_fn']
        from .util import *

        class Base:
            def __init__(self): self.setup()
            def setup(self): return util_fn()
            @classmethod
            def build(cls): return cls()

        class Child(Base):
            def __init__(self):
                super().__init__()
                self.run()
            def run(self):
                def inner(): return public_fn()
                return inner()

        class Root:
            def hook(self): return 0
        class LeftSide(Root): pass
        class RightSide(Root):
            def hook(self): return 1
        class Diamond(LeftSide, RightSide):
            def go(self): return self.hook()

        def public_fn(): return 1
        def not_exported(): return 2
        def make(x): return x.special_method()
        alias_fn = public_fn
    """,
    "patches.py": """
        from .core import *

        def patch(f): return f

        @patch
        def extra(self: Child): return self.run()

        def caller():
            c = Child.build()
            return c.extra()

        class Other:
            def special_method(self): return 3
    """,
    "user.py": """
        from pkg import *

        def use():
            Child()
            public_fn()
            not_exported()
            alias_fn()
    """,
    "lonely.py": """
        def alone(): return len([])
    """,
}


def write_package(root: Path) -> Path:
    package = root / "pkg"
    package.mkdir(parents=True)
    for name, text in FILES.items():
        (package / name).write_text(textwrap.dedent(text).lstrip())
    return package


@pytest.fixture
def package(tmp_path: Path, cache: Path) -> Iterator[tuple[Path, Index]]:
    """The package indexed in a private cache, and the index opened on it."""
    package = write_package(tmp_path / "src")
    run_nav("index", str(package), cache=cache, check=True)
    index = Index.open()
    yield package, index
    index.close()


def calls_of(index: Index, symbol: str) -> set[tuple[str, int, str]]:
    """(callee qualname, call line, how) for every call `symbol` makes."""
    from navigator.trace.static import callees, resolve_one

    return {(c.qualname, c.call_line, c.how) for c in callees(index, resolve_one(index, symbol), 1).children}


def refresh(index: Index) -> GraphReport:
    from tags.callgraph import ensure_graph
    from tags.indexer import fresh_index

    fresh_index(index, progress=False)
    return ensure_graph(index)


def test_resolution_rules(package: tuple[Path, Index]) -> None:
    root, index = package
    core, patches, user = root / "core.py", root / "patches.py", root / "user.py"
    assert calls_of(index, "Base.__init__") == {("Base.setup", line_of(core, "def __init__(self): self.setup"), "exact")}
    assert calls_of(index, "Base.setup") == {("util_fn", line_of(core, "def setup"), "exact")}, "star import in core"
    built = line_of(core, "def build(cls)")
    # `cls()` in a classmethod: `cls` is Base, and Child where `Child.build()` is called (points-to)
    assert calls_of(index, "Base.build") == {("Base", built, "exact"), ("Base.__init__", built, "exact"),
                                             ("Child", built, "exact"), ("Child.__init__", built, "exact")}
    assert calls_of(index, "Child.__init__") == {("Base.__init__", line_of(core, "super().__init__()"), "exact"),
                                                 ("Child.run", line_of(core, "self.run()"), "exact")}
    assert calls_of(index, "Diamond.go") == {("RightSide.hook", line_of(core, "def go(self)"), "exact")}, "C3 MRO"
    assert calls_of(index, "Child.run") == {("Child.run.inner", line_of(core, "return inner()"), "exact")}
    assert calls_of(index, "Child.run.inner") == {("public_fn", line_of(core, "def inner()"), "exact")}
    assert calls_of(index, "make") == {("Other.special_method", line_of(core, "def make"), "by-name")}
    assert calls_of(index, "Child.extra") == {("Child.run", line_of(patches, "def extra"), "exact")}, "@patch"
    assert calls_of(index, "caller") == {
        ("Base.build", line_of(patches, "c = Child.build()"), "exact"),  # classmethod inherited from the base
        ("Child.extra", line_of(patches, "return c.extra()"), "exact"),  # `c` holds a Child; extra is patched in
    }
    assert calls_of(index, "use") == {  # `from pkg import *` -> `from .core import *` honouring __all__
        ("Child", line_of(user, "Child()"), "exact"), ("Child.__init__", line_of(user, "Child()"), "exact"),
        ("public_fn", line_of(user, "public_fn()"), "exact"),  # not_exported() is not in __all__: no edge
    }


def test_an_alias_is_followed_to_its_function(package: tuple[Path, Index]) -> None:
    from navigator.trace.static import callers, resolve_one

    root, index = package
    tree = callers(index, resolve_one(index, "public_fn"), 1)
    found = {(c.qualname, c.call_line, c.count) for c in tree.children}
    assert found == {("use", line_of(root / "user.py", "public_fn()"), 2),  # public_fn() and alias_fn()
                     ("Child.run.inner", line_of(root / "core.py", "def inner()"), 1)}


def test_only_what_a_change_can_affect_is_resolved_again(package: tuple[Path, Index]) -> None:
    root, index = package
    assert next(index.rows("SELECT count(*) FROM graph_files"))[0] == 0, "nav index leaves the graph for later"
    assert len(refresh(index).resolved_files) == len(FILES), "built lazily, on the first query"
    assert next(index.rows("SELECT count(*) FROM edges"))[0] > 10
    assert refresh(index).resolved_files == [], "nothing changed since"

    # an edit re-solves the files import-connected to the edited one (points-to facts flow only along imports)
    (root / "user.py").write_text((root / "user.py").read_text() + "    Base.build()\n")
    report = refresh(index)
    assert report.resolved_files == ["pkg", "pkg.core", "pkg.patches", "pkg.user", "pkg.util"], "not pkg.lonely"
    assert ("Base.build", line_of(root / "user.py", "Base.build()"), "exact") in calls_of(index, "use")

    # a new method named like one called by name elsewhere: the caller of that name is resolved again
    (root / "lonely.py").write_text("class Lonely:\n    def special_method(self): return 4\n")
    report = refresh(index)
    assert {"pkg.core", "pkg.lonely"} <= set(report.resolved_files)
    assert {c[0] for c in calls_of(index, "make")} == {"Other.special_method", "Lonely.special_method"}

    # a removed file: its definitions leave the graph, and its dependents are resolved again
    (root / "patches.py").unlink()
    report = refresh(index)
    assert "pkg.core" in report.resolved_files and "pkg.patches" not in report.resolved_files
    assert {c[0] for c in calls_of(index, "make")} == {"Lonely.special_method"}


def test_a_by_name_caller_is_resolved_again_only_when_a_method_count_changes(tmp_path: Path, cache: Path) -> None:
    """`x.run()` by name, with `run` in nine classes (over MAX_BY_NAME: no guess): an edit of their
    bodies leaves the caller alone; one class fewer, and the guesses appear."""
    from tags.callgraph import MAX_BY_NAME, ensure_graph

    root = tmp_path / "proj"
    root.mkdir()
    classes = [f"class C{i}:\n    def run(self): pass\n" for i in range(MAX_BY_NAME + 1)]
    (root / "many.py").write_text("".join(classes))
    (root / "caller.py").write_text("def go(x):\n    x.run()\n")
    run_nav("index", str(root), cache=cache, check=True)
    index = Index.open()
    try:
        assert ensure_graph(index).resolved_files == ["caller", "many"]
        assert calls_of(index, "go") == set()
        (root / "many.py").write_text("".join(classes).replace("pass", "return 1"))
        assert refresh(index).resolved_files == ["many"], "the same names, as many: `go` is not resolved again"
        (root / "many.py").write_text("".join(classes[1:]))
        assert refresh(index).resolved_files == ["caller", "many"]
        assert {c[0] for c in calls_of(index, "go")} == {f"C{i}.run" for i in range(1, MAX_BY_NAME + 1)}
    finally:
        index.close()


def stored_edges(index: Index) -> list[tuple]:
    """Every stored edge by names, as a full solve and an incremental one must agree on them."""
    return sorted(index.rows(
        "SELECT f.module, a.qualname, b.qualname, e.line, e.col, e.how, e.rank FROM edges e JOIN defs a ON a.id = "
        "e.caller_id JOIN defs b ON b.id = e.callee_id JOIN files f ON f.id = e.file_id"))


def test_by_name_answers_into_an_edited_file_are_given_again_without_solving_their_file(tmp_path: Path,
                                                                                          cache: Path) -> None:
    """`learn.fit()` by name in a file importing nothing of the edited one (timm guessing fastai's
    methods): an edit keeping the methods gives them new ids and lines; only those call sites are
    answered again, as a full solve answers them, however often the same file is edited."""
    from tags.callgraph import ensure_graph

    root = make_package(tmp_path / "proj", {
        "learner.py": "class Learner:\n    def fit(self): pass\n    def predict(self): pass\n",
        "other.py": "class Trainer:\n    def fit(self): pass\n",
        "script.py": "def go(learn):\n    learn.fit()\n    return len([])\n",
    })
    run_nav("index", str(root), cache=cache, check=True)
    index = Index.open()
    try:
        ensure_graph(index)
        guesses = [("script", "go", "Learner.fit", 2, 5, "by-name", 0), ("script", "go", "Trainer.fit", 2, 5, "by-name", 1)]
        assert [row for row in stored_edges(index) if row[0] == "script"] == guesses, "`learn` hints at Learner"
        for edit in range(2):
            (root / "learner.py").write_text(f"def helper{edit}():\n    return 2\n\n" + (root / "learner.py").read_text())
            report = refresh(index)
            assert (report.resolved_files, report.relinked_files) == (["learner"], ["script"]), f"edit {edit}"
            assert {c[0] for c in calls_of(index, "go")} == {"Learner.fit", "Trainer.fit"}
            incremental = stored_edges(index)
            with index.transaction():
                index.forget_graph_files()
            assert len(ensure_graph(index).resolved_files) == 3
            assert stored_edges(index) == incremental, "the same edges as a full solve"
        orphans = "SELECT count(*) FROM edges WHERE callee_id NOT IN (SELECT id FROM defs)"
        assert next(index.rows(orphans))[0] == 0
        # a method named `fit` more: the number of candidates changed, the caller is solved again
        (root / "learner.py").write_text((root / "learner.py").read_text() + "class Tuner:\n    def fit(self): pass\n")
        report = refresh(index)
        assert (report.resolved_files, report.relinked_files) == (["learner", "script"], [])
        assert {c[0] for c in calls_of(index, "go")} == {"Learner.fit", "Trainer.fit", "Tuner.fit"}
    finally:
        index.close()


def test_an_edit_the_syntax_tree_does_not_see_keeps_the_edges(package: tuple[Path, Index]) -> None:
    root, index = package
    refresh(index)
    before = calls_of(index, "use")
    edges = next(index.rows("SELECT count(*) FROM edges"))[0]

    # a comment appended: same syntax tree, same positions; the definitions' ids moved, the edges follow
    (root / "core.py").write_text((root / "core.py").read_text() + "# a note\n")
    assert refresh(index).resolved_files == []
    assert calls_of(index, "use") == before and {c[0] for c in calls_of(index, "make")} >= {"Other.special_method"}
    assert next(index.rows("SELECT count(*) FROM edges"))[0] == edges
    orphans = "SELECT count(*) FROM edges WHERE callee_id NOT IN (SELECT id FROM defs) OR caller_id NOT IN (SELECT id FROM defs)"
    assert next(index.rows(orphans))[0] == 0, "every edge names current definitions"

    # a comment line on top moves every position: resolved again
    (root / "core.py").write_text("# a note\n" + (root / "core.py").read_text())
    assert "pkg.core" in refresh(index).resolved_files
    assert calls_of(index, "use") == before


def test_the_cli_never_shows_a_stale_graph(package: tuple[Path, Index], cache: Path) -> None:
    root, _ = package
    before = run_nav("trace", "use", "--depth", "1", cache=cache, check=True).stdout
    assert "Base.build" not in before
    (root / "user.py").write_text((root / "user.py").read_text() + "    Base.build()\n")
    after = run_nav("trace", "use", "--depth", "1", cache=cache, check=True).stdout
    assert f"Base.build  {root / 'user.py'}:{line_of(root / 'user.py', 'Base.build()')}" in after


CYCLE = {  # `pkg` binds `create` from `pkg.models`, whose factory imports `pkg` back: an import cycle
    "pkg/__init__.py": "from .models import create\nversion = 1\n",
    "pkg/models/__init__.py": "from .factory import *\n",
    "pkg/models/factory.py": "from pkg import version\ndef create(): pass\n",
}


@pytest.mark.parametrize("first", ["pkg", "pkg.models", "pkg.models.factory"])
def test_a_namespace_in_an_import_cycle_is_the_same_whichever_module_is_asked_first(
        first: str, cache: Path, tmp_path: Path) -> None:
    from tags.names import Binding, Names
    from tags.store import Index

    make_package(tmp_path / "proj", CYCLE)
    run_nav("index", str(tmp_path / "proj"), cache=cache, check=True)
    index = Index.open()
    try:
        names = Names(index)
        names.namespace(first)
        create = names.attribute(Binding("module", "pkg"), "create")
    finally:
        index.close()
    assert [names.defs[b.target].qualname for b in create if b.kind == "def"] == ["create"], \
        f"asked for {first} first: {create}"
