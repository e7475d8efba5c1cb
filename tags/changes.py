"""What a refresh finds and does: the records the stat pass (`tags.indexer`) hands to the parser (`tags.update`)."""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tags.sources import SourceFile
    from tags.store import FileState, StoredRoot


class RootChanges:
    """What the stat pass found for one root."""

    __slots__ = ("root", "to_parse", "touched", "removed", "notes", "missing")

    def __init__(self, root: StoredRoot) -> None:
        self.root = root
        self.to_parse: list[SourceFile] = []
        self.touched: list[tuple[SourceFile, FileState]] = []  # same size, new mtime: hash decides
        self.removed: list[str] = []
        self.notes: list[str] = []
        self.missing = False

    @property
    def empty(self) -> bool:
        return not (self.to_parse or self.touched or self.removed or self.missing)


class RefreshReport:
    """What a refresh did, for messages and tests."""

    __slots__ = ("parsed", "removed", "problems", "notes", "dropped", "seconds")

    def __init__(self) -> None:
        self.parsed = 0
        self.removed = 0
        self.problems: list[str] = []  # file notes: syntax errors, skipped files
        self.notes: list[str] = []  # walk notes: symlink loops, vanished roots
        self.dropped: list[str] = []  # the roots whose folder vanished, taken out of the index
        self.seconds = 0.0
