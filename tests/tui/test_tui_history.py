"""Back/forward history of the TUI, as plain logic."""
from __future__ import annotations

from navigator.tui.history import History, Place

A, B, C = Place("a.py", 1), Place("b.py", 20), Place("c.py", 300)


def test_back_and_forward_walk_the_jumps_like_vim() -> None:
    history = History()
    history.visit(A)  # jumped A -> B
    history.visit(B)  # jumped B -> C
    assert history.back(C) == B
    assert history.back(B) == A
    assert history.back(A) is None
    assert history.forward(A) == B
    assert history.forward(B) == C
    assert history.forward(C) is None


def test_a_new_jump_drops_the_forward_places() -> None:
    history = History()
    history.visit(A)
    history.visit(B)
    assert history.back(C) == B
    history.visit(B)  # jumped elsewhere from B: C is no longer ahead
    assert history.forward(Place("d.py", 4)) is None
    assert history.back_stack == [A, B]


def test_history_is_bounded_and_skips_repeats() -> None:
    history = History(limit=3)
    for line in range(10):
        history.visit(Place("a.py", line))
        history.visit(Place("a.py", line))
    assert [p.line for p in history.back_stack] == [7, 8, 9]
