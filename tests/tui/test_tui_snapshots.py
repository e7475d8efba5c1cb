"""Snapshots of the TUI's screens at 80x24 and 120x40, on the small sample package so that a
new fastai release does not change them. `pytest --snapshot-update` rewrites them."""
from __future__ import annotations

from pathlib import Path

import pytest

from navigator.queries import find
from navigator.tui.palette import PALETTE_LIMIT
from tags.store import Index
from tests.helpers import SAMPLE, app_at, palette_search, settled

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_screen(snap_compare, index: Index, size: tuple[int, int]) -> None:
    assert snap_compare(app_at(index, "Normalize"), terminal_size=size, run_before=settled)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_palette_with_results(snap_compare, index: Index, size: tuple[int, int]) -> None:
    async def search(pilot) -> None:
        await settled(pilot)
        await palette_search(pilot, "norm", len(find(index, "norm", limit=PALETTE_LIMIT)))

    assert snap_compare(app_at(index, "vision_learner"), terminal_size=size, run_before=search)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_trace_view(snap_compare, index: Index, size: tuple[int, int]) -> None:
    async def trace_with_path(pilot) -> None:
        await pilot.press("t", "down", "space", "slash", *"from_stats", "enter")
        await pilot.pause()

    assert snap_compare(app_at(index, "vision_learner"), terminal_size=size, run_before=trace_with_path)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_walkthrough_screen(snap_compare, index: Index, size: tuple[int, int], tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAV_WALKTHROUGH_PATH", str(SAMPLE.parent / "walkthroughs"))
    monkeypatch.setenv("NAV_CACHE_DIR", str(tmp_path))  # no progress yet
    # only the sample walkthrough, so that edits to the built-in ones do not change the picture
    from navigator.tui.screens import walk as walk_screen

    listed = walk_screen.list_walkthroughs
    monkeypatch.setattr(walk_screen, "list_walkthroughs", lambda: [w for w in listed() if w.name == "tui-demo"])

    async def open_demo(pilot) -> None:
        await pilot.press("w")
        await pilot.pause()
        listing = pilot.app.screen.query_one("#walk-list")
        listing.highlighted = next(i for i in range(listing.option_count)
                                   if listing.get_option_at_index(i).id == "tui-demo")
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(app_at(index, "Normalize"), terminal_size=size, run_before=open_demo)
