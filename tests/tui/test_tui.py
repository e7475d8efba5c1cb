"""Pilot tests of `nav tui`: each interaction, checked on the screen it leaves behind."""
from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from navigator.queries import find
from navigator.tui.app import NavApp
from navigator.tui.palette import PALETTE_LIMIT
from tags.store import Index
from tests.helpers import (
    SAMPLE,
    app_at,
    line_of,
    palette_search,
    run_nav,
    screen_lines,
    screen_text,
    settled,
    sync,
)

TRANSFORMS = SAMPLE / "data" / "transforms.py"
LEARNER = SAMPLE / "vision" / "learner.py"


def location(app: NavApp) -> str:
    return str(app.screen.query_one("#location").render())


@sync
async def test_opens_at_the_symbol_with_its_line_selected(index: Index) -> None:
    app = app_at(index, "Normalize")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        line = line_of(TRANSFORMS, "class Normalize")
        text = screen_text(app)
        assert f"fastai/data/transforms.py:{line}  class Normalize" in text
        assert f"{line}  class Normalize(DisplayedTransform):" in text
        assert app.screen.source.selected_text == "Normalize"
        assert str(SAMPLE.parent) not in text  # root-relative paths only
        assert "▼ data.transforms" in text  # the outline follows
        assert app.screen.query_one("#outline").cursor_node.data[1].qualname == "Normalize"


def node_named(tree, label: str):
    """The first visible tree node whose label is `label`."""
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and str(node.label) == label:
            return node
    raise AssertionError(f"no node {label!r} in the outline")


@sync
async def test_outline_tree_lists_roots_modules_classes_and_methods(index: Index) -> None:
    app = app_at(index, None)
    async with app.run_test(size=(120, 40)) as pilot:
        tree = app.screen.query_one("#outline")
        tree.focus()
        for label in ("fastai", "data.transforms", "Normalize"):  # expand root > module > class
            tree.move_cursor(node_named(tree, label))
            await pilot.press("enter")
            await pilot.pause()
        text = screen_text(app)
        assert "vision.learner" in text and "broadcast_vec" in text and "encodes" in text
        tree.move_cursor(node_named(tree, "from_stats"))
        await pilot.press("enter")
        await pilot.pause()
        assert f"transforms.py:{line_of(TRANSFORMS, 'def from_stats')}  method Normalize.from_stats" in location(app)
        assert "def from_stats(cls, mean, std, dim=1, ndim=4):" in screen_text(app)


@sync
async def test_palette_lists_symbols_ranked_like_find_and_enter_jumps(index: Index) -> None:
    app = app_at(index, None)
    async with app.run_test(size=(120, 40)) as pilot:
        names = [hit.symbol.qualname for hit in find(index, "norm", limit=PALETTE_LIMIT)]
        await palette_search(pilot, "norm", len(names))
        text = screen_text(app)
        rows = [line for line in text.splitlines() if "fastai." in line]
        assert len(rows) == len(names) >= 3
        for name, row in zip(names, rows):
            assert name in row
        assert "Normalize  class  fastai.data.transforms" in text
        await pilot.press("enter")
        await pilot.pause()
        assert f"transforms.py:{line_of(TRANSFORMS, 'class Normalize')}  class Normalize" in location(app)


@sync
async def test_the_first_screens_second_selection_leaves_a_moved_cursor_be(index: Index) -> None:
    """The first definition is selected again after the first layout; a cursor the user moved
    before that refresh stays where the user put it (on a busy machine that is a real key press)."""
    app = app_at(index, "vision_learner")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        source, line = app.screen.source, line_of(LEARNER, "def vision_learner")
        first = source.selection
        source.move_cursor((0, 0))
        app.screen._highlight_again(first, line, "vision_learner")
        assert source.selection.end == (0, 0)
        source.move_cursor((5, 0))
        app.screen._highlight_again(source.selection, line, "vision_learner")
        assert source.selected_text == "vision_learner" and source.selection.end == (line - 1, 4)


@sync
async def test_jump_under_cursor_then_back_and_forward(index: Index) -> None:
    app = app_at(index, "vision_learner")
    async with app.run_test(size=(120, 40)) as pilot:
        source = app.screen.source
        call = line_of(LEARNER, "if normalize: _add_norm")
        source.move_cursor((call - 1, source.document.get_line(call - 1).index("_add_norm") + 2))
        await pilot.press("enter")
        await pilot.pause()
        assert f"learner.py:{line_of(LEARNER, 'def _add_norm')}  function _add_norm" in location(app)
        stats = line_of(LEARNER, "dls.add_tfms([Normalize")
        source.move_cursor((stats - 1, source.document.get_line(stats - 1).index("Normalize") + 1))
        await pilot.press("ctrl+right_square_bracket")
        await pilot.pause()
        assert "transforms.py" in location(app) and "class Normalize" in location(app)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert f"learner.py:{stats}" in location(app)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert f"learner.py:{call}" in location(app)
        await pilot.press("ctrl+o", "ctrl+o")
        await pilot.pause()
        assert "transforms.py" in location(app)


@sync
async def test_search_in_file_selects_each_match_in_turn(index: Index) -> None:
    app = app_at(index, "Learner")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"self.fit", "enter")
        await pilot.pause()
        source = app.screen.source
        first = line_of(LEARNER, "self.fit(1)")
        assert source.selected_text == "self.fit" and source.selection.start[0] == first - 1
        await pilot.press("escape", "n")
        await pilot.pause()
        assert source.selection.start[0] == first  # the next line: self.fit(epochs)
        assert not app.screen.query_one("#search").display


@sync
async def test_question_mark_lists_the_bindings(index: Index) -> None:
    app = app_at(index, "Normalize")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        for expected in ("^]", "jump to the definition under the cursor (also Enter)", "^T", "^O", "^P",
                         "search in this file", "call trace"):
            assert expected in text
        await pilot.press("escape")
        await pilot.pause()
        assert "jump to the definition" not in screen_text(app)


@sync
async def test_info_panel_shows_signature_and_docstring(index: Index) -> None:
    app = app_at(index, "Normalize.from_stats")
    async with app.run_test(size=(80, 24)) as pilot:
        assert not app.screen.query_one("#info").display  # short: folded until asked for
        await pilot.press("i")
        await pilot.pause()
        text = screen_text(app)
        assert "method Normalize.from_stats(cls," in text and "fastai.data.transforms" in text
        assert "Create a `Normalize` from" in text
        assert app.screen.query_one("#outline").display  # under the source: the outline stays


def test_nav_tui_with_an_unknown_symbol_fails_with_one_line(sample_cache: Path) -> None:
    done = run_nav("tui", "NoSuchSymbolAnywhere", cache=sample_cache)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "nav: error: no definition named 'NoSuchSymbolAnywhere'"]


def test_nav_tui_without_a_terminal_says_so_instead_of_waiting_for_keys(sample_cache: Path) -> None:
    """`nav tui < /dev/null` (or with its output in a file) waited for keys that never came."""
    done = run_nav("tui", "Normalize", cache=sample_cache, input_text="", timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "nav: error: nav tui needs a terminal, and its input is not one; run it in a terminal "
        "(`nav show` and `nav trace` print the same views as text)"]


@sync
async def test_trace_view_expands_calls_and_finds_the_path_to_a_symbol(index: Index) -> None:
    app = app_at(index, "vision_learner")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        await pilot.pause()
        text = screen_text(app)
        call = line_of(LEARNER, "if normalize: _add_norm")
        assert "vision_learner calls" in text
        assert f"_add_norm  fastai/vision/learner.py:{call}  exact" in text
        await pilot.press("down", "space")  # expand _add_norm: what it calls
        await pilot.pause()
        stats = line_of(LEARNER, "dls.add_tfms([Normalize")
        assert f"Normalize.from_stats  fastai/vision/learner.py:{stats}" in screen_text(app)
        await pilot.press("slash", *"from_stats", "enter")  # "to which symbol?"
        await pilot.pause()
        text = screen_text(app)
        assert "path 1: 2 call(s)" in text
        assert f"vision_learner  fastai/vision/learner.py:{call}" in text
        assert f"-> _add_norm  fastai/vision/learner.py:{stats}  [exact]" in text
        assert f"-> Normalize.from_stats  fastai/data/transforms.py:{line_of(TRANSFORMS, 'def from_stats')}" in text
        await pilot.press("down", "enter")  # the _add_norm step: back to the source, there
        await pilot.pause()
        assert f"learner.py:{line_of(LEARNER, 'def _add_norm')}  function _add_norm" in location(app)
        await pilot.press("t", "c")  # callers of _add_norm
        await pilot.pause()
        assert "_add_norm is called by" in screen_text(app)
        assert f"vision_learner  fastai/vision/learner.py:{call}" in screen_text(app)


@sync
async def test_info_panel_lists_callers_and_callees_and_enter_goes_there(index: Index) -> None:
    app = app_at(index, "_add_norm")
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        text = screen_text(app)
        assert "callers (1)" in text and "vision_learner" in text
        assert "callees (1)" in text and "Normalize.from_stats" in text
        calls = app.screen.query_one("#calls")
        calls.focus()
        calls.highlighted = 1  # vision_learner, the caller
        await pilot.press("enter")
        await pilot.pause()
        assert f"learner.py:{line_of(LEARNER, 'def vision_learner')}  function vision_learner" in location(app)


@pytest.fixture
def demo_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample walkthrough `tui-demo` on the search path; progress and workspace in tmp."""
    monkeypatch.setenv("NAV_WALKTHROUGH_PATH", str(SAMPLE.parent / "walkthroughs"))
    monkeypatch.setenv("NAV_CACHE_DIR", str(tmp_path / "walk-cache"))
    return tmp_path


async def open_demo(pilot) -> None:
    """`w`, then pick tui-demo in the list of walkthroughs."""
    await pilot.press("w")
    await pilot.pause()
    listing = pilot.app.screen.query_one("#walk-list")
    listing.focus()
    listing.highlighted = next(i for i in range(listing.option_count)
                               if listing.get_option_at_index(i).id == "tui-demo")
    await pilot.press("enter")
    await pilot.pause()


async def until(pilot, condition, seconds: float = 180) -> None:
    for _ in range(int(seconds / 0.1)):
        if condition():
            return
        await pilot.pause(0.1)
    raise AssertionError("timed out")


@sync
async def test_walkthrough_screen_lists_steps_runs_one_and_records_progress(index: Index, demo_walk: Path) -> None:
    app = app_at(index, "Normalize")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_demo(pilot)
        text = screen_text(app)
        assert "timm-normalize" in text and "tui-demo  0/2" in text
        assert "1. Count to three" in text and "2. A long step (cancel it)" in text
        assert "1/2 · Count to three" in text and "Prints three lines" in text
        await pilot.press("r")
        await until(pilot, lambda: "✔" in screen_text(app) and app.screen.cancel_event is None)
        text = screen_text(app)
        assert "line 1" in text and "line 3" in text
        assert "tui-demo  1/2" in text and "✔ 1. Count to three" in text
        await pilot.press("n")
        await pilot.pause()
        assert "2/2 · A long step (cancel it)" in screen_text(app)
        await pilot.press("b")
        await pilot.pause()
        assert "1/2 · Count to three" in screen_text(app)


@sync
async def test_a_long_step_streams_and_cancels_without_freezing_the_ui(index: Index, demo_walk: Path) -> None:
    app = app_at(index, "Normalize")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_demo(pilot)
        await pilot.press("n", "r")
        await until(pilot, lambda: "tick" in screen_text(app))
        assert app.screen.query_one("#running").display  # the progress bar runs meanwhile
        await pilot.press("question_mark")  # the UI still answers keys while the step runs
        await pilot.pause()
        assert "run the current step" in screen_text(app)
        await pilot.press("escape", "c")
        await until(pilot, lambda: "cancelled after" in screen_text(app), seconds=15)
        output = "\n".join(strip.text for strip in app.screen.query_one("#output").lines)
        assert "tick" in output and "never" not in output
        assert "tui-demo  0/2" in screen_text(app)  # a cancelled step is not progress


def test_a_call_under_the_cursor_resolves_like_nav_trace(index: Index) -> None:
    from navigator.outline import call_target

    stats = line_of(LEARNER, "dls.add_tfms([Normalize")
    text = LEARNER.read_text().splitlines()[stats - 1]
    on_method = text.index("from_stats") + 3
    hit = call_target(index, str(LEARNER), stats, on_method)
    assert (hit.qualname, Path(hit.path), hit.line) == \
        ("Normalize.from_stats", TRANSFORMS, line_of(TRANSFORMS, "def from_stats"))
    assert call_target(index, str(LEARNER), stats, text.index("Normalize.") + 2) is None  # on the class part
    fit = line_of(LEARNER, "self.fit(1)")
    hit = call_target(index, str(LEARNER), fit, LEARNER.read_text().splitlines()[fit - 1].index("fit("))
    assert (hit.qualname, hit.line) == ("Learner.fit", line_of(LEARNER, "def fit"))


@sync
async def test_the_call_graph_is_built_by_a_child_process_not_on_the_ui_s_interpreter(tmp_path: Path) -> None:
    """Built in a thread, the graph held the GIL for seconds and palette keystrokes waited."""
    import asyncio

    from tags.callgraph import ensure_graph
    from tests.helpers import index_sample

    index = Index.open(str(index_sample(tmp_path / "cache")))
    try:
        app = app_at(index, "Normalize")
        async with app.run_test(size=(120, 40)) as pilot:
            await asyncio.to_thread(app.graph_ready.wait, 120)
            await pilot.pause()
            builder = app._graph_builder
            assert builder is not None and builder.returncode == 0 and builder.pid != os.getpid()
            report = ensure_graph(index)
            assert (report.resolved_files, report.edges) == ([], 0)  # the child left nothing to do
            calls = screen_text(app)
            assert "callers (" in calls and "callees (" in calls
    finally:
        index.close()


def _index_of(src: Path, tmp_path: Path) -> Index:
    """`src` indexed into a cache of its own, opened."""
    cache = tmp_path / "cache"
    run_nav("index", str(src), cache=cache, check=True)
    return Index.open(str(cache))


@asynccontextmanager
async def _opened_at(src: Path, tmp_path: Path, symbol: str) -> AsyncIterator[NavApp]:
    """The TUI at 120x40 on an index of `src` of its own, opened at `symbol`, its first screen drawn."""
    index = _index_of(src, tmp_path)
    try:
        app = app_at(index, symbol)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            yield app
    finally:
        index.close()


@sync
async def test_brackets_and_control_characters_in_file_names_are_shown_as_written(tmp_path: Path) -> None:
    """A module `q[/]y` (folder `q[`, file `]y.py`) made the location line's markup raise; `[red]z`
    was a red `z` in the outline; an escape sequence in a file name reached the terminal."""
    src = tmp_path / "[bold]src"
    (src / "q[").mkdir(parents=True)
    (src / "q[" / "]y.py").write_text("def closing():\n    pass\n")
    (src / "[red]z.py").write_text("def tagged():\n    pass\n")
    (src / "a\x1b[31mred.py").write_text("def coloured():\n    pass\n")
    async with _opened_at(src, tmp_path, "closing") as app:
        assert "[bold]src/q[/]y.py:1  function closing" in location(app)
        tree = app.screen.query_one("#outline")
        labels = {str(tree.get_node_at_line(line).label) for line in range(tree.last_line + 1)}
        assert {"[bold]src", "[red]z", "a\\x1b[31mred", "q[.]y"} <= labels, labels


@sync
async def test_a_file_with_a_huge_line_opens_plain_and_says_so(tmp_path: Path) -> None:
    """Highlighting one 289 kB line (generated code) kept the first screen away for 25 s, a 3 MB line
    for over five minutes: such a file is shown without highlighting, and the user is told why."""
    src = tmp_path / "src"
    src.mkdir()
    wide = "x = [" + ", ".join(f"f{i}()" for i in range(30_000)) + "]"
    (src / "generated.py").write_text(f"def alpha():\n    return 1\n\n{wide}\n\ndef omega():\n    return 2\n")
    (src / "plain.py").write_text("def beta():\n    return alpha()\n")
    index = _index_of(src, tmp_path)
    try:
        app = app_at(index, "omega")
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await pilot.pause()
            text = screen_text(app)
            assert "src/generated.py:6  function omega" in text
            assert "6  def omega():" in text
            assert app.screen.source.language is None
            toast = " ".join(line.rpartition("▌")[2].strip() for line in screen_lines(app) if "▌" in line)
            assert " ".join(toast.split()) == "generated.py: a line of 288,894 characters: shown without highlighting"
        app = app_at(index, "beta")
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert app.screen.source.language == "python"
    finally:
        index.close()


@sync
async def test_a_form_feed_keeps_the_lines_below_it_where_they_are(tmp_path: Path) -> None:
    """textual's TextArea ends a line at a form feed too (str.splitlines): every line below one showed
    one number down, and opening `omega` selected the blank line above it. It shows as `␌` now."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "paged.py").write_text("def alpha():\n    return 1\n\x0c\n\ndef omega():\n    return '\u2028'\n")
    async with _opened_at(src, tmp_path, "omega") as app:
        text = screen_text(app)
        assert "src/paged.py:5  function omega" in text and "5  def omega():" in text and "3  ␌" in text
        assert app.screen.source.selected_text == "omega"


@sync
async def test_quitting_while_a_step_runs_stops_it(index: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`q` during a long step gave the terminal back, then the process waited for the step to end
    (a fine-tune: minutes) and printed a thread's NoActiveAppError traceback when it did."""
    import asyncio
    import threading

    from tests.helpers import write_walk

    pid_file = tmp_path / "step.pid"
    body = (f'[[step]]\nid = "long"\nkind = "python"\ntitle = "Long"\ntext = "waits"\nexpect = ["never"]\n'
            f'code = """\nimport os, time\nopen({str(pid_file)!r}, "w").write(str(os.getpid()))\n'
            f'print("tick", flush=True)\ntime.sleep(600)\n"""\n')
    write_walk(tmp_path / "walks", "quitter", body, header='[walkthrough]\ntitle = "Quitter"\nsummary = "one long step"\n\n')
    monkeypatch.setenv("NAV_WALKTHROUGH_PATH", str(tmp_path / "walks"))
    monkeypatch.setenv("NAV_CACHE_DIR", str(tmp_path / "walk-cache"))
    failures: list[str] = []
    monkeypatch.setattr(threading, "excepthook", lambda failure: failures.append(repr(failure.exc_value)))
    app = app_at(index, "Normalize")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("w")
        await pilot.pause()
        listing = app.screen.query_one("#walk-list")
        listing.focus()
        listing.highlighted = next(i for i in range(listing.option_count) if listing.get_option_at_index(i).id == "quitter")
        await pilot.press("enter", "r")
        await until(pilot, lambda: "tick" in screen_text(app))
        await pilot.press("q")
    step = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        for _ in range(1200):  # a hang guard (120 s): the stopped step is gone at once, a running one in 600 s
            os.kill(step, 0)
            await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # the step's threads end once it is gone
    assert failures == []


@sync
async def test_page_keys_in_a_tiny_terminal_do_not_end_the_tui(index: Index) -> None:
    """textual's OptionList raised KeyError paging a list it had not laid out yet (the callers pane
    three columns wide in a 20x6 terminal, the palette in an 8x3 one), and the TUI ended."""
    app = app_at(index, "Normalize")
    async with app.run_test(size=(20, 6)) as pilot:
        await pilot.press("i", "tab", "end", "pageup", "pagedown")
        await pilot.pause()
        assert app.is_running and app.focused is not None and app.focused.id == "calls"
    app = app_at(index, None)
    async with app.run_test(size=(8, 3)) as pilot:
        await pilot.press("ctrl+p", "a", "pageup", "pagedown")
        await pilot.pause()
        assert app.is_running
