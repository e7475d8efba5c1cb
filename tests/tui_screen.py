"""Helpers for the TUI tests: an index of the small sample package, and the screen as text."""
from __future__ import annotations

import html
import re
from pathlib import Path

from conftest import run_nav

SAMPLE = Path(__file__).resolve().parent / "tui_sample" / "fastai"
_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
                   r'clip-path="url\(#terminal-(?:\d+-)?line-(\d+)\)">([^<]*)</text>')
CELL_WIDTH = 12.2  # textual's SVG export: pixels per terminal column


def index_sample(cache: Path) -> Path:
    """Index the sample package into `cache` (a directory) and return it."""
    run_nav("index", str(SAMPLE), cache=cache, check=True)
    return cache


def screen_lines(app) -> list[str]:
    """What the terminal shows, one string per row, read back from textual's screenshot."""
    return svg_lines(app.export_screenshot(), app.size.height)


def svg_lines(svg: str, height: int) -> list[str]:
    """The rows of text in a textual SVG screenshot."""
    rows: dict[int, dict[int, str]] = {}
    for x, line, text in _TEXT.findall(svg):
        rows.setdefault(int(line), {})[round(float(x) / CELL_WIDTH)] = html.unescape(text).replace("\xa0", " ")
    lines = []
    for number in range(height):
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


async def palette_search(pilot, text: str, expected: int) -> None:
    """Type `text` into the symbol palette and wait until its `expected` results are all shown."""
    from textual.command import CommandList

    await pilot.press("ctrl+p", *text)
    for _ in range(100):
        await pilot.pause(0.05)
        if pilot.app.screen.query_one(CommandList).option_count == expected:
            break
    await pilot.pause(0.2)
    await pilot.wait_for_scheduled_animations()


async def settled(pilot) -> None:
    """Wait for the app's thread workers (call graph, callers and callees) and the repaint."""
    await pilot.app.workers.wait_for_complete()
    for screen in pilot.app.screen_stack:
        await screen.workers.wait_for_complete()
    await pilot.pause()
