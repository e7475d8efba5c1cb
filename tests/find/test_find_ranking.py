"""`find` reads fuzzy candidates narrowly and keeps only the best (for the TUI palette on big
indexes); its answers must stay exactly those of reading every candidate in full and sorting."""
from __future__ import annotations

from pathlib import Path

import pytest

from navigator import queries
from tags.store import Index

QUERIES = ["Normalize", "norm", "nrmlz", "lear", "Learner.fit", "fine_tune", "vision_learner", "conv",
           "create_body", "qzxv", "timm.models.resnet.ResNet", "drop_path", "fwd", "_add_norm", "encodes",
           "ResNet.__init__"]


def found_in_full(index: Index, query: str, limit: int, monkeypatch: pytest.MonkeyPatch) -> list[queries.Hit]:
    """The reference: the same tiers, fuzzy candidates read with every column, sorted in full."""
    with monkeypatch.context() as patch:
        patch.setattr(queries, "_candidates", lambda ix, where, params: queries.symbols_where(ix, where, params, 5000))
        patch.setattr(queries.heapq, "nsmallest", lambda n, items, key: sorted(items, key=key)[:n])
        return queries.find(index, query, limit=limit)


@pytest.mark.parametrize("limit", [5, 30])
def test_find_equals_ranking_every_candidate_in_full(installed: Path, limit: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    index = Index.open(str(installed))
    try:
        for query in QUERIES:
            got = queries.find(index, query, limit=limit)
            assert got == found_in_full(index, query, limit, monkeypatch), query
            assert all(isinstance(hit.symbol, queries.Symbol) for hit in got), query  # every hit read in full
        assert any(hit.tier == 3 for hit in queries.find(index, "nrmlz", limit=limit))  # fuzzy was exercised
    finally:
        index.close()
