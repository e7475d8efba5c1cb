"""Recall of the static resolver on real fastai and timm call chains (see tests/trace/chains.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tags.store import Index
from tests.helpers import line_of
from tests.trace.chains import CHAINS, MISSED, hop_found


@pytest.fixture(scope="module")
def index(installed_cache: Path) -> Iterator[Index]:
    """The shared index of the installed fastai and timm, opened in this process."""
    opened = Index.open(str(installed_cache))
    yield opened
    opened.close()


def test_the_set_is_large_and_varied() -> None:
    assert len(CHAINS) >= 15
    assert sum(len(hops) for hops in CHAINS.values()) >= 30


def test_every_chain_is_found(index: Index) -> None:
    missing = [(name, hop) for name, hops in CHAINS.items() for hop in hops if not hop_found(index, hop)]
    found = sum(len(h) for h in CHAINS.values()) - len(missing)
    print(f"\nrecall on {len(CHAINS)} chains: {found}/{found + len(missing)} hops")
    assert missing == []


def test_the_listed_misses_are_real_calls_the_resolver_still_misses(index: Index) -> None:
    """When one of these starts being found, move it to CHAINS."""
    for name, hops in MISSED.items():
        for hop in hops:
            from navigator.trace.static import resolve_one

            hit = resolve_one(index, hop[0])
            line_of(Path(hit.path), hop[2])  # the call really is in the source
            assert not hop_found(index, hop), f"{name} is found now: move it to CHAINS"
