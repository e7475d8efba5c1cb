"""The language server: LSP requests answered from nav's index, its resolution and call graph.

One `Index` stays open for the server's life. The name tables (`tags.names.Names`) are read
once and again after a save under an indexed root, when the index is refreshed first; the
buffers themselves are re-parsed on every change, so answers follow the text being typed.
"""
from __future__ import annotations

import os
import sys

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from navigator.lsp.locations import (
    SYMBOL_KINDS,
    full_range,
    hover_text,
    name_range,
    node_range,
    site_ranges,
    to_client,
    uri_of,
)
from navigator.lsp.resolve import Resolver, Value
from navigator.lsp.source import Source, text_of
from navigator.queries import (
    OUTLINE_KINDS,
    children,
    edges_from,
    edges_to,
    find,
    module_symbol,
)
from tags.errors import NavError
from tags.sources import read_source_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from navigator.queries import CallEdge, Symbol
    from tags.store import Index


class NavLanguageServer(LanguageServer):
    """pygls' server plus nav's state: the open index, the resolver, parsed buffers."""

    def __init__(self, index: Index) -> None:
        # whole texts on each change: pygls applies a ranged edit to the lines of `str.splitlines()`,
        # which end at a form feed too, so an edit below one landed on the wrong line
        super().__init__("nav", "0.1.0", text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.index = index
        self._resolver: Resolver | None = None
        self._buffers: dict[str, tuple[int | None, Source]] = {}
        self.stale = False

    @property
    def resolver(self) -> Resolver:
        """The resolver over the current index; a save under a root refreshes the index first."""
        if self._resolver is None or self.stale:
            from tags.indexer import fresh_index
            from tags.names import Names

            if self.stale:
                fresh_index(self.index, progress=False)
            self.stale = False
            self._resolver = Resolver(self.index, Names(self.index), self.read_text)
        return self._resolver

    def read_text(self, path: str) -> str | None:
        """An open buffer's text, else the file on disk (None when unreadable)."""
        for uri, (_, source) in self._buffers.items():
            if source.path == path:
                return self.workspace.get_text_document(uri).source
        try:
            return read_source_text(path)
        except OSError:
            return None

    def source(self, uri: str) -> Source | None:
        """The parsed text of a document, parsed again when its version changed."""
        document = self.workspace.get_text_document(uri)
        if document.path is None:
            return None
        cached = self._buffers.get(uri)
        if cached is not None and cached[0] == document.version and cached[0] is not None:
            return cached[1]
        path = os.path.abspath(document.path)
        module = module_symbol(self.index, path) or module_symbol(self.index, os.path.realpath(path))
        # one the client never opened is read as the indexer reads (`read_text`): a FIFO or `/dev/stdin`
        # (the protocol's own stream) is refused, not waited on, and a Latin-1 file is no error
        text = document.source if document.version is not None else self.read_text(path)
        if text is None:  # not on disk, or not a regular file
            return None
        source = Source(path, text, module.module if module else "__main__", indexed=module is not None)
        self._buffers[uri] = (document.version, source)
        return source

    def forget(self, uri: str) -> None:
        self._buffers.pop(uri, None)
        if self._resolver is not None:
            self._resolver.forget_sources()

    def read_disk_equal(self, source: Source) -> bool:
        """Whether a buffer holds what is on disk (what the index describes)."""
        try:
            return read_source_text(source.path) == source.text
        except OSError:
            return False

    def under_root(self, path: str) -> bool:
        return any(path == root.path or path.startswith(root.path + os.sep) for root in self.index.roots())

    # -- turning values into LSP answers ---------------------------------------------------------
    def location(self, value: Value) -> types.Location | None:
        if value.kind in ("local", "node", "node-instance") and value.source is not None and value.node is not None:
            node = value.node.child_by_field_name("name") if value.kind != "local" else value.node  # a def: its name
            return types.Location(uri_of(value.source.path), self.client_range(value.source, node_range(value.source, node or value.node)))
        hit = self.resolver.hit(value)
        if hit is None:
            return None
        return types.Location(uri_of(hit.path), self.name_range(hit))

    def name_range(self, hit: Symbol) -> types.Range:
        """Where a definition's name is, as the client counts."""
        source = self.resolver.file_source(hit.path, hit.module)
        return self.client_range(source, name_range(hit, source))

    def client_range(self, source: Source | None, found: types.Range) -> types.Range:
        """A range in code points of `source`'s lines in the units the client counts (UTF-16 by default)."""
        return to_client(self.workspace.position_codec, source, found)

    def item(self, hit: Symbol) -> types.CallHierarchyItem:
        return types.CallHierarchyItem(
            name=hit.qualname, kind=SYMBOL_KINDS.get(hit.kind, types.SymbolKind.Function), uri=uri_of(hit.path),
            range=full_range(hit), selection_range=self.name_range(hit), detail=hit.module, data={"id": hit.id})

    def target_hit(self, uri: str, position: types.Position) -> Symbol | None:
        """The indexed definition the cursor names (or sits on the name of)."""
        found = self.at(uri, position)
        if found is None:
            return None
        source, line, column = found
        def_id = self.resolver.def_in_source(source, line, column)
        return self.resolver.hit(Value("def", def_id)) if def_id is not None else None

    def at(self, uri: str, position: types.Position) -> tuple[Source, int, int] | None:
        """A document and a client position as (source, line, byte column); None past the end."""
        source = self.source(uri)
        if source is None or not 0 <= position.line < len(source.lines):
            return None
        character = self.workspace.position_codec.position_from_client_units(source.lines, position).character
        return source, position.line, source.byte_column(position.line, character)


def create_server(index: Index) -> NavLanguageServer:
    """A server with every feature registered (tests drive it through `pytest-lsp`)."""
    server = NavLanguageServer(index)
    _register_sync(server)
    _register_navigation(server)
    _register_symbols(server)
    _register_calls(server)
    return server


def _register_sync(server: NavLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: NavLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: NavLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: NavLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        document = ls.workspace.get_text_document(params.text_document.uri)
        ls.forget(params.text_document.uri)
        if document.path and ls.under_root(os.path.abspath(document.path)):
            ls.stale = True  # re-index the saved file before the next answer

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: NavLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)


def _register_navigation(server: NavLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: NavLanguageServer, params: types.DefinitionParams) -> list[types.Location] | None:
        found = ls.at(params.text_document.uri, params.position)
        if found is None:
            return None
        locations = [ls.location(value) for value in ls.resolver.definition(*found)]
        return [location for location in locations if location is not None] or None

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: NavLanguageServer, params: types.HoverParams) -> types.Hover | None:
        found = ls.at(params.text_document.uri, params.position)
        if found is None:
            return None
        text = _hover_markdown(ls, *found)
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text)) if text else None

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def references(ls: NavLanguageServer, params: types.ReferenceParams) -> list[types.Location] | None:
        hit = ls.target_hit(params.text_document.uri, params.position)
        if hit is None:
            return None
        found = [types.Location(uri_of(caller.path), call) for caller, calls in _incoming(ls, hit) for call in calls]
        if params.context.include_declaration:
            found.insert(0, types.Location(uri_of(hit.path), ls.name_range(hit)))
        return found


def _hover_markdown(ls: NavLanguageServer, source: Source, line: int, column: int) -> str:
    """The definition's description; for a local variable, the type the flow analysis gives it."""
    values = ls.resolver.definition(source, line, column)
    for value in values:
        if value.kind == "local" and value.node is not None:
            types_found = [ls.resolver.hit(v) for v in ls.resolver.infer(source, value.node.parent.child_by_field_name("right"))
                           if v.kind == "instance"] if value.node.parent is not None and value.node.parent.type == "assignment" else []
            described = ", ".join(f"`{h.full_name}`" for h in types_found if h is not None)
            return f"```python\n{text_of(value.node)}\n```" + (f"\n\nan instance of {described}" if described else "")
        if value.kind == "node" and value.source is not None and value.node is not None:  # a def of the buffer
            return f"```python\n{value.source.lines[value.node.start_point[0]].strip()}\n```"
        hit = ls.resolver.hit(value)
        if hit is not None:
            return hover_text(hit, ls.resolver.file_source(hit.path, hit.module), ls.resolver.signature(hit))
    return ""


def _register_symbols(server: NavLanguageServer) -> None:
    @server.feature(types.WORKSPACE_SYMBOL)
    def workspace_symbol(ls: NavLanguageServer, params: types.WorkspaceSymbolParams) -> list[types.SymbolInformation]:
        if not params.query.strip():
            return []
        try:
            hits = [hit.symbol for hit in find(ls.index, params.query, limit=50)]
        except NavError:
            return []
        return [types.SymbolInformation(
            name=hit.name, kind=SYMBOL_KINDS.get(hit.kind, types.SymbolKind.Variable),
            location=types.Location(uri_of(hit.path), ls.name_range(hit)),
            container_name=hit.full_name.rpartition(".")[0]) for hit in hits]

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(ls: NavLanguageServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        source = ls.source(params.text_document.uri)
        if source is None:
            return []
        if source.indexed and ls.read_disk_equal(source):
            module = module_symbol(ls.index, source.path)
            return _outline_symbols(ls, module, source) if module is not None else []
        return _buffer_symbols(ls, source)


def _outline_symbols(ls: NavLanguageServer, parent: Symbol, source: Source) -> list[types.DocumentSymbol]:
    """The outline of an indexed file, as the TUI shows it (navigator.outline)."""
    return [types.DocumentSymbol(
        name=child.name, kind=SYMBOL_KINDS[child.kind], range=full_range(child),
        selection_range=ls.client_range(source, name_range(child, source)), detail=child.signature,
        children=_outline_symbols(ls, child, source)) for child in children(ls.index, parent)]


def _buffer_symbols(ls: NavLanguageServer, source: Source) -> list[types.DocumentSymbol]:
    """The outline of a text outside the index (or edited since it was indexed), from its extraction."""
    definitions, _ = source.extraction()
    symbols: dict[int, types.DocumentSymbol] = {}
    top: list[types.DocumentSymbol] = []
    for number, d in enumerate(definitions):
        if d.kind not in OUTLINE_KINDS:
            continue
        symbol = types.DocumentSymbol(
            name=d.name, kind=SYMBOL_KINDS[d.kind], detail=d.signature,
            range=types.Range(types.Position((d.first_line or d.line) - 1, 0), types.Position(d.end_line - 1, 10_000)),
            selection_range=ls.client_range(source, name_range(d, source)), children=[])
        symbols[number] = symbol
        (symbols[d.parent].children if d.parent in symbols else top).append(symbol)
    return top


def _incoming(ls: NavLanguageServer, hit: Symbol) -> list[tuple[Symbol, list[types.Range]]]:
    """The callers of `hit` with the ranges of their calls to it (nav's static call graph), first call first."""
    # imported on first use: the call graph is not on the way to the first answer
    from tags.callgraph import ensure_graph

    ensure_graph(ls.index)
    found = []
    for caller_id, edges in _by_neighbour(edges_to(ls.index, hit.id), lambda edge: edge.caller_id).items():
        caller = ls.resolver.hit(Value("def", caller_id))
        if caller is not None:
            found.append((caller, _call_ranges(ls, edges[0].path, caller.module, hit.name, edges)))
    return found


def _by_neighbour(edges: list[CallEdge], neighbour: Callable[[CallEdge], int]) -> dict[int, list[CallEdge]]:
    """Edges grouped by the definition at their other end, in call-site order (edges come sorted)."""
    grouped: dict[int, list[CallEdge]] = {}
    for edge in edges:
        grouped.setdefault(neighbour(edge), []).append(edge)
    return grouped


def _call_ranges(ls: NavLanguageServer, path: str, module: str, name: str, edges: list[CallEdge]) -> list[types.Range]:
    """Where the calls (edges of one file) name `name`, as the client counts: each call site once."""
    source = ls.resolver.file_source(path, module)
    sites = list(dict.fromkeys((edge.line, edge.col) for edge in edges))
    return [ls.client_range(source, found) for found in site_ranges(source, name, sites)]


def _register_calls(server: NavLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_PREPARE_CALL_HIERARCHY)
    def prepare(ls: NavLanguageServer, params: types.CallHierarchyPrepareParams) -> list[types.CallHierarchyItem] | None:
        hit = ls.target_hit(params.text_document.uri, params.position)
        return [ls.item(hit)] if hit is not None else None

    @server.feature(types.CALL_HIERARCHY_INCOMING_CALLS)
    def incoming(ls: NavLanguageServer, params: types.CallHierarchyIncomingCallsParams) -> list[types.CallHierarchyIncomingCall]:
        hit = _item_hit(ls, params.item)
        if hit is None:
            return []
        return [types.CallHierarchyIncomingCall(from_=ls.item(caller), from_ranges=ranges)
                for caller, ranges in _incoming(ls, hit)]

    @server.feature(types.CALL_HIERARCHY_OUTGOING_CALLS)
    def outgoing(ls: NavLanguageServer, params: types.CallHierarchyOutgoingCallsParams) -> list[types.CallHierarchyOutgoingCall]:
        hit = _item_hit(ls, params.item)
        if hit is None:
            return []
        from tags.callgraph import ensure_graph

        ensure_graph(ls.index)
        calls = []
        for callee_id, edges in _by_neighbour(edges_from(ls.index, hit.id), lambda edge: edge.callee_id).items():
            callee = ls.resolver.hit(Value("def", callee_id))
            if callee is not None:
                ranges = _call_ranges(ls, hit.path, hit.module, callee.name, edges)
                calls.append(types.CallHierarchyOutgoingCall(to=ls.item(callee), from_ranges=ranges))
        return calls


def _item_hit(ls: NavLanguageServer, item: types.CallHierarchyItem) -> Symbol | None:
    data = item.data if isinstance(item.data, dict) else {}
    def_id = data.get("id")
    return ls.resolver.hit(Value("def", def_id)) if isinstance(def_id, int) else None


def serve(index: Index) -> int:
    """Answer LSP requests on stdin/stdout until the client says exit."""
    from navigator.lsp.stdio import BoundedInput, quiet_pygls_logging

    quiet_pygls_logging()
    create_server(index).start_io(BoundedInput(sys.stdin.buffer))
    return 0
