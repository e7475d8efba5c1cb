"""The runner and `nav walk` on small walkthroughs written by the tests: keys, progress,
--from, --reset, the workspace's codemod state, expectations, verify verdicts, cancelling."""
from __future__ import annotations

import json
import re
import sys
import threading
from pathlib import Path

import pytest

from navigator.walk.format import PATH_VARIABLE, load_walkthrough
from navigator.walk.process import run_process
from navigator.walk.runner import RunOptions, run_step
from navigator.walk.workspace import installed_fastai, workspace_root
from tests.helpers import REPO, run_nav, write_walk

LEARNER_STATE = '''
import fastai, pathlib
source = (pathlib.Path(fastai.__file__).parent / "vision" / "learner.py").read_text()
print("fastai from", fastai.__file__)
print("has _timm_norm:", "def _timm_norm" in source)
'''
FOUR_STEPS = "".join(
    f'[[step]]\nid = "s{n}"\nkind = "python"\ntitle = "Step number {n}"\ncode = \'print("output of {n}")\'\n'
    f'expect = ["output of {n}"]\n' for n in range(1, 5))


@pytest.fixture
def walks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of test walkthroughs on the search path, for this process and `nav` children."""
    folder = tmp_path / "walks"
    folder.mkdir()
    monkeypatch.setenv(PATH_VARIABLE, str(folder))
    return folder


def nav_walk(cache: Path, *args: str, keys: str = "") -> tuple[int, str]:
    done = run_nav("walk", *args, cache=cache, env={"NO_COLOR": "1"}, input_text=keys)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout + done.stderr


def headers(output: str) -> list[int]:
    """The step numbers in the order their headers were printed."""
    return [int(n) for n in re.findall(r"· step (\d+)/\d+ ·", output)]


def progress(cache: Path) -> dict:
    return json.loads((cache / "walk_progress.json").read_text())


def test_keys_enter_back_rerun_quit_and_resume(walks: Path, cache: Path) -> None:
    write_walk(walks, "four", FOUR_STEPS)
    code, out = nav_walk(cache, "four", keys="\n\nx\nb\nr\nq\n")
    assert code == 0
    assert headers(out) == [1, 2, 3, 2, 2]  # Enter, Enter, (unknown key), b, r, q
    assert "unknown key 'x'" in out
    assert len(re.findall("^output of 3$", out, re.M)) == 1 and len(re.findall("^output of 2$", out, re.M)) == 3
    assert progress(cache)["four"] == {"done": 1, "step_id": "s2"}
    code, out = nav_walk(cache, "four", keys="\n\n")  # resumes after s2 and runs to the end
    assert headers(out) == [3, 4]
    assert "resuming four at step 3 of 4" in out and "four: end of the walkthrough" in out
    code, out = nav_walk(cache)
    assert re.search(r"four\s+4\s+done\s+S", out)


def test_end_of_input_quits_and_keeps_progress(walks: Path, cache: Path) -> None:
    write_walk(walks, "four", FOUR_STEPS)
    code, out = nav_walk(cache, "four", "--from", "s3", keys="")
    assert code == 0 and headers(out) == [3]
    assert progress(cache)["four"]["done"] == 2
    code, out = nav_walk(cache)
    assert re.search(r"four\s+4\s+3/4\s+S", out)


@pytest.mark.parametrize("done", [-7, True, "2"])
def test_damaged_progress_starts_from_the_first_step(walks: Path, cache: Path, done: object) -> None:
    """A hand-edited `"done": -7` resumed at "step -5 of 4" (a negative index into the steps)."""
    write_walk(walks, "four", FOUR_STEPS)
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "walk_progress.json").write_text(json.dumps({"four": {"done": done, "step_id": "s2"}}))
    code, out = nav_walk(cache)
    assert re.search(r"four\s+4\s+-\s+S", out), out
    code, out = nav_walk(cache, "four", keys="q\n")
    assert code == 0 and headers(out) == [1] and "resuming" not in out


def test_steps_get_the_cache_dir_as_an_absolute_path(walks: Path, tmp_path: Path) -> None:
    """Steps run in the scratch folder: a relative NAV_CACHE_DIR named another, empty index there."""
    write_walk(walks, "where", '[[step]]\nid = "w"\nkind = "python"\ntitle = "Where"\n'
                               "code = 'import os; print(\"cache:\", os.environ[\"NAV_CACHE_DIR\"])'\n")
    done = run_nav("walk", "where", "--auto", cache=tmp_path / "unused", cwd=tmp_path,
                   env={"NO_COLOR": "1", "NAV_CACHE_DIR": "relative-cache"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"cache: {tmp_path / 'relative-cache'}\n" in done.stdout


def test_auto_from_reports_failed_expectations_and_exits_1(walks: Path, cache: Path) -> None:
    body = FOUR_STEPS + '[[step]]\nid = "liar"\nkind = "python"\ntitle = "claims"\ncode = \'print("no")\'\n' \
                        'expect = ["yes"]\nexpect_absent = ["no"]\n'
    write_walk(walks, "five", body)
    code, out = nav_walk(cache, "five", "--auto", "--from", "4")
    assert code == 1
    assert headers(out) == [4, 5]
    assert "expected the output to contain 'yes'; expected the output not to contain 'no'" in out
    assert out.strip().endswith("nav: error: 1 step(s) of five failed: liar")
    assert progress(cache)["five"] == {"done": 3, "step_id": "s4"}


def test_workspace_follows_the_codemod_steps_before_each_step(walks: Path, cache: Path) -> None:
    """Any start point sees exactly the earlier codemods applied; installed fastai is untouched."""
    check = f"code = '''{LEARNER_STATE}'''\n"
    body = (f'[[step]]\nid = "before"\nkind = "python"\ntitle = "a"\n{check}expect = ["has _timm_norm: True"]\n'
            '[[step]]\nid = "rewind"\nkind = "codemod"\ntitle = "b"\ncodemod = "timm-normalize"\nrevert = true\n'
            f'[[step]]\nid = "old"\nkind = "python"\ntitle = "c"\n{check}expect = ["has _timm_norm: False"]\n'
            '[[step]]\nid = "fix"\nkind = "codemod"\ntitle = "d"\ncodemod = "timm-normalize"\n'
            'expect_regex = ["^\\\\+def _timm_norm"]\n'
            f'[[step]]\nid = "new"\nkind = "python"\ntitle = "e"\n{check}expect = ["has _timm_norm: True"]\n')
    write_walk(walks, "shapes", body)
    installed = (installed_fastai() / "vision" / "learner.py").read_bytes()
    code, out = nav_walk(cache, "shapes", "--auto", "--from", "old")
    assert code == 0, out
    assert f"fastai from {cache / 'walk' / 'shapes' / 'site' / 'fastai' / '__init__.py'}" in out
    kept = cache / "walk" / "shapes" / "scratch" / "checkpoint.pth"
    kept.write_text("weights made by an earlier step")
    code, out = nav_walk(cache, "shapes", "--auto", "--from", "before")  # back past both codemods
    assert code == 0, out
    assert kept.read_text() == "weights made by an earlier step"  # a rebuilt copy keeps scratch files
    assert "-def _timm_norm(dls, cfg, pretrained, n_in=3):" in out  # the rewind's diff was shown
    state = json.loads((cache / "walk" / "shapes" / "state.json").read_text())
    assert state["applied"] == ["rewind", "fix"]
    records = [p for p in (cache / "codemods").glob("*/*") if (p / "manifest.json").is_file()]
    assert len(records) == 2  # undo records of the replaced copy were dropped with it
    assert (installed_fastai() / "vision" / "learner.py").read_bytes() == installed


def test_reset_rebuilds_the_workspace_and_forgets_progress(walks: Path, cache: Path) -> None:
    write_walk(walks, "four", FOUR_STEPS)
    nav_walk(cache, "four", keys="\nq\n")
    copy = cache / "walk" / "four" / "site" / "fastai" / "__init__.py"
    copy.write_text("raise SystemExit('edited copy')\n")
    made = cache / "walk" / "four" / "scratch" / "checkpoint.pth"
    made.write_text("weights")
    code, out = nav_walk(cache, "four", "--reset", keys="q\n")
    assert not made.exists()
    assert code == 0 and "four: workspace rebuilt from the installed fastai, progress cleared" in out
    assert headers(out) == [1]  # started again from the first step
    assert copy.read_bytes() == (installed_fastai() / "__init__.py").read_bytes()


def verify_walk(walks: Path, steps: str) -> None:
    script = walks / "ok.py"
    script.write_text("import sys; print('experiment ran'); sys.exit(int(sys.argv[1]))\n")
    write_walk(walks, "verdicts", steps.replace("SCRIPT", str(script)))


def test_verify_fails_and_says_why_when_the_codemod_is_not_applied(walks: Path, cache: Path) -> None:
    verify = ('[[step]]\nid = "verify"\nkind = "verify"\ntitle = "v"\nscript = "SCRIPT"\nargs = ["0"]\n'
              'requires = ["timm-normalize"]\n')
    verify_walk(walks, '[[step]]\nid = "rewind"\nkind = "codemod"\ntitle = "r"\ncodemod = "timm-normalize"\n'
                       'revert = true\n' + verify)
    code, out = nav_walk(cache, "verdicts", "--auto")
    assert code == 1
    assert "FAIL: the timm-normalize codemod is not applied to the workspace (fastai/vision/learner.py" in out
    assert "experiment ran" not in out  # refused before the script ran


def test_verify_verdict_is_the_scripts_exit_status(walks: Path, cache: Path) -> None:
    verify_walk(walks, '[[step]]\nid = "good"\nkind = "verify"\ntitle = "v"\nscript = "SCRIPT"\nargs = ["0"]\n'
                       'requires = ["timm-normalize"]\n'
                       '[[step]]\nid = "bad"\nkind = "verify"\ntitle = "w"\nscript = "SCRIPT"\nargs = ["3"]\n')
    walk = load_walkthrough("verdicts")
    lines: list[str] = []
    good = run_step(walk, 0, RunOptions(), on_output=lines.append)
    assert good.ok and good.verdict == f"PASS: {walks / 'ok.py'} succeeded" and lines == ["experiment ran\n"]
    bad = run_step(walk, 1, RunOptions())
    assert not bad.ok and bad.verdict == "FAIL: ok.py exited with status 3: experiment ran"


def test_cancel_kills_a_running_step(tmp_path: Path) -> None:
    cancel = threading.Event()
    seen: list[str] = []

    def on_output(line: str) -> None:
        seen.append(line)
        cancel.set()

    code = "import time; print('started', flush=True); time.sleep(120); print('never')"
    done = run_process([sys.executable, "-c", code], env={}, cwd=tmp_path, timeout=300,
                       on_output=on_output, cancel=cancel)
    assert done.stopped == "cancelled" and done.returncode == -9
    assert seen == ["started\n"] and "never" not in done.output


def test_timeout_kills_a_step(tmp_path: Path) -> None:
    done = run_process([sys.executable, "-c", "import time; time.sleep(120)"], env={}, cwd=tmp_path,
                       timeout=0.5, on_output=lambda line: None)
    assert done.stopped == "timed out after 0.5 s" and done.returncode == -9


def test_workspace_lives_under_the_cache_dir(cache: Path) -> None:
    assert workspace_root("x") == cache / "walk" / "x"
    assert REPO not in workspace_root("x").parents


def test_a_copy_of_another_fastai_version_is_rebuilt(walks: Path, cache: Path) -> None:
    write_walk(walks, "four", FOUR_STEPS)
    nav_walk(cache, "four", keys="q\n")
    state_file = cache / "walk" / "four" / "state.json"
    state = json.loads(state_file.read_text())
    state_file.write_text(json.dumps({**state, "version": "2.7.4"}))
    copy = cache / "walk" / "four" / "site" / "fastai" / "__init__.py"
    copy.write_text("# an older copy\n")
    code, out = nav_walk(cache, "four", keys="q\n")
    assert code == 0 and json.loads(state_file.read_text())["version"] == state["version"] != "2.7.4"
    assert copy.read_bytes() == (installed_fastai() / "__init__.py").read_bytes()


def test_nav_step_args_get_placeholders_and_unknown_ones_are_named(walks: Path, cache: Path) -> None:
    write_walk(walks, "args", '[[step]]\nid = "listing"\nkind = "nav"\ntitle = "a"\nargs = ["walk"]\n'
                              'expect = ["args", "four"]\n'
                              '[[step]]\nid = "bad"\nkind = "nav"\ntitle = "b"\nargs = ["{nope}"]\n')
    write_walk(walks, "four", FOUR_STEPS)
    walk = load_walkthrough("args")
    listing = run_step(walk, 0, RunOptions())
    assert listing.ok, listing.output
    bad = run_step(walk, 1, RunOptions())
    assert not bad.ok
    assert bad.verdict.startswith("failed: step 2 (bad): args use an unknown placeholder ('nope'); known: {device}")


def test_a_step_that_cannot_start_fails_with_the_reason(walks: Path, cache: Path) -> None:
    write_walk(walks, "four", FOUR_STEPS)
    result = run_step(load_walkthrough("four"), 0, RunOptions(python=str(walks / "no-python")))
    assert not result.ok
    assert result.verdict.startswith("failed: step 1 (s1): [Errno 2] No such file or directory")


def test_verify_step_gets_the_preset_it_offers_and_only_session_may_reach_the_hub(
        walks: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    script = walks / "args.py"
    script.write_text("import os, sys; print('args', sys.argv[1:], 'offline', os.environ.get('HF_HUB_OFFLINE'),"
                      " 'preset', os.environ['NAV_PRESET'])\n")
    write_walk(walks, "presets", f'[[step]]\nid = "verify"\nkind = "verify"\ntitle = "v"\nscript = "{script}"\n'
                                 'args = ["--out", "{out}"]\npresets = ["small", "session"]\n')
    walk = load_walkthrough("presets")
    out = str(workspace_root("presets") / "scratch" / "verify-out")
    session = run_step(walk, 0, RunOptions(preset="session"))
    assert session.ok and f"args ['--out', '{out}', '--preset', 'session'] offline None preset session" in session.output
    small = run_step(walk, 0, RunOptions(preset="small"))
    assert small.ok and "'--preset', 'small'] offline 1 preset small" in small.output
    plain = run_step(walk, 0, RunOptions())
    assert plain.ok and f"args ['--out', '{out}'] offline 1 preset \n" in plain.output
    missing = run_step(walk, 0, RunOptions(preset="full"))
    assert not missing.ok
    assert missing.verdict == "FAIL: step 1 (verify): this verify step has no preset 'full' (it offers: small, session)"


def test_walk_refuses_quick_with_another_preset(walks: Path, cache: Path) -> None:
    verify_walk(walks, '[[step]]\nid = "good"\nkind = "verify"\ntitle = "v"\nscript = "SCRIPT"\nargs = ["0"]\n')
    code, out = nav_walk(cache, "verdicts", "--auto", "--quick", "--preset", "session")
    assert code != 0 and "--quick is the quick preset: give either it or --preset session" in out
    assert "experiment ran" not in out
