"""Small output helpers for the fast commands (no rich here: `nav find` must start instantly)."""
from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from navigator.queries import Symbol

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


def candidate_line(symbol: Symbol) -> str:
    """One of several definitions a name could mean, as listed when asking which one."""
    return f"  {display_path(symbol.path)}:{symbol.line}: {symbol.kind} {symbol.full_name}"


def location_line(symbol: Symbol, colour: bool) -> str:
    """`nav find`'s line for a definition: `path:line:col: kind qualname(signature)`."""
    location = paint(f"{display_path(symbol.path)}:{symbol.line}:{symbol.col}:", "path", colour)
    kind, _, rest = symbol.describe().partition(" ")
    return f"{location} {paint(kind, 'kind', colour)} {rest}"


def print_source(symbol: Symbol, console=None) -> None:
    """`nav show`'s view: a `path:line` header, then the source with line numbers (highlighted on
    a terminal). `console` is a rich Console; rich is imported only here, not by `nav find`."""
    from rich.console import Console
    from rich.syntax import Syntax

    from navigator.queries import source_lines

    console = console or Console(highlight=False)
    console.print(f"[bold cyan]{display_path(symbol.path)}:{symbol.line}[/]  [magenta]{symbol.kind}[/] "
                  f"{symbol.full_name}")
    code = "\n".join(source_lines(symbol))
    console.print(Syntax(code, "python", line_numbers=True, start_line=symbol.first_line, word_wrap=False,
                         theme="ansi_dark", background_color="default"))


def warn(message: str) -> None:
    print(paint(f"nav: {message}", "warn", use_colour(sys.stderr)), file=sys.stderr)
