"""`nav tui [SYMBOL]`: the keyboard-driven reader. The only module that imports textual."""
from __future__ import annotations

import argparse

from navigator.queries import resolve
from navigator.session import query


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("symbol", nargs="?", help="open at this definition (a name, Cls.meth or dotted path)")


def run(args: argparse.Namespace) -> int:
    def start(index) -> int:
        symbol = resolve(index, args.symbol)[0] if args.symbol else None  # bad names fail before the UI
        from navigator.tui.app import NavApp

        NavApp(index, symbol).run()
        return 0

    return query(start)
