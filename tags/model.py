"""Plain records that flow from extraction to the on-disk index and back out to queries."""
from __future__ import annotations

from dataclasses import dataclass, field

from tags.kinds import DEFINITION_KINDS  # noqa: F401  (re-exported: the kinds a Definition can have)

# File statuses recorded in the index.
OK = "ok"
SYNTAX_ERROR = "syntax-error"  # indexed as far as it parses
PARTIAL = "partial"  # valid Python that tree-sitter-python misreads somewhere: indexed as far as it can
NOT_UTF8 = "not-utf8"  # indexed after decoding with replacement characters
TOO_LARGE = "too-large"  # skipped, with a note
UNREADABLE = "unreadable"  # skipped, with a note


@dataclass(slots=True)
class Definition:
    """A module, class, function, method, variable or timm model found in a source file."""

    name: str
    qualname: str  # within the module: `Learner.fine_tune`, `outer.inner`
    kind: str  # one of tags.kinds.DEFINITION_KINDS
    line: int  # 1-based line of the `def`/`class` keyword or of the assignment
    col: int  # 1-based
    end_line: int
    first_line: int = 0  # where the source starts, decorators included
    signature: str = ""  # `(dls, meta, pretrained, n_in=3)`; for classes, the bases
    decorators: tuple[str, ...] = ()
    doc: str = ""  # first line of the docstring
    scope: str = ""  # qualname of the class a method belongs to (also for `@patch`)
    bases: tuple[str, ...] = ()
    parent: int = -1  # index of the enclosing definition in the same file (0: the module; -1: none)
    flags: tuple[str, ...] = ()  # e.g. patch, dispatch, lambda, alias, classmethod, property
    alias_of: str = ""  # for `X = Y` assignments: the text of Y
    delegates: str = ""  # the target of `@delegates(...)`, if any


@dataclass(slots=True)
class CallSite:
    """One call expression: who calls (enclosing definition) and what text is called."""

    scope: int  # index of the enclosing definition; 0 is the module itself
    callee: str  # source text of the called expression: `dls.add_tfms`, `Normalize.from_stats`
    line: int
    col: int


@dataclass(slots=True)
class ImportRecord:
    """One name bound by an import: `from .core import *` gives name `*`."""

    scope: int  # index of the enclosing definition; 0 is the module itself
    module: str  # absolute module imported from (relative imports resolved)
    name: str  # imported name; "" for `import a.b`; "*" for star imports
    alias: str  # name bound in this module ("" for star imports)
    line: int


@dataclass(slots=True)
class ParsedFile:
    """Everything extracted from one file, plus what the index needs to tell if it changed."""

    path: str
    module: str
    size: int
    mtime_ns: int
    digest: str = ""
    status: str = OK
    note: str = ""
    definitions: list[Definition] = field(default_factory=list)
    calls: list[CallSite] = field(default_factory=list)
    imports: list[ImportRecord] = field(default_factory=list)
    exports: list[str] | None = None  # the names in `__all__`, when the module defines it
