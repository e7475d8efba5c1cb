"""C3 linearization, the method resolution order Python gives a class: shared by the name tables
(`tags.names`, over definition ids) and the points-to solver (over class names)."""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs 2 ms of every `nav trace`; the checker alone needs it
    from collections.abc import Hashable
    from typing import TypeVar

    Item = TypeVar("Item", bound=Hashable)


def c3_merge(sequences: list[list[Item]]) -> list[Item]:
    """C3 merge of the bases' orders; an inconsistent hierarchy falls back to depth-first order without repeats."""
    result: list[Item] = []
    sequences = [list(seq) for seq in sequences if seq]
    while sequences:
        head = next((seq[0] for seq in sequences if not any(seq[0] in other[1:] for other in sequences)), None)
        if head is None:
            return list(dict.fromkeys(result + [item for seq in sequences for item in seq]))
        result.append(head)
        sequences = [rest for rest in ([item for item in seq if item != head] for seq in sequences) if rest]
    return result
