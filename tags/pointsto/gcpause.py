"""Pausing Python's cyclic garbage collector while the points-to analysis runs.

The analysis allocates millions of long-lived objects (syntax trees, scopes, value sets) and
frees almost none of them until it ends, so the collector's passes find nothing: on fastai,
timm, fastcore and fasttransform they took 2 of 14 CPU seconds (`ast.parse` alone ran 2.8 s
with it, 0.8 s without) and peak memory was the same either way. Reference counting still
frees what the solver drops; only cycles wait for the collector, which runs again afterwards.

What was made meanwhile and still lives (the trees, held by the graph's scopes) would all sit in
the youngest generation, and the first collection after the pause would walk it (0.75 s on the four
roots): it goes to the oldest generation instead (`gc.freeze` then `gc.unfreeze`), scanned only by
the rare full collections. Not when something else froze objects (`nav lsp` does): they stay frozen.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """The collector off inside the block, as it was after (a nested pause leaves it off)."""
    was_enabled, unfrozen = gc.isenabled(), gc.get_freeze_count() == 0
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if unfrozen:
                gc.freeze()  # every tracked object, young ones included, to the permanent generation
                gc.unfreeze()  # and back, into the oldest
            gc.enable()
