"""`nav diff SYMBOL --from A [--to B]` and `nav history SYMBOL [--since V]`: a definition across releases.

Exit codes: 0 shown (also when the texts are equal); 1 the symbol, module or release does not
exist (a definition on one side only prints its source as all added or all removed and says so,
exit 1); 2 bad usage; 3 the package index cannot be reached and the release is not cached.
"""
from __future__ import annotations

import argparse
import sys

from navigator.output import display_path, paint, use_colour, warn
from tags.errors import NavError


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("symbol", help="a name, Cls.meth, dotted path, or (with --summary) a module")
    if command == "diff":
        parser.add_argument("--from", dest="old", required=True, metavar="VERSION",
                            help="the older release: 2.7.4, fastai==2.7.4 or 'fastai 2.7.4'")
        parser.add_argument("--to", dest="new", metavar="VERSION", help="the newer release (default: the installed one)")
        parser.add_argument("--summary", action="store_true",
                            help="for a module: every definition added, removed, changed or moved, one per line")
    else:
        parser.add_argument("--since", metavar="VERSION", help="the first release to read (default: the last 10)")
        parser.add_argument("--until", metavar="VERSION", help="the last release to read (default: the newest)")
        parser.add_argument("--package", help="the package (default: from the symbol, else fastai)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    if not args.symbol.strip():
        raise NavError("empty query")
    return run_diff(args) if args.command == "diff" else run_history(args)


def run_diff(args: argparse.Namespace) -> int:
    from navigator.diff import diff_definition, module_summary, package_of, side_of

    package = package_of(args.symbol, args.old, args.new)
    old_side, new_side = side_of(args.old, package), side_of(args.new, package)
    if args.summary:
        changes = module_summary(args.symbol, old_side, new_side)
        return _print_summary(args, changes, old_side.label, new_side.label)
    result = diff_definition(args.symbol, old_side, new_side)
    if args.json:
        import json

        print(json.dumps({"symbol": result.target.full_name, "from": old_side.label, "to": new_side.label,
                          "old": _where(result.old), "new": _where(result.new), "diff": result.lines}, indent=1))
    else:
        _print_diff(result.lines, result.old is not None and result.new is not None, result)
    if result.absence():
        warn(result.absence())
        return 1
    return 0


def _where(found) -> dict | None:
    if found is None:
        return None
    return {"path": found.symbol.path, "line": found.symbol.line, "how": found.how}


def _print_diff(lines: list[str], both: bool, result) -> None:
    colour = use_colour()
    for found in (result.old, result.new):
        if found is not None and found.how:
            warn(f"{found.label}: {result.target.full_name} {found.how} -> {found.symbol.full_name}")
    if both and not lines:
        print(f"{result.target.full_name}: the same in {result.old_side.label} and {result.new_side.label}")
        return
    styles = {"+": "path", "-": "warn", "@": "kind"}
    out = []
    for line in lines:
        style = "name" if line.startswith(("+++", "---")) else styles.get(line[:1])
        out.append(paint(line, style, colour) if style and colour else line)
    sys.stdout.write("\n".join(out) + "\n")


def _print_summary(args: argparse.Namespace, changes: list, old_label: str, new_label: str) -> int:
    if args.json:
        import json

        print(json.dumps({"module": args.symbol, "from": old_label, "to": new_label,
                          "changes": [change.as_json() for change in changes]}, indent=1))
        return 0
    print(f"{args.symbol}: {old_label} -> {new_label}")
    width = max((len(c.qualname) for c in changes), default=0)
    for change in changes:
        note = f"  {change.note}" if change.note else ""
        print(f"  {change.status:<8} {change.kind:<9} {change.qualname:<{width}}  +{change.added} -{change.removed}{note}")
    if not changes:
        print("  no definition changed")
    return 0


def run_history(args: argparse.Namespace) -> int:
    from navigator.diff import package_of
    from navigator.history import history

    package = args.package or package_of(args.symbol, args.since if args.since and "=" in args.since else None)
    since = _bare(args.since, package)
    until = _bare(args.until, package)
    result = history(args.symbol, package, since, until)
    if args.json:
        import json

        print(json.dumps({"symbol": result.target.full_name, "package": package,
                          "releases": [info.version for info in result.releases],
                          "entries": [entry.as_json() for entry in result.entries]}, indent=1))
        return 0
    first, last = result.releases[0].version, result.releases[-1].version
    print(f"{result.target.full_name}: {package} {first} ... {last} ({len(result.releases)} releases)")
    for entry in result.entries:
        date = entry.date or "date unknown"
        where = f"{display_path(entry.found.symbol.path)}:{entry.found.symbol.line}" if entry.found else ""
        how = f"  ({entry.found.how})" if entry.found and entry.found.how else ""
        counts = f"+{entry.added} -{entry.removed}" if entry.status != "first" else f"{len(entry.found.text)} lines"
        print(f"  {entry.version:<8} {date:<10}  {entry.status:<8} {counts:<10} {where}{how}")
    if not result.entries:
        warn(f"{result.target.full_name} is in none of these releases")
        return 1
    return 0


def _bare(text: str | None, package: str) -> str | None:
    """`2.7.0` from `--since 2.7.0` or `--since fastai==2.7.0`."""
    if not text:
        return None
    from tags.releases import parse_release

    release = parse_release(text, package)
    if release.package != package:
        raise NavError(f"{text}: a release of {release.package}, but the history is of {package}")
    return release.version
