"""Symbol search in textual's command palette (Ctrl+P): `navigator.queries.find`, ranked the same."""
from __future__ import annotations

from functools import partial

from rich.text import Text
from textual.command import Hit, Hits, Provider

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
        for rank, hit in enumerate(hits):
            label = Text.assemble((hit.qualname, "bold"), "  ", (hit.kind, "magenta"), "  ", (hit.module, "dim"))
            # the palette sorts by score: keep `nav find`'s order
            yield Hit(1.0 - rank / (len(hits) + 1), label, partial(self.app.jump_to, hit),
                      text=f"{hit.qualname} {hit.kind} {hit.module}")
