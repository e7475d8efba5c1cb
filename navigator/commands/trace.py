"""`nav trace SYMBOL`, `nav trace A --to B`, `nav trace --live CODE`, `nav callers SYMBOL`."""
from __future__ import annotations

import argparse
import sys

from navigator.commands import count
from navigator.output import can_encode, output_file, use_colour, warn
from navigator.session import add_release_option, query
from navigator.trace.static import resolve_one
from tags.errors import NavError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from navigator.trace import render
    from tags.store import Index


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    live = command == "trace"
    parser.add_argument("symbol", nargs="?" if live else None,
                        help="a name, Cls.meth or dotted path" + (" (with --live: same as --under)" if live else ""))
    parser.add_argument("--depth", type=count, default=None, metavar="N",
                        help="levels of the tree (default 2; live: 3)")
    if live:
        parser.add_argument("--to", metavar="SYMBOL", help="print the call paths from SYMBOL to this one")
        parser.add_argument("--max-paths", type=count, default=5, metavar="N", help="with --to: at most N paths (default 5)")
        code = parser.add_mutually_exclusive_group()
        code.add_argument("--live", metavar="CODE", help="run this Python code and trace the calls it really makes")
        code.add_argument("--live-script", metavar="FILE", help="run this Python file and trace its calls")
        parser.add_argument("--under", metavar="SYMBOL", help="live: only the calls made under this definition")
        parser.add_argument("--compare", action="store_true",
                            help="live: list observed calls the static graph lacks, and static calls not taken")
    if command == "trace":
        parser.add_argument("--builtins", action="store_true",
                            help="also show calls of builtins and of code outside the index (len, torch.cat)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_release_option(parser)
    parser.add_argument("--format", choices=("text", "dot", "mermaid"), default="text", help="output format")
    parser.add_argument("-o", "--output", metavar="FILE", type=output_file,
                        help="write to FILE; .svg/.png/.pdf are rendered with Graphviz")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "live", None) is not None or getattr(args, "live_script", None):
        return _live(args)
    if args.depth is not None and args.depth < 0:
        raise NavError("--depth must be 0 or more")
    if not args.symbol:
        raise NavError("give a SYMBOL to trace, or --live CODE / --live-script FILE" if args.command == "trace"
                       else "give a SYMBOL whose callers to show")
    for option in ("under", "compare"):
        if getattr(args, option, None):
            raise NavError(f"--{option} needs --live or --live-script")
    if args.command == "trace" and args.to is not None:  # `--to ''` is an empty query, not "no --to"
        if args.max_paths < 1:
            raise NavError("--max-paths must be at least 1")
        return _paths(args)
    return _tree(args)


def _tree(args: argparse.Namespace) -> int:
    from navigator.trace import static as trace

    depth = 2 if args.depth is None else args.depth
    outward = args.command == "trace"

    def action(index: Index):
        symbol = resolve_one(index, args.symbol)
        if outward:
            return trace.callees(index, symbol, depth, builtins=getattr(args, "builtins", False))
        return trace.callers(index, symbol, depth)

    root = query(action, release=args.release)
    emit_tree(args, root, outward)
    if not root.children and depth > 0:  # depth 0 asks for the definition alone, not for its calls
        warn(f"no {'calls from' if outward else 'callers of'} {root.qualname} in the indexed sources")
    return 0


def emit_tree(args: argparse.Namespace, root, outward: bool = True) -> None:
    """Print or write a tree in the chosen format (shared by the static and live traces)."""
    from navigator.trace import render

    glyphs = render.TREE_LINES if args.output or can_encode("".join(render.TREE_LINES)) else render.ASCII_TREE_LINES
    _output(args, render.tree_graph(root, outward),
            lambda: render.tree_text(root, colour=use_colour() and not args.output, glyphs=glyphs), lambda: render.tree_json(root))


def _output(args: argparse.Namespace, graph: render.Graph, text: Callable[[], str], json_text: Callable[[], str]) -> None:
    """Render only the format asked for (`--json` before `--format`) and print or write it."""
    from navigator.trace import render

    formats = {"text": text, "dot": lambda: render.to_dot(graph), "mermaid": lambda: render.to_mermaid(graph)}
    chosen = (lambda: json_text() + "\n") if args.json else formats[args.format]
    _emit(render.write_output(chosen, graph, args.output))


def _paths(args: argparse.Namespace) -> int:
    from navigator.trace import render
    from navigator.trace import static as trace

    def action(index: Index):
        source, targets = resolve_one(index, args.symbol), trace.resolve_all(index, args.to)
        return source, targets, trace.call_paths_to_any(index, source, targets, args.max_paths)

    source, targets, paths = query(action, release=args.release)
    _output(args, render.paths_graph(paths), lambda: render.paths_text(paths, colour=use_colour() and not args.output),
            lambda: render.paths_json(paths))
    if not paths:
        names = ", ".join(t.full_name for t in targets[:5]) + (f" (and {len(targets) - 5} more)" if len(targets) > 5 else "")
        warn(f"no call path from {source.full_name} to {names} in the static call graph")
        return 1
    return 0


def _emit(text: str | None) -> None:
    if text is not None:
        sys.stdout.write(text)


def _live(args: argparse.Namespace) -> int:
    """`nav trace --live CODE` / `--live-script FILE` [--under SYMBOL] [--depth N] [--compare]."""
    import json
    import os

    from navigator.trace.live import LIVE_CODE, compare, compare_text, live_tree, match_definitions, run_code

    if args.to:
        raise NavError("--to works on the static graph; it cannot be combined with --live")
    if args.release:
        raise NavError("--release reads an unpacked release, which is never run; it cannot be combined with --live")
    if args.live_script is not None and not os.path.isfile(args.live_script):
        raise NavError(f"--live-script {args.live_script}: no such file")
    under = args.under or args.symbol
    depth = 3 if args.depth is None else args.depth
    start = query(lambda index: resolve_one(index, under)) if under else None
    roots = query(lambda index: [root.path for root in index.roots()])
    what = args.live_script or "the code"
    warn(f"running {what} under a tracer (its output follows on stderr)...")
    trace = run_code(args.live, args.live_script, roots)

    def build(index: Index):
        match_definitions(index, trace)
        root = LIVE_CODE
        if start is not None:
            root = next((function for function, symbol in trace.symbols.items() if symbol.id == start.id), None)
            if root is None:
                return None, None
        tree = live_tree(trace, root, depth)
        return tree, (compare(index, trace, tree) if args.compare else None)

    tree, compared = query(build)
    if tree is None:
        warn(f"{start.full_name} was not called by the traced code")
    else:
        if args.compare and args.json:
            print(json.dumps({"tree": tree.as_json(), "compare": compared}, indent=1))
        else:
            emit_tree(args, tree)
            if compared is not None:
                sys.stdout.write(compare_text(compared))
    if trace.error:
        print(f"nav: the traced code raised; the trace above stops there:\n{trace.error.rstrip()}", file=sys.stderr)
        return 1
    return 0 if tree is not None else 1
