"""Comparing a definition, or a module, between two releases of its package.

What `nav diff`, `nav history` and the TUI's versions view share: a `Side` (one release, or the
installed package), finding "the same definition" on a side even after it moved, and the
unified diff of two definitions' sources with real `path:line` headers and hunk line numbers.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from navigator.queries import (
    Symbol,
    definitions_named,
    exact_hits,
    full_name,
    module_definitions,
    source_lines,
)
from tags.errors import NavError
from tags.releases import Release, parse_release

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, TypeVar

    from tags.store import Index

    T = TypeVar("T")

ABSENT = 1  # exit code: the symbol or module is on neither side / not where asked


@dataclass(frozen=True, slots=True)
class View:
    """An open index and the folder of the package in it (the installed index holds timm too)."""

    index: Index
    package_dir: str

    def holds(self, symbol: Symbol) -> bool:
        return symbol.path.startswith(self.package_dir.rstrip("/") + "/")


@dataclass(frozen=True, slots=True)
class Side:
    """One release of a package, read from its own index, or the installed package (main index)."""

    release: Release
    installed: bool = False

    @property
    def label(self) -> str:
        return self.release.label + (" (installed)" if self.installed else "")

    def run(self, action: Callable[[View], T], progress: bool = True) -> T:
        if self.installed:
            from navigator.session import query
            from tags.discovery import installed_package

            root = installed_package(self.release.package)
            assert root is not None  # checked by installed_side
            return query(lambda index: action(View(index, root.path)), report_problems=False)
        from tags.releases import with_release_index

        return with_release_index(self.release, lambda index: action(View(index, index.roots()[0].path)), progress)


def installed_side(package: str) -> Side:
    """The installed release of `package`: the default `--to`."""
    from tags.discovery import installed_package

    root = installed_package(package)
    if root is None or not root.version:
        raise NavError(f"{package} is not installed here; give --to VERSION")
    return Side(Release(package, root.version), installed=True)


def side_of(text: str | None, package: str) -> Side:
    """`2.7.4`, `fastai==2.7.4` or `fastai 2.7.4` as a side; None: the installed release."""
    if text is None:
        return installed_side(package)
    release = parse_release(text, package)
    if release.package != package:
        raise NavError(f"{text}: a release of {release.package}, but the symbol is compared in {package}")
    return Side(release)


def package_of(symbol: str, *releases: str | None) -> str:
    """The package a comparison is about: named by a release (`fastai==2.7.4`), by the symbol's
    dotted path (`timm.layers...`), else that of the installed definition the name finds."""
    for text in releases:
        if text and not re.fullmatch(r"\s*[0-9][\w.+!-]*\s*", text):
            return parse_release(text).package
    from tags.discovery import DEFAULT_PACKAGES, installed_package

    head = symbol.partition(".")[0]
    if head in DEFAULT_PACKAGES or ("." in symbol and installed_package(head) is not None):
        return head
    from navigator.session import query

    try:
        hits = query(lambda index: exact_hits(index, symbol), report_problems=False)
    except NavError:
        return "fastai"
    tops = [hit.symbol.module.partition(".")[0] for hit in hits]
    return next((top for top in tops if top in DEFAULT_PACKAGES), tops[0] if tops else "fastai")


# -- the same definition on another side -------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Target:
    """What identifies a definition across releases: where it was, and what it is called."""

    module: str
    qualname: str
    name: str
    kind: str

    @classmethod
    def of(cls, symbol: Symbol) -> Target:
        return cls(symbol.module, symbol.qualname, symbol.name, symbol.kind)

    @property
    def full_name(self) -> str:
        return full_name(self.module, self.qualname, self.kind)


@dataclass(frozen=True, slots=True)
class Found:
    """A definition on one side, its source lines, and how it was matched to the target."""

    symbol: Symbol
    text: tuple[str, ...]
    how: str  # "" (same module and qualname), "moved: same qualname", "moved: same name"
    label: str  # the side's label, `fastai 2.7.4`

    @property
    def where(self) -> str:
        return f"{self.symbol.path}:{self.symbol.line}"


def resolve_in(view: View, text: str) -> Symbol | None:
    """The definition a user's name means on this side, or None when it has none."""
    try:
        hits = exact_hits(view.index, text)
    except NavError:
        return None
    inside = [hit.symbol for hit in hits if view.holds(hit.symbol)]
    return inside[0] if inside else None


def locate(view: View, target: Target, label: str) -> Found | None:
    """The target on this side: same module and qualname, else the same qualname elsewhere in the
    package (it moved), else the same name elsewhere (moved and renamed its owner)."""
    if target.kind == "module":
        module = next((s for s in _module_symbols(view, target.qualname)), None)
        return Found(module, tuple(source_lines(module)), "", label) if module else None
    candidates = [s for s in definitions_named(view.index, target.name) if view.holds(s)]
    tiers = (
        ("", lambda s: s.module == target.module and s.qualname == target.qualname),
        ("moved: same qualname", lambda s: s.qualname == target.qualname),
        ("moved: same name", lambda s: s.kind == target.kind),
    )
    for how, matches in tiers:
        found = [s for s in candidates if matches(s)]
        if found:
            return Found(found[0], tuple(source_lines(found[0])), how, label)
    return None


def _module_symbols(view: View, module: str) -> list[Symbol]:
    return [hit.symbol for hit in _exact_or_none(view.index, module)
            if hit.symbol.kind == "module" and hit.symbol.qualname == module and view.holds(hit.symbol)]


def _exact_or_none(index: Index, text: str) -> list:
    try:
        return exact_hits(index, text)
    except NavError:
        return []


def anchor(sides: list[Side], symbol: str, progress: bool = True) -> Target:
    """The target a user's name means, read on the first side that has it (the newest first)."""
    for side in sides:
        found = side.run(lambda view: resolve_in(view, symbol), progress)
        if found is not None:
            return Target.of(found)
    labels = ", ".join(side.label for side in sides[:4]) + (" ..." if len(sides) > 4 else "")
    raise NavError(f"no definition named {symbol!r} in {labels}", exit_code=ABSENT)


# -- diffs ---------------------------------------------------------------------------------------
def unified_diff(old: Found | None, new: Found | None) -> list[str]:
    """The unified diff of two definitions' sources; headers `path:line<TAB>release`, hunk line
    numbers those of the files, so an editor can jump from either side."""
    old_lines, new_lines = (list(f.text) if f else [] for f in (old, new))
    old_head = f"{old.where}\t{old.label}" if old else "/dev/null"
    new_head = f"{new.where}\t{new.label}" if new else "/dev/null"
    lines = list(difflib.unified_diff(old_lines, new_lines, old_head, new_head, lineterm="", n=3))
    shift_old = old.symbol.first_line - 1 if old else 0
    shift_new = new.symbol.first_line - 1 if new else 0
    return [_shift_hunk(line, shift_old, shift_new) if line.startswith("@@") else line for line in lines]


_HUNK = re.compile(r"@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@")


def _shift_hunk(line: str, shift_old: int, shift_new: int) -> str:
    def shifted(match: re.Match) -> str:
        old_start = int(match.group(1)) + (shift_old if int(match.group(1)) else 0)
        new_start = int(match.group(3)) + (shift_new if int(match.group(3)) else 0)
        return f"@@ -{old_start}{match.group(2) or ''} +{new_start}{match.group(4) or ''} @@"

    return _HUNK.sub(shifted, line, count=1)


def line_counts(old: tuple[str, ...] | None, new: tuple[str, ...] | None) -> tuple[int, int]:
    """Lines added and removed going from `old` to `new`."""
    added = removed = 0
    for line in difflib.unified_diff(list(old or ()), list(new or ()), lineterm="", n=0):
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


@dataclass(frozen=True, slots=True)
class DefinitionDiff:
    """`nav diff SYMBOL`: the definition on both sides (None where it does not exist)."""

    target: Target
    old_side: Side
    new_side: Side
    old: Found | None
    new: Found | None

    @property
    def lines(self) -> list[str]:
        return unified_diff(self.old, self.new)

    def absence(self) -> str:
        """'' when on both sides; else what to tell the user (`added in fastai 2.7.5`)."""
        if self.old and self.new:
            return ""
        if self.new:
            return f"{self.target.full_name}: not in {self.old_side.label}; added in {self.new_side.label}"
        return f"{self.target.full_name}: in {self.old_side.label}, removed by {self.new_side.label}"


def diff_definition(symbol: str, old_side: Side, new_side: Side) -> DefinitionDiff:
    """The definition `symbol` names (read on the new side, else the old), found on both sides."""
    target = anchor([new_side, old_side], symbol)
    old = old_side.run(lambda view: locate(view, target, old_side.label))
    new = new_side.run(lambda view: locate(view, target, new_side.label))
    return DefinitionDiff(target, old_side, new_side, old, new)


# -- a module's summary --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Change:
    """One line of `nav diff MODULE --summary`."""

    status: str  # added, removed, changed, moved
    kind: str
    qualname: str
    added: int
    removed: int
    note: str = ""  # for moves: `to fastai.x.y` / `from fastai.x.y`

    def as_json(self) -> dict:
        return {"status": self.status, "kind": self.kind, "qualname": self.qualname,
                "added": self.added, "removed": self.removed, "note": self.note}


def _texts(view: View, module: str) -> dict[str, tuple[Symbol, tuple[str, ...]]]:
    """The module's definitions by qualname, with their source (a name defined twice: joined)."""
    found: dict[str, tuple[Symbol, tuple[str, ...]]] = {}
    for symbol in module_definitions(view.index, module):
        if not view.holds(symbol):
            continue
        before = found.get(symbol.qualname)
        text = tuple(source_lines(symbol))
        found[symbol.qualname] = (before[0], before[1] + text) if before else (symbol, text)
    return found


def _elsewhere(view: View, module: str, qualnames: list[str]) -> dict[str, str]:
    """For qualnames gone from `module`: the other module of the package that defines them."""
    moved = {}
    for qualname in qualnames:
        name = qualname.rpartition(".")[2]
        other = [s for s in definitions_named(view.index, name)
                 if s.qualname == qualname and s.module != module and view.holds(s)]
        if other:
            moved[qualname] = other[0].module
    return moved


def module_summary(module: str, old_side: Side, new_side: Side) -> list[Change]:
    """Every definition of `module` added, removed, changed or moved between the two sides."""
    old = old_side.run(lambda view: _texts(view, module))
    new = new_side.run(lambda view: _texts(view, module))
    if not old and not new:
        raise NavError(f"{module}: no such module (or no definitions) in {old_side.label} or {new_side.label}",
                       exit_code=ABSENT)
    gone = [q for q in old if q not in new]
    arrived = [q for q in new if q not in old]
    moved_to = new_side.run(lambda view: _elsewhere(view, module, gone))
    moved_from = old_side.run(lambda view: _elsewhere(view, module, arrived))
    changes = []
    for qualname in sorted(set(old) | set(new), key=lambda q: _position(q, old, new)):
        before, after = old.get(qualname), new.get(qualname)
        symbol = (after or before)[0]
        added, removed = line_counts(before[1] if before else None, after[1] if after else None)
        if before and after:
            if before[1] != after[1]:
                changes.append(Change("changed", symbol.kind, qualname, added, removed))
        elif before:
            note = f"to {moved_to[qualname]}" if qualname in moved_to else ""
            changes.append(Change("moved" if note else "removed", symbol.kind, qualname, added, removed, note))
        else:
            note = f"from {moved_from[qualname]}" if qualname in moved_from else ""
            changes.append(Change("moved" if note else "added", symbol.kind, qualname, added, removed, note))
    return changes


def _position(qualname: str, old: dict, new: dict) -> tuple[int, int]:
    """Source order: the new side's line, else the old side's."""
    where = new.get(qualname) or old.get(qualname)
    return (0 if qualname in new else 1, where[0].line)
