"""`nav trace --live`: real calls of real code, set against the static graph."""
from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import line_of, run_nav, site_file

LEARNER = site_file("fastai", "vision/learner.py")

TINY_VISION = """
import numpy as np
from pathlib import Path
from PIL import Image
from fastai.vision.all import ImageDataLoaders, vision_learner
root = Path({root!r})
for label in "ab":
    (root / label).mkdir(parents=True, exist_ok=True)
    for i in range(4):
        Image.fromarray(np.full((16, 16, 3), 40 * i, dtype=np.uint8)).save(root / label / f"{{i}}.png")
dls = ImageDataLoaders.from_folder(root, valid_pct=0.25, bs=4, num_workers=0, device="cpu")
learn = vision_learner(dls, "resnet18", pretrained=False)
"""


def test_vision_learner_live_on_cpu_with_compare(installed_cache: Path, tmp_path: Path) -> None:
    code = TINY_VISION.format(root=str(tmp_path / "images"))
    done = run_nav("trace", "--live", code, "--under", "vision_learner", "--compare", "--json",
                   cache=installed_cache, check=True)
    result = json.loads(done.stdout)
    tree = result["tree"]
    assert (tree["qualname"], tree["path"], tree["line"]) == ("vision_learner", str(LEARNER),
                                                             line_of(LEARNER, "def vision_learner("))
    children = {c["qualname"]: c for c in tree["children"]}
    assert children["create_timm_model"]["call_line"] == line_of(LEARNER, "model,cfg = create_timm_model(")
    assert children["_timm_norm"]["call_line"] == line_of(LEARNER, "if normalize: _timm_norm(")
    assert children["_timm_norm"]["children"] == [], "pretrained=False: _timm_norm returns before add_tfms"
    assert children["Learner.__init__"]["count"] == 1 and children["Learner.__init__"]["how"] == "observed"
    assert "_add_norm" not in children, "a string arch takes the timm branch"
    timm_calls = {c["qualname"] for c in children["create_timm_model"]["children"]}
    assert {"create_model", "TimmBody.__init__", "add_head"} <= timm_calls
    not_taken = {(e["caller"], e["callee"]) for e in result["compare"]["static_not_observed"]}
    assert {("vision_learner", "_add_norm"), ("vision_learner", "create_vision_model")} <= not_taken
    lacking = result["compare"]["observed_not_static"]
    assert all(e["caller"] and e["callee"] for e in lacking)


TOY = """
def first():
    return apply_fn(second, 0)

def apply_fn(f, x):
    return f(x)

def second(n):
    helper(n)
    if n > 5:
        never()
    return 1 / n

def helper(n):
    return n

def never():
    return None
"""


def test_a_script_that_raises_prints_the_trace_the_comparison_and_the_error(tmp_path: Path, cache: Path) -> None:
    package = tmp_path / "src" / "toy"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    steps = package / "steps.py"
    steps.write_text(TOY.lstrip())
    run_nav("index", str(package), cache=cache, check=True)
    script = tmp_path / "run.py"
    script.write_text(f"import sys; sys.path.insert(0, {str(package.parent)!r})\n"
                      "from toy.steps import first\nprint('started')\nfirst()\n")
    done = run_nav("trace", "--live-script", str(script), "--compare", "--depth", "5", cache=cache)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "<live code>" and lines[1] == "└─ first  observed"  # the script itself is not indexed
    assert f"apply_fn  {steps}:{line_of(steps, 'return apply_fn(second, 0)')}  observed" in done.stdout
    assert f"second  {steps}:{line_of(steps, 'return f(x)')}  observed" in done.stdout
    assert f"helper  {steps}:{line_of(steps, 'helper(n)')}  observed" in done.stdout
    assert "never" not in done.stdout.split("observed calls the static graph lacks")[0]
    # `apply_fn(second, 0)` then `f(x)`: the points-to graph has it, so nothing observed is missing
    assert "observed calls the static graph lacks (0):\n  none" in done.stdout
    assert f"static calls not taken in this run (1):\n  second -> never  line {line_of(steps, 'never()')}  [exact]" in done.stdout
    assert "ZeroDivisionError: division by zero" in done.stderr and "started" in done.stderr
    error = done.stderr.split("the trace above stops there:\n")[1]  # from the script's frame on, none of nav's
    assert error.splitlines()[:2] == ["Traceback (most recent call last):", f'  File "{script}", line 4, in <module>']

    dot = run_nav("trace", "--live-script", str(script), "--under", "first", "--format", "dot", cache=cache)
    assert dot.stdout.startswith("digraph") and '"second"' in dot.stdout and '"helper"' in dot.stdout
    assert '"<live code>"' not in dot.stdout, "--under starts the tree at first"


def test_live_bad_input(cache: Path, tmp_path: Path) -> None:
    done = run_nav("trace", "--live-script", str(tmp_path / "missing.py"), cache=cache)
    assert done.returncode == 2 and "no such file" in done.stderr and "Traceback" not in done.stderr
    done = run_nav("trace", "--live", "pass", "--to", "x", cache=cache)
    assert done.returncode == 2 and "cannot be combined with --live" in done.stderr
