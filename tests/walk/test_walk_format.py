"""Steps files: the built-in walkthroughs load, and every kind of mistake is one clear line."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from navigator.walk.format import (
    PATH_VARIABLE,
    STEP_KINDS,
    list_walkthroughs,
    load_folder,
    load_walkthrough,
)
from tags.errors import NavError
from tests.helpers import REPO, run_nav, write_walk


def test_builtin_walkthroughs_load_with_every_step_checked() -> None:
    names = {info.name: info for info in list_walkthroughs()}
    assert {"timm-normalize", "vision-learner-anatomy"} <= names.keys()
    walk = load_walkthrough("timm_normalize")  # the folder spelling works too
    assert walk.folder == REPO / "walkthroughs" / "timm_normalize"
    assert names["timm-normalize"].steps == len(walk.steps)
    kinds = {step.kind for step in walk.steps}
    assert kinds == set(STEP_KINDS)  # the main walkthrough uses every kind of step
    rewind = walk.steps[walk.step_index("rewind")]
    assert rewind.kind == "codemod" and rewind.revert and rewind.codemod == "timm-normalize"
    assert walk.step_index(str(rewind.index + 1)) == rewind.index


BAD_STEPS = [
    ('[[step]]\nkind = "narrative"\ntitle = "a"\ntext = "x"\nexpct = ["y"]\n', "step 1: unknown key 'expct'"),
    ('[[step]]\nkind = "show"\ntitle = "a"\n', "step 1: missing symbol"),
    ('[[step]]\nkind = "shell"\ntitle = "a"\n', "step 1: kind must be one of narrative, find"),
    ('[[step]]\nid = "p"\nkind = "python"\ntitle = "a"\ncode = "1"\nfile = "x.py"\n',
     "step 1 (p): a python step needs exactly one of code or file"),
    ('[[step]]\nid = "a"\nkind = "narrative"\ntitle = "a"\ntext = "x"\n'
     '[[step]]\nid = "a"\nkind = "narrative"\ntitle = "b"\ntext = "y"\n', "step 2 (a): id 'a' is already used by step 1"),
    ('[[step]]\nkind = "find"\ntitle = "a"\nquery = "x"\nexpect_regex = ["(unclosed"]\n',
     "step 1: expect_regex '(unclosed' is not a valid regex"),
    ('[[step]]\nkind = "codemod"\ntitle = "a"\ncodemod = "timm-normalize"\nrevert = "yes"\n',
     "step 1: revert must be true or false, not str"),
    ('[[step]]\nkind = "find"\ntitle = "a"\nquery = "x"\nexpect = [1]\n', "step 1: expect must be a list of strings"),
    ('[[step]]\nid = "Bad Id"\nkind = "narrative"\ntitle = "a"\ntext = "x"\n', "id 'Bad Id' must be lower-case"),
    ('[[step]\nkind = "narrative"\n', "not valid TOML"),
    ("", "needs at least one [[step]]"),
]


@pytest.mark.parametrize("body, message", BAD_STEPS)
def test_bad_steps_file_names_file_and_step(tmp_path: Path, body: str, message: str) -> None:
    folder = write_walk(tmp_path, "bad", body)
    with pytest.raises(NavError) as caught:
        load_folder(folder)
    text = str(caught.value)
    assert text.startswith(f"{folder / 'steps.toml'}: ")
    assert message in text


def test_header_is_required(tmp_path: Path) -> None:
    folder = write_walk(tmp_path, "nohead", '[[step]]\nkind = "narrative"\ntitle = "a"\ntext = "x"\n', header="")
    with pytest.raises(NavError, match="needs a \\[walkthrough\\] table"):
        load_folder(folder)


def test_cli_reports_a_bad_steps_file_in_one_line(tmp_path: Path) -> None:
    write_walk(tmp_path / "walks", "broken", '[[step]]\nkind = "show"\ntitle = "a"\nsymbol = 3\n')
    done = run_nav("walk", "broken", cache=tmp_path / "cache", env={PATH_VARIABLE: str(tmp_path / "walks")})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"nav: error: {tmp_path / 'walks' / 'broken' / 'steps.toml'}: step 1: symbol must be a string, not int"]


def test_unknown_walkthrough_and_step_are_named(tmp_path: Path) -> None:
    done = run_nav("walk", "no-such-walk", cache=tmp_path)
    assert done.returncode == 2 and "no walkthrough named 'no-such-walk'; known:" in done.stderr
    assert "timm-normalize" in done.stderr
    done = run_nav("walk", "vision-learner-anatomy", "--from", "99", cache=tmp_path)
    assert done.returncode == 2
    assert "has no step '99': give 1-8 or one of: intro, read-meta" in done.stderr
    done = run_nav("walk", "vision-learner-anatomy", "--from", "", "--auto", cache=tmp_path)  # ran every step from the first
    assert done.returncode == 2 and "has no step '': give 1-8 or one of: intro, read-meta" in done.stderr
    done = run_nav("walk", "", cache=tmp_path)  # listed them, as if no name was given
    assert (done.returncode, done.stderr) == (2, "nav: error: empty walkthrough name (nav walk alone lists them)\n")
    for walk, offered in (("timm-normalize", "auto, full, quick, session, small"), ("vision-learner-anatomy", "none")):
        for preset in ("nope", ""):  # 'nope' was found out at the verify step only, '' ran the default preset
            done = run_nav("walk", walk, "--preset", preset, cache=tmp_path)
            assert (done.returncode, done.stderr) == (
                2, f"nav: error: walkthrough {walk} has no preset {preset!r} (its verify steps offer: {offered})\n")


def test_listing_shows_a_broken_walkthrough_with_its_error(tmp_path: Path) -> None:
    write_walk(tmp_path / "walks", "good", '[[step]]\nkind = "narrative"\ntitle = "a"\ntext = "x"\n')
    write_walk(tmp_path / "walks", "broken", '[[step]]\nkind = "narrative"\ntitle = "a"\n')
    done = run_nav("walk", cache=tmp_path / "cache", env={PATH_VARIABLE: str(tmp_path / "walks")})
    assert done.returncode == 0, done.stderr
    assert re.search(r"^good\s+1\s+-\s+S\s*$", done.stdout, re.M)
    assert re.search(r"^broken\s+-\s+-\s+cannot load: .*broken/steps\.toml: step 1: missing text", done.stdout, re.M)
