"""`nav show SYMBOL` prints a definition's source; `nav open SYMBOL` opens it in `$EDITOR`."""
from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys

from navigator.output import candidate_line, display_path, warn
from navigator.queries import Hit, resolve, source_lines
from navigator.session import query
from tags.errors import NavError
from tags.kinds import KINDS


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("symbol", help="a name, Cls.meth, or a dotted path")
    parser.add_argument("--kind", choices=KINDS, help="only definitions of this kind")
    if command == "show":
        parser.add_argument("--all", action="store_true", help="show every definition of that name")


def run(args: argparse.Namespace) -> int:
    best, others = query(lambda index: resolve(index, args.symbol, kind=args.kind))
    if args.command == "open":
        return open_in_editor(best)
    for hit in [best, *others] if getattr(args, "all", False) else [best]:
        print_source(hit)
    if others and not args.all:
        warn(f"{len(others)} other definition(s) named {args.symbol!r}; --all shows them:")
        for hit in others[:10]:
            print(candidate_line(hit), file=sys.stderr)
    return 0


def print_source(hit: Hit) -> None:
    """A `path:line` header, then the source with line numbers, highlighted on a terminal."""
    from rich.console import Console
    from rich.syntax import Syntax

    console = Console(highlight=False)
    console.print(f"[bold cyan]{display_path(hit.path)}:{hit.line}[/]  [magenta]{hit.kind}[/] {hit.full_name}")
    if hit.notebook:
        console.print(f"[dim]exported from[/] [green]{hit.origin()}[/]", markup=True)
    code = "\n".join(source_lines(hit))
    console.print(Syntax(code, "python", line_numbers=True, start_line=hit.first_line, word_wrap=False,
                         theme="ansi_dark", background_color="default"))


def open_in_editor(hit: Hit) -> int:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    command = [*shlex.split(editor), f"+{hit.line}", hit.path]
    try:
        return subprocess.call(command)
    except FileNotFoundError as err:
        raise NavError(f"cannot start the editor {editor!r} (set $EDITOR)") from err
