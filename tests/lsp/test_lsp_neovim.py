"""A real editor: headless Neovim's built-in LSP client jumps to `learn.fine_tune` via `nav lsp`.

Neovim is a test requirement (`.ci/run` installs the Debian package); its absence fails the test.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import line_of, site_file
from tests.lsp.lsp_client import REPO, TRAINING_SCRIPT, position_of

LUA = Path(__file__).with_name("nvim_definition.lua")


def test_neovim_goes_to_the_patch_method(installed_cache: Path, tmp_path: Path) -> None:
    nvim = shutil.which("nvim")
    assert nvim, "Neovim is needed for this test: apt-get install neovim (.ci/run does)"
    script = tmp_path / "train.py"
    script.write_text(TRAINING_SCRIPT)
    line, column = position_of(TRAINING_SCRIPT, "learn.fine_tune", 8)
    out = tmp_path / "landed.txt"
    env = {**os.environ, "NAV_CACHE_DIR": str(installed_cache), "PYTHONPATH": str(REPO),
           "NAV_NVIM_SCRIPT": str(script), "NAV_NVIM_LINE": str(line + 1), "NAV_NVIM_COL": str(column),
           "NAV_NVIM_PYTHON": sys.executable, "NAV_NVIM_OUT": str(out), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run([nvim, "--headless", "--clean", "-n", "-c", f"luafile {LUA}"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert out.exists(), f"Neovim wrote nothing (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    landed = out.read_text()
    schedule = site_file("fastai", "callback/schedule.py")
    path, _, number = landed.rpartition(":")
    assert (Path(path).resolve(), int(number)) == (schedule, line_of(schedule, "def fine_tune(self:Learner")), landed
