"""Small output helpers for the fast commands (no rich here: `nav find` must start instantly)."""
from __future__ import annotations

import argparse
import os
import sys

from tags.sources import printable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from navigator.queries import Symbol

# A longer line is shown plain: highlighting it took textual 25 s for the first screen of a file with
# one 289 kB line (over 5 minutes at 3 MB), and Pygments 10 s for `nav show` of a 3 MB one.
MAX_HIGHLIGHTED_LINE = 5_000


# what `str.splitlines()`, and so textual's TextArea, also ends a line at: each as its control picture
_OTHER_LINE_ENDS = str.maketrans({"\v": "␋", "\f": "␌", "\x1c": "␜", "\x1d": "␝", "\x1e": "␞", "\x85": "␤",
                                  "\u2028": "␤", "\u2029": "¶"})


def one_line_per_line(text: str) -> str:
    """`text` (newlines translated) with the other characters that end a line for `str.splitlines()`
    drawn as their control pictures (`␌` for a form feed): a viewer splitting with it (textual's
    TextArea) shows the file's own lines. A form feed moved every line below it one down in the TUI."""
    return text.translate(_OTHER_LINE_ENDS)


def longest_line(text: str) -> int:
    """The length of the longest line of `text`, to compare with MAX_HIGHLIGHTED_LINE."""
    return max(map(len, text.split("\n")))


_STYLES = {"path": "36", "kind": "35", "name": "1", "dim": "2", "warn": "33"}


def use_colour(stream=sys.stdout) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def can_encode(text: str, stream=sys.stdout) -> bool:
    """Whether `stream` can write `text` as it is (not on an ASCII or Latin-1 terminal: `└─`)."""
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def paint(text: str, style: str, enabled: bool) -> str:
    return f"\x1b[{_STYLES[style]}m{text}\x1b[0m" if enabled else text


def display_path(path: str) -> str:
    """Relative to the working directory when inside it (short, clickable), else absolute; control
    characters escaped (see `tags.sources.printable`)."""
    cwd = os.getcwd()
    if path.startswith(cwd + os.sep):
        path = path[len(cwd) + 1:]
    return printable(path)


def candidate_line(symbol: Symbol) -> str:
    """One of several definitions a name could mean, as listed when asking which one."""
    return f"  {display_path(symbol.path)}:{symbol.line}: {symbol.kind} {printable(symbol.full_name)}"


def location_line(symbol: Symbol, colour: bool) -> str:
    """`nav find`'s line for a definition: `path:line:col: kind qualname(signature)`."""
    location = paint(f"{display_path(symbol.path)}:{symbol.line}:{symbol.col}:", "path", colour)
    kind, _, rest = symbol.describe().partition(" ")
    return f"{location} {paint(kind, 'kind', colour)} {printable(rest)}"


def stdout_console(**options):
    """A rich Console on stdout whose reader may leave early: `nav show X | head -1` then ends with
    status 0, as `nav find` does (rich's own Console exits with status 1)."""
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            try:
                super().on_broken_pipe()  # points stdout at /dev/null: the flush at exit is quiet
            except SystemExit:
                raise BrokenPipeError from None  # cli.main ends every command's broken pipe the same way

    return PipeConsole(**options)


def print_table(table, console=None) -> None:
    """A rich table: fit to the terminal, and into a pipe or file as wide as its cells need (paths are
    never cut to `/work/venv/lib/python3.…`). `console` is a rich Console, stdout's if None."""
    console = console or stdout_console()
    if console.is_terminal:
        console.print(table)
        return
    width = console.width
    console.width = max(width, console.measure(table, options=console.options.update_width(1 << 16)).maximum)
    try:
        console.print(table)
    finally:
        console.width = width


def print_source(symbol: Symbol, console=None) -> None:
    """`nav show`'s view: a `path:line` header, then the source with line numbers (highlighted on
    a terminal). `console` is a rich Console; rich is imported only here, not by `nav find`."""
    from rich.syntax import Syntax
    from rich.text import Text

    from navigator.queries import source_lines

    lines = source_lines(symbol)
    if console is None:  # into a pipe or file nothing is cut: as wide as the longest line needs
        wide = None if sys.stdout.isatty() else max([80, *(len(line.expandtabs()) + 12 for line in lines)])
        console = stdout_console(highlight=False, width=wide)
    # Text, not markup: a path or name with brackets in it (`x[/]y.py`) is printed as it is
    console.print(Text.assemble((f"{display_path(symbol.path)}:{symbol.line}", "bold cyan"), "  ",
                                (symbol.kind, "magenta"), f" {printable(symbol.full_name)}"), soft_wrap=True)
    if symbol.notebook:
        console.print(Text.assemble(("exported from", "dim"), " ", (printable(symbol.origin()), "green")))
    code = "\n".join(lines)
    lexer = "python" if longest_line(code) <= MAX_HIGHLIGHTED_LINE else "text"
    console.print(Syntax(code, lexer, line_numbers=True, start_line=symbol.first_line, word_wrap=False,
                         theme="ansi_dark", background_color="default"))


def warn(message: str) -> None:
    print(paint(f"nav: {message}", "warn", use_colour(sys.stderr)), file=sys.stderr)


SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")


def output_file(value: str) -> str:
    """`-o FILE` of an export (tags, graph, trace): never empty (`-o ""` wrote to standard output, or
    failed as `cannot write :`), never an existing Python source or notebook, which it would
    replace (`nav graph pkg -o pkg/a.py`, a typo away from `pkg/a.json`, lost the module)."""
    if not value:
        raise argparse.ArgumentTypeError("an empty file name")
    if value != "-" and value.lower().endswith(SOURCE_SUFFIXES) and os.path.isfile(value):
        raise argparse.ArgumentTypeError(f"{value} is Python source: nav does not write over it (nothing written)")
    return value
