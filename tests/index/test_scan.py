"""The token scan that finds definitions, calls and imports agrees with the tree-sitter query
it replaces (`query_captures`, still used for trees with syntax errors), node for node."""
from __future__ import annotations

from pathlib import Path

import pytest
from tree_sitter import Node, Parser, Tree

import tags.extract as ex

TRICKY = b'''"""Doc (with parens) and class, def, lambda, import, type as words."""
from __future__ import annotations
from . import (a, b)
import os.path as p, sys  # import (x) in a comment
type Point = tuple[float, float]
type = type(1)
f = lambda x: x
g = h = lambda: (lambda y: y)
a, k = 1, lambda: 0
(m, n) = (lambda: 1, lambda: 2)
q, r = (lambda: 3), 4
s: Callable = lambda: 5
t = [lambda: 6]
u, v = w, z = 7, lambda: 8
class Plain: pass
class Based(Base, metaclass=Meta):
    type X = int
    def method(self, x=(1, 2), *a, **k) -> None:
        import json
        from .x import (y)
        class Inner: ...
        def inner(): return lambda: len((x for x in a))
        return (x for x in a)(1)(2)
@decorator(arg)
async def coroutine(): await other()(more)[0](last)
obj.method(1).chain(2)
f'{call(1)} and {(lambda: 0)()}'
print((1, 2), [x(y) for x in z if w(x)], {k: v(k) for k in d}, *starred(z))
match command.split():
    case Point(x=0): default(0)
    case _: fallback()
def annotated(a: dict[str, int] = dict(), *, b: int = int("3")) -> list[str]: ...
'''


def _key(captures: ex.Captures) -> dict[str, list[tuple[int, int, int]]]:
    """The captures by name, order aside (extraction sorts), and only the tuple assignments
    that bind a lambda (the query's `@lambda_tuple` takes them all; extraction keeps those)."""
    def wanted(name: str, node: Node) -> bool:
        return name != "lambda_tuple" or any(value.type == "lambda" for _, value in ex._tuple_pairs(node))

    found = {name: sorted((n.start_byte, n.end_byte, n.kind_id) for n in nodes if wanted(name, n))
             for name, nodes in captures.items()}
    return {name: nodes for name, nodes in found.items() if nodes}


def _scanned_and_queried(tree: Tree, source: bytes) -> tuple[dict, dict]:
    """What the scan and the query find, the same way: the callees by range and position."""
    scanned, queried = ex.scan_captures(tree, source), ex._query_found(tree.root_node)
    return ({**_key(scanned.captures), "call": sorted(scanned.callees)},
            {**_key(queried.captures), "call": sorted(queried.callees)})


def _no_captures() -> ex.Captures:
    return {name: [] for name in ("class", "function", "lambda", "lambda_tuple", "type_alias", "import")}


def _agree(source: bytes) -> dict:
    tree = Parser(ex._LANGUAGE).parse(source)
    assert not tree.root_node.has_error
    scanned, queried = _scanned_and_queried(tree, source)
    assert scanned == queried
    return {name: nodes for name, nodes in scanned.items() if nodes}


def test_scan_agrees_with_query_on_tricky_source() -> None:
    found = _agree(TRICKY)
    assert len(found["class"]) == 3 and len(found["type_alias"]) == 2 and len(found["lambda_tuple"]) == 3
    assert len(found["function"]) == 4 and len(found["lambda"]) == 3 and len(found["import"]) == 4  # not `from __future__`
    assert len(found["call"]) >= 20


def test_scan_keeps_the_query_depth_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_QUERY_DEPTH the query starts no match; the scan skips the same nodes."""
    source = b"def f(x):\n    class C:\n        g = lambda: h(i(j(k(1))))\n        a, b = 1, lambda: 2\n" \
             b"        import os\n        def m(self): return n(o(p()))\n    return q(r(s(t())))\n"
    counts = []
    for depth in range(16):
        monkeypatch.setattr(ex, "MAX_QUERY_DEPTH", depth)
        counts.append(sum(map(len, _agree(source).values())))
    assert counts[0] == 0 and counts[-1] == 17
    assert len(set(counts)) > 8  # the limit cuts through every kind of node on the way


def test_each_paren_goes_to_a_small_subtree_or_to_the_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """A `(` is looked up from a small, shallow subtree holding it, a bounded number of times
    per subtree; the others go to the depth-counting cursor; together they agree with the query."""
    monkeypatch.setattr(ex, "MAX_QUERY_DEPTH", 40)
    monkeypatch.setattr(ex, "_ANCHOR_NODES", 20)
    monkeypatch.setattr(ex, "_ANCHOR_DEPTH", 4)
    monkeypatch.setattr(ex, "_ANCHOR_LOOKUPS", 2)
    nested = "f(" * 30 + "x" + ")" * 30
    source = f"def small(a):\n    return g(a)\n\nh(h(h(1)))\ndeep = {nested}\n".encode()
    tree = Parser(ex._LANGUAGE).parse(source)
    callees: list[ex.CalleeKey] = []
    deep, _ = ex._shallow_lookups(tree, source, _no_captures(), callees)
    assert [source[key >> 32:(key >> 32) + (key & 0xFFFFFFFF)] for key, _, _ in callees] == [b"g", b"h", b"h"]
    assert len(deep) == 31 and min(deep) == source.index(b"h(1)") + 1  # the third h( is past the subtree's lookups
    found = _agree(source)
    assert 4 < len(found["call"]) < 34  # the limit cuts the nest, the small statements' calls stay


def test_keywords_go_to_a_small_subtree_or_to_the_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """A statement's keyword is looked up from a small subtree holding the statement; a statement
    too large to be one (its keyword is the subtree) and a lambda go to the cursor."""
    monkeypatch.setattr(ex, "MAX_QUERY_DEPTH", 40)
    monkeypatch.setattr(ex, "_ANCHOR_NODES", 30)
    monkeypatch.setattr(ex, "_ANCHOR_DEPTH", 4)
    methods = "".join(f"    def m{i}(self): return {i}\n" for i in range(8))
    source = (f"import os\nclass Small: pass\nclass Big:\n{methods}    import json\n    type T = int\n"
              "    class Inner: pass\n    f = lambda: 0\n").encode()
    tree = Parser(ex._LANGUAGE).parse(source)
    found = _no_captures()
    _, deep_keywords = ex._shallow_lookups(tree, source, found, [])
    assert deep_keywords == [source.index(b"class Big"), source.index(b"lambda")]
    assert [n.text.split()[1] for n in found["class"]] == [b"Small:", b"Inner:"]
    assert len(found["import"]) == 2 and len(found["type_alias"]) == 1
    assert len(_agree(source)["class"]) == 3


def test_callees_end_before_space_comments_and_continuations() -> None:
    """The callee ends at its last token, not at the `(`, when something comes between."""
    source = b"f (1)\ng\\\n(2)\nx = (h  # why\n     (3))\nobj.m\t(4)\ndef r() ->(int): pass\n"
    tree = Parser(ex._LANGUAGE).parse(source)
    found = ex.scan_captures(tree, source)
    assert [source[key >> 32:(key >> 32) + (key & 0xFFFFFFFF)] for key, _, _ in sorted(found.callees)] == [
        b"f", b"g", b"h", b"obj.m"]
    assert _agree(source)["function"]


def test_scan_agrees_with_query_on_an_installed_package() -> None:
    import fastcore

    files = sorted(Path(fastcore.__file__).parent.rglob("*.py"))
    assert files
    for path in files:
        source = ex._for_tree_sitter(path.read_bytes())
        tree = Parser(ex._LANGUAGE).parse(source)
        if not tree.root_node.has_error:
            scanned, queried = _scanned_and_queried(tree, source)
            assert scanned == queried, path


def test_trees_with_errors_are_searched_by_the_query() -> None:
    """Error recovery can leave a definition where no keyword leads to it: the query finds it."""
    definitions, _, _, _, error = ex.extract(b"x = (\ndef after(a): pass\nclass K:\n    def m(self): pass\n", "m")
    assert error
    assert {d.qualname for d in definitions} >= {"K", "K.m"}
