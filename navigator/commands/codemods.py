"""`nav codemods` lists the refactors nav can apply; `nav apply-codemod` applies or undoes one.

libcst and rich are imported only here (and in what this runs), never on the `nav find` path.
"""
from __future__ import annotations

import argparse

from tags.errors import NavError


def add_arguments(parser: argparse.ArgumentParser, command_name: str) -> None:
    if command_name == "codemods":
        return
    parser.add_argument("name", nargs="?", metavar="NAME", help="codemod to apply (see `nav codemods`)")
    parser.add_argument("path", nargs="?", metavar="PATH",
                        help="fastai checkout, fastai package directory, or a single file")
    parser.add_argument("--revert", action="store_true",
                        help="turn the new design back into the old one (e.g. fastai>=2.7.5 -> 2.7.4)")
    parser.add_argument("--dry-run", action="store_true", help="print a coloured diff, write nothing")
    parser.add_argument("--force", action="store_true",
                        help="apply over uncommitted changes / undo over files edited since")
    parser.add_argument("--undo", metavar="PATH", help="restore the files the latest apply to PATH changed")


def run(args: argparse.Namespace) -> int:
    if args.command == "codemods":
        return _list()
    if args.undo:
        if args.name or args.path:
            raise NavError("--undo takes only the PATH: nav apply-codemod --undo PATH")
        return _undo(args.undo, args.force)
    if not (args.name and args.path):
        raise NavError("usage: nav apply-codemod NAME PATH [--revert] [--dry-run] [--force] | --undo PATH")
    return _apply(args)


def _list() -> int:
    from navigator.codemod.registry import CODEMODS

    for codemod in CODEMODS.values():
        files = ", ".join(f for t in codemod.files for f in (t.module, t.notebook) if f)
        print(f"{codemod.name}\n  {codemod.summary}\n  forward:  fastai {codemod.forward_releases}\n"
              f"  --revert: fastai {codemod.revert_releases}\n  note:     {codemod.notes}\n"
              f"  files:    {files}")
    return 0


def _apply(args: argparse.Namespace) -> int:
    from navigator.codemod.apply import apply_codemod

    result = apply_codemod(args.name, args.path, revert=args.revert, dry_run=args.dry_run, force=args.force)
    result.raise_if_refused()
    what = f"{result.codemod}{' --revert' if result.revert else ''}"
    if result.status == "already applied":
        print(f"{what}: already applied to {args.path}; nothing to do")
        return 0
    if result.dry_run:
        _print_diff(result.diff)
        print(f"{what}: dry run, would change {len(result.changes)} file(s); nothing written")
        return 0
    changed = ", ".join(str(change.path) for change in result.changes)
    print(f"{what}: changed {changed}\nundo with: nav apply-codemod --undo {args.path}")
    return 0


def _undo(path: str, force: bool) -> int:
    from navigator.codemod.apply import undo_codemod

    result = undo_codemod(path, force=force)
    restored = ", ".join(str(p) for p in result.restored)
    print(f"{result.codemod}{' --revert' if result.revert else ''} undone: restored {restored}")
    return 0


def _print_diff(diff: str) -> None:
    """The diff, coloured like git's when the output is a terminal (or FORCE_COLOR is set)."""
    from rich.text import Text

    from navigator.output import stdout_console

    styles = (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"), ("-", "red"))
    text = Text()
    for line in diff.splitlines(keepends=True):
        style = next((s for prefix, s in styles if line.startswith(prefix)), "")
        text.append(line, style=style)
    stdout_console(highlight=False, soft_wrap=True).print(text, end="")
