"""The floor under `nav index`: read and tree-sitter-parse every `*.py` file of the given
directories on all cores, nothing else (no query, no extraction, no SQLite), as a whole process.

    python tests/benchmarks/parse_floor.py DIR [DIR ...]

bench_index.py runs it in the same rounds as `nav index` and reports the ratio.
"""
from __future__ import annotations

import multiprocessing
import os
import sys


def _parse(paths: list[str]) -> int:
    import tree_sitter_python
    from tree_sitter import Language, Parser

    parser = Parser(Language(tree_sitter_python.language()))
    nodes = 0
    for path in paths:
        with open(path, "rb") as handle:
            nodes += parser.parse(handle.read()).root_node.end_byte > 0
    return nodes


def main(directories: list[str]) -> None:
    files = [os.path.join(d, name) for top in directories for d, _, names in os.walk(top)
             for name in names if name.endswith(".py")]
    files.sort(key=lambda p: -os.path.getsize(p))  # largest first, small chunks: cores finish together
    workers = os.cpu_count() or 1
    size = max(1, min(16, len(files) // (workers * 8)))
    chunks = [files[i:i + size] for i in range(0, len(files), size)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        parsed = sum(pool.imap_unordered(_parse, chunks))
    print(f"parsed {parsed} of {len(files)} files", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
