"""`?`: the key bindings of the screen underneath and of the app, in one box."""
from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


class HelpScreen(ModalScreen):
    """A table of bindings read from the screens themselves, so it never goes out of date."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan")
        table.add_column()
        for binding in [*self.under.BINDINGS, *self.app.BINDINGS]:
            if isinstance(binding, Binding) and binding.action != "dismiss":
                keys = binding.key_display or binding.key
                table.add_row(keys, binding.tooltip or binding.description)
        table.add_row("Esc", "close this help")
        yield Static(table, id="help")
