"""The query layer: what the CLI and the TUI both ask of the index.

Ranking for `find`: exact name, then the same name in another case, then prefix, then fuzzy
(subsequence) matches; inside each tier public names before `_private` ones, real definitions
before aliases (`X = Y`), then classes, functions and models before methods and variables.
"""
from __future__ import annotations

import heapq
import os
from collections import namedtuple

from tags.errors import NavError
from tags.kinds import KINDS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tags.store import Index

KIND_ORDER = {kind: rank for rank, kind in enumerate(KINDS)}
TIER_NAMES = ("exact", "case", "prefix", "fuzzy")
_COLUMNS = (
    "d.id, d.name, d.qualname, d.kind, f.path, d.line, d.col, d.end_line, d.first_line, d.signature, "
    "d.doc, d.decorators, d.scope, d.flags, d.alias_of, f.module, f.root_id, d.notebook, d.cell"
)
_FROM = "FROM defs d JOIN files f ON f.id = d.file_id"


_HIT_FIELDS = (
    "id name qualname kind path line col end_line first_line signature doc decorators scope flags "
    "alias_of module root_id notebook cell tier"
)


class Hit(namedtuple("Hit", _HIT_FIELDS)):
    """One definition as queries return it; `tier` says how it matched (0 exact ... 3 fuzzy)."""

    __slots__ = ()

    @property
    def full_name(self) -> str:
        """`fastai.vision.learner._add_norm`, `fastai.callback.schedule.Learner.fine_tune`."""
        return self.qualname if self.kind == "module" else f"{self.module}.{self.qualname}"

    def describe(self) -> str:
        """`class Normalize(DisplayedTransform)`, `function _add_norm(dls, meta, pretrained)`."""
        name = self.qualname
        if self.kind == "variable":
            return f"variable {name}{self.signature}" + (f" = {self.alias_of}" if self.alias_of else "")
        return f"{self.kind} {name}{self.signature}"

    def origin(self) -> str:
        """`nbs/21_vision.learner.ipynb cell #ed1449cd` for nbdev-exported definitions, else ""."""
        if not self.notebook:
            return ""
        from tags.nbdev import cell_label

        return f"{self.notebook} {cell_label(self.cell)}" if self.cell else self.notebook

    def as_json(self) -> dict:
        data = {
            "name": self.name, "qualname": self.qualname, "full_name": self.full_name, "kind": self.kind,
            "module": self.module, "path": os.path.abspath(self.path), "line": self.line, "col": self.col,
            "end_line": self.end_line, "signature": self.signature, "doc": self.doc,
            "decorators": self.decorators.split("\n") if self.decorators else [],
            "scope": self.scope, "match": TIER_NAMES[self.tier],
        }
        if self.notebook:  # only for nbdev-exported modules
            data["notebook"] = self.notebook
        if self.cell:
            from tags.nbdev import CELL_ID, decode_cell

            kind, value = decode_cell(self.cell)
            data["cell"], data["cell_kind"] = (value if kind == CELL_ID else int(value)), kind
        return data


def hits_where(index: Index, where: str, params: tuple, tier: int, limit: int) -> list[Hit]:
    """Definitions matching an SQL condition over `d` (defs) and `f` (files), as `Hit`s."""
    sql = f"SELECT {_COLUMNS} {_FROM} WHERE {where} LIMIT {int(limit)}"
    return [Hit(*row, tier) for row in index.rows(sql, params)]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _rank_key(hit: Hit, query: str) -> tuple:
    return (
        hit.tier,
        hit.name.startswith("_"),
        bool(hit.alias_of),
        KIND_ORDER.get(hit.kind, 9),
        _fuzzy_spread(hit.name, query) if hit.tier == 3 else 0,
        len(hit.qualname),
        hit.root_id,
        hit.path,
        hit.line,
    )


def _fuzzy_spread(name: str, query: str) -> int:
    """For fuzzy hits: how spread out the matched letters are (tighter first)."""
    lowered, start, first = name.lower(), 0, -1
    for char in query:
        start = lowered.find(char, start) + 1
        first = start if first < 0 else first
    return start - first


def _matches_qualifier(hit: Hit, qualifier: str) -> bool:
    """`Learner` matches `Learner.fine_tune`; `fastai.vision.learner` matches its functions."""
    if not qualifier:
        return True
    owner = hit.full_name[: -len(hit.name) - 1] if hit.kind != "module" else hit.full_name.rpartition(".")[0]
    return owner == qualifier or owner.endswith("." + qualifier)


def find(index: Index, query: str, kind: str | None = None, limit: int = 30) -> list[Hit]:
    """Definitions matching `query` (a name, `Cls.meth` or a dotted path), best first."""
    query = query.strip()
    if not query:
        raise NavError("empty query")
    qualifier, _, name = query.rpartition(".")
    if not name:
        raise NavError(f"{query!r}: give a name after the dot")
    lname = name.lower()
    kind_sql, kind_params = (" AND d.kind = ?", (kind,)) if kind else ("", ())
    fetch = limit * 4 if qualifier else limit + 1
    tiers = [
        ("d.lname = ? AND d.name = ?", (lname, name)),
        ("d.lname = ? AND d.name != ?", (lname, name)),
        ("d.lname > ? AND d.lname < ?", (lname, lname + "\U0010ffff")),
        ("d.lname LIKE ? ESCAPE '\\' AND d.lname NOT LIKE ? ESCAPE '\\'",
         ("%" + "%".join(_like_escape(c) for c in lname) + "%", _like_escape(lname) + "%")),
    ]
    found: list[Hit] = []
    for tier, (where, params) in enumerate(tiers):
        if len(found) >= limit:
            break
        if tier < 3:
            # a qualified exact name (`ResNet.__init__`) must not lose its match among hundreds of `__init__`s
            tier_limit = 100_000 if qualifier and tier < 2 else fetch
            hits = hits_where(index, where + kind_sql, params + kind_params, tier, tier_limit)
        else:
            hits = _ranking_hits(index, where + kind_sql, params + kind_params)
        found += [h for h in hits if _matches_qualifier(h, qualifier)]
    return _completed(index, heapq.nsmallest(limit, found, key=lambda hit: _rank_key(hit, lname)))


_FUZZY_FETCH = 5000
_RANKING_COLUMNS = "d.id, d.name, d.qualname, d.kind, f.path, d.line, d.alias_of, f.module, f.root_id"


def _ranking_hits(index: Index, where: str, params: tuple) -> list[Hit]:
    """Fuzzy candidates with only what ranking needs (`col` 0 marks them partial).

    Fuzzy queries can match thousands of definitions on a big index (torch); reading their
    signatures and docstrings only to drop all but 30 made each palette keystroke slow.
    """
    sql = f"SELECT {_RANKING_COLUMNS} {_FROM} WHERE {where} LIMIT {_FUZZY_FETCH}"
    return [Hit(i, name, qual, kind, path, line, 0, 0, 0, "", "", "", "", "", alias, module, root, "", "", 3)
            for i, name, qual, kind, path, line, alias, module, root in index.rows(sql, params)]


def _completed(index: Index, hits: list[Hit]) -> list[Hit]:
    """`hits` with the partial ones (from `_ranking_hits`) read in full, order kept."""
    partial = [hit.id for hit in hits if hit.col == 0]
    if not partial:
        return hits
    marks = ",".join("?" * len(partial))
    full = {hit.id: hit for hit in hits_where(index, f"d.id IN ({marks})", tuple(partial), 3, len(partial))}
    return [full[hit.id] if hit.col == 0 else hit for hit in hits]


def did_you_mean(index: Index, query: str, count: int = 5) -> list[str]:
    """Close names for a query that found nothing."""
    import difflib

    name = query.rpartition(".")[2] or query
    if not name:
        return []
    rows = index.rows(
        "SELECT DISTINCT name FROM defs WHERE substr(lname, 1, 1) = ? AND length(name) BETWEEN ? AND ?",
        (name[0].lower(), max(1, len(name) - 3), len(name) + 3),
    )
    return difflib.get_close_matches(name, [r[0] for r in rows], n=count, cutoff=0.6)


def resolve(index: Index, symbol: str, kind: str | None = None) -> tuple[Hit, list[Hit]]:
    """The definition a symbol names, and the other exact candidates (for "did you mean one of")."""
    hits = [h for h in find(index, symbol, kind=kind, limit=50) if h.tier <= 1]
    if not hits:
        close = did_you_mean(index, symbol)
        hint = f"; did you mean: {', '.join(close)}" if close else ""
        raise NavError(f"no definition named {symbol!r}{hint}", exit_code=1)
    return hits[0], hits[1:]


def source_lines(hit: Hit) -> list[str]:
    """The definition's source lines, decorators included."""
    try:
        with open(hit.path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError as err:
        raise NavError(f"{hit.path}: cannot read ({err.strerror})") from err
    return lines[hit.first_line - 1: hit.end_line]
