"""The `nav` command line: one table of commands, each handled by a module in `navigator.commands`.

Only the module of the command being run is imported, so `nav find` stays as fast as a bare
Python start: no torch, fastai, timm, textual, libcst or rich on that path.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from tags.errors import NavError

# command name -> (module in navigator.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "find": ("find", "find definitions by name, Cls.meth or dotted path"),
    "show": ("show", "print a definition's source, highlighted"),
    "open": ("show", "open a definition in $EDITOR at its line"),
    "index": ("indexing", "index fastai and timm (default) or any directory / package"),
    "roots": ("indexing", "list what is indexed, with file counts and versions"),
    "tags": ("tags_file", "write a Universal-Ctags-compatible tags file"),
    "doctor": ("doctor", "check the installed fastai, timm, GPU and ctags"),
    "codemods": ("codemods", "list the refactors nav can apply, and to which fastai releases"),
    "apply-codemod": ("codemods", "apply a codemod to a fastai checkout, package or file; --undo it"),
}


def _command_name(argv: Sequence[str]) -> str | None:
    """The first non-option word: the subcommand, if any."""
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """A parser listing every command, with full arguments only for the one being run."""
    parser = argparse.ArgumentParser(prog="nav", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _command_name(argv)
    for name, (module, help_text) in COMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            mod = importlib.import_module(f"navigator.commands.{module}")
            mod.add_arguments(sub_parser, name)
            sub_parser.set_defaults(run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except NavError as err:
        print(f"nav: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("nav: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `nav find x | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
