"""The main screen's layout at 120x40 (and 80x24): the source's width, sideways scrolling, the
outline's keys (`o`, `<`, `>`), the details folding with `i`, and the first screen's hint."""
from __future__ import annotations

from tags.store import Index
from tests.helpers import SAMPLE, app_at, line_of, screen_lines, screen_text, settled, sync

LEARNER = SAMPLE / "vision" / "learner.py"
LONG_END = "norm_type=None):"  # the end of unet_config's 153-character signature line


def widths(app) -> tuple[int, int]:
    """(outline, source) columns on screen; 0 for a hidden outline."""
    outline = app.screen.query_one("#outline")
    return (outline.outer_size.width if outline.display else 0), app.screen.source.outer_size.width


def source_rows(app) -> list[str]:
    """The screen's rows right of the outline, as the terminal shows them."""
    left = widths(app)[0]
    return [line[left:] for line in screen_lines(app)]


@sync
async def test_the_source_gets_most_of_the_width_and_the_details_sit_under_it(index: Index) -> None:
    app = app_at(index, "Normalize")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        outline, source = widths(app)
        assert outline == 30 and source == 90
        line = line_of(SAMPLE / "data" / "transforms.py", "def __init__(self, mean=None")
        assert f"{line}      def __init__(self, mean=None, std=None, axes=(0, 2, 3)):" in screen_text(app)
        info, view = app.screen.query_one("#info").region, app.screen.source.region
        assert info.y >= view.bottom and info.x == view.x and info.width == view.width
        await settled(pilot)  # the callers list fills in a thread once the call graph is built
        assert "callers (1)" in screen_text(app)


@sync
async def test_a_long_line_scrolls_sideways_to_its_end_and_back(index: Index) -> None:
    app = app_at(index, "unet_config")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        row = line_of(LEARNER, "def unet_config")
        start = f"{row}  def unet_config(blur=False"
        assert start in screen_text(app) and LONG_END not in screen_text(app)
        for _ in range(4):
            await pilot.press("right_square_bracket")
        await pilot.pause()
        assert any(text.rstrip().endswith(LONG_END) for text in source_rows(app))
        assert start not in screen_text(app)
        assert app.screen.source.selected_text == "unet_config"  # scrolling leaves the cursor be
        for _ in range(4):
            await pilot.press("left_square_bracket")
        await pilot.pause()
        assert start in screen_text(app)


@sync
async def test_o_hides_the_outline_and_angle_brackets_resize_it(index: Index) -> None:
    app = app_at(index, "Normalize")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "▼ data.transforms" in screen_text(app)
        await pilot.press("o")
        await pilot.pause()
        assert widths(app) == (0, 120) and "▼ data.transforms" not in screen_text(app)
        assert screen_lines(app)[0].startswith(" fastai/data/transforms.py:")  # the location starts at the left
        await pilot.press("o")
        await pilot.pause()
        assert widths(app) == (30, 90) and "▼ data.transforms" in screen_text(app)
        await pilot.press("greater_than_sign", "greater_than_sign")
        await pilot.pause()
        assert widths(app) == (38, 82)
        for _ in range(6):
            await pilot.press("less_than_sign")
        await pilot.pause()
        assert widths(app) == (14, 106)
        await pilot.press(*["less_than_sign"] * 3)  # it stops at the minimum
        await pilot.pause()
        assert widths(app) == (12, 108)


@sync
async def test_i_folds_the_details_away_and_back(index: Index) -> None:
    app = app_at(index, "_add_norm")
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)  # the callers list fills in a thread once the call graph is built
        rows = app.screen.source.size.height
        assert "fastai.vision.learner" in screen_text(app) and "callers (" in screen_text(app)
        await pilot.press("i")
        await pilot.pause()
        assert not app.screen.query_one("#info").display
        assert "callers (" not in screen_text(app) and app.screen.source.size.height > rows + 5
        await pilot.press("i")
        await pilot.pause()
        assert "callers (" in screen_text(app) and app.screen.source.size.height == rows


@sync
async def test_the_first_screen_says_what_to_do_and_shows_no_empty_source(index: Index) -> None:
    app = app_at(index, None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Nothing is open yet." in text
        assert "Ctrl+P      find any indexed definition" in text and "?           every key" in text
        assert not app.screen.source.display and not app.screen.query_one("#info").display
        assert all(row.strip(" │") != "1" for row in source_rows(app))  # no empty editor's line 1
        assert app.focused is app.screen.query_one("#outline")  # arrows browse it at once


@sync
async def test_the_layout_keys_are_in_the_footer_and_the_help(index: Index) -> None:
    app = app_at(index, "Normalize")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        footer = screen_lines(app)[-1]
        assert "i Info" in footer and "o Outline" in footer and "? Keys" in footer and "^P Symbols" in footer
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        for expected in ("hide or show the outline", "narrow the outline", "widen the outline",
                         "scroll the source left", "to the end of long lines", "fold away the details"):
            assert expected in text
