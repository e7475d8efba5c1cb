"""`nav show SYMBOL` prints a definition's source; `nav open SYMBOL` opens it in `$EDITOR`."""
from __future__ import annotations

import argparse
import sys

from navigator.output import candidate_line, print_source, printable, warn
from navigator.queries import Symbol, resolve
from navigator.session import add_release_option, query
from tags.errors import NavError, quoted
from tags.kinds import DEFINITION_KINDS


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("symbol", help="a name, Cls.meth, or a dotted path")
    parser.add_argument("--kind", choices=DEFINITION_KINDS, help="only definitions of this kind")
    parser.add_argument("--notebook", action="store_true",
                        help="the nbdev notebook cell it was exported from (a checkout with its nbs/)")
    if command == "show":
        parser.add_argument("--all", action="store_true", help="show every definition of that name")
        view = parser.add_mutually_exclusive_group()
        view.add_argument("--signature", action="store_true",
                          help="the effective signature, @delegates keyword parameters included (with their origin)")
        view.add_argument("--members", action="store_true",
                          help="a class's methods, @patch-ed ones included, with where each is defined")
        parser.add_argument("--json", action="store_true", help="with --signature or --members: print JSON")
    add_release_option(parser)


def run(args: argparse.Namespace) -> int:
    best, others = query(lambda index: resolve(index, args.symbol, kind=args.kind), release=args.release)
    if args.notebook:
        from navigator.commands.nbcheck import open_cell, print_cell

        return open_cell(best) if args.command == "open" else print_cell(best)
    if args.command == "open":
        return open_in_editor(best)
    if args.signature or args.members:
        return show_signature(best, args.json) if args.signature else show_members(best, args.json)
    for symbol in [best, *others] if getattr(args, "all", False) else [best]:
        print_source(symbol)
        if symbol.notebook:
            from navigator.commands.nbcheck import warn_if_drifted

            warn_if_drifted(symbol)
    if others and not args.all:
        warn(f"{len(others)} other definition(s) named {quoted(args.symbol)}; --all shows them:")
        for symbol in others[:10]:
            print(candidate_line(symbol), file=sys.stderr)
    return 0


def open_in_editor(symbol: Symbol) -> int:
    from navigator.editor import run_editor

    return run_editor([f"+{symbol.line}", symbol.path])


def show_signature(symbol: Symbol, as_json: bool) -> int:
    """`nav show SYMBOL --signature`: what `inspect.signature` would say, read statically."""
    from navigator.signature import SignatureReader, signature_text

    signature = query(lambda index: SignatureReader(index).of(symbol))
    if as_json:
        import json

        print(json.dumps(signature.as_json(), indent=1))
        return 0
    print(f"{printable(symbol.full_name)}{signature_text(signature)}")
    for parameter in signature.parameters:
        origin = "" if parameter.origin == symbol.full_name else f"  from {parameter.origin}"
        print(f"  {parameter.text()}{origin}")
    for reason in signature.unresolved:
        warn(f"not known statically: {reason}")
    return 0


def show_members(symbol: Symbol, as_json: bool) -> int:
    """`nav show Learner --members`: every method, with where it is defined (@patch-ed ones too)."""
    from navigator.members import class_members
    from navigator.output import display_path

    if symbol.kind != "class":
        raise NavError(f"{symbol.full_name} is a {symbol.kind}, not a class: --members lists a class's methods")
    members = query(lambda index: class_members(index, symbol))
    if as_json:
        import json

        print(json.dumps([member.as_json() for member in members], indent=1))
        return 0
    print(f"class {printable(symbol.full_name)}: {len(members)} methods, {sum(m.patched for m in members)} patched in")
    for member in members:
        where = f"{display_path(member.symbol.path)}:{member.symbol.line}"
        how = f"  @patch in {printable(member.symbol.module)}" if member.patched else ""
        print(f"  {member.symbol.name:<24} {where}{how}")
    return 0
