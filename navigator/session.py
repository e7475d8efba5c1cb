"""Opening a fresh index for a command: the one place commands get their `Index` from."""
from __future__ import annotations

from navigator.output import warn
from tags.indexer import fresh_index, with_index

TYPE_CHECKING = False  # typing costs `nav find` a few ms: only for type checkers
if TYPE_CHECKING:
    from typing import Callable, TypeVar

    from tags.store import Index

    T = TypeVar("T")


def query(action: Callable[[Index], T], *, report_problems: bool = True) -> T:
    """Run `action` on an index that holds the latest version of every indexed file."""

    def run(index: Index) -> T:
        report = fresh_index(index)
        if report_problems:
            for problem in report.problems + report.notes:
                warn(problem)
        return action(index)

    return with_index(run)
