"""The query layer: what the CLI and the TUI both ask of the index.

Ranking for `find`: exact name, then the same name in another case, then prefix, then fuzzy
(subsequence) matches; inside each tier public names before `_private` ones, real definitions
before aliases (`X = Y`), then classes, functions and models before methods and variables.
"""
from __future__ import annotations

import heapq
import os
from collections import namedtuple

from tags.errors import NavError, quoted
from tags.kinds import DEFINITION_KINDS
from tags.sources import python_name, read_source_text, text_lines

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tags.store import Index, StoredRoot


def full_name(module: str, qualname: str, kind: str) -> str:
    """`fastai.vision.learner._add_norm`, `fastai.callback.schedule.Learner.fine_tune`; a module's own name."""
    return qualname if kind == "module" else f"{module}.{qualname}"


KIND_ORDER = {kind: rank for rank, kind in enumerate(DEFINITION_KINDS)}
TIER_NAMES = ("exact", "case", "prefix", "fuzzy")
_COLUMNS = (
    "d.id, d.name, d.qualname, d.kind, f.path, d.line, d.col, d.end_line, d.first_line, d.signature, "
    "d.doc, d.decorators, d.scope, d.flags, d.alias_of, f.module, f.root_id, d.notebook, d.cell"
)
_FROM = "FROM defs d JOIN files f ON f.id = d.file_id"


_SYMBOL_FIELDS = ("id name qualname kind path line col end_line first_line signature doc decorators scope flags "
                  "alias_of module root_id notebook cell")


class Symbol(namedtuple("Symbol", _SYMBOL_FIELDS)):
    """One definition read from the index: the record that find, show, trace, the outline, the
    TUI and the walkthrough steps all use (as jedi has one result type for every query)."""

    __slots__ = ()
    id: int
    name: str
    qualname: str  # within the module: `Learner.fine_tune`
    kind: str  # one of tags.kinds.DEFINITION_KINDS
    path: str
    line: int  # of the `def`/`class` keyword or the assignment
    col: int
    end_line: int
    first_line: int  # where the source starts, decorators included
    signature: str
    doc: str  # first docstring line
    decorators: tuple[str, ...]
    scope: str  # the class a method belongs to (also for `@patch`)
    flags: tuple[str, ...]
    alias_of: str  # for `X = Y`: the text of Y
    module: str
    root_id: int
    notebook: str  # nbdev-exported modules: `nbs/21_vision.learner.ipynb`; else ""
    cell: str  # the cell there, as tags.nbdev.encode_cell writes it

    @classmethod
    def from_row(cls, row: tuple) -> Symbol:
        """A row of `_COLUMNS`, with the joined text columns split back into tuples."""
        (def_id, name, qualname, kind, path, line, col, end_line, first_line, signature, doc,
         decorators, scope, flags, alias_of, module, root_id, notebook, cell) = row
        return cls(def_id, name, qualname, kind, path, line, col, end_line, first_line, signature, doc,
                   tuple(decorators.split("\n")) if decorators else (), scope,
                   tuple(flags.split(",")) if flags else (), alias_of, module, root_id, notebook, cell)

    @property
    def full_name(self) -> str:
        return full_name(self.module, self.qualname, self.kind)

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
            "decorators": list(self.decorators), "scope": self.scope,
        }
        if self.notebook:  # only for nbdev-exported modules
            data["notebook"] = self.notebook
        if self.cell:
            from tags.nbdev import CELL_ID, decode_cell

            kind, value = decode_cell(self.cell)
            data["cell"], data["cell_kind"] = (value if kind == CELL_ID else int(value)), kind
        return data


class Hit(namedtuple("Hit", "symbol tier")):
    """A definition a search found, and how: `tier` 0 exact, 1 other case, 2 prefix, 3 fuzzy."""

    __slots__ = ()
    symbol: Symbol
    tier: int

    def as_json(self) -> dict:
        return {**self.symbol.as_json(), "match": TIER_NAMES[self.tier]}


class _Candidate(namedtuple("_Candidate", "id name qualname kind path line alias_of module root_id")):
    """What ranking needs of a fuzzy match; only the few kept are then read as full `Symbol`s."""

    __slots__ = ()
    id: int
    name: str
    qualname: str
    kind: str
    path: str
    line: int
    alias_of: str
    module: str
    root_id: int

    @property
    def full_name(self) -> str:
        return full_name(self.module, self.qualname, self.kind)


def symbols_where(index: Index, where: str, params: tuple, limit: int) -> list[Symbol]:
    """Definitions matching an SQL condition over `d` (defs) and `f` (files)."""
    sql = f"SELECT {_COLUMNS} {_FROM} WHERE {where} LIMIT {int(limit)}"
    return [Symbol.from_row(row) for row in index.rows(sql, params)]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _rank_key(found: tuple[Symbol | _Candidate, int], query: str) -> tuple:
    symbol, tier = found
    return (
        tier,
        symbol.name.startswith("_"),
        bool(symbol.alias_of),
        KIND_ORDER.get(symbol.kind, 9),
        _fuzzy_spread(symbol.name, query) if tier == 3 else 0,
        len(symbol.qualname),
        symbol.root_id,
        symbol.path,
        symbol.line,
    )


def _fuzzy_spread(name: str, query: str) -> int:
    """For fuzzy hits: how spread out the matched letters are (tighter first)."""
    lowered, start, first = name.lower(), 0, -1
    for char in query:
        start = lowered.find(char, start) + 1
        first = start if first < 0 else first
    return start - first


def _matches_qualifier(symbol: Symbol | _Candidate, qualifier: str) -> bool:
    """`Learner` matches `Learner.fine_tune`; `fastai.vision.learner` matches its functions."""
    if not qualifier:
        return True
    full_name = symbol.full_name
    owner = full_name[: -len(symbol.name) - 1] if symbol.kind != "module" else full_name.rpartition(".")[0]
    return owner == qualifier or owner.endswith("." + qualifier)


def find(index: Index, query: str, kind: str | None = None, limit: int = 30) -> list[Hit]:
    """Definitions matching `query` (a name, `Cls.meth` or a dotted path), best first."""
    query = python_name(query.strip())
    if not query:
        raise NavError("empty query")
    qualifier, _, name = query.rpartition(".")
    if not name:
        raise NavError(f"{quoted(query)}: give a name after the dot")
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
    found: list[tuple[Symbol | _Candidate, int]] = []
    for tier, (where, params) in enumerate(tiers):
        if len(found) >= limit or (tier == 3 and len(lname) > _FUZZY_LONGEST):
            break
        if tier < 3:
            # a qualified exact name (`ResNet.__init__`) must not lose its match among hundreds of `__init__`s
            tier_limit = 100_000 if qualifier and tier < 2 else fetch
            matches: list[Symbol | _Candidate] = symbols_where(index, where + kind_sql, params + kind_params, tier_limit)
        else:
            matches = _candidates(index, where + kind_sql, params + kind_params)
        found += [(match, tier) for match in matches if _matches_qualifier(match, qualifier)]
    return _completed(index, heapq.nsmallest(limit, found, key=lambda item: _rank_key(item, lname)))


_FUZZY_FETCH = 5000
_FUZZY_LONGEST = 200  # longer queries are pasted text, not typed: and SQLite refuses LIKE patterns over 50,000 bytes
_CANDIDATE_COLUMNS = "d.id, d.name, d.qualname, d.kind, f.path, d.line, d.alias_of, f.module, f.root_id"


def _candidates(index: Index, where: str, params: tuple) -> list[_Candidate]:
    """Fuzzy matches with only what ranking needs.

    Fuzzy queries can match thousands of definitions on a big index (torch); reading their
    signatures and docstrings only to drop all but 30 made each palette keystroke slow.
    """
    sql = f"SELECT {_CANDIDATE_COLUMNS} {_FROM} WHERE {where} LIMIT {_FUZZY_FETCH}"
    return [_Candidate(*row) for row in index.rows(sql, params)]


def _completed(index: Index, ranked: list[tuple[Symbol | _Candidate, int]]) -> list[Hit]:
    """The ranked matches as `Hit`s, candidates read in full, order kept."""
    wanted = [match.id for match, _ in ranked if isinstance(match, _Candidate)]
    full = symbols_by_id(index, wanted)
    return [Hit(full[match.id] if isinstance(match, _Candidate) else match, tier) for match, tier in ranked]


def symbols_by_id(index: Index, ids: list[int]) -> dict[int, Symbol]:
    """The definitions with these ids (read in chunks: SQLite limits the parameters of a query)."""
    found: dict[int, Symbol] = {}
    for start in range(0, len(ids), 500):
        chunk = tuple(ids[start:start + 500])
        marks = ",".join("?" * len(chunk))
        found.update((s.id, s) for s in symbols_where(index, f"d.id IN ({marks})", chunk, len(chunk)))
    return found


def symbol_by_id(index: Index, def_id: int) -> Symbol | None:
    return symbols_by_id(index, [def_id]).get(def_id)


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


def exact_hits(index: Index, symbol: str, kind: str | None = None) -> list[Hit]:
    """The definitions `symbol` names exactly (any case), best first; none is an error.

    `PATH:LINE` (as `nav find` and the "ambiguous" lists print a definition) names the innermost
    definition holding that line: the one way to tell apart two roots with the same modules
    (a fastai checkout indexed beside the installed fastai)."""
    located = _at_location(index, symbol)
    if located is not None:
        return [Hit(located, 0)]
    hits = [h for h in find(index, symbol, kind=kind, limit=50) if h.tier <= 1]
    if not hits:
        close = did_you_mean(index, symbol)
        hint = f"; did you mean: {', '.join(close)}" if close else ""
        raise NavError(f"no definition named {quoted(symbol)}{hint}", exit_code=1)
    return hits


def _at_location(index: Index, symbol: str) -> Symbol | None:
    """The definition `PATH:LINE[:COL]` names (the innermost holding the line), None for any other
    query; a file that is not indexed, or a line past its end, is an error."""
    import os
    import re

    match = re.fullmatch(r"(.+\.pyi?):(\d+)(?::\d+)?", symbol.strip())
    if match is None:
        return None
    given, line = match.group(1), int(match.group(2))
    line = min(line, 2**62)  # SQLite's integers end at 2**63: a line past that is past every file's end
    paths = dict.fromkeys([os.path.abspath(os.path.expanduser(given)), os.path.realpath(os.path.expanduser(given))])
    found = next((s for s in (enclosing(index, path, line) for path in paths) if s is not None), None)
    if found is not None:
        return found  # the module itself for a line of top-level code
    if not any(module_symbol(index, path) for path in paths):
        raise NavError(f"{given}: not an indexed file (nav roots lists what is indexed)", exit_code=1)
    raise NavError(f"{given}:{match.group(2)}: no definition holds that line", exit_code=1)  # past the end of the file


def resolve(index: Index, symbol: str, kind: str | None = None) -> tuple[Symbol, list[Symbol]]:
    """The definition a symbol names, and the other exact candidates (for "did you mean one of")."""
    hits = exact_hits(index, symbol, kind)
    return hits[0].symbol, [hit.symbol for hit in hits[1:]]


def source_lines(symbol: Symbol) -> list[str]:
    """The definition's source lines, decorators included."""
    try:
        lines = text_lines(read_source_text(symbol.path))
    except OSError as err:
        raise NavError(f"{symbol.path}: cannot read ({err.strerror})") from err
    return lines[symbol.first_line - 1: symbol.end_line]


# --- the static call graph ------------------------------------------------------------------

class CallEdge(namedtuple("CallEdge", "caller_id callee_id path line col how rank")):
    """One resolved call in the static graph: who calls whom, at which call site, and how it was
    resolved (`exact`, `inferred`, `by-name`; `rank` orders the guesses of one call site)."""

    __slots__ = ()
    caller_id: int
    callee_id: int
    path: str  # the file of the call site (the caller's)
    line: int
    col: int
    how: str
    rank: int


_EDGE_SQL = ("SELECT e.caller_id, e.callee_id, f.path, e.line, e.col, e.how, e.rank "
             "FROM edges e JOIN files f ON f.id = e.file_id")


def edges_from(index: Index, caller_id: int) -> list[CallEdge]:
    """The calls a definition makes, in call-site order."""
    rows = index.rows(f"{_EDGE_SQL} WHERE e.caller_id = ? ORDER BY e.line, e.col, e.rank", (caller_id,))
    return [CallEdge(*row) for row in rows]


class OutsideCall(namedtuple("OutsideCall", "callee line path count")):
    """Calls one definition makes of a builtin or of code outside the index, by the callee's dotted name."""

    __slots__ = ()
    callee: str  # `<builtin>.len`, `torch.cat`
    line: int  # the first such call site
    path: str
    count: int  # call sites


def outside_calls_from(index: Index, caller_id: int) -> list[OutsideCall]:
    """The builtins and outside code a definition calls (`ext_edges`), first call site first."""
    rows = index.rows("SELECT e.callee, min(e.line), f.path, count(*) FROM ext_edges e JOIN files f ON f.id = e.file_id "
                      "WHERE e.caller_id = ? GROUP BY e.callee ORDER BY min(e.line), e.callee", (caller_id,))
    return [OutsideCall(*row) for row in rows]


def edges_to(index: Index, callee_id: int) -> list[CallEdge]:
    """The calls that reach a definition, in call-site order (then by file: not in the order the rows were stored)."""
    rows = index.rows(f"{_EDGE_SQL} WHERE e.callee_id = ? ORDER BY e.line, e.col, e.rank, f.path", (callee_id,))
    return [CallEdge(*row) for row in rows]


def edges_into(index: Index, callee_ids: list[int]) -> list[CallEdge]:
    """The calls that reach any of these definitions (read in chunks)."""
    found: list[CallEdge] = []
    for start in range(0, len(callee_ids), 500):
        chunk = callee_ids[start:start + 500]
        rows = index.rows(f"{_EDGE_SQL} WHERE e.callee_id IN ({','.join('?' * len(chunk))})", chunk)
        found += [CallEdge(*row) for row in rows]
    return found


class CallSiteEdge(namedtuple("CallSiteEdge", "callee_id callee_text col how rank")):
    """A resolved call on one line of a file, with the called text (`dls.add_tfms`) and its column."""

    __slots__ = ()
    callee_id: int
    callee_text: str
    col: int
    how: str
    rank: int


def edges_on_line(index: Index, path: str, line: int) -> list[CallSiteEdge]:
    """The resolved calls made on `line` of `path` (what the TUI's jump-to-call asks)."""
    texts = {site.col: site.callee for site in index.file_call_sites(path) if site.line == line}
    rows = index.rows("SELECT e.callee_id, e.col, e.how, e.rank FROM edges e JOIN files f ON f.id = e.file_id "
                      "WHERE f.path = ? AND e.line = ?", (path, line))
    return [CallSiteEdge(callee_id, texts[col], col, how, rank) for callee_id, col, how, rank in rows if col in texts]


# --- files and roots -------------------------------------------------------------------------

class ModuleFile(namedtuple("ModuleFile", "module path")):
    """One indexed file: its module name and path."""

    __slots__ = ()
    module: str
    path: str


def module_files(index: Index, root_id: int) -> list[ModuleFile]:
    """The files of a root, sorted by module name."""
    rows = index.rows("SELECT module, path FROM files WHERE root_id = ? ORDER BY module", (root_id,))
    return [ModuleFile(*row) for row in rows]


class RootSummary(namedtuple("RootSummary", "root files definitions problems")):
    """What `nav roots` prints of a root: its record and counts."""

    __slots__ = ()
    root: StoredRoot
    files: int
    definitions: int
    problems: int  # files indexed with a problem (syntax error, not UTF-8, skipped)


def root_summaries(index: Index) -> list[RootSummary]:
    counts = file_counts(index)
    problems = dict(index.rows("SELECT root_id, count(*) FROM files WHERE status != 'ok' GROUP BY root_id"))
    defs = dict(index.rows(f"SELECT f.root_id, count(*) {_FROM} GROUP BY f.root_id"))
    return [RootSummary(root, counts.get(root.id, 0), defs.get(root.id, 0), problems.get(root.id, 0))
            for root in index.roots()]


def file_counts(index: Index) -> dict[int, int]:
    """Indexed files per root id."""
    return dict(index.rows("SELECT root_id, count(*) FROM files GROUP BY root_id"))


# --- what a file browser asks ---------------------------------------------------------------

OUTLINE_KINDS = ("class", "function", "method", "model")


def module_symbol(index: Index, path: str) -> Symbol | None:
    """The `module` definition of a file: the parent of its top-level definitions."""
    found = symbols_where(index, "f.path = ? AND d.kind = 'module'", (path,), 1)
    return found[0] if found else None


def children(index: Index, parent: Symbol) -> list[Symbol]:
    """Classes, functions, methods and models directly inside `parent`, in source order."""
    kinds = ",".join(f"'{kind}'" for kind in OUTLINE_KINDS)
    return symbols_where(index, f"d.parent_id = ? AND d.kind IN ({kinds}) ORDER BY d.line", (parent.id,), 10_000)


def enclosing(index: Index, path: str, line: int) -> Symbol | None:
    """The innermost definition (not a variable) whose source holds `line` of `path`."""
    kinds = ",".join(f"'{kind}'" for kind in (*OUTLINE_KINDS, "module"))
    found = symbols_where(index, f"f.path = ? AND d.kind IN ({kinds}) AND d.first_line <= ? AND d.end_line >= ? "
                          "ORDER BY d.end_line - d.first_line, d.kind = 'module'", (path, line, line), 1)
    return found[0] if found else None


# --- what comparing releases asks -----------------------------------------------------------

def definitions_named(index: Index, name: str, limit: int = 1000) -> list[Symbol]:
    """Every definition called exactly `name` (case matters), in module order."""
    return symbols_where(index, "d.lname = ? AND d.name = ? AND d.kind != 'module' ORDER BY f.module, d.line",
                         (name.lower(), name), limit)


def module_definitions(index: Index, module: str) -> list[Symbol]:
    """The definitions of the file of `module` (the module itself excluded), in source order."""
    return symbols_where(index, "f.module = ? AND d.kind != 'module' ORDER BY d.line, d.col", (module,), 100_000)
