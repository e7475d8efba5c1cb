"""`nav apply-codemod` / `nav codemods` on directories unpacked from fastai wheels."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from navigator.cli import main
from navigator.codemod import apply as patching
from navigator.codemod.registry import CodemodError, Transformed
from tests.helpers import release_dir, release_file

LEARNER = "fastai/vision/learner.py"
WORKTREE = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NAV_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def unpacked(version: str, tmp_path: Path) -> Path:
    """A private copy of the unpacked wheel of fastai `version`."""
    return Path(shutil.copytree(release_dir(version), tmp_path / f"fastai-{version}"))


def release_bytes(version: str) -> bytes:
    return release_file(version, LEARNER).read_bytes()


def nav(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess: exit code, stdout and stderr as a user sees them."""
    return subprocess.run([sys.executable, "-m", "navigator", *args], cwd=WORKTREE, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120)


def test_apply_and_undo_on_the_2_7_4_wheel(tmp_path: Path) -> None:
    root = unpacked("2.7.4", tmp_path)
    done = nav("apply-codemod", "timm-normalize", str(root))
    assert done.returncode == 0, done.stderr
    assert "changed" in done.stdout and f"nav apply-codemod --undo {root}" in done.stdout
    assert (root / LEARNER).read_bytes() == release_bytes("2.7.5")
    undone = nav("apply-codemod", "--undo", str(root))
    assert undone.returncode == 0, undone.stderr
    assert (root / LEARNER).read_bytes() == release_bytes("2.7.4")
    again = nav("apply-codemod", "--undo", str(root))
    assert again.returncode == 1 and again.stderr == f"nav: error: no codemod applied to {root} to undo\n"


def test_dry_run_prints_a_coloured_diff_and_writes_nothing(tmp_path: Path, cache_dir: Path) -> None:
    root = unpacked("2.7.4", tmp_path)
    plain = nav("apply-codemod", "timm-normalize", str(root), "--dry-run")
    assert plain.returncode == 0
    assert "+++ b/fastai/vision/learner.py" in plain.stdout
    assert "\n-def create_body(arch, n_in=3, pretrained=True, cut=None):\n" in plain.stdout
    assert "\n+def _timm_norm(dls, cfg, pretrained):\n" in plain.stdout
    coloured = nav("apply-codemod", "timm-normalize", str(root), "--dry-run", env={"FORCE_COLOR": "1"})
    assert "\x1b[32m+def _timm_norm(dls, cfg, pretrained):" in coloured.stdout
    assert (root / LEARNER).read_bytes() == release_bytes("2.7.4")
    assert not cache_dir.exists()  # no undo record either


def test_already_applied_exits_0_and_writes_nothing(tmp_path: Path) -> None:
    root = unpacked("2.8.12", tmp_path)
    done = nav("apply-codemod", "timm-normalize", str(root))
    assert (done.returncode, done.stdout) == (0, f"timm-normalize: already applied to {root}; nothing to do\n")
    assert (root / LEARNER).read_bytes() == release_bytes("2.8.12")


def test_unexpected_shape_exits_1_naming_the_function(tmp_path: Path) -> None:
    root = unpacked("2.6.3", tmp_path)
    done = nav("apply-codemod", "timm-normalize", str(root))
    assert done.returncode == 1
    assert done.stderr.startswith("nav: error: fastai/vision/learner.py: unexpected code shape: "
                                  "TimmBody.__init__: expected `def __init__(self, arch:str")
    assert done.stderr.count("\n") == 1
    assert (root / LEARNER).read_bytes() == release_bytes("2.6.3")


@pytest.mark.parametrize("args", [["apply-codemod", "timm-unknown", "."], ["apply-codemod", "timm-normalize", "/no/such/dir"],
                                  ["apply-codemod", "timm-normalize"], ["apply-codemod", "--undo", "x", "timm-normalize"]])
def test_usage_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("nav: error: ") and err.count("\n") == 1


def test_revert_forward_undo_undo_stack_up_to_exact_bytes(tmp_path: Path) -> None:
    root = unpacked("2.8.12", tmp_path) / "fastai"  # a package directory this time
    original = (root / "vision/learner.py").read_bytes()
    assert patching.apply_codemod("timm-normalize", root, revert=True).status == "applied"
    reverted = (root / "vision/learner.py").read_bytes()
    assert b"def _timm_norm" not in reverted
    assert patching.apply_codemod("timm-normalize", root).status == "applied"
    patching.undo_codemod(root)
    assert (root / "vision/learner.py").read_bytes() == reverted
    patching.undo_codemod(root)
    assert (root / "vision/learner.py").read_bytes() == original


def test_a_single_file_can_be_patched(tmp_path: Path) -> None:
    file = tmp_path / "learner.py"
    file.write_bytes(release_bytes("2.7.4"))
    result = patching.apply_codemod("timm-normalize", file)
    assert [c.path for c in result.changes] == [file] and file.read_bytes() == release_bytes("2.7.5")


def test_undo_refuses_files_edited_since_unless_forced(tmp_path: Path) -> None:
    root = unpacked("2.7.4", tmp_path)
    patching.apply_codemod("timm-normalize", root)
    with (root / LEARNER).open("a") as handle:
        handle.write("# edited after the codemod\n")
    done = nav("apply-codemod", "--undo", str(root))
    assert done.returncode == 1
    assert "fastai/vision/learner.py changed since the codemod was applied; pass --force" in done.stderr
    assert (root / LEARNER).read_bytes().endswith(b"# edited after the codemod\n")
    assert nav("apply-codemod", "--undo", str(root), "--force").returncode == 0
    assert (root / LEARNER).read_bytes() == release_bytes("2.7.4")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True,
                   capture_output=True)


def test_uncommitted_changes_in_a_checkout_are_refused_unless_forced(tmp_path: Path) -> None:
    root = unpacked("2.7.4", tmp_path)
    git(root, "init", "-q")
    git(root, "add", "fastai")
    git(root, "commit", "-qm", "2.7.4")
    edited = release_bytes("2.7.4") + b"# my uncommitted work\n"
    (root / LEARNER).write_bytes(edited)
    done = nav("apply-codemod", "timm-normalize", str(root))
    assert done.returncode == 1
    assert done.stderr == ("nav: error: fastai/vision/learner.py has uncommitted changes; "
                           "commit or stash them, or pass --force\n")
    assert (root / LEARNER).read_bytes() == edited
    assert nav("apply-codemod", "timm-normalize", str(root), "--force").returncode == 0
    assert (root / LEARNER).read_bytes() == release_bytes("2.7.5") + b"# my uncommitted work\n"
    assert nav("apply-codemod", "--undo", str(root)).returncode == 0
    assert (root / LEARNER).read_bytes() == edited


def test_a_clean_checkout_is_patched(tmp_path: Path) -> None:
    root = unpacked("2.7.4", tmp_path)
    git(root, "init", "-q")
    git(root, "add", "fastai")
    git(root, "commit", "-qm", "2.7.4")
    assert patching.apply_codemod("timm-normalize", root).status == "applied"


def test_all_or_none_when_a_second_file_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A notebook that cannot be transformed stops everything: the module is not written either."""
    root = unpacked("2.7.4", tmp_path)
    (root / "nbs").mkdir()
    (root / "nbs/21_vision.learner.ipynb").write_text("{not json")
    result = patching.apply_codemod("timm-normalize", root)
    assert result.status == "refused" and not result.changes
    assert result.refused[0].reason.startswith("nbs/21_vision.learner.ipynb: not a valid notebook")
    assert (root / LEARNER).read_bytes() == release_bytes("2.7.4")
    with pytest.raises(CodemodError, match="nbs/21_vision.learner.ipynb: not a valid notebook"):
        result.raise_if_refused()


def test_a_failed_rename_puts_back_the_files_already_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_bytes(b"a = 1\n")
    second.write_bytes(b"b = 1\n")
    real_replace, calls = os.replace, []

    def flaky_replace(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(patching.os, "replace", flaky_replace)
    with pytest.raises(OSError):
        patching._write_all({first: b"a = 2\n", second: b"b = 2\n"}, {first: b"a = 1\n", second: b"b = 1\n"})
    monkeypatch.undo()
    assert (first.read_bytes(), second.read_bytes()) == (b"a = 1\n", b"b = 1\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "b.py"]  # no temp files left


def test_file_permissions_are_kept(tmp_path: Path) -> None:
    root = unpacked("2.7.4", tmp_path)
    (root / LEARNER).chmod(0o640)
    patching.apply_codemod("timm-normalize", root)
    assert (root / LEARNER).stat().st_mode & 0o777 == 0o640


def test_codemods_lists_names_and_releases() -> None:
    done = nav("codemods")
    assert done.returncode == 0
    assert done.stdout.startswith("timm-normalize\n")
    assert "forward:  fastai 2.7.0-2.7.4" in done.stdout and "--revert: fastai 2.7.5 to the latest" in done.stdout
    assert "2.6.0-2.6.3 are refused" in done.stdout


def test_listing_codemods_imports_no_heavy_module() -> None:
    code = ("import sys; from navigator.cli import main; main(['codemods']); "
            "print(sorted(m for m in ('libcst', 'torch', 'fastai', 'timm', 'textual', 'rich') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=WORKTREE, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]"


def test_refusals_from_the_api_are_values_naming_the_functions(tmp_path: Path) -> None:
    root = unpacked("2.6.0", tmp_path)
    result = patching.apply_codemod("timm-normalize", root)
    assert result.status == "refused"
    assert [refusal.functions for refusal in result.refused] == [("TimmBody.__init__",)]
    assert result.refused[0].reason.startswith("fastai/vision/learner.py: unexpected code shape")


def test_transform_source_is_the_plain_api() -> None:
    old = release_file("2.7.4", LEARNER).read_text()
    outcome = patching.transform_source("timm-normalize", old)
    assert outcome == Transformed(release_file("2.7.5", LEARNER).read_text())
