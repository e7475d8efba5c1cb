"""Recall of the static call graph on the real chains of tests/trace/chains.py, and edge counts.

    python tests/benchmarks/trace_recall.py

Uses the index under NAV_CACHE_DIR (or the user cache); builds it first when empty.
"""
from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from navigator.session import query  # noqa: E402
from tags.callgraph import ensure_graph  # noqa: E402
from tests.trace.chains import CHAINS, MISSED, hop_found  # noqa: E402


def measure(index) -> None:
    ensure_graph(index)
    for title, chains in (("chains that must be found", CHAINS), ("known misses", MISSED)):
        hops = [(name, hop) for name, chain in chains.items() for hop in chain]
        found = [hop_found(index, hop) for _, hop in hops]
        whole = sum(all(hop_found(index, hop) for hop in chain) for chain in chains.values())
        print(f"{title}: {whole}/{len(chains)} chains, {sum(found)}/{len(hops)} calls found")
        for (name, hop), ok in zip(hops, found):
            if not ok:
                print(f"  missed: {hop[0]} -> {hop[1]}  ({name})")
    sites = sum(1 for _ in index.call_sites())
    resolved = next(index.rows("SELECT count(DISTINCT file_id || ':' || line || ':' || col) FROM edges"))[0]
    print(f"call sites: {sites}, with at least one edge: {resolved} ({resolved / sites:.0%})")
    for how, count in index.rows("SELECT how, count(*) FROM edges GROUP BY how ORDER BY how"):
        print(f"  {how} edges: {count}")


if __name__ == "__main__":
    query(measure)
