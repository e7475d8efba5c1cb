"""Small output helpers for the fast commands (no rich here: `nav find` must start instantly)."""
from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from navigator.queries import Hit

_STYLES = {"path": "36", "kind": "35", "name": "1", "dim": "2", "warn": "33"}


def use_colour(stream=sys.stdout) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def paint(text: str, style: str, enabled: bool) -> str:
    return f"\x1b[{_STYLES[style]}m{text}\x1b[0m" if enabled else text


def display_path(path: str) -> str:
    """Relative to the working directory when inside it (short, clickable), else absolute."""
    cwd = os.getcwd()
    if path.startswith(cwd + os.sep):
        return path[len(cwd) + 1:]
    return path


def candidate_line(hit: Hit) -> str:
    """One of several definitions a name could mean, as listed when asking which one."""
    return f"  {display_path(hit.path)}:{hit.line}: {hit.kind} {hit.full_name}"


def warn(message: str) -> None:
    print(paint(f"nav: {message}", "warn", use_colour(sys.stderr)), file=sys.stderr)
