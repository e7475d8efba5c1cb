"""Back/forward history of places visited, like vim's tag stack (Ctrl-T) and jump list (Ctrl-O).

Plain logic, no UI: the TUI records a place before every jump and asks this for where to go.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Place:
    """A line in a file; `label` names it for the status line (`class Normalize`)."""

    path: str
    line: int
    label: str = ""


@dataclass
class History:
    """Two stacks: places behind the current one and places ahead of it."""

    back_stack: list[Place] = field(default_factory=list)
    forward_stack: list[Place] = field(default_factory=list)
    limit: int = 200

    def visit(self, current: Place | None) -> None:
        """Called before jumping away from `current`: it becomes "back"; "forward" is dropped."""
        if current is not None and (not self.back_stack or self.back_stack[-1] != current):
            self.back_stack.append(current)
            del self.back_stack[: -self.limit]
        self.forward_stack.clear()

    def back(self, current: Place | None) -> Place | None:
        """Where Ctrl-T goes; `current` is kept for forward. None when there is nothing behind."""
        if not self.back_stack:
            return None
        if current is not None:
            self.forward_stack.append(current)
        return self.back_stack.pop()

    def forward(self, current: Place | None) -> Place | None:
        """Where Ctrl-O goes after going back; None when there is nothing ahead."""
        if not self.forward_stack:
            return None
        if current is not None:
            self.back_stack.append(current)
        return self.forward_stack.pop()
