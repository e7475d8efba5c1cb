"""`v`: the releases in which a definition changed (`nav history`); Enter shows that release's diff."""
from __future__ import annotations

from rich.markup import escape
from rich.syntax import Syntax
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from navigator.diff import unified_diff
from navigator.history import History, history
from navigator.queries import Symbol
from navigator.tui.widgets import PagedList, plain
from tags.errors import NavError


class VersionsScreen(Screen):
    """The history of one definition across the releases of its package, read from their wheels."""

    BINDINGS = [Binding("escape", "close", "Back", key_display="Esc", tooltip="back to the source")]

    def __init__(self, hit: Symbol, since: str | None = None) -> None:
        super().__init__()
        self.hit = hit
        self.since = since
        self.result: History | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="versions-title")
            yield PagedList(id="versions")
            with VerticalScroll(id="version-diff"):
                yield Static("", id="version-diff-text")
        yield Footer()

    def on_mount(self) -> None:
        self.title_line(f"reading the releases of {self.package} (fetched once with pip) ...")
        self.load()

    @property
    def package(self) -> str:
        return self.hit.module.partition(".")[0]

    def title_line(self, text: str) -> None:
        self.query_one("#versions-title", Static).update(f"[b]{plain(self.hit.full_name)}[/]  [dim]{escape(text)}[/]")

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        try:
            found = history(self.hit.full_name, self.package, self.since, progress=False)
        except NavError as err:
            self.app.call_from_thread(self.title_line, str(err))
            return
        self.app.call_from_thread(self.show, found)

    def show(self, found: History) -> None:
        self.result = found
        first, last = found.releases[0].version, found.releases[-1].version
        self.title_line(f"{self.package} {first} ... {last}: changed in {len(found.entries) - 1} release(s)"
                        "  (Enter: that release's diff)")
        listing = self.query_one("#versions", OptionList)
        listing.clear_options()
        for number, entry in enumerate(found.entries):
            counts = f"+{entry.added} -{entry.removed}" if entry.status != "first" else "baseline"
            listing.add_option(Option(f"{entry.version:<8} {entry.date or '':<10} {entry.status:<8} {counts}",
                                      id=str(number)))
        listing.highlighted = len(found.entries) - 1 if found.entries else None
        listing.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if self.result is None or event.option.id is None:
            return
        number = int(event.option.id)
        entries = self.result.entries
        before = entries[number - 1].found if number > 0 else None
        lines = unified_diff(before, entries[number].found)
        self.query_one("#version-diff-text", Static).update(Syntax("\n".join(lines), "diff", theme="ansi_dark",
                                                                    background_color="default"))

    def action_close(self) -> None:
        self.app.pop_screen()
