"""The language server on hostile buffers: answers come, and in time proportional to the text."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, run_nav

HANG_GUARD = 120  # seconds; the requests take well under one. On 16,000 levels main took 14 s to 55 s

_DEFINITION = """
import sys
from navigator.lsp.resolve import Resolver
from navigator.lsp.source import Source
from tags.names import Names
from tags.store import Index

opening, closing = sys.argv[1], sys.argv[2]
depth = 40_000
text = "from m import alpha\\nx = " + opening * depth + "alpha" + closing * depth + "\\n"
index = Index.open()
resolver = Resolver(index, Names(index), lambda path: None)
source = Source(sys.argv[3], text, "__main__", False)
[value] = resolver.definition(source, 1, text.splitlines()[1].index("alpha") + 1)
hit = resolver.hit(value)
print(hit.path, hit.line, hit.qualname)
"""


@pytest.mark.parametrize(("opening", "closing"), [("f(", ")"), ("[", "]"), ("lambda: (", ")")])
def test_definition_inside_brackets_nested_forty_thousand_deep(tmp_path: Path, opening: str, closing: str) -> None:
    """Each step up from the cursor asked tree-sitter for a parent, which it finds by walking down
    from the root: three such climbs per request made it quadratic in the nesting (14 s at 16,000
    levels of parentheses, about 10 minutes at 40,000)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "m.py").write_text("def alpha():\n    return 1\n")
    cache = tmp_path / "cache"
    run_nav("index", str(src), cache=cache, check=True)
    done = subprocess.run([sys.executable, "-c", _DEFINITION, opening, closing, str(tmp_path / "buffer.py")],
                          capture_output=True, text=True, cwd=REPO, check=False, timeout=HANG_GUARD,
                          env={**os.environ, "PYTHONPATH": str(REPO), "NAV_CACHE_DIR": str(cache)})
    assert done.returncode == 0, done.stderr[-800:]
    assert done.stdout == f"{src / 'm.py'} 1 alpha\n"
