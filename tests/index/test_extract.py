"""Extraction on small sources written to show each idiom: what is found, where, and how named."""
from __future__ import annotations

from pathlib import Path

from tags.extract import extract, parse_file
from tags.model import NOT_UTF8, OK, PARTIAL, SYNTAX_ERROR, TOO_LARGE, UNREADABLE

SOURCE = b'''"""A module about learners."""
from fastcore.basics import patch, patch_to, delegates
from .core import *
from ..data import transforms as T, block
import timm.models as tm, os

__all__ = ['Learner', 'fit']
__all__ += ['extra']
model_meta = {'a': 1}
imagenet_stats = ([0.485], [0.229])
Alias = Learner2 = object

class Learner(Base, metaclass=Meta):
    "Group together a model and data"
    lr: float = 1e-3
    def __init__(self, dls, model):
        self.dls = dls
        def helper(x): return x + 1
        helper(1)
    @classmethod
    def create(cls, *args): return cls(*args)

def fit(
    self: Learner,  # the learner
    epochs,
    lr=1e-3,
) -> None:
    """Fit `epochs` epochs.

    More text."""
    self.dls.add_tfms([Normalize.from_stats(*stats)], 'after_batch')

@patch
@delegates(Learner.fit_one_cycle)
def fine_tune(self:Learner, epochs, **kwargs): return self.fit(epochs)

@patch_to(Learner, as_prop=True)
def n_epoch(self): return 0

@patch
def show(x:(TensorImage, TensorMask), ctx=None): pass

@typedispatch
def show_batch(x:TensorImage, y, samples): pass
@typedispatch
def show_batch(x:TfmdDL, y, samples): pass

@register_model
def resnet18(pretrained=False, **kwargs) -> ResNet:
    return _create_resnet('resnet18', pretrained, **kwargs)

exclude = lambda dt: dt[0] not in skip
'''


def definitions(source: bytes = SOURCE, module: str = "fastai.learner") -> dict[str, object]:
    defs, calls, imports, exports, error = extract(source, module)
    return {"defs": defs, "calls": calls, "imports": imports, "exports": exports, "error": error}


def by_qualname(defs) -> dict:
    found: dict = {}
    for d in defs:
        found.setdefault(d.qualname, []).append(d)
    return found


def test_module_is_definition_zero_with_its_docstring() -> None:
    defs = definitions()["defs"]
    assert (defs[0].kind, defs[0].qualname, defs[0].doc) == ("module", "fastai.learner", "A module about learners.")
    assert [d.line for d in defs] == sorted(d.line for d in defs), "document order"


def test_classes_methods_and_nested_functions() -> None:
    found = by_qualname(definitions()["defs"])
    learner = found["Learner"][0]
    assert (learner.kind, learner.line, learner.bases, learner.doc) == ("class", 13, ("Base",), "Group together a model and data")
    init = found["Learner.__init__"][0]
    assert (init.kind, init.scope, init.line, init.col, init.signature) == ("method", "Learner", 16, 5, "(self, dls, model)")
    helper = found["Learner.__init__.helper"][0]
    assert (helper.kind, helper.line) == ("function", 18)
    create = found["Learner.create"][0]
    assert create.flags == ("classmethod",) and create.first_line == 20 and create.line == 21
    assert found["Learner.lr"][0].kind == "variable" and found["Learner.lr"][0].signature == ": float"


def test_signature_is_one_line_without_comments_and_doc_is_first_line() -> None:
    fit = by_qualname(definitions()["defs"])["fit"][0]
    assert fit.signature == "(self: Learner, epochs, lr=1e-3,) -> None"
    assert fit.doc == "Fit `epochs` epochs."
    assert (fit.line, fit.end_line) == (23, 31)


def test_fastai_patch_idioms_make_methods() -> None:
    found = by_qualname(definitions()["defs"])
    fine_tune = found["Learner.fine_tune"][0]
    assert (fine_tune.kind, fine_tune.scope, fine_tune.delegates) == ("method", "Learner", "Learner.fit_one_cycle")
    assert fine_tune.decorators == ("patch", "delegates(Learner.fit_one_cycle)") and fine_tune.first_line == 33
    n_epoch = found["Learner.n_epoch"][0]
    assert "patch" in n_epoch.flags and "property" in n_epoch.flags
    show = found["TensorImage.show"][0]
    assert "also:TensorMask" in show.flags
    # `self: Learner` without @patch is a plain function: only the decorator makes a patch
    assert (found["fit"][0].kind, found["fit"][0].scope) == ("function", "")


def test_an_annotated_first_parameter_without_patch_is_no_method() -> None:
    """fastai's `def ImageBlock(cls:PILBase=PILImage)` once became the method `PILBase.ImageBlock`."""
    source = b"def ImageBlock(cls:PILBase=PILImage):\n    return TransformBlock(type_tfms=cls.create)\n"
    found = by_qualname(definitions(source, "fastai.vision.data")["defs"])
    assert "PILBase.ImageBlock" not in found
    assert (found["ImageBlock"][0].kind, found["ImageBlock"][0].line, "patch" in found["ImageBlock"][0].flags) == (
        "function", 1, False)


def test_dispatch_overloads_are_separate_entries() -> None:
    overloads = by_qualname(definitions()["defs"])["show_batch"]
    assert [o.line for o in overloads] == [44, 46]
    assert all("dispatch" in o.flags for o in overloads)
    assert overloads[0].signature != overloads[1].signature


def test_timm_register_model_gives_kind_model() -> None:
    resnet = by_qualname(definitions()["defs"])["resnet18"][0]
    assert (resnet.kind, resnet.signature) == ("model", "(pretrained=False, **kwargs) -> ResNet")


def test_variables_aliases_lambdas_and_all() -> None:
    result = definitions()
    found = by_qualname(result["defs"])
    assert found["model_meta"][0].kind == "variable"
    assert found["Alias"][0].alias_of == "object" and found["Learner2"][0].kind == "variable"
    assert found["exclude"][0].kind == "function" and "lambda" in found["exclude"][0].flags
    assert result["exports"] == ["Learner", "fit", "extra"]
    assert "Learner.__init__.dls" not in found, "assignments inside functions are not variables"


def test_imports_resolve_relative_modules() -> None:
    records = {(i.module, i.name, i.alias) for i in definitions(module="fastai.vision.learner")["imports"]}
    assert ("fastcore.basics", "patch", "patch") in records
    assert ("fastai.vision.core", "*", "") in records
    assert ("fastai.data", "transforms", "T") in records and ("fastai.data", "block", "block") in records
    assert ("timm.models", "", "tm") in records and ("os", "", "os") in records


def test_relative_import_from_a_package_init() -> None:
    imports = extract(b"from .core import *\nfrom .. import utils\n", "fastai.vision", is_package=True)[2]
    assert [(i.module, i.name) for i in imports] == [("fastai.vision.core", "*"), ("fastai", "utils")]


def test_call_sites_know_their_enclosing_definition_and_position() -> None:
    result = definitions()
    defs, calls = result["defs"], result["calls"]
    where = {(c.callee, c.line, c.col): defs[c.scope].qualname for c in calls}
    assert where[("self.dls.add_tfms", 31, 5)] == "fit"
    assert where[("Normalize.from_stats", 31, 24)] == "fit"
    assert where[("helper", 19, 9)] == "Learner.__init__"
    assert where[("_create_resnet", 50, 12)] == "resnet18"
    decorator_call = [c for c in calls if c.callee == "delegates"][0]
    assert defs[decorator_call.scope].kind == "module", "decorators run in the enclosing scope"


def test_parse_file_statuses(tmp_path: Path) -> None:
    def parse(name: str, data: bytes | None) -> object:
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        size = path.stat().st_size if path.exists() else -1
        return parse_file(str(path), name[:-3], size, 0)

    assert parse("empty.py", b"").status == OK
    broken = parse("broken.py", b"def ok():\n    pass\n\ndef broken(:\n    pass\n\nclass After:\n    pass\n")
    assert broken.status == SYNTAX_ERROR and "line 4" in broken.note
    assert {"ok", "After"} <= {d.name for d in broken.definitions}, "indexed as far as it parses"
    latin = parse("latin.py", "x = 1\ndef caf\u00e9(): return '\u00e9'\n".encode("latin-1"))
    assert latin.status == NOT_UTF8 and [(d.name, d.line) for d in latin.definitions[1:]] == [("x", 1), ("caf\u00e9", 2)]
    declared = parse("declared.py", "# -*- coding: latin-1 -*-\ndef caf\u00e9(): pass\n".encode("latin-1"))
    assert declared.status == OK and declared.definitions[1].name == "caf\u00e9"
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    assert parse("dangling.py", None).status == UNREADABLE
    big = tmp_path / "big.py"
    big.write_bytes(b"x = 1\n")
    assert parse_file(str(big), "big", 10**9, 0).status == TOO_LARGE


def test_valid_python_that_tree_sitter_misreads_is_partial_not_a_syntax_error(tmp_path: Path) -> None:
    # a continuation line dedented below its block (tree-sitter-python issue #256), valid Python
    source = b"def f(x):\n    if x:\n        print(1+\n1)\n    return x\n\ndef g(): pass\n"
    path = tmp_path / "odd.py"
    path.write_bytes(source)
    parsed = parse_file(str(path), "odd", len(source), 0)
    assert parsed.status == PARTIAL and "misreads" in parsed.note
    assert "f" in {d.name for d in parsed.definitions}


def test_a_comment_line_in_column_0_inside_brackets_is_read_as_python_reads_it(tmp_path: Path) -> None:
    """fastai's `torch_core.tensor` has `#  else ...` in column 0 inside `res = (...)`: the grammar
    took it for a dedent, so the function ended two lines early and its last call was the module's."""
    source = (b"def f(x):\n    res = (x if x\n#      else y\n           else g(0))\n"
              b"    if res: return res.float()\n    return res\n\ndef g(y): return [y,\n# (y)\n  ]\n")
    path = tmp_path / "odd.py"
    path.write_bytes(source)
    parsed = parse_file(str(path), "odd", len(source), 0)
    assert (parsed.status, parsed.note) == (OK, "")
    spans = {d.name: (d.line, d.end_line) for d in parsed.definitions[1:]}
    assert spans == {"f": (1, 6), "g": (8, 10)}
    calls = {(c.callee, c.line): parsed.definitions[c.scope].name for c in parsed.calls}
    assert calls == {("g", 4): "f", ("res.float", 5): "f"}


def test_installed_fastai_torch_core_spans_match_python_ast() -> None:
    """The real file the comment shape comes from: every definition's lines are Python's."""
    import ast
    import importlib.util

    path = Path(importlib.util.find_spec("fastai.torch_core").origin)
    data = path.read_bytes()
    parsed = parse_file(str(path), "fastai.torch_core", len(data), 0)
    assert parsed.status == OK, parsed.note
    expected = {(node.name, node.lineno, node.end_lineno) for node in ast.walk(ast.parse(data))
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    found = {(d.name, d.line, d.end_line) for d in parsed.definitions if d.kind in ("function", "method", "class")}
    assert expected <= found


def test_signature_whitespace_and_docstring_first_line_edge_cases() -> None:
    """Runs of whitespace become one space, the ends' too (as the regex they replace did); the
    docstring's first non-blank line is found past any kind of line break."""
    from tags.extract import _first_line, _one_line

    assert _one_line("(a,\n     b)") == "(a, b)"
    assert _one_line(" \tx  y\n") == " x y "
    assert _one_line("   ") == " "
    assert _one_line("( a )") == "(a)"
    assert _first_line("\n\n  Summary here.  \nMore.") == "Summary here."
    assert _first_line("  \x0c\n first\rsecond") == "first"
    assert _first_line(" \t\n ") == ""
    assert _first_line("x" * 300) == "x" * 200
    definitions, *_ = extract(b'def f(a,\n      b):\n    """\n    Does f.\n\n    More."""\n', "m")
    assert (definitions[1].signature, definitions[1].doc) == ("(a, b)", "Does f.")
