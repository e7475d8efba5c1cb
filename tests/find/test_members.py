"""`nav show Learner --members`: the class body's methods and every `@patch`ed one, each at the
place Python itself says it was defined (the code object of the attribute at run time)."""
from __future__ import annotations

import importlib
import inspect
import json
import warnings
from pathlib import Path

from tests.helpers import run_nav

IMPORTED = ("fastai.vision.all", "fastai.text.all", "fastai.tabular.all", "fastai.callback.all")


def runtime_learner_functions() -> dict[str, tuple[str, int]]:
    """name -> (file, first line) of each function attribute of `Learner` after the usual imports."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for module in IMPORTED:
            importlib.import_module(module)
    from fastai.learner import Learner

    found = {}
    for name, value in vars(Learner).items():
        function = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
        code = getattr(inspect.unwrap(function), "__code__", None) if callable(function) or isinstance(value, property) else None
        if code is not None:
            found[name] = (str(Path(code.co_filename).resolve()), code.co_firstlineno)
    return found


def test_learner_members_include_patched_methods_where_python_defines_them(installed_cache: Path) -> None:
    done = run_nav("show", "Learner", "--members", "--json", "--kind", "class", cache=installed_cache, check=True)
    members = json.loads(done.stdout)
    patched = {m["name"]: m for m in members if m["patched"]}
    assert patched["fine_tune"]["module"] == "fastai.callback.schedule"
    assert patched["to_fp16"]["module"] == "fastai.callback.fp16"
    runtime = runtime_learner_functions()
    imported_modules = {m["module"] for m in members if m["patched"] and m["name"] in runtime}
    assert len(imported_modules) >= 5
    compared = [name for name in patched if name in runtime]
    assert len(compared) >= 20
    for name in compared:  # co_firstlineno is the first decorator line; nav's `line` is the `def`
        file, first = runtime[name]
        assert file == patched[name]["path"] and first <= patched[name]["line"] <= first + 3, (name, runtime[name])
    # every patched-in function Python sees from a module we index is listed
    missing = [name for name, (file, _) in runtime.items()
               if file.endswith(".py") and "/fastai/" in file and not file.endswith("/fastai/learner.py")
               and name not in patched]
    assert missing == []


def test_members_of_a_function_is_a_clear_error(installed_cache: Path) -> None:
    done = run_nav("show", "fastai.vision.learner.vision_learner", "--members", cache=installed_cache)
    assert done.returncode != 0
    assert "is a function, not a class" in done.stderr
