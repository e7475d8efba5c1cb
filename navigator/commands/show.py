"""`nav show SYMBOL` prints a definition's source; `nav open SYMBOL` opens it in `$EDITOR`."""
from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys

from navigator.output import candidate_line, print_source, warn
from navigator.queries import Symbol, resolve
from navigator.session import add_release_option, query
from tags.errors import NavError
from tags.kinds import DEFINITION_KINDS


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("symbol", help="a name, Cls.meth, or a dotted path")
    parser.add_argument("--kind", choices=DEFINITION_KINDS, help="only definitions of this kind")
    if command == "show":
        parser.add_argument("--all", action="store_true", help="show every definition of that name")
    add_release_option(parser)


def run(args: argparse.Namespace) -> int:
    best, others = query(lambda index: resolve(index, args.symbol, kind=args.kind), release=args.release)
    if args.command == "open":
        return open_in_editor(best)
    for symbol in [best, *others] if getattr(args, "all", False) else [best]:
        print_source(symbol)
    if others and not args.all:
        warn(f"{len(others)} other definition(s) named {args.symbol!r}; --all shows them:")
        for symbol in others[:10]:
            print(candidate_line(symbol), file=sys.stderr)
    return 0


def open_in_editor(symbol: Symbol) -> int:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    command = [*shlex.split(editor), f"+{symbol.line}", symbol.path]
    try:
        return subprocess.call(command)
    except FileNotFoundError as err:
        raise NavError(f"cannot start the editor {editor!r} (set $EDITOR)") from err
