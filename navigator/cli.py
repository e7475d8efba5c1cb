"""The `nav` command line: one table of commands, each handled by a module in `navigator.commands`.

Only the module of the command being run is imported, so `nav find` stays as fast as a bare
Python start: no torch, fastai, timm, textual, libcst or rich on that path.
"""
from __future__ import annotations

import argparse
import errno
import importlib
import io
import os
import sys

from tags.errors import NavError
from tags.sources import is_utf8, printable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Sequence

# command name -> (module in navigator.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "find": ("find", "find definitions by name, Cls.meth or dotted path"),
    "show": ("show", "print a definition's source, highlighted"),
    "open": ("show", "open a definition in $EDITOR at its line"),
    "nbcheck": ("nbcheck", "list definitions whose .py text differs from their nbdev notebook cell (exit 1)"),
    "index": ("indexing", "index fastai, timm, fastcore, fasttransform (default) or any directory / package"),
    "roots": ("indexing", "list what is indexed, with file counts and versions"),
    "tags": ("tags_file", "write a Universal-Ctags-compatible tags file"),
    "doctor": ("doctor", "check the installed fastai, timm, GPU, ctags and graphviz"),
    "codemods": ("codemods", "list the refactors nav can apply, and to which fastai releases"),
    "apply-codemod": ("codemods", "apply a codemod to a fastai checkout, package or file; --undo it"),
    "timm-stats": ("timm_stats", "the input mean/std of every pretrained timm model, grouped; --model NAME"),
    "trace": ("trace", "call tree of a definition, call paths (--to), or a live runtime trace (--live)"),
    "callers": ("trace", "who calls a definition, as a tree"),
    "graph": ("graph", "export the whole static call graph (json, dot, or PyCG's callgraph.json)"),
    "tui": ("tui", "browse the sources with a keyboard: outline, source, symbol search, jumps, trace, walkthroughs"),
    "lsp": ("lsp", "a language server (stdio) for editors: definitions, hover, symbols, references, call hierarchy"),
    "diff": ("diff", "unified diff of a definition between two releases; --summary for a module"),
    "history": ("diff", "the releases in which a definition's text changed, with dates"),
    "walk": ("walk", "list the walkthroughs, or step through one (runs code against a private fastai copy)"),
}


def _formatter(prog: str) -> argparse.HelpFormatter:
    """argparse's formatter, told the width so it does not import shutil to ask."""
    try:
        width = int(os.environ.get("COLUMNS", "")) or os.get_terminal_size().columns
    except (ValueError, OSError):
        width = 80
    return argparse.HelpFormatter(prog, width=max(40, width - 2))


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser of the command being run, or the overview of all commands.

    Building only one command's parser keeps startup cheap: every argparse parser costs
    gettext lookups on disk.
    """
    chosen = argv[0] if argv else None
    if chosen in COMMANDS:
        module_name, help_text = COMMANDS[chosen]
        parser = argparse.ArgumentParser(prog=f"nav {chosen}", description=help_text, formatter_class=_formatter)
        module = importlib.import_module(f"navigator.commands.{module_name}")
        module.add_arguments(parser, chosen)
        parser.set_defaults(command=chosen, run=module.run)
        return parser
    parser = argparse.ArgumentParser(prog="nav", description=__doc__.split("\n")[0], formatter_class=_formatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", prog="nav")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text)
    return parser


_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class _ClosedOutput(io.TextIOBase):
    """Stands in for a standard output that was closed (`nav find x >&-`, which Python makes None):
    writing fails as writing to the closed descriptor would, and `main` says so in one line (it was
    an AttributeError traceback); commands that write elsewhere (`nav tags -o FILE`) still work."""

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "the standard output is closed")


def _escape_what_cannot_be_written() -> None:
    """Output to a terminal or pipe that cannot encode every character (a Latin-1 locale,
    PYTHONIOENCODING=ascii) gets `\\xe9`-style escapes for those: `nav find café` was a
    UnicodeEncodeError traceback halfway through its output."""
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    if sys.stdout is None:
        sys.stdout = _ClosedOutput()
    if sys.stdin is None:  # started with it closed (`nav lsp <&-`): read as empty input, not a traceback
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - it stays open as stdin
    if sys.stderr is None:  # `nav index 2>&-`: the messages go nowhere, and the work is still done
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - it stays open as stderr
    _escape_what_cannot_be_written()
    argv = list(sys.argv[1:] if argv is None else argv)
    for argument in argv:  # bytes that are not UTF-8 arrive as surrogates, which no query matches
        if not is_utf8(argument):
            print(f"nav: error: argument '{printable(argument)}' is not valid UTF-8 text", file=sys.stderr)
            return 2
    parser = build_parser(argv)
    args = parser.parse_args(argv[1:] if argv and argv[0] in COMMANDS else argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        status = int(args.run(args) or 0)
        sys.stdout.flush()  # here, not at exit: a full disk is then said in one line, below
        return status
    except NavError as err:
        print(f"nav: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("nav: interrupted; finished work is kept, run the command again to complete it", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `nav find x | head`
        sys.stderr.close()
        return 0
    except OSError as err:  # `nav find x > file` on a full disk, or with no standard output at all
        closed = isinstance(sys.stdout, _ClosedOutput) and err.errno == errno.EBADF
        if err.errno not in _FULL and not closed:
            raise
        print(f"nav: error: cannot write {err.filename or 'the output'}: {err.strerror}", file=sys.stderr)
        if not closed:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # what is left unwritten goes nowhere at exit
        return 1


if __name__ == "__main__":
    sys.exit(main())
