"""Symbol search in textual's command palette (Ctrl+P): `navigator.queries.find`, ranked the same."""
from __future__ import annotations

from contextlib import suppress
from functools import partial
from typing import AsyncGenerator

from rich.text import Text
from textual.command import CommandPalette, Hit, Hits, Provider

from navigator.queries import find
from tags.errors import NavError

PALETTE_LIMIT = 30


class SymbolProvider(Provider):
    """Every indexed definition; Enter jumps to it in the source view."""

    async def search(self, query: str) -> Hits:
        query = query.strip()
        if not query or query.endswith("."):
            return
        try:
            hits = await self.app.ask_in_thread(find, query, limit=PALETTE_LIMIT)
        except NavError:
            return
        for rank, found in enumerate(hits):
            symbol = found.symbol
            label = Text.assemble((symbol.qualname, "bold"), "  ", (symbol.kind, "magenta"), "  ", (symbol.module, "dim"))
            # the palette sorts by score: keep `nav find`'s order
            yield Hit(1.0 - rank / (len(hits) + 1), label, partial(self.app.jump_to, symbol),
                      text=f"{symbol.qualname} {symbol.kind} {symbol.module}")


class SymbolPalette(CommandPalette):
    """textual's command palette, showing results as soon as the provider has them.

    The stock palette polls its providers' queue with a 0.1 s timeout and only finishes a search
    after one more poll, so every keystroke cost at least 100 ms more than the query. Our
    providers are passed through directly instead. This overrides a private method of textual;
    the palette tests and `tests/benchmarks/bench_tui.py` notice if textual changes it.
    """

    def _action_command_list(self, action: str) -> None:
        """The list's keys (PageUp...): textual's OptionList raised KeyError paging before it had laid
        its lines out (a palette in a tiny terminal), ending the TUI; see `PagedList`. Private to
        textual too: `tests/tui` pages a palette in a 8x3 terminal."""
        with suppress(KeyError):
            super()._action_command_list(action)

    async def _search_for(self, search_value: str) -> AsyncGenerator[Hit, bool]:
        self._start_busy_countdown()
        for provider in self._providers:
            async for hit in provider._search(search_value):
                if (yield hit):  # a newer search replaced this one
                    return
        self._stop_busy_countdown()
