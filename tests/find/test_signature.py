"""`nav show SYMBOL --signature`: the effective `@delegates` signature read statically, checked
against `inspect.signature` at run time for every `@delegates` definition of the installed fastai
that imports here and whose delegation stays inside the index."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run_nav, site_file

_RUNTIME_SIGNATURES = """
import importlib, inspect, json, sys, warnings

def parameters(module, qualname):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            target = importlib.import_module(module)
            for part in qualname.split("."):
                target = getattr(target, part)
            if inspect.isclass(target) and hasattr(target, "encodes"):
                # fasttransform's metaclass fixes `cls.__signature__` before the class decorator runs, so
                # `inspect.signature(Resize)` is the written `__init__`; the delegated one is `__init__`'s.
                return list(inspect.signature(target.__init__).parameters)[1:]
            return list(inspect.signature(target).parameters)
    except (ImportError, NameError, AttributeError, TypeError):
        # fastai.medical needs pydicom, fastai.distributed accelerate; a few names are not a
        # callable at run time (inspect.signature raises TypeError): not comparable
        return None

print(json.dumps([parameters(module, qualname) for module, qualname in json.load(sys.stdin)]))
"""


def runtime_parameters(*names: tuple[str, str]) -> list[list[str] | None]:
    """Parameter names `inspect.signature` gives for each (module, qualname), None where the module
    does not import here. Asked of a fresh interpreter: modules other tests imported or patched in
    this process (a workspace copy of fastai, say) must not change the answer."""
    done = subprocess.run([sys.executable, "-c", _RUNTIME_SIGNATURES], input=json.dumps(names), text=True,
                          capture_output=True, check=True, timeout=600)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_vision_learner_signature_json(installed_cache: Path) -> None:
    done = run_nav("show", "fastai.vision.learner.vision_learner", "--signature", "--json",
                   cache=installed_cache, check=True)
    signature = json.loads(done.stdout)
    names = [p["name"] for p in signature["parameters"]]
    assert [names] == runtime_parameters(("fastai.vision.learner", "vision_learner"))
    n_in = next(p for p in signature["parameters"] if p["name"] == "n_in")
    assert n_in == {"name": "n_in", "default": "3", "kind": "KEYWORD_ONLY",
                    "from": "fastai.vision.learner.create_vision_model"}
    assert signature["parameters"][0]["from"] == "fastai.vision.learner.vision_learner"
    assert signature["unresolved"] == []


def test_delegates_to_torch_is_reported_as_unknown(installed_cache: Path) -> None:
    done = run_nav("show", "fastai.layers.ConvLayer.__init__", "--signature", cache=installed_cache, check=True)
    assert "not known statically: **kwargs go to nn.Conv2d, which is not in the index" in done.stderr
    assert done.stdout.splitlines()[-1].strip() == "**kwargs"


def test_static_signatures_equal_runtime_ones(installed) -> None:
    from navigator.queries import symbols_where
    from navigator.session import query
    from navigator.signature import SignatureReader

    fastai_dir = str(site_file("fastai", ""))

    def read(index):
        found = symbols_where(index, "d.decorators LIKE '%delegates%' AND f.path LIKE ?", (fastai_dir + "%",), 10_000)
        reader = SignatureReader(index)
        return [(symbol, reader.of(symbol)) for symbol in found]

    compared, unknown, mismatched = [], [], []
    read_statically = query(read)
    at_run_time = runtime_parameters(*((symbol.module, symbol.qualname) for symbol, _ in read_statically))
    for (symbol, signature), expected in zip(read_statically, at_run_time, strict=True):
        if expected is None:
            continue
        if signature.unresolved:  # delegates to torch: nav says so instead of guessing
            unknown.append(symbol.full_name)
            continue
        compared.append(symbol.full_name)
        if [p.name for p in signature.parameters] != expected:
            mismatched.append((symbol.full_name, [p.name for p in signature.parameters], expected))
    assert mismatched == []
    assert len(compared) >= 10, compared
    assert "fastai.data.core.DataLoaders.test_dl" in compared  # @patch + delegates + @funcs_kwargs chain
    assert "fastai.losses.CrossEntropyLossFlat" in compared  # @delegates() class + @use_kwargs_dict
    assert "fastai.layers.ConvLayer.__init__" in unknown


@pytest.mark.parametrize("decorator, expected", [
    ("delegates(create_vision_model)", ("create_vision_model", False, ())),
    ("delegates(to=Learner.__init__, keep=True)", ("Learner.__init__", True, ())),
    ("delegates(TfmdDL, but=['bs', 'shuffle'])", ("TfmdDL", False, ("bs", "shuffle"))),
    ("delegates(but='a, b')", (None, False, ("a", "b"))),
    ("delegates()", (None, False, ())),
    ("patch", None),
])
def test_parse_delegation(decorator: str, expected) -> None:
    from navigator.signature import parse_delegation

    found = parse_delegation(decorator)
    assert (found.to, found.keep, found.but) == expected if expected else found is None


def test_a_default_nested_thousands_deep_is_shown_as_written(tmp_path: Path) -> None:
    """`def f(x=--...--1)` with 2,500 minus signs: Python parses it, and `ast.unparse` then recursed
    past the limit: `nav show f --signature` was a RecursionError traceback. The default is shown as
    written; a default Python cannot parse at all gives no parameters, as a syntax error does."""
    source = tmp_path / "src"
    source.mkdir()
    deep = "-" * 2500 + "1"
    (source / "m.py").write_text(f"def f(x={deep}, y=2):\n    pass\n\n\ndef g(x={'-' * 5000}1):\n    pass\n")
    cache = tmp_path / "cache"
    run_nav("index", str(source), cache=cache, check=True)
    shown = json.loads(run_nav("show", "f", "--signature", "--json", cache=cache, check=True).stdout)
    assert [(p["name"], p["default"]) for p in shown["parameters"]] == [("x", deep), ("y", "2")]
    refused = run_nav("show", "g", "--signature", cache=cache)
    assert refused.returncode == 0 and refused.stdout == "m.g()\n" and "Traceback" not in refused.stderr
