"""`nav find QUERY`: definitions, one per line as `path:line:col: kind qualname(signature)`."""
from __future__ import annotations

import argparse
import sys

from navigator.commands import count
from navigator.output import location_line, use_colour
from navigator.queries import did_you_mean, find
from navigator.session import add_release_option, query
from tags.errors import quoted
from tags.kinds import DEFINITION_KINDS


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("query", help="a name, Cls.meth, or a dotted path like fastai.vision.learner._add_norm")
    parser.add_argument("--kind", choices=DEFINITION_KINDS, help="only definitions of this kind")
    parser.add_argument("--limit", type=count, default=30, metavar="N", help="at most N hits (default 30)")
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    add_release_option(parser)


def run(args: argparse.Namespace) -> int:
    if args.limit < 1:
        from tags.errors import NavError

        raise NavError("--limit must be at least 1")

    def search(index):
        hits = find(index, args.query, kind=args.kind, limit=args.limit)
        only_fuzzy = all(h.tier == 3 for h in hits)  # nothing better: perhaps a typo
        return hits, (did_you_mean(index, args.query) if only_fuzzy else [])

    hits, close = query(search, release=args.release)
    if args.json:
        import json

        print(json.dumps([h.as_json() for h in hits], indent=1))
    else:
        colour = use_colour()
        sys.stdout.write("".join(location_line(h.symbol, colour) + "\n" for h in hits))
    if not hits:
        what = f" of kind {args.kind}" if args.kind else ""
        hint = f"; did you mean: {', '.join(close)}" if close else ""
        print(f"nav: no definition{what} matches {quoted(args.query)}{hint}", file=sys.stderr)
        return 1
    if close:
        print(f"nav: only loose matches for {quoted(args.query)}; did you mean: {', '.join(close)}", file=sys.stderr)
    return 0
