"""End to end: `nav tui` in a real terminal (tmux), find `Normalize` with Ctrl+P and jump to it."""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import REPO, line_of, site_file


def tmux(socket: str, *args: str) -> str:
    return subprocess.run(["tmux", "-L", socket, *args], check=True, capture_output=True, text=True).stdout


def wait_for(socket: str, text: str, timeout: float = 180) -> str:
    """The captured pane once it shows `text` (the last capture if it never does)."""
    deadline = time.monotonic() + timeout
    while True:
        screen = tmux(socket, "capture-pane", "-p", "-t", "nav")
        if text in screen or time.monotonic() > deadline:
            return screen
        time.sleep(0.2)


def start_nav_tui(socket: str, cache: Path, *args: str) -> None:
    """`nav tui ARGS` in a detached 120x40 tmux session named `nav` on its own server."""
    env = f"NAV_CACHE_DIR={shlex.quote(str(cache))} PYTHONPATH={shlex.quote(str(REPO))} TERM=xterm-256color"
    command = f"cd {shlex.quote(str(REPO))} && env {env} {shlex.quote(sys.executable)} -m navigator tui"
    tmux(socket, "new-session", "-d", "-s", "nav", "-x", "120", "-y", "40", " ".join([command, *args]))


def test_search_normalize_and_jump_to_it_in_a_real_terminal(installed_cache: Path) -> None:
    socket = f"nav-test-{os.getpid()}"
    start_nav_tui(socket, installed_cache)
    try:
        assert "^P Symbols" in wait_for(socket, "^P Symbols"), "the TUI did not start"
        tmux(socket, "send-keys", "-t", "nav", "C-p")
        wait_for(socket, "Symbol:")
        tmux(socket, "send-keys", "-t", "nav", "-l", "Normalize")
        listed = wait_for(socket, "Normalize  class  fastai.data.transforms")
        assert "Normalize  class  fastai.data.transforms" in listed
        tmux(socket, "send-keys", "-t", "nav", "Enter")
        line = line_of(site_file("fastai", "data/transforms.py"), "class Normalize")
        screen = wait_for(socket, f"{line}  class Normalize(")
        assert f"fastai/data/transforms.py:{line}  class Normalize" in screen
        assert f"{line}  class Normalize(DisplayedTransform):" in screen
        tmux(socket, "send-keys", "-t", "nav", "q")
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)


def test_nav_tui_symbol_opens_at_that_definition(installed_cache: Path) -> None:
    socket = f"nav-test-{os.getpid()}-symbol"
    start_nav_tui(socket, installed_cache, "_add_norm")
    try:
        line = line_of(site_file("fastai", "vision/learner.py"), "def _add_norm")
        screen = wait_for(socket, f"{line}  def _add_norm(")
        assert f"fastai/vision/learner.py:{line}  function _add_norm" in screen
        assert f"{line}  def _add_norm(dls, meta, pretrained" in screen
        tmux(socket, "send-keys", "-t", "nav", "q")
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
