"""`nav tui [SYMBOL]`: the keyboard-driven reader. The only module that imports textual."""
from __future__ import annotations

import argparse
import sys

from navigator.queries import resolve
from navigator.session import query
from tags.errors import NavError


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("symbol", nargs="?", help="open at this definition (a name, Cls.meth or dotted path)")


def run(args: argparse.Namespace) -> int:
    def start(index) -> int:
        symbol = resolve(index, args.symbol)[0] if args.symbol else None  # bad names fail before the UI
        problem = terminal_problem()
        if problem:
            raise NavError(problem)
        from navigator.tui.app import NavApp

        NavApp(index, symbol).run()
        return 0

    return query(start)


def terminal_problem() -> str | None:
    """Why the screen cannot run here. Textual reads keys from stdin and draws on stdout; with
    either redirected (`nav tui < /dev/null`) it waits for keys that never come."""
    for role, stream in (("input", sys.stdin), ("output", sys.stdout)):
        if stream is None or not stream.isatty():
            return (f"nav tui needs a terminal, and its {role} is not one; run it in a terminal "
                    "(`nav show` and `nav trace` print the same views as text)")
    return None
