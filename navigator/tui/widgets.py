"""Widgets the screens share: the read-only source view, lists, and the list of callers and callees."""
from __future__ import annotations

from contextlib import suppress

from rich.markup import escape
from textual import work
from textual.message import Message
from textual.widgets import OptionList, TextArea
from textual.widgets.option_list import Option
from textual.widgets.text_area import Selection
from textual.worker import get_current_worker

from navigator import queries
from navigator.output import (
    MAX_HIGHLIGHTED_LINE,
    longest_line,
    one_line_per_line,
    printable,
)
from navigator.queries import Symbol
from navigator.trace import static as trace
from tags.sources import read_source_text

CONTEXT_ABOVE = 2  # lines shown above a definition when scrolling to it


def plain(text: str) -> str:
    """A name or path from the disk inside markup: shown as it is, never read as markup (`x[/]y.py`,
    `[red]z.py`), its control characters escaped (see `navigator.output.printable`)."""
    return escape(printable(text))


def describe(hit: Symbol, long: bool = False) -> str:
    """Markup for a definition: `class Normalize(DisplayedTransform)`, plus module and doc if long."""
    head = f"[magenta]{hit.kind}[/] [b]{plain(hit.qualname)}[/]{escape(hit.signature)}"
    if not long:
        return head
    doc = f"\n\n{escape(hit.doc)}" if hit.doc else ""
    origin = f"\n[green]exported from {plain(hit.origin())}[/]" if hit.notebook else ""
    return f"{head}\n[dim]{plain(hit.module)}[/]{origin}{doc}"


class SourceView(TextArea):
    """A file, read-only, highlighted, with line numbers; the cursor still moves (for jumps)."""

    def __init__(self, **kwargs) -> None:
        # no language yet: textual compiles the highlight query each time one is set, and that
        # is the slowest part of the first screen; `show_file` sets it with the first file
        super().__init__("", read_only=True, show_line_numbers=True, soft_wrap=False, theme="monokai", **kwargs)
        self.cursor_blink = False

    def show_file(self, path: str) -> str:
        """Show the file; what the user should know about how it is shown ("" mostly)."""
        try:
            text = read_source_text(path)
        except OSError as err:
            text = f"# cannot read {path}: {err.strerror}"
        self.load_text(one_line_per_line(text))
        longest = longest_line(text)
        if longest > MAX_HIGHLIGHTED_LINE:
            self.language = None
            return f"a line of {longest:,} characters: shown without highlighting"
        self.language = "python"
        return ""

    def highlight(self, line: int, name: str = "") -> None:
        """Select `name` on `line` (or the whole line) and scroll it near the top."""
        row = max(0, min(line - 1, self.document.line_count - 1))
        text = self.document.get_line(row)
        start = text.find(name) if name else -1
        if start >= 0:  # selected backwards: the cursor sits at the start of the name
            self.selection = Selection((row, start + len(name)), (row, start))
        else:
            self.selection = Selection((row, len(text)), (row, len(text) - len(text.lstrip())))
        self.call_after_refresh(self.scroll_to, x=0, y=max(0, row - CONTEXT_ABOVE), animate=False)

    def select_next(self, needle: str) -> bool:
        """Select the next occurrence of `needle` after the cursor, wrapping around the file."""
        lines = self.text.split("\n")
        row, column = self.selection.end
        count = len(lines)
        for step in range(count + 1):
            current = (row + step) % count
            found = lines[current].find(needle, column if step == 0 else 0)
            if found >= 0:
                self.selection = Selection((current, found), (current, found + len(needle)))
                self.scroll_cursor_visible(center=True, animate=False)
                return True
        return False


class PagedList(OptionList):
    """An OptionList whose page keys never fail. textual's look the highlighted option's line up,
    and lay the lines out only once the list has room: in a pane a few columns wide (a 20x6
    terminal) PageUp was a KeyError that ended the TUI."""

    def action_page_up(self) -> None:
        with suppress(KeyError):
            super().action_page_up()

    def action_page_down(self) -> None:
        with suppress(KeyError):
            super().action_page_down()


class CallList(PagedList):
    """Callers and callees of a definition, from `navigator.trace`; Enter goes there."""

    class Chosen(Message):
        def __init__(self, hit: Symbol) -> None:
            super().__init__()
            self.hit = hit

    def show_calls(self, hit: Symbol) -> None:
        """Fill the list in a thread: the first trace query may have to build the call graph."""
        self.clear_options()
        self.targets: list[int] = []
        self.add_option(Option("[dim]callers and callees…[/]", disabled=True))
        self.load_calls(hit)

    @work(thread=True, exclusive=True, group="calls")
    def load_calls(self, hit: Symbol) -> None:
        self.app.graph_ready.wait()  # the app's child process is building the graph: no second build here
        if get_current_worker().is_cancelled:
            return
        found = [(title, self.app.ask_aside(query, hit, 1)) for title, query in
                 (("callers", trace.callers), ("callees", trace.callees))]
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.fill, found)

    def fill(self, found: list[tuple[str, trace.TraceNode]]) -> None:
        self.clear_options()
        self.targets = []
        for title, node in found:
            self.add_option(Option(f"[b]{title}[/] ({len(node.children)})", disabled=True))
            for child in node.children:
                self.add_option(Option(f" {plain(child.qualname)} [dim]:{child.call_line}[/]",
                                       id=str(len(self.targets))))
                self.targets.append(child.def_id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        hit = self.app.ask(queries.symbol_by_id, self.targets[int(event.option.id)]) if event.option.id else None
        if hit is not None:
            self.post_message(self.Chosen(hit))
