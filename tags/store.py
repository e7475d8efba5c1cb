"""The on-disk index: one SQLite database under the cache dir, safe under Ctrl-C and concurrency.

Each file's rows are replaced inside one transaction, so an interrupted run leaves every file
either fully old or fully new; the next refresh sees the stale ones and finishes the job. WAL
mode lets queries read while another process writes. A corrupted database or an older schema
is moved aside and rebuilt from `roots.json`, a small side file that remembers what to index.

Definitions are rows (queries look them up by name). A file's call sites and imports are read
only all at once or file by file, never by a column: they are kept as one `marshal` value per
file (`file_sites`), packed by the parsing worker, so that storing 50,000 call sites costs
one row per file instead of one per site.
"""
from __future__ import annotations

import marshal  # built in, loaded at every start: importing it costs nothing
import os
import sqlite3
import sys
import time
from collections import namedtuple

from tags.atomic import write_atomic
from tags.errors import NavError

TYPE_CHECKING = False  # typing costs `nav find` a few ms: only for type checkers
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from tags.discovery import Root
    from tags.model import ParsedFile

SCHEMA_VERSION = 8  # 2: the call graph (edges, graph_files, graph_deps); 3: ext_edges (builtins, outside code);
#                    4: defs.notebook, defs.cell (nbdev origins); 5: graph_sources (edits that keep the graph);
#                    6: call sites and imports packed per file (file_sites) instead of the calls and imports tables;
#                    7: rows extracted again: a comment line inside brackets no longer cuts a definition short
#                       (fastai's torch_core.tensor ended two lines early), see tags.extract
#                    8: names normalized as Python reads identifiers (NFKC: `def cafe\u0301` defines `café`)
INDEX_FILE = "index.sqlite3"
ROOTS_FILE = "roots.json"
_MAX_PARAMS = 500  # host parameters per statement, well under SQLite's limit

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE roots(
    id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    origin TEXT NOT NULL, version TEXT NOT NULL DEFAULT '');
CREATE TABLE files(
    id INTEGER PRIMARY KEY, root_id INTEGER NOT NULL, path TEXT NOT NULL UNIQUE,
    module TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    digest TEXT NOT NULL, status TEXT NOT NULL, note TEXT NOT NULL, exports TEXT);
CREATE INDEX files_root ON files(root_id);
CREATE INDEX files_module ON files(module);
CREATE TABLE defs(
    id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, parent_id INTEGER,
    name TEXT NOT NULL, lname TEXT NOT NULL, qualname TEXT NOT NULL, kind TEXT NOT NULL,
    line INTEGER NOT NULL, col INTEGER NOT NULL, end_line INTEGER NOT NULL,
    first_line INTEGER NOT NULL, signature TEXT NOT NULL, decorators TEXT NOT NULL, doc TEXT NOT NULL, scope TEXT NOT NULL,
    bases TEXT NOT NULL, flags TEXT NOT NULL, alias_of TEXT NOT NULL, delegates TEXT NOT NULL,
    notebook TEXT NOT NULL, cell TEXT NOT NULL);
CREATE INDEX defs_file ON defs(file_id);
CREATE INDEX defs_lname ON defs(lname);
CREATE TABLE file_sites(file_id INTEGER PRIMARY KEY, first_def INTEGER NOT NULL, calls BLOB NOT NULL,
    imports BLOB NOT NULL);
CREATE TABLE edges(
    caller_id INTEGER NOT NULL, callee_id INTEGER NOT NULL, file_id INTEGER NOT NULL,
    line INTEGER NOT NULL, col INTEGER NOT NULL, how TEXT NOT NULL, rank INTEGER NOT NULL);
CREATE INDEX edges_caller ON edges(caller_id);
CREATE INDEX edges_callee ON edges(callee_id);
CREATE INDEX edges_file ON edges(file_id);
CREATE TABLE ext_edges(
    caller_id INTEGER NOT NULL, callee TEXT NOT NULL, file_id INTEGER NOT NULL,
    line INTEGER NOT NULL, col INTEGER NOT NULL);
CREATE INDEX ext_edges_caller ON ext_edges(caller_id);
CREATE INDEX ext_edges_file ON ext_edges(file_id);
CREATE TABLE graph_files(file_id INTEGER PRIMARY KEY, module TEXT NOT NULL, digest TEXT NOT NULL, names TEXT NOT NULL);
CREATE TABLE graph_deps(file_id INTEGER NOT NULL, dep TEXT NOT NULL);
CREATE INDEX graph_deps_dep ON graph_deps(dep);
CREATE TABLE graph_sources(file_id INTEGER PRIMARY KEY, first_def INTEGER NOT NULL, defs INTEGER NOT NULL,
    rows TEXT NOT NULL, text TEXT NOT NULL);
"""


def cache_dir() -> str:
    """`NAV_CACHE_DIR`, else the user cache dir.

    On Linux this is the XDG rule platformdirs applies, written out because importing
    platformdirs costs more than the rest of `nav find`.
    """
    if os.environ.get("NAV_CACHE_DIR"):
        return os.path.abspath(os.path.expanduser(os.environ["NAV_CACHE_DIR"]))
    if sys.platform.startswith("linux"):
        base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.expanduser("~/.cache")
        return os.path.join(base, "nav")
    import platformdirs

    return platformdirs.user_cache_dir("nav", appauthor=False)


def lock_timeout() -> float:
    """How long to wait for another process's write lock: NAV_INDEX_TIMEOUT seconds, else 60."""
    try:
        return max(0.0, float(os.environ.get("NAV_INDEX_TIMEOUT", "60")))
    except ValueError:
        return 60.0


class StoredRoot(namedtuple("StoredRoot", "id path name origin version")):
    """A root as the index records it."""

    __slots__ = ()


class FileState(namedtuple("FileState", "id size mtime_ns digest")):
    """What the index knows of a file, to spot changes: a new size or mtime, then a new digest."""

    __slots__ = ()
    id: int
    size: int
    mtime_ns: int
    digest: str


class TagRow(namedtuple("TagRow", "name qualname kind line scope signature path file_id")):
    """A definition as a tags file needs it."""

    __slots__ = ()
    name: str
    qualname: str
    kind: str
    line: int
    scope: str
    signature: str
    path: str
    file_id: int


class IndexedFile(namedtuple("IndexedFile", "id module path digest exports")):
    """An indexed file as name resolution and the call graph see it."""

    __slots__ = ()
    id: int
    module: str
    path: str
    digest: str
    exports: str | None  # `__all__` as JSON


class DefinitionRow(namedtuple("DefinitionRow", "id file_id parent_id name qualname kind scope flags bases alias_of "
                                                "line first_line signature")):
    """The columns of one definition that name resolution needs (`flags` and `bases` comma-joined)."""

    __slots__ = ()
    id: int
    file_id: int
    parent_id: int | None
    name: str
    qualname: str
    kind: str
    scope: str
    flags: str
    bases: str
    alias_of: str
    line: int
    first_line: int
    signature: str


class ImportRow(namedtuple("ImportRow", "file_id def_id module name alias")):
    """`from module import name as alias` inside definition `def_id` (name "" for `import module`)."""

    __slots__ = ()
    file_id: int
    def_id: int
    module: str
    name: str
    alias: str


class ModuleImport(namedtuple("ModuleImport", "module name importer")):
    """`from module import name` (or `import module`, name "") written in module `importer`."""

    __slots__ = ()
    module: str
    name: str
    importer: str


class CallSite(namedtuple("CallSite", "file_id def_id callee line col")):
    """A call expression as extracted: its callee text, inside definition `def_id`."""

    __slots__ = ()
    file_id: int
    def_id: int
    callee: str
    line: int
    col: int


class EdgeRow(namedtuple("EdgeRow", "caller_id callee_id file_id line col how rank")):
    """A resolved call: the call site at line:col in `caller_id` reaches `callee_id` (`how` and `rank` say how sure)."""

    __slots__ = ()
    caller_id: int
    callee_id: int
    file_id: int
    line: int
    col: int
    how: str
    rank: int


class ExtEdgeRow(namedtuple("ExtEdgeRow", "caller_id callee file_id line col")):
    """A call of a builtin or of code outside the index, by the callee's dotted name."""

    __slots__ = ()
    caller_id: int
    callee: str
    file_id: int
    line: int
    col: int


class GraphSource(namedtuple("GraphSource", "file_id first_def defs rows text")):
    """What a file's graph was resolved from: its definitions' ids (`first_def`, `defs` of them), a digest
    of its index rows less those ids (`rows`, see `Index.file_rows`) and its source text."""

    __slots__ = ()
    file_id: int
    first_def: int
    defs: int
    rows: str
    text: str


class GraphFile(namedtuple("GraphFile", "file_id module digest names")):
    """A file whose call sites are resolved: from which digest, and the method keys it defines (space-joined)."""

    __slots__ = ()
    file_id: int
    module: str
    digest: str
    names: str


class CorruptIndex(Exception):
    """The database file cannot be read as an index."""


def is_corruption(err: sqlite3.Error) -> bool:
    """Corruption, as opposed to a busy database or a full disk."""
    text = str(err).lower()
    return isinstance(err, sqlite3.DatabaseError) and any(
        phrase in text for phrase in ("not a database", "malformed", "corrupt", "no such table", "no such column")
    )


def _use_wal(db: sqlite3.Connection) -> None:
    """Put a new index in WAL mode. The change needs the database to itself for a moment, and SQLite
    answers `database is locked` at once instead of waiting (two `nav index` runs creating the
    index together: one in eight failed so), so the wait is done here, up to `lock_timeout()`."""
    deadline = time.monotonic() + lock_timeout()
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


class Index:
    """The index database. Open it with `Index.open()`; it creates and repairs itself."""

    def __init__(self, directory: str, connection: sqlite3.Connection) -> None:
        self.directory = directory
        self.db = connection

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, directory: str | None = None) -> Index:
        directory = directory or cache_dir()
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as err:
            raise NavError(f"cannot create the cache dir {directory}: {err.strerror}") from err
        path = os.path.join(directory, INDEX_FILE)
        try:
            return cls._open_checked(directory, path)
        except CorruptIndex as err:
            _say(f"nav: the index at {path} is unreadable ({err}); rebuilding it")
        except _OldSchema as err:
            _say(f"nav: the index format changed ({err}); rebuilding it")
        move_aside(path)
        return cls._open_checked(directory, path)

    @classmethod
    def _open_checked(cls, directory: str, path: str) -> Index:
        try:
            db = sqlite3.connect(path, timeout=lock_timeout(), isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA synchronous = NORMAL")
            version = cls._schema_version(db)
            if version is None:
                cls._create(db)
            elif version != SCHEMA_VERSION:
                db.close()
                raise _OldSchema(f"version {version} -> {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as err:
            if is_corruption(err):
                raise CorruptIndex(str(err)) from err
            raise NavError(f"cannot open the index at {path}: {err}") from err
        return cls(directory, db)

    @staticmethod
    def _schema_version(db: sqlite3.Connection) -> int | None:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" not in tables:
            return None if not tables else -1
        row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else -1

    @staticmethod
    def _create(db: sqlite3.Connection) -> None:
        _use_wal(db)
        db.execute("BEGIN IMMEDIATE")  # two processes creating at once: one wins, one sees it
        try:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone():
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    db.execute(statement)
                db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()

    # -- roots ---------------------------------------------------------------------------------
    def roots(self) -> list[StoredRoot]:
        rows = self.db.execute("SELECT id, path, name, origin, version FROM roots ORDER BY id")
        return [StoredRoot._make(row) for row in rows]

    def add_root(self, root: Root) -> StoredRoot:
        return self.add_roots([root])[0]

    def add_roots(self, roots: list[Root]) -> list[StoredRoot]:
        """Register roots (an existing one gets its version updated); one transaction, and one
        synced write of the roots file however many there are."""
        if not roots:
            return []
        with self.transaction():
            self.db.executemany(
                "INSERT INTO roots(path, name, origin, version) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(path) DO UPDATE SET version=excluded.version",
                [(root.path, root.name, root.origin, root.version) for root in roots],
            )
        self.save_roots_file()
        stored = {r.path: r for r in self.roots()}
        return [stored[root.path] for root in roots]

    def remove_root(self, root: StoredRoot) -> None:
        with self.transaction():
            file_ids = [row[0] for row in self.db.execute("SELECT id FROM files WHERE root_id=?", (root.id,))]
            self._delete_file_rows(file_ids)
            self.db.execute("DELETE FROM roots WHERE id=?", (root.id,))
        self.save_roots_file()

    def set_root_version(self, root: StoredRoot, version: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE roots SET version=? WHERE id=?", (version, root.id))

    def save_roots_file(self) -> None:
        """Remember the roots outside the database, so a rebuild knows what to index."""
        import json

        data = [{"path": r.path, "name": r.name, "origin": r.origin, "version": r.version} for r in self.roots()]
        write_atomic(os.path.join(self.directory, ROOTS_FILE), json.dumps(data, indent=1).encode())

    def saved_roots(self) -> list[Root]:
        import json

        from tags.discovery import Root

        try:
            with open(os.path.join(self.directory, ROOTS_FILE)) as handle:
                return [Root(**item) for item in json.load(handle)]
        except (OSError, ValueError, TypeError, RecursionError):
            return []

    # -- files ---------------------------------------------------------------------------------
    def file_states(self, root: StoredRoot) -> dict[str, FileState]:
        rows = self.db.execute("SELECT path, id, size, mtime_ns, digest FROM files WHERE root_id=?", (root.id,))
        return {row[0]: FileState(*row[1:]) for row in rows}

    def touch_files(self, updates: Iterable[tuple[int, int, str]]) -> None:
        """Files whose content is unchanged but whose mtime moved: (mtime_ns, size, path)."""
        with self.transaction():
            self.db.executemany("UPDATE files SET mtime_ns=?, size=? WHERE path=?", updates)

    def delete_files(self, paths: Iterable[str]) -> None:
        with self.transaction():
            ids = [row[0] for p in paths for row in self.db.execute("SELECT id FROM files WHERE path=?", (p,))]
            self._delete_file_rows(ids)

    def _delete_file_rows(self, file_ids: list[int]) -> None:
        for table, column in (("defs", "file_id"), ("file_sites", "file_id"), ("files", "id")):
            self.db.executemany(f"DELETE FROM {table} WHERE {column}=?", [(i,) for i in file_ids])

    def store_files(self, files: Iterable[tuple[StoredRoot, FileRows]]) -> None:
        """Replace the rows of each parsed file (given with its root), all in one transaction.

        Ids are handed out here, after the largest in use, so that each table takes the whole
        batch in one statement (a file indexed before keeps its id). Definition ids are never
        handed out twice (`last_def_id`): an edge still naming an old one is then known as such,
        even after the same file was indexed again (see `free_def_range`).
        """
        files = list(files)
        with self.transaction():
            old_ids = self._file_ids([rows.meta.path for _, rows in files])
            if old_ids:
                self._delete_file_rows(list(old_ids.values()))
                # their definitions get new ids even when the text is the same (`nav index --rebuild`):
                # the edges naming the old ones must be renumbered or resolved again, so their graphs are stale
                self.db.executemany("UPDATE graph_files SET digest='' WHERE file_id=?",
                                    [(file_id,) for file_id in old_ids.values()])
            next_file_id = self._max_id("files") + 1
            handed_out = self.meta_value("last_def_id") or ""
            next_def_id = max(self._max_id("defs"), int(handed_out) if handed_out.isdigit() else 0) + 1
            file_values, def_values, site_values = [], [], []
            for root, (meta, def_rows, calls, imports) in files:
                file_id = old_ids.get(meta.path)
                if file_id is None:
                    file_id, next_file_id = next_file_id, next_file_id + 1
                base = next_def_id
                file_values.append((file_id, root.id, *meta))
                def_values += [(base + i, file_id, base + r[0] if r[0] >= 0 else None, *r[1:])
                               for i, r in enumerate(def_rows)]
                site_values.append((file_id, base, calls, imports))
                next_def_id += len(def_rows)
            self.db.executemany("INSERT INTO files(id, root_id, path, module, size, mtime_ns, digest, status, note, "
                                "exports) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", file_values)
            self.db.executemany("INSERT INTO defs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", def_values)
            self.db.executemany("INSERT INTO file_sites VALUES (?,?,?,?)", site_values)
            self.set_meta_value("last_def_id", str(next_def_id - 1))

    def _file_ids(self, paths: list[str]) -> dict[str, int]:
        """The ids of those of the paths that are indexed, a few hundred per query."""
        found: dict[str, int] = {}
        for start in range(0, len(paths), _MAX_PARAMS):
            chunk = paths[start:start + _MAX_PARAMS]
            found.update(self.db.execute(f"SELECT path, id FROM files WHERE path IN ({','.join('?' * len(chunk))})",
                                         chunk))
        return found

    def _max_id(self, table: str) -> int:
        return self.db.execute(f"SELECT max(id) FROM {table}").fetchone()[0] or 0

    def tag_rows(self) -> Iterator[TagRow]:
        """Every definition but modules, file by file in line order: what a tags file lists."""
        rows = self.rows("SELECT d.name, d.qualname, d.kind, d.line, d.scope, d.signature, f.path, f.id "
                         "FROM defs d JOIN files f ON f.id = d.file_id WHERE d.kind != 'module' ORDER BY f.id, d.line")
        return (TagRow(*row) for row in rows)

    # -- what name resolution and the call graph read ------------------------------------------
    def indexed_files(self) -> list[IndexedFile]:
        """Every indexed file with its module, digest and `__all__`."""
        return [IndexedFile._make(row) for row in self.rows("SELECT id, module, path, digest, exports FROM files")]

    def definition_rows(self) -> Iterator[DefinitionRow]:
        """Every definition, in id order, with the columns name resolution needs."""
        rows = self.rows("SELECT id, file_id, parent_id, name, qualname, kind, scope, flags, bases, alias_of, "
                         "line, first_line, signature FROM defs")
        return (DefinitionRow._make(row) for row in rows)

    def import_rows(self) -> Iterator[ImportRow]:
        """Every import statement's names, file by file in the order they were written (later ones rebind)."""
        for file_id, first, imports in self.rows("SELECT file_id, first_def, imports FROM file_sites"):
            for scope, module, name, alias, _ in unpack_sites(imports):
                yield ImportRow(file_id, first + scope, module, name, alias)

    def module_imports(self) -> Iterator[ModuleImport]:
        """Every import with the module that writes it: who depends on whom."""
        rows = self.rows("SELECT f.module, s.imports FROM file_sites s JOIN files f ON f.id = s.file_id")
        for importer, imports in rows:
            for _, module, name, _, _ in unpack_sites(imports):
                yield ModuleImport(module, name, importer)

    def call_sites(self) -> Iterator[CallSite]:
        """Every extracted call expression, file by file in source order."""
        for file_id, first, calls in self.rows("SELECT file_id, first_def, calls FROM file_sites"):
            for scope, callee, line, col in unpack_sites(calls):
                yield CallSite(file_id, first + scope, callee, line, col)

    def file_call_sites(self, path: str) -> list[CallSite]:
        """The call expressions of one file (by path), in source order."""
        row = next(self.rows("SELECT id FROM files WHERE path = ?", (path,)), None)
        return self.call_sites_of(row[0]) if row is not None else []

    def call_sites_of(self, file_id: int) -> list[CallSite]:
        """The call expressions of one file (by id), in source order."""
        first, calls, _ = self._file_sites(file_id)
        return [CallSite(file_id, first + scope, callee, line, col) for scope, callee, line, col in calls]

    def _file_sites(self, file_id: int) -> tuple[int, list[tuple], list[tuple]]:
        """(first definition id, call sites, imports) of a file as stored: definition references relative."""
        row = next(self.rows("SELECT first_def, calls, imports FROM file_sites WHERE file_id=?", (file_id,)), None)
        return (row[0], unpack_sites(row[1]), unpack_sites(row[2])) if row is not None else (0, [], [])

    # -- the call graph's tables ---------------------------------------------------------------
    def meta_value(self, key: str) -> str | None:
        """A value of the `meta` table (`resolver_version`, ...), None when unset."""
        row = next(self.rows("SELECT value FROM meta WHERE key=?", (key,)), None)
        return row[0] if row is not None else None

    def set_meta_value(self, key: str, value: str) -> None:
        """Set a `meta` value; call inside `transaction()`."""
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def forget_graph_files(self) -> None:
        """Mark every file's call graph out of date (its edges are replaced when it is resolved again)."""
        self.db.execute("DELETE FROM graph_files")

    def graph_files(self) -> list[GraphFile]:
        """The files whose call sites are resolved, with the digest they were resolved from."""
        return [GraphFile._make(row) for row in self.rows("SELECT file_id, module, digest, names FROM graph_files")]

    def files_depending_on(self, keys: Iterable[str]) -> set[int]:
        """The resolved files whose resolution consulted any of the dependency keys (`graph_deps`)."""
        ordered = sorted(keys)
        found: set[int] = set()
        for start in range(0, len(ordered), _MAX_PARAMS):
            chunk = ordered[start:start + _MAX_PARAMS]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT DISTINCT file_id FROM graph_deps WHERE dep IN ({marks})"
            found |= {row[0] for row in self.rows(sql, chunk)}
        return found

    def delete_file_graphs(self, file_ids: Iterable[int]) -> None:
        """Drop the edges, outside calls, dependency keys and resolved mark of the files; inside `transaction()`."""
        gone = [(file_id,) for file_id in file_ids]
        for table in ("edges", "ext_edges", "graph_deps", "graph_files", "graph_sources"):
            self.db.executemany(f"DELETE FROM {table} WHERE file_id=?", gone)

    def store_file_graph(self, graph_file: GraphFile, edges: Iterable[EdgeRow], ext_edges: Iterable[ExtEdgeRow],
                         deps: Iterable[str]) -> None:
        """Write one resolved file's edges, outside calls and dependency keys; inside `transaction()`."""
        self.db.executemany("INSERT INTO edges VALUES (?,?,?,?,?,?,?)", edges)
        self.db.executemany("INSERT INTO ext_edges VALUES (?,?,?,?,?)", ext_edges)
        self.db.executemany("INSERT INTO graph_deps VALUES (?,?)", [(graph_file.file_id, dep) for dep in deps])
        self.db.execute("INSERT INTO graph_files VALUES (?,?,?,?)", graph_file)

    def edges_into(self, file_id: int, first: int, count: int) -> list[EdgeRow]:
        """The file's edges whose callee id lies in [first, first + count)."""
        return [EdgeRow._make(row) for row in self.rows(
            "SELECT * FROM edges WHERE file_id=? AND callee_id BETWEEN ? AND ?", (file_id, first, first + count - 1))]

    def files_with_edges_into(self, first: int, count: int) -> set[int]:
        """The files with an edge whose callee id lies in [first, first + count)."""
        return {row[0] for row in self.rows("SELECT DISTINCT file_id FROM edges WHERE callee_id BETWEEN ? AND ?",
                                            (first, first + count - 1))}

    def replace_site_edges(self, file_id: int, sites: Iterable[tuple[int, int]], edges: Iterable[EdgeRow],
                           deps: Iterable[str]) -> None:
        """Replace a file's edges at some call sites (line, col) and add dependency keys; inside `transaction()`."""
        self.db.executemany("DELETE FROM edges WHERE file_id=? AND line=? AND col=?",
                            [(file_id, line, col) for line, col in sites])
        self.db.executemany("INSERT INTO edges VALUES (?,?,?,?,?,?,?)", edges)
        known = {row[0] for row in self.rows("SELECT dep FROM graph_deps WHERE file_id=?", (file_id,))}
        self.db.executemany("INSERT INTO graph_deps VALUES (?,?)", [(file_id, dep) for dep in sorted(set(deps) - known)])

    def store_graph_source(self, source: GraphSource) -> None:
        """Remember what a file's graph was resolved from (replacing the last); inside `transaction()`."""
        self.db.execute("INSERT OR REPLACE INTO graph_sources VALUES (?,?,?,?,?)", source)

    def graph_source(self, file_id: int) -> GraphSource | None:
        row = next(self.rows("SELECT * FROM graph_sources WHERE file_id=?", (file_id,)), None)
        return GraphSource._make(row) if row is not None else None

    def file_rows(self, file_id: int) -> tuple[int, int, str]:
        """(first definition id, definitions, digest of what name resolution and the call graph read of the
        file's defs, calls, imports and `__all__`, ids made relative): equal digests mean the same, ids shifted."""
        defs = list(self.rows("SELECT id, parent_id, name, qualname, kind, scope, flags, bases, alias_of, line, "
                              "first_line, signature FROM defs WHERE file_id=? ORDER BY id", (file_id,)))
        first = defs[0][0] if defs else 0
        relative = [(r[0] - first, r[1] - first if r[1] is not None else None, *r[2:]) for r in defs]
        _, calls, imports = self._file_sites(file_id)
        exports = list(self.rows("SELECT module, exports FROM files WHERE id=?", (file_id,)))
        import hashlib  # here: `nav find` opens this module and never needs it (3 ms of its start)

        digest = hashlib.sha1(repr((relative, calls, imports, exports)).encode()).hexdigest()
        return first, len(defs), digest

    def free_def_range(self, first: int, count: int) -> bool:
        """No definition holds an id in [first, first + count): edges naming them can only mean the old ones."""
        return next(self.rows("SELECT count(*) FROM defs WHERE id BETWEEN ? AND ?", (first, first + count - 1)))[0] == 0

    def renumber_file_graph(self, graph_file: GraphFile, old_first: int, source: GraphSource) -> None:
        """A file indexed again with the same definitions under new ids: the edges to and from them follow
        (`source.first_def` is the new first id); inside `transaction()`."""
        shift, last = source.first_def - old_first, old_first + source.defs - 1
        for table, column in (("edges", "caller_id"), ("edges", "callee_id"), ("ext_edges", "caller_id")):
            self.db.execute(f"UPDATE {table} SET {column} = {column} + ? WHERE {column} BETWEEN ? AND ?",
                            (shift, old_first, last))
        self.db.execute("UPDATE graph_files SET digest=? WHERE file_id=?", (graph_file.digest, graph_file.file_id))
        self.store_graph_source(source)


    # -- transactions --------------------------------------------------------------------------
    def transaction(self) -> _Transaction:
        return _Transaction(self.db)

    def rows(self, sql: str, params: Iterable = ()) -> Iterator[tuple]:
        """Run a read query; corruption surfaces as `CorruptIndex`."""
        try:
            yield from self.db.execute(sql, tuple(params))
        except sqlite3.DatabaseError as err:
            if is_corruption(err):
                raise CorruptIndex(str(err)) from err
            raise


class _Transaction:
    """`BEGIN IMMEDIATE` ... `COMMIT`, rolled back on any exception including Ctrl-C."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")


class _OldSchema(Exception):
    pass


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def move_aside(path: str) -> None:
    """Keep a corrupted or outdated database as `*.old` (for a bug report) and start afresh."""
    for suffix in ("-wal", "-shm"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass
    try:
        os.replace(path, path + ".old")
    except FileNotFoundError:
        pass


class FileMeta(namedtuple("FileMeta", "path module size mtime_ns digest status note exports")):
    """The `files` columns of one parsed file, in column order (after `id` and `root_id`)."""

    __slots__ = ()
    path: str
    module: str
    size: int
    mtime_ns: int
    digest: str
    status: str  # tags.model OK, SYNTAX_ERROR, ...
    note: str
    exports: str | None  # `__all__` as JSON


class FileRows(namedtuple("FileRows", "meta defs calls imports")):
    """A parsed file as plain rows in column order: cheap to send between processes.

    Definition references (`parent`, `scope`) are indexes within the file; `store_files` turns
    the definitions' into ids. The call sites and imports come packed (`pack_sites`), as stored.
    """

    __slots__ = ()
    meta: FileMeta
    defs: list[tuple]
    calls: bytes  # (scope, callee, line, col) rows, packed
    imports: bytes  # (scope, module, name, alias, line) rows, packed


# Fixed, so that a later Python reads what an earlier one stored. Version 2 has no back-references:
# it writes a file's 100 distinct callee texts twice as fast as 4 (which looks each object up), for 20% more bytes.
_MARSHAL_VERSION = 2


def pack_sites(rows: list[tuple]) -> bytes:
    """A file's call sites or imports (plain tuples) as the one value `file_sites` stores."""
    return marshal.dumps(rows, _MARSHAL_VERSION)


def unpack_sites(data: bytes) -> list[tuple]:
    """The rows `pack_sites` packed; damaged bytes are a corrupt index (rebuilt), not a crash."""
    try:
        rows = marshal.loads(data)
    except (EOFError, ValueError, TypeError) as err:
        raise CorruptIndex(f"unreadable call sites or imports: {err}") from err
    if not isinstance(rows, list):
        raise CorruptIndex("unreadable call sites or imports")
    return rows


def pack_rows(rows: list[FileRows]) -> bytes:
    """Parsed files' rows as one `marshal` string, for a worker to hand back: a fifth of what
    pickling the records costs (marshal knows plain tuples only, not named ones)."""
    return marshal.dumps([(tuple(meta), defs, calls, imports) for meta, defs, calls, imports in rows])


def unpack_rows(data: bytes) -> list[FileRows]:
    """The rows `pack_rows` packed."""
    return [FileRows(FileMeta._make(meta), defs, calls, imports) for meta, defs, calls, imports in marshal.loads(data)]


def file_rows(item: ParsedFile) -> FileRows:
    """The rows of a parsed file (see `FileRows`)."""
    import json

    exports = json.dumps(item.exports) if item.exports is not None else None
    meta = FileMeta(item.path, item.module, item.size, item.mtime_ns, item.digest, item.status, item.note, exports)
    defs = [
        (d.parent, d.name, d.name.lower(), d.qualname, d.kind, d.line, d.col, d.end_line, d.first_line,
         d.signature, "\n".join(d.decorators), d.doc, d.scope, ",".join(d.bases), ",".join(d.flags),
         d.alias_of, d.delegates, d.notebook, d.cell)
        for d in item.definitions
    ]
    calls = pack_sites([(c.scope, c.callee, c.line, c.col) for c in item.calls])
    imports = pack_sites([(m.scope, m.module, m.name, m.alias, m.line) for m in item.imports])
    return FileRows(meta, defs, calls, imports)
