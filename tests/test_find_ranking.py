"""`find` reads fuzzy candidates narrowly and keeps only the best (for the TUI palette on big
indexes); its answers must stay exactly those of ranking every candidate in full."""
from __future__ import annotations

from pathlib import Path

import pytest

from navigator.queries import _hits, _like_escape, _matches_qualifier, _rank_key, find
from tags.store import Index

QUERIES = ["Normalize", "norm", "nrmlz", "lear", "Learner.fit", "fine_tune", "vision_learner", "conv",
           "create_body", "qzxv", "timm.models.resnet.ResNet", "drop_path", "fwd", "_add_norm", "encodes"]


def ranked_in_full(index: Index, query: str, limit: int) -> list[tuple]:
    """The reference: every tier read in full, everything sorted, the first `limit` kept."""
    qualifier, _, name = query.rpartition(".")
    lname = name.lower()
    fetch = limit * 4 if qualifier else limit + 1
    tiers = [("d.lname = ? AND d.name = ?", (lname, name)), ("d.lname = ? AND d.name != ?", (lname, name)),
             ("d.lname > ? AND d.lname < ?", (lname, lname + "\U0010ffff")),
             ("d.lname LIKE ? ESCAPE '\\' AND d.lname NOT LIKE ? ESCAPE '\\'",
              ("%" + "%".join(_like_escape(c) for c in lname) + "%", _like_escape(lname) + "%"))]
    found = []
    for tier, (where, params) in enumerate(tiers):
        if len(found) >= limit:
            break
        found += [h for h in _hits(index, where, params, tier, fetch if tier < 3 else 5000)
                  if _matches_qualifier(h, qualifier)]
    found.sort(key=lambda hit: _rank_key(hit, lname))
    return [tuple(hit) for hit in found[:limit]]


@pytest.mark.parametrize("limit", [5, 30])
def test_find_equals_ranking_every_candidate_in_full(installed: Path, limit: int) -> None:
    index = Index.open(str(installed))
    try:
        for query in QUERIES:
            got = [tuple(hit) for hit in find(index, query, limit=limit)]
            assert got == ranked_in_full(index, query, limit), query
            assert all(hit[6] > 0 and hit[7] > 0 for hit in got), query  # every hit read in full
    finally:
        index.close()
