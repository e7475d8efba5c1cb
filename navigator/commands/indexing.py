"""`nav index [TARGET ...]` builds or refreshes the index; `nav roots` lists what it holds."""
from __future__ import annotations

import argparse
import sys

from navigator.output import print_table, printable, warn
from navigator.queries import file_counts, root_summaries
from tags.discovery import default_roots, resolve_target
from tags.errors import NavError
from tags.indexer import add_targets, ensure_roots, refresh, with_index
from tags.store import Index


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    if command == "index":
        parser.add_argument("targets", nargs="*", metavar="TARGET",
                            help="directories, installed package names, or past releases as PKG==VERSION "
                                 "(default: fastai and timm; $NAV_PACKAGES changes it)")
        parser.add_argument("--rebuild", action="store_true", help="re-parse every file of these roots")
        parser.add_argument("--remove", action="store_true", help="drop these roots from the index")
    else:
        parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    return run_index(args) if args.command == "index" else run_roots(args)


def run_index(args: argparse.Namespace) -> int:
    if args.remove and not args.targets:  # not "the defaults": dropping fastai and timm unasked loses the most
        raise NavError("--remove needs the roots to drop (`nav roots` lists them)")
    releases = [t for t in args.targets if "==" in t]
    for spec in releases:
        _index_release(spec, args)
    if releases and len(releases) == len(args.targets):
        return 0
    wanted = [t for t in args.targets if "==" not in t]
    targets = [resolve_target(t) for t in wanted] if wanted else default_roots()
    targets = list({root.path: root for root in targets}.values())  # `nav index DIR DIR`: parsed once

    def work(index: Index) -> int:
        if args.remove:
            return _remove(index, targets)
        if not args.targets:
            ensure_roots(index)
        stored = add_targets(index, targets)
        report = refresh(index, stored, force=args.rebuild)
        for line in report.notes + report.problems:
            warn(line)
        counts = {r.path: n for r, n in _file_counts(index)}
        for root in stored:
            version = f" {root.version}" if root.version else ""
            print(f"{root.name}{version}: {counts.get(root.path, 0)} files  ({root.path})")
        print(f"parsed {report.parsed}, removed {report.removed}, "
              f"{len(report.problems)} with problems, in {report.seconds:.2f} s", file=sys.stderr)
        return 0

    return with_index(work)


def _index_release(spec: str, args: argparse.Namespace) -> None:
    """`nav index fastai==2.7.4`: fetch (pip, cached), unpack and index one past release in its own index."""
    import shutil

    from tags.releases import parse_release, release_home, with_release_index

    release = parse_release(spec)
    if args.remove:
        shutil.rmtree(release_home(release), ignore_errors=True)
        print(f"removed {release.label}")
        return
    if args.rebuild:
        (release_home(release) / "indexed").unlink(missing_ok=True)

    def report(index: Index) -> None:
        for summary in root_summaries(index):
            print(f"{release.label}: {summary.files} files, {summary.definitions} definitions  ({summary.root.path})")

    with_release_index(release, report)


def _remove(index: Index, targets) -> int:
    """Drop the roots named; one that is not indexed is said, and the exit status is 1."""
    indexed = {root.path: root for root in index.roots()}
    missing = 0
    for target in targets:
        root = indexed.get(target.path)
        if root is None:
            warn(f"{target.path} is not an indexed root (`nav roots` lists them); nothing removed")
            missing += 1
            continue
        index.remove_root(root)
        print(f"removed {root.name} ({root.path})")
    return 1 if missing else 0


def _file_counts(index: Index):
    counts = file_counts(index)
    return [(root, counts.get(root.id, 0)) for root in index.roots()]


def _release_rows() -> list[dict]:
    """The past releases indexed with `nav index PKG==VERSION`, each in its own index."""
    from tags.releases import indexed_releases, with_release_index

    table = []
    for release in indexed_releases():
        for s in with_release_index(release, root_summaries, progress=False):
            table.append({"name": s.root.name, "version": s.root.version, "origin": s.root.origin,
                          "path": s.root.path, "files": s.files, "definitions": s.definitions,
                          "problems": s.problems})
    return table


def run_roots(args: argparse.Namespace) -> int:
    import json

    from navigator.session import query

    def rows(index: Index) -> list[dict]:
        return [
            {"name": s.root.name, "version": s.root.version, "origin": s.root.origin, "path": s.root.path,
             "files": s.files, "definitions": s.definitions, "problems": s.problems}
            for s in root_summaries(index)
        ]

    table = query(rows) + _release_rows()
    if args.json:
        print(json.dumps(table, indent=1))
        return 0
    from rich.table import Table
    from rich.text import Text

    view = Table("root", "version", "files", "definitions", "problems", "path", box=None)
    for row in table:  # Text cells: a path with brackets (`/src/[x]/fastai`) is no markup
        view.add_row(*(Text(printable(str(row[key]))) for key in ("name", "version", "files", "definitions", "problems", "path")))
    print_table(view)
    return 0
