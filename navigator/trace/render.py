"""Turning trace results into text trees, JSON, Graphviz DOT, Mermaid, and SVG/PNG images.

Works on the dataclasses of `navigator.trace` (static) and `navigator.trace.live` (observed).
"""
from __future__ import annotations

import os

from navigator.output import display_path, paint, printable
from tags.errors import NavError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from navigator.trace.static import PathStep, TraceNode

INSTALL_DOT = "install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` or `conda install graphviz`"
Graph = tuple  # (nodes: {key: label}, edges: [(from key, to key, label)])


# -- text ----------------------------------------------------------------------------------------
def _where(path: str | None, line: int | None) -> str:
    return f"{display_path(path)}:{line}" if path and line else ""


TREE_LINES = ("├─ ", "└─ ", "│  ")  # a child, the last child, the line down past a child
ASCII_TREE_LINES = ("|- ", "`- ", "|  ")  # for a terminal that cannot write the others


def tree_text(root: TraceNode, colour: bool = False, glyphs: tuple[str, str, str] = TREE_LINES) -> str:
    """The root with its definition, then one line per call: `qualname  path:line` of the call site."""
    child_line, last_line, down = glyphs
    lines = [f"{paint(printable(root.qualname), 'name', colour)}  {paint(_where(root.path, root.line), 'path', colour)}".rstrip()]

    def walk(node: TraceNode, prefix: str) -> None:
        for position, child in enumerate(node.children):
            last = position == len(node.children) - 1
            notes = [child.how or ""]
            if child.count > 1:
                notes.append(f"x{child.count}")
            if child.repeated and child.children == []:
                notes.append("(expanded elsewhere)")
            note = paint(" ".join(n for n in notes if n), "dim", colour)
            raw = _where(child.call_path, child.call_line)
            where = paint(raw, "path", colour) if raw else ""
            name = printable(child.qualname)
            parts = [name, where, note] if where else [name, note]
            lines.append(f"{prefix}{last_line if last else child_line}{'  '.join(parts)}".rstrip())
            walk(child, prefix + ("   " if last else down))

    walk(root, "")
    return "\n".join(lines) + "\n"


def paths_text(paths: list[list[PathStep]], colour: bool = False) -> str:
    """Each path as numbered steps: `qualname  path:line` of the call leading on (the definition at the end)."""
    out = []
    for number, steps in enumerate(paths, 1):
        reached = f" to {printable(steps[-1].module)}.{printable(steps[-1].qualname)}" if steps else ""
        out.append(paint(f"path {number}: {len(steps) - 1} call(s){reached}", "kind", colour))
        for position, step in enumerate(steps):
            last = position == len(steps) - 1
            where = _where(step.path, step.line if last else step.call_line)
            arrow = "   " if position == 0 else "-> "
            how = f"  [{step.how}]" if step.how else ""
            what = "  (definition)" if last else ""
            out.append(f"  {arrow}{paint(printable(step.qualname), 'name', colour)}  {paint(where, 'path', colour)}{what}{how}")
    return "\n".join(out) + "\n"


# -- JSON ----------------------------------------------------------------------------------------
def paths_json(paths: list[list[PathStep]]) -> str:
    import json  # here, like every use below: a plain-text trace never needs it

    return json.dumps({"paths": [[step.as_json() for step in steps] for steps in paths]}, indent=1)


def tree_json(root: TraceNode) -> str:
    import json

    return json.dumps(root.as_json(), indent=1)


# -- graphs --------------------------------------------------------------------------------------
def _key(qualname: str, module: str) -> str:
    return f"{module}.{qualname}"


def tree_graph(root: TraceNode, outward: bool = True) -> Graph:
    """Nodes and edges of a tree; for a caller tree the arrows still point from caller to callee."""
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []

    def walk(node: TraceNode) -> None:
        nodes[_key(node.qualname, node.module)] = node.qualname
        for child in node.children:
            label = f"{os.path.basename(child.call_path or '')}:{child.call_line}" + (
                f" x{child.count}" if child.count > 1 else "")
            a, b = _key(node.qualname, node.module), _key(child.qualname, child.module)
            edges.append((a, b, label) if outward else (b, a, label))
            walk(child)

    walk(root)
    return nodes, list(dict.fromkeys(edges))


def paths_graph(paths: list[list[PathStep]]) -> Graph:
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []
    for steps in paths:
        for step, following in zip(steps, steps[1:] + [None]):
            nodes[_key(step.qualname, step.module)] = step.qualname
            if following is not None:
                label = f"{os.path.basename(step.path)}:{step.call_line}"
                edges.append((_key(step.qualname, step.module), _key(following.qualname, following.module), label))
    return nodes, list(dict.fromkeys(edges))


def dot_string(text: str) -> str:
    """`text` as a quoted DOT string. Not JSON's quoting: DOT has no `\\u00e9` escapes, and Graphviz
    printed `caf\\u00e9` for `café`; a DOT file is UTF-8, so only `\\`, `"` and newlines are escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: Graph) -> str:
    nodes, edges = graph
    ids = {key: f"n{i}" for i, key in enumerate(nodes)}
    lines = ["digraph calls {", "  rankdir=LR;", '  node [shape=box, fontname="monospace"];']
    lines += [f"  {ids[key]} [label={dot_string(label)}, tooltip={dot_string(key)}];" for key, label in nodes.items()]
    lines += [f"  {ids[a]} -> {ids[b]} [label={dot_string(label)}];" for a, b, label in edges]
    return "\n".join(lines + ["}"]) + "\n"


def to_mermaid(graph: Graph) -> str:
    nodes, edges = graph
    ids = {key: f"n{i}" for i, key in enumerate(nodes)}
    lines = ["flowchart LR"]
    lines += [f'  {ids[key]}["{label.replace(chr(34), "#quot;")}"]' for key, label in nodes.items()]
    lines += [f'  {ids[a]} -->|"{label.replace(chr(34), "#quot;")}"| {ids[b]}' for a, b, label in edges]
    return "\n".join(lines) + "\n"


def write_output(chosen: Callable[[], str], graph: Graph, output: str | None) -> str | None:
    """Write `-o FILE`: .svg/.png/.pdf through Graphviz, anything else as the chosen format's text.

    Returns what to print on stdout instead (when there is no output file). `chosen` renders the
    text only when it is needed.
    """
    if output is None:
        return chosen()
    extension = os.path.splitext(output)[1].lower().lstrip(".")
    if extension in ("svg", "png", "pdf"):
        render_image(to_dot(graph), output, extension)
    else:
        _write(output, chosen().encode())
    return None


def render_image(dot_text: str, output: str, extension: str) -> None:
    """`dot -T<ext>`; a clear message with the install command when Graphviz is missing."""
    import shutil
    import subprocess

    dot = shutil.which("dot")
    if dot is None:
        raise NavError(f"cannot write {output}: Graphviz `dot` is not installed; {INSTALL_DOT}")
    done = subprocess.run([dot, f"-T{extension}"], input=dot_text.encode(), capture_output=True)
    if done.returncode != 0:
        raise NavError(f"dot failed: {done.stderr.decode(errors='replace').strip()[:300]}")
    _write(output, done.stdout)


def _write(output: str, data: bytes) -> None:
    from tags.atomic import write_atomic

    directory = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(directory):
        raise NavError(f"cannot write {output}: no directory {directory}")
    try:
        write_atomic(os.path.abspath(output), data)
    except OSError as err:
        raise NavError(f"cannot write {output}: {err.strerror}") from err
