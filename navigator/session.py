"""Opening a fresh index for a command: the one place commands get their `Index` from."""
from __future__ import annotations

from navigator.output import warn
from tags.indexer import fresh_index, with_index

TYPE_CHECKING = False  # typing costs `nav find` a few ms: only for type checkers
if TYPE_CHECKING:
    from typing import Callable, TypeVar

    from tags.store import Index

    T = TypeVar("T")


def query(action: Callable[[Index], T], *, report_problems: bool = True, release: str | None = None) -> T:
    """Run `action` on an index that holds the latest version of every indexed file, or on the
    index of one past release (`fastai==2.7.4`, fetched and indexed on first use)."""
    if release:
        from tags.releases import parse_release, with_release_index

        return with_release_index(parse_release(release), action)

    def run(index: Index) -> T:
        report = fresh_index(index)
        if report_problems:
            for problem in report.problems + report.notes:
                warn(problem)
        return action(index)

    return with_index(run)


def add_release_option(parser) -> None:
    """`--release fastai==2.7.4` for the query commands: read that release instead of the installed one."""
    parser.add_argument("--release", metavar="PKG==VERSION",
                        help="query this past release (e.g. fastai==2.7.4 or 'fastai 2.7.4'); fetched with pip once")
