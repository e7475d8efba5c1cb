"""`nav graph [TARGET ...] --format json|dot|pycg [-o FILE]`: the whole static call graph, exported.

The graph comes from the points-to analysis (`tags.pointsto`) run over the targets' sources;
`pycg` writes PyCG's `callgraph.json` shape (module names relative to each target directory),
so nav can be scored against the published call-graph tools on any code. It is solved under the
index's fixed hash seed, so every export of the same sources is the same (see `analyse_seeded`).
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from collections.abc import Iterable, Iterator

from navigator.output import output_file
from tags.discovery import default_roots, resolve_target
from tags.errors import NavError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tags.pointsto import CallGraph


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="directories or installed package names (default: fastai, timm, fastcore and "
                             "fasttransform; $NAV_PACKAGES changes it)")
    parser.add_argument("--format", choices=("json", "dot", "pycg"), default="json", help="output format (default json)")
    parser.add_argument("-o", "--output", metavar="FILE", type=output_file, help="write to FILE instead of standard output")


def run(args: argparse.Namespace) -> int:
    from tags.callgraph import say_unparsed
    from tags.pointsto import analyse
    from tags.pointsto.solver import directory_sources

    if sys.flags.hash_randomization:
        _run_seeded(args)  # does not return
    roots = [resolve_target(t) for t in args.targets] if args.targets else default_roots()
    sources: dict[str, tuple[str, bool]] = {}
    for root in roots:
        sources.update(directory_sources(root.path, root.name if root.origin == "package" else ""))
    if not sources:
        raise NavError("no Python files under " + ", ".join(r.path for r in roots))
    graph = analyse(sources)
    say_unparsed(dict(sorted(graph.unparsed.items())), "its calls are not in the graph")
    chunks = render(graph, args.format)
    if args.output:
        from tags.atomic import write_atomic

        try:
            write_atomic(args.output, (chunk.encode() for chunk in chunks))
        except OSError as err:
            raise NavError(f"cannot write {args.output}: {err.strerror or err}") from err
    else:
        for chunk in chunks:
            sys.stdout.write(chunk)
    return 0


def _run_seeded(args: argparse.Namespace) -> None:
    """Run this export again, in place of this process, under the seed the stored graph is solved
    with: the solver's value caps keep what arrives first, and arrival follows set order, which
    PYTHONHASHSEED changes (the same sources gave other edges from one run to the next)."""
    from tags.lifetime import nav_python_env
    from tags.pointsto.indexed import FIXED_SEED

    argv = [sys.executable, "-m", "navigator", "graph", *args.targets, "--format", args.format]
    argv += ["--output", args.output] if args.output else []
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, nav_python_env(PYTHONHASHSEED=FIXED_SEED))


def render(graph: CallGraph, fmt: str) -> Iterator[str]:
    """The graph as text in one of the export formats, in chunks: torch's JSON is 140 MB, and held
    whole (with the list of records it was made from) it took the export past 1 GB."""
    if fmt == "pycg":
        pycg = graph.as_pycg()
        return _json_object(pycg.items(), indent=2)
    if fmt == "dot":
        from navigator.trace.render import dot_string

        pairs = sorted({(e.caller, e.callee) for e in graph.edges if e.kind != "class"})
        return itertools.chain(["digraph calls {\n"], (f"  {dot_string(a)} -> {dot_string(b)};\n" for a, b in pairs), ["}\n"])
    edges = ({"caller": e.caller, "callee": e.callee, "line": e.line, "col": e.col, "how": e.how, "kind": e.kind}
             for e in sorted(graph.edges, key=lambda e: (e.caller, e.line, e.col, e.callee)))
    return _json_object([("edges", _json_list(edges, indent=1, level=1))], indent=1)


def _json_object(items: Iterable[tuple[str, object]], indent: int) -> Iterator[str]:
    """`json.dumps(dict(items), indent=indent) + "\\n"`'s exact text, one member at a time; a
    member's value may itself be chunks of JSON text (see `_json_list`)."""
    inner = "\n" + " " * indent
    empty = True
    for key, value in items:
        yield ("{" if empty else ",") + inner + json.dumps(key) + ": "
        if isinstance(value, Iterator):
            yield from value
        else:
            yield json.dumps(value, indent=indent).replace("\n", inner)
        empty = False
    yield "{}\n" if empty else "\n}\n"


def _json_list(values: Iterable[object], indent: int, level: int) -> Iterator[str]:
    """`json.dumps(list(values), indent=indent)`'s exact text at nesting `level`, one value at a time."""
    inner, outer = "\n" + " " * indent * (level + 1), "\n" + " " * indent * level
    empty = True
    for value in values:
        yield ("[" if empty else ",") + inner + json.dumps(value, indent=indent).replace("\n", inner)
        empty = False
    yield "[]" if empty else outer + "]"
