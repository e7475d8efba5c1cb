"""`nav trace SYMBOL`, `nav trace A --to B`, `nav trace --live CODE`, `nav callers SYMBOL`."""
from __future__ import annotations

import argparse
import sys

from navigator.output import use_colour, warn
from navigator.session import query
from navigator.trace import resolve_one
from tags.errors import NavError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tags.store import Index


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    live = command == "trace"
    parser.add_argument("symbol", nargs="?" if live else None,
                        help="a name, Cls.meth or dotted path" + (" (with --live: same as --under)" if live else ""))
    parser.add_argument("--depth", type=int, default=None, metavar="N",
                        help="levels of the tree (default 2; live: 3)")
    if live:
        parser.add_argument("--to", metavar="SYMBOL", help="print the call paths from SYMBOL to this one")
        parser.add_argument("--max-paths", type=int, default=5, metavar="N", help="with --to: at most N paths (default 5)")
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
    parser.add_argument("--format", choices=("text", "dot", "mermaid"), default="text", help="output format")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write to FILE; .svg/.png/.pdf are rendered with Graphviz")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "live", None) is not None or getattr(args, "live_script", None):
        from navigator.live_trace import run_live_command

        return run_live_command(args)
    if not args.symbol:
        raise NavError("give a SYMBOL to trace, or --live CODE / --live-script FILE")
    for option in ("under", "compare"):
        if getattr(args, option, None):
            raise NavError(f"--{option} needs --live or --live-script")
    if args.command == "trace" and args.to:
        return _paths(args)
    return _tree(args)


def _tree(args: argparse.Namespace) -> int:
    from navigator import trace

    depth = 2 if args.depth is None else args.depth
    outward = args.command == "trace"

    def action(index: Index):
        hit = resolve_one(index, args.symbol)
        if outward:
            return trace.callees(index, hit, depth, builtins=getattr(args, "builtins", False))
        return trace.callers(index, hit, depth)

    root = query(action)
    emit_tree(args, root, outward)
    if not root.children:
        warn(f"no {'calls from' if outward else 'callers of'} {root.qualname} in the indexed sources")
    return 0


def emit_tree(args: argparse.Namespace, root, outward: bool = True) -> None:
    """Print or write a tree in the chosen format (shared by the static and live traces)."""
    from navigator import graph_render as render

    graph = render.tree_graph(root, outward)
    texts = {"text": render.tree_text(root, colour=use_colour() and not args.output),
             "dot": render.to_dot(graph), "mermaid": render.to_mermaid(graph)}
    if args.json:
        texts = {fmt: render.tree_json(root) + "\n" for fmt in texts}
    _emit(render.write_output(texts, graph, args.format, args.output))


def _paths(args: argparse.Namespace) -> int:
    from navigator import graph_render as render
    from navigator import trace

    def action(index: Index):
        source, targets = resolve_one(index, args.symbol), trace.resolve_all(index, args.to)
        return source, targets, trace.call_paths_to_any(index, source, targets, args.max_paths)

    source, targets, paths = query(action)
    graph = render.paths_graph(paths)
    texts = {"text": render.paths_text(paths, colour=use_colour() and not args.output),
             "dot": render.to_dot(graph), "mermaid": render.to_mermaid(graph)}
    if args.json:
        texts = {fmt: render.paths_json(paths) + "\n" for fmt in texts}
    _emit(render.write_output(texts, graph, args.format, args.output))
    if not paths:
        names = ", ".join(t.full_name for t in targets[:5]) + (f" (and {len(targets) - 5} more)" if len(targets) > 5 else "")
        warn(f"no call path from {source.full_name} to {names} in the static call graph")
        return 1
    return 0


def _emit(text: str | None) -> None:
    if text is not None:
        sys.stdout.write(text)
