"""Helpers for the TUI tests: an index of the small sample package, and the screen as text."""
from __future__ import annotations

import html
import re
from pathlib import Path

from conftest import run_nav

SAMPLE = Path(__file__).resolve().parent / "tui_sample" / "fastai"
_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
                   r'clip-path="url\(#terminal-\d+-line-(\d+)\)">([^<]*)</text>')
CELL_WIDTH = 12.2  # textual's SVG export: pixels per terminal column


def index_sample(cache: Path) -> Path:
    """Index the sample package into `cache` (a directory) and return it."""
    run_nav("index", str(SAMPLE), cache=cache, check=True)
    return cache


def screen_lines(app) -> list[str]:
    """What the terminal shows, one string per row, read back from textual's screenshot."""
    rows: dict[int, dict[int, str]] = {}
    for x, line, text in _TEXT.findall(app.export_screenshot()):
        rows.setdefault(int(line), {})[round(float(x) / CELL_WIDTH)] = html.unescape(text).replace("\xa0", " ")
    lines = []
    for number in range(app.size.height):
        line = ""
        for column, text in sorted(rows.get(number, {}).items()):
            line = line.ljust(column) + text
        lines.append(line.rstrip())
    return lines


def screen_text(app) -> str:
    return "\n".join(screen_lines(app))


def sync(test):
    """Run an async pilot test with asyncio.run (no async pytest plugin needed)."""
    import asyncio
    import functools

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run
