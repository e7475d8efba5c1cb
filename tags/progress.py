"""The progress bar of long index work (parsing, the call graph): rich, on a terminal, after a delay."""
from __future__ import annotations

import sys
import time

PROGRESS_AFTER = 0.3  # seconds of work before a bar appears: quick refreshes stay silent


class Progress:
    """A rich progress bar on stderr, shown only on a terminal and only once work drags on."""

    def __init__(self, total: int, label: str, enabled: bool, verb: str = "indexing") -> None:
        self.total, self.label, self.done, self.verb = total, label, 0, verb
        self.enabled = enabled and sys.stderr.isatty()
        self.started = time.monotonic()
        self.bar = None

    def __enter__(self) -> Progress:
        return self

    def advance(self) -> None:
        self.done += 1
        if self.bar is None and self.enabled and time.monotonic() - self.started > PROGRESS_AFTER:
            from rich import progress as bars

            self.bar = bars.Progress(bars.TextColumn("{task.description}"), bars.BarColumn(),
                                     bars.MofNCompleteColumn(), bars.TimeElapsedColumn(), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(f"{self.verb} {self.label}", total=self.total, completed=self.done)
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
