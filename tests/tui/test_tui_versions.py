"""`v` in the TUI: the releases in which a definition changed, and Enter on one shows its diff."""
from __future__ import annotations

import re

import pytest

from navigator.tui.screens.versions import VersionsScreen
from tags.store import Index
from tests.helpers import app_at, screen_text, settled, sync


@pytest.fixture
def releases(release_env: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in release_env.items():
        monkeypatch.setenv(key, value)


@sync
async def test_versions_view_lists_changes_and_shows_a_release_diff(index: Index, releases: None) -> None:
    app = app_at(index, "vision_learner")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("v")
        await settled(pilot)
        assert isinstance(app.screen, VersionsScreen)
        app.pop_screen()
        hit = app.main.hit
        await app.push_screen(VersionsScreen(hit, since="2.7.4"))
        await settled(pilot)
        text = screen_text(app)
        assert "fastai.vision.learner.vision_learner" in text
        rows = [line.split()[:3] for line in text.splitlines() if line.strip()[:2] == "2."]
        assert [(row[0], row[2]) for row in rows[:2]] == [("2.7.4", "first"), ("2.7.5", "changed")], text
        assert all(re.fullmatch(r"20\d\d-\d\d-\d\d", row[1]) for row in rows[:2])  # the index's upload dates
        listing = app.screen.query_one("#versions")
        listing.highlighted = 1
        listing.focus()
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        assert "+        if normalize: _timm_norm(dls, cfg, pretrained)" in text
        assert "fastai-2.7.4/src/fastai/vision/learner.py:202" in text
