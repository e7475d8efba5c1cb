"""The TUI on the installed fastai: @patch methods under their class in the outline; the details
panel names the notebook cell and the keyword parameters `@delegates` brings in."""
from __future__ import annotations

from pathlib import Path

import pytest

from tags.store import Index
from tests.helpers import app_at, screen_text, sync


@pytest.fixture
def fastai_index(installed_cache: Path):
    opened = Index.open(str(installed_cache))
    yield opened
    opened.close()


@sync
async def test_outline_lists_patched_methods_under_their_class(fastai_index: Index) -> None:
    app = app_at(fastai_index, "fastai.learner.Learner")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        tree = app.screen.query_one("#outline")
        learner = tree.cursor_node
        assert learner.data[1].qualname == "Learner"
        learner.expand()
        await pilot.pause()
        labels = [str(child.label) for child in learner.children]
        assert "fine_tune  @patch fastai.callback.schedule" in labels
        assert "to_fp16  @patch fastai.callback.fp16" in labels
        assert "fit" in labels  # the class body's own methods first
        assert labels.index("fit") < labels.index("fine_tune  @patch fastai.callback.schedule")


@sync
async def test_details_show_notebook_cell_and_delegated_parameters(fastai_index: Index) -> None:
    app = app_at(fastai_index, "fastai.vision.learner.vision_learner")
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        hit = app.screen.hit
        details = str(app.screen.query_one("#details").render())
        assert f"exported from nbs/21_vision.learner.ipynb cell #{hit.cell[1:]}" in details
        assert "@delegates: **kwargs are" in details
        assert "n_in=3 from fastai.vision.learner.create_vision_model" in details
        screen = screen_text(app)  # the panel is narrow: the origin wraps
        assert "exported from" in screen and "21_vision.learner.ipynb" in screen
