"""`nav lsp`: a language server on stdin/stdout for editors (Neovim, VS Code, ...)."""
from __future__ import annotations

import argparse

from navigator.session import query


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--stdio", action="store_true",
                        help="talk LSP over stdin/stdout (the default and only transport; accepted for editors)")


def run(args: argparse.Namespace) -> int:
    import gc

    # Importing pygls builds lsprotocol's ~570 attrs classes: some 40,000 objects that live as
    # long as the server, over which the collector runs ~125 times during the import for
    # nothing (about 40 of 650 ms to the first answer). Frozen, later collections skip them.
    gc.disable()
    try:
        from navigator.lsp.server import serve
    finally:
        gc.enable()
    gc.freeze()
    return query(serve)
