"""`nav lsp`: a language server on stdin/stdout for editors (Neovim, VS Code, ...)."""
from __future__ import annotations

import argparse

from navigator.session import query


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--stdio", action="store_true",
                        help="talk LSP over stdin/stdout (the default and only transport; accepted for editors)")


def run(args: argparse.Namespace) -> int:
    from navigator.lsp.server import serve

    return query(serve)
